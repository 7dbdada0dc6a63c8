package sim

import (
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Load is what a supply output drives: the current it would draw at a
// terminal voltage, at a time. Current must rise with voltage and must not
// change the load's state: the supply calls it at trial voltages while it
// looks for its operating point.
type Load interface {
	Current(v float64, now time.Time) float64
}

// Settler is a load with state (a board that boots, browns out): once the
// supply has found its operating point, it tells the load the voltage it
// really gets.
type Settler interface {
	Settle(v float64, now time.Time)
}

// Resistor is a resistive load, in ohms.
type Resistor float64

// Current is Ohm's law.
func (r Resistor) Current(v float64, _ time.Time) float64 {
	if r <= 0 {
		return math.Inf(1)
	}
	return v / float64(r)
}

// RegulationMode is how a supply output is operating.
type RegulationMode int

const (
	ModeOff         RegulationMode = iota // output off
	ModeCV                                // constant voltage: the load draws less than the limit
	ModeCC                                // constant current: the limit holds the current, the voltage sags
	ModeUnregulated                       // neither (an open circuit on a negative rail, a fault)
)

func (m RegulationMode) String() string {
	return [...]string{"OFF", "CV", "CC", "UR"}[m]
}

// OutputRange is what one supply output can do.
type OutputRange struct {
	Name       string  // as the manual names it: "CH1", "P6V", "OUT1"
	MinV, MaxV float64 // MinV < 0 for a negative output
	MaxI       float64
}

// Output is one output stage of a simulated supply: its settings, its
// protection circuits and the load wired to it. It has its own lock, so a
// supply's handlers and the device it powers (another instrument, on
// another lock) can both work out the operating point: always instrument
// lock first, then Output, then the load's own.
type Output struct {
	mu       sync.Mutex
	rng      OutputRange
	setV     float64
	setI     float64
	on       bool
	ovpLevel float64
	ovpOn    bool
	ovpTrip  bool
	ocpOn    bool
	ocpTrip  bool
	ocpLevel float64 // 0: trip on entering constant current (Keysight); else trip above it (Rigol)
	// ocpDelay is how long the overcurrent condition may last before OCP
	// trips; ocpFromCC says the delay runs from the moment the output
	// entered the condition (Keysight's CCTRans), else from the last
	// settings change (SCHange). ocpOver is when the condition began (zero:
	// not over), changed when the settings last changed, clock the
	// model's clock (nil: the host's), read without the lock.
	ocpDelay  time.Duration
	ocpFromCC bool
	ocpOver   time.Time
	changed   time.Time
	clock     atomic.Pointer[func() time.Time]
	load      Load
	noise     float64 // relative measurement noise (standard deviation)
	random    *rand.Rand
}

// NewOutput returns an output in its reset state: 0 V, full current
// limit, off, OVP at 110% of the range and on, OCP off.
func NewOutput(r OutputRange) *Output {
	o := &Output{rng: r}
	o.Reset()
	return o
}

// Range returns the output's capabilities. Range and SetRange are
// called from the model's handlers, under the instrument's lock.
func (o *Output) Range() OutputRange { return o.rng }

// SetRange switches the output to another of its ranges, as a supply
// with a low-voltage, high-current range and a high-voltage, low-current
// one does; the settings are clamped into the new range.
func (o *Output) SetRange(r OutputRange) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.rng = r
	o.setV = min(max(o.setV, r.MinV), r.MaxV)
	o.setI = min(o.setI, r.MaxI)
	o.settingsChangedLocked()
}

// Reset returns the output to its *RST state; the load stays wired.
func (o *Output) Reset() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.setV, o.setI, o.on = 0, o.rng.MaxI, false
	o.ovpLevel, o.ovpOn, o.ovpTrip = 1.1*math.Max(math.Abs(o.rng.MaxV), math.Abs(o.rng.MinV)), true, false
	o.ocpOn, o.ocpTrip, o.ocpLevel = false, false, 0
	o.ocpDelay, o.ocpFromCC, o.ocpOver = 0, false, time.Time{}
}

