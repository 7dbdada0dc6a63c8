package rigol

import (
	"math"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// The DP800's own functions that act over time: the timer (groups of
// levels held for their times), the delayer (groups of output on/off
// states), the recorder (a sample of every channel each period) and the
// monitor (an output condition that switches the output off, warns or
// beeps). They run on the model's clock (dp800.now): a command first
// plays every event that fell due since the last one, in time order
// (tick), so a client sees the instrument as if it had run on its own
// all along; a bench output read between commands sees the last level
// applied.

const (
	dp800MaxGroups  = 2048  // groups of a timer or delayer program
	dp800MaxCycles  = 99999 // cycles of a finite program
	dp800MaxSeconds = 99999 // longest group, record period
	dp800MaxRecords = 2048  // points the internal memory holds per record
	// dp800MaxEvents bounds the events one command plays one by one; past
	// it (a program of short groups left running for days between two
	// commands) the sequences jump to the present whole cycles at a time.
	dp800MaxEvents = 1 << 16
)

// dp800Features is what the DP800's functions keep beyond the output
// stages.
type dp800Features struct {
	timers    [3]dp800Timer
	delays    [3]dp800Delay
	monitors  [3]dp800Monitor
	rec       dp800Recorder
	ana       dp800Analyzer
	lines     [4]dp800Line
	line      int // the data line a :TRIGger:IN/OUT command without Dn acts on
	tmpl      dp800Template
	presetKey int

	// Files in the internal memory, by type (RSF is dp800.saved, shared
	// with *SAV/*RCL), and the locks of all four types.
	timerFiles [10]*dp800Timer
	delayFiles [10]*dp800Delay
	records    [10]*dp800Record
	locked     [4][10]bool

	// System settings: kept across *RST, as the unit keeps them.
	dispMode, brightness, contrast, language, powerOn, trackMode int
	klock, onoffSync, saver                                      bool
	highRange, sense                                             bool // the DP811's range P40V, remote sense
	warnings                                                     int  // monitor warnings shown

	active bool // something runs on the clock: tick's fast path
}

func (d *dp800) initSystem() {
	d.brightness, d.contrast = 50, 25
}

// resetFeatures is *RST for the functions: programs, monitor, recorder,
// analyzer settings and digital I/O to their defaults; files and system
// settings stay.
func (d *dp800) resetFeatures() {
	for ch := range d.timers {
		d.timers[ch] = dp800Timer{seq: dp800Seq{count: 1, cycles: 1}}
		d.delays[ch] = dp800Delay{seq: dp800Seq{count: 1, cycles: 1}, genTime: [2]int{1, 1}}
		d.monitors[ch] = dp800Monitor{warn: true}
		if ch < len(d.Outputs) {
			r := dp800Rated(d.Outputs[ch])
			d.monitors[ch].values = [3]float64{r.v / 2, r.i / 2, r.v * r.i / 4}
		}
	}
	d.rec = dp800Recorder{period: 1}
	file := d.ana.file
	d.ana = dp800Analyzer{}
	d.ana.open(file)
	for k := range d.lines {
		d.lines[k] = dp800Line{inSources: 1, outPeriod: 1, outDuty: 50}
		if len(d.Outputs) > 0 {
			d.lines[k].outValue = dp800Rated(d.Outputs[0]).v / 2
		}
	}
	d.line = 0
	d.tmpl = dp800Template{points: 10, interval: 1, period: 10, width: 5, symmetry: 50, fixed: 1}
	if len(d.Outputs) > 0 {
		d.tmpl.max = dp800Rated(d.Outputs[0]).v
	}
	d.presetKey = 0
	d.active = false
}

// dp800Rating is a channel's rated output (the guide's defaults are
// fractions of it; the range is Rigol's over-range above it).
type dp800Rating struct{ v, i float64 }

func dp800Rated(o *sim.Output) dp800Rating {
	r := o.Range()
	v := max(r.MaxV, -r.MinV)
	// The ranges are the rated values plus Rigol's 5% (32 V for 30 V,
	// 5.3 V for 5 V, 3.2 A for 3 A, 10.5 A for 10 A...), rounded.
	return dp800Rating{v: dp800RoundRated(v), i: dp800RoundRated(r.MaxI)}
}

func dp800RoundRated(x float64) float64 {
	for _, rated := range []float64{1, 2, 3, 5, 8, 10, 20, 30, 40, 60} {
		if x >= rated && x <= rated*1.1 {
			return rated
		}
	}
	return x
}

// dp800Seq is the run state of a timer or delayer program: count groups
// a cycle, cycles of them (0: infinite), the step under way and when it
// ends.
type dp800Seq struct {
	count  int
	cycles int
	on     bool
	step   int
	until  time.Time
}

// done reports whether step is past a finite program's last group.
func (s *dp800Seq) done() bool { return s.cycles > 0 && s.step >= s.count*s.cycles }

// dp800TimerGroup is one group of a timer program: levels and seconds.
type dp800TimerGroup struct{ v, i, t float64 }

type dp800Timer struct {
	seq     dp800Seq
	groups  []dp800TimerGroup // set so far; a group past them has the default
	endLast bool              // :TIMEr:ENDState LAST (else OFF)
}

// group is group k of channel ch's timer: as set, else the guide's
// default (1 V, -1 V on a negative channel, 1 A, 1 s).
func (d *dp800) timerGroup(ch, k int) dp800TimerGroup {
	if t := &d.timers[ch]; k < len(t.groups) {
		return t.groups[k]
	}
	v := 1.0
	if d.Outputs[ch].Range().MinV < 0 {
		v = -1
	}
	return dp800TimerGroup{v: v, i: 1, t: 1}
}

func (t *dp800Timer) set(k int, g dp800TimerGroup, def func(int) dp800TimerGroup) {
	for len(t.groups) <= k {
		t.groups = append(t.groups, def(len(t.groups)))
	}
	t.groups[k] = g
}

// dp800DelayGroup is one group of a delayer program: an output state held
// for whole seconds.
type dp800DelayGroup struct {
	on bool
	t  int
}

type dp800Delay struct {
	seq      dp800Seq
	groups   []dp800DelayGroup
	end      int     // :DELAY:ENDState: 0 OFF, 1 ON, 2 LAST
	stop     int     // :DELAY:STOP: 0 NONE, then <V >V <C >C <P >P
	stopAt   float64 // its value
	genState int     // :DELAY:STATe:GEN: 0 01P, 1 10P
	genMode  int     // :DELAY:TIME:GEN: 0 FIX, 1 INC, 2 DEC
	genTime  [2]int
}

// delayGroup is group k of channel ch's delayer: as set, else the guide's
// default (OFF for an even group, ON for an odd one; 1 s).
func (d *dp800) delayGroup(ch, k int) dp800DelayGroup {
	if dl := &d.delays[ch]; k < len(dl.groups) {
		return dl.groups[k]
	}
	return dp800DelayGroup{on: k%2 == 1, t: 1}
}

func (dl *dp800Delay) set(k int, g dp800DelayGroup, def func(int) dp800DelayGroup) {
	for len(dl.groups) <= k {
		dl.groups = append(dl.groups, def(len(dl.groups)))
	}
	dl.groups[k] = g
}

// dp800Monitor is a channel's monitor: a condition on its voltage,
// current and power, and what to do when it holds.
type dp800Monitor struct {
	on      bool
	conds   [3]int     // per quantity (V, C, P): 0 NONE, 1 <, 2 >
	logic   [2]int     // after V and after C: 0 NONE, 1 AND, 2 OR
	values  [3]float64 // thresholds: V, A, W
	outOff  bool       // stop ways
	warn    bool
	beep    bool
	holding bool // the condition held at the last check: act on its start only
}

// holds evaluates the condition on a reading: the quantities with a
// condition, left to right, joined by the logic after each; NONE as the
// logic ends the expression. No condition at all never holds.
func (m *dp800Monitor) holds(x [3]float64) bool {
	result, have, join := false, false, 0
	for q := range 3 {
		if m.conds[q] == 0 {
			continue
		}
		term := math.Abs(x[q]) < m.values[q]
		if m.conds[q] == 2 {
			term = math.Abs(x[q]) > m.values[q]
		}
		switch {
		case !have:
			result, have = term, true
		case join == 1:
			result = result && term
		case join == 2:
			result = result || term
		default:
			return result
		}
		join = 0
		if q < 2 {
			join = m.logic[q]
		}
	}
	return have && result
}

// dp800Sample is one recorder point: V, I and P of every channel.
type dp800Sample [3][3]float64

// dp800Record is a record file: samples every period seconds, the first
// one period after the recorder started.
type dp800Record struct {
	period  int
	samples []dp800Sample
}

type dp800Recorder struct {
	on      bool
	period  int
	start   time.Time
	samples []dp800Sample
}

// tick plays the events that fell due since the last command.
func (d *dp800) tick() {
	if d.active {
		d.advance(d.now())
	}
}

// refresh recomputes whether anything runs on the clock.
func (d *dp800) refresh() {
	d.active = d.rec.on && len(d.rec.samples) < dp800MaxRecords
	for ch := range d.Outputs {
		d.active = d.active || d.timers[ch].seq.on || d.delays[ch].seq.on || d.monitors[ch].on
	}
}

// advance plays, in time order, every timer and delayer step and recorder
// sample due by now, checking the monitors and the delayer's stop
// conditions after each, then once more at now.
func (d *dp800) advance(now time.Time) {
	for n := 0; ; n++ {
		if n >= dp800MaxEvents {
			// Each program skips once it is in a cycle's first group.
			d.skipCycles(now)
		}
		at, kind, ch := d.nextEvent()
		if kind == 0 || at.After(now) {
			break
		}
		switch kind {
		case 1:
			d.timerStep(ch)
		case 2:
			d.delayStep(ch)
		case 3:
			d.recordSample(at)
		}
		d.watch(at)
	}
	d.watch(now)
	d.refresh()
}

// nextEvent is the earliest pending event: kind 1 a timer step, 2 a
// delayer step, 3 a recorder sample, 0 none.
func (d *dp800) nextEvent() (at time.Time, kind, ch int) {
	consider := func(t time.Time, k, c int) {
		if kind == 0 || t.Before(at) {
			at, kind, ch = t, k, c
		}
	}
	for c := range d.Outputs {
		if s := &d.timers[c].seq; s.on {
			consider(s.until, 1, c)
		}
		if s := &d.delays[c].seq; s.on {
			consider(s.until, 2, c)
		}
	}
	if d.rec.on && len(d.rec.samples) < dp800MaxRecords {
		consider(d.rec.start.Add(time.Duration(len(d.rec.samples)+1)*time.Duration(d.rec.period)*time.Second), 3, 0)
	}
	return at, kind, ch
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// startTimer starts channel ch's timer program at now with its first group.
func (d *dp800) startTimer(ch int, now time.Time) {
	s := &d.timers[ch].seq
	s.on, s.step = true, 0
	g := d.timerGroup(ch, 0)
	d.applyTimerGroup(ch, g)
	s.until = now.Add(seconds(g.t))
	d.active = true
}

func (d *dp800) applyTimerGroup(ch int, g dp800TimerGroup) {
	o := d.Outputs[ch]
	o.SetVoltage(g.v)
	o.SetCurrentLimit(g.i)
}

// timerStep ends the step under way: the next group's levels, or after a
// finite program's last group its end state (OFF switches the output off,
// LAST keeps the last levels) and the timer off.
func (d *dp800) timerStep(ch int) {
	t := &d.timers[ch]
	s := &t.seq
	s.step++
	if s.done() {
		s.on = false
		if !t.endLast {
			d.Outputs[ch].SetOn(false)
		}
		return
	}
	g := d.timerGroup(ch, s.step%s.count)
	d.applyTimerGroup(ch, g)
	s.until = s.until.Add(seconds(g.t))
}

func (d *dp800) startDelay(ch int, now time.Time) {
	s := &d.delays[ch].seq
	s.on, s.step = true, 0
	g := d.delayGroup(ch, 0)
	d.Outputs[ch].SetOn(g.on)
	s.until = now.Add(time.Duration(g.t) * time.Second)
	d.active = true
}

func (d *dp800) delayStep(ch int) {
	dl := &d.delays[ch]
	s := &dl.seq
	s.step++
	if s.done() {
		d.endDelay(ch)
		return
	}
	g := d.delayGroup(ch, s.step%s.count)
	d.Outputs[ch].SetOn(g.on)
	s.until = s.until.Add(time.Duration(g.t) * time.Second)
}

// endDelay ends channel ch's delayer program with its end state.
func (d *dp800) endDelay(ch int) {
	dl := &d.delays[ch]
	dl.seq.on = false
	switch dl.end {
	case 0:
		d.Outputs[ch].SetOn(false)
	case 1:
		d.Outputs[ch].SetOn(true)
	}
}

// skipCycles jumps the running programs to now whole cycles at a time
// (their groups are not replayed one by one), then lets advance finish.
func (d *dp800) skipCycles(now time.Time) {
	for ch := range d.Outputs {
		if s := &d.timers[ch].seq; s.on && s.step%s.count == 0 {
			var cycle time.Duration
			for k := range s.count {
				cycle += seconds(d.timerGroup(ch, k).t)
			}
			skipCycle(s, cycle, now)
		}
		if s := &d.delays[ch].seq; s.on && s.step%s.count == 0 {
			var cycle time.Duration
			for k := range s.count {
				cycle += time.Duration(d.delayGroup(ch, k).t) * time.Second
			}
			skipCycle(s, cycle, now)
		}
	}
}

// skipCycle moves s, in a cycle's first group, on by the whole cycles
// that fit between the group's end and now (a finite program keeps its
// last cycle to play).
func skipCycle(s *dp800Seq, cycle time.Duration, now time.Time) {
	if cycle <= 0 || !s.until.Before(now) {
		return
	}
	k := int(now.Sub(s.until) / cycle)
	if s.cycles > 0 {
		k = min(k, s.cycles-1-s.step/s.count)
	}
	if k > 0 {
		s.step += k * s.count
		s.until = s.until.Add(time.Duration(k) * cycle)
	}
}

// recordSample takes the recorder's next point at t.
func (d *dp800) recordSample(t time.Time) {
	var s dp800Sample
	for ch, o := range d.Outputs {
		v, i, _ := o.Measure(t)
		s[ch] = [3]float64{v, i, v * i}
	}
	d.rec.samples = append(d.rec.samples, s)
}

// watch checks, at t, each monitor that is on and each running delayer's
// stop condition against its channel's output.
func (d *dp800) watch(t time.Time) {
	for ch, o := range d.Outputs {
		m := &d.monitors[ch]
		dl := &d.delays[ch]
		if !m.on && !(dl.seq.on && dl.stop != 0) {
			continue
		}
		v, i, _ := o.Measure(t)
		x := [3]float64{v, i, v * i}
		if m.on {
			holds := m.holds(x)
			if holds && !m.holding {
				d.monitorAct(ch)
			}
			m.holding = holds
		}
		if dl.seq.on && dl.stop != 0 {
			q := (dl.stop - 1) / 2
			over := dl.stop%2 == 0
			if (over && math.Abs(x[q]) > dl.stopAt) || (!over && math.Abs(x[q]) < dl.stopAt) {
				d.endDelay(ch)
			}
		}
	}
}

// monitorAct does what channel ch's monitor is set to when its condition
// starts to hold: output off, a warning on the screen, a beep (when the
// beeper is on).
func (d *dp800) monitorAct(ch int) {
	m := &d.monitors[ch]
	if m.outOff {
		d.Outputs[ch].SetOn(false)
	}
	if m.warn {
		d.warnings++
	}
	if m.beep && d.beeper {
		d.beeps++
	}
}
