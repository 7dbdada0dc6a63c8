package keysight

import (
	"fmt"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// Keysight E36300 series triple-output supplies (E36311A, E36312A,
// E36313A), from the E36300 Series Programming Guide: commands take an
// optional channel list (@1:3) and otherwise act on the channel selected
// with INSTrument; numbers come back as NR3 with eight decimals.
type e36300 struct {
	sim.Outputs   // CH1, CH2, CH3
	model, serial string
	selected      int // 0-based
	tracking      bool
	remoteSense   []bool
	// now is the model's clock (replaced in tests so readings repeat).
	now func() time.Time
	e36300State
}

// e36300Names are the outputs' names, as INSTrument and the coupling
// list take them.
var e36300Names = []string{"CH1", "CH2", "CH3"}

// E36300 channel ranges, programmable 3% beyond the rating as the data
// sheet allows.
var e36300Ranges = map[string][]sim.OutputRange{
	"E36311A": {{Name: "CH1", MinV: 0, MaxV: 6.18, MaxI: 5.15}, {Name: "CH2", MinV: 0, MaxV: 25.75, MaxI: 1.03}, {Name: "CH3", MinV: -25.75, MaxV: 0, MaxI: 1.03}},
	"E36312A": {{Name: "CH1", MinV: 0, MaxV: 6.18, MaxI: 5.15}, {Name: "CH2", MinV: 0, MaxV: 25.75, MaxI: 1.03}, {Name: "CH3", MinV: 0, MaxV: 25.75, MaxI: 1.03}},
	"E36313A": {{Name: "CH1", MinV: 0, MaxV: 6.18, MaxI: 10.3}, {Name: "CH2", MinV: 0, MaxV: 25.75, MaxI: 2.06}, {Name: "CH3", MinV: 0, MaxV: 25.75, MaxI: 2.06}},
}

func newE36300(model string) func() *e36300 {
	return func() *e36300 {
		d := &e36300{model: model, serial: "MY59000001", Outputs: sim.NewOutputs(e36300Ranges[model]...), now: time.Now}
		d.remoteSense = make([]bool, len(d.Outputs))
		for _, o := range d.Outputs {
			// The outputs' protection delays run on the model's clock.
			o.SetClock(func() time.Time { return d.now() })
		}
		d.Reset()
		// A location never saved holds the power-on settings.
		for k := range d.saved {
			d.saved[k] = d.save()
			d.saved[k].valid = false
		}
		return d
	}
}

func (d *e36300) Identity() string {
	return "Keysight Technologies," + d.model + "," + d.serial + ",2.1.0-1.0.4-1.12"
}

func (d *e36300) Reset() {
	d.ResetOutputs()
	d.selected, d.tracking = 0, false
	clear(d.remoteSense)
	d.resetFeatures()
}

// channels reads the optional channel list at parameter i: the listed
// channels (0-based), or the selected one.
func (d *e36300) channels(c *sim.Call, i int) ([]int, error) {
	if c.Kind(i) != sim.ParamExpression {
		return []int{d.selected}, nil
	}
	list, err := c.Channels(i)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(list))
	for k, ch := range list {
		if ch < 1 || ch > len(d.Outputs) {
			return nil, sim.ErrDataOutOfRange.WithInfo(fmt.Sprintf("no channel %d", ch))
		}
		out[k] = ch - 1
	}
	return out, nil
}

// listed selects the outputs of the optional channel list at parameter 0,
// for the shared handlers.
func listed(d *e36300, c *sim.Call) ([]*sim.Output, error) {
	chans, err := d.channels(c, 0)
	outs := make([]*sim.Output, len(chans))
	for k, ch := range chans {
		outs[k] = d.Outputs[ch]
	}
	return outs, err
}

// boolPerChannel handles a "<command> ON|OFF[,(@list)]" setting: set is
// applied to each listed output (the selected one when there is no list).
func boolPerChannel(set func(o *sim.Output, on bool)) func(d *e36300, c *sim.Call) error {
	return func(d *e36300, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		chans, err := d.channels(c, 1)
		if err != nil {
			return err
		}
		for _, ch := range chans {
			set(d.Outputs[ch], on)
		}
		return nil
	}
}

