package harness

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// encodeJSON is how WriteJSON wrote a record before it streamed: the
// reference its bytes must equal.
func encodeJSON(r *Record) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	err := enc.Encode(r)
	return b.Bytes(), err
}

// checkJSON fails t unless WriteJSON writes r as encodeJSON does, or
// fails where it fails.
func checkJSON(t *testing.T, r *Record) {
	t.Helper()
	want, wantErr := encodeJSON(r)
	var got bytes.Buffer
	err := r.WriteJSON(&got)
	if wantErr != nil {
		if err == nil {
			t.Fatalf("WriteJSON wrote what encoding/json refused (%v)", wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("WriteJSON differs from encoding/json's indented output:\n%s", cmp.Diff(string(want), got.String()))
	}
}

// oddRecord has every field of a record set, strings that need JSON's
// escapes (HTML characters, control characters, invalid UTF-8, U+2028),
// numbers JSON has no literal for, and nil entries where slices allow
// them.
func oddRecord() *Record {
	odd := "a<b>&c\"d\\e\x00\x01\x1f\b\f\n\r\t\x7f \u2028\u2029 \xff\xfe é 日本"
	start := time.Date(2026, 12, 6, 8, 0, 0, 123456789, time.FixedZone("X", 5*3600+1800))
	low, high, nom, inf, nan, negz := 4.9, 5.1, 5.0, math.Inf(1), math.NaN(), math.Copysign(0, -1)
	ms := []Measurement{
		{Seq: 7, DUT: odd, Phase: odd, Attempt: 2, Name: odd, Value: 5, Unit: odd, Resolution: 0.001,
			Limit: LimitSpec{Comparator: CompareEquals, Low: &low, High: &high, Nominal: &nom, Marginal: 0.1, Action: StopRun}, Outcome: OutcomeMarginal, Time: start},
		{Seq: 8, DUT: "d", Name: "inf", Value: inf, Unit: "Ω", Resolution: nan,
			Limit: LimitSpec{Comparator: CompareCustom, Name: odd, Action: RecordOnly}, Outcome: OutcomeFail, Time: start.UTC()},
		{Seq: 9, DUT: "d", Name: "tiny", Value: 1e-7, Unit: "A", Resolution: negz, Limit: LimitSpec{Comparator: CompareAtLeast, Low: &inf, Marginal: negz}, Outcome: Outcome(42), Time: start.Local()},
		{Seq: 10, DUT: "d", Name: "huge", Value: -1.5e300, Unit: "V", Limit: LimitSpec{Comparator: CompareAtMost, High: &nan, Action: LimitAction(9)}, Time: time.Time{}},
		{Seq: 11, DUT: "d", Name: "wave", Values: []float64{1, nan, -inf}, Axis: &Axis{Name: "t", Unit: "s", Step: 0.001}, Unit: "V", Time: start},
		{Seq: 12, DUT: "d", Name: "empty wave", Values: []float64{}, Value: nan, Unit: "V", Time: start},
	}
	return &Record{SchemaVersion: SchemaVersion, ID: odd, Name: odd, Station: odd, Operator: "op", Batch: "b", Software: "s",
		Config: map[string]string{"z": odd, "a": "1", odd: "k"}, Started: start, Ended: start.Add(time.Minute), Outcome: OutcomeError,
		StopCause: odd, Recovered: true,
		DUTs: []*DUTRecord{
			{Name: odd, Unit: Unit{Serial: odd, Metadata: map[string]string{"fw": odd}}, Started: start, Ended: start.Add(time.Second), Outcome: OutcomeFail, StopCause: odd,
				Phases: []*PhaseRecord{
					{Name: odd, Attempt: 1, Started: start, Ended: start, Outcome: OutcomeFail, Error: odd, Measurements: ms},
					{Name: "none", Attempt: 1, Measurements: []Measurement{}},
					{Name: "nil"},
					nil,
				}},
			{Name: "no phases"},
			{Name: "empty phases", Phases: []*PhaseRecord{}},
			nil,
		},
		Faults:    []Fault{{Time: start, Source: odd, DUT: odd, Message: odd}},
		SafeState: []SafeStateRecord{{Name: odd, Time: start, Took: time.Millisecond, Verified: true}, {Name: "x", Error: odd}},
		Series: []*Series{
			{DUT: odd, Name: odd, Unit: odd, Times: []float64{0, 1e-7, 1e-6, 1e21, 1e20, -0.5, negz, 123456789.125}, Values: []float64{nan, inf, -inf, 1e-7, 5, 0, negz, 2}, Samples: math.MaxInt, Bucket: 1 << 40, Low: &low, High: &inf},
			{DUT: "d", Name: "empty", Times: []float64{}, Values: []float64{}, Samples: -1},
			{DUT: "d", Name: "nil"},
			nil,
		},
		Attachments: []*AttachmentRecord{{Seq: 3, DUT: odd, Name: odd, MediaType: "text/plain", Time: start, Data: []byte(odd)}, nil},
		Prompts:     []*PromptRecord{{ID: "p1", DUT: odd, Text: odd, Input: InputChoice, Choices: []string{odd, ""}, Asked: start, State: PromptAnswered, Answer: odd}},
		Stuck:       []StuckGoroutine{{Name: odd, State: "sleep", At: odd, Stack: odd}},
		Events:      math.MaxUint64,
	}
}

// WriteJSON streams a record byte for byte as json.Encoder with
// SetIndent("", "  ") wrote it: every field, every escape, every number
// JSON has no literal for; a record of nothing; the benchmark's 64k
// measurements.
func TestWriteJSONIsEncoders(t *testing.T) {
	for name, r := range map[string]*Record{
		"odd":     oddRecord(),
		"empty":   {},
		"new":     newRecord(),
		"bench":   benchRecord(),
		"replay":  Replay(nil),
		"no duts": {DUTs: []*DUTRecord{}, Faults: []Fault{}, SafeState: []SafeStateRecord{}, Series: []*Series{}, Attachments: []*AttachmentRecord{}, Prompts: []*PromptRecord{}, Stuck: []StuckGoroutine{}},
	} {
		t.Run(name, func(t *testing.T) { checkJSON(t, r) })
	}
}

// Where encoding/json cannot write a record (a time past year 9999, a
// zone a day off UTC, a series time that is not finite), WriteJSON fails
// too.
func TestWriteJSONFailsWhereEncoderFails(t *testing.T) {
	for name, edit := range map[string]func(r *Record){
		"run time":         func(r *Record) { r.Started = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) },
		"measurement time": func(r *Record) { r.DUTs[0].Phases[0].Measurements[0].Time = time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC) },
		"zone":             func(r *Record) { r.DUTs[0].Started = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("far", 24*3600)) },
		"series time":      func(r *Record) { r.Series[0].Times[1] = math.NaN() },
	} {
		t.Run(name, func(t *testing.T) {
			r := oddRecord()
			edit(r)
			if _, err := encodeJSON(r); err == nil {
				t.Fatal("encoding/json wrote it: the case tests nothing")
			}
			checkJSON(t, r)
		})
	}
}