// SetClock gives the output its model's clock (nil: the host clock), so
// the protection delays run on the model's time, which a test moves on by
// hand, rather than on the host's.
func (o *Output) SetClock(now func() time.Time) {
	if now == nil {
		o.clock.Store(nil)
		return
	}
	o.clock.Store(&now)
}

// Now is the output's clock: the time its protections and measurements
// are evaluated at.
func (o *Output) Now() time.Time {
	if now := o.clock.Load(); now != nil {
		return (*now)()
	}
	return time.Now()
}

// settingsChangedLocked notes a settings change (which starts an SCHange
// OCP delay), evaluates the protections at once, and tells a load that
// settles (a board) the voltage it gets from now: a board's inrush starts
// when the output comes on, not when somebody first measures it (a
// monitor's first reading then saw the inrush's peak).
func (o *Output) settingsChangedLocked() {
	now := o.Now()
	o.changed = now
	o.protectLocked(now)
	if _, ok := o.load.(Settler); ok {
		o.operateLocked(now)
	}
}

// Load returns the load wired to the output (nil: open circuit), as a
// meter probing the output sees it.
func (o *Output) Load() Load {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.load
}

// Connect wires a load to the output (nil: open circuit).
func (o *Output) Connect(l Load) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.load = l
}

// SetNoise sets the relative standard deviation of measurement noise,
// from a seeded generator so runs repeat.
func (o *Output) SetNoise(relative float64, seed uint64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.noise = relative
	o.random = rand.New(rand.NewPCG(seed, seed+1))
}

// LevelSpec is what a voltage (or, voltage false, current) setting of
// the output accepts: its range, and DEF as the full rated current. Pass
// it to Call.Number or Call.Limit.
func (o *Output) LevelSpec(voltage bool) Number {
	r := o.Range()
	if voltage {
		return Number{Unit: "V", Min: r.MinV, Max: r.MaxV}
	}
	return Number{Unit: "A", Min: 0, Max: r.MaxI, Default: r.MaxI}
}

// ApplyLevels reads APPLy's optional voltage and current (parameters 1
// and 2, after the output's name) for o, both range-checked before the
// caller changes anything; an absent one is 0.
func ApplyLevels(c *Call, o *Output) (v, i float64, err error) {
	if c.NumParams() > 1 {
		if v, err = c.Number(1, o.LevelSpec(true)); err != nil {
			return 0, 0, err
		}
	}
	if c.NumParams() > 2 {
		if i, err = c.Number(2, o.LevelSpec(false)); err != nil {
			return 0, 0, err
		}
	}
	return v, i, nil
}

// Settings returns the programmed voltage and current limit.
func (o *Output) Settings() (v, i float64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.setV, o.setI
}

// SetVoltage programs the voltage; an OVP level below it trips the
// protection when the output is on.
func (o *Output) SetVoltage(v float64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.setV = v
	o.settingsChangedLocked()
}

// SetCurrentLimit programs the current limit.
func (o *Output) SetCurrentLimit(i float64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.setI = i
	o.settingsChangedLocked()
}

// SetOn switches the output. A tripped protection keeps it off until
// cleared; turning on re-evaluates the protections at once.
func (o *Output) SetOn(on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.on = on && !o.ovpTrip && !o.ocpTrip
	o.settingsChangedLocked()
}

// On reports whether the output is on.
func (o *Output) On() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pendingLocked()
	return o.on
}

// SetOVP sets the overvoltage protection level and state.
func (o *Output) SetOVP(level float64, on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ovpLevel, o.ovpOn = level, on
	o.settingsChangedLocked()
}

// OVP returns the overvoltage protection level, state and trip.
func (o *Output) OVP() (level float64, on, tripped bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ovpLevel, o.ovpOn, o.ovpTrip
}

// SetOCP enables overcurrent protection: the output trips off when it
// enters constant-current mode.
func (o *Output) SetOCP(on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ocpOn = on
	o.settingsChangedLocked()
}

