package sim

import (
	"time"
)

// Keysight (Agilent, HP) E3631A triple-output supply, after its user's
// guide: one output selected at a time (INSTrument P6V|P25V|N25V) for
// VOLTage and CURRent, APPLy and MEASure taking the output's name, one
// OUTPut switch for all three outputs, *IDN? reporting serial "0", and no
// OVP or OCP.
type e3631a struct {
	outs     []*Output
	selected int
	on       bool
	tracking bool
}

var e3631aNames = []string{"P6V", "P25V", "N25V"}

func newE3631A() *e3631a {
	d := &e3631a{}
	for _, r := range []OutputRange{{"P6V", 0, 6.18, 5.15}, {"P25V", 0, 25.75, 1.03}, {"N25V", -25.75, 0, 1.03}} {
		d.outs = append(d.outs, NewOutput(r))
	}
	d.Reset()
	return d
}

// The E3631A has no serial number over the bus: the field is 0.
func (d *e3631a) Identity() string { return "Agilent Technologies,E3631A,0,2.1-5.0-1.0" }

func (d *e3631a) Reset() {
	for _, o := range d.outs {
		o.Reset()
		o.SetOVP(0, false) // no OVP on this model
	}
	d.selected, d.on, d.tracking = 0, false, false
}

func (d *e3631a) Output(ch int) (*Output, bool) {
	if ch < 1 || ch > len(d.outs) {
		return nil, false
	}
	return d.outs[ch-1], true
}

func (d *e3631a) setOn(on bool) {
	d.on = on
	for _, o := range d.outs {
		o.SetOn(on)
	}
}

// output reads an optional output name at parameter i.
func (d *e3631a) output(c *Call, i int) (int, error) {
	if c.Kind(i) != ParamCharacter {
		return d.selected, nil
	}
	return c.Choice(i, e3631aNames...)
}

func (d *e3631a) setVoltage(ch int, v float64) {
	d.outs[ch].SetVoltage(v)
	if d.tracking && ch > 0 {
		d.outs[3-ch].SetVoltage(-v) // the ±25 V outputs mirror each other
	}
}

func e3631aCommands() *Commands[*e3631a] {
	cmds := NewCommands[*e3631a]()
	for _, voltage := range []bool{true, false} {
		name := "CURRent"
		if voltage {
			name = "VOLTage"
		}
		cmds.Handle("[SOURce:]"+name+"[:LEVel][:IMMediate][:AMPLitude]", func(d *e3631a, c *Call) error {
			x, err := c.Number(0, d.outs[d.selected].levelSpec(voltage))
			if err != nil {
				return err
			}
			if voltage {
				d.setVoltage(d.selected, x)
			} else {
				d.outs[d.selected].SetCurrentLimit(x)
			}
			return nil
		})
		cmds.Handle("[SOURce:]"+name+"[:LEVel][:IMMediate][:AMPLitude]?", func(d *e3631a, c *Call) error {
			spec := d.outs[d.selected].levelSpec(voltage)
			if c.NumParams() > 0 {
				k, err := c.Choice(0, "MINimum", "MAXimum")
				if err != nil {
					return err
				}
				c.ReplyNR3([]float64{spec.Min, spec.Max}[k], 8)
				return nil
			}
			v, i := d.outs[d.selected].Settings()
			if voltage {
				c.ReplyNR3(v, 8)
			} else {
				c.ReplyNR3(i, 8)
			}
			return nil
		})
	}
	cmds.Handle("APPLy", func(d *e3631a, c *Call) error {
		if err := c.Params(1, 3); err != nil {
			return err
		}
		ch, err := c.Choice(0, e3631aNames...)
		if err != nil {
			return err
		}
		v, i, err := applyLevels(c, d.outs[ch])
		if err != nil {
			return err
		}
		if c.NumParams() > 1 {
			d.setVoltage(ch, v)
		}
		if c.NumParams() > 2 {
			d.outs[ch].SetCurrentLimit(i)
		}
		return nil
	})
	cmds.Handle("APPLy?", func(d *e3631a, c *Call) error {
		ch, err := d.output(c, 0)
		if err != nil {
			return err
		}
		v, i := d.outs[ch].Settings()
		// A quoted string of two numbers, as the guide shows.
		c.Reply(`"` + string(appendSCPIFloat(nil, v, 'f', 6)) + "," + string(appendSCPIFloat(nil, i, 'f', 6)) + `"`)
		return nil
	})
	cmds.Choice("INSTrument[:SELect]", e3631aNames,
		func(d *e3631a, _ *Call) int { return d.selected },
		func(d *e3631a, _ *Call, k int) error { d.selected = k; return nil })
	cmds.Number("INSTrument:NSELect", func(*e3631a, *Call) (Number, error) { return Number{Min: 1, Max: 3, Default: 1}, nil },
		func(d *e3631a, _ *Call) float64 { return float64(d.selected + 1) },
		func(d *e3631a, _ *Call, v float64) error { d.selected = int(v) - 1; return nil },
		func(c *Call, v float64) { c.ReplyInt(int64(v)) })
	measure := func(voltage bool) func(*e3631a, *Call) error {
		return func(d *e3631a, c *Call) error {
			ch, err := d.output(c, 0)
			if err != nil {
				return err
			}
			v, i, _ := d.outs[ch].Measure(time.Now())
			if voltage {
				c.ReplyNR3(v, 8)
			} else {
				c.ReplyNR3(i, 8)
			}
			return nil
		}
	}
	cmds.Handle("MEASure[:SCALar]:VOLTage[:DC]?", measure(true))
	cmds.Handle("MEASure[:SCALar]:CURRent[:DC]?", measure(false))
	cmds.Bool("OUTPut[:STATe]", func(d *e3631a, _ *Call) (bool, error) { return d.on, nil },
		func(d *e3631a, _ *Call, on bool) error { d.setOn(on); return nil })
	cmds.Bool("OUTPut:TRACk[:STATe]", func(d *e3631a, _ *Call) (bool, error) { return d.tracking, nil },
		func(d *e3631a, _ *Call, on bool) error {
			d.tracking = on
			if on {
				v, _ := d.outs[1].Settings()
				d.outs[2].SetVoltage(-v)
			}
			return nil
		})
	cmds.Handle("STATus:QUEStionable:INSTrument:ISUMmary#:CONDition?", isumCondition[*e3631a])

	cmds.Handle("SYSTem:ERRor?", ErrorQueryHandler[*e3631a])
	cmds.Handle("SYSTem:VERSion?", func(_ *e3631a, c *Call) error { c.Reply("1995.0"); return nil })
	return cmds
}

func init() {
	MustRegister("E3631A", "Keysight (Agilent) E3631A triple-output DC power supply", e3631aCommands(), newE3631A)
}