// level handles VOLTage and CURRent: a value (or MIN/MAX/DEF) then an
// optional channel list, each channel range-checked.
func (d *e36300) level(c *sim.Call, voltage bool) error {
	if err := c.Params(1, 2); err != nil {
		return err
	}
	chans, err := d.channels(c, 1)
	if err != nil {
		return err
	}
	// Check every channel's range before changing any.
	values := make([]float64, len(chans))
	for k, ch := range chans {
		if err := d.pairedAway(ch); err != nil {
			return err
		}
		r := d.Outputs[ch].Range()
		spec := sim.Number{Unit: "A", Min: 0, Max: r.MaxI}
		if voltage {
			spec = sim.Number{Unit: "V", Min: r.MinV, Max: r.MaxV}
		}
		if values[k], err = c.Number(0, spec); err != nil {
			return err
		}
	}
	for k, ch := range chans {
		if !voltage {
			d.Outputs[ch].SetCurrentLimit(values[k])
			continue
		}
		d.Outputs[ch].SetVoltage(values[k])
		if d.tracking && ch > 0 {
			d.Outputs[3-ch].SetVoltage(values[k]) // CH2 and CH3 track each other
		}
	}
	return nil
}

func (d *e36300) levelQuery(c *sim.Call, voltage bool) error {
	i := 0
	limit := ""
	if c.Kind(0) == sim.ParamCharacter {
		k, err := c.Choice(0, "MINimum", "MAXimum")
		if err != nil {
			return err
		}
		limit = []string{"MIN", "MAX"}[k]
		i = 1
	}
	chans, err := d.channels(c, i)
	if err != nil {
		return err
	}
	for _, ch := range chans {
		r := d.Outputs[ch].Range()
		v, cur := d.Outputs[ch].Settings()
		val := cur
		if voltage {
			val = v
		}
		switch {
		case limit == "MIN" && voltage:
			val = r.MinV
		case limit == "MAX" && voltage:
			val = r.MaxV
		case limit == "MIN":
			val = 0
		case limit == "MAX":
			val = r.MaxI
		}
		c.ReplyNR3(val, 8)
	}
	return nil
}

