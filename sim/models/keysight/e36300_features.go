package keysight

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// The E36300 features beyond levels and outputs (the command index is in
// e36300_guide.go): triggered levels, output coupling and pairing, OCP
// delay, display, memory and the status registers.

// Output pairing of outputs 2 and 3 (OUTPut:PAIR, E36312A and E36313A).
const (
	pairOff = iota
	pairParallel
	pairSeries
)

// e36300Locations is how many *SAV/*RCL locations the unit has (0 to 4).
const e36300Locations = 5

// Status register bits.
const (
	quesVoltage = 1 << 0  // an output's OVP has tripped
	quesCurrent = 1 << 1  // an output's OCP has tripped
	operWTG     = 1 << 5  // waiting for a trigger
	isumCV      = 1 << 8  // operation ISUMmary: in constant voltage
	isumCC      = 1 << 10 // operation ISUMmary: in constant current
	summaryISUM = 1 << 13 // the INSTrument register's summary bit
)

// e36300State is the model's settings beyond the outputs', reset by *RST
// (the enable registers, the saved locations and *PSC excepted).
type e36300State struct {
	trig      [3][2]float64 // triggered voltage, current per output
	stepMode  [3][2]bool    // VOLTage:MODE, CURRent:MODE STEP
	bus       [3]bool       // TRIGger:SOURce BUS (else IMMediate)
	trigDelay [3]float64
	armed     [3]bool
	due       [3]time.Time // a trigger received, its levels due after TRIGger:DELay
	ocpDelay  [3]float64
	ocpCC     [3]bool // CURRent:PROTection:DELay:STARt CCTRans (else SCHange)
	coupled   [3]bool // OUTPut:COUPle:CHANnel
	pair      int
	display   bool
	text      string
	view3     bool // DISPlay:VIEW METER3 (else METER1)
	beeper    bool

	saved      [e36300Locations]e36300Saved
	names      [e36300Locations]string
	recallAuto bool
	recallLoc  int
	psc        bool

	ques, oper         e36300Register
	quesInst, operInst e36300Register
	quesISUM, operISUM [3]e36300Register

	dlog e36300Dlog
}

// e36300Register is an event register with its enable mask; the event
// latches the conditions seen when a status register is read.
type e36300Register struct{ event, enable int }

// e36300Saved is what *SAV keeps.
type e36300Saved struct {
	valid      bool
	v, i       [3]float64
	on         [3]bool
	ovp        [3]float64
	ocp        [3]bool
	settings   e36300Settings
	selected   int
	tracking   bool
	remoteSens [3]bool
}

// e36300Settings is the part of e36300State *SAV and *RCL copy whole.
type e36300Settings struct {
	trig      [3][2]float64
	stepMode  [3][2]bool
	bus       [3]bool
	trigDelay [3]float64
	ocpDelay  [3]float64
	ocpCC     [3]bool
	coupled   [3]bool
	pair      int
}

func (d *e36300) resetFeatures() {
	if d.pair != pairOff {
		d.setPair(pairOff)
	}
	s := &d.e36300State
	for ch, o := range d.Outputs {
		s.trig[ch] = [2]float64{0, o.Range().MaxI}
	}
	s.stepMode, s.bus, s.trigDelay, s.armed, s.due = [3][2]bool{}, [3]bool{}, [3]float64{}, [3]bool{}, [3]time.Time{}
	s.ocpDelay, s.ocpCC, s.coupled = [3]float64{}, [3]bool{}, [3]bool{}
	s.display, s.text, s.view3, s.beeper = true, "", false, true
	d.dlogFinish() // *RST ends a running log, which keeps what it recorded
	s.dlog.resetSettings()
}

// SelfTest answers *TST?: 0, passed.
func (d *e36300) SelfTest() int { return 0 }

// applyOCPDelay hands output ch's OCP delay and its start (CCTRans or
// SCHange) to the output, whose protection applies them on the model's
// clock.
func (d *e36300) applyOCPDelay(ch int) {
	d.Outputs[ch].SetOCPDelay(time.Duration(d.ocpDelay[ch]*float64(time.Second)), d.ocpCC[ch])
}

// pairedAway refuses a setting of output 3 (0-based 2) while it is paired
// with output 2, which then programs the pair.
func (d *e36300) pairedAway(ch int) error {
	if d.pair != pairOff && ch == 2 {
		return sim.ErrSettingsConflict.WithInfo("output 3 is paired with output 2")
	}
	return nil
}

// setPair pairs outputs 2 and 3: output 2 carries the pair, with twice the
// current in parallel or twice the voltage in series; both outputs go off.
func (d *e36300) setPair(p int) {
	base := e36300Ranges[d.model][1]
	r := base
	switch p {
	case pairParallel:
		r.MaxI *= 2
	case pairSeries:
		r.MaxV *= 2
	}
	d.Outputs[1].SetOn(false)
	d.Outputs[2].SetOn(false)
	d.Outputs[1].SetRange(r)
	level, on, _ := d.Outputs[1].OVP()
	d.Outputs[1].SetOVP(min(level, 1.1*r.MaxV), on)
	if p != pairOff {
		d.tracking = false
	}
	d.pair = p
}

