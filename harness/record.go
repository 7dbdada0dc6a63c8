package harness

import (
	"encoding/json"
	"math"
	"slices"
	"time"
)

// SchemaVersion is the version of the record's JSON form
// (docs/schema/record.schema.json). Version 3 added a series' samples and
// bucket: its points may stand for more samples than they are, which a
// reader of version 2 (whose schema allows no other fields) would take
// for every sample.
const SchemaVersion = 3

// Record is everything a run did: who ran it where, its DUTs and the
// units in them, phases and measurements, the faults and the safe-state
// actions. It is the fold of the run's events (Replay): the harness keeps
// one as the run goes, and a store rebuilds the same from the events it
// keeps. Every measurement taken before a stop is in it.
type Record struct {
	SchemaVersion int               `json:"schema_version"`
	ID            string            `json:"id"`
	Name          string            `json:"name"`
	Station       string            `json:"station,omitempty"`
	Operator      string            `json:"operator,omitempty"`
	Batch         string            `json:"batch,omitempty"`
	Software      string            `json:"software,omitempty"`
	Config        map[string]string `json:"config,omitempty"`
	Started       time.Time         `json:"started"`
	Ended         time.Time         `json:"ended"`
	Outcome       Outcome           `json:"outcome"`
	StopCause     string            `json:"stop_cause,omitempty"`
	// Recovered is set when the station stopped before the run ended (a
	// crash, a kill, a power cut) and the run was closed as aborted when
	// its store was next opened.
	Recovered   bool                `json:"recovered,omitempty"`
	DUTs        []*DUTRecord        `json:"duts"`
	Faults      []Fault             `json:"faults"`
	SafeState   []SafeStateRecord   `json:"safe_state"`
	Series      []*Series           `json:"series"`
	Attachments []*AttachmentRecord `json:"attachments,omitempty"`
	// Prompts are the questions put to the operator, in the order asked,
	// with their answers.
	Prompts []*PromptRecord `json:"prompts,omitempty"`
	// Stuck names the goroutines that had not returned when Run gave up
	// waiting for them (Options.AbandonAfter after the safe state).
	Stuck []StuckGoroutine `json:"stuck,omitempty"`
	// Events is how many events the record is the fold of: the last Seq.
	Events uint64 `json:"events"`
}

// DUTRecord is one DUT's part of the record.
type DUTRecord struct {
	Name      string         `json:"name"`
	Unit      Unit           `json:"unit"`
	Started   time.Time      `json:"started"`
	Ended     time.Time      `json:"ended"`
	Outcome   Outcome        `json:"outcome"`
	StopCause string         `json:"stop_cause,omitempty"`
	Phases    []*PhaseRecord `json:"phases"`
	ended     bool           // its function returned (a dut.ended event)
	cut       bool           // a stop came while its function ran
}

// PhaseRecord is one attempt of a phase.
type PhaseRecord struct {
	Name         string        `json:"name"`
	Attempt      int           `json:"attempt"`
	Started      time.Time     `json:"started"`
	Ended        time.Time     `json:"ended"`
	Outcome      Outcome       `json:"outcome"`
	Error        string        `json:"error,omitempty"`
	Measurements []Measurement `json:"measurements"`
	cut          bool          // a stop came while it ran
	// kept holds the live record's measurements until the run ends
	// (fold.flush); Measurements holds them from then on.
	kept *keptMeasurements
}

