package sim

import (
	"fmt"
	"strconv"
	"time"
)

// Siglent SPD3303X and SPD3303X-E, after the SPD3303X series programming
// guide, quirks included on purpose:
//
//   - SYSTem:ERRor? answers in its own unquoted form, "0  No Error";
//   - output states are readable only through SYSTem:STATus?, a hex word
//     (bits 0/1: CH1/CH2 in CC; bits 2-3: 01 independent, 11 series, 10
//     parallel; bits 4/5: CH1/CH2 on); CH3's state is not reported at all;
//   - there is no OVP or OCP over SCPI;
//   - a command that arrives less than spdMinGap after the previous one is
//     dropped, as users of the real instrument find; drivers must pace.
type spd3303x struct {
	model, serial string
	outs          []*Output // CH1, CH2, CH3 (fixed 2.5/3.3/5 V, switch only)
	selected      int
	track         int // 0 independent, 1 series, 2 parallel
	last          time.Time
	errors        []string
}

const spdMinGap = 5 * time.Millisecond

func newSPD(model string) func() *spd3303x {
	return func() *spd3303x {
		d := &spd3303x{model: model, serial: "SPD3XIDX2R0001"}
		for _, r := range []OutputRange{{"CH1", 0, 32, 3.2}, {"CH2", 0, 32, 3.2}, {"CH3", 0, 5, 3.2}} {
			d.outs = append(d.outs, NewOutput(r))
		}
		d.Reset()
		return d
	}
}

func (d *spd3303x) Identity() string {
	return "Siglent Technologies," + d.model + "," + d.serial + ",1.01.01.02.05,V3.0"
}

func (d *spd3303x) Reset() {
	for _, o := range d.outs {
		o.Reset()
		o.SetOVP(0, false) // no OVP on this model
	}
	d.outs[2].SetVoltage(5) // CH3's switch sits at 5 V
	d.selected, d.track = 0, 0
}

func (d *spd3303x) Output(ch int) (*Output, bool) {
	if ch < 1 || ch > len(d.outs) {
		return nil, false
	}
	return d.outs[ch-1], true
}

// paced drops a command that follows the previous one too closely.
func (d *spd3303x) paced() bool {
	now := time.Now()
	early := !d.last.IsZero() && now.Sub(d.last) < spdMinGap
	d.last = now
	return !early
}

func (d *spd3303x) fail(msg string) error {
	d.errors = append(d.errors, msg)
	return nil // errors go to its own queue, not the SCPI one
}

// prefixed reads a level command's channel: CH1:VOLT or VOLT (selected).
func (d *spd3303x) prefixed(c *Call) (int, error) {
	for _, p := range c.path {
		if p.n.short == "CH" && p.given {
			if p.suffix < 1 || p.suffix > 2 {
				return 0, ErrHeaderSuffix
			}
			return p.suffix - 1, nil
		}
	}
	return d.selected, nil
}