// switchOutputs switches the listed outputs and, when one of them is
// coupled, every coupled output with it.
func (d *e36300) switchOutputs(chans []int, on bool) {
	for _, ch := range chans {
		if d.coupled[ch] {
			for k, c := range d.coupled {
				if c {
					d.Outputs[k].SetOn(on)
				}
			}
		}
		if d.pair == pairOff || ch != 2 {
			d.Outputs[ch].SetOn(on)
		}
	}
}

// Trigger is *TRG: every output initiated with TRIGger:SOURce BUS takes
// its triggered levels, and a data logger waiting with TRIGger:DLOG:SOURce
// BUS starts; with neither, -211 Trigger ignored.
func (d *e36300) Trigger() error {
	d.tick()
	fired := d.dlog.bus && d.dlogTrigger()
	for ch := range d.Outputs {
		if d.armed[ch] && d.bus[ch] {
			d.triggered(ch)
			fired = true
		}
	}
	if !fired {
		return sim.ErrTriggerIgnored
	}
	return nil
}

// triggered is output ch's trigger: its levels change after its
// TRIGger:DELay, on the model's clock.
func (d *e36300) triggered(ch int) {
	d.armed[ch] = false
	if d.trigDelay[ch] == 0 {
		d.fire(ch)
		return
	}
	d.due[ch] = d.now().Add(time.Duration(d.trigDelay[ch] * float64(time.Second)))
}

// tick applies the triggered levels whose delay has run out by now and
// takes the data logger's samples due; every command runs it first
// (Commands.Before).
func (d *e36300) tick() {
	// Most commands find nothing timed: they need not read the clock.
	if d.dlog.state == dlogIdle && !d.anyDue() {
		return
	}
	now := d.now()
	d.dlogAdvance(now)
	for ch, at := range d.due {
		if !at.IsZero() && !now.Before(at) {
			d.fire(ch)
		}
	}
}

// anyDue tells whether a triggered level waits for its delay.
func (d *e36300) anyDue() bool {
	for _, at := range d.due {
		if !at.IsZero() {
			return true
		}
	}
	return false
}

// fire applies output ch's triggered levels where its MODE is STEP.
func (d *e36300) fire(ch int) {
	d.due[ch] = time.Time{}
	if d.stepMode[ch][0] {
		d.Outputs[ch].SetVoltage(d.trig[ch][0])
		if d.tracking && ch > 0 {
			d.Outputs[3-ch].SetVoltage(d.trig[ch][0])
		}
	}
	if d.stepMode[ch][1] {
		d.Outputs[ch].SetCurrentLimit(d.trig[ch][1])
	}
}

func (d *e36300) save() e36300Saved {
	s := e36300Saved{valid: true, selected: d.selected, tracking: d.tracking, settings: e36300Settings{
		trig: d.trig, stepMode: d.stepMode, bus: d.bus, trigDelay: d.trigDelay,
		ocpDelay: d.ocpDelay, ocpCC: d.ocpCC, coupled: d.coupled, pair: d.pair,
	}}
	for ch, o := range d.Outputs {
		s.v[ch], s.i[ch] = o.Settings()
		s.on[ch] = o.On()
		s.ovp[ch], _, _ = o.OVP()
		s.ocp[ch], _ = o.OCP()
		s.remoteSens[ch] = d.remoteSense[ch]
	}
	return s
}

func (d *e36300) recall(s e36300Saved) {
	if d.pair != s.settings.pair {
		d.setPair(s.settings.pair)
	}
	st := s.settings
	d.trig, d.stepMode, d.bus, d.trigDelay = st.trig, st.stepMode, st.bus, st.trigDelay
	d.ocpDelay, d.ocpCC, d.coupled = st.ocpDelay, st.ocpCC, st.coupled
	for ch := range d.Outputs {
		d.applyOCPDelay(ch)
	}
	d.armed, d.due = [3]bool{}, [3]time.Time{}
	d.selected, d.tracking = s.selected, s.tracking
	for ch, o := range d.Outputs {
		o.SetOn(false)
		o.SetVoltage(s.v[ch])
		o.SetCurrentLimit(s.i[ch])
		_, on, _ := o.OVP()
		o.SetOVP(s.ovp[ch], on)
		o.SetOCP(s.ocp[ch])
		d.remoteSense[ch] = s.remoteSens[ch]
		o.SetOn(s.on[ch])
	}
}

// latch reads every condition into the event registers, from the bottom
// (each output's ISUMmary) up.
func (d *e36300) latch() (quesCond, operCond int) {
	var qi, oi int
	for ch, o := range d.Outputs {
		_, _, mode := o.Measure(d.now())
		q := map[sim.RegulationMode]int{sim.ModeCC: 1, sim.ModeCV: 2, sim.ModeUnregulated: 3}[mode]
		op := map[sim.RegulationMode]int{sim.ModeCC: isumCC, sim.ModeCV: isumCV}[mode]
		if d.armed[ch] {
			op |= operWTG
		}
		d.quesISUM[ch].event |= q
		d.operISUM[ch].event |= op
		if d.quesISUM[ch].event&d.quesISUM[ch].enable != 0 {
			qi |= 1 << (ch + 1)
		}
		if d.operISUM[ch].event&d.operISUM[ch].enable != 0 {
			oi |= 1 << (ch + 1)
		}
		_, _, ovp := o.OVP()
		_, ocp := o.OCP()
		if ovp {
			quesCond |= quesVoltage
		}
		if ocp {
			quesCond |= quesCurrent
		}
		if d.armed[ch] {
			operCond |= operWTG
		}
	}
	d.quesInst.event |= qi
	d.operInst.event |= oi
	if d.quesInst.event&d.quesInst.enable != 0 {
		quesCond |= summaryISUM
	}
	if d.operInst.event&d.operInst.enable != 0 {
		operCond |= summaryISUM
	}
	d.ques.event |= quesCond
	d.oper.event |= operCond
	return quesCond, operCond
}

