package harness

import (
	"context"
	"errors"
	"time"

	"github.com/scpikit/scpikit/instruments"
)

// Monitor watches for faults while the run goes on. A polling monitor
// runs Check every Interval (the notes' check_faults loop); an event
// monitor reacts to each error on Events at once. Either way a non-nil
// error — a fault it found, or its own I/O failing — is a fault, never
// just a log line, and Policy decides what it stops.
type Monitor struct {
	Name     string
	DUT      string // the DUT it watches: named in the fault, isolated by IsolateDUT
	Interval time.Duration
	Check    func(ctx context.Context) error
	Events   <-chan error
	Policy   Policy
}

// Monitor starts m on a goroutine the run owns. It ends when the run (or
// its DUT) stops, or after it has raised its fault.
func (t *Test) Monitor(m Monitor) {
	ctx := t.ctx
	if m.DUT != "" {
		t.dutsMu.Lock()
		if d := t.duts[m.DUT]; d != nil {
			ctx = d.ctx
		}
		t.dutsMu.Unlock()
	}
	t.goWith(ctx, "monitor "+m.Name, m.DUT, func(ctx context.Context) error {
		var tick <-chan time.Time
		if m.Check != nil {
			if m.Interval <= 0 {
				m.Interval = time.Second
			}
			ticker := time.NewTicker(m.Interval)
			defer ticker.Stop()
			tick = ticker.C
		}
		for {
			var err error
			select {
			case <-ctx.Done():
				return nil
			case <-t.stopping:
				return nil
			case <-tick:
				err = m.Check(ctx)
			case e, ok := <-m.Events:
				if !ok {
					m.Events = nil
					if tick == nil {
						return nil
					}
					continue
				}
				err = e
			}
			if err != nil && ctx.Err() == nil {
				var f *Fault
				if !errors.As(err, &f) {
					f = &Fault{Source: m.Name, DUT: m.DUT, Message: err.Error(), Err: err}
				}
				if f.Source == "" {
					f.Source = m.Name
				}
				if f.DUT == "" {
					f.DUT = m.DUT
				}
				t.Fault(f, m.Policy)
				return nil
			}
		}
	}, func(error) {})
}

// WatchCurrent is a polling check that measures a DUT's supply current,
// records each sample for the report's chart, and fails when it leaves
// band (amperes).
func (t *Test) WatchCurrent(dut string, psu instruments.PowerSupply, ch int, band Limit) func(ctx context.Context) error {
	t.recMu.Lock()
	t.rec.sample(dut, "supply current", "A", time.Now(), 0)
	s := t.rec.Series[len(t.rec.Series)-1]
	s.Times, s.Values = s.Times[:0], s.Values[:0]
	t.rec.setBand(dut, "supply current", band)
	t.recMu.Unlock()
	return func(ctx context.Context) error {
		i, err := psu.MeasureCurrent(ctx, ch)
		if err != nil {
			return err
		}
		t.recMu.Lock()
		t.rec.sample(dut, "supply current", "A", time.Now(), float64(i))
		t.recMu.Unlock()
		if band.check(float64(i)) == OutcomeFail {
			return &Fault{DUT: dut, Message: "supply current " + i.String() + " outside " + band.String()}
		}
		return nil
	}
}
