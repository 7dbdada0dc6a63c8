package harness

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// WriteJSON writes the record as indented JSON: the bytes of
// json.Encoder with SetIndent("", "  "), written as they are made. A run
// has tens of thousands of measurements, and encoding the whole record at
// once, then indenting it, cost 10-16 µs a measurement and a copy of the
// whole document in memory: here each measurement (and series point) is
// written straight into one reused buffer, flushed to w every 32 KiB.
// The record's other parts, small, go through encoding/json. On an error
// (a time past year 9999, a non-finite series time) what was written
// before it is left written, unlike Encoder, which writes nothing.
func (r *Record) WriteJSON(w io.Writer) error {
	j := &jsonWriter{w: w}
	j.b.Grow(jsonFlushAt + 4096)
	j.record(r)
	j.b.WriteByte('\n')
	return j.flush()
}

const jsonFlushAt = 32 << 10

// jsonWriter writes indented JSON into b, flushing it to w as it fills.
// It stops at the first error, which flush returns.
type jsonWriter struct {
	w   io.Writer
	b   bytes.Buffer
	err error
}

func (j *jsonWriter) flush() error {
	if j.err == nil && j.b.Len() > 0 {
		_, j.err = j.w.Write(j.b.Bytes())
	}
	j.b.Reset()
	return j.err
}

func (j *jsonWriter) maybeFlush() {
	if j.b.Len() >= jsonFlushAt {
		j.flush()
	}
}

// jsonIndent is the indentation of each depth, as Encoder's SetIndent("", "  ").
const jsonIndent = "                                "

func indentOf(depth int) string {
	if 2*depth <= len(jsonIndent) {
		return jsonIndent[:2*depth]
	}
	return strings.Repeat("  ", depth)
}

// object is an object being written at a depth: its fields are at
// depth+1.
type object struct {
	j     *jsonWriter
	depth int
	n     int
}

func (j *jsonWriter) object(depth int) object {
	j.b.WriteByte('{')
	return object{j: j, depth: depth}
}

// key starts a field.
func (o *object) key(k string) {
	if o.n > 0 {
		o.j.b.WriteByte(',')
	}
	o.n++
	o.j.b.WriteByte('\n')
	o.j.b.WriteString(indentOf(o.depth + 1))
	o.j.b.WriteByte('"')
	o.j.b.WriteString(k)
	o.j.b.WriteString(`": `)
}

func (o *object) end() {
	if o.n > 0 {
		o.j.b.WriteByte('\n')
		o.j.b.WriteString(indentOf(o.depth))
	}
	o.j.b.WriteByte('}')
}

// array writes n elements at depth+1, each by elem; a nil slice is null.
func (j *jsonWriter) array(isNil bool, n, depth int, elem func(i int)) {
	if isNil {
		j.b.WriteString("null")
		return
	}
	j.b.WriteByte('[')
	for i := range n {
		if j.err != nil {
			return
		}
		if i > 0 {
			j.b.WriteByte(',')
		}
		j.b.WriteByte('\n')
		j.b.WriteString(indentOf(depth + 1))
		elem(i)
		j.maybeFlush()
	}
	if n > 0 {
		j.b.WriteByte('\n')
		j.b.WriteString(indentOf(depth))
	}
	j.b.WriteByte(']')
}

// value writes v at depth through encoding/json, as Encoder would.
func (j *jsonWriter) value(v any, depth int) {
	if j.err != nil {
		return
	}
	compact, err := json.Marshal(v)
	if err != nil {
		j.err = err
		return
	}
	if err := json.Indent(&j.b, compact, indentOf(depth), "  "); err != nil {
		j.err = err
	}
}

func (j *jsonWriter) str(s string) { j.b.Write(appendJSONString(j.b.AvailableBuffer(), s)) }

func (j *jsonWriter) int(n int64) { j.b.Write(strconv.AppendInt(j.b.AvailableBuffer(), n, 10)) }