// StatusSummary sets the status byte's QUES and OPER bits from the
// enabled events.
func (d *e36300) StatusSummary() (questionable, operation bool) {
	d.tick()
	d.latch()
	return d.ques.event&d.ques.enable != 0, d.oper.event&d.oper.enable != 0
}

// ClearStatus is *CLS: every event register is cleared.
func (d *e36300) ClearStatus() {
	for _, r := range d.registers() {
		r.event = 0
	}
}

func (d *e36300) registers() []*e36300Register {
	rs := []*e36300Register{&d.ques, &d.oper, &d.quesInst, &d.operInst}
	for ch := range d.quesISUM {
		rs = append(rs, &d.quesISUM[ch], &d.operISUM[ch])
	}
	return rs
}

// perChannel reads "<value>[,(@list)]": the value with read, then each
// listed output (the selected one without a list), all checked before
// apply changes any.
func perChannel[T any](read func(d *e36300, c *sim.Call, ch int) (T, error), apply func(d *e36300, ch int, v T)) func(*e36300, *sim.Call) error {
	return func(d *e36300, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		chans, err := d.channels(c, 1)
		if err != nil {
			return err
		}
		vals := make([]T, len(chans))
		for k, ch := range chans {
			if vals[k], err = read(d, c, ch); err != nil {
				return err
			}
		}
		for k, ch := range chans {
			apply(d, ch, vals[k])
		}
		return nil
	}
}

// perChannelQuery answers "[(@list)]" with reply for each listed output.
func perChannelQuery(reply func(d *e36300, c *sim.Call, ch int)) func(*e36300, *sim.Call) error {
	return func(d *e36300, c *sim.Call) error {
		if err := c.Params(0, 1); err != nil {
			return err
		}
		chans, err := d.channels(c, 0)
		if err != nil {
			return err
		}
		for _, ch := range chans {
			reply(d, c, ch)
		}
		return nil
	}
}

