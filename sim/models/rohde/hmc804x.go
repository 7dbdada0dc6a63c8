package rohde

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// Rohde & Schwarz HMC8041/HMC8042/HMC8043 supplies, after the HMC804x
// SCPI programmer's manual: INSTrument selects the channel that VOLTage,
// CURRent, OUTPut:CHANnel, MEASure, ARBitrary and the protection commands
// act on; an output is live only while both its channel switch and the
// master switch are on. Overvoltage protection trips above its level, the
// electronic fuse when the output has been current-limiting for its delay,
// overpower protection above its level; a trip switches the channel off.
// EasyRamp, the arbitrary sequencer, the fuse delays and the energy meter
// run on the device's clock (now), which tests replace to move time.
type hmc804x struct {
	model string
	sim.Outputs
	ch       []*hmcChannel
	master   bool
	selected int
	now      func() time.Time

	arb      hmcArb    // the table being edited, before ARBitrary:TRANsfer
	arbSaved [3]hmcArb // ARBitrary:SAVE slots
	saved    [10]*hmcSetup

	// Status registers: QUEStionable, its INSTrument summary, one
	// ISUMmary per channel, OPERation.
	ques, quesInst, oper hmcStatus
	isum                 []hmcStatus

	eventRead bool // an event register was read (and cleared) since the last update
	exact     bool // tests: update every channel before every command, the reference for update's skips

	// The rear panel's Analog In settings: its input unit (0 VOLTage,
	// 1 CURRent), mode (0 LINear, 1 STEP) and STEP threshold.
	ainInput, ainMode int
	ainThreshold      float64

	remote      int // 0 local, 1 remote, 2 remote with the panel locked, 3 mixed
	beeps       int
	displayText string
}

// hmcChannel is one channel's programmed state: what the commands set, as
// opposed to the output stage's effective setpoint, which EasyRamp and the
// arbitrary sequencer move.
type hmcChannel struct {
	hmcSettings
	on bool // the channel switch (OUTPut:CHANnel)

	live      bool      // channel and master on, at the last update
	onSince   time.Time // when the output last went live
	ccSince   time.Time // when the output entered current limiting (zero: not limiting)
	arbStart  time.Time // when the arbitrary sequence started
	lastAt    time.Time // the last update, for the energy meter
	lastPower float64
	mode      sim.RegulationMode // at the last update
	// What the output stage was last told, so an update that changes
	// nothing costs no calls into it, and the trips it last reported.
	outOVPOn    bool
	outOVP      float64
	outV, outI  float64
	ovpT, fuseT bool
	// idle: the last update left the channel neither live nor on;
	// steady: live, and nothing on the clock changes it (update).
	idle, steady bool

	fuseTrip, oppTrip bool
	ovpTrip           bool // tripped on the measured voltage (MODE MEASured)
	energyOn          bool
	energy            float64 // Ws since ENERgy:RESet
	arb               hmcArb  // the table transferred to the channel
	arbOn             bool
	arbTrig           bool
	arbTrigMode       int // 0 SINGle, 1 RUN
	analogIn          bool
}

// hmcSettings is what *SAV keeps of a channel.
type hmcSettings struct {
	v, i         float64
	vStep, iStep float64
	ovp          float64
	ovpOn        bool
	ovpMode      int // 0 MEASured, 1 PROTected
	fuse         bool
	fuseDelay    float64 // s in current limiting before the fuse trips
	fuseInit     float64 // s after switching on before the fuse is armed
	fuseLink     [3]bool
	oppOn        bool
	opp          float64
	rampOn       bool
	rampDur      float64
}

type hmcSetup struct{ ch []hmcSettings }

// hmcArb is an arbitrary table: points, repetitions (0: endless) and what
// the channel does after the last repetition.
type hmcArb struct {
	points  []hmcPoint
	reps    int
	endHold bool // ENDBehavior HOLD keeps the last point; OFF switches the channel off
}

type hmcPoint struct {
	v, i, t float64
	interp  bool // ramp from this point to the next over its time, else hold it
}

// hmcStatus is one SCPI status register.
type hmcStatus struct{ cond, event, enable, ptr, ntr int }

// latch records the condition's transitions as events, through the
// transition filters.
func (s *hmcStatus) latch(cond int) {
	rise, fall := cond&^s.cond, s.cond&^cond
	s.event |= rise&s.ptr | fall&s.ntr
	s.cond = cond
}

func (s *hmcStatus) summary() bool { return s.event&s.enable != 0 }

func newStatus() hmcStatus { return hmcStatus{ptr: 0x7fff} }

// Per member: channel count and rated current. All channels are 0 to
// 32 V; the HMC8041's one channel gives 10 A, the HMC8042's two 5 A, the
// HMC8043's three 3 A.
var (
	hmcChannels = map[string]int{"HMC8041": 1, "HMC8042": 2, "HMC8043": 3}
	hmcCurrents = map[string]float64{"HMC8041": 10, "HMC8042": 5, "HMC8043": 3}
)

const (
	hmcMaxV      = 32.05
	hmcMinI      = 0.0005
	hmcMaxOVP    = 32.05 // the manual's MAX and DEF of VOLTage:PROTection:LEVel
	hmcMaxPower  = 100.0 // the unit's total rating caps a channel's OPP level
	hmcArbPoints = 512
	// FUSE:DELay is 10 ms to 10 s (the manual's MIN and MAX); the *RST
	// value could not be confirmed: MIN is assumed.
	hmcMinFuseDelay = 0.01
)

