package dut

import (
	"testing"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// switchedOn is a board on an output at 12 V with a 1 A limit, switched
// on at start on the output's clock, which stays there: measurements
// give their own times.
func switchedOn(start time.Time) (*sim.Output, *dutDevice) {
	o := sim.NewOutput(sim.OutputRange{Name: "CH1", MaxV: 30, MaxI: 3})
	o.SetClock(func() time.Time { return start })
	d := newDUT()
	d.PoweredBy(o)
	o.Connect(d)
	o.SetVoltage(12)
	o.SetCurrentLimit(1)
	o.SetOn(true)
	return o, d
}

// A board's inrush starts when its supply's output comes on, whoever
// looks first: measured 100 ms (five time constants) later, the draw is
// the steady 0.5 A. It used to start at the first measurement, so a
// current monitor whose first reading came before anything else asked
// the board saw the inrush's peak (the supply's 1 A limit) and faulted a
// board that was fine.
func TestInrushStartsWhenTheOutputComesOn(t *testing.T) {
	start := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	o, _ := switchedOn(start)
	now := start.Add(5 * dutInrushTau)
	if _, i, mode := o.Measure(now); i > 0.52 || mode != sim.ModeCV {
		t.Fatalf("%v after switching on: %.3f A in mode %v, want 0.5 A (the inrush over) in CV", 5*dutInrushTau, i, mode)
	}
}

// Evaluations of a supply from several goroutines can reach the board out
// of their time order (a caller reads the clock, then waits for a lock).
// One stamped before the latest the board has seen changes nothing: a
// booted board does not brown out for a reading stamped inside its
// inrush, and one stamped before the output's last change is taken at
// that change.
func TestLateEvaluationsChangeNothing(t *testing.T) {
	start := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	o, d := switchedOn(start)
	var now time.Time
	for _, at := range []time.Duration{30 * time.Millisecond, 300 * time.Millisecond} {
		now = start.Add(at)
		o.Measure(now)
	}
	if _, _, powered, _ := d.state(now); !powered {
		t.Fatal("the board is not powered 300 ms after switching on")
	}
	o.Measure(start.Add(10 * time.Millisecond)) // inside the inrush, late
	o.Measure(start.Add(-time.Second))          // before switching on, late
	if d.elec.fault != dutFaultNone {
		t.Fatalf("late evaluations latched fault %d", d.elec.fault)
	}
	now = start.Add(301 * time.Millisecond)
	if v, i, mode := o.Measure(now); v != 12 || i > 0.52 || mode != sim.ModeCV {
		t.Fatalf("after late evaluations: %.3f V, %.3f A in mode %v, want 12 V, 0.5 A in CV", v, i, mode)
	}
}