func e36300Features(cmds *sim.Commands[*e36300], model string) {
	cmds.Before((*e36300).tick)
	e36300DlogCommands(cmds)
	nr3 := func(c *sim.Call, x float64) { c.ReplyNR3(x, 8) }

	// APPLy takes the output by name: CH1 to CH3, or the E3631A's P6V,
	// P25V and N25V on the E36311A, whose outputs match them.
	names := []string{"CH1", "CH2", "CH3"}
	if model == "E36311A" {
		names = append(names, "P6V", "P25V", "N25V")
	}
	output := func(c *sim.Call, i int) (int, error) {
		k, err := c.Choice(i, names...)
		return k % 3, err
	}
	cmds.Handle("APPLy", func(d *e36300, c *sim.Call) error {
		if err := c.Params(1, 3); err != nil {
			return err
		}
		ch, err := output(c, 0)
		if err != nil {
			return err
		}
		if err := d.pairedAway(ch); err != nil {
			return err
		}
		v, i, err := sim.ApplyLevels(c, d.Outputs[ch])
		if err != nil {
			return err
		}
		if c.NumParams() > 1 {
			d.Outputs[ch].SetVoltage(v)
			if d.tracking && ch > 0 {
				d.Outputs[3-ch].SetVoltage(v)
			}
		}
		if c.NumParams() > 2 {
			d.Outputs[ch].SetCurrentLimit(i)
		}
		return nil
	})
	cmds.Handle("APPLy?", func(d *e36300, c *sim.Call) error {
		ch := d.selected
		if c.NumParams() > 0 {
			var err error
			if ch, err = output(c, 0); err != nil {
				return err
			}
		}
		v, i := d.Outputs[ch].Settings()
		nr3(c, v)
		nr3(c, i)
		return nil
	})

	// Triggered levels and the transient trigger system, per output.
	for k, name := range []string{"VOLTage", "CURRent"} {
		voltage := k == 0
		cmds.Handle("[SOURce:]"+name+"[:LEVel]:TRIGgered[:AMPLitude]", perChannel(
			func(d *e36300, c *sim.Call, ch int) (float64, error) {
				if err := d.pairedAway(ch); err != nil {
					return 0, err
				}
				return c.Number(0, d.Outputs[ch].LevelSpec(voltage))
			},
			func(d *e36300, ch int, x float64) { d.trig[ch][k] = x }))
		cmds.Handle("[SOURce:]"+name+"[:LEVel]:TRIGgered[:AMPLitude]?", func(d *e36300, c *sim.Call) error {
			i, limit := 0, -1
			if c.Kind(0) == sim.ParamCharacter {
				var err error
				if limit, err = c.Choice(0, "MINimum", "MAXimum"); err != nil {
					return err
				}
				i = 1
			}
			chans, err := d.channels(c, i)
			if err != nil {
				return err
			}
			for _, ch := range chans {
				spec := d.Outputs[ch].LevelSpec(voltage)
				switch limit {
				case 0:
					nr3(c, spec.Min)
				case 1:
					nr3(c, spec.Max)
				default:
					nr3(c, d.trig[ch][k])
				}
			}
			return nil
		})
		cmds.Handle("[SOURce:]"+name+":MODE", perChannel(
			func(_ *e36300, c *sim.Call, _ int) (bool, error) {
				m, err := c.Choice(0, "FIXed", "STEP")
				return m == 1, err
			},
			func(d *e36300, ch int, step bool) { d.stepMode[ch][k] = step }))
		cmds.Handle("[SOURce:]"+name+":MODE?", perChannelQuery(func(d *e36300, c *sim.Call, ch int) {
			c.Reply(map[bool]string{false: "FIX", true: "STEP"}[d.stepMode[ch][k]])
		}))
	}
	cmds.Handle("INITiate[:IMMediate][:TRANsient]", func(d *e36300, c *sim.Call) error {
		if err := c.Params(0, 1); err != nil {
			return err
		}
		chans, err := d.channels(c, 0)
		if err != nil {
			return err
		}
		for _, ch := range chans {
			if d.armed[ch] || !d.due[ch].IsZero() {
				return sim.ErrInitIgnored
			}
		}
		for _, ch := range chans {
			d.armed[ch] = true
			if !d.bus[ch] {
				d.triggered(ch) // TRIGger:SOURce IMMediate: the trigger comes at once
			}
		}
		return nil
	})
	cmds.Handle("ABORt[:TRANsient]", func(d *e36300, c *sim.Call) error {
		if err := c.Params(0, 1); err != nil {
			return err
		}
		chans, err := d.channels(c, 0)
		for _, ch := range chans {
			d.armed[ch], d.due[ch] = false, time.Time{}
		}
		return err
	})
	cmds.Handle("TRIGger[:SEQuence]:SOURce", perChannel(
		func(_ *e36300, c *sim.Call, _ int) (bool, error) {
			m, err := c.Choice(0, "IMMediate", "BUS")
			return m == 1, err
		},
		func(d *e36300, ch int, bus bool) { d.bus[ch] = bus }))
	cmds.Handle("TRIGger[:SEQuence]:SOURce?", perChannelQuery(func(d *e36300, c *sim.Call, ch int) {
		c.Reply(map[bool]string{false: "IMM", true: "BUS"}[d.bus[ch]])
	}))
	cmds.Handle("TRIGger[:SEQuence]:DELay", perChannel(
		func(_ *e36300, c *sim.Call, _ int) (float64, error) {
			return c.Number(0, sim.Number{Unit: "s", Min: 0, Max: 3600})
		},
		func(d *e36300, ch int, x float64) { d.trigDelay[ch] = x }))
	cmds.Handle("TRIGger[:SEQuence]:DELay?", perChannelQuery(func(d *e36300, c *sim.Call, ch int) { nr3(c, d.trigDelay[ch]) }))

	// Protection beyond the shared handlers.
	cmds.Handle("[SOURce:]CURRent:PROTection:DELay[:TIME]", perChannel(
		func(_ *e36300, c *sim.Call, _ int) (float64, error) {
			return c.Number(0, sim.Number{Unit: "s", Min: 0, Max: 0.255})
		},
		func(d *e36300, ch int, x float64) { d.ocpDelay[ch] = x; d.applyOCPDelay(ch) }))
	cmds.Handle("[SOURce:]CURRent:PROTection:DELay[:TIME]?", perChannelQuery(func(d *e36300, c *sim.Call, ch int) { nr3(c, d.ocpDelay[ch]) }))
	cmds.Handle("[SOURce:]CURRent:PROTection:DELay:STARt", perChannel(
		func(_ *e36300, c *sim.Call, _ int) (bool, error) {
			m, err := c.Choice(0, "SCHange", "CCTRans")
			return m == 1, err
		},
		func(d *e36300, ch int, cc bool) { d.ocpCC[ch] = cc; d.applyOCPDelay(ch) }))
	cmds.Handle("[SOURce:]CURRent:PROTection:DELay:STARt?", perChannelQuery(func(d *e36300, c *sim.Call, ch int) {
		c.Reply(map[bool]string{false: "SCH", true: "CCTR"}[d.ocpCC[ch]])
	}))

	// Output coupling and pairing.
	cmds.Handle("OUTPut:COUPle:CHANnel", func(d *e36300, c *sim.Call) error {
		set, err := sim.ParseCoupling(c, e36300Names)
		if err == nil {
			d.coupled = [3]bool(set)
		}
		return err
	})
	cmds.Handle("OUTPut:COUPle:CHANnel?", func(d *e36300, c *sim.Call) error {
		sim.ReplyCoupling(c, e36300Names, d.coupled[:])
		return nil
	})
	if model != "E36311A" {
		cmds.Choice("OUTPut:PAIR", []string{"OFF", "PARallel", "SERies"},
			func(d *e36300, _ *sim.Call) int { return d.pair },
			func(d *e36300, _ *sim.Call, p int) error {
				if p != d.pair {
					d.setPair(p)
				}
				return nil
			})
	}

	// MEASure's companions: FETCh reads the present operating point.
	cmds.Handle("FETCh[:SCALar]:VOLTage[:DC]?", sim.MeasureHandler(listed, sim.Voltage, nr3))
	cmds.Handle("FETCh[:SCALar]:CURRent[:DC]?", sim.MeasureHandler(listed, sim.Current, nr3))

	// Display.
	cmds.Bool("DISPlay[:WINDow][:STATe]", func(d *e36300, _ *sim.Call) (bool, error) { return d.display, nil },
		func(d *e36300, _ *sim.Call, on bool) error { d.display = on; return nil })
	cmds.Handle("DISPlay[:WINDow]:TEXT[:DATA]", func(d *e36300, c *sim.Call) error {
		s, err := c.String(0)
		if err != nil {
			return err
		}
		if len(s) > 40 { // the text line holds 40 characters; the rest is cut off
			s = s[:40]
		}
		d.text = s
		return nil
	})
	cmds.Handle("DISPlay[:WINDow]:TEXT[:DATA]?", func(d *e36300, c *sim.Call) error { c.ReplyString(d.text); return nil })
	cmds.Handle("DISPlay[:WINDow]:TEXT:CLEar", func(d *e36300, _ *sim.Call) error { d.text = ""; return nil })
	cmds.Choice("DISPlay:VIEW", []string{"METER1", "METER3"},
		func(d *e36300, _ *sim.Call) int { return map[bool]int{false: 0, true: 1}[d.view3] },
		func(d *e36300, _ *sim.Call, k int) error { d.view3 = k == 1; return nil })

	// SYSTem.
	cmds.Handle("SYSTem:BEEPer[:IMMediate]", func(*e36300, *sim.Call) error { return nil })
	cmds.Bool("SYSTem:BEEPer:STATe", func(d *e36300, _ *sim.Call) (bool, error) { return d.beeper, nil },
		func(d *e36300, _ *sim.Call, on bool) error { d.beeper = on; return nil })
	cmds.Handle("SYSTem:CHANnel[:COUNt]?", func(d *e36300, c *sim.Call) error { c.ReplyInt(int64(len(d.Outputs))); return nil })
	for _, p := range []string{"SYSTem:LOCal", "SYSTem:REMote", "SYSTem:RWLock"} {
		cmds.Handle(p, func(*e36300, *sim.Call) error { return nil })
	}

	// Memory.
	location := sim.Number{Min: 0, Max: e36300Locations - 1}
	cmds.Handle("*SAV", func(d *e36300, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err == nil {
			d.saved[n] = d.save()
		}
		return err
	})
	cmds.Handle("*RCL", func(d *e36300, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err == nil {
			d.recall(d.saved[n])
		}
		return err
	})
	cmds.Handle("MEMory:STATe:NAME", func(d *e36300, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		n, err := c.Int(0, location)
		if err != nil {
			return err
		}
		name := ""
		if c.NumParams() > 1 {
			if name, err = c.String(1); err != nil {
				return err
			}
		}
		if len(name) > 12 {
			return sim.ErrStringData.WithInfo("a location's name has at most 12 characters")
		}
		d.names[n] = name
		return nil
	})
	cmds.Handle("MEMory:STATe:NAME?", func(d *e36300, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err == nil {
			c.ReplyString(d.names[n])
		}
		return err
	})
	cmds.Handle("MEMory:STATe:VALid?", func(d *e36300, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err == nil {
			c.ReplyBool(d.saved[n].valid)
		}
		return err
	})
	cmds.Bool("MEMory:STATe:RECall:AUTO", func(d *e36300, _ *sim.Call) (bool, error) { return d.recallAuto, nil },
		func(d *e36300, _ *sim.Call, on bool) error { d.recallAuto = on; return nil })
	cmds.Number("MEMory:STATe:RECall:SELect", func(*e36300, *sim.Call) (sim.Number, error) { return location, nil },
		func(d *e36300, _ *sim.Call) float64 { return float64(d.recallLoc) },
		func(d *e36300, _ *sim.Call, v float64) error { d.recallLoc = int(v); return nil },
		func(c *sim.Call, v float64) { c.ReplyInt(int64(v)) })
	cmds.Handle("*PSC", func(d *e36300, c *sim.Call) error {
		on, err := c.Bool(0)
		if err == nil {
			d.psc = on
		}
		return err
	})
	cmds.Handle("*PSC?", func(d *e36300, c *sim.Call) error { c.ReplyBool(d.psc); return nil })
	cmds.Handle("*OPT?", func(_ *e36300, c *sim.Call) error { c.Reply("0"); return nil })

	// Status: QUEStionable and OPERation, each with its INSTrument summary
	// and one ISUMmary register per output.
	mask := sim.Number{Min: 0, Max: 65535}
	register := func(base string, top func(*e36300) *e36300Register, inst func(*e36300) *e36300Register,
		isum func(*e36300) *[3]e36300Register, cond func(q, o int) int) {
		regs := []struct {
			path string
			reg  func(*e36300, *sim.Call) (*e36300Register, error)
		}{
			{base, func(d *e36300, _ *sim.Call) (*e36300Register, error) { return top(d), nil }},
			{base + ":INSTrument", func(d *e36300, _ *sim.Call) (*e36300Register, error) { return inst(d), nil }},
			{base + ":INSTrument:ISUMmary#", func(d *e36300, c *sim.Call) (*e36300Register, error) {
				n, err := c.SuffixIn("ISUM", 1, 3)
				if err != nil {
					return nil, err
				}
				return &isum(d)[n-1], nil
			}},
		}
		for _, r := range regs {
			cmds.Handle(r.path+"[:EVENt]?", func(d *e36300, c *sim.Call) error {
				reg, err := r.reg(d, c)
				if err != nil {
					return err
				}
				d.latch()
				c.ReplyInt(int64(reg.event))
				reg.event = 0
				return nil
			})
			cmds.Handle(r.path+":ENABle", func(d *e36300, c *sim.Call) error {
				reg, err := r.reg(d, c)
				if err != nil {
					return err
				}
				v, err := c.Int(0, mask)
				if err == nil {
					reg.enable = v
				}
				return err
			})
			cmds.Handle(r.path+":ENABle?", func(d *e36300, c *sim.Call) error {
				reg, err := r.reg(d, c)
				if err == nil {
					c.ReplyInt(int64(reg.enable))
				}
				return err
			})
		}
		cmds.Handle(base+":CONDition?", func(d *e36300, c *sim.Call) error {
			c.ReplyInt(int64(cond(d.latch())))
			return nil
		})
		cmds.Handle(base+":INSTrument:CONDition?", func(d *e36300, c *sim.Call) error {
			d.latch()
			n := 0
			for ch := range d.Outputs {
				if isum(d)[ch].event&isum(d)[ch].enable != 0 {
					n |= 1 << (ch + 1)
				}
			}
			c.ReplyInt(int64(n))
			return nil
		})
	}
	register("STATus:QUEStionable", func(d *e36300) *e36300Register { return &d.ques },
		func(d *e36300) *e36300Register { return &d.quesInst },
		func(d *e36300) *[3]e36300Register { return &d.quesISUM },
		func(q, _ int) int { return q })
	register("STATus:OPERation", func(d *e36300) *e36300Register { return &d.oper },
		func(d *e36300) *e36300Register { return &d.operInst },
		func(d *e36300) *[3]e36300Register { return &d.operISUM },
		func(_, o int) int { return o })
	cmds.Handle("STATus:OPERation:INSTrument:ISUMmary#:CONDition?", func(d *e36300, c *sim.Call) error {
		n, err := c.SuffixIn("ISUM", 1, 3)
		if err != nil {
			return err
		}
		_, _, mode := d.Outputs[n-1].Measure(d.now())
		v := map[sim.RegulationMode]int{sim.ModeCC: isumCC, sim.ModeCV: isumCV}[mode]
		if d.armed[n-1] {
			v |= operWTG
		}
		c.ReplyInt(int64(v))
		return nil
	})
	// STATus:PRESet clears the enable masks, as SCPI-99 presets them.
	cmds.Handle("STATus:PRESet", func(d *e36300, _ *sim.Call) error {
		for _, r := range d.registers() {
			r.enable = 0
		}
		return nil
	})
}