// hmcMaxPowerOf is the OPP range of a member's channel. The manual gives
// 0 to 33 W (MAX and DEF) for the HMC8043, the unit's 100 W shared by
// three channels; the HMC8041's and HMC8042's ranges could not be
// confirmed, so those keep their rated voltage times current within 100 W.
// voltage times current, within the unit's 100 W.
func hmcMaxPowerOf(model string) float64 {
	if model == "HMC8043" {
		return 33
	}
	return math.Min(hmcMaxPower, 32*hmcCurrents[model])
}

func newHMC(model string) func() *hmc804x {
	return func() *hmc804x {
		n := hmcChannels[model]
		d := &hmc804x{model: model, now: time.Now}
		for k := range n {
			d.Outputs = append(d.Outputs, sim.NewOutput(sim.OutputRange{Name: "OUT" + strconv.Itoa(k+1), MaxV: hmcMaxV, MaxI: hmcCurrents[model]}))
			d.ch = append(d.ch, &hmcChannel{})
		}
		d.isum = make([]hmcStatus, n)
		d.Reset()
		return d
	}
}

func (d *hmc804x) Identity() string {
	return "Rohde&Schwarz," + d.model + ",100001,HW50020001/SW2.51"
}

func (d *hmc804x) defaults() hmcSettings {
	return hmcSettings{i: hmcCurrents[d.model], vStep: 1, iStep: 0.1, ovp: hmcMaxOVP, ovpOn: true,
		fuseDelay: hmcMinFuseDelay, opp: hmcMaxPowerOf(d.model), rampDur: 0.01}
}

// Reset is *RST: every channel to 0 V and its rated current, outputs,
// master, fuses, OPP, EasyRamp, the arbitrary sequencer and the energy
// meter off. Saved setups and arbitrary tables stay.
func (d *hmc804x) Reset() {
	d.ResetOutputs()
	for k := range d.ch {
		// NaN levels: the output stage's are not known, so the update
		// below tells it them.
		d.ch[k] = &hmcChannel{hmcSettings: d.defaults(), outOVP: -1, outOVPOn: true, outV: math.NaN(), outI: math.NaN()}
		d.isum[k] = newStatus()
	}
	d.ques, d.quesInst, d.oper = newStatus(), newStatus(), newStatus()
	d.master, d.selected, d.displayText = false, 0, ""
	d.ainInput, d.ainMode, d.ainThreshold = 0, 0, 1
	d.update(true)
}

// StatusSummary sets the status byte's QUES bit from the questionable
// register's enabled events, as SCPI's status model does.
func (d *hmc804x) StatusSummary() (questionable, operation bool) {
	return d.ques.summary(), d.oper.summary()
}

