package keysight

import (
	"time"

	"github.com/scpikit/scpikit/sim"
)

// Keysight (Agilent, HP) E3631A triple-output supply, after its user's
// guide, chapter 4 (the command index is in e3631a_guide.go): one output
// selected at a time (INSTrument P6V|P25V|N25V) for VOLTage and CURRent,
// APPLy and MEASure taking the output's name, one OUTPut switch for all
// three outputs, *IDN? reporting serial "0", no OVP or OCP, triggered
// levels for the selected output or the coupled ones, and the
// questionable status registers with one ISUMmary register per output.
type e3631a struct {
	sim.Outputs
	selected int
	on       bool
	tracking bool
	// step is each output's UP/DOWN step (voltage, current).
	step [3][2]float64
	// trig is each output's pending triggered level (voltage, current);
	// trigSet says whether one was programmed: until then the query
	// answers the immediate level, as the guide says.
	trig    [3][2]float64
	trigSet [3][2]bool
	coupled [3]bool // INSTrument:COUPle: outputs a trigger reaches
	bus     bool    // TRIGger:SOURce BUS (else IMMediate)
	delay   float64 // TRIGger:DELay, seconds
	armed   bool
	display bool
	text    string
	psc     bool
	saved   [3]e3631aState // *SAV/*RCL locations 1 to 3
	// Questionable status: the event registers latch the conditions seen
	// when the registers are read.
	isumEvent, isumEnable [3]int
	instEvent, instEnable int
	quesEvent, quesEnable int
}

// e3631aState is what *SAV keeps: levels, steps, triggered levels,
// trigger settings, tracking and the output switch.
type e3631aState struct {
	v, i     [3]float64
	step     [3][2]float64
	trig     [3][2]float64
	trigSet  [3][2]bool
	coupled  [3]bool
	bus      bool
	delay    float64
	on       bool
	tracking bool
	selected int
}

var e3631aNames = []string{"P6V", "P25V", "N25V"}

// e3631aResolution is each output's programming resolution (voltage,
// current), the default UP/DOWN step.
var e3631aResolution = [3][2]float64{{0.0005, 0.0005}, {0.0015, 0.0001}, {0.0015, 0.0001}}

const (
	// e3631aQuesISUM is the questionable status register's bit summing
	// the instrument summary register.
	e3631aQuesISUM = 1 << 13
	// e3631aMaxDelay is TRIGger:DELay's upper bound, seconds.
	e3631aMaxDelay = 3600
)

func newE3631A() *e3631a {
	d := &e3631a{}
	for _, r := range []sim.OutputRange{{Name: "P6V", MinV: 0, MaxV: 6.18, MaxI: 5.15}, {Name: "P25V", MinV: 0, MaxV: 25.75, MaxI: 1.03}, {Name: "N25V", MinV: -25.75, MaxV: 0, MaxI: 1.03}} {
		d.Outputs = append(d.Outputs, sim.NewOutput(r))
	}
	d.Reset()
	// A location never saved holds the power-on settings.
	for k := range d.saved {
		d.saved[k] = d.save()
	}
	return d
}

// The E3631A has no serial number over the bus: the field is 0.
func (d *e3631a) Identity() string { return "Agilent Technologies,E3631A,0,2.1-5.0-1.0" }

// Reset is *RST. It leaves *PSC, the enable registers and the saved
// locations alone, as IEEE 488.2 has it.
func (d *e3631a) Reset() {
	for _, o := range d.Outputs {
		o.Reset()
		o.SetOVP(0, false) // no OVP on this model
	}
	d.selected, d.on, d.tracking = 0, false, false
	d.step = e3631aResolution
	d.trig, d.trigSet = [3][2]float64{}, [3][2]bool{}
	d.coupled = [3]bool{}
	d.bus, d.delay, d.armed = false, 0, false
	d.display, d.text = true, ""
}

// SelfTest answers *TST?: 0, passed.
func (d *e3631a) SelfTest() int { return 0 }

func (d *e3631a) setOn(on bool) {
	d.on = on
	for _, o := range d.Outputs {
		o.SetOn(on)
	}
}

// output reads an optional output name at parameter i.
func (d *e3631a) output(c *sim.Call, i int) (int, error) {
	if c.Kind(i) != sim.ParamCharacter {
		return d.selected, nil
	}
	return c.Choice(i, e3631aNames...)
}