// The E36300 data logger (SENSe:DLOG, INITiate:DLOG, TRIGger:DLOG,
// ABORt:DLOG, MMEMory:EXPort:DLOG): it records the selected outputs'
// measured voltage and current every PERiod for TIME seconds, into a file
// of the unit's memory, on the model's clock. The ranges and defaults
// below could not be checked against the guide's pages (see
// e36300_guide.go); they are the model's, chosen as Keysight's other data
// loggers (N6700) have them.
const (
	dlogMinPeriod, dlogMaxPeriod = 0.2, 60.0   // SENSe:DLOG:PERiod, seconds
	dlogMinTime, dlogMaxTime     = 1.0, 360000 // SENSe:DLOG:TIME, seconds
	dlogDefPeriod, dlogDefTime   = 1.0, 30.0
	// dlogMaxRecords bounds one log's memory (a simulator limit, not the
	// unit's): INITiate:DLOG refuses a TIME/PERiod beyond it.
	dlogMaxRecords = 20000
	// e36300MaxFiles bounds the model's file memory: the .dlog and .csv
	// files it keeps (a simulator limit, not the unit's).
	e36300MaxFiles = 8
)

// Data logger states.
const (
	dlogIdle    = iota
	dlogWaiting // initiated with TRIGger:DLOG:SOURce BUS, recording the pre-trigger part
	dlogRunning // triggered: recording until TIME is full
)

