package harness

import (
	"errors"
	"slices"
	"time"
)

// Record is everything a run did: its DUTs, phases and measurements, the
// faults and the safe-state actions. Every measurement taken before a stop
// is in it.
type Record struct {
	Name      string            `json:"name"`
	Started   time.Time         `json:"started"`
	Ended     time.Time         `json:"ended"`
	Outcome   Outcome           `json:"outcome"`
	StopCause string            `json:"stop_cause,omitempty"`
	DUTs      []*DUTRecord      `json:"duts"`
	Faults    []Fault           `json:"faults"`
	SafeState []SafeStateRecord `json:"safe_state"`
	Series    []*Series         `json:"series"`
	// Stuck names the goroutines that had not returned when Run gave up
	// waiting for them (Options.AbandonAfter after the safe state).
	Stuck []StuckGoroutine `json:"stuck,omitempty"`
}

// DUTRecord is one DUT's part of the record.
type DUTRecord struct {
	Name      string         `json:"name"`
	Outcome   Outcome        `json:"outcome"`
	StopCause string         `json:"stop_cause,omitempty"`
	Phases    []*PhaseRecord `json:"phases"`
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
}

// Measurement is one value with its unit, limit and outcome.
type Measurement struct {
	DUT     string    `json:"dut"`
	Phase   string    `json:"phase,omitempty"`
	Name    string    `json:"name"`
	Value   float64   `json:"value"`
	Unit    string    `json:"unit"`
	Limit   string    `json:"limit"`
	Outcome Outcome   `json:"outcome"`
	Time    time.Time `json:"time"`
}

// SafeStateRecord is one safe-state action as it ran.
type SafeStateRecord struct {
	Name     string        `json:"name"`
	DUT      string        `json:"dut,omitempty"`
	Time     time.Time     `json:"time"`
	Took     time.Duration `json:"took_ns"`
	Verified bool          `json:"verified"`
	Error    string        `json:"error,omitempty"`
}

// Series is a quantity over time, for charts: every measurement and
// monitor sample of one name on one DUT, with the limit lines to draw.
type Series struct {
	DUT    string    `json:"dut"`
	Name   string    `json:"name"`
	Unit   string    `json:"unit"`
	Times  []float64 `json:"t"` // seconds since the run started
	Values []float64 `json:"v"`
	Low    *float64  `json:"low,omitempty"`
	High   *float64  `json:"high,omitempty"`
}

func newRecord(name string) *Record {
	return &Record{Name: name, Started: time.Now()}
}

// dut finds or adds a DUT record.
func (r *Record) dut(name string) *DUTRecord {
	for _, d := range r.DUTs {
		if d.Name == name {
			return d
		}
	}
	d := &DUTRecord{Name: name}
	r.DUTs = append(r.DUTs, d)
	return d
}

func (d *DUTRecord) startPhase(name string, attempt int) *PhaseRecord {
	p := &PhaseRecord{Name: name, Attempt: attempt, Started: time.Now()}
	d.Phases = append(d.Phases, p)
	return p
}

func (d *DUTRecord) endPhase(p *PhaseRecord, err error) *PhaseRecord {
	p.Ended = time.Now()
	if err != nil {
		p.Error = err.Error()
		var limit *LimitError
		switch {
		case p.cut:
			p.Outcome = worse(p.Outcome, OutcomeAborted) // the stop's doing
		case errors.As(err, &limit):
			p.Outcome = worse(p.Outcome, OutcomeFail)
		default:
			p.Outcome = worse(p.Outcome, OutcomeError)
		}
	}
	return p
}

// addMeasurement files m in the running phase (or a phase of its own when
// none runs) and folds its outcome in, unless the limit only records.
func (d *DUTRecord) addMeasurement(m Measurement, action LimitAction) {
	var p *PhaseRecord
	if n := len(d.Phases); n > 0 && d.Phases[n-1].Ended.IsZero() {
		p = d.Phases[n-1]
	} else {
		p = &PhaseRecord{Name: "measurements", Attempt: 1, Started: m.Time}
		d.Phases = append(d.Phases, p)
	}
	p.Measurements = append(p.Measurements, m)
	if action != RecordOnly {
		p.Outcome = worse(p.Outcome, m.Outcome)
	}
}

// sample appends a point to a series.
func (r *Record) sample(dut, name, unit string, t time.Time, v float64) {
	var s *Series
	for _, x := range r.Series {
		if x.DUT == dut && x.Name == name {
			s = x
		}
	}
	if s == nil {
		s = &Series{DUT: dut, Name: name, Unit: unit}
		r.Series = append(r.Series, s)
	}
	s.Times = append(s.Times, t.Sub(r.Started).Seconds())
	s.Values = append(s.Values, v)
}

// setBand records the limit lines of a series.
func (r *Record) setBand(dut, name string, l Limit) {
	for _, s := range r.Series {
		if s.DUT == dut && s.Name == name {
			if l.HasLow {
				s.Low = &l.Low
			}
			if l.HasHigh {
				s.High = &l.High
			}
		}
	}
}

// close settles the DUT and run outcomes from their phases.
func (r *Record) close() {
	for _, d := range r.DUTs {
		// The last attempt of each phase decides it.
		last := map[string]*PhaseRecord{}
		for _, p := range d.Phases {
			if p.Ended.IsZero() { // still running when Run returned without it
				p.Ended = r.Ended
				p.Outcome = worse(p.Outcome, OutcomeAborted)
				if p.Error == "" {
					p.Error = "did not finish"
				}
			}
			last[p.Name] = p
		}
		for _, p := range last {
			d.Outcome = worse(d.Outcome, p.Outcome)
		}
		if d.cut {
			// Unfinished work is never a pass, whatever it measured so far.
			d.Outcome = worse(d.Outcome, OutcomeAborted)
			if d.StopCause == "" {
				d.StopCause = "aborted: " + r.StopCause
			}
		}
		r.Outcome = worse(r.Outcome, d.Outcome)
	}
	if len(r.Faults) > 0 {
		r.Outcome = worse(r.Outcome, OutcomeError)
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
	Count             int
	Min, Mean, Max    float64
	Worst             Outcome
}

// Summaries sums up a DUT's measurements by name, in order of first
// appearance.
func (d *DUTRecord) Summaries() []Summary {
	var out []Summary
	index := map[string]int{}
	for _, p := range d.Phases {
		for _, m := range p.Measurements {
			i, ok := index[m.Name]
			if !ok {
				i = len(out)
				index[m.Name] = i
				out = append(out, Summary{Name: m.Name, Unit: m.Unit, Limit: m.Limit, Min: m.Value, Max: m.Value})
			}
			s := &out[i]
			s.Count++
			s.Mean += (m.Value - s.Mean) / float64(s.Count)
			s.Min, s.Max = min(s.Min, m.Value), max(s.Max, m.Value)
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