func (d *e3631a) setVoltage(ch int, v float64) {
	d.Outputs[ch].SetVoltage(v)
	if d.tracking && ch > 0 {
		d.Outputs[3-ch].SetVoltage(-v) // the ±25 V outputs mirror each other
	}
}

func (d *e3631a) level(ch int, voltage bool) float64 {
	v, i := d.Outputs[ch].Settings()
	if voltage {
		return v
	}
	return i
}

func (d *e3631a) setLevel(ch int, voltage bool, x float64) {
	if voltage {
		d.setVoltage(ch, x)
	} else {
		d.Outputs[ch].SetCurrentLimit(x)
	}
}

// Trigger is *TRG: with TRIGger:SOURce BUS and the system initiated, the
// coupled outputs (or the selected one) take their triggered levels.
func (d *e3631a) Trigger() error {
	if !d.bus || !d.armed {
		return sim.ErrTriggerIgnored
	}
	d.fire()
	return nil
}

// fire applies the pending triggered levels and disarms.
func (d *e3631a) fire() {
	d.armed = false
	targets := []int{d.selected}
	if d.coupled != [3]bool{} {
		targets = targets[:0]
		for ch, on := range d.coupled {
			if on {
				targets = append(targets, ch)
			}
		}
	}
	for _, ch := range targets {
		for k, voltage := range []bool{true, false} {
			if d.trigSet[ch][k] {
				d.setLevel(ch, voltage, d.trig[ch][k])
			}
		}
	}
}

func (d *e3631a) save() e3631aState {
	s := e3631aState{step: d.step, trig: d.trig, trigSet: d.trigSet, coupled: d.coupled, bus: d.bus,
		delay: d.delay, on: d.on, tracking: d.tracking, selected: d.selected}
	for ch, o := range d.Outputs {
		s.v[ch], s.i[ch] = o.Settings()
	}
	return s
}

func (d *e3631a) recall(s e3631aState) {
	d.step, d.trig, d.trigSet, d.coupled, d.bus = s.step, s.trig, s.trigSet, s.coupled, s.bus
	d.delay, d.tracking, d.selected, d.armed = s.delay, s.tracking, s.selected, false
	for ch, o := range d.Outputs {
		o.SetVoltage(s.v[ch])
		o.SetCurrentLimit(s.i[ch])
	}
	d.setOn(s.on)
}

// isumCondition is output ch's questionable instrument summary condition:
// bit 0 (VOLTage) in CC, bit 1 (CURRent) in CV.
func (d *e3631a) isumCondition(ch int) int {
	_, _, mode := d.Outputs[ch].Measure(time.Now())
	return map[sim.RegulationMode]int{sim.ModeCC: 1, sim.ModeCV: 2, sim.ModeUnregulated: 3}[mode]
}

// latch reads every condition into the event registers and returns the
// instrument summary and questionable conditions: bit n+1 of the summary
// is output n's enabled events, bit 13 of the questionable register the
// summary's enabled events.
func (d *e3631a) latch() (inst, ques int) {
	for ch := range d.Outputs {
		d.isumEvent[ch] |= d.isumCondition(ch)
		if d.isumEvent[ch]&d.isumEnable[ch] != 0 {
			inst |= 1 << (ch + 1)
		}
	}
	d.instEvent |= inst
	if d.instEvent&d.instEnable != 0 {
		ques = e3631aQuesISUM
	}
	d.quesEvent |= ques
	return inst, ques
}

// StatusSummary sets the status byte's QUES bit from the enabled
// questionable events.
func (d *e3631a) StatusSummary() (questionable, operation bool) {
	d.latch()
	return d.quesEvent&d.quesEnable != 0, false
}

