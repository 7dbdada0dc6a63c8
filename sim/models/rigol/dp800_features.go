package rigol

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/scpikit/scpikit/sim"
)

// The DP800's functions beyond the output stages, from the DP800
// Programming Guide: the timer, the delayer, the monitor, the recorder and
// the analyzer, the internal memory, presets, the digital I/O triggers and
// the display and system settings. What runs on the clock is in
// dp800_seq.go.

func dp800FeatureCommands(cmds *dpTable, tracking bool) {
	dp800TimerCommands(cmds)
	dp800DelayCommands(cmds)
	dp800MonitorCommands(cmds)
	dp800RecorderCommands(cmds)
	dp800MemoryCommands(cmds)
	dp800TriggerIOCommands(cmds)
	dp800SettingCommands(cmds, tracking)
}

// Reply helpers: the guide prints volts with 3 decimals, amps with 4,
// watts with 3, and seconds as whole numbers where they are integers.
var dp800Decimals = [3]int{3, 4, 3}

func fixed(x float64, decimals int) string { return strconv.FormatFloat(x, 'f', decimals, 64) }

func plain(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// replyBlock9 answers data in the guide's block form with a nine-digit
// length: "#9000000036" then the data.
func replyBlock9(c *sim.Call, data string) {
	c.Reply(fmt.Sprintf("#9%09d", len(data)) + data)
}

// running refuses a change to a program while it runs: the unit keeps its
// parameters locked until the program is switched off.
func running(what string) error {
	return sim.ErrSettingsConflict.WithInfo(what + " is running")
}

// quantitySpec is what a threshold on quantity q (V, C, P) of output o
// accepts: 0 to the channel's maximum, and def for DEF.
func quantitySpec(o *sim.Output, q int, def float64) sim.Number {
	r := o.Range()
	v := max(r.MaxV, -r.MinV)
	top := [3]float64{v, r.MaxI, v * r.MaxI}[q]
	return sim.Number{Unit: [3]string{"V", "A", "W"}[q], Min: 0, Max: top, Default: def}
}

// cycles reads {N|I}[,<count>] at parameter i: 0 for infinite.
func cycles(c *sim.Call) (int, error) {
	if err := c.Params(1, 2); err != nil {
		return 0, err
	}
	k, err := c.Choice(0, "N", "I")
	if err != nil {
		return 0, err
	}
	if k == 1 {
		if c.NumParams() > 1 {
			return 0, sim.ErrParameterNotAllowed
		}
		return 0, nil
	}
	if c.NumParams() < 2 {
		return 1, nil
	}
	return c.Int(1, sim.Number{Min: 1, Max: dp800MaxCycles, Default: 1})
}

func replyCycles(c *sim.Call, n int) {
	if n == 0 {
		c.Reply("I")
		return
	}
	c.Reply("N," + strconv.Itoa(n))
}

// groupRange reads a program query's <first>[,<count>]: groups 0 to 2047,
// count 1 to 2048 (1 when absent), all of them inside the program's room.
func groupRange(c *sim.Call) (first, count int, err error) {
	if err := c.Params(1, 2); err != nil {
		return 0, 0, err
	}
	if first, err = c.Int(0, sim.Number{Min: 0, Max: dp800MaxGroups - 1}); err != nil {
		return 0, 0, err
	}
	count = 1
	if c.NumParams() > 1 {
		if count, err = c.Int(1, sim.Number{Min: 1, Max: dp800MaxGroups, Default: 1}); err != nil {
			return 0, 0, err
		}
	}
	if first+count > dp800MaxGroups {
		return 0, 0, sim.ErrDataOutOfRange
	}
	return first, count, nil
}

func dp800TimerCommands(cmds *dpTable) {
	timerIdle := func(d *dp800) error {
		if d.timers[d.selected].seq.on {
			return running("the timer of " + dp800Channels[d.selected])
		}
		return nil
	}
	cmds.Handle("TIMEr:CYCLEs", func(d *dp800, c *sim.Call) error {
		n, err := cycles(c)
		if err == nil {
			if err = timerIdle(d); err == nil {
				d.timers[d.selected].seq.cycles = n
			}
		}
		return err
	})
	cmds.Handle("TIMEr:CYCLEs?", func(d *dp800, c *sim.Call) error {
		replyCycles(c, d.timers[d.selected].seq.cycles)
		return nil
	})
	cmds.Handle("TIMEr:ENDState", func(d *dp800, c *sim.Call) error {
		k, err := c.Choice(0, "OFF", "LAST")
		if err == nil {
			if err = timerIdle(d); err == nil {
				d.timers[d.selected].endLast = k == 1
			}
		}
		return err
	})
	cmds.Handle("TIMEr:ENDState?", func(d *dp800, c *sim.Call) error {
		c.Reply(map[bool]string{false: "OFF", true: "LAST"}[d.timers[d.selected].endLast])
		return nil
	})
	cmds.Handle("TIMEr:GROUPs", func(d *dp800, c *sim.Call) error {
		n, err := c.Int(0, sim.Number{Min: 1, Max: dp800MaxGroups, Default: 1})
		if err == nil {
			if err = timerIdle(d); err == nil {
				d.timers[d.selected].seq.count = n
			}
		}
		return err
	})
	cmds.Handle("TIMEr:GROUPs?", func(d *dp800, c *sim.Call) error {
		c.ReplyInt(int64(d.timers[d.selected].seq.count))
		return nil
	})
	cmds.Handle("TIMEr:PARAmeter", func(d *dp800, c *sim.Call) error {
		if err := c.Params(4, 4); err != nil {
			return err
		}
		k, g, err := d.timerGroupArgs(c, 0, d.selected)
		if err != nil {
			return err
		}
		if err := timerIdle(d); err != nil {
			return err
		}
		ch := d.selected
		d.timers[ch].set(k, g, func(k int) dp800TimerGroup { return d.timerGroup(ch, k) })
		return nil
	})
	cmds.Handle("TIMEr:PARAmeter?", func(d *dp800, c *sim.Call) error {
		first, count, err := groupRange(c)
		if err != nil {
			return err
		}
		var b strings.Builder
		for k := first; k < first+count; k++ {
			b.WriteString(d.timerGroupText(d.selected, k) + ";")
		}
		replyBlock9(c, b.String())
		return nil
	})
	cmds.Handle("TIMEr[:STATe]", func(d *dp800, c *sim.Call) error {
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		return d.setTimer(d.selected, on)
	})
	cmds.Handle("TIMEr[:STATe]?", func(d *dp800, c *sim.Call) error {
		replyOnOff(c, d.timers[d.selected].seq.on)
		return nil
	})
	// :OUTPut:TIMEr names the channel; the guide writes the DP831's
	// P8V|P30V|N30V, the other members' CH1|CH2|CH3 are taken too.
	outChannel := func(d *dp800, c *sim.Call, i int) (int, error) {
		k, err := c.Choice(i, "CH1", "CH2", "CH3", "P8V", "P30V", "N30V")
		if err != nil {
			return 0, err
		}
		if k%3 >= len(d.Outputs) {
			return 0, sim.ErrIllegalParameterValue.WithInfo("no " + dp800Channels[k%3] + " on the " + d.model)
		}
		return k % 3, nil
	}
	cmds.Handle("OUTPut:TIMEr", func(d *dp800, c *sim.Call) error {
		if err := c.Params(5, 5); err != nil {
			return err
		}
		ch, err := outChannel(d, c, 0)
		if err != nil {
			return err
		}
		k, g, err := d.timerGroupArgs(c, 1, ch)
		if err != nil {
			return err
		}
		if d.timers[ch].seq.on {
			return running("the timer of " + dp800Channels[ch])
		}
		d.timers[ch].set(k, g, func(k int) dp800TimerGroup { return d.timerGroup(ch, k) })
		return nil
	})
	cmds.Handle("OUTPut:TIMEr?", func(d *dp800, c *sim.Call) error {
		ch, err := outChannel(d, c, 0)
		if err != nil {
			return err
		}
		texts := make([]string, 5) // the first five groups, 0 to 4
		for k := range texts {
			texts[k] = d.timerGroupText(ch, k)
		}
		c.Reply(strings.Join(texts, ";"))
		return nil
	})
	cmds.Handle("OUTPut:TIMEr:STATe", func(d *dp800, c *sim.Call) error {
		ch, on, err := d.onOff(c)
		if err != nil {
			return err
		}
		return d.setTimer(ch, on)
	})
	cmds.Handle("OUTPut:TIMEr:STATe?", func(d *dp800, c *sim.Call) error {
		ch, _, err := d.channel(c, 0)
		if err == nil {
			replyOnOff(c, d.timers[ch].seq.on)
		}
		return err
	})
	dp800TemplateCommands(cmds, timerIdle)
}

// timerGroupArgs reads <secnum>,<volt>,<curr>,<time> from parameter i on,
// for channel ch: the group number and its levels in the channel's ranges.
func (d *dp800) timerGroupArgs(c *sim.Call, i, ch int) (int, dp800TimerGroup, error) {
	k, err := c.Int(i, sim.Number{Min: 0, Max: dp800MaxGroups - 1})
	if err != nil {
		return 0, dp800TimerGroup{}, err
	}
	def := d.timerGroup(ch, dp800MaxGroups) // the default group
	o := d.Outputs[ch]
	vSpec, iSpec := o.LevelSpec(true), o.LevelSpec(false)
	vSpec.Default, iSpec.Default = def.v, def.i
	var g dp800TimerGroup
	if g.v, err = c.Number(i+1, vSpec); err != nil {
		return 0, g, err
	}
	if g.i, err = c.Number(i+2, iSpec); err != nil {
		return 0, g, err
	}
	g.t, err = c.Number(i+3, sim.Number{Unit: "S", Min: 1, Max: dp800MaxSeconds, Default: 1})
	return k, g, err
}

func (d *dp800) timerGroupText(ch, k int) string {
	g := d.timerGroup(ch, k)
	return strconv.Itoa(k) + "," + fixed(g.v, 3) + "," + fixed(g.i, 4) + "," + plain(g.t)
}

// setTimer switches channel ch's timer: on starts its program from the
// first group (refused while the delayer runs: the guide allows only one
// of them); off stops it with the levels where they are.
func (d *dp800) setTimer(ch int, on bool) error {
	s := &d.timers[ch].seq
	switch {
	case on && d.delays[ch].seq.on:
		return sim.ErrSettingsConflict.WithInfo("the delayer of " + dp800Channels[ch] + " is on")
	case on && !s.on:
		d.startTimer(ch, d.now())
	case !on:
		s.on = false
	}
	d.refresh()
	return nil
}

// dp800Template is the timer's template editor (:TIMEr:TEMPlet).
type dp800Template struct {
	kind               int // SINE SQUARE RAMP UP DN UPDN RISE FALL
	current            bool
	fixed              float64 // the quantity that is not edited
	max, min           float64
	points, interval   int
	period, width      int
	symmetry           int
	riseRate, fallRate int
	invert             bool
}

var dp800Templates = []string{"SINE", "SQUARE", "RAMP", "UP", "DN", "UPDN", "RISE", "FALL"}

func dp800TemplateCommands(cmds *dpTable, timerIdle func(*dp800) error) {
	cmds.Handle("TIMEr:TEMPlet:SELect", func(d *dp800, c *sim.Call) error {
		k, err := c.Choice(0, dp800Templates...)
		if err == nil {
			d.tmpl.kind = k
		}
		return err
	})
	cmds.Handle("TIMEr:TEMPlet:SELect?", func(d *dp800, c *sim.Call) error {
		c.Reply(dp800Templates[d.tmpl.kind])
		return nil
	})
	// :OBJect {V|C},<the other quantity>: which quantity the template
	// shapes, and the fixed level of the other.
	cmds.Handle("TIMEr:TEMPlet:OBJect", func(d *dp800, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		k, err := c.Choice(0, "V", "C")
		if err != nil {
			return err
		}
		fixedLevel := d.tmpl.fixed
		if c.NumParams() > 1 {
			if fixedLevel, err = c.Number(1, d.Outputs[d.selected].LevelSpec(k == 1)); err != nil {
				return err
			}
		}
		d.tmpl.current, d.tmpl.fixed = k == 1, fixedLevel
		return nil
	})
	cmds.Handle("TIMEr:TEMPlet:OBJect?", func(d *dp800, c *sim.Call) error {
		if d.tmpl.current {
			c.Reply("C," + fixed(d.tmpl.fixed, 3))
		} else {
			c.Reply("V," + fixed(d.tmpl.fixed, 4))
		}
		return nil
	})
	edited := func(d *dp800) (sim.Number, int) {
		spec := d.Outputs[d.selected].LevelSpec(!d.tmpl.current)
		if d.tmpl.current {
			return spec, 4
		}
		return spec, 3
	}
	for _, top := range []bool{true, false} {
		name := "TIMEr:TEMPlet:MINValue"
		if top {
			name = "TIMEr:TEMPlet:MAXValue"
		}
		field := func(d *dp800) *float64 {
			if top {
				return &d.tmpl.max
			}
			return &d.tmpl.min
		}
		spec := func(d *dp800) (sim.Number, int) {
			spec, dec := edited(d)
			spec.Default = spec.Min
			if top {
				spec.Default = spec.Max
			}
			return spec, dec
		}
		cmds.Handle(name, func(d *dp800, c *sim.Call) error {
			spec, _ := spec(d)
			x, err := c.Number(0, spec)
			if err == nil {
				*field(d) = x
			}
			return err
		})
		cmds.Handle(name+"?", func(d *dp800, c *sim.Call) error {
			spec, dec := spec(d)
			x := *field(d)
			if c.NumParams() > 0 {
				var err error
				if x, err = c.Limit(0, spec); err != nil {
					return err
				}
			}
			c.ReplyFixed(x, dec)
			return nil
		})
	}
	intSetting := func(pattern string, lo, hi, def int, field func(*dp800) *int) {
		cmds.Number(pattern, func(*dp800, *sim.Call) (sim.Number, error) {
			return sim.Number{Min: float64(lo), Max: float64(hi), Default: float64(def)}, nil
		}, func(d *dp800, _ *sim.Call) float64 { return float64(*field(d)) },
			func(d *dp800, _ *sim.Call, x float64) error { *field(d) = int(math.Round(x)); return nil },
			func(c *sim.Call, x float64) { c.ReplyInt(int64(x)) })
	}
	intSetting("TIMEr:TEMPlet:POINTs", 10, dp800MaxGroups, 10, func(d *dp800) *int { return &d.tmpl.points })
	intSetting("TIMEr:TEMPlet:INTErval", 1, dp800MaxSeconds, 1, func(d *dp800) *int { return &d.tmpl.interval })
	intSetting("TIMEr:TEMPlet:PERIod", 2, dp800MaxSeconds, 10, func(d *dp800) *int { return &d.tmpl.period })
	intSetting("TIMEr:TEMPlet:WIDTh", 1, dp800MaxSeconds-1, 5, func(d *dp800) *int { return &d.tmpl.width })
	intSetting("TIMEr:TEMPlet:SYMMetry", 0, 100, 50, func(d *dp800) *int { return &d.tmpl.symmetry })
	intSetting("TIMEr:TEMPlet:RISERate", 0, 10, 0, func(d *dp800) *int { return &d.tmpl.riseRate })
	intSetting("TIMEr:TEMPlet:FALLRate", 0, 10, 0, func(d *dp800) *int { return &d.tmpl.fallRate })
	cmds.Handle("TIMEr:TEMPlet:INVErt", func(d *dp800, c *sim.Call) error {
		on, err := c.Bool(0)
		if err == nil {
			d.tmpl.invert = on
		}
		return err
	})
	cmds.Handle("TIMEr:TEMPlet:INVErt?", func(d *dp800, c *sim.Call) error {
		replyOnOff(c, d.tmpl.invert)
		return nil
	})
	cmds.Handle("TIMEr:TEMPlet:CONSTruct", func(d *dp800, c *sim.Call) error {
		if err := timerIdle(d); err != nil {
			return err
		}
		return d.construct()
	})
}

// construct writes the selected template into the selected channel's
// timer: its groups and their count.
func (d *dp800) construct() error {
	t := d.tmpl
	ch := d.selected
	o := d.Outputs[ch]
	spec := o.LevelSpec(!t.current)
	if t.min > t.max {
		return sim.ErrSettingsConflict.WithInfo("the minimum is above the maximum")
	}
	if t.max > spec.Max || t.min < spec.Min {
		return sim.ErrSettingsConflict.WithInfo("the template's values are outside " + dp800Channels[ch] + "'s range")
	}
	if t.kind == 1 && t.width >= t.period {
		return sim.ErrSettingsConflict.WithInfo("the pulse width is not below its period")
	}
	var values, times []float64
	n := t.points
	span := t.max - t.min
	for k := range n {
		x := float64(k) / float64(n-1)
		var frac float64
		switch t.kind {
		case 0: // SINE: one period over the points
			frac = (1 + math.Sin(2*math.Pi*float64(k)/float64(n))) / 2
		case 2: // RAMP: up over symmetry% of the points, then down
			rise := float64(n) * float64(t.symmetry) / 100
			if float64(k) < rise {
				frac = float64(k) / rise
			} else {
				frac = 1 - (float64(k)-rise)/(float64(n)-rise)
			}
		case 3: // UP: a staircase from the minimum to the maximum
			frac = x
		case 4: // DN
			frac = 1 - x
		case 5: // UPDN: up over the first half, down over the second
			half := float64(n-1) / 2
			frac = 1 - math.Abs(float64(k)-half)/half
		case 6: // RISE: 1 - e^-at, steeper with the rise index
			a := float64(t.riseRate + 1)
			frac = (1 - math.Exp(-a*x)) / (1 - math.Exp(-a))
		case 7: // FALL
			a := float64(t.fallRate + 1)
			frac = (math.Exp(-a*x) - math.Exp(-a)) / (1 - math.Exp(-a))
		}
		values = append(values, t.min+span*frac)
		times = append(times, float64(t.interval))
	}
	if t.kind == 1 { // SQUARE: the pulse, high for its width, low for the rest of its period
		values = []float64{t.max, t.min}
		times = []float64{float64(t.width), float64(t.period - t.width)}
	}
	timer := &d.timers[ch]
	timer.groups = timer.groups[:0]
	for k, v := range values {
		if t.invert {
			v = t.max + t.min - v
		}
		g := dp800TimerGroup{v: v, i: t.fixed, t: times[k]}
		if t.current {
			g = dp800TimerGroup{v: t.fixed, i: v, t: times[k]}
		}
		timer.groups = append(timer.groups, g)
	}
	timer.seq.count = len(values)
	return nil
}

func dp800DelayCommands(cmds *dpTable) {
	delayIdle := func(d *dp800) error {
		if d.delays[d.selected].seq.on {
			return running("the delayer of " + dp800Channels[d.selected])
		}
		return nil
	}
	cmds.Handle("DELAY:CYCLEs", func(d *dp800, c *sim.Call) error {
		n, err := cycles(c)
		if err == nil {
			if err = delayIdle(d); err == nil {
				d.delays[d.selected].seq.cycles = n
			}
		}
		return err
	})
	cmds.Handle("DELAY:CYCLEs?", func(d *dp800, c *sim.Call) error {
		replyCycles(c, d.delays[d.selected].seq.cycles)
		return nil
	})
	ends := []string{"OFF", "ON", "LAST"}
	cmds.Handle("DELAY:ENDState", func(d *dp800, c *sim.Call) error {
		k, err := c.Choice(0, ends...)
		if err == nil {
			if err = delayIdle(d); err == nil {
				d.delays[d.selected].end = k
			}
		}
		return err
	})
	cmds.Handle("DELAY:ENDState?", func(d *dp800, c *sim.Call) error {
		c.Reply(ends[d.delays[d.selected].end])
		return nil
	})
	cmds.Handle("DELAY:GROUPs", func(d *dp800, c *sim.Call) error {
		n, err := c.Int(0, sim.Number{Min: 1, Max: dp800MaxGroups, Default: 1})
		if err == nil {
			if err = delayIdle(d); err == nil {
				d.delays[d.selected].seq.count = n
			}
		}
		return err
	})
	cmds.Handle("DELAY:GROUPs?", func(d *dp800, c *sim.Call) error {
		c.ReplyInt(int64(d.delays[d.selected].seq.count))
		return nil
	})
	cmds.Handle("DELAY:PARAmeter", func(d *dp800, c *sim.Call) error {
		if err := c.Params(3, 3); err != nil {
			return err
		}
		k, err := c.Int(0, sim.Number{Min: 0, Max: dp800MaxGroups - 1})
		if err != nil {
			return err
		}
		on, err := c.Bool(1)
		if err != nil {
			return err
		}
		t, err := c.Int(2, sim.Number{Unit: "S", Min: 1, Max: dp800MaxSeconds, Default: 1})
		if err != nil {
			return err
		}
		if err := delayIdle(d); err != nil {
			return err
		}
		ch := d.selected
		d.delays[ch].set(k, dp800DelayGroup{on: on, t: t}, func(k int) dp800DelayGroup { return d.delayGroup(ch, k) })
		return nil
	})
	cmds.Handle("DELAY:PARAmeter?", func(d *dp800, c *sim.Call) error {
		first, count, err := groupRange(c)
		if err != nil {
			return err
		}
		var b strings.Builder
		for k := first; k < first+count; k++ {
			g := d.delayGroup(d.selected, k)
			b.WriteString(strconv.Itoa(k) + "," + map[bool]string{true: "ON", false: "OFF"}[g.on] + "," + strconv.Itoa(g.t) + ";")
		}
		replyBlock9(c, b.String())
		return nil
	})
	cmds.Handle("DELAY[:STATe]", func(d *dp800, c *sim.Call) error {
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		ch := d.selected
		s := &d.delays[ch].seq
		switch {
		case on && d.timers[ch].seq.on:
			return sim.ErrSettingsConflict.WithInfo("the timer of " + dp800Channels[ch] + " is on")
		case on && !s.on:
			d.startDelay(ch, d.now())
		case !on:
			s.on = false
		}
		d.refresh()
		return nil
	})
	cmds.Handle("DELAY[:STATe]?", func(d *dp800, c *sim.Call) error {
		replyOnOff(c, d.delays[d.selected].seq.on)
		return nil
	})
	// :DELAY:STATe:GEN {01P|10P} writes the groups' states: 01P makes
	// them OFF, ON, OFF... and 10P ON, OFF, ON...
	patterns := []string{"01P", "10P"}
	cmds.Handle("DELAY:STATe:GEN", func(d *dp800, c *sim.Call) error {
		if err := c.Params(1, 1); err != nil {
			return err
		}
		// 01P parses as the number 01 with the suffix P.
		if _, err := c.Number(0, sim.Number{Unit: "P", Max: 99}); err != nil {
			return sim.ErrIllegalParameterValue
		}
		k := slices.Index([]string{"01", "10"}, c.Raw(0))
		if k < 0 {
			return sim.ErrIllegalParameterValue
		}
		if err := delayIdle(d); err != nil {
			return err
		}
		ch := d.selected
		dl := &d.delays[ch]
		dl.genState = k
		for g := range dl.seq.count {
			grp := d.delayGroup(ch, g)
			grp.on = (g%2 == 1) != (k == 1)
			dl.set(g, grp, func(g int) dp800DelayGroup { return d.delayGroup(ch, g) })
		}
		return nil
	})
	cmds.Handle("DELAY:STATe:GEN?", func(d *dp800, c *sim.Call) error {
		c.Reply(patterns[d.delays[d.selected].genState])
		return nil
	})
	// :DELAY:TIME:GEN writes the groups' times: FIX gives ON groups the
	// first value and OFF groups the second; INC and DEC count from a base
	// by a step.
	modes := []string{"FIX", "INC", "DEC"}
	cmds.Handle("DELAY:TIME:GEN", func(d *dp800, c *sim.Call) error {
		if err := c.Params(1, 3); err != nil {
			return err
		}
		mode, err := c.Choice(0, modes...)
		if err != nil {
			return err
		}
		vals := [2]int{1, 1}
		for i := 1; i < c.NumParams(); i++ {
			if vals[i-1], err = c.Int(i, sim.Number{Unit: "S", Min: 1, Max: dp800MaxSeconds, Default: 1}); err != nil {
				return err
			}
		}
		if err := delayIdle(d); err != nil {
			return err
		}
		ch := d.selected
		dl := &d.delays[ch]
		n := dl.seq.count
		switch {
		case mode == 1 && vals[0]+n*vals[1] > dp800MaxSeconds:
			return sim.ErrDataOutOfRange.WithInfo("base + groups x step is above 99999 s")
		case mode == 2 && vals[0]-n*vals[1] < 0:
			return sim.ErrDataOutOfRange.WithInfo("base - groups x step is below 0 s")
		}
		dl.genMode, dl.genTime = mode, vals
		for g := range n {
			grp := d.delayGroup(ch, g)
			switch mode {
			case 0:
				grp.t = vals[1]
				if grp.on {
					grp.t = vals[0]
				}
			case 1:
				grp.t = vals[0] + g*vals[1]
			case 2:
				grp.t = vals[0] - g*vals[1]
			}
			dl.set(g, grp, func(g int) dp800DelayGroup { return d.delayGroup(ch, g) })
		}
		return nil
	})
	cmds.Handle("DELAY:TIME:GEN?", func(d *dp800, c *sim.Call) error {
		dl := &d.delays[d.selected]
		c.Reply(modes[dl.genMode] + "," + strconv.Itoa(dl.genTime[0]) + "," + strconv.Itoa(dl.genTime[1]))
		return nil
	})
	stops := []string{"NONE", "<V", ">V", "<C", ">C", "<P", ">P"}
	cmds.Handle("DELAY:STOP", func(d *dp800, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		k, err := c.Choice(0, stops...)
		if err != nil {
			return err
		}
		dl := &d.delays[d.selected]
		at := dl.stopAt
		if k == 0 && c.NumParams() > 1 {
			return sim.ErrParameterNotAllowed
		}
		if k > 0 && c.NumParams() > 1 {
			if at, err = c.Number(1, quantitySpec(d.Outputs[d.selected], (k-1)/2, 0)); err != nil {
				return err
			}
		}
		if err := delayIdle(d); err != nil {
			return err
		}
		dl.stop, dl.stopAt = k, at
		return nil
	})
	cmds.Handle("DELAY:STOP?", func(d *dp800, c *sim.Call) error {
		dl := &d.delays[d.selected]
		if dl.stop == 0 {
			c.Reply("NONE")
			return nil
		}
		c.Reply(stops[dl.stop] + "," + fixed(dl.stopAt, dp800Decimals[(dl.stop-1)/2]))
		return nil
	})
}

func dp800MonitorCommands(cmds *dpTable) {
	cmds.Handle("MONItor[:STATe]", func(d *dp800, c *sim.Call) error {
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		m := &d.monitors[d.selected]
		if on && !m.on {
			m.holding = false
		}
		m.on = on
		d.refresh()
		d.tick() // the condition may hold already
		return nil
	})
	cmds.Handle("MONItor[:STATe]?", func(d *dp800, c *sim.Call) error {
		replyOnOff(c, d.monitors[d.selected].on)
		return nil
	})
	logics := []string{"NONE", "AND", "OR"}
	for q, name := range []string{"VOLTage", "CURRent", "POWER"} {
		letter := [3]string{"V", "C", "P"}[q]
		conds := []string{"NONE", "<" + letter, ">" + letter}
		cmds.Handle("MONItor:"+name+":CONDition", func(d *dp800, c *sim.Call) error {
			most := 2
			if q == 2 { // the last quantity has no logic after it
				most = 1
			}
			if err := c.Params(1, most); err != nil {
				return err
			}
			k, err := c.Choice(0, conds...)
			if err != nil {
				return err
			}
			logic := 0
			if c.NumParams() > 1 {
				if logic, err = c.Choice(1, logics...); err != nil {
					return err
				}
			}
			m := &d.monitors[d.selected]
			m.conds[q] = k
			if q < 2 {
				m.logic[q] = logic
			}
			return nil
		})
		cmds.Handle("MONItor:"+name+":CONDition?", func(d *dp800, c *sim.Call) error {
			m := &d.monitors[d.selected]
			if q == 2 {
				c.Reply(conds[m.conds[q]])
			} else {
				c.Reply(conds[m.conds[q]] + "," + logics[m.logic[q]])
			}
			return nil
		})
		cmds.Number("MONItor:"+name+"[:VALue]", func(d *dp800, _ *sim.Call) (sim.Number, error) {
			r := dp800Rated(d.Outputs[d.selected])
			def := [3]float64{r.v / 2, r.i / 2, r.v * r.i / 4}[q]
			return quantitySpec(d.Outputs[d.selected], q, def), nil
		}, func(d *dp800, _ *sim.Call) float64 { return d.monitors[d.selected].values[q] },
			func(d *dp800, _ *sim.Call, x float64) error { d.monitors[d.selected].values[q] = x; return nil },
			func(c *sim.Call, x float64) { c.ReplyFixed(x, dp800Decimals[q]) })
	}
	ways := []string{"OUTOFF", "WARN", "BEEPER"}
	cmds.Handle("MONItor:STOPway", func(d *dp800, c *sim.Call) error {
		if err := c.Params(2, 2); err != nil {
			return err
		}
		k, err := c.Choice(0, ways...)
		if err != nil {
			return err
		}
		on, err := c.Bool(1)
		if err != nil {
			return err
		}
		m := &d.monitors[d.selected]
		*[]*bool{&m.outOff, &m.warn, &m.beep}[k] = on
		return nil
	})
	cmds.Handle("MONItor:STOPway?", func(d *dp800, c *sim.Call) error {
		m := &d.monitors[d.selected]
		s := map[bool]string{true: "ON", false: "OFF"}
		c.Reply("OutputOff:" + s[m.outOff] + ",Warn:" + s[m.warn] + ",Beep:" + s[m.beep])
		return nil
	})
}

// dp800Analyzer analyses a record file: one channel's (unit's) voltage,
// current or power (object) between a start and an end time.
type dp800Analyzer struct {
	file             *dp800Record
	unit, object     int
	start, end, curr int
	result           *dp800Stats
}

// open makes f the record analysed, with the times spanning it.
func (a *dp800Analyzer) open(f *dp800Record) {
	a.file, a.result = f, nil
	a.start, a.curr, a.end = 1, 1, 1
	if f != nil {
		a.end = max(a.last(), 1)
	}
}

// last is the time of the file's last sample (seconds from the start).
func (a *dp800Analyzer) last() int { return len(a.file.samples) * a.file.period }

// dp800Stats are the analysis results the guide lists.
type dp800Stats struct {
	object                                            int
	n                                                 int
	median, mode, avg, variance, rng, lo, hi, meanDev float64
}

func (a *dp800Analyzer) analyze() error {
	if a.file == nil {
		return sim.ErrSettingsConflict.WithInfo("no record file is open")
	}
	var xs []float64
	for k, s := range a.file.samples {
		if t := (k + 1) * a.file.period; t >= a.start && t <= a.end {
			xs = append(xs, s[a.unit][a.object])
		}
	}
	st := &dp800Stats{object: a.object, n: len(xs)}
	a.result = st
	if len(xs) == 0 {
		return nil
	}
	sorted := slices.Clone(xs)
	slices.Sort(sorted)
	n := len(sorted)
	st.median = sorted[n/2]
	if n%2 == 0 {
		st.median = (sorted[n/2-1] + sorted[n/2]) / 2
	}
	// The mode at the display's resolution: the most frequent shown value,
	// the smallest of equals.
	scale := math.Pow(10, float64(dp800Decimals[a.object]))
	best, bestN := 0.0, 0
	for i := 0; i < n; {
		v := math.Round(sorted[i] * scale)
		j := i
		for j < n && math.Round(sorted[j]*scale) == v {
			j++
		}
		if j-i > bestN {
			best, bestN = v/scale, j-i
		}
		i = j
	}
	st.mode = best
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	st.avg = sum / float64(n)
	for _, x := range xs {
		st.variance += (x - st.avg) * (x - st.avg)
		st.meanDev += math.Abs(x - st.avg)
	}
	st.variance /= float64(n)
	st.meanDev /= float64(n)
	st.lo, st.hi = sorted[0], sorted[n-1]
	st.rng = st.hi - st.lo
	return nil
}

var dp800Units = [3]string{"V", "A", "W"}

func (st *dp800Stats) text() string {
	dec, unit := dp800Decimals[st.object], dp800Units[st.object]
	f := func(x float64) string { return fixed(x, dec) + unit }
	return "NumGroups:" + strconv.Itoa(st.n) + ",Median:" + f(st.median) + ",Mode:" + f(st.mode) +
		",Average:" + f(st.avg) + ",Variance:" + f(st.variance) + ",Range:" + f(st.rng) +
		",Min:" + f(st.lo) + ",Max:" + f(st.hi) + ",MeanDev:" + f(st.meanDev)
}

func dp800RecorderCommands(cmds *dpTable) {
	cmds.Handle("RECorder:PERIod", func(d *dp800, c *sim.Call) error {
		p, err := c.Int(0, sim.Number{Unit: "S", Min: 1, Max: dp800MaxSeconds, Default: 1})
		if err != nil {
			return err
		}
		if d.rec.on {
			return running("the recorder")
		}
		d.rec.period = p
		return nil
	})
	cmds.Handle("RECorder:PERIod?", func(d *dp800, c *sim.Call) error {
		c.ReplyInt(int64(d.rec.period))
		return nil
	})
	cmds.Handle("RECorder[:STATe]", func(d *dp800, c *sim.Call) error {
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		switch {
		case on && !d.rec.on:
			d.rec.on, d.rec.start, d.rec.samples = true, d.now(), nil
		case !on && d.rec.on:
			if err := d.finishRecord(); err != nil {
				return err
			}
		}
		d.refresh()
		return nil
	})
	cmds.Handle("RECorder[:STATe]?", func(d *dp800, c *sim.Call) error {
		replyOnOff(c, d.rec.on)
		return nil
	})
	cmds.Handle("ANALyzer:ANALyze", func(d *dp800, c *sim.Call) error { return d.ana.analyze() })
	cmds.Handle("ANALyzer:RESult?", func(d *dp800, c *sim.Call) error {
		st := d.ana.result
		if st == nil {
			st = &dp800Stats{object: d.ana.object}
		}
		c.Reply(st.text())
		return nil
	})
	objects := []string{"V", "C", "P"}
	cmds.Choice("ANALyzer:OBJect", objects, func(d *dp800, _ *sim.Call) int { return d.ana.object },
		func(d *dp800, _ *sim.Call, k int) error { d.ana.object = k; return nil })
	cmds.Handle("ANALyzer:UNIT", func(d *dp800, c *sim.Call) error {
		if err := c.Params(1, 1); err != nil {
			return err
		}
		if c.Kind(0) != sim.ParamCharacter {
			return sim.ErrDataType
		}
		ch, _, err := d.channel(c, 0)
		if err == nil {
			d.ana.unit = ch
		}
		return err
	})
	cmds.Handle("ANALyzer:UNIT?", func(d *dp800, c *sim.Call) error {
		c.Reply(dp800Channels[d.ana.unit])
		return nil
	})
	// The times are whole seconds from the record's start; the start lies
	// before the end, and the current time between them.
	timeSetting := func(pattern string, field func(*dp800Analyzer) *int, bounds func(*dp800Analyzer) (lo, hi int)) {
		cmds.Handle(pattern, func(d *dp800, c *sim.Call) error {
			if d.ana.file == nil {
				c.Discard()
				return sim.ErrSettingsConflict.WithInfo("no record file is open")
			}
			lo, hi := bounds(&d.ana)
			t, err := c.Int(0, sim.Number{Unit: "S", Min: float64(lo), Max: float64(hi), Default: float64(lo)})
			if err == nil {
				*field(&d.ana) = t
			}
			return err
		})
		cmds.Handle(pattern+"?", func(d *dp800, c *sim.Call) error {
			c.ReplyInt(int64(*field(&d.ana)))
			return nil
		})
	}
	timeSetting("ANALyzer:STARTTime", func(a *dp800Analyzer) *int { return &a.start },
		func(a *dp800Analyzer) (int, int) { return 1, a.end - 1 })
	timeSetting("ANALyzer:ENDTime", func(a *dp800Analyzer) *int { return &a.end },
		func(a *dp800Analyzer) (int, int) { return a.start + 1, a.last() })
	timeSetting("ANALyzer:CURRTime", func(a *dp800Analyzer) *int { return &a.curr },
		func(a *dp800Analyzer) (int, int) { return a.start, a.end })
	cmds.Handle("ANALyzer:VALue?", func(d *dp800, c *sim.Call) error {
		a := &d.ana
		if a.file == nil {
			c.Discard()
			return sim.ErrSettingsConflict.WithInfo("no record file is open")
		}
		t, err := c.Int(0, sim.Number{Unit: "S", Min: float64(a.file.period), Max: float64(a.last())})
		if err != nil {
			return err
		}
		s := a.file.samples[t/a.file.period-1][a.unit]
		c.Reply("Volt:" + fixed(s[0], 3) + "V,Curr:" + fixed(s[1], 4) + "A,Power:" + fixed(s[2], 3) + "W")
		return nil
	})
}

// finishRecord stops the recorder and writes its record to the internal
// memory's location 10, the simulated recorder's fixed destination; the
// analyzer opens it.
func (d *dp800) finishRecord() error {
	f := &dp800Record{period: d.rec.period, samples: d.rec.samples}
	d.rec.on, d.rec.samples = false, nil
	d.ana.open(f)
	if d.locked[3][9] {
		return sim.ErrExecution.WithInfo("ROF location 10 is locked: the record is not stored")
	}
	d.records[9] = f
	return nil
}

// dp800FileTypes are the internal memory's file types: state, timer,
// delayer, record.
var dp800FileTypes = []string{"RSF", "RTF", "RDF", "ROF"}

func dp800MemoryCommands(cmds *dpTable) {
	location := sim.Number{Min: 1, Max: 10}
	file := func(c *sim.Call, params int) (kind, n int, err error) {
		if err := c.Params(params, params); err != nil {
			return 0, 0, err
		}
		if kind, err = c.Choice(0, dp800FileTypes...); err != nil {
			return 0, 0, err
		}
		n, err = c.Int(1, location)
		return kind, n - 1, err
	}
	empty := func(kind, n int) error {
		return sim.ErrExecution.WithInfo(dp800FileTypes[kind] + " location " + strconv.Itoa(n+1) + " is empty")
	}
	locked := func(kind, n int) error {
		return sim.ErrExecution.WithInfo(dp800FileTypes[kind] + " location " + strconv.Itoa(n+1) + " is locked")
	}
	cmds.Handle("MEMory[:STATe]:STORe", func(d *dp800, c *sim.Call) error {
		kind, n, err := file(c, 2)
		if err != nil {
			return err
		}
		if kind == 3 {
			return sim.ErrIllegalParameterValue.WithInfo("the recorder writes record files")
		}
		if d.locked[kind][n] {
			return locked(kind, n)
		}
		ch := d.selected
		switch kind {
		case 0:
			d.saved[n] = d.save()
		case 1:
			t := d.timers[ch]
			t.seq = dp800Seq{count: t.seq.count, cycles: t.seq.cycles}
			t.groups = slices.Clone(t.groups)
			d.timerFiles[n] = &t
		case 2:
			dl := d.delays[ch]
			dl.seq = dp800Seq{count: dl.seq.count, cycles: dl.seq.cycles}
			dl.groups = slices.Clone(dl.groups)
			d.delayFiles[n] = &dl
		}
		return nil
	})
	cmds.Handle("MEMory[:STATe]:LOAD", func(d *dp800, c *sim.Call) error {
		kind, n, err := file(c, 2)
		if err != nil {
			return err
		}
		if !d.fileValid(kind, n) {
			return empty(kind, n)
		}
		ch := d.selected
		switch kind {
		case 0:
			d.recall(d.saved[n])
		case 1:
			if d.timers[ch].seq.on {
				return running("the timer of " + dp800Channels[ch])
			}
			t := *d.timerFiles[n]
			t.groups = slices.Clone(t.groups)
			d.timers[ch] = t
		case 2:
			if d.delays[ch].seq.on {
				return running("the delayer of " + dp800Channels[ch])
			}
			dl := *d.delayFiles[n]
			dl.groups = slices.Clone(dl.groups)
			d.delays[ch] = dl
		case 3:
			d.ana.open(d.records[n])
		}
		return nil
	})
	cmds.Handle("MEMory[:STATe]:DELete", func(d *dp800, c *sim.Call) error {
		kind, n, err := file(c, 2)
		if err != nil {
			return err
		}
		if !d.fileValid(kind, n) {
			return empty(kind, n)
		}
		if d.locked[kind][n] {
			return locked(kind, n)
		}
		switch kind {
		case 0:
			d.saved[n] = nil
		case 1:
			d.timerFiles[n] = nil
		case 2:
			d.delayFiles[n] = nil
		case 3:
			d.records[n] = nil
		}
		return nil
	})
	cmds.Handle("MEMory[:STATe]:LOCK", func(d *dp800, c *sim.Call) error {
		if err := c.Params(3, 3); err != nil {
			return err
		}
		kind, n, err := file(c, 3)
		if err != nil {
			return err
		}
		on, err := c.Bool(2)
		if err != nil {
			return err
		}
		if !d.fileValid(kind, n) {
			return empty(kind, n)
		}
		d.locked[kind][n] = on
		return nil
	})
	cmds.Handle("MEMory[:STATe]:LOCK?", func(d *dp800, c *sim.Call) error {
		kind, n, err := file(c, 2)
		if err == nil {
			replyOnOff(c, d.locked[kind][n])
		}
		return err
	})
	cmds.Handle("MEMory[:STATe]:VALid?", func(d *dp800, c *sim.Call) error {
		kind, n, err := file(c, 2)
		if err == nil {
			replyYesNo(c, d.fileValid(kind, n))
		}
		return err
	})
}

func (d *dp800) fileValid(kind, n int) bool {
	switch kind {
	case 0:
		return d.saved[n] != nil
	case 1:
		return d.timerFiles[n] != nil
	case 2:
		return d.delayFiles[n] != nil
	}
	return d.records[n] != nil
}

// dp800Line is one of the rear panel's digital I/O lines D0 to D3, as a
// trigger input and a trigger output.
type dp800Line struct {
	inOn      bool
	inType    int   // RISE FALL HIGH LOW
	inResp    int   // OFF ON ALTER: what a trigger does to the sources' outputs
	inSources uint8 // bit n: CHn+1
	inSens    int   // LOW MID HIGH

	outOn     bool
	outCond   int // OUTOFF OUTON >V <V =V >C <C =C >P <P =P AUTO
	outValue  float64
	outSignal int // LEVEL SQUARE
	outPeriod float64
	outDuty   int
	outPol    int // POSItive NEGAtive
	outSource int
}

var dp800Lines = []string{"D0", "D1", "D2", "D3"}

// lineArg reads an optional leading Dn: the line, and the index of the
// next parameter. A line given becomes the one later commands act on.
func (d *dp800) lineArg(c *sim.Call) (line, next int, err error) {
	if c.Kind(0) == sim.ParamCharacter {
		for k, name := range dp800Lines {
			if c.Is(0, name) {
				d.line = k
				return k, 1, nil
			}
		}
		if r := c.Raw(0); len(r) >= 2 && r[0]|0x20 == 'd' && r[1] >= '0' && r[1] <= '9' {
			return 0, 0, sim.ErrIllegalParameterValue.WithInfo("the data lines are D0 to D3")
		}
	}
	return d.line, 0, nil
}

func dp800TriggerIOCommands(cmds *dpTable) {
	// setting registers "[Dn,]<value>" and "? [Dn]" for one line setting.
	setting := func(pattern string, set func(d *dp800, l *dp800Line, c *sim.Call, i int) error, reply func(d *dp800, l *dp800Line, line int) string) {
		cmds.Handle(pattern, func(d *dp800, c *sim.Call) error {
			line, i, err := d.lineArg(c)
			if err != nil {
				return err
			}
			if c.NumParams() <= i {
				return sim.ErrMissingParameter
			}
			return set(d, &d.lines[line], c, i)
		})
		cmds.Handle(pattern+"?", func(d *dp800, c *sim.Call) error {
			if err := c.Params(0, 1); err != nil {
				return err
			}
			line, i, err := d.lineArg(c)
			if err != nil {
				return err
			}
			if c.NumParams() > i {
				return sim.ErrIllegalParameterValue
			}
			c.Reply(reply(d, &d.lines[line], line))
			return nil
		})
	}
	choice := func(pattern string, choices []string, field func(*dp800Line) *int) {
		setting(pattern, func(_ *dp800, l *dp800Line, c *sim.Call, i int) error {
			if err := c.Params(i+1, i+1); err != nil {
				return err
			}
			k, err := c.Choice(i, choices...)
			if err == nil {
				*field(l) = k
			}
			return err
		}, func(_ *dp800, l *dp800Line, _ int) string { return sim.ShortForm(choices[*field(l)]) })
	}
	enable := func(pattern string, field func(*dp800Line) *bool) {
		setting(pattern, func(_ *dp800, l *dp800Line, c *sim.Call, i int) error {
			if err := c.Params(i+1, i+1); err != nil {
				return err
			}
			on, err := c.Bool(i)
			if err == nil {
				*field(l) = on
			}
			return err
		}, func(_ *dp800, l *dp800Line, line int) string {
			return dp800Lines[line] + "," + map[bool]string{true: "ON", false: "OFF"}[*field(l)]
		})
	}
	enable("TRIGger:IN[:ENABle]", func(l *dp800Line) *bool { return &l.inOn })
	choice("TRIGger:IN:TYPE", []string{"RISE", "FALL", "HIGH", "LOW"}, func(l *dp800Line) *int { return &l.inType })
	choice("TRIGger:IN:RESPonse", []string{"OFF", "ON", "ALTER"}, func(l *dp800Line) *int { return &l.inResp })
	choice("TRIGger:IN:SENSitivity", []string{"LOW", "MID", "HIGH"}, func(l *dp800Line) *int { return &l.inSens })
	setting("TRIGger:IN:SOURce", func(d *dp800, l *dp800Line, c *sim.Call, i int) error {
		if err := c.Params(i+1, i+len(d.Outputs)); err != nil {
			return err
		}
		var mask uint8
		for k := i; k < c.NumParams(); k++ {
			if c.Kind(k) != sim.ParamCharacter {
				return sim.ErrDataType
			}
			ch, _, err := d.channel(c, k)
			if err != nil {
				return err
			}
			mask |= 1 << ch
		}
		l.inSources = mask
		return nil
	}, func(d *dp800, l *dp800Line, _ int) string {
		var names []string
		for ch := range d.Outputs {
			if l.inSources&(1<<ch) != 0 {
				names = append(names, dp800Channels[ch])
			}
		}
		return strings.Join(names, ",")
	})
	// :TRIGger:IN:IMMEdiate triggers the enabled input lines at once: each
	// switches its source channels' outputs as its response says.
	cmds.Handle("TRIGger:IN:IMMEdiate", func(d *dp800, c *sim.Call) error {
		fired := false
		for _, l := range d.lines {
			if !l.inOn {
				continue
			}
			fired = true
			for ch, o := range d.Outputs {
				if l.inSources&(1<<ch) == 0 {
					continue
				}
				switch l.inResp {
				case 1:
					o.SetOn(true)
				case 2:
					o.SetOn(!o.On())
				default:
					o.SetOn(false)
				}
			}
		}
		if !fired {
			return sim.ErrTriggerIgnored.WithInfo("no trigger input is enabled")
		}
		return nil
	})

	enable("TRIGger:OUT[:ENABle]", func(l *dp800Line) *bool { return &l.outOn })
	conds := []string{"OUTOFF", "OUTON", ">V", "<V", "=V", ">C", "<C", "=C", ">P", "<P", "=P", "AUTO"}
	setting("TRIGger:OUT:CONDition", func(d *dp800, l *dp800Line, c *sim.Call, i int) error {
		if err := c.Params(i+1, i+2); err != nil {
			return err
		}
		k, err := c.Choice(i, conds...)
		if err != nil {
			return err
		}
		value := l.outValue
		relational := k >= 2 && k <= 10
		if relational {
			// A condition on another quantity starts from the guide's
			// default: half the rated voltage or current, a quarter of the
			// rated power of the source channel.
			o := d.Outputs[min(l.outSource, len(d.Outputs)-1)]
			q := (k - 2) / 3
			if l.outCond < 2 || l.outCond > 10 || (l.outCond-2)/3 != q {
				r := dp800Rated(o)
				value = [3]float64{r.v / 2, r.i / 2, r.v * r.i / 4}[q]
			}
			if c.NumParams() > i+1 {
				if value, err = c.Number(i+1, quantitySpec(o, q, value)); err != nil {
					return err
				}
			}
		} else if c.NumParams() > i+1 {
			return sim.ErrParameterNotAllowed
		}
		l.outCond, l.outValue = k, value
		return nil
	}, func(_ *dp800, l *dp800Line, _ int) string {
		if l.outCond < 2 || l.outCond > 10 {
			return conds[l.outCond]
		}
		return conds[l.outCond] + "," + fixed(l.outValue, dp800Decimals[(l.outCond-2)/3])
	})
	choice("TRIGger:OUT:SIGNal", []string{"LEVEL", "SQUARE"}, func(l *dp800Line) *int { return &l.outSignal })
	choice("TRIGger:OUT:POLArity", []string{"POSItive", "NEGAtive"}, func(l *dp800Line) *int { return &l.outPol })
	setting("TRIGger:OUT:PERIod", func(_ *dp800, l *dp800Line, c *sim.Call, i int) error {
		if err := c.Params(i+1, i+1); err != nil {
			return err
		}
		p, err := c.Number(i, sim.Number{Unit: "S", Min: 0.0001, Max: 2.5, Default: 1})
		if err == nil {
			l.outPeriod = p
		}
		return err
	}, func(_ *dp800, l *dp800Line, _ int) string { return fixed(l.outPeriod, 4) })
	setting("TRIGger:OUT:DUTY", func(_ *dp800, l *dp800Line, c *sim.Call, i int) error {
		if err := c.Params(i+1, i+1); err != nil {
			return err
		}
		p, err := c.Int(i, sim.Number{Min: 10, Max: 90, Default: 50})
		if err == nil {
			l.outDuty = p
		}
		return err
	}, func(_ *dp800, l *dp800Line, _ int) string { return strconv.Itoa(l.outDuty) })
	setting("TRIGger:OUT:SOURce", func(d *dp800, l *dp800Line, c *sim.Call, i int) error {
		if err := c.Params(i+1, i+1); err != nil {
			return err
		}
		if c.Kind(i) != sim.ParamCharacter {
			return sim.ErrDataType
		}
		ch, _, err := d.channel(c, i)
		if err == nil {
			l.outSource = ch
		}
		return err
	}, func(_ *dp800, l *dp800Line, _ int) string { return dp800Channels[l.outSource] })
}

func dp800SettingCommands(cmds *dpTable, tracking bool) {
	modes := []string{"NORMAL", "WAVE", "DIAL", "CLASSIC"}
	cmds.Handle("DISPlay:MODE", func(d *dp800, c *sim.Call) error {
		k, err := c.Choice(0, "NORMal", "WAVE", "DIAL", "CLASsic")
		if err == nil {
			d.dispMode = k
		}
		return err
	})
	cmds.Handle("DISPlay:MODE?", func(d *dp800, c *sim.Call) error {
		c.Reply(modes[d.dispMode])
		return nil
	})
	level := func(pattern string, def int, field func(*dp800) *int) {
		cmds.Number(pattern, func(*dp800, *sim.Call) (sim.Number, error) {
			return sim.Number{Min: 1, Max: 100, Default: float64(def)}, nil
		}, func(d *dp800, _ *sim.Call) float64 { return float64(*field(d)) },
			func(d *dp800, _ *sim.Call, x float64) error { *field(d) = int(math.Round(x)); return nil },
			func(c *sim.Call, x float64) { c.ReplyInt(int64(x)) })
	}
	level("SYSTem:BRIGhtness", 50, func(d *dp800) *int { return &d.brightness })
	level("SYSTem:CONTrast", 25, func(d *dp800) *int { return &d.contrast })
	flag := func(pattern string, field func(*dp800) *bool) { cmds.HandleBool(pattern, field, replyOnOff) }
	flag("SYSTem:KLOCk[:STATe]", func(d *dp800) *bool { return &d.klock })
	flag("SYSTem:ONOFFSync", func(d *dp800) *bool { return &d.onoffSync })
	flag("SYSTem:SAVer", func(d *dp800) *bool { return &d.saver })
	cmds.Choice("SYSTem:LANGuage:TYPE", []string{"EN", "CH", "JAP", "KOR", "GER", "POR", "POL", "CHT", "RUS"},
		func(d *dp800, _ *sim.Call) int { return d.language },
		func(d *dp800, _ *sim.Call, k int) error { d.language = k; return nil })
	powerOn := []string{"DEFAULT", "LAST"}
	cmds.Handle("SYSTem:POWEron", func(d *dp800, c *sim.Call) error {
		k, err := c.Choice(0, "DEFault", "LAST")
		if err == nil {
			d.powerOn = k
		}
		return err
	})
	cmds.Handle("SYSTem:POWEron?", func(d *dp800, c *sim.Call) error {
		c.Reply(powerOn[d.powerOn])
		return nil
	})
	// The self-test queries: every board and the fan pass; the
	// temperature is the simulated unit's, a constant 25 °C.
	cmds.Handle("SYSTem:SELF:TEST:BOARD?", func(_ *dp800, c *sim.Call) error { c.Reply("PASS,PASS"); return nil })
	cmds.Handle("SYSTem:SELF:TEST:FAN?", func(_ *dp800, c *sim.Call) error { c.Reply("PASS"); return nil })
	cmds.Handle("SYSTem:SELF:TEST:TEMP?", func(_ *dp800, c *sim.Call) error { c.Reply("25.00"); return nil })
	if tracking {
		cmds.Choice("SYSTem:TRACKMode", []string{"SYNC", "INDEpendent"},
			func(d *dp800, _ *sim.Call) int { return d.trackMode },
			func(d *dp800, _ *sim.Call, k int) error { d.trackMode = k; return nil })
	}
	keys := []string{"DEFAULT", "USER1", "USER2", "USER3", "USER4"}
	cmds.Handle("PRESet:KEY", func(d *dp800, c *sim.Call) error {
		k, err := c.Choice(0, "DEFault", "USER1", "USER2", "USER3", "USER4")
		if err == nil {
			d.presetKey = k
		}
		return err
	})
	cmds.Handle("PRESet:KEY?", func(d *dp800, c *sim.Call) error {
		c.Reply(keys[d.presetKey])
		return nil
	})
	// :PRESet[:APPLy] sets every channel to the preset's values: the
	// factory's for DEFault; the USER presets are edited on the front
	// panel only, so a simulated unit's hold the factory values too.
	cmds.Handle("PRESet[:APPLy]", func(d *dp800, c *sim.Call) error {
		for ch := range d.Outputs {
			if d.timers[ch].seq.on || d.delays[ch].seq.on {
				return running("a program of " + dp800Channels[ch])
			}
		}
		d.presetChannels()
		return nil
	})
}

// dp800RangeCommands are the DP811's: its two ranges and remote sense.
func dp800RangeCommands(cmds *dpTable) {
	ranges := []string{"P20V", "P40V", "LOW", "HIGH"}
	set := func(d *dp800, c *sim.Call) error {
		if err := c.Params(1, 1); err != nil {
			return err
		}
		k, err := c.Choice(0, ranges...)
		if err == nil && (k%2 == 1) != d.highRange {
			d.setHighRange(k%2 == 1)
		}
		return err
	}
	reply := func(d *dp800, c *sim.Call) error {
		c.Reply(map[bool]string{false: "P20V", true: "P40V"}[d.highRange])
		return nil
	}
	cmds.Handle("OUTPut:RANGe", set)
	cmds.Handle("OUTPut:RANGe?", reply)
	cmds.Handle("[SOURce#:]VOLTage:RANGe", func(d *dp800, c *sim.Call) error {
		if _, err := d.source(c); err != nil {
			return err
		}
		return set(d, c)
	})
	cmds.Handle("[SOURce#:]VOLTage:RANGe?", func(d *dp800, c *sim.Call) error {
		if _, err := d.source(c); err != nil {
			return err
		}
		return reply(d, c)
	})
	cmds.Handle("OUTPut:SENSe", func(d *dp800, c *sim.Call) error {
		_, on, err := d.onOff(c)
		if err == nil {
			d.sense = on
		}
		return err
	})
	cmds.Handle("OUTPut:SENSe?", func(d *dp800, c *sim.Call) error {
		_, _, err := d.channel(c, 0)
		if err == nil {
			replyOnOff(c, d.sense)
		}
		return err
	})
}

// setHighRange switches the DP811 to P40V (high) or P20V: the settings
// and the protection levels are brought into the new range.
func (d *dp800) setHighRange(high bool) {
	r := dp800Ranges["DP811"][0]
	if high {
		r = dp811High
	}
	o := d.Outputs[0]
	o.SetRange(r)
	if level, on, _ := o.OVP(); level > 1.1*r.MaxV {
		o.SetOVP(1.1*r.MaxV, on)
	}
	if o.OCPLevel() > 1.1*r.MaxI {
		o.SetOCPLevel(1.1 * r.MaxI)
	}
	d.highRange = high
}
