package sim

import (
	"strconv"
	"time"
)

// Rigol DP800 series supplies (DP832, DP831, DP821, DP811), from the
// DP800 Programming Guide: channels named CH1..CH3 as a first parameter
// (":OUTP CH1,ON", ":MEAS:VOLT? CH1") or selected with :INSTrument;
// [:SOURce<n>] for levels; ON/OFF and YES/NO answers; fixed-point numbers
// ("5.000", "1.0000").
type dp800 struct {
	model, serial string
	outs          []*Output
	selected      int
}

// Ranges from the guide's :APPLy table (rated values plus Rigol's
// over-range).
var dp800Ranges = map[string][]OutputRange{
	"DP832": {{"CH1", 0, 32, 3.2}, {"CH2", 0, 32, 3.2}, {"CH3", 0, 5.3, 3.2}},
	"DP831": {{"CH1", 0, 8.4, 5.3}, {"CH2", 0, 32, 2.1}, {"CH3", -32, 0, 2.1}},
	"DP821": {{"CH1", 0, 63, 1.05}, {"CH2", 0, 8.4, 10.5}},
	"DP811": {{"CH1", 0, 21, 10.5}},
}

func newDP800(model string) func() *dp800 {
	return func() *dp800 {
		d := &dp800{model: model, serial: "DP8C2400001"}
		for _, r := range dp800Ranges[model] {
			d.outs = append(d.outs, NewOutput(r))
		}
		d.Reset()
		return d
	}
}

func (d *dp800) Identity() string {
	return "RIGOL TECHNOLOGIES," + d.model + "," + d.serial + ",00.01.16"
}

func (d *dp800) Reset() {
	for _, o := range d.outs {
		o.Reset()
		// The DP800 resets OCP to 110% of the rated current.
		o.SetOCPLevel(1.1 * o.Range().MaxI)
	}
	d.selected = 0
}

func (d *dp800) Output(ch int) (*Output, bool) {
	if ch < 1 || ch > len(d.outs) {
		return nil, false
	}
	return d.outs[ch-1], true
}

var dp800Channels = []string{"CH1", "CH2", "CH3"}

// channel reads an optional CHn at parameter i: the channel (0-based) and
// whether it was given, else the selected channel.
func (d *dp800) channel(c *Call, i int) (ch int, given bool, err error) {
	if c.Kind(i) != ParamCharacter {
		return d.selected, false, nil
	}
	k, err := c.Choice(i, dp800Channels...)
	if err != nil {
		return 0, false, err
	}
	if k >= len(d.outs) {
		return 0, false, ErrIllegalParameterValue.WithInfo("no " + dp800Channels[k] + " on the " + d.model)
	}
	return k, true, nil
}

// source is the channel of a [:SOURce<n>] command: the suffix when given,
// else the selected channel.
func (d *dp800) source(c *Call) (int, error) {
	for _, p := range c.path {
		if p.n.short == "SOUR" && p.given {
			if p.suffix < 1 || p.suffix > len(d.outs) {
				return 0, ErrHeaderSuffix
			}
			return p.suffix - 1, nil
		}
	}
	return d.selected, nil
}

// onOff reads an optional channel then ON|OFF: ":OUTP CH1,ON", ":OUTP ON".
func (d *dp800) onOff(c *Call) (ch int, on bool, err error) {
	if err := c.Params(1, 2); err != nil {
		return 0, false, err
	}
	i := 0
	if c.NumParams() == 2 {
		if ch, _, err = d.channel(c, 0); err != nil {
			return 0, false, err
		}
		i = 1
	} else {
		ch = d.selected
	}
	on, err = c.Bool(i)
	return ch, on, err
}