func e3631aCommands() *sim.Commands[*e3631a] {
	cmds := sim.NewCommands[*e3631a]()
	for k, voltage := range []bool{true, false} {
		name := "CURRent"
		if voltage {
			name = "VOLTage"
		}
		cmds.Handle("[SOURce:]"+name+"[:LEVel][:IMMediate][:AMPLitude]", func(d *e3631a, c *sim.Call) error {
			ch := d.selected
			if c.Kind(0) == sim.ParamCharacter {
				if dir, err := c.Choice(0, "UP", "DOWN"); err == nil {
					x := d.level(ch, voltage) + []float64{1, -1}[dir]*d.step[ch][k]
					spec := d.Outputs[ch].LevelSpec(voltage)
					if x < spec.Min-1e-12 || x > spec.Max+1e-12 {
						return sim.ErrDataOutOfRange
					}
					d.setLevel(ch, voltage, x)
					return nil
				}
			}
			x, err := c.Number(0, d.Outputs[ch].LevelSpec(voltage))
			if err != nil {
				return err
			}
			d.setLevel(ch, voltage, x)
			return nil
		})
		cmds.Handle("[SOURce:]"+name+"[:LEVel][:IMMediate][:AMPLitude]?", func(d *e3631a, c *sim.Call) error {
			spec := d.Outputs[d.selected].LevelSpec(voltage)
			if c.NumParams() > 0 {
				k, err := c.Choice(0, "MINimum", "MAXimum")
				if err != nil {
					return err
				}
				c.ReplyNR3([]float64{spec.Min, spec.Max}[k], 8)
				return nil
			}
			c.ReplyNR3(d.level(d.selected, voltage), 8)
			return nil
		})
		cmds.Handle("[SOURce:]"+name+"[:LEVel][:IMMediate]:STEP[:INCRement]", func(d *e3631a, c *sim.Call) error {
			spec := d.Outputs[d.selected].LevelSpec(voltage)
			r := e3631aResolution[d.selected][k]
			x, err := c.Number(0, sim.Number{Unit: spec.Unit, Min: r, Max: spec.Max - spec.Min, Default: r})
			if err == nil {
				d.step[d.selected][k] = x
			}
			return err
		})
		cmds.Handle("[SOURce:]"+name+"[:LEVel][:IMMediate]:STEP[:INCRement]?", func(d *e3631a, c *sim.Call) error {
			if c.NumParams() > 0 {
				if _, err := c.Choice(0, "DEFault"); err != nil {
					return err
				}
				c.ReplyNR3(e3631aResolution[d.selected][k], 8)
				return nil
			}
			c.ReplyNR3(d.step[d.selected][k], 8)
			return nil
		})
		cmds.Handle("[SOURce:]"+name+"[:LEVel]:TRIGgered[:AMPLitude]", func(d *e3631a, c *sim.Call) error {
			x, err := c.Number(0, d.Outputs[d.selected].LevelSpec(voltage))
			if err == nil {
				d.trig[d.selected][k], d.trigSet[d.selected][k] = x, true
			}
			return err
		})
		cmds.Handle("[SOURce:]"+name+"[:LEVel]:TRIGgered[:AMPLitude]?", func(d *e3631a, c *sim.Call) error {
			spec := d.Outputs[d.selected].LevelSpec(voltage)
			if c.NumParams() > 0 {
				m, err := c.Choice(0, "MINimum", "MAXimum")
				if err != nil {
					return err
				}
				c.ReplyNR3([]float64{spec.Min, spec.Max}[m], 8)
				return nil
			}
			if d.trigSet[d.selected][k] {
				c.ReplyNR3(d.trig[d.selected][k], 8)
			} else {
				c.ReplyNR3(d.level(d.selected, voltage), 8)
			}
			return nil
		})
	}
	cmds.Handle("APPLy", func(d *e3631a, c *sim.Call) error {
		if err := c.Params(1, 3); err != nil {
			return err
		}
		ch, err := c.Choice(0, e3631aNames...)
		if err != nil {
			return err
		}
		v, i, err := sim.ApplyLevels(c, d.Outputs[ch])
		if err != nil {
			return err
		}
		if c.NumParams() > 1 {
			d.setVoltage(ch, v)
		}
		if c.NumParams() > 2 {
			d.Outputs[ch].SetCurrentLimit(i)
		}
		return nil
	})
	cmds.Handle("APPLy?", func(d *e3631a, c *sim.Call) error {
		ch, err := d.output(c, 0)
		if err != nil {
			return err
		}
		v, i := d.Outputs[ch].Settings()
		// A quoted string of two numbers, as the guide shows.
		c.Reply(`"` + string(sim.AppendFloat(nil, v, 'f', 6)) + "," + string(sim.AppendFloat(nil, i, 'f', 6)) + `"`)
		return nil
	})
	cmds.Choice("INSTrument[:SELect]", e3631aNames,
		func(d *e3631a, _ *sim.Call) int { return d.selected },
		func(d *e3631a, _ *sim.Call, k int) error { d.selected = k; return nil })
	cmds.Number("INSTrument:NSELect", func(*e3631a, *sim.Call) (sim.Number, error) { return sim.Number{Min: 1, Max: 3, Default: 1}, nil },
		func(d *e3631a, _ *sim.Call) float64 { return float64(d.selected + 1) },
		func(d *e3631a, _ *sim.Call, v float64) error { d.selected = int(v) - 1; return nil },
		func(c *sim.Call, v float64) { c.ReplyInt(int64(v)) })
	cmds.Handle("INSTrument:COUPle[:TRIGger]", func(d *e3631a, c *sim.Call) error {
		set, err := sim.ParseCoupling(c, e3631aNames)
		if err == nil {
			d.coupled = [3]bool(set)
		}
		return err
	})
	cmds.Handle("INSTrument:COUPle[:TRIGger]?", func(d *e3631a, c *sim.Call) error {
		sim.ReplyCoupling(c, e3631aNames, d.coupled[:])
		return nil
	})
	measure := func(voltage bool) func(*e3631a, *sim.Call) error {
		return func(d *e3631a, c *sim.Call) error {
			ch, err := d.output(c, 0)
			if err != nil {
				return err
			}
			v, i, _ := d.Outputs[ch].Measure(time.Now())
			if voltage {
				c.ReplyNR3(v, 8)
			} else {
				c.ReplyNR3(i, 8)
			}
			return nil
		}
	}
	cmds.Handle("MEASure[:VOLTage][:DC]?", measure(true))
	cmds.Handle("MEASure:CURRent[:DC]?", measure(false))
	cmds.Bool("OUTPut[:STATe]", func(d *e3631a, _ *sim.Call) (bool, error) { return d.on, nil },
		func(d *e3631a, _ *sim.Call, on bool) error { d.setOn(on); return nil })
	cmds.Bool("OUTPut:TRACk[:STATe]", func(d *e3631a, _ *sim.Call) (bool, error) { return d.tracking, nil },
		func(d *e3631a, _ *sim.Call, on bool) error {
			d.tracking = on
			if on {
				v, _ := d.Outputs[1].Settings()
				d.Outputs[2].SetVoltage(-v)
			}
			return nil
		})

	// Triggering.
	cmds.Handle("INITiate[:IMMediate]", func(d *e3631a, _ *sim.Call) error {
		if d.armed {
			return sim.ErrInitIgnored
		}
		d.armed = true
		if !d.bus {
			d.fire()
		}
		return nil
	})
	cmds.Choice("TRIGger[:SEQuence]:SOURce", []string{"IMMediate", "BUS"},
		func(d *e3631a, _ *sim.Call) int { return map[bool]int{false: 0, true: 1}[d.bus] },
		func(d *e3631a, _ *sim.Call, k int) error { d.bus = k == 1; return nil })
	cmds.Number("TRIGger[:SEQuence]:DELay", func(*e3631a, *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "s", Min: 0, Max: e3631aMaxDelay}, nil
	},
		func(d *e3631a, _ *sim.Call) float64 { return d.delay },
		func(d *e3631a, _ *sim.Call, v float64) error { d.delay = v; return nil },
		func(c *sim.Call, v float64) { c.ReplyNR3(v, 8) })

	// System-related commands.
	cmds.Bool("DISPlay[:WINDow][:STATe]", func(d *e3631a, _ *sim.Call) (bool, error) { return d.display, nil },
		func(d *e3631a, _ *sim.Call, on bool) error { d.display = on; return nil })
	cmds.Handle("DISPlay[:WINDow]:TEXT[:DATA]", func(d *e3631a, c *sim.Call) error {
		s, err := c.String(0)
		if err != nil {
			return err
		}
		// The front panel shows 11 characters; the rest is cut off.
		if len(s) > 11 {
			s = s[:11]
		}
		d.text = s
		return nil
	})
	cmds.Handle("DISPlay[:WINDow]:TEXT[:DATA]?", func(d *e3631a, c *sim.Call) error { c.ReplyString(d.text); return nil })
	cmds.Handle("DISPlay[:WINDow]:TEXT:CLEar", func(d *e3631a, _ *sim.Call) error { d.text = ""; return nil })
	cmds.Handle("SYSTem:BEEPer[:IMMediate]", func(*e3631a, *sim.Call) error { return nil })
	cmds.Handle("SYSTem:ERRor?", sim.ErrorQueryHandler[*e3631a])
	cmds.Handle("SYSTem:VERSion?", func(_ *e3631a, c *sim.Call) error { c.Reply("1995.0"); return nil })
	for _, p := range []string{"SYSTem:LOCal", "SYSTem:REMote", "SYSTem:RWLock"} {
		// The front panel's lock has nothing to lock on a simulated unit.
		cmds.Handle(p, func(*e3631a, *sim.Call) error { return nil })
	}
	location := sim.Number{Min: 1, Max: 3}
	cmds.Handle("*SAV", func(d *e3631a, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err == nil {
			d.saved[n-1] = d.save()
		}
		return err
	})
	cmds.Handle("*RCL", func(d *e3631a, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err == nil {
			d.recall(d.saved[n-1])
		}
		return err
	})
	cmds.Handle("*PSC", func(d *e3631a, c *sim.Call) error {
		on, err := c.Bool(0)
		if err == nil {
			d.psc = on
		}
		return err
	})
	cmds.Handle("*PSC?", func(d *e3631a, c *sim.Call) error { c.ReplyBool(d.psc); return nil })

	// Status reporting.
	mask := sim.Number{Min: 0, Max: 32767}
	enable := func(pattern string, reg func(*e3631a, *sim.Call) (*int, error)) {
		cmds.Handle(pattern, func(d *e3631a, c *sim.Call) error {
			r, err := reg(d, c)
			if err != nil {
				return err
			}
			v, err := c.Int(0, mask)
			if err == nil {
				*r = v
			}
			return err
		})
		cmds.Handle(pattern+"?", func(d *e3631a, c *sim.Call) error {
			r, err := reg(d, c)
			if err == nil {
				c.ReplyInt(int64(*r))
			}
			return err
		})
	}
	event := func(pattern string, reg func(*e3631a, *sim.Call) (*int, error)) {
		cmds.Handle(pattern, func(d *e3631a, c *sim.Call) error {
			r, err := reg(d, c)
			if err != nil {
				return err
			}
			d.latch()
			c.ReplyInt(int64(*r))
			*r = 0
			return nil
		})
	}
	isum := func(field func(*e3631a) *[3]int) func(*e3631a, *sim.Call) (*int, error) {
		return func(d *e3631a, c *sim.Call) (*int, error) {
			n, err := c.SuffixIn("ISUM", 1, 3)
			if err != nil {
				return nil, err
			}
			return &field(d)[n-1], nil
		}
	}
	fixed := func(field func(*e3631a) *int) func(*e3631a, *sim.Call) (*int, error) {
		return func(d *e3631a, _ *sim.Call) (*int, error) { return field(d), nil }
	}
	cmds.Handle("STATus:QUEStionable:CONDition?", func(d *e3631a, c *sim.Call) error {
		_, ques := d.latch()
		c.ReplyInt(int64(ques))
		return nil
	})
	event("STATus:QUEStionable[:EVENt]?", fixed(func(d *e3631a) *int { return &d.quesEvent }))
	enable("STATus:QUEStionable:ENABle", fixed(func(d *e3631a) *int { return &d.quesEnable }))
	event("STATus:QUEStionable:INSTrument[:EVENt]?", fixed(func(d *e3631a) *int { return &d.instEvent }))
	enable("STATus:QUEStionable:INSTrument:ENABle", fixed(func(d *e3631a) *int { return &d.instEnable }))
	event("STATus:QUEStionable:INSTrument:ISUMmary#[:EVENt]?", isum(func(d *e3631a) *[3]int { return &d.isumEvent }))
	enable("STATus:QUEStionable:INSTrument:ISUMmary#:ENABle", isum(func(d *e3631a) *[3]int { return &d.isumEnable }))
	cmds.Handle("STATus:QUEStionable:INSTrument:ISUMmary#:CONDition?", func(d *e3631a, c *sim.Call) error {
		n, err := c.SuffixIn("ISUM", 1, 3)
		if err == nil {
			d.latch()
			c.ReplyInt(int64(d.isumCondition(n - 1)))
		}
		return err
	})
	return cmds
}

func init() {
	sim.MustRegister("E3631A", "Keysight (Agilent) E3631A triple-output DC power supply", e3631aCommands(), newE3631A)
}