// A field added to the record must be written by WriteJSON, which names
// each one: this lists them, so that adding one fails here until
// jsonWriter writes it (and oddRecord sets it).
func TestWriteJSONKnowsEveryField(t *testing.T) {
	tags := func(v any) []string {
		var out []string
		for f := range reflect.TypeOf(v).Fields() {
			if tag := f.Tag.Get("json"); tag != "" && tag != "-" {
				out = append(out, strings.Split(tag, ",")[0])
			}
		}
		return out
	}
	for _, c := range []struct {
		v    any
		want string
	}{
		{Record{}, "schema_version id name station operator batch software config started ended outcome stop_cause recovered duts faults safe_state series attachments prompts stuck events"},
		{DUTRecord{}, "name unit started ended outcome stop_cause phases"},
		{PhaseRecord{}, "name attempt started ended outcome error measurements"},
		{measurementJSON{}, "seq dut phase attempt name value values axis unit resolution limit outcome time"},
		{limitSpecJSON{}, "comparator low high nominal marginal name action"},
		{seriesJSON{}, "dut name unit samples bucket t v low high"},
	} {
		if got := tags(c.v); !slices.Equal(got, strings.Fields(c.want)) {
			t.Errorf("%T has the JSON fields %v, WriteJSON writes %v", c.v, got, c.want)
		}
	}
}