// Measurement is one value (or array of values) with its unit, limit and
// outcome.
type Measurement struct {
	Seq     uint64 `json:"seq"` // its event's
	DUT     string `json:"dut"`
	Phase   string `json:"phase,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
	Name    string `json:"name"`
	// Value is a scalar measurement's value; Values, with Axis, an array's
	// or a waveform's (Value is then its worst point).
	Value  float64   `json:"-"`
	Values []float64 `json:"-"`
	Axis   *Axis     `json:"axis,omitempty"`
	Unit   string    `json:"unit"`
	// Resolution, when known, is the step the value is good to (a
	// meter's resolution): reports round to it.
	Resolution float64   `json:"resolution,omitempty"`
	Limit      LimitSpec `json:"limit"`
	Outcome    Outcome   `json:"outcome"`
	Time       time.Time `json:"time"`
}

// Axis is what an array measurement's points are measured against: time
// for a waveform, frequency for a spectrum. Either Values lists each
// point's position or Start and Step give them.
type Axis struct {
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Start  float64   `json:"start"`
	Step   float64   `json:"step,omitempty"`
	Values []float64 `json:"values,omitempty"`
}

type axisJSON struct {
	Name   string       `json:"name"`
	Unit   string       `json:"unit"`
	Start  jsonNumber   `json:"start"`
	Step   jsonNumber   `json:"step,omitempty"`
	Values []jsonNumber `json:"values,omitempty"`
}

// MarshalJSON writes a non-finite position as "NaN", "+Inf" or "-Inf".
func (a Axis) MarshalJSON() ([]byte, error) {
	return json.Marshal(axisJSON{a.Name, a.Unit, jsonNumber(a.Start), jsonNumber(a.Step), numbers(a.Values)})
}

func (a *Axis) UnmarshalJSON(b []byte) error {
	var j axisJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*a = Axis{j.Name, j.Unit, float64(j.Start), float64(j.Step), floats(j.Values)}
	return nil
}

// At is the position of point i on the axis.
func (a *Axis) At(i int) float64 {
	if i < len(a.Values) {
		return a.Values[i]
	}
	return a.Start + float64(i)*a.Step
}

type measurementJSON struct {
	Seq        uint64       `json:"seq"`
	DUT        string       `json:"dut"`
	Phase      string       `json:"phase,omitempty"`
	Attempt    int          `json:"attempt,omitempty"`
	Name       string       `json:"name"`
	Value      jsonNumber   `json:"value"`
	Values     []jsonNumber `json:"values,omitempty"`
	Axis       *Axis        `json:"axis,omitempty"`
	Unit       string       `json:"unit"`
	Resolution jsonNumber   `json:"resolution,omitempty"`
	Limit      LimitSpec    `json:"limit"`
	Outcome    Outcome      `json:"outcome"`
	Time       time.Time    `json:"time"`
}

// MarshalJSON writes NaN and the infinities (an overloaded meter) as the
// strings "NaN", "+Inf" and "-Inf", which JSON has no numbers for.
func (m Measurement) MarshalJSON() ([]byte, error) {
	return json.Marshal(measurementJSON{m.Seq, m.DUT, m.Phase, m.Attempt, m.Name, jsonNumber(m.Value), numbers(m.Values),
		m.Axis, m.Unit, jsonNumber(m.Resolution), m.Limit, m.Outcome, m.Time})
}

func (m *Measurement) UnmarshalJSON(b []byte) error {
	var j measurementJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = Measurement{j.Seq, j.DUT, j.Phase, j.Attempt, j.Name, float64(j.Value), floats(j.Values), j.Axis, j.Unit,
		float64(j.Resolution), j.Limit, j.Outcome, j.Time}
	if m.Axis != nil && m.Values == nil {
		m.Values = []float64{} // a waveform of no points, which JSON's omitempty left out
	}
	return nil
}

// Format is the value with its unit, rounded to the measurement's
// resolution where it has one.
func (m Measurement) Format() string { return formatResolved(m.Value, m.Unit, m.Resolution) }

// SafeStateRecord is one safe-state action as it ran.
type SafeStateRecord struct {
	Name     string        `json:"name"`
	DUT      string        `json:"dut,omitempty"`
	Time     time.Time     `json:"time"`
	Took     time.Duration `json:"took_ns"`
	Verified bool          `json:"verified"`
	Error    string        `json:"error,omitempty"`
}

// AttachmentRecord is an attachment as the record keeps it.
type AttachmentRecord struct {
	Seq       uint64    `json:"seq"`
	DUT       string    `json:"dut,omitempty"`
	Name      string    `json:"name"`
	MediaType string    `json:"media_type"`
	Time      time.Time `json:"time"`
	Data      []byte    `json:"data"`
}

// PromptRecord is a prompt as the record keeps it: the question, and
// its answer or why there was none. A refused answer ends the prompt as
// cancelled (Reason "refused"); the question asked again is the next
// prompt.
type PromptRecord struct {
	ID        string    `json:"id"`
	DUT       string    `json:"dut,omitempty"`
	Text      string    `json:"text"`
	Input     InputKind `json:"input"`
	Choices   []string  `json:"choices,omitempty"`
	ImageType string    `json:"image_type,omitempty"` // the picture itself is in the prompt's event
	Asked     time.Time `json:"asked"`
	Ended     time.Time `json:"ended"` // zero while it waits
	State     string    `json:"state"` // "waiting", "answered", "cancelled"
	Answer    string    `json:"answer,omitempty"`
	By        string    `json:"by,omitempty"`
	Reason    string    `json:"reason,omitempty"` // a cancellation's: "stop", "timeout", "refused", "error"
	Cause     string    `json:"cause,omitempty"`
}

// The states of a prompt (PromptRecord.State).
const (
	PromptWaiting   = "waiting"
	PromptAnswered  = "answered"
	PromptCancelled = "cancelled"
)

// Series is a quantity over time, for charts: the scalar measurements
// and monitor samples of one name on one DUT, with the limit lines to
// draw. It keeps every sample up to a cap of points (Options.SeriesPoints,
// DefaultSeriesPoints); past it, the smallest and largest sample of each
// bucket of Bucket samples, in time order, and the first and last
// samples, so that memory is bounded however long the run and a spike
// still shows. Every sample is in the run's events (the station store),
// and every measurement in its phase.
type Series struct {
	DUT    string    `json:"dut"`
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Times  []float64 `json:"-"` // seconds since the run started
	Values []float64 `json:"-"`
	// Samples is how many samples the series took: len(Times) unless it
	// is decimated.
	Samples int `json:"samples"`
	// Bucket, when the series is decimated, is the width of its buckets
	// in samples, each drawn by its smallest and largest sample; 0 when
	// the series keeps every sample.
	Bucket int      `json:"bucket,omitempty"`
	Low    *float64 `json:"low,omitempty"`
	High   *float64 `json:"high,omitempty"`
}

// Decimated reports whether the series keeps fewer points than it took
// samples: the minimum and maximum of each of Buckets buckets.
func (s *Series) Decimated() bool { return s.Bucket > 0 }

// Buckets is how many buckets a decimated series' points are the
// extremes of.
func (s *Series) Buckets() int {
	if s.Bucket <= 0 {
		return 0
	}
	return (s.Samples + s.Bucket - 1) / s.Bucket
}

type seriesJSON struct {
	DUT     string       `json:"dut"`
	Name    string       `json:"name"`
	Unit    string       `json:"unit"`
	Samples int          `json:"samples"`
	Bucket  int          `json:"bucket,omitempty"`
	Times   []float64    `json:"t"`
	Values  []jsonNumber `json:"v"`
	Low     *jsonNumber  `json:"low,omitempty"`
	High    *jsonNumber  `json:"high,omitempty"`
}

func (s Series) MarshalJSON() ([]byte, error) {
	return json.Marshal(seriesJSON{s.DUT, s.Name, s.Unit, s.Samples, s.Bucket, s.Times, numbers(s.Values),
		(*jsonNumber)(s.Low), (*jsonNumber)(s.High)})
}

func (s *Series) UnmarshalJSON(b []byte) error {
	var j seriesJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Series{DUT: j.DUT, Name: j.Name, Unit: j.Unit, Times: j.Times, Values: floats(j.Values), Samples: j.Samples, Bucket: j.Bucket,
		Low: (*float64)(j.Low), High: (*float64)(j.High)}
	return nil
}

func newRecord() *Record { return &Record{SchemaVersion: SchemaVersion} }

// Replay folds a run's events, in order, into its record: what the
// harness built as the run went, rebuilt. A run whose events stop short
// of run.ended has a zero Ended; AbortedEnd settles it.
func Replay(events []Event) *Record {
	var rp Replayer
	for i := range events {
		rp.Add(&events[i])
	}
	return rp.Record()
}

// A Replayer folds a run's events into its record one at a time, as Replay
// does with a slice of them: a store rebuilding the record of a long run
// (millions of monitor samples) reads its events a page at a time and
// never holds them all, only the record they make. The zero Replayer is
// ready to use.
type Replayer struct {
	f    *fold
	last Event // the last event added, without its payload
}

// Add folds the next event in. The record may keep the event's payload
// (a measurement, an attachment's bytes): the caller must not change it
// afterwards.
func (rp *Replayer) Add(e *Event) {
	if rp.f == nil {
		rp.f = newFold(newRecord())
	}
	rp.f.apply(e)
	rp.last = Event{Run: e.Run, Seq: e.Seq, Time: e.Time}
}

// Events is how many events were added.
func (rp *Replayer) Events() int {
	if rp.f == nil {
		return 0
	}
	return rp.f.added
}

// Record is the record of the events added so far.
func (rp *Replayer) Record() *Record {
	if rp.f == nil {
		rp.f = newFold(newRecord())
	}
	rp.f.fillSeries() // a run still going has no run.ended to do it
	return rp.f.r
}

// AbortedEnd is the run.ended event that closes the run of the events
// added, which stop short of one: see the function AbortedEnd.
func (rp *Replayer) AbortedEnd() Event {
	r := rp.Record()
	end := r.settle(StationStopped, func(d *DUTRecord) bool { return !d.ended })
	end.Outcome = worse(end.Outcome, OutcomeAborted)
	end.Recovered = true
	return Event{Run: rp.last.Run, Seq: rp.last.Seq + 1, Time: rp.last.Time, Kind: EventRunEnded, End: &end}
}

// fold is a record being built from events, with its DUTs and series
// indexed by name: a run's events are folded in under its lock, one per
// measurement, and a scan of every DUT and series at each (64 DUTs, a
// series each) cost more than the rest of the measurement.
type fold struct {
	r      *Record
	duts   map[string]*DUTRecord
	series map[seriesKey]*foldSeries
	// measurements and failed count the record's measurements and those
	// out of limits, for the progress line.
	measurements, failed int
	added                int // events applied
	// compact says measurements are kept compact until the run ends
	// (keptMeasurements), in chunks from pool, as are series points: the
	// live record's fold, not Replay's, whose events already hold every
	// measurement whole.
	compact bool
	pool    *chunkPool
	// seriesPoints is the cap of points of each series, as run.started
	// says (RunInfo.SeriesPoints), so that every fold of the run's events
	// decimates alike.
	seriesPoints int
}

type seriesKey struct{ dut, name string }

// foldSeries is a series of the record and the points it keeps, which
// become its Times and Values when the run ends (fold.fillSeries).
type foldSeries struct {
	s      *Series
	points seriesPoints
	filled int // points.n when s last took its points
}

func newFold(r *Record) *fold {
	return &fold{r: r, duts: map[string]*DUTRecord{}, series: map[seriesKey]*foldSeries{}}
}

// apply folds one event into the record.
func (f *fold) apply(e *Event) {
	r := f.r
	f.added++
	r.Events = e.Seq
	switch e.Kind {
	case EventRunStarted:
		r.ID, r.Started = e.Run, e.Time
		if in := e.Info; in != nil {
			r.Name, r.Station, r.Operator, r.Batch, r.Software, r.Config = in.Name, in.Station, in.Operator, in.Batch, in.Software, in.Config
			f.seriesPoints = in.SeriesPoints
		}
	case EventDUTStarted:
		d := f.dut(e.DUT)
		d.Started = e.Time
		if e.Unit != nil {
			d.Unit = d.Unit.Merge(*e.Unit)
		}
	case EventUnit:
		if e.Unit != nil {
			d := f.dut(e.DUT)
			d.Unit = d.Unit.Merge(*e.Unit)
		}
	case EventDUTEnded:
		d := f.dut(e.DUT)
		d.ended, d.Ended = true, e.Time
	case EventPhaseStarted:
		if e.Phase != nil {
			d := f.dut(e.DUT)
			d.Phases = append(d.Phases, &PhaseRecord{Name: e.Phase.Name, Attempt: e.Phase.Attempt, Started: e.Time})
		}
	case EventPhaseEnded:
		if e.Phase == nil {
			return
		}
		d := f.dut(e.DUT)
		for i := len(d.Phases) - 1; i >= 0; i-- {
			p := d.Phases[i]
			if p.Name == e.Phase.Name && p.Attempt == e.Phase.Attempt && p.Ended.IsZero() {
				p.Ended, p.Outcome, p.Error = e.Time, e.Phase.Outcome, e.Phase.Error
				break
			}
		}
	case EventMeasurement:
		if m := e.Measurement; m != nil {
			f.dut(e.DUT).addMeasurement(m, f.compact, f.pool)
			f.measurements++
			if m.Outcome == OutcomeFail {
				f.failed++
			}
			if m.Values == nil {
				f.sample(e.DUT, m.Name, m.Unit, m.Time, m.Value, &m.Limit)
			}
		}
	case EventSample:
		if s := e.Sample; s != nil {
			f.sample(e.DUT, s.Name, s.Unit, e.Time, s.Value, s.Band)
		}
	case EventAttachment:
		if a := e.Attachment; a != nil {
			r.Attachments = append(r.Attachments, &AttachmentRecord{Seq: e.Seq, DUT: e.DUT, Name: a.Name, MediaType: a.MediaType, Time: e.Time, Data: a.Data})
		}
	case EventFault:
		if flt := e.Fault; flt != nil {
			r.Faults = append(r.Faults, *flt)
			if flt.DUT != "" {
				// Whatever its policy, the DUT a fault names did not pass.
				d := f.dut(flt.DUT)
				d.Outcome = worse(d.Outcome, OutcomeError)
				if d.StopCause == "" {
					d.StopCause = flt.Error()
				}
			}
		}
	case EventSafeState:
		if s := e.SafeState; s != nil {
			r.SafeState = append(r.SafeState, *s)
		}
	case EventPrompt:
		if p := e.Prompt; p != nil {
			r.Prompts = append(r.Prompts, &PromptRecord{ID: p.ID, DUT: e.DUT, Text: p.Text, Input: p.Input, Choices: p.Choices,
				ImageType: p.ImageType, Asked: e.Time, State: PromptWaiting})
		}
	case EventPromptAnswered, EventPromptCancelled:
		if p := e.Prompt; p != nil {
			for _, x := range slices.Backward(r.Prompts) {
				if x.ID == p.ID && x.State == PromptWaiting {
					x.Ended, x.State, x.Answer, x.By, x.Reason, x.Cause = e.Time, PromptAnswered, p.Answer, p.By, p.Reason, p.Cause
					if e.Kind == EventPromptCancelled {
						x.State = PromptCancelled
					}
					break
				}
			}
		}
	case EventStopping:
		if r.StopCause == "" {
			r.StopCause = e.Cause
		}
	case EventRunEnded:
		if e.End != nil {
			f.flush()
			r.end(e.Time, e.End)
		}
	}
}

// dut finds or adds a DUT record.
func (f *fold) dut(name string) *DUTRecord {
	if d := f.duts[name]; d != nil {
		return d
	}
	d := &DUTRecord{Name: name}
	f.r.DUTs = append(f.r.DUTs, d)
	f.duts[name] = d
	return d
}

// addMeasurement files m in its phase (the running one of its name, or a
// phase of its own when none runs) and folds its outcome in, unless the
// limit only records. A compact phase keeps it in p.kept.
func (d *DUTRecord) addMeasurement(m *Measurement, compact bool, pool *chunkPool) {
	var p *PhaseRecord
	if n := len(d.Phases); n > 0 && d.Phases[n-1].Ended.IsZero() && (m.Phase == "" || d.Phases[n-1].Name == m.Phase) {
		p = d.Phases[n-1]
	} else {
		p = &PhaseRecord{Name: "measurements", Attempt: 1, Started: m.Time, Ended: m.Time}
		d.Phases = append(d.Phases, p)
	}
	if compact {
		if p.kept == nil {
			p.kept = &keptMeasurements{}
		}
		p.kept.add(m, pool)
	} else {
		p.Measurements = appendDoubling(p.Measurements, *m)
	}
	if m.Limit.Action != RecordOnly {
		p.Outcome = worse(p.Outcome, m.Outcome)
	}
}

// flush makes every phase's kept measurements its Measurements, and
// every series' kept points its Times and Values: the run has ended, and
// the record goes to its readers.
func (f *fold) flush() {
	for _, d := range f.r.DUTs {
		for _, p := range d.Phases {
			if p.kept != nil {
				p.Measurements = p.kept.measurements()
				p.kept = nil
			}
		}
	}
	f.fillSeries()
}

// fillSeries gives every series that took samples since it was last
// filled its points.
func (f *fold) fillSeries() {
	for _, fs := range f.series {
		if fs.filled != fs.points.n {
			fs.points.fill(fs.s)
			fs.filled = fs.points.n
		}
	}
}

// sample adds a sample to a series; band, when the series has no limit
// lines yet, gives them.
func (f *fold) sample(dut, name, unit string, t time.Time, v float64, band *LimitSpec) {
	r := f.r
	k := seriesKey{dut, name}
	fs := f.series[k]
	if fs == nil {
		fs = &foldSeries{s: &Series{DUT: dut, Name: name, Unit: unit}, points: newSeriesPoints(seriesCap(f.seriesPoints))}
		r.Series = append(r.Series, fs.s)
		f.series[k] = fs
	}
	s := fs.s
	if band != nil && s.Low == nil && s.High == nil {
		s.Low, s.High = band.Low, band.High
	}
	fs.points.add(t.Sub(r.Started).Seconds(), v, f.pool)
}

// appendDoubling is append, but a full slice doubles, where append grows
// a large one by a quarter. The record only grows, and each growth copies
// it into fresh memory, a page fault per page touched: by quarters, each
// element is copied about four times over, doubling about once.
func appendDoubling[T any](s []T, v T) []T {
	if n := len(s); n == cap(s) && n >= 256 {
		s = slices.Grow(s, n)
	}
	return append(s, v)
}

// settle works out the verdicts of a run ending at the time given:
// cut reports the DUTs a stop cut short. Every run of a phase counts (a
// loop's, or each measurement taken outside a phase), and the last
// attempt of a run that was retried decides that run; a phase still
// running is aborted, and so is a DUT cut short, whatever it measured so
// far.
func (r *Record) settle(stopCause string, cut func(d *DUTRecord) bool) RunEnd {
	end := RunEnd{StopCause: stopCause}
	for _, d := range r.DUTs {
		v := DUTVerdict{Name: d.Name, Outcome: d.Outcome, StopCause: d.StopCause}
		// The outcome of the latest run of each phase name, whose retries
		// may still replace it: a first attempt starts a new run, and the
		// one before it is then final.
		last := map[string]Outcome{}
		for _, p := range d.Phases {
			o := p.Outcome
			if p.Ended.IsZero() {
				o = worse(o, OutcomeAborted)
			}
			if prev, ok := last[p.Name]; ok && p.Attempt <= 1 {
				v.Outcome = worse(v.Outcome, prev)
			}
			last[p.Name] = o
		}
		for _, o := range last {
			v.Outcome = worse(v.Outcome, o)
		}
		if cut(d) {
			v.Outcome = worse(v.Outcome, OutcomeAborted)
			if v.StopCause == "" {
				v.StopCause = "aborted: " + firstNonEmpty(stopCause, "cut short")
			}
		}
		end.Outcome = worse(end.Outcome, v.Outcome)
		end.DUTs = append(end.DUTs, v)
	}
	if len(r.Faults) > 0 {
		end.Outcome = worse(end.Outcome, OutcomeError)
	}
	return end
}

// StationStopped is the stop cause of a run the station stopped before it
// ended: a crash, a kill, a power cut.
const StationStopped = "station stopped unexpectedly"

// AbortedEnd is the run.ended event that closes a run whose events stop
// short of one (the station stopped while it ran): every DUT whose
// function had not returned is aborted, the cause is StationStopped, and
// the time is that of its last event.
func AbortedEnd(events []Event) Event {
	var rp Replayer
	for i := range events {
		rp.Add(&events[i])
	}
	return rp.AbortedEnd()
}

// end folds the run's verdicts in.
func (r *Record) end(at time.Time, e *RunEnd) {
	r.Ended, r.Outcome, r.StopCause, r.Stuck, r.Recovered = at, e.Outcome, e.StopCause, e.Stuck, e.Recovered
	for _, p := range r.Prompts {
		if p.State == PromptWaiting { // the station stopped while it waited
			p.Ended, p.State, p.Reason, p.Cause = at, PromptCancelled, PromptStopped, "the run ended before an answer came"
		}
	}
	verdicts := map[string]DUTVerdict{}
	for _, v := range e.DUTs {
		verdicts[v.Name] = v
	}
	for _, d := range r.DUTs {
		for _, p := range d.Phases {
			if p.Ended.IsZero() { // still running when the run ended without it
				p.Ended = at
				p.Outcome = worse(p.Outcome, OutcomeAborted)
				if p.Error == "" {
					p.Error = "did not finish"
				}
			}
		}
		if d.Ended.IsZero() {
			d.Ended = at
		}
		if v, ok := verdicts[d.Name]; ok {
			d.Outcome, d.StopCause = v.Outcome, v.StopCause
		}
	}
	slices.SortStableFunc(r.Series, func(a, b *Series) int {
		if a.DUT != b.DUT {
			return compare(a.DUT, b.DUT)
		}
		return compare(a.Name, b.Name)
	})
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Summary is one measurement name of one DUT, summed up.
type Summary struct {
	Name, Unit, Limit string
	Resolution        float64
	Count             int // points: an array measurement counts each
	Min, Mean, Max    float64
	Worst             Outcome
}

// Summaries sums up a DUT's measurements by name, in order of first
// appearance.
func (d *DUTRecord) Summaries() []Summary {
	var out []Summary
	index := map[string]int{}
	for _, p := range d.Phases {
		for j := range p.Measurements {
			m := &p.Measurements[j]
			i, ok := index[m.Name]
			if !ok {
				i = len(out)
				index[m.Name] = i
				out = append(out, Summary{Name: m.Name, Unit: m.Unit, Limit: m.Limit.Format(m.Unit), Resolution: m.Resolution,
					Min: math.Inf(1), Max: math.Inf(-1)})
			}
			s := &out[i]
			points := m.Values
			if points == nil {
				points = []float64{m.Value}
			}
			for _, v := range points {
				s.Count++
				s.Mean += (v - s.Mean) / float64(s.Count)
				s.Min, s.Max = min(s.Min, v), max(s.Max, v)
			}
			s.Worst = worse(s.Worst, m.Outcome)
		}
	}
	return out
}

// Measurements lists every measurement of the run, in order.
func (r *Record) Measurements() []Measurement {
	var out []Measurement
	for _, d := range r.DUTs {
		for _, p := range d.Phases {
			out = append(out, p.Measurements...)
		}
	}
	return out
}