// update brings the outputs up to the device's clock: it notices outputs
// going live, moves EasyRamp and arbitrary setpoints, times the fuse,
// checks OPP, integrates energy and latches the status registers. Every
// handler runs it before it acts (all false) and, after a setting, again
// with all true, so the outputs follow the setting at once.
//
// Before a command it skips the channels the last update left idle:
// nothing on the clock moves a channel that is neither live nor on (its
// ramp, sequence, fuse delays and trips all wait for it to go live, and
// its energy meter adds nothing while its power is 0), and only a setting
// can change it, which is followed by a full update. When every other
// channel is steady too (settled) it does nothing at all, not even read
// the clock. That keeps a query's cost near the engine's own.
func (d *hmc804x) update(all bool) {
	all = all || d.exact
	if !all && d.settled() {
		return
	}
	now := d.now()
	for k, ch := range d.ch {
		if ch.idle && !all {
			continue
		}
		o := d.Outputs[k]
		// A trip has switched the channel off, or (the output stage's
		// own, since the last update) keeps the output off below.
		live := ch.on && d.master
		if live && !ch.live {
			ch.onSince, ch.arbStart, ch.ccSince = now, now, time.Time{}
		}
		ch.live = live
		v, i := ch.v, ch.i
		if live && ch.arbOn && !ch.arbTrig {
			// After the last repetition the table holds its last point,
			// or switches the channel off; going live again restarts it.
			var done bool
			v, i, done = ch.arb.at(now.Sub(ch.arbStart).Seconds())
			if done && !ch.arb.endHold {
				ch.on, live, ch.live = false, false, false
			}
		} else if live && ch.rampOn {
			if f := now.Sub(ch.onSince).Seconds() / ch.rampDur; f < 1 {
				v *= f
			}
		}
		// Only update tells the output stage its levels, so what it was
		// last told is what it has.
		if ch.outV != v || ch.outI != i {
			o.SetVoltage(v)
			o.SetCurrentLimit(i)
			ch.outV, ch.outI = v, i
		}
		// The fuse is timed below: it is armed its initial delay after
		// the output goes live, and trips after limiting current for its
		// delay (at least 10 ms, so never at once).
		armed := ch.fuse && now.Sub(ch.onSince).Seconds() >= ch.fuseInit
		// PROTected compares the programmed voltage, as the output
		// stage's OVP does; MEASured the measured one, below.
		if ovpOn := ch.ovpOn && ch.ovpMode == 1; ovpOn != ch.outOVPOn || ch.ovp != ch.outOVP {
			o.SetOVP(ch.ovp, ovpOn)
			ch.outOVP, ch.outOVPOn = ch.ovp, ovpOn
		}
		on := o.On()
		if on != live {
			o.SetOn(live)
			on = o.On()
		}
		var mv, mi float64
		mode := sim.ModeOff
		if on {
			// A protection the measurement trips switches the output
			// off: then it answers ModeOff.
			mv, mi, mode = o.Measure(now)
			on = mode != sim.ModeOff
		}
		p := mv * mi
		if ch.ovpOn && ch.ovpMode == 0 && on && math.Abs(mv) > ch.ovp {
			ch.ovpTrip = true
			o.SetOn(false)
			on = false
		}
		if armed && mode == sim.ModeCC {
			if ch.ccSince.IsZero() {
				ch.ccSince = now
			}
			if now.Sub(ch.ccSince).Seconds() >= ch.fuseDelay {
				ch.fuseTrip = true
				o.SetOn(false)
				on = false
			}
		} else if mode != sim.ModeCC {
			ch.ccSince = time.Time{}
		}
		if ch.oppOn && on && p > ch.opp {
			ch.oppTrip = true
			o.SetOn(false)
			on = false
		}
		if ch.energyOn && !ch.lastAt.IsZero() {
			ch.energy += ch.lastPower * now.Sub(ch.lastAt).Seconds()
		}
		ch.lastAt, ch.lastPower, ch.mode = now, 0, sim.ModeOff
		if on {
			ch.lastPower, ch.mode = p, mode
		}
		// A channel that tripped just now is still marked live: the loop
		// below switches it off, and the next update finds it idle.
		ch.idle = !on && !ch.live
		// A steady channel's next update, with no setting changed, would
		// measure what this one did, so trip nothing and change nothing,
		// as long as nothing runs on the clock: no sequence, no ramp still
		// rising, no fuse waiting to arm or timing current limiting, no
		// energy to integrate. Its output must stay steady (settled).
		ch.steady = on && ch.live && !(ch.arbOn && !ch.arbTrig) &&
			(!ch.rampOn || now.Sub(ch.onSince).Seconds() >= ch.rampDur) &&
			(!ch.fuse || armed && mode != sim.ModeCC) && !ch.energyOn
	}
	// A trip switches its channel off, and a fuse trip every channel
	// linked to it. An idle channel's trips are as the update that left
	// it idle found them, and so are the channels its fuse switched off.
	for k, ch := range d.ch {
		if ch.idle && !all {
			continue
		}
		ch.ovpT, ch.fuseT = ch.ovpTrip, ch.fuseTrip
		if ch.mode == sim.ModeOff { // only an output that is off can have tripped
			ch.ovpT, ch.fuseT = d.ovpTripped(k), d.fuseTripped(k)
		}
		if !ch.ovpT && !ch.fuseT && !ch.oppTrip {
			continue
		}
		ch.on, ch.live, ch.mode, ch.steady = false, false, sim.ModeOff, false
		if ch.fuseT {
			for j, linked := range ch.fuseLink {
				if linked && j < len(d.ch) && j != k {
					d.ch[j].on, d.ch[j].live, d.ch[j].mode, d.ch[j].steady = false, false, sim.ModeOff, false
					d.Outputs[j].SetOn(false)
				}
			}
		}
	}
	d.latchStatus()
	d.eventRead = false
}

// settled reports whether an update now would change nothing: every
// channel idle or steady with its output still steady (a load wired or
// noise set since makes it not), and no event register read since the
// last latch (reading one can change the summaries above it).
func (d *hmc804x) settled() bool {
	if d.eventRead {
		return false
	}
	for k, ch := range d.ch {
		if !ch.idle && !(ch.steady && d.Outputs[k].Steady()) {
			return false
		}
	}
	return true
}

func (d *hmc804x) fuseTripped(k int) bool {
	_, ocp := d.Outputs[k].OCP()
	return ocp || d.ch[k].fuseTrip
}

func (d *hmc804x) ovpTripped(k int) bool {
	_, _, ovp := d.Outputs[k].OVP()
	return ovp || d.ch[k].ovpTrip
}

// clearTrips resets a channel's fuse, OVP and OPP, as switching the
// channel off does.
func (d *hmc804x) clearTrips(k int) {
	d.Outputs[k].ClearProtection()
	d.ch[k].fuseTrip, d.ch[k].oppTrip, d.ch[k].ovpTrip = false, false, false
}

// ISUMmary condition bits: 0 the output is current limiting (its voltage
// is not regulated), 1 voltage limiting, 9 OVP tripped, 10 the fuse
// tripped, 11 OPP tripped.
const (
	isumCC   = 1 << 0
	isumCV   = 1 << 1
	isumOVP  = 1 << 9
	isumFuse = 1 << 10
	isumOPP  = 1 << 11
)

func (d *hmc804x) isumCondition(k int) int {
	cond := 0
	switch d.ch[k].mode {
	case sim.ModeCC:
		cond |= isumCC
	case sim.ModeCV:
		cond |= isumCV
	}
	if d.ch[k].ovpT {
		cond |= isumOVP
	}
	if d.ch[k].fuseT {
		cond |= isumFuse
	}
	if d.ch[k].oppTrip {
		cond |= isumOPP
	}
	return cond
}