func dp800Commands() *Commands[*dp800] {
	cmds := NewCommands[*dp800]()
	cmds.Handle("APPLy", func(d *dp800, c *Call) error {
		if err := c.Params(1, 3); err != nil {
			return err
		}
		ch, _, err := d.channel(c, 0)
		if err != nil {
			return err
		}
		v, i, err := applyLevels(c, d.outs[ch])
		if err != nil {
			return err
		}
		d.selected = ch
		if c.NumParams() > 1 {
			d.outs[ch].SetVoltage(v)
		}
		if c.NumParams() > 2 {
			d.outs[ch].SetCurrentLimit(i)
		}
		return nil
	})
	cmds.Handle("APPLy?", func(d *dp800, c *Call) error {
		ch, _, err := d.channel(c, 0)
		if err != nil {
			return err
		}
		v, i := d.outs[ch].Settings()
		if c.NumParams() > 1 {
			k, err := c.Choice(1, "CURRent", "VOLTage")
			if err != nil {
				return err
			}
			if k == 1 {
				c.ReplyFixed(v, 3)
			} else {
				c.ReplyFixed(i, 4)
			}
			return nil
		}
		c.Reply(dp800Channels[ch])
		c.ReplyFixed(v, 3)
		c.ReplyFixed(i, 4)
		return nil
	})
	level := func(voltage bool) (func(*dp800, *Call) error, func(*dp800, *Call) error) {
		set := func(d *dp800, c *Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			x, err := c.Number(0, d.outs[ch].levelSpec(voltage))
			if err != nil {
				return err
			}
			if voltage {
				d.outs[ch].SetVoltage(x)
			} else {
				d.outs[ch].SetCurrentLimit(x)
			}
			return nil
		}
		get := func(d *dp800, c *Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			v, i := d.outs[ch].Settings()
			if voltage {
				c.ReplyFixed(v, 3)
			} else {
				c.ReplyFixed(i, 4)
			}
			return nil
		}
		return set, get
	}
	setV, getV := level(true)
	setI, getI := level(false)
	cmds.Handle("[SOURce#:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", setV)
	cmds.Handle("[SOURce#:]VOLTage[:LEVel][:IMMediate][:AMPLitude]?", getV)
	cmds.Handle("[SOURce#:]CURRent[:LEVel][:IMMediate][:AMPLitude]", setI)
	cmds.Handle("[SOURce#:]CURRent[:LEVel][:IMMediate][:AMPLitude]?", getI)
	cmds.Handle("OUTPut[:STATe]", func(d *dp800, c *Call) error {
		ch, on, err := d.onOff(c)
		if err == nil {
			d.outs[ch].SetOn(on)
		}
		return err
	})
	cmds.Handle("OUTPut[:STATe]?", func(d *dp800, c *Call) error {
		ch, _, err := d.channel(c, 0)
		if err == nil {
			c.Reply(map[bool]string{true: "ON", false: "OFF"}[d.outs[ch].On()])
		}
		return err
	})
	cmds.Handle("OUTPut:MODE?", func(d *dp800, c *Call) error {
		ch, _, err := d.channel(c, 0)
		if err != nil {
			return err
		}
		_, _, mode := d.outs[ch].Measure(time.Now())
		if mode == ModeOff {
			mode = ModeCV // an off output reports CV on the DP800
		}
		c.Reply(mode.String())
		return nil
	})
	measure := func(what int) func(*dp800, *Call) error {
		return func(d *dp800, c *Call) error {
			ch, _, err := d.channel(c, 0)
			if err != nil {
				return err
			}
			v, i, _ := d.outs[ch].Measure(time.Now())
			switch what {
			case 0:
				c.ReplyFixed(v, 4)
			case 1:
				c.ReplyFixed(i, 4)
			case 2:
				c.ReplyFixed(v*i, 3)
			default:
				c.ReplyFixed(v, 4)
				c.ReplyFixed(i, 4)
				c.ReplyFixed(v*i, 3)
			}
			return nil
		}
	}
	cmds.Handle("MEASure[:VOLTage][:DC]?", measure(0))
	cmds.Handle("MEASure:CURRent[:DC]?", measure(1))
	cmds.Handle("MEASure:POWEr[:DC]?", measure(2))
	cmds.Handle("MEASure:ALL[:DC]?", measure(3))
	// Protection: :OUTPut:OVP and :OUTPut:OCP, each with VALue, STATe,
	// QUEStion and CLEar.
	for _, ovp := range []bool{true, false} {
		name := "OCP"
		if ovp {
			name = "OVP"
		}
		cmds.Handle("OUTPut:"+name+":VALue", func(d *dp800, c *Call) error {
			if err := c.Params(1, 2); err != nil {
				return err
			}
			ch, i := d.selected, 0
			if c.NumParams() == 2 {
				var err error
				if ch, _, err = d.channel(c, 0); err != nil {
					return err
				}
				i = 1
			}
			r := d.outs[ch].Range()
			if ovp {
				v, err := c.Number(i, Number{Unit: "V", Min: 0.01, Max: 1.1 * max(r.MaxV, -r.MinV)})
				if err != nil {
					return err
				}
				_, on, _ := d.outs[ch].OVP()
				d.outs[ch].SetOVP(v, on)
				return nil
			}
			a, err := c.Number(i, Number{Unit: "A", Min: 0.001, Max: 1.1 * r.MaxI})
			if err == nil {
				d.outs[ch].SetOCPLevel(a)
			}
			return err
		})
		cmds.Handle("OUTPut:"+name+":VALue?", func(d *dp800, c *Call) error {
			ch, _, err := d.channel(c, 0)
			if err != nil {
				return err
			}
			if ovp {
				level, _, _ := d.outs[ch].OVP()
				c.ReplyFixed(level, 3)
			} else {
				c.ReplyFixed(d.outs[ch].OCPLevel(), 4)
			}
			return nil
		})
		cmds.Handle("OUTPut:"+name+"[:STATe]", func(d *dp800, c *Call) error {
			ch, on, err := d.onOff(c)
			if err != nil {
				return err
			}
			if ovp {
				level, _, _ := d.outs[ch].OVP()
				d.outs[ch].SetOVP(level, on)
			} else {
				d.outs[ch].SetOCP(on)
			}
			return nil
		})
		cmds.Handle("OUTPut:"+name+"[:STATe]?", func(d *dp800, c *Call) error {
			ch, _, err := d.channel(c, 0)
			if err != nil {
				return err
			}
			var on bool
			if ovp {
				_, on, _ = d.outs[ch].OVP()
			} else {
				on, _ = d.outs[ch].OCP()
			}
			c.Reply(map[bool]string{true: "ON", false: "OFF"}[on])
			return nil
		})
		cmds.Handle("OUTPut:"+name+":QUEStion?", func(d *dp800, c *Call) error {
			ch, _, err := d.channel(c, 0)
			if err != nil {
				return err
			}
			var tripped bool
			if ovp {
				_, _, tripped = d.outs[ch].OVP()
			} else {
				_, tripped = d.outs[ch].OCP()
			}
			c.Reply(map[bool]string{true: "YES", false: "NO"}[tripped])
			return nil
		})
		cmds.Handle("OUTPut:"+name+":CLEar", func(d *dp800, c *Call) error {
			ch, _, err := d.channel(c, 0)
			if err == nil {
				d.outs[ch].ClearProtection()
			}
			return err
		})
	}
	cmds.Handle("INSTrument[:SELect]", func(d *dp800, c *Call) error {
		ch, _, err := d.channel(c, 0)
		if err == nil {
			d.selected = ch
		}
		return err
	})
	cmds.Handle("INSTrument[:SELect]?", func(d *dp800, c *Call) error {
		c.Reply(dp800Channels[d.selected])
		return nil
	})
	cmds.Handle("INSTrument:NSELect", func(d *dp800, c *Call) error {
		n, err := c.Int(0, Number{Min: 1, Max: float64(len(d.outs))})
		if err == nil {
			d.selected = n - 1
		}
		return err
	})
	cmds.Handle("INSTrument:NSELect?", func(d *dp800, c *Call) error {
		c.Reply(strconv.Itoa(d.selected + 1))
		return nil
	})
	cmds.Handle("SYSTem:ERRor[:NEXT]?", ErrorQueryHandler[*dp800])
	cmds.Handle("SYSTem:VERSion?", func(_ *dp800, c *Call) error { c.Reply("1999.0"); return nil })
	return cmds
}

func init() {
	cmds := dp800Commands()
	for _, m := range []string{"DP832", "DP831", "DP821", "DP811"} {
		MustRegister(m, "Rigol "+m+" programmable DC power supply", cmds, newDP800(m))
	}
}