// SetOCPLevel sets the current above which OCP trips; 0 means on
// entering constant-current mode.
func (o *Output) SetOCPLevel(level float64) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ocpLevel = level
	o.settingsChangedLocked()
}

// OCPLevel returns the OCP trip current (0: on entering CC).
func (o *Output) OCPLevel() float64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ocpLevel
}

// OCP returns the overcurrent protection state and trip.
func (o *Output) OCP() (on, tripped bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.pendingLocked()
	return o.ocpOn, o.ocpTrip
}

// SetOCPDelay sets how long the output may stay in the overcurrent
// condition before OCP trips, and when that time starts: on entering the
// condition (fromCC, Keysight's CCTRans) or at the last settings change
// (SCHange: output on, a level or a protection setting), so a load's
// inrush after switching on does not trip it.
func (o *Output) SetOCPDelay(delay time.Duration, fromCC bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ocpDelay, o.ocpFromCC = delay, fromCC
	o.protectLocked(o.Now())
}

// OCPDelay returns the OCP delay and whether it starts on entering the
// overcurrent condition (else at a settings change).
func (o *Output) OCPDelay() (delay time.Duration, fromCC bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ocpDelay, o.ocpFromCC
}

// pendingLocked evaluates the protections when an overcurrent condition
// is waiting out its delay, so a reader sees the trip once the delay has
// run out on the output's clock; otherwise it costs nothing.
func (o *Output) pendingLocked() {
	if !o.ocpOver.IsZero() {
		o.protectLocked(o.Now())
	}
}

// ClearProtection clears the trips; the output stays off until switched
// on again.
func (o *Output) ClearProtection() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ovpTrip, o.ocpTrip = false, false
	o.ocpOver = time.Time{}
}

// Measure returns the output's voltage, current and mode now, with noise,
// tripping a protection if the operating point calls for it.
func (o *Output) Measure(now time.Time) (v, i float64, mode RegulationMode) {
	o.mu.Lock()
	defer o.mu.Unlock()
	// A measurement stamped before the output's last change (its caller
	// read the clock, then waited for the lock) sees the output as it is.
	if now.Before(o.changed) {
		now = o.changed
	}
	o.protectLocked(now)
	v, i, mode = o.operateLocked(now)
	if o.noise > 0 && o.random != nil && mode != ModeOff {
		v *= 1 + o.noise*o.random.NormFloat64()
		i *= 1 + o.noise*o.random.NormFloat64()
	}
	return v, i, mode
}

// operateLocked finds the operating point: constant voltage while the
// load draws less than the limit, else constant current at the voltage
// where the load draws exactly the limit.
func (o *Output) operateLocked(now time.Time) (v, i float64, mode RegulationMode) {
	v, i, mode = o.solveLocked(now)
	if s, ok := o.load.(Settler); ok {
		s.Settle(math.Abs(v), now)
	}
	return v, i, mode
}

func (o *Output) solveLocked(now time.Time) (v, i float64, mode RegulationMode) {
	if !o.on {
		return 0, 0, ModeOff
	}
	sign := 1.0
	setV := o.setV
	if setV < 0 {
		sign, setV = -1, -setV
	}
	if o.load == nil {
		return sign * setV, 0, ModeCV
	}
	demand := o.load.Current(setV, now)
	if demand <= o.setI {
		return sign * setV, sign * demand, ModeCV
	}
	// Bisect for the voltage where the load draws the limit.
	lo, hi := 0.0, setV
	for range 50 {
		mid := (lo + hi) / 2
		if o.load.Current(mid, now) > o.setI {
			hi = mid
		} else {
			lo = mid
		}
	}
	return sign * lo, sign * o.setI, ModeCC
}

