package siglent

import (
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// Siglent SPD3303X and SPD3303X-E, after the SPD3303X series programming
// guide (the command index is in spd3303x_guide.go), quirks included on
// purpose:
//
//   - SYSTem:ERRor? answers in its own unquoted form, "0  No Error": the
//     code, two spaces and SCPI's message, for every error the engine
//     queues (bad values, undefined headers);
//   - output states are readable only through SYSTem:STATus?, a hex word
//     (bits 0/1: CH1/CH2 in CC; bits 2-3: 01 independent, 11 series, 10
//     parallel; bits 4/5: CH1/CH2 on; bits 6/7: CH1/CH2 timer running;
//     bits 8/9: CH1/CH2 waveform display); CH3's state is not reported;
//   - there is no OVP or OCP over SCPI;
//   - a command that arrives less than spdMinGap after the previous one is
//     dropped, as users of the real instrument find; drivers must pace.
type spd3303x struct {
	model, serial string
	sim.Outputs
	selected int
	track    int // 0 independent, 1 series, 2 parallel
	wave     [2]bool
	timers   [2]spdTimer
	saved    [5]spdState // *SAV/*RCL locations 1 to 5
	// The LAN settings survive *RST, as a unit's network setup does.
	ip, mask, gate netip.Addr
	dhcp           bool
	last           time.Time
	// now is the model's clock: pacing and the timer read it, and tests
	// step it instead of sleeping.
	now func() time.Time
}

// spdGroup is one step of a channel's timer: levels held for a time.
type spdGroup struct{ v, i, secs float64 }

// spdTimer is a channel's timer: five groups run in order once started.
type spdTimer struct {
	groups  [5]spdGroup
	running bool
	start   time.Time
}

// spdState is what *SAV keeps: the two adjustable channels' levels and
// the tracking mode.
type spdState struct {
	v, i  [2]float64
	track int
}

const (
	spdMinGap = 5 * time.Millisecond
	// spdMaxTimerSecs is the longest time a timer group may hold, per
	// the guide's range for <time>.
	spdMaxTimerSecs = 10000
)

func newSPD(model string) func() *spd3303x {
	return func() *spd3303x {
		d := &spd3303x{model: model, serial: "SPD3XIDX2R0001", now: time.Now, dhcp: true,
			ip:   netip.MustParseAddr("192.168.1.100"),
			mask: netip.MustParseAddr("255.255.255.0"),
			gate: netip.MustParseAddr("192.168.1.1")}
		for _, r := range []sim.OutputRange{{Name: "CH1", MinV: 0, MaxV: 32, MaxI: 3.2}, {Name: "CH2", MinV: 0, MaxV: 32, MaxI: 3.2}, {Name: "CH3", MinV: 0, MaxV: 5, MaxI: 3.2}} {
			d.Outputs = append(d.Outputs, sim.NewOutput(r))
		}
		d.Reset()
		// The memories of a unit out of the box hold its power-on
		// settings, so a recall never finds a location empty.
		for k := range d.saved {
			d.saved[k] = d.save()
		}
		return d
	}
}

func (d *spd3303x) Identity() string {
	return "Siglent Technologies," + d.model + "," + d.serial + ",1.01.01.02.05,V3.0"
}

func (d *spd3303x) Reset() {
	for _, o := range d.Outputs {
		o.Reset()
		o.SetOVP(0, false) // no OVP on this model
	}
	d.Outputs[2].SetVoltage(5) // CH3's switch sits at 5 V
	d.selected, d.track = 0, 0
	d.wave = [2]bool{}
	d.timers = [2]spdTimer{}
}

// paced drops a command that follows the previous one too closely.
func (d *spd3303x) paced(now time.Time) bool {
	early := !d.last.IsZero() && now.Sub(d.last) < spdMinGap
	d.last = now
	return !early
}

// runTimers brings each running timer to the group its elapsed time falls
// in and programs that group's levels; after the last group the timer
// stops and the channel keeps the last group's levels.
func (d *spd3303x) runTimers(now time.Time) {
	for ch := range d.timers {
		t := &d.timers[ch]
		if !t.running {
			continue
		}
		elapsed := now.Sub(t.start).Seconds()
		var end float64
		active := -1
		for k, g := range t.groups {
			if g.secs <= 0 {
				continue
			}
			active = k
			end += g.secs
			if elapsed < end {
				break
			}
		}
		if active < 0 {
			t.running = false
			continue
		}
		g := t.groups[active]
		d.Outputs[ch].SetVoltage(g.v)
		d.Outputs[ch].SetCurrentLimit(g.i)
		if elapsed >= end {
			t.running = false
		}
	}
}

func (d *spd3303x) save() spdState {
	s := spdState{track: d.track}
	for ch := range 2 {
		s.v[ch], s.i[ch] = d.Outputs[ch].Settings()
	}
	return s
}

func (d *spd3303x) recall(s spdState) {
	for ch := range 2 {
		d.Outputs[ch].SetVoltage(s.v[ch])
		d.Outputs[ch].SetCurrentLimit(s.i[ch])
	}
	d.track = s.track
}

// prefixed reads a level command's channel: CH1:VOLT or VOLT (selected).
func (d *spd3303x) prefixed(c *sim.Call) (int, error) {
	if n, given := c.SuffixGiven("CH"); given {
		if n < 1 || n > 2 {
			return 0, sim.ErrHeaderSuffix
		}
		return n - 1, nil
	}
	return d.selected, nil
}

// spdChannel reads a channel name at parameter i, of the first max of
// CH1, CH2, CH3.
func spdChannel(c *sim.Call, i int, max int) (int, error) {
	k, err := c.Choice(i, "CH1", "CH2", "CH3")
	if err != nil || k >= max {
		return 0, sim.ErrIllegalParameterValue
	}
	return k, nil
}

// spdTimerGroup checks that the call has n parameters and reads the
// timer's channel (CH1 or CH2) and group (1 to 5), its first two.
func spdTimerGroup(c *sim.Call, n int) (ch, group int, err error) {
	if err := c.Params(n, n); err != nil {
		return 0, 0, err
	}
	if ch, err = spdChannel(c, 0, 2); err != nil {
		return 0, 0, err
	}
	group, err = c.Int(1, sim.Number{Min: 1, Max: 5})
	return ch, group, err
}

// spdAddr reads a dotted IPv4 address at parameter 0. The guide sends
// it bare (IPaddr 10.11.13.214), which the engine's parser rejects as a
// malformed number before a handler sees it, so it arrives quoted.
func spdAddr(c *sim.Call) (netip.Addr, error) {
	if err := c.Params(1, 1); err != nil {
		return netip.Addr{}, err
	}
	s, err := c.String(0)
	if err != nil {
		return netip.Addr{}, err
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, sim.ErrIllegalParameterValue.WithInfo("want a dotted IPv4 address such as 192.168.1.100")
	}
	return a, nil
}

// spdNumber formats a timer group's field as the guide prints it: "3",
// "0.5".
func spdNumber(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

func spdCommands() *sim.Commands[*spd3303x] {
	cmds := sim.NewCommands[*spd3303x]()
	// handle registers a handler behind the pacing every command of the
	// model goes through: a too-early command is silently lost, and a
	// running timer is brought up to date before the command sees the
	// levels.
	handle := func(pattern string, h func(*spd3303x, *sim.Call) error) {
		cmds.Handle(pattern, func(d *spd3303x, c *sim.Call) error {
			now := d.now()
			if !d.paced(now) {
				c.Discard()
				return nil
			}
			d.runTimers(now)
			return h(d, c)
		})
	}
	level := func(voltage bool) {
		name := "CURRent"
		if voltage {
			name = "VOLTage"
		}
		handle("[CH#:]"+name, func(d *spd3303x, c *sim.Call) error {
			ch, err := d.prefixed(c)
			if err != nil {
				return err
			}
			r := d.Outputs[ch].Range()
			spec := sim.Number{Unit: "A", Max: r.MaxI}
			if voltage {
				spec = sim.Number{Unit: "V", Max: r.MaxV}
			}
			x, err := c.Number(0, spec)
			if err != nil {
				return err
			}
			if voltage {
				d.Outputs[ch].SetVoltage(x)
				if d.track != 0 {
					d.Outputs[1-ch].SetVoltage(x)
				}
			} else {
				d.Outputs[ch].SetCurrentLimit(x)
			}
			return nil
		})
		handle("[CH#:]"+name+"?", func(d *spd3303x, c *sim.Call) error {
			ch, err := d.prefixed(c)
			if err != nil {
				return err
			}
			v, i := d.Outputs[ch].Settings()
			if voltage {
				c.ReplyFixed(v, 3)
			} else {
				c.ReplyFixed(i, 3)
			}
			return nil
		})
	}
	level(true)
	level(false)
	handle("OUTPut", func(d *spd3303x, c *sim.Call) error {
		if err := c.Params(2, 2); err != nil {
			return err
		}
		ch, err := spdChannel(c, 0, 3)
		if err != nil {
			return err
		}
		on, err := c.Bool(1)
		if err != nil {
			return err
		}
		d.Outputs[ch].SetOn(on)
		return nil
	})
	handle("OUTPut:TRACK", func(d *spd3303x, c *sim.Call) error {
		mode, err := c.Int(0, sim.Number{Max: 2})
		if err == nil {
			d.track = mode
		}
		return err
	})
	handle("OUTPut:WAVE", func(d *spd3303x, c *sim.Call) error {
		if err := c.Params(2, 2); err != nil {
			return err
		}
		ch, err := spdChannel(c, 0, 2)
		if err != nil {
			return err
		}
		on, err := c.Bool(1)
		if err == nil {
			d.wave[ch] = on
		}
		return err
	})
	handle("INSTrument", func(d *spd3303x, c *sim.Call) error {
		ch, err := spdChannel(c, 0, 2)
		if err == nil {
			d.selected = ch
		}
		return err
	})
	handle("INSTrument?", func(d *spd3303x, c *sim.Call) error {
		c.Reply("CH" + strconv.Itoa(d.selected+1))
		return nil
	})
	measure := func(what int) func(*spd3303x, *sim.Call) error {
		return func(d *spd3303x, c *sim.Call) error {
			ch := d.selected
			if c.NumParams() > 0 {
				var err error
				if ch, err = spdChannel(c, 0, 2); err != nil {
					return err
				}
			}
			v, i, _ := d.Outputs[ch].Measure(d.now())
			switch what {
			case 0:
				c.ReplyFixed(v, 3)
			case 1:
				c.ReplyFixed(i, 3)
			default:
				c.ReplyFixed(v*i, 3)
			}
			return nil
		}
	}
	handle("MEASure:VOLTage?", measure(0))
	handle("MEASure:CURRent?", measure(1))
	handle("MEASure:POWEr?", measure(2))
	handle("TIMEr:SET", func(d *spd3303x, c *sim.Call) error {
		ch, k, err := spdTimerGroup(c, 5)
		if err != nil {
			return err
		}
		r := d.Outputs[ch].Range()
		v, err := c.Number(2, sim.Number{Unit: "V", Max: r.MaxV})
		if err != nil {
			return err
		}
		i, err := c.Number(3, sim.Number{Unit: "A", Max: r.MaxI})
		if err != nil {
			return err
		}
		secs, err := c.Number(4, sim.Number{Unit: "s", Max: spdMaxTimerSecs})
		if err != nil {
			return err
		}
		d.timers[ch].groups[k-1] = spdGroup{v, i, secs}
		return nil
	})
	handle("TIMEr:SET?", func(d *spd3303x, c *sim.Call) error {
		ch, k, err := spdTimerGroup(c, 2)
		if err != nil {
			return err
		}
		g := d.timers[ch].groups[k-1]
		c.Reply(spdNumber(g.v) + "," + spdNumber(g.i) + "," + spdNumber(g.secs))
		return nil
	})
	handle("TIMEr", func(d *spd3303x, c *sim.Call) error {
		if err := c.Params(2, 2); err != nil {
			return err
		}
		ch, err := spdChannel(c, 0, 2)
		if err != nil {
			return err
		}
		on, err := c.Bool(1)
		if err != nil {
			return err
		}
		d.timers[ch].running, d.timers[ch].start = on, d.now()
		if on {
			d.runTimers(d.timers[ch].start)
		}
		return nil
	})
	handle("SYSTem:STATus?", func(d *spd3303x, c *sim.Call) error {
		var w int
		for ch := range 2 {
			_, _, mode := d.Outputs[ch].Measure(d.now())
			if mode == sim.ModeCC {
				w |= 1 << ch
			}
			if d.Outputs[ch].On() {
				w |= 1 << (4 + ch)
			}
			if d.timers[ch].running {
				w |= 1 << (6 + ch)
			}
			if d.wave[ch] {
				w |= 1 << (8 + ch)
			}
		}
		w |= []int{0b01, 0b11, 0b10}[d.track] << 2
		c.Reply(fmt.Sprintf("0x%04X", w))
		return nil
	})
	// The unit keeps SCPI's error codes and messages but answers in its
	// own unquoted form.
	handle("SYSTem:ERRor?", func(_ *spd3303x, c *sim.Call) error {
		e := c.NextError()
		if e.Code == 0 {
			c.Reply("0  No Error")
			return nil
		}
		c.Reply(strconv.Itoa(e.Code) + "  " + e.Message)
		return nil
	})
	handle("SYSTem:VERSion?", func(_ *spd3303x, c *sim.Call) error { c.Reply("1.01.01.02.05"); return nil })
	handle("*SAV", func(d *spd3303x, c *sim.Call) error {
		n, err := c.Int(0, sim.Number{Min: 1, Max: 5})
		if err == nil {
			d.saved[n-1] = d.save()
		}
		return err
	})
	handle("*RCL", func(d *spd3303x, c *sim.Call) error {
		n, err := c.Int(0, sim.Number{Min: 1, Max: 5})
		if err == nil {
			d.recall(d.saved[n-1])
		}
		return err
	})
	addr := func(name string, field func(*spd3303x) *netip.Addr) {
		handle(name, func(d *spd3303x, c *sim.Call) error {
			a, err := spdAddr(c)
			if err != nil {
				return err
			}
			// The guide: static addresses are taken only with DHCP off.
			if d.dhcp {
				return sim.ErrSettingsConflict.WithInfo("DHCP is on: send DHCP OFF first")
			}
			*field(d) = a
			return nil
		})
		handle(name+"?", func(d *spd3303x, c *sim.Call) error { c.Reply(field(d).String()); return nil })
	}
	addr("IPaddr", func(d *spd3303x) *netip.Addr { return &d.ip })
	addr("MASKaddr", func(d *spd3303x) *netip.Addr { return &d.mask })
	addr("GATEaddr", func(d *spd3303x) *netip.Addr { return &d.gate })
	handle("DHCP", func(d *spd3303x, c *sim.Call) error {
		on, err := c.Bool(0)
		if err == nil {
			d.dhcp = on
		}
		return err
	})
	handle("DHCP?", func(d *spd3303x, c *sim.Call) error {
		c.Reply(map[bool]string{true: "DHCP:ON", false: "DHCP:OFF"}[d.dhcp])
		return nil
	})
	return cmds
}

func init() {
	cmds := spdCommands()
	for _, m := range []string{"SPD3303X", "SPD3303X-E"} {
		sim.MustRegister(m, "Siglent "+m+" programmable DC power supply", cmds, newSPD(m))
	}
}
