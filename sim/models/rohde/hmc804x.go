package rohde

import (
	"time"

	"github.com/scpikit/scpikit/sim"
)

// Rohde & Schwarz HMC8041/HMC8042/HMC8043 supplies, after the HMC804x
// SCPI manual: INSTrument selects the channel that VOLTage, CURRent,
// OUTPut:CHANnel, MEASure and the protection commands act on; an output is
// live only while both its channel switch and the master switch are on.
// Overvoltage protection trips above its level; overcurrent protection is
// an electronic fuse, cleared by switching the channel off.
type hmc804x struct {
	model string
	sim.Outputs
	chanOn   []bool
	master   bool
	selected int
}

var hmcCurrents = map[string]float64{"HMC8041": 10, "HMC8042": 5, "HMC8043": 3}

func newHMC(model string) func() *hmc804x {
	return func() *hmc804x {
		n := map[string]int{"HMC8041": 1, "HMC8042": 2, "HMC8043": 3}[model]
		d := &hmc804x{model: model, chanOn: make([]bool, n)}
		for ch := range n {
			d.Outputs = append(d.Outputs, sim.NewOutput(sim.OutputRange{Name: "OUT" + string(rune('1'+ch)), MaxV: 32.05, MaxI: hmcCurrents[model]}))
		}
		d.Reset()
		return d
	}
}

func (d *hmc804x) Identity() string {
	return "Rohde&Schwarz," + d.model + ",100001,HW50020001/SW2.51"
}

func (d *hmc804x) Reset() {
	for i, o := range d.Outputs {
		o.Reset()
		o.SetOVP(32.05*1.1, true)
		d.chanOn[i] = false
	}
	d.master, d.selected = false, 0
}

// apply makes each output live where its channel and the master are on.
func (d *hmc804x) apply() {
	for i, o := range d.Outputs {
		o.SetOn(d.chanOn[i] && d.master)
		if !o.On() {
			d.chanOn[i] = d.chanOn[i] && !tripped(o) // a trip switches the channel off
		}
	}
}

func tripped(o *sim.Output) bool {
	_, _, ovp := o.OVP()
	_, ocp := o.OCP()
	return ovp || ocp
}