func e36300Commands(model string) *sim.Commands[*e36300] {
	cmds := sim.NewCommands[*e36300]()
	cmds.Handle("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", func(d *e36300, c *sim.Call) error { return d.level(c, true) })
	cmds.Handle("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]?", func(d *e36300, c *sim.Call) error { return d.levelQuery(c, true) })
	cmds.Handle("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", func(d *e36300, c *sim.Call) error { return d.level(c, false) })
	cmds.Handle("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]?", func(d *e36300, c *sim.Call) error { return d.levelQuery(c, false) })
	cmds.Handle("OUTPut[:STATe]", func(d *e36300, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		chans, err := d.channels(c, 1)
		if err != nil {
			return err
		}
		d.switchOutputs(chans, on)
		return nil
	})
	cmds.Handle("OUTPut[:STATe]?", func(d *e36300, c *sim.Call) error {
		chans, err := d.channels(c, 0)
		for _, ch := range chans {
			c.ReplyBool(d.Outputs[ch].On())
		}
		return err
	})
	nr3 := func(c *sim.Call, x float64) { c.ReplyNR3(x, 8) }
	cmds.Handle("MEASure[:SCALar]:VOLTage[:DC]?", sim.MeasureHandler(listed, sim.Voltage, nr3))
	cmds.Handle("MEASure[:SCALar]:CURRent[:DC]?", sim.MeasureHandler(listed, sim.Current, nr3))
	cmds.Handle("[SOURce:]VOLTage:PROTection[:LEVel]", func(d *e36300, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		chans, err := d.channels(c, 1)
		if err != nil {
			return err
		}
		for _, ch := range chans {
			r := d.Outputs[ch].Range()
			v, err := c.Number(0, sim.Number{Unit: "V", Min: 0, Max: 1.1 * max(r.MaxV, -r.MinV)})
			if err != nil {
				return err
			}
			_, on, _ := d.Outputs[ch].OVP()
			d.Outputs[ch].SetOVP(v, on)
		}
		return nil
	})
	cmds.Handle("[SOURce:]VOLTage:PROTection[:LEVel]?", func(d *e36300, c *sim.Call) error {
		chans, err := d.channels(c, 0)
		for _, ch := range chans {
			level, _, _ := d.Outputs[ch].OVP()
			c.ReplyNR3(level, 8)
		}
		return err
	})
	cmds.Handle("[SOURce:]VOLTage:PROTection:TRIPped?", sim.TrippedHandler(listed, sim.OVP))
	cmds.Handle("[SOURce:]CURRent:PROTection:STATe", boolPerChannel((*sim.Output).SetOCP))
	cmds.Handle("[SOURce:]CURRent:PROTection:STATe?", func(d *e36300, c *sim.Call) error {
		chans, err := d.channels(c, 0)
		for _, ch := range chans {
			on, _ := d.Outputs[ch].OCP()
			c.ReplyBool(on)
		}
		return err
	})
	cmds.Handle("[SOURce:]CURRent:PROTection:TRIPped?", sim.TrippedHandler(listed, sim.OCP))
	clearProt := sim.ClearHandler(listed)
	cmds.Handle("[SOURce:]VOLTage:PROTection:CLEar", clearProt)
	cmds.Handle("[SOURce:]CURRent:PROTection:CLEar", clearProt)
	cmds.Handle("OUTPut:PROTection:CLEar", clearProt)
	cmds.Choice("INSTrument[:SELect]", e36300Names,
		func(d *e36300, _ *sim.Call) int { return d.selected },
		func(d *e36300, _ *sim.Call, i int) error { d.selected = i; return nil })
	cmds.Number("INSTrument:NSELect", func(d *e36300, _ *sim.Call) (sim.Number, error) {
		return sim.Number{Min: 1, Max: float64(len(d.Outputs)), Default: 1}, nil
	}, func(d *e36300, _ *sim.Call) float64 { return float64(d.selected + 1) },
		func(d *e36300, _ *sim.Call, v float64) error { d.selected = int(v) - 1; return nil },
		func(c *sim.Call, v float64) { c.ReplyInt(int64(v)) })
	cmds.Handle("STATus:QUEStionable:INSTrument:ISUMmary#:CONDition?", sim.ISUMCondition[*e36300])

	if model != "E36311A" { // no tracking pair on the E36311A
		cmds.Bool("OUTPut:TRACk[:STATe]", func(d *e36300, _ *sim.Call) (bool, error) { return d.tracking, nil },
			func(d *e36300, _ *sim.Call, on bool) error {
				if on && d.pair != pairOff {
					return sim.ErrSettingsConflict.WithInfo("outputs 2 and 3 are paired")
				}
				d.tracking = on
				if on {
					v, _ := d.Outputs[1].Settings()
					d.Outputs[2].SetVoltage(v)
				}
				return nil
			})
	}
	cmds.Handle("[SOURce:]VOLTage:SENSe[:SOURce]", func(d *e36300, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		k, err := c.Choice(0, "INTernal", "EXTernal")
		if err != nil {
			return err
		}
		chans, err := d.channels(c, 1)
		for _, ch := range chans {
			d.remoteSense[ch] = k == 1
		}
		return err
	})
	cmds.Handle("[SOURce:]VOLTage:SENSe[:SOURce]?", func(d *e36300, c *sim.Call) error {
		chans, err := d.channels(c, 0)
		for _, ch := range chans {
			c.Reply(map[bool]string{false: "INT", true: "EXT"}[d.remoteSense[ch]])
		}
		return err
	})
	cmds.SystemCommands("1999.0")
	cmds.Handle("SYSTem:ERRor:COUNt?", sim.ErrorCountHandler[*e36300])
	e36300Features(cmds, model)
	return cmds
}

func init() {
	for _, m := range []string{"E36311A", "E36312A", "E36313A"} {
		sim.MustRegister(m, "Keysight "+m+" triple-output DC power supply", e36300Commands(m), newE36300(m))
	}
}