// number writes a jsonNumber: NaN and the infinities as strings.
func (j *jsonWriter) number(f float64) {
	switch {
	case math.IsNaN(f):
		j.b.WriteString(`"NaN"`)
	case math.IsInf(f, 1):
		j.b.WriteString(`"+Inf"`)
	case math.IsInf(f, -1):
		j.b.WriteString(`"-Inf"`)
	default:
		j.b.Write(strconv.AppendFloat(j.b.AvailableBuffer(), f, 'g', -1, 64))
	}
}

// float writes a finite float64 as encoding/json does.
func (j *jsonWriter) float(f float64) {
	format := byte('f')
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		format = 'e'
	}
	b := strconv.AppendFloat(j.b.AvailableBuffer(), f, format, -1, 64)
	if format == 'e' {
		// e-09 as e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	j.b.Write(b)
}

// time writes t as time.Time's MarshalJSON, which fails outside years
// 0-9999 and for a zone offset of a day or more (encoding/json's error,
// from value).
func (j *jsonWriter) time(t time.Time, depth int) {
	_, off := t.Zone()
	if y := t.Year(); y < 0 || y > 9999 || off <= -24*3600 || off >= 24*3600 {
		j.value(t, depth)
		return
	}
	b := append(j.b.AvailableBuffer(), '"')
	b = t.AppendFormat(b, time.RFC3339Nano)
	j.b.Write(append(b, '"'))
}

func (j *jsonWriter) record(r *Record) {
	o := j.object(0)
	o.key("schema_version")
	j.int(int64(r.SchemaVersion))
	o.key("id")
	j.str(r.ID)
	o.key("name")
	j.str(r.Name)
	for _, f := range []struct{ k, v string }{{"station", r.Station}, {"operator", r.Operator}, {"batch", r.Batch}, {"software", r.Software}} {
		if f.v != "" {
			o.key(f.k)
			j.str(f.v)
		}
	}
	if len(r.Config) > 0 {
		o.key("config")
		j.value(r.Config, 1)
	}
	o.key("started")
	j.time(r.Started, 1)
	o.key("ended")
	j.time(r.Ended, 1)
	o.key("outcome")
	j.str(r.Outcome.String())
	if r.StopCause != "" {
		o.key("stop_cause")
		j.str(r.StopCause)
	}
	if r.Recovered {
		o.key("recovered")
		j.b.WriteString("true")
	}
	o.key("duts")
	j.array(r.DUTs == nil, len(r.DUTs), 1, func(i int) { j.dut(r.DUTs[i], 2) })
	o.key("faults")
	j.value(r.Faults, 1)
	o.key("safe_state")
	j.value(r.SafeState, 1)
	o.key("series")
	j.array(r.Series == nil, len(r.Series), 1, func(i int) { j.series(r.Series[i], 2) })
	if len(r.Attachments) > 0 {
		o.key("attachments")
		j.value(r.Attachments, 1)
	}
	if len(r.Prompts) > 0 {
		o.key("prompts")
		j.value(r.Prompts, 1)
	}
	if len(r.Stuck) > 0 {
		o.key("stuck")
		j.value(r.Stuck, 1)
	}
	o.key("events")
	j.b.Write(strconv.AppendUint(j.b.AvailableBuffer(), r.Events, 10))
	o.end()
}

func (j *jsonWriter) dut(d *DUTRecord, depth int) {
	if d == nil {
		j.b.WriteString("null")
		return
	}
	o := j.object(depth)
	o.key("name")
	j.str(d.Name)
	o.key("unit")
	j.value(d.Unit, depth+1)
	o.key("started")
	j.time(d.Started, depth+1)
	o.key("ended")
	j.time(d.Ended, depth+1)
	o.key("outcome")
	j.str(d.Outcome.String())
	if d.StopCause != "" {
		o.key("stop_cause")
		j.str(d.StopCause)
	}
	o.key("phases")
	j.array(d.Phases == nil, len(d.Phases), depth+1, func(i int) { j.phase(d.Phases[i], depth+2) })
	o.end()
}

