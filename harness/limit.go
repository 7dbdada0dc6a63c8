package harness

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Outcome is the result of a measurement, phase, DUT or run.
type Outcome int

// The outcomes, from best to worst: where several apply (a phase's
// measurements, a DUT's phases, a run's DUTs) the worst wins. Only pass
// and marginal pass.
const (
	OutcomePass     Outcome = iota
	OutcomeMarginal         // within limits, but inside the marginal band of one
	OutcomeFail             // outside limits
	OutcomeAborted          // cut short before it finished: a stop, a signal, a timeout, a fault elsewhere
	OutcomeError            // could not be completed: an error or a fault of its own
)

var outcomeNames = [...]string{"pass", "marginal", "fail", "aborted", "error"}

// Passed reports whether the outcome is a pass (marginal included).
func (o Outcome) Passed() bool { return o == OutcomePass || o == OutcomeMarginal }

func (o Outcome) String() string {
	if o < 0 || int(o) >= len(outcomeNames) {
		return fmt.Sprintf("Outcome(%d)", int(o))
	}
	return outcomeNames[o]
}

// MarshalText writes the outcome as its name in JSON.
func (o Outcome) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads an outcome's name, so a saved record loads back.
func (o *Outcome) UnmarshalText(b []byte) error {
	for i, name := range outcomeNames {
		if string(b) == name {
			*o = Outcome(i)
			return nil
		}
	}
	return fmt.Errorf("harness: unknown outcome %q", b)
}

// worse returns the worse of two outcomes.
func worse(a, b Outcome) Outcome { return max(a, b) }

// LimitAction is what a measurement out of its limits does.
type LimitAction int

const (
	Fail       LimitAction = iota // the phase (and DUT, run) fail; the run goes on
	RecordOnly                    // recorded and shown, but the outcome stays pass
	StopDUT                       // fail, and end this DUT
	StopRun                       // fail, and stop the whole run
)

var actionNames = [...]string{"fail", "record_only", "stop_dut", "stop_run"}

func (a LimitAction) String() string {
	if a < 0 || int(a) >= len(actionNames) {
		return fmt.Sprintf("LimitAction(%d)", int(a))
	}
	return actionNames[a]
}

// MarshalText writes the action as its name in JSON.
func (a LimitAction) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an action's name.
func (a *LimitAction) UnmarshalText(b []byte) error {
	for i, name := range actionNames {
		if string(b) == name {
			*a = LimitAction(i)
			return nil
		}
	}
	return fmt.Errorf("harness: unknown limit action %q", b)
}

// Limit is what a measurement must satisfy.
type Limit struct {
	Low, High       float64
	HasLow, HasHigh bool
	// Marginal is a band inside each edge, as a fraction of the span (or
	// of the limit's magnitude for one-sided limits): values in it pass as
	// marginal.
	Marginal float64
	// Check, when set, decides instead: nil error passes.
	Check   func(v float64) error
	Name    string // describes a custom check
	Action  LimitAction
	nominal *float64 // Equals's x
}

// Between is Low <= v <= High.
func Between(low, high float64) Limit {
	return Limit{Low: low, High: high, HasLow: true, HasHigh: true}
}

// AtLeast is v >= low.
func AtLeast(low float64) Limit { return Limit{Low: low, HasLow: true} }

// AtMost is v <= high.
func AtMost(high float64) Limit { return Limit{High: high, HasHigh: true} }

// Equals is |v - x| <= tol; the record keeps x as the nominal.
func Equals(x, tol float64) Limit {
	l := Between(x-tol, x+tol)
	l.nominal = &x
	return l
}

// Custom is a limit decided by check, described by name.
func Custom(name string, check func(v float64) error) Limit { return Limit{Check: check, Name: name} }

// None records the value with no limit.
func None() Limit { return Limit{} }

// WithMarginal returns l with a marginal band of frac.
func (l Limit) WithMarginal(frac float64) Limit { l.Marginal = frac; return l }

// Then returns l with the action for a value out of it.
func (l Limit) Then(a LimitAction) Limit { l.Action = a; return l }

func (l Limit) check(v float64) Outcome {
	if l.Check == nil && !l.HasLow && !l.HasHigh {
		return OutcomePass // recorded only, as OpenHTF's measurement without validators
	}
	if math.IsNaN(v) {
		return OutcomeFail
	}
	if l.Check != nil {
		if l.Check(v) != nil {
			return OutcomeFail
		}
		return OutcomePass
	}
	// Written so that a NaN bound (a limit computed from a reading that
	// was 9.91E37, NaN) fails every value rather than pass them all.
	if (l.HasLow && !(v >= l.Low)) || (l.HasHigh && !(v <= l.High)) {
		return OutcomeFail
	}
	if l.Marginal > 0 {
		band := l.Marginal * math.Abs(l.High-l.Low)
		if !(l.HasLow && l.HasHigh) {
			band = l.Marginal * math.Max(math.Abs(l.Low), math.Abs(l.High))
		}
		if (l.HasLow && v < l.Low+band) || (l.HasHigh && v > l.High-band) {
			return OutcomeMarginal
		}
	}
	return OutcomePass
}

func (l Limit) String() string { return l.Spec().String() }

// Comparator names how a limit compares: what a report, a database query
// or a yield analysis reads, where a display string would have to be
// parsed.
type Comparator string

const (
	CompareNone    Comparator = "none"     // recorded only
	CompareBetween Comparator = "between"  // low <= v <= high
	CompareEquals  Comparator = "equals"   // |v - nominal| <= tolerance, stored as low and high
	CompareAtLeast Comparator = "at_least" // v >= low
	CompareAtMost  Comparator = "at_most"  // v <= high
	CompareCustom  Comparator = "custom"   // a check of the program's, named
)