// latchStatus computes each register's condition from the one below it:
// ISUMmary<n> from channel n, QUES:INST bit n from ISUMmary<n>'s enabled
// events, QUES bit 13 from QUES:INST's.
func (d *hmc804x) latchStatus() {
	inst := 0
	for k := range d.ch {
		d.isum[k].latch(d.isumCondition(k))
		if d.isum[k].summary() {
			inst |= 1 << (k + 1)
		}
	}
	d.quesInst.latch(inst)
	ques := 0
	if d.quesInst.summary() {
		ques |= 1 << 13
	}
	d.ques.latch(ques)
	d.oper.latch(0)
}

// at is the arbitrary table's setpoint t seconds after it started, and
// whether its repetitions are over (then the last point's levels).
func (a hmcArb) at(t float64) (v, i float64, done bool) {
	var total float64
	for _, p := range a.points {
		total += p.t
	}
	last := a.points[len(a.points)-1]
	if total <= 0 {
		return last.v, last.i, true
	}
	rep := math.Floor(t / total)
	if a.reps > 0 && rep >= float64(a.reps) {
		return last.v, last.i, true
	}
	pos := t - rep*total
	for k, p := range a.points {
		if pos < p.t {
			if !p.interp {
				return p.v, p.i, false
			}
			next := a.points[(k+1)%len(a.points)]
			f := pos / p.t
			return p.v + (next.v-p.v)*f, p.i + (next.i-p.i)*f, false
		}
		pos -= p.t
	}
	return last.v, last.i, false
}

// nr3 is the HMC804x's number format: 5.0000E+00 with its sign.
func nr3(c *sim.Call, v float64) { c.ReplyNR3(v, 4) }

// sel is the selected channel, for the shared handlers.
func sel(d *hmc804x, _ *sim.Call) ([]*sim.Output, error) {
	return d.Outputs[d.selected : d.selected+1], nil
}