// protectLocked trips OVP when the programmed voltage exceeds its level
// and OCP when the output current-limits (or passes the OCP level) for
// longer than the OCP delay.
func (o *Output) protectLocked(now time.Time) {
	if !o.on {
		o.ocpOver = time.Time{}
		return
	}
	if o.ovpOn && math.Abs(o.setV) > o.ovpLevel {
		o.on, o.ovpTrip = false, true
		o.operateLocked(now)
		return
	}
	if !o.ocpOn {
		o.ocpOver = time.Time{}
		return
	}
	_, i, mode := o.solveLocked(now)
	over := mode == ModeCC
	if o.ocpLevel > 0 {
		over = math.Abs(i) > o.ocpLevel
	}
	if !over {
		o.ocpOver = time.Time{}
		return
	}
	if o.ocpOver.IsZero() {
		o.ocpOver = now
	}
	start := o.changed
	if o.ocpFromCC {
		start = o.ocpOver
	}
	if o.ocpDelay == 0 || now.Sub(start) >= o.ocpDelay {
		o.on, o.ocpTrip, o.ocpOver = false, true, time.Time{}
		o.operateLocked(now)
	}
}

// Supply is a simulated supply whose outputs can be wired to loads on a
// bench. Channels count from 1.
type Supply interface {
	Output(channel int) (*Output, bool)
}

// Powered is a device that takes its power from a supply output (a DUT):
// the bench tells it which output it hangs on, so it can read its own
// supply voltage.
type Powered interface {
	Load
	Settler
	PoweredBy(o *Output)
}

// Prober is a meter that can be wired across a supply output
// (Bench.Probe), to measure it as a DMM's leads would.
type Prober interface {
	ProbeOutput(o *Output)
}

// ISUMCondition answers STATus:QUEStionable:INSTrument:ISUMmary<n>:CONDition?
// for the supply's output n: 2 in CV, 1 in CC, 0 off, 3 neither, as
// Keysight, Agilent and R&S supplies answer.
//
//	cmds.Handle("STATus:QUEStionable:INSTrument:ISUMmary#:CONDition?", sim.ISUMCondition[*Supply])
func ISUMCondition[D Supply](d D, c *Call) error {
	n := 0
	for ; ; n++ {
		if _, ok := d.Output(n + 1); !ok {
			break
		}
	}
	ch, err := c.SuffixIn("ISUM", 1, n)
	if err != nil {
		return err
	}
	o, _ := d.Output(ch)
	_, _, mode := o.Measure(o.Now())
	c.ReplyInt(map[RegulationMode]int64{ModeOff: 0, ModeCC: 1, ModeCV: 2, ModeUnregulated: 3}[mode])
	return nil
}

// ParseCoupling reads a coupling list as Keysight's triple-output supplies
// take it (the E3631A's INSTrument:COUPle, the E36300's
// OUTPut:COUPle:CHANnel): ALL, NONE, or one or more of the outputs' names,
// ALL and NONE standing alone. It returns which outputs are coupled, in
// the order of names, and changes nothing on an error.
func ParseCoupling(c *Call, names []string) ([]bool, error) {
	if c.NumParams() == 0 {
		return nil, ErrMissingParameter
	}
	choices := append([]string{"ALL", "NONE"}, names...)
	set := make([]bool, len(names))
	for i := range c.NumParams() {
		k, err := c.Choice(i, choices...)
		if err != nil {
			return nil, err
		}
		switch {
		case k < 2 && c.NumParams() > 1:
			return nil, ErrIllegalParameterValue.WithInfo("ALL and NONE stand alone")
		case k == 0:
			for j := range set {
				set[j] = true
			}
		case k > 1:
			set[k-2] = true
		}
	}
	return set, nil
}

// ReplyCoupling answers a coupling query: ALL, NONE, or the coupled
// outputs' names joined by commas (CH1,CH3).
func ReplyCoupling(c *Call, names []string, coupled []bool) {
	var on []string
	for k, cp := range coupled {
		if cp {
			on = append(on, names[k])
		}
	}
	switch len(on) {
	case 0:
		c.Reply("NONE")
	case len(coupled):
		c.Reply("ALL")
	default:
		c.Reply(strings.Join(on, ","))
	}
}