// LimitSpec is a limit as the record stores it: numbers and a
// comparator, never a display string.
type LimitSpec struct {
	Comparator Comparator `json:"comparator"`
	Low        *float64   `json:"low,omitempty"`
	High       *float64   `json:"high,omitempty"`
	Nominal    *float64   `json:"nominal,omitempty"`
	Marginal   float64    `json:"marginal,omitempty"` // the marginal band, as a fraction
	Name       string     `json:"name,omitempty"`     // a custom check's name
	// Action is what a value out of it did: a RecordOnly limit's
	// failures do not fail the phase.
	Action LimitAction `json:"action"`
}

type limitSpecJSON struct {
	Comparator Comparator  `json:"comparator"`
	Low        *jsonNumber `json:"low,omitempty"`
	High       *jsonNumber `json:"high,omitempty"`
	Nominal    *jsonNumber `json:"nominal,omitempty"`
	Marginal   jsonNumber  `json:"marginal,omitempty"`
	Name       string      `json:"name,omitempty"`
	Action     LimitAction `json:"action"`
}

// MarshalJSON writes a bound of ±Inf (a limit with one side open, read
// from a file) or NaN as a string, as the measurement's value is.
func (s LimitSpec) MarshalJSON() ([]byte, error) {
	return json.Marshal(limitSpecJSON{s.Comparator, (*jsonNumber)(s.Low), (*jsonNumber)(s.High), (*jsonNumber)(s.Nominal),
		jsonNumber(s.Marginal), s.Name, s.Action})
}

func (s *LimitSpec) UnmarshalJSON(b []byte) error {
	var j limitSpecJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = LimitSpec{j.Comparator, (*float64)(j.Low), (*float64)(j.High), (*float64)(j.Nominal), float64(j.Marginal), j.Name, j.Action}
	return nil
}

// same reports whether l and o, neither a custom check, make the same
// spec: numbers compared bit for bit, so -0 and 0 differ as their
// reports would.
func (l Limit) same(o Limit) bool {
	eq := func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }
	if (l.nominal == nil) != (o.nominal == nil) || (l.nominal != nil && !eq(*l.nominal, *o.nominal)) {
		return false
	}
	return eq(l.Low, o.Low) && eq(l.High, o.High) && l.HasLow == o.HasLow && l.HasHigh == o.HasHigh &&
		eq(l.Marginal, o.Marginal) && l.Name == o.Name && l.Action == o.Action && l.Check == nil && o.Check == nil
}

// Spec is the limit as the record stores it.
func (l Limit) Spec() LimitSpec {
	s := LimitSpec{Comparator: CompareNone, Marginal: l.Marginal, Action: l.Action}
	if l.Check != nil {
		s.Comparator, s.Name = CompareCustom, l.Name
		return s
	}
	if !l.HasLow && !l.HasHigh {
		return s
	}
	// The numbers share one allocation: every measurement makes a spec.
	v := &[3]float64{l.Low, l.High}
	switch {
	case l.HasLow && l.HasHigh:
		s.Comparator = CompareBetween
		if l.nominal != nil {
			v[2] = *l.nominal
			s.Comparator, s.Nominal = CompareEquals, &v[2]
		}
	case l.HasLow:
		s.Comparator = CompareAtLeast
	case l.HasHigh:
		s.Comparator = CompareAtMost
	}
	if l.HasLow {
		s.Low = &v[0]
	}
	if l.HasHigh {
		s.High = &v[1]
	}
	return s
}

// String is the limit for people: "[4.75, 5.25]", ">= 3", "<= 85".
func (s LimitSpec) String() string { return s.Format("") }

// Format is the limit with unit after each number: "[4.75 V, 5.25 V]".
func (s LimitSpec) Format(unit string) string {
	g := func(x *float64) string {
		t := strconv.FormatFloat(*x, 'g', -1, 64)
		if unit != "" {
			t += " " + unit
		}
		return t
	}
	switch s.Comparator {
	case CompareCustom:
		return s.Name
	case CompareEquals:
		if s.Nominal != nil && s.Low != nil && s.High != nil {
			tol := strconv.FormatFloat(*s.High-*s.Nominal, 'g', 6, 64)
			if unit != "" {
				tol += " " + unit
			}
			return g(s.Nominal) + " ± " + tol
		}
		fallthrough
	case CompareBetween:
		if s.Low != nil && s.High != nil {
			return "[" + g(s.Low) + ", " + g(s.High) + "]"
		}
	case CompareAtLeast:
		if s.Low != nil {
			return ">= " + g(s.Low)
		}
	case CompareAtMost:
		if s.High != nil {
			return "<= " + g(s.High)
		}
	}
	return "none"
}

func formatValue(v float64, unit string) string {
	return strconv.FormatFloat(v, 'g', 6, 64) + " " + unit
}

// formatResolved is v rounded to resolution (when it has one) with unit.
func formatResolved(v float64, unit string, resolution float64) string {
	if resolution <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return formatValue(v, unit)
	}
	s := string(appendResolved(nil, v, resolution))
	if unit != "" {
		s += " " + unit
	}
	return s
}

// appendResolved appends formatResolved's number, without the unit.
func appendResolved(b []byte, v, resolution float64) []byte {
	if resolution <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.AppendFloat(b, v, 'g', 6, 64)
	}
	digits := max(0, int(math.Ceil(-math.Log10(resolution)-1e-9)))
	return strconv.AppendFloat(b, math.Round(v/resolution)*resolution, 'f', digits, 64)
}
