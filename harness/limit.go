package harness

import (
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

// Limit is what a measurement must satisfy.
type Limit struct {
	Low, High       float64
	HasLow, HasHigh bool
	// Marginal is a band inside each edge, as a fraction of the span (or
	// of the limit's magnitude for one-sided limits): values in it pass as
	// marginal.
	Marginal float64
	// Check, when set, decides instead: nil error passes.
	Check  func(v float64) error
	Name   string // describes a custom check
	Action LimitAction
}

// Between is Low <= v <= High.
func Between(low, high float64) Limit {
	return Limit{Low: low, High: high, HasLow: true, HasHigh: true}
}

// AtLeast is v >= low.
func AtLeast(low float64) Limit { return Limit{Low: low, HasLow: true} }

// AtMost is v <= high.
func AtMost(high float64) Limit { return Limit{High: high, HasHigh: true} }

// Equals is |v - x| <= tol.
func Equals(x, tol float64) Limit { return Between(x-tol, x+tol) }

// Custom is a limit decided by check, described by name.
func Custom(name string, check func(v float64) error) Limit { return Limit{Check: check, Name: name} }

// None records the value with no limit.
func None() Limit { return Limit{} }

// WithMarginal returns l with a marginal band of frac.
func (l Limit) WithMarginal(frac float64) Limit { l.Marginal = frac; return l }

// Then returns l with the action for a value out of it.
func (l Limit) Then(a LimitAction) Limit { l.Action = a; return l }

func (l Limit) check(v float64) Outcome {
	if math.IsNaN(v) {
		return OutcomeFail
	}
	if l.Check != nil {
		if l.Check(v) != nil {
			return OutcomeFail
		}
		return OutcomePass
	}
	if (l.HasLow && v < l.Low) || (l.HasHigh && v > l.High) {
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

func (l Limit) String() string {
	g := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	switch {
	case l.Check != nil:
		return l.Name
	case l.HasLow && l.HasHigh:
		return fmt.Sprintf("[%s, %s]", g(l.Low), g(l.High))
	case l.HasLow:
		return ">= " + g(l.Low)
	case l.HasHigh:
		return "<= " + g(l.High)
	}
	return "none"
}

func formatValue(v float64, unit string) string {
	return strconv.FormatFloat(v, 'g', 6, 64) + " " + unit
}