// e36300Dlog is the data logger: its settings (reset by *RST) and the
// log in progress or last finished.
type e36300Dlog struct {
	volt, curr [3]bool // SENSe:DLOG:FUNCtion:VOLTage, :CURRent per output
	period     float64
	duration   float64
	offset     float64 // percent of TIME recorded before the trigger
	bus        bool    // TRIGger:DLOG:SOURce BUS (else IMMediate)

	state   int
	file    string
	columns []dlogColumn
	origin  time.Time // the sample grid: sample k is taken at origin + k*period
	k       int64     // the next sample's index on the grid
	trigger int64     // the first sample after the trigger (running)
	total   int       // samples in a full log
	pre     int       // samples kept from before the trigger
	at      []int64   // the recorded samples' grid indices
	values  []float64 // len(columns) values per recorded sample
	last    []byte    // the last finished log, as CSV, for MMEMory:EXPort:DLOG
	files   map[string][]byte
}

// dlogColumn is one logged quantity: output ch's voltage or current.
type dlogColumn struct {
	ch      int
	voltage bool
}

func (l *e36300Dlog) resetSettings() {
	l.volt, l.curr = [3]bool{true, true, true}, [3]bool{true, true, true}
	l.period, l.duration, l.offset, l.bus = dlogDefPeriod, dlogDefTime, 0, false
}

// sampleTime is the time of sample k on the grid.
func (l *e36300Dlog) sampleTime(k int64) time.Time {
	return l.origin.Add(time.Duration(float64(k) * l.period * float64(time.Second)))
}