// WriteJSON writes to w as it goes, in pieces, not the whole document
// at the end.
func TestWriteJSONStreams(t *testing.T) {
	var w countingWriter
	if err := benchRecord().WriteJSON(&w); err != nil {
		t.Fatal(err)
	}
	if w.writes < 100 || w.max > 2*jsonFlushAt {
		t.Fatalf("%d writes of up to %d bytes, %d in all", w.writes, w.max, w.n)
	}
}

type countingWriter struct{ writes, max, n int }

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.max = max(w.max, len(p))
	w.n += len(p)
	return len(p), nil
}

// The HTML report's table of measurements says what Measurement.Format
// and LimitSpec.Format say, escaped, row by row: its numbers appended in
// place and its limits formatted once per run of rows must not change a
// cell. Limits alternate and repeat by value with numbers of their own,
// as in a record read back from a store.
func TestPhaseRowsAsFormatted(t *testing.T) {
	r := oddRecord()
	p := r.DUTs[0].Phases[0]
	for i := range 40 {
		lo, hi := float64(i%3), 10.0
		m := Measurement{Name: "m<", Value: float64(i) / 7, Unit: []string{"V", "", "<&>"}[i%3], Resolution: []float64{0, 0.01, 1e-9, -1}[i%4],
			Limit: LimitSpec{Comparator: []Comparator{CompareBetween, CompareAtLeast, CompareAtMost}[i%3], Low: &lo, High: &hi}, Outcome: Outcome(i % 5)}
		p.Measurements = append(p.Measurements, m)
	}
	for _, d := range append(r.DUTs[:1], benchRecord().DUTs[0]) {
		var want strings.Builder
		for _, p := range d.Phases {
			if p == nil {
				continue
			}
			row := "<tr><td>" + p.Name + sep + strconv.Itoa(p.Attempt) + sep + p.Outcome.String() + sep
			if len(p.Measurements) == 0 {
				want.WriteString(row + p.Error + sep)
				continue
			}
			for _, m := range p.Measurements {
				want.WriteString(row + m.Name + sep + m.Format() + sep + m.Limit.Format(m.Unit) + sep + m.Outcome.String() + sep)
			}
		}
		d.Phases = slices.DeleteFunc(d.Phases, func(p *PhaseRecord) bool { return p == nil })
		got := string(phaseRows(d))
		// The cells, unescaped, in order: what each row says.
		cells := regexp.MustCompile(`<tr><td>|<td[^>]*>|<span[^>]*>`).ReplaceAllString(got, "")
		cells = regexp.MustCompile(`</span></td>|</td>`).ReplaceAllString(cells, sep)
		cells = strings.ReplaceAll(cells, "</tr>", "")
		if diff := cmp.Diff(strings.Split(escapeAll(want.String()), sep), strings.Split(cells, sep)); diff != "" {
			t.Fatalf("rows differ from the formatted values (-want +got):\n%s", diff)
		}
	}
}

// sep is in no string of the records.
const sep = "\uE000"

func escapeAll(s string) string {
	var b strings.Builder
	for i, part := range strings.Split(strings.ReplaceAll(s, "<tr><td>", ""), sep) {
		if i > 0 {
			b.WriteString(sep)
		}
		escapeHTML(&b, part)
	}
	return b.String()
}
