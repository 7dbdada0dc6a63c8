package sim

import "time"

// Outputs is the output stages of a supply, channel 1 first. A supply
// model's device embeds it and so is a Supply (Output(ch)) that a bench
// can wire loads to:
//
//	type supply struct {
//		sim.Outputs
//		selected int
//	}
//
//	func newSupply() *supply {
//		return &supply{Outputs: sim.NewOutputs(sim.OutputRange{Name: "OUT1", MaxV: 20.6, MaxI: 5.15})}
//	}
type Outputs []*Output

// NewOutputs returns one output per range, each in its reset state.
func NewOutputs(ranges ...OutputRange) Outputs {
	os := make(Outputs, len(ranges))
	for i, r := range ranges {
		os[i] = NewOutput(r)
	}
	return os
}

// Output returns channel ch (from 1), or false when there is none.
func (os Outputs) Output(ch int) (*Output, bool) {
	if ch < 1 || ch > len(os) {
		return nil, false
	}
	return os[ch-1], true
}

// ResetOutputs returns every output to its *RST state (loads stay
// wired); a model's Reset calls it, then resets its own settings.
func (os Outputs) ResetOutputs() {
	for _, o := range os {
		o.Reset()
	}
}

// Tripped reports whether any output's overvoltage or overcurrent
// protection has tripped: what most supplies summarise in the
// questionable bit of the status byte.
//
//	func (d *supply) StatusSummary() (questionable, operation bool) { return d.Tripped(), false }
func (os Outputs) Tripped() bool {
	for _, o := range os {
		if o.Tripped() {
			return true
		}
	}
	return false
}

// Tripped reports whether the output's overvoltage or overcurrent
// protection has tripped.
func (o *Output) Tripped() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ovpTrip || o.ocpTrip
}

// protect evaluates the protections at now, as Measure does but without
// drawing measurement noise.
func (o *Output) protect(now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.protectLocked(now)
}

// Quantity is what a supply measures at an output.
type Quantity int

const (
	Voltage Quantity = iota // volts at the terminals
	Current                 // amps through the load
	Power                   // their product, in watts
)

// Of returns the quantity from a measurement.
func (q Quantity) Of(v, i float64) float64 {
	switch q {
	case Current:
		return i
	case Power:
		return v * i
	}
	return v
}

// Selector picks the outputs a supply command acts on, the way the model
// does: a channel list parameter, a header suffix, a channel name, or the
// channel INSTrument selected. A selector that fails returns the SCPI
// error to queue; the shared handlers below act on no output then.
type Selector[D any] func(d D, c *Call) ([]*Output, error)

// MeasureHandler answers a MEASure query: q at each selected output, now,
// with the operating point and noise of Output.Measure, each formatted by
// reply (for example func(c *sim.Call, x float64) { c.ReplyNR3(x, 8) }).
//
//	cmds.Handle("MEASure[:SCALar]:VOLTage[:DC]?", sim.MeasureHandler(selected, sim.Voltage, nr3))
func MeasureHandler[D any](sel Selector[D], q Quantity, reply func(*Call, float64)) func(D, *Call) error {
	return func(d D, c *Call) error {
		outs, err := sel(d, c)
		if err != nil {
			return err
		}
		for _, o := range outs {
			v, i, _ := o.Measure(o.Now())
			reply(c, q.Of(v, i))
		}
		return nil
	}
}

// Protection names a supply's protection circuit.
type Protection int

const (
	OVP Protection = iota // overvoltage
	OCP                   // overcurrent
)

// TrippedHandler answers a PROTection:TRIPped? query: 1 for each selected
// output whose protection p has tripped, else 0. The protections are
// evaluated first, so a load that has since pulled the output into
// current limiting has tripped OCP before the answer, as the real circuit
// would have.
func TrippedHandler[D any](sel Selector[D], p Protection) func(D, *Call) error {
	return func(d D, c *Call) error {
		outs, err := sel(d, c)
		if err != nil {
			return err
		}
		for _, o := range outs {
			o.protect(o.Now())
			var tripped bool
			if p == OVP {
				_, _, tripped = o.OVP()
			} else {
				_, tripped = o.OCP()
			}
			c.ReplyBool(tripped)
		}
		return nil
	}
}

// ClearHandler is a PROTection:CLEar command: each selected output's
// trips are cleared, and it stays off until switched on again.
func ClearHandler[D any](sel Selector[D]) func(D, *Call) error {
	return func(d D, c *Call) error {
		outs, err := sel(d, c)
		if err != nil {
			return err
		}
		for _, o := range outs {
			o.ClearProtection()
		}
		return nil
	}
}

// SystemCommands registers what every SCPI-99 instrument answers the
// same way: SYSTem:ERRor[:NEXT]? from the error queue and SYSTem:VERSion?
// with the SCPI version the manual gives ("1999.0"). A model whose unit
// answers differently (the SPD3303X's unquoted errors) registers its own.
func (t *Commands[D]) SystemCommands(version string) {
	t.Handle("SYSTem:ERRor[:NEXT]?", ErrorQueryHandler[D])
	t.Handle("SYSTem:VERSion?", func(_ D, c *Call) error { c.Reply(version); return nil })
}