func hmcCommands(model string) *sim.Commands[*hmc804x] {
	cmds := sim.NewCommands[*hmc804x]()
	// handle brings the device up to its clock before every command, so
	// ramps, sequences, fuse delays and trips are current, and after a
	// setting, so the outputs follow it at once.
	handle := func(pattern string, h func(*hmc804x, *hmcChannel, *sim.Call) error) {
		cmds.Handle(pattern, func(d *hmc804x, c *sim.Call) error {
			d.update(false)
			err := h(d, d.ch[d.selected], c)
			if !c.IsQuery() {
				d.update(true)
			}
			return err
		})
	}
	boolean := func(pattern string, field func(*hmc804x, *hmcChannel) *bool) {
		handle(pattern, func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
			on, err := c.Bool(0)
			if err == nil {
				*field(d, ch) = on
			}
			return err
		})
		handle(pattern+"?", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
			c.ReplyBool(*field(d, ch))
			return nil
		})
	}
	number := func(pattern string, spec func(*hmc804x) sim.Number, field func(*hmcChannel) *float64, reply func(*sim.Call, float64)) {
		handle(pattern, func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
			v, err := c.Number(0, spec(d))
			if err == nil {
				*field(ch) = v
			}
			return err
		})
		handle(pattern+"?", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
			if c.NumParams() > 0 {
				v, err := c.Limit(0, spec(d))
				if err == nil {
					reply(c, v)
				}
				return err
			}
			reply(c, *field(ch))
			return nil
		})
	}
	channel := func(d *hmc804x) sim.Number { return sim.Number{Min: 1, Max: float64(len(d.ch))} }

	// INSTrument.
	handle("INSTrument[:SELect]", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		k, err := c.Choice(0, "OUTPut1", "OUTPut2", "OUTPut3", "OUT1", "OUT2", "OUT3")
		if err != nil {
			return err
		}
		if k%3 >= len(d.ch) {
			return sim.ErrIllegalParameterValue
		}
		d.selected = k % 3
		return nil
	})
	handle("INSTrument[:SELect]?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		c.Reply("OUTP" + strconv.Itoa(d.selected+1))
		return nil
	})
	handle("INSTrument:NSELect", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		n, err := c.Int(0, channel(d))
		if err == nil {
			d.selected = n - 1
		}
		return err
	})
	handle("INSTrument:NSELect?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		c.ReplyInt(int64(d.selected + 1))
		return nil
	})

	// Levels and their steps: a value, MIN, MAX, DEF, or UP and DOWN by
	// the step.
	levelSpec := func(d *hmc804x, voltage bool) sim.Number {
		if voltage {
			return sim.Number{Unit: "V", Min: 0, Max: hmcMaxV, Default: 0}
		}
		return sim.Number{Unit: "A", Min: hmcMinI, Max: hmcCurrents[d.model], Default: hmcCurrents[d.model]}
	}
	level := func(voltage bool) {
		pattern := "[SOURce:]CURRent[:LEVel][:IMMediate]"
		field := func(ch *hmcChannel) (*float64, float64) { return &ch.i, ch.iStep }
		if voltage {
			pattern = "[SOURce:]VOLTage[:LEVel][:IMMediate]"
			field = func(ch *hmcChannel) (*float64, float64) { return &ch.v, ch.vStep }
		}
		handle(pattern+"[:AMPLitude]", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
			spec := levelSpec(d, voltage)
			x, step := field(ch)
			if up, down := c.Is(0, "UP"), c.Is(0, "DOWN"); up || down {
				if down {
					step = -step
				}
				if *x+step < spec.Min-1e-9 || *x+step > spec.Max+1e-9 {
					return sim.ErrDataOutOfRange
				}
				*x += step
				return nil
			}
			v, err := c.Number(0, spec)
			if err == nil {
				*x = v
			}
			return err
		})
		handle(pattern+"[:AMPLitude]?", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
			if c.NumParams() > 0 {
				v, err := c.Limit(0, levelSpec(d, voltage))
				if err == nil {
					nr3(c, v)
				}
				return err
			}
			x, _ := field(ch)
			nr3(c, *x)
			return nil
		})
		stepSpec := func(d *hmc804x) sim.Number {
			s := levelSpec(d, voltage)
			s.Min, s.Default = 0, 0.1
			if voltage {
				s.Default = 1
			}
			return s
		}
		number(pattern+":STEP[:INCRement]", stepSpec, func(ch *hmcChannel) *float64 {
			if voltage {
				return &ch.vStep
			}
			return &ch.iStep
		}, nr3)
	}
	level(true)
	level(false)

	// APPLy <voltage>[,<current>[,OUT<n>]]: both levels of the selected
	// channel, or of the one named, range-checked before either changes.
	handle("APPLy", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
		if err := c.Params(1, 3); err != nil {
			return err
		}
		v, err := c.Number(0, levelSpec(d, true))
		if err != nil {
			return err
		}
		i := ch.i
		if c.NumParams() > 1 {
			if i, err = c.Number(1, levelSpec(d, false)); err != nil {
				return err
			}
		}
		if c.NumParams() > 2 {
			k, err := c.Choice(2, "OUTPut1", "OUTPut2", "OUTPut3", "OUT1", "OUT2", "OUT3")
			if err != nil {
				return err
			}
			if k%3 >= len(d.ch) {
				return sim.ErrIllegalParameterValue
			}
			ch = d.ch[k%3]
		}
		ch.v, ch.i = v, i
		return nil
	})
	handle("APPLy?", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
		var b []byte
		b = sim.AppendFloat(append(b, '+'), ch.v, 'E', 4)
		b = sim.AppendFloat(append(b, ",+"...), ch.i, 'E', 4)
		c.Reply(string(b))
		return nil
	})

	// Outputs.
	handle("OUTPut:CHANnel[:STATe]", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		if !on {
			d.clearTrips(d.selected) // switching a channel off resets its fuse, OVP and OPP
		}
		ch.on = on
		return nil
	})
	handle("OUTPut:CHANnel[:STATe]?", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
		c.ReplyBool(ch.on)
		return nil
	})
	// OUTPut[:STATe] switches the selected channel and, switching on,
	// the master too, so that the output goes live in one command; the
	// query reads whether the selected output is live.
	handle("OUTPut[:STATe]", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		if !on {
			d.clearTrips(d.selected)
		}
		ch.on = on
		d.master = d.master || on
		return nil
	})
	handle("OUTPut[:STATe]?", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
		c.ReplyBool(ch.live)
		return nil
	})
	boolean("OUTPut:MASTer[:STATe]", func(d *hmc804x, _ *hmcChannel) *bool { return &d.master })

	// Measurements of the selected channel, and its energy meter.
	for pattern, q := range map[string]sim.Quantity{
		"MEASure[:SCALar][:VOLTage][:DC]?": sim.Voltage, "MEASure[:SCALar]:CURRent[:DC]?": sim.Current, "MEASure[:SCALar]:POWer?": sim.Power,
	} {
		h := sim.MeasureHandler(sel, q, nr3)
		handle(pattern, func(d *hmc804x, _ *hmcChannel, c *sim.Call) error { return h(d, c) })
	}
	handle("MEASure[:SCALar]:ENERgy:STATe", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		if on && !ch.energyOn {
			// The meter counts from now: the update after this command
			// starts the integral, not from an update long ago.
			ch.lastAt = time.Time{}
		}
		ch.energyOn = on
		return nil
	})
	handle("MEASure[:SCALar]:ENERgy:STATe?", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		c.ReplyBool(ch.energyOn)
		return nil
	})
	handle("MEASure[:SCALar]:ENERgy:RESet", func(_ *hmc804x, ch *hmcChannel, _ *sim.Call) error {
		ch.energy = 0
		return nil
	})
	handle("MEASure[:SCALar]:ENERgy?", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		nr3(c, ch.energy)
		return nil
	})

	// Overvoltage protection.
	// The manual's default node is [:STATe]: VOLT:PROT ON switches OVP,
	// VOLT:PROT:LEV sets its level.
	number("[SOURce:]VOLTage:PROTection:LEVel", func(*hmc804x) sim.Number {
		return sim.Number{Unit: "V", Min: 0, Max: hmcMaxOVP, Default: hmcMaxOVP}
	}, func(ch *hmcChannel) *float64 { return &ch.ovp }, nr3)
	boolean("[SOURce:]VOLTage:PROTection[:STATe]", func(_ *hmc804x, ch *hmcChannel) *bool { return &ch.ovpOn })
	handle("[SOURce:]VOLTage:PROTection:MODE", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		k, err := c.Choice(0, "MEASured", "PROTected")
		if err == nil {
			ch.ovpMode = k
		}
		return err
	})
	handle("[SOURce:]VOLTage:PROTection:MODE?", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		c.Reply([]string{"MEAS", "PROT"}[ch.ovpMode])
		return nil
	})
	handle("[SOURce:]VOLTage:PROTection:TRIPped?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		c.ReplyBool(d.ovpTripped(d.selected))
		return nil
	})
	handle("[SOURce:]VOLTage:PROTection:CLEar", func(d *hmc804x, ch *hmcChannel, _ *sim.Call) error {
		// The output stage clears its OCP with its OVP: a blown fuse
		// stays blown until the channel is switched off.
		fuse := d.fuseTripped(d.selected)
		d.Outputs[d.selected].ClearProtection()
		ch.ovpTrip, ch.fuseTrip = false, fuse
		return nil
	})

	// The electronic fuse.
	boolean("FUSE[:STATe]", func(_ *hmc804x, ch *hmcChannel) *bool { return &ch.fuse })
	// The fuse delays are in seconds (the manual: FUSE:DELay 10 ms to
	// 10 s in 1 ms steps). FUSE:DELay:INITial's range (0 to 60 s here)
	// could not be confirmed.
	number("FUSE:DELay", func(*hmc804x) sim.Number {
		return sim.Number{Unit: "S", Min: hmcMinFuseDelay, Max: 10, Default: hmcMinFuseDelay}
	}, func(ch *hmcChannel) *float64 { return &ch.fuseDelay }, nr3)
	number("FUSE:DELay:INITial", func(*hmc804x) sim.Number { return sim.Number{Unit: "S", Min: 0, Max: 60, Default: 0} },
		func(ch *hmcChannel) *float64 { return &ch.fuseInit }, nr3)
	link := func(unlink bool) func(*hmc804x, *hmcChannel, *sim.Call) error {
		return func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
			n, err := c.Int(0, channel(d))
			if err != nil {
				return err
			}
			if n-1 == d.selected {
				return sim.ErrSettingsConflict.WithInfo("a fuse cannot link to its own channel")
			}
			ch.fuseLink[n-1] = !unlink
			d.ch[n-1].fuseLink[d.selected] = !unlink // a link joins both fuses
			return nil
		}
	}
	if hmcChannels[model] > 1 { // the HMC8041 has no other fuse to link to
		handle("FUSE:LINK", link(false))
		handle("FUSE:UNLink", link(true))
		handle("FUSE:LINK?", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
			n, err := c.Int(0, channel(d))
			if err == nil {
				c.ReplyBool(ch.fuseLink[n-1])
			}
			return err
		})
	}
	handle("FUSE:TRIPped?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		c.ReplyBool(d.fuseTripped(d.selected))
		return nil
	})

	// Overpower protection.
	boolean("[SOURce:]POWer:PROTection[:STATe]", func(_ *hmc804x, ch *hmcChannel) *bool { return &ch.oppOn })
	number("[SOURce:]POWer:PROTection:LEVel", func(d *hmc804x) sim.Number {
		return sim.Number{Unit: "W", Min: 0, Max: hmcMaxPowerOf(d.model), Default: hmcMaxPowerOf(d.model)}
	}, func(ch *hmcChannel) *float64 { return &ch.opp }, nr3)
	handle("[SOURce:]POWer:PROTection:TRIPped?", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
		c.ReplyBool(ch.oppTrip)
		return nil
	})
	handle("[SOURce:]POWer:PROTection:CLEar", func(_ *hmc804x, ch *hmcChannel, _ *sim.Call) error {
		ch.oppTrip = false
		return nil
	})

	// EasyRamp: the voltage rises from 0 to its level over the duration
	// each time the output goes live.
	boolean("[SOURce:]VOLTage:RAMP[:STATe]", func(_ *hmc804x, ch *hmcChannel) *bool { return &ch.rampOn })
	number("[SOURce:]VOLTage:RAMP:DURation", func(*hmc804x) sim.Number { return sim.Number{Unit: "S", Min: 0.01, Max: 10, Default: 0.01} },
		func(ch *hmcChannel) *float64 { return &ch.rampDur }, nr3)

	// Analog In: the output follows a voltage or current at the rear
	// panel's terminal block. The settings are kept and read back; a
	// simulated unit has no signal there, so its outputs keep their
	// programmed levels. The *RST values are assumed (off, VOLTage,
	// LINear, 1 V), as is the Analog In being on every member: the
	// manual's descriptions could not be checked for either.
	boolean("[SOURce:]VOLTage:AINPut[:STATe]", func(_ *hmc804x, ch *hmcChannel) *bool { return &ch.analogIn })
	choice := func(pattern string, field func(*hmc804x) *int, long []string, short []string) {
		handle(pattern, func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
			k, err := c.Choice(0, long...)
			if err == nil {
				*field(d) = k
			}
			return err
		})
		handle(pattern+"?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
			c.Reply(short[*field(d)])
			return nil
		})
	}
	choice("[SOURce:]VOLTage:AINPut:INPut", func(d *hmc804x) *int { return &d.ainInput }, []string{"VOLTage", "CURRent"}, []string{"VOLT", "CURR"})
	choice("[SOURce:]VOLTage:AINPut:MODE", func(d *hmc804x) *int { return &d.ainMode }, []string{"LINear", "STEP"}, []string{"LIN", "STEP"})
	handle("[SOURce:]VOLTage:AINPut:THReshold", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		v, err := c.Number(0, sim.Number{Unit: "V", Min: 0, Max: 10, Default: 1})
		if err == nil {
			d.ainThreshold = v
		}
		return err
	})
	handle("[SOURce:]VOLTage:AINPut:THReshold?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		if c.NumParams() > 0 {
			v, err := c.Limit(0, sim.Number{Unit: "V", Min: 0, Max: 10, Default: 1})
			if err == nil {
				nr3(c, v)
			}
			return err
		}
		nr3(c, d.ainThreshold)
		return nil
	})

	hmcArbCommands(cmds, handle, channel)
	hmcStatusCommands(cmds, handle)
	hmcSystemCommands(cmds, handle)
	return cmds
}