func (j *jsonWriter) phase(p *PhaseRecord, depth int) {
	if p == nil {
		j.b.WriteString("null")
		return
	}
	o := j.object(depth)
	o.key("name")
	j.str(p.Name)
	o.key("attempt")
	j.int(int64(p.Attempt))
	o.key("started")
	j.time(p.Started, depth+1)
	o.key("ended")
	j.time(p.Ended, depth+1)
	o.key("outcome")
	j.str(p.Outcome.String())
	if p.Error != "" {
		o.key("error")
		j.str(p.Error)
	}
	o.key("measurements")
	j.array(p.Measurements == nil, len(p.Measurements), depth+1, func(i int) { j.measurement(&p.Measurements[i], depth+2) })
	o.end()
}

// measurement writes m as its MarshalJSON does; an array measurement
// (rare, and long) goes through it.
func (j *jsonWriter) measurement(m *Measurement, depth int) {
	if m.Values != nil || m.Axis != nil {
		j.value(m, depth)
		return
	}
	o := j.object(depth)
	o.key("seq")
	j.b.Write(strconv.AppendUint(j.b.AvailableBuffer(), m.Seq, 10))
	o.key("dut")
	j.str(m.DUT)
	if m.Phase != "" {
		o.key("phase")
		j.str(m.Phase)
	}
	if m.Attempt != 0 {
		o.key("attempt")
		j.int(int64(m.Attempt))
	}
	o.key("name")
	j.str(m.Name)
	o.key("value")
	j.number(m.Value)
	o.key("unit")
	j.str(m.Unit)
	if m.Resolution != 0 {
		o.key("resolution")
		j.number(m.Resolution)
	}
	o.key("limit")
	j.limit(&m.Limit, depth+1)
	o.key("outcome")
	j.str(m.Outcome.String())
	o.key("time")
	j.time(m.Time, depth+1)
	o.end()
}

func (j *jsonWriter) limit(l *LimitSpec, depth int) {
	o := j.object(depth)
	o.key("comparator")
	j.str(string(l.Comparator))
	for _, f := range []struct {
		k string
		v *float64
	}{{"low", l.Low}, {"high", l.High}, {"nominal", l.Nominal}} {
		if f.v != nil {
			o.key(f.k)
			j.number(*f.v)
		}
	}
	if l.Marginal != 0 {
		o.key("marginal")
		j.number(l.Marginal)
	}
	if l.Name != "" {
		o.key("name")
		j.str(l.Name)
	}
	o.key("action")
	j.str(l.Action.String())
	o.end()
}

// series writes s as its MarshalJSON does, a point a line; one with a
// time encoding/json cannot write (never, from a run) goes through it,
// for its error.
func (j *jsonWriter) series(s *Series, depth int) {
	if s == nil {
		j.b.WriteString("null")
		return
	}
	for _, t := range s.Times {
		if math.IsNaN(t) || math.IsInf(t, 0) {
			j.value(s, depth)
			return
		}
	}
	o := j.object(depth)
	o.key("dut")
	j.str(s.DUT)
	o.key("name")
	j.str(s.Name)
	o.key("unit")
	j.str(s.Unit)
	o.key("samples")
	j.int(int64(s.Samples))
	if s.Bucket != 0 {
		o.key("bucket")
		j.int(int64(s.Bucket))
	}
	o.key("t")
	j.array(s.Times == nil, len(s.Times), depth+1, func(i int) { j.float(s.Times[i]) })
	o.key("v")
	j.array(s.Values == nil, len(s.Values), depth+1, func(i int) { j.number(s.Values[i]) })
	if s.Low != nil {
		o.key("low")
		j.number(*s.Low)
	}
	if s.High != nil {
		o.key("high")
		j.number(*s.High)
	}
	o.end()
}

// appendJSONString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters included).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