func hmcCommands() *sim.Commands[*hmc804x] {
	cmds := sim.NewCommands[*hmc804x]()
	cmds.Handle("INSTrument[:SELect]", func(d *hmc804x, c *sim.Call) error {
		if c.Kind(0) == sim.ParamNumber {
			n, err := c.Int(0, sim.Number{Min: 1, Max: float64(len(d.Outputs))})
			if err == nil {
				d.selected = n - 1
			}
			return err
		}
		k, err := c.Choice(0, "OUTPut1", "OUTPut2", "OUTPut3", "OUT1", "OUT2", "OUT3")
		if err != nil || k%3 >= len(d.Outputs) {
			return sim.ErrIllegalParameterValue
		}
		d.selected = k % 3
		return nil
	})
	cmds.Number("INSTrument:NSELect", func(d *hmc804x, _ *sim.Call) (sim.Number, error) {
		return sim.Number{Min: 1, Max: float64(len(d.Outputs)), Default: 1}, nil
	}, func(d *hmc804x, _ *sim.Call) float64 { return float64(d.selected + 1) },
		func(d *hmc804x, _ *sim.Call, v float64) error { d.selected = int(v) - 1; return nil },
		func(c *sim.Call, v float64) { c.ReplyInt(int64(v)) })
	cmds.Number("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", func(d *hmc804x, _ *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "V", Max: 32.05}, nil
	}, func(d *hmc804x, _ *sim.Call) float64 { v, _ := d.Outputs[d.selected].Settings(); return v },
		func(d *hmc804x, _ *sim.Call, v float64) error {
			d.Outputs[d.selected].SetVoltage(v)
			d.apply()
			return nil
		},
		func(c *sim.Call, v float64) { c.ReplyNR3(v, 4) })
	cmds.Number("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", func(d *hmc804x, _ *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "A", Min: 0.0005, Max: hmcCurrents[d.model], Default: hmcCurrents[d.model]}, nil
	}, func(d *hmc804x, _ *sim.Call) float64 { _, i := d.Outputs[d.selected].Settings(); return i },
		func(d *hmc804x, _ *sim.Call, i float64) error {
			d.Outputs[d.selected].SetCurrentLimit(i)
			d.apply()
			return nil
		},
		func(c *sim.Call, v float64) { c.ReplyNR3(v, 4) })
	cmds.Bool("OUTPut:CHANnel[:STATe]", func(d *hmc804x, _ *sim.Call) (bool, error) {
		d.Outputs[d.selected].Measure(time.Now()) // a trip may have switched it off
		d.apply()
		return d.chanOn[d.selected], nil
	},
		func(d *hmc804x, _ *sim.Call, on bool) error {
			o := d.Outputs[d.selected]
			if !on {
				o.ClearProtection() // switching a channel off resets its fuse and OVP
			}
			d.chanOn[d.selected] = on
			d.apply()
			return nil
		})
	// OUTPut[:STATe] switches the selected channel and, switching on,
	// the master too, so that the output goes live in one command; the
	// query reads whether the selected output is live.
	cmds.Bool("OUTPut[:STATe]", func(d *hmc804x, _ *sim.Call) (bool, error) {
		d.Outputs[d.selected].Measure(time.Now())
		d.apply()
		return d.Outputs[d.selected].On(), nil
	},
		func(d *hmc804x, _ *sim.Call, on bool) error {
			if !on {
				d.Outputs[d.selected].ClearProtection()
			}
			d.chanOn[d.selected] = on
			d.master = d.master || on
			d.apply()
			return nil
		})
	cmds.Bool("OUTPut:MASTer[:STATe]", func(d *hmc804x, _ *sim.Call) (bool, error) { return d.master, nil },
		func(d *hmc804x, _ *sim.Call, on bool) error { d.master = on; d.apply(); return nil })
	measure := func(what int) func(*hmc804x, *sim.Call) error {
		return func(d *hmc804x, c *sim.Call) error {
			v, i, _ := d.Outputs[d.selected].Measure(time.Now())
			d.apply()
			c.ReplyNR3([]float64{v, i, v * i}[what], 4)
			return nil
		}
	}
	cmds.Handle("MEASure[:SCALar]:VOLTage[:DC]?", measure(0))
	cmds.Handle("MEASure[:SCALar]:CURRent[:DC]?", measure(1))
	cmds.Handle("MEASure[:SCALar]:POWer?", measure(2))
	cmds.Number("VOLTage:PROTection[:LEVel]", func(*hmc804x, *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "V", Min: 0, Max: 33.0}, nil
	}, func(d *hmc804x, _ *sim.Call) float64 { l, _, _ := d.Outputs[d.selected].OVP(); return l },
		func(d *hmc804x, _ *sim.Call, v float64) error {
			_, on, _ := d.Outputs[d.selected].OVP()
			d.Outputs[d.selected].SetOVP(v, on)
			d.apply()
			return nil
		},
		func(c *sim.Call, v float64) { c.ReplyNR3(v, 4) })
	cmds.Bool("VOLTage:PROTection:STATe", func(d *hmc804x, _ *sim.Call) (bool, error) { _, on, _ := d.Outputs[d.selected].OVP(); return on, nil },
		func(d *hmc804x, _ *sim.Call, on bool) error {
			l, _, _ := d.Outputs[d.selected].OVP()
			d.Outputs[d.selected].SetOVP(l, on)
			d.apply()
			return nil
		})
	cmds.Handle("VOLTage:PROTection:TRIPped?", func(d *hmc804x, c *sim.Call) error {
		_, _, t := d.Outputs[d.selected].OVP()
		c.ReplyBool(t)
		return nil
	})
	cmds.Handle("VOLTage:PROTection:CLEar", func(d *hmc804x, c *sim.Call) error {
		d.Outputs[d.selected].ClearProtection()
		return nil
	})
	cmds.Bool("FUSE[:STATe]", func(d *hmc804x, _ *sim.Call) (bool, error) { on, _ := d.Outputs[d.selected].OCP(); return on, nil },
		func(d *hmc804x, _ *sim.Call, on bool) error { d.Outputs[d.selected].SetOCP(on); d.apply(); return nil })
	cmds.Handle("FUSE:TRIPped?", func(d *hmc804x, c *sim.Call) error {
		d.Outputs[d.selected].Measure(time.Now())
		d.apply()
		_, t := d.Outputs[d.selected].OCP()
		c.ReplyBool(t)
		return nil
	})
	cmds.Handle("STATus:QUEStionable:INSTrument:ISUMmary#:CONDition?", sim.ISUMCondition[*hmc804x])

	cmds.SystemCommands("1999.0")
	return cmds
}

func init() {
	cmds := hmcCommands()
	for _, m := range []string{"HMC8041", "HMC8042", "HMC8043"} {
		sim.MustRegister(m, "Rohde & Schwarz "+m+" programmable DC power supply", cmds, newHMC(m))
	}
}