type hmcHandle = func(string, func(*hmc804x, *hmcChannel, *sim.Call) error)

// hmcArbCommands registers the arbitrary sequencer: a table of up to 512
// points (voltage, current, dwell time, interpolation) is edited, then
// transferred to a channel, where ARBitrary ON runs it while the output
// is live.
func hmcArbCommands(cmds *sim.Commands[*hmc804x], handle hmcHandle, channel func(*hmc804x) sim.Number) {
	handle("ARBitrary:DATA", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		n := c.NumParams()
		if n == 0 || n%4 != 0 {
			return sim.ErrMissingParameter.WithInfo("points are voltage, current, time, interpolation")
		}
		if n/4 > hmcArbPoints {
			c.Discard()
			return sim.ErrTooMuchData.WithInfo("at most 512 points")
		}
		pts := make([]hmcPoint, 0, n/4)
		for k := 0; k < n; k += 4 {
			v, err := c.Number(k, sim.Number{Unit: "V", Max: hmcMaxV})
			if err != nil {
				return err
			}
			i, err := c.Number(k+1, sim.Number{Unit: "A", Min: hmcMinI, Max: hmcCurrents[d.model]})
			if err != nil {
				return err
			}
			t, err := c.Number(k+2, sim.Number{Unit: "S", Min: 0.01, Max: 60})
			if err != nil {
				return err
			}
			interp, err := c.Int(k+3, sim.Number{Max: 1})
			if err != nil {
				return err
			}
			pts = append(pts, hmcPoint{v, i, t, interp == 1})
		}
		d.arb.points = pts
		return nil
	})
	handle("ARBitrary:DATA?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		var b strings.Builder
		for k, p := range d.arb.points {
			if k > 0 {
				b.WriteByte(',')
			}
			interp := "0"
			if p.interp {
				interp = "1"
			}
			b.WriteString(strconv.FormatFloat(p.v, 'f', 3, 64) + "," + strconv.FormatFloat(p.i, 'f', 4, 64) + "," +
				strconv.FormatFloat(p.t, 'f', 2, 64) + "," + interp)
		}
		c.Reply(b.String())
		return nil
	})
	handle("ARBitrary:CLEar", func(d *hmc804x, _ *hmcChannel, _ *sim.Call) error {
		d.arb.points = nil
		return nil
	})
	handle("ARBitrary:REPetitions", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		n, err := c.Int(0, sim.Number{Max: 255})
		if err == nil {
			d.arb.reps = n
		}
		return err
	})
	handle("ARBitrary:REPetitions?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		c.ReplyInt(int64(d.arb.reps))
		return nil
	})
	handle("ARBitrary:ENDBehavior", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		k, err := c.Choice(0, "OFF", "HOLD")
		if err == nil {
			d.arb.endHold = k == 1
		}
		return err
	})
	handle("ARBitrary:ENDBehavior?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		c.Reply(map[bool]string{false: "OFF", true: "HOLD"}[d.arb.endHold])
		return nil
	})
	handle("ARBitrary:TRANsfer", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		n, err := c.Int(0, channel(d))
		if err != nil {
			return err
		}
		if len(d.arb.points) == 0 {
			return sim.ErrExecution.WithInfo("the arbitrary table is empty")
		}
		ch := d.ch[n-1]
		ch.arb = hmcArb{points: append([]hmcPoint(nil), d.arb.points...), reps: d.arb.reps, endHold: d.arb.endHold}
		return nil
	})
	handle("ARBitrary[:STATe]", func(d *hmc804x, ch *hmcChannel, c *sim.Call) error {
		on, err := c.Bool(0)
		if err != nil {
			return err
		}
		if on && len(ch.arb.points) == 0 {
			return sim.ErrExecution.WithInfo("no arbitrary table transferred to the channel")
		}
		if on && !ch.arbOn {
			ch.arbStart = d.now() // a live output starts the sequence now
		}
		ch.arbOn = on
		return nil
	})
	handle("ARBitrary[:STATe]?", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		c.ReplyBool(ch.arbOn)
		return nil
	})
	handle("ARBitrary:TRIGgered[:STATe]", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		on, err := c.Bool(0)
		if err == nil {
			ch.arbTrig = on
		}
		return err
	})
	handle("ARBitrary:TRIGgered[:STATe]?", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		c.ReplyBool(ch.arbTrig)
		return nil
	})
	handle("ARBitrary:TRIGgered:MODE", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		k, err := c.Choice(0, "SINGle", "RUN")
		if err == nil {
			ch.arbTrigMode = k
		}
		return err
	})
	handle("ARBitrary:TRIGgered:MODE?", func(_ *hmc804x, ch *hmcChannel, c *sim.Call) error {
		c.Reply([]string{"SING", "RUN"}[ch.arbTrigMode])
		return nil
	})
	slot := sim.Number{Min: 1, Max: 3}
	handle("ARBitrary:SAVE", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		n, err := c.Int(0, slot)
		if err == nil {
			d.arbSaved[n-1] = hmcArb{points: append([]hmcPoint(nil), d.arb.points...), reps: d.arb.reps, endHold: d.arb.endHold}
		}
		return err
	})
	handle("ARBitrary:RESTore", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		n, err := c.Int(0, slot)
		if err == nil {
			s := d.arbSaved[n-1]
			d.arb = hmcArb{points: append([]hmcPoint(nil), s.points...), reps: s.reps, endHold: s.endHold}
		}
		return err
	})
}