// dlogStart is INITiate:DLOG: it checks the file and settings, then
// starts the log (IMMediate) or the wait for a trigger (BUS).
func (d *e36300) dlogStart(file string) error {
	l := &d.dlog
	if l.state != dlogIdle {
		return sim.ErrInitIgnored.WithInfo("the data logger is running")
	}
	if err := d.fileRoom(file); err != nil {
		return err
	}
	var cols []dlogColumn
	for ch := range d.Outputs {
		if l.volt[ch] {
			cols = append(cols, dlogColumn{ch, true})
		}
		if l.curr[ch] {
			cols = append(cols, dlogColumn{ch, false})
		}
	}
	if len(cols) == 0 {
		return sim.ErrSettingsConflict.WithInfo("no voltage or current is selected for the data log")
	}
	total := int(math.Round(l.duration / l.period))
	if total > dlogMaxRecords {
		return sim.ErrSettingsConflict.WithInfo("the simulated data logger keeps at most 20000 samples: lengthen PERiod or shorten TIME")
	}
	l.file, l.columns, l.total = file, cols, max(total, 1)
	l.pre = int(math.Round(l.offset / 100 * float64(l.total)))
	l.at, l.values = l.at[:0], l.values[:0]
	l.origin, l.k = d.now(), 0
	if l.bus {
		l.state = dlogWaiting
		return nil
	}
	l.pre = 0 // an immediate trigger leaves nothing before it
	l.state, l.trigger = dlogRunning, 0
	d.dlogAdvance(l.origin)
	return nil
}

// dlogTrigger is the data logger's trigger (TRIGger:DLOG, or *TRG with
// TRIGger:DLOG:SOURce BUS): it reports whether the logger was waiting
// for one. The pre-trigger samples recorded so far stay, the last
// OFFSet percent of TIME of them.
func (d *e36300) dlogTrigger() bool {
	l := &d.dlog
	if l.state != dlogWaiting {
		return false
	}
	l.keepLast(l.pre)
	l.state, l.trigger = dlogRunning, l.k
	d.dlogAdvance(d.now())
	return true
}

// keepLast drops all but the last n recorded samples.
func (l *e36300Dlog) keepLast(n int) {
	if drop := len(l.at) - n; drop > 0 {
		w := len(l.columns)
		l.at = append(l.at[:0], l.at[drop:]...)
		l.values = append(l.values[:0], l.values[drop*w:]...)
	}
}

// dlogAdvance takes the samples due by now, each at its own time on the
// grid (a clock moved far on takes at most what the log keeps), and ends
// a log that has all its samples.
func (d *e36300) dlogAdvance(now time.Time) {
	l := &d.dlog
	if l.state == dlogIdle {
		return
	}
	if !now.Before(l.sampleTime(l.k)) {
		d.dlogSample(now)
	}
	if l.state == dlogWaiting && len(l.at) > 2*l.pre {
		l.keepLast(l.pre)
	}
	if l.state == dlogRunning && len(l.at) >= l.total {
		d.dlogFinish()
	}
}

// dlogSample records the samples on the grid up to now: while waiting
// for the trigger only the last OFFSet's worth can stay, while running
// only what TIME has room for.
func (d *e36300) dlogSample(now time.Time) {
	l := &d.dlog
	due := int64(now.Sub(l.origin).Seconds()/l.period) + 1 - l.k
	for due > 0 && now.Before(l.sampleTime(l.k+due-1)) {
		due-- // the float division rounded up past now
	}
	keep := int64(l.pre)
	if l.state == dlogRunning {
		keep = int64(l.total - len(l.at))
	}
	if due > keep {
		if l.state == dlogWaiting {
			l.k += due - keep // samples that would be dropped before the trigger
		}
		due = keep
	}
	for range due {
		at := l.sampleTime(l.k)
		for _, col := range l.columns {
			v, i, _ := d.Outputs[col.ch].Measure(at)
			if col.voltage {
				l.values = append(l.values, v)
			} else {
				l.values = append(l.values, i)
			}
		}
		l.at = append(l.at, l.k)
		l.k++
	}
}

// dlogFinish ends the log (full, aborted or reset) and writes its file.
func (d *e36300) dlogFinish() {
	l := &d.dlog
	if l.state == dlogIdle {
		return
	}
	if l.state == dlogWaiting {
		l.keepLast(l.pre)
		l.trigger = l.k // never triggered: all of it came before
	}
	l.last = l.csv()
	l.state = dlogIdle
	d.writeFile(l.file, l.last)
}

// csv renders the log: a header naming each column, then one line per
// sample with its time in seconds from the trigger (negative before it).
func (l *e36300Dlog) csv() []byte {
	b := []byte("Time (s)")
	for _, col := range l.columns {
		b = append(b, ",CH"...)
		b = strconv.AppendInt(b, int64(col.ch+1), 10)
		if col.voltage {
			b = append(b, " Voltage (V)"...)
		} else {
			b = append(b, " Current (A)"...)
		}
	}
	b = append(b, '\n')
	w := len(l.columns)
	for r, k := range l.at {
		b = strconv.AppendFloat(b, float64(k-l.trigger)*l.period, 'f', 3, 64)
		for _, v := range l.values[r*w : (r+1)*w] {
			b = append(b, ',')
			b = strconv.AppendFloat(b, v, 'E', 6, 64)
		}
		b = append(b, '\n')
	}
	return b
}