func spdCommands() *Commands[*spd3303x] {
	cmds := NewCommands[*spd3303x]()
	// pace wraps every handler: a too-early command is silently lost.
	pace := func(h func(*spd3303x, *Call) error) func(*spd3303x, *Call) error {
		return func(d *spd3303x, c *Call) error {
			if !d.paced() {
				c.used = c.NumParams()
				return nil
			}
			return h(d, c)
		}
	}
	level := func(voltage bool) {
		name := "CURRent"
		if voltage {
			name = "VOLTage"
		}
		cmds.Handle("[CH#:]"+name, pace(func(d *spd3303x, c *Call) error {
			ch, err := d.prefixed(c)
			if err != nil {
				return err
			}
			r := d.outs[ch].Range()
			spec := Number{Unit: "A", Max: r.MaxI}
			if voltage {
				spec = Number{Unit: "V", Max: r.MaxV}
			}
			x, err := c.Number(0, spec)
			if err != nil {
				// The SPD3303X queues the error in its own unquoted form;
				// the code and message are SCPI's.
				c.used = c.NumParams()
				e := asError(err)
				return d.fail(fmt.Sprintf("%d  %s", e.Code, e.Message))
			}
			if voltage {
				d.outs[ch].SetVoltage(x)
				if d.track != 0 {
					d.outs[1-ch].SetVoltage(x)
				}
			} else {
				d.outs[ch].SetCurrentLimit(x)
			}
			return nil
		}))
		cmds.Handle("[CH#:]"+name+"?", pace(func(d *spd3303x, c *Call) error {
			ch, err := d.prefixed(c)
			if err != nil {
				return err
			}
			v, i := d.outs[ch].Settings()
			if voltage {
				c.ReplyFixed(v, 3)
			} else {
				c.ReplyFixed(i, 3)
			}
			return nil
		}))
	}
	level(true)
	level(false)
	channel := func(c *Call, i int, max int) (int, error) {
		k, err := c.Choice(i, "CH1", "CH2", "CH3")
		if err != nil || k >= max {
			return 0, ErrIllegalParameterValue
		}
		return k, nil
	}
	cmds.Handle("OUTPut", pace(func(d *spd3303x, c *Call) error {
		if err := c.Params(2, 2); err != nil {
			return err
		}
		ch, err := channel(c, 0, 3)
		if err != nil {
			return err
		}
		on, err := c.Bool(1)
		if err != nil {
			return err
		}
		d.outs[ch].SetOn(on)
		return nil
	}))
	cmds.Handle("OUTPut:TRACK", pace(func(d *spd3303x, c *Call) error {
		mode, err := c.Int(0, Number{Max: 2})
		if err == nil {
			d.track = mode
		}
		return err
	}))
	cmds.Handle("INSTrument", pace(func(d *spd3303x, c *Call) error {
		ch, err := channel(c, 0, 2)
		if err == nil {
			d.selected = ch
		}
		return err
	}))
	cmds.Handle("INSTrument?", pace(func(d *spd3303x, c *Call) error {
		c.Reply("CH" + strconv.Itoa(d.selected+1))
		return nil
	}))
	measure := func(what int) func(*spd3303x, *Call) error {
		return pace(func(d *spd3303x, c *Call) error {
			ch := d.selected
			if c.NumParams() > 0 {
				var err error
				if ch, err = channel(c, 0, 2); err != nil {
					return err
				}
			}
			v, i, _ := d.outs[ch].Measure(time.Now())
			switch what {
			case 0:
				c.ReplyFixed(v, 3)
			case 1:
				c.ReplyFixed(i, 3)
			default:
				c.ReplyFixed(v*i, 3)
			}
			return nil
		})
	}
	cmds.Handle("MEASure:VOLTage?", measure(0))
	cmds.Handle("MEASure:CURRent?", measure(1))
	cmds.Handle("MEASure:POWEr?", measure(2))
	cmds.Handle("SYSTem:STATus?", pace(func(d *spd3303x, c *Call) error {
		var w int
		for ch := range 2 {
			_, _, mode := d.outs[ch].Measure(time.Now())
			if mode == ModeCC {
				w |= 1 << ch
			}
			if d.outs[ch].On() {
				w |= 1 << (4 + ch)
			}
		}
		w |= []int{0b01, 0b11, 0b10}[d.track] << 2
		c.Reply(fmt.Sprintf("0x%04X", w))
		return nil
	}))
	cmds.Handle("SYSTem:ERRor?", pace(func(d *spd3303x, c *Call) error {
		if len(d.errors) == 0 {
			c.Reply("0  No Error")
			return nil
		}
		c.Reply(d.errors[0])
		d.errors = d.errors[1:]
		return nil
	}))
	cmds.Handle("SYSTem:VERSion?", pace(func(d *spd3303x, c *Call) error { c.Reply("1.01.01.02.05"); return nil }))
	return cmds
}

func init() {
	cmds := spdCommands()
	for _, m := range []string{"SPD3303X", "SPD3303X-E"} {
		MustRegister(m, "Siglent "+m+" programmable DC power supply", cmds, newSPD(m))
	}
}
