package dut

import (
	"testing"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// A board's inrush starts when its supply's output comes on, whoever
// looks first: measured 100 ms (five time constants) later, the draw is
// the steady 0.5 A. It used to start at the first measurement, so a
// current monitor whose first reading came before anything else asked
// the board saw the inrush's peak (the supply's 1 A limit) and faulted a
// board that was fine.
func TestInrushStartsWhenTheOutputComesOn(t *testing.T) {
	now := time.Date(2026, 12, 6, 8, 0, 0, 0, time.UTC)
	o := sim.NewOutput(sim.OutputRange{Name: "CH1", MaxV: 30, MaxI: 3})
	o.SetClock(func() time.Time { return now })
	d := newDUT()
	d.PoweredBy(o)
	o.Connect(d)
	o.SetVoltage(12)
	o.SetCurrentLimit(1)
	o.SetOn(true)
	now = now.Add(5 * dutInrushTau)
	if _, i, mode := o.Measure(now); i > 0.52 || mode != sim.ModeCV {
		t.Fatalf("%v after switching on: %.3f A in mode %v, want 0.5 A (the inrush over) in CV", 5*dutInrushTau, i, mode)
	}
}