// hmcStatusCommands registers the questionable, questionable instrument,
// ISUMmary<n> and operation registers, each with its condition, event,
// enable and transition filters.
func hmcStatusCommands(cmds *sim.Commands[*hmc804x], handle hmcHandle) {
	register := func(prefix string, reg func(*hmc804x, *sim.Call) (*hmcStatus, error)) {
		handle(prefix+":CONDition?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
			r, err := reg(d, c)
			if err == nil {
				c.ReplyInt(int64(r.cond))
			}
			return err
		})
		handle(prefix+"[:EVENt]?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
			r, err := reg(d, c)
			if err == nil {
				c.ReplyInt(int64(r.event))
				r.event = 0 // reading the event register clears it
				d.eventRead = true
			}
			return err
		})
		for name, field := range map[string]func(*hmcStatus) *int{
			":ENABle": func(s *hmcStatus) *int { return &s.enable }, ":PTRansition": func(s *hmcStatus) *int { return &s.ptr },
			":NTRansition": func(s *hmcStatus) *int { return &s.ntr },
		} {
			handle(prefix+name, func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
				r, err := reg(d, c)
				if err != nil {
					return err
				}
				v, err := c.Int(0, sim.Number{Max: 32767})
				if err == nil {
					*field(r) = v
				}
				return err
			})
			handle(prefix+name+"?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
				r, err := reg(d, c)
				if err == nil {
					c.ReplyInt(int64(*field(r)))
				}
				return err
			})
		}
	}
	register("STATus:QUEStionable", func(d *hmc804x, _ *sim.Call) (*hmcStatus, error) { return &d.ques, nil })
	register("STATus:QUEStionable:INSTrument", func(d *hmc804x, _ *sim.Call) (*hmcStatus, error) { return &d.quesInst, nil })
	register("STATus:QUEStionable:INSTrument:ISUMmary#", func(d *hmc804x, c *sim.Call) (*hmcStatus, error) {
		n, err := c.SuffixIn("ISUM", 1, len(d.ch))
		if err != nil {
			return nil, err
		}
		return &d.isum[n-1], nil
	})
	register("STATus:OPERation", func(d *hmc804x, _ *sim.Call) (*hmcStatus, error) { return &d.oper, nil })
}