// fileName reads the command's one parameter, a file name that must end
// in ext (.dlog, .csv), as the guide's data logger commands take it.
func fileName(c *sim.Call, ext string) (string, error) {
	if err := c.Params(1, 1); err != nil {
		return "", err
	}
	file, err := c.String(0)
	if err == nil && !strings.HasSuffix(strings.ToLower(file), ext) {
		err = sim.ErrIllegalParameterValue.WithInfo("the file name ends in " + ext)
	}
	return file, err
}

// fileRoom checks the model's file memory can take a file of that name.
func (d *e36300) fileRoom(name string) error {
	if _, ok := d.dlog.files[name]; !ok && len(d.dlog.files) >= e36300MaxFiles {
		return sim.ErrOutOfMemory.WithInfo("the simulated file memory holds 8 files")
	}
	return nil
}

func (d *e36300) writeFile(name string, data []byte) {
	if d.dlog.files == nil {
		d.dlog.files = map[string][]byte{}
	}
	d.dlog.files[name] = data
}

// File returns a file the model has written (a data log or its CSV
// export), as the unit's memory would hold it: how a test or a bench
// reads what no SCPI query of the guide returns.
func (d *e36300) File(name string) ([]byte, bool) {
	d.tick()
	b, ok := d.dlog.files[name]
	return b, ok
}

// dlogIdleOnly refuses a data logger setting while a log runs.
func (d *e36300) dlogIdleOnly() error {
	if d.dlog.state != dlogIdle {
		return sim.ErrSettingsConflict.WithInfo("the data logger is running")
	}
	return nil
}

func e36300DlogCommands(cmds *sim.Commands[*e36300]) {
	nr3 := func(c *sim.Call, x float64) { c.ReplyNR3(x, 8) }
	for _, voltage := range []bool{true, false} {
		name, field := "CURRent", func(d *e36300) *[3]bool { return &d.dlog.curr }
		if voltage {
			name, field = "VOLTage", func(d *e36300) *[3]bool { return &d.dlog.volt }
		}
		cmds.Handle("SENSe:DLOG:FUNCtion:"+name, perChannel(
			func(d *e36300, c *sim.Call, _ int) (bool, error) {
				if err := d.dlogIdleOnly(); err != nil {
					return false, err
				}
				return c.Bool(0)
			},
			func(d *e36300, ch int, on bool) { field(d)[ch] = on }))
		cmds.Handle("SENSe:DLOG:FUNCtion:"+name+"?", perChannelQuery(func(d *e36300, c *sim.Call, ch int) {
			c.ReplyBool(field(d)[ch])
		}))
	}
	setting := func(pattern string, spec sim.Number, field func(d *e36300) *float64) {
		cmds.Number(pattern, func(*e36300, *sim.Call) (sim.Number, error) { return spec, nil },
			func(d *e36300, _ *sim.Call) float64 { return *field(d) },
			func(d *e36300, _ *sim.Call, v float64) error {
				if err := d.dlogIdleOnly(); err != nil {
					return err
				}
				*field(d) = v
				return nil
			}, nr3)
	}
	setting("SENSe:DLOG:PERiod", sim.Number{Unit: "s", Min: dlogMinPeriod, Max: dlogMaxPeriod, Default: dlogDefPeriod},
		func(d *e36300) *float64 { return &d.dlog.period })
	setting("SENSe:DLOG:TIME", sim.Number{Unit: "s", Min: dlogMinTime, Max: dlogMaxTime, Default: dlogDefTime},
		func(d *e36300) *float64 { return &d.dlog.duration })
	setting("SENSe:DLOG:OFFSet", sim.Number{Min: 0, Max: 100, Default: 0},
		func(d *e36300) *float64 { return &d.dlog.offset })
	cmds.Choice("TRIGger:DLOG:SOURce", []string{"IMMediate", "BUS"},
		func(d *e36300, _ *sim.Call) int { return map[bool]int{false: 0, true: 1}[d.dlog.bus] },
		func(d *e36300, _ *sim.Call, k int) error {
			if err := d.dlogIdleOnly(); err != nil {
				return err
			}
			d.dlog.bus = k == 1
			return nil
		})
	cmds.Handle("TRIGger:DLOG[:IMMediate]", func(d *e36300, _ *sim.Call) error {
		if !d.dlogTrigger() {
			return sim.ErrTriggerIgnored
		}
		return nil
	})
	cmds.Handle("INITiate[:IMMediate]:DLOG", func(d *e36300, c *sim.Call) error {
		file, err := fileName(c, ".dlog")
		if err != nil {
			return err
		}
		return d.dlogStart(file)
	})
	cmds.Handle("ABORt:DLOG", func(d *e36300, _ *sim.Call) error { d.dlogFinish(); return nil })
	cmds.Handle("MMEMory:EXPort:DLOG", func(d *e36300, c *sim.Call) error {
		file, err := fileName(c, ".csv")
		switch {
		case err != nil:
			return err
		case d.dlog.state != dlogIdle:
			return sim.ErrSettingsConflict.WithInfo("the data logger is running")
		case d.dlog.last == nil:
			return sim.ErrExecution.WithInfo("no data log to export")
		}
		if err := d.fileRoom(file); err != nil {
			return err
		}
		d.writeFile(file, d.dlog.last)
		return nil
	})
}