// hmcSystemCommands registers SYSTem, DISPlay and the stored setups.
func hmcSystemCommands(cmds *sim.Commands[*hmc804x], handle hmcHandle) {
	cmds.SystemCommands("1999.0")
	cmds.Handle("SYSTem:ERRor:ALL?", func(_ *hmc804x, c *sim.Call) error {
		var all []string
		for c.ErrorCount() > 0 {
			e := c.NextError()
			all = append(all, strconv.Itoa(e.Code)+`,"`+e.Message+`"`)
		}
		if len(all) == 0 {
			all = []string{`0,"No error"`}
		}
		c.Reply(strings.Join(all, ","))
		return nil
	})
	handle("SYSTem:BEEPer[:IMMediate]", func(d *hmc804x, _ *hmcChannel, _ *sim.Call) error { d.beeps++; return nil })
	for k, p := range []string{"SYSTem:LOCal", "SYSTem:REMote", "SYSTem:RWLock", "SYSTem:MIX"} {
		handle(p, func(d *hmc804x, _ *hmcChannel, _ *sim.Call) error { d.remote = k; return nil })
	}
	handle("DISPlay[:WINDow]:TEXT[:DATA]", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		s, err := c.String(0)
		if err == nil {
			d.displayText = s
		}
		return err
	})
	handle("DISPlay[:WINDow]:TEXT[:DATA]?", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		c.ReplyString(d.displayText)
		return nil
	})
	handle("DISPlay[:WINDow]:TEXT:CLEar", func(d *hmc804x, _ *hmcChannel, _ *sim.Call) error {
		d.displayText = ""
		return nil
	})
	location := sim.Number{Min: 0, Max: 9}
	handle("*SAV", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err != nil {
			return err
		}
		s := &hmcSetup{}
		for _, ch := range d.ch {
			s.ch = append(s.ch, ch.hmcSettings)
		}
		d.saved[n] = s
		return nil
	})
	handle("*RCL", func(d *hmc804x, _ *hmcChannel, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err != nil {
			return err
		}
		if d.saved[n] == nil {
			return sim.ErrExecution.WithInfo("memory " + strconv.Itoa(n) + " is empty")
		}
		for k, s := range d.saved[n].ch {
			d.ch[k].hmcSettings = s
		}
		return nil
	})
}

func init() {
	for _, m := range []string{"HMC8041", "HMC8042", "HMC8043"} {
		sim.MustRegister(m, "Rohde & Schwarz "+m+" programmable DC power supply", hmcCommands(m), newHMC(m))
	}
	sim.RegisterGuide(hmc804xGuide())
}
