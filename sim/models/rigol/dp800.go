package rigol

import (
	"math"
	"strconv"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// Rigol DP800 series supplies (DP832/DP832A, DP831/DP831A, DP821/DP821A,
// DP811/DP811A), from the DP800 Programming Guide: channels named
// CH1..CH3 as a first parameter (":OUTP CH1,ON", ":MEAS:VOLT? CH1") or
// selected with :INSTrument; [:SOURce<n>] for levels; ON/OFF and YES/NO
// answers; fixed-point numbers ("5.000", "1.0000"). The command index,
// with what is implemented, is dp800Guide (dp800_guide.go).
type dp800 struct {
	model, serial string
	sim.Outputs
	chans    []dp800Channel
	selected int

	// System settings, kept across *RST as the unit keeps them.
	beeper bool
	beeps  int // SYST:BEEP while the beeper is on
	otp    bool
	remote int // 0 local, 1 remote, 2 remote with the front panel locked (RWLock)
	psc    bool

	display     bool
	displayText string

	trigSource int     // 0 BUS, 1 IMMediate
	trigDelay  float64 // seconds

	saved [10]*dp800State // *SAV/*RCL locations 1 to 10

	ques, oper dp800Status
	quesInst   dp800Status
	isum       [3]dp800Status // questionable ISUMmary<n>
	operIsum   [3]dp800Status
	operInst   dp800Status

	// now is the model's clock: the timer, the delayer, the recorder and
	// the monitor run on it (dp800_seq.go), and tests replace it to move
	// time without sleeping.
	now func() time.Time

	dp800Features
}

// dp800Channel is what a channel has beyond its output stage.
type dp800Channel struct {
	vStep, iStep float64
	vTrig, iTrig float64 // triggered levels; NaN: the immediate level
	track        bool
}

// dp800State is what *SAV keeps of a channel.
type dp800State struct {
	selected int
	chans    []dp800Channel
	levels   [][2]float64 // V, I
	ovp      []float64
	ovpOn    []bool
	ocp      []float64
	ocpOn    []bool
}

// dp800Status is one status register: its enable mask and the events
// latched since it was last read.
type dp800Status struct {
	enable int
	event  int
}

// Ranges from the guide's :APPLy table (rated values plus Rigol's
// over-range). The A models have the same ranges and a finer display.
var dp800Ranges = map[string][]sim.OutputRange{
	"DP832": {{Name: "CH1", MinV: 0, MaxV: 32, MaxI: 3.2}, {Name: "CH2", MinV: 0, MaxV: 32, MaxI: 3.2}, {Name: "CH3", MinV: 0, MaxV: 5.3, MaxI: 3.2}},
	"DP831": {{Name: "CH1", MinV: 0, MaxV: 8.4, MaxI: 5.3}, {Name: "CH2", MinV: 0, MaxV: 32, MaxI: 2.1}, {Name: "CH3", MinV: -32, MaxV: 0, MaxI: 2.1}},
	"DP821": {{Name: "CH1", MinV: 0, MaxV: 63, MaxI: 1.05}, {Name: "CH2", MinV: 0, MaxV: 8.4, MaxI: 10.5}},
	"DP811": {{Name: "CH1", MinV: 0, MaxV: 21, MaxI: 10.5}},
}

// dp811High is the DP811's second range, P40V: 40 V at 5 A rated (guide,
// :OUTPut:RANGe); its first, P20V, is dp800Ranges["DP811"].
var dp811High = sim.OutputRange{Name: "CH1", MinV: 0, MaxV: 42, MaxI: 5.3}

// dp800Models are the members, each A model after its original.
var dp800Models = []string{"DP832", "DP832A", "DP831", "DP831A", "DP821", "DP821A", "DP811", "DP811A"}

func dp800Base(model string) string {
	if model[len(model)-1] == 'A' {
		return model[:len(model)-1]
	}
	return model
}

func newDP800(model string) func() *dp800 {
	return func() *dp800 {
		d := &dp800{model: model, serial: "DP8C2400001", beeper: true, otp: true, psc: true, now: time.Now}
		d.initSystem()
		if model != dp800Base(model) {
			d.serial = "DP8A2400001"
		}
		for _, r := range dp800Ranges[dp800Base(model)] {
			d.Outputs = append(d.Outputs, sim.NewOutput(r))
		}
		d.chans = make([]dp800Channel, len(d.Outputs))
		d.Reset()
		return d
	}
}

func (d *dp800) Identity() string {
	return "RIGOL TECHNOLOGIES," + d.model + "," + d.serial + ",00.01.16"
}

// Reset is *RST: the outputs and channel settings to their defaults.
// System settings (beeper, OTP, remote state, *PSC) and the *SAV
// locations stay, as IEEE 488.2 10.32 asks.
func (d *dp800) Reset() {
	d.presetChannels()
	d.selected = 0
	d.display, d.displayText = true, ""
	d.trigSource, d.trigDelay = 0, 0
	d.resetFeatures()
}

// presetChannels sets every channel to its default settings, output off.
func (d *dp800) presetChannels() {
	if d.highRange {
		d.setHighRange(false)
	}
	d.sense = false
	for i, o := range d.Outputs {
		o.Reset()
		// The DP800 resets OCP to 110% of the rated current.
		o.SetOCPLevel(1.1 * o.Range().MaxI)
		d.chans[i] = dp800Channel{vStep: 0.001, iStep: 0.001, vTrig: math.NaN(), iTrig: math.NaN()}
	}
}

// SelfTest passes: the unit answers *TST? with its boards' results.
func (d *dp800) SelfTest() int { return 0 }

// Trigger is *TRG: with the trigger source BUS, the selected channel
// takes its triggered levels.
func (d *dp800) Trigger() error {
	if d.trigSource != 0 {
		return sim.ErrTriggerIgnored
	}
	d.fire()
	return nil
}

func (d *dp800) fire() {
	ch := &d.chans[d.selected]
	o := d.Outputs[d.selected]
	if !math.IsNaN(ch.vTrig) {
		o.SetVoltage(ch.vTrig)
	}
	if !math.IsNaN(ch.iTrig) {
		o.SetCurrentLimit(ch.iTrig)
	}
}

var dp800Channels = []string{"CH1", "CH2", "CH3"}

// channel reads an optional CHn at parameter i: the channel (0-based) and
// whether it was given, else the selected channel.
func (d *dp800) channel(c *sim.Call, i int) (ch int, given bool, err error) {
	if c.Kind(i) != sim.ParamCharacter {
		return d.selected, false, nil
	}
	k, err := c.Choice(i, dp800Channels...)
	if err != nil {
		return 0, false, err
	}
	if k >= len(d.Outputs) {
		return 0, false, sim.ErrIllegalParameterValue.WithInfo("no " + dp800Channels[k] + " on the " + d.model)
	}
	return k, true, nil
}

// source is the channel of a [:SOURce<n>] command: the suffix when given,
// else the selected channel.
func (d *dp800) source(c *sim.Call) (int, error) {
	if n, given := c.SuffixGiven("SOUR"); given {
		if n < 1 || n > len(d.Outputs) {
			return 0, sim.ErrHeaderSuffix
		}
		return n - 1, nil
	}
	return d.selected, nil
}

// chanValue reads "[CHn,]<value>": the channel and the index of the value.
func (d *dp800) chanValue(c *sim.Call) (ch, i int, err error) {
	if err := c.Params(1, 2); err != nil {
		return 0, 0, err
	}
	if c.NumParams() == 2 {
		ch, _, err = d.channel(c, 0)
		return ch, 1, err
	}
	return d.selected, 0, nil
}

// onOff reads an optional channel then ON|OFF: ":OUTP CH1,ON", ":OUTP ON".
func (d *dp800) onOff(c *sim.Call) (ch int, on bool, err error) {
	ch, i, err := d.chanValue(c)
	if err != nil {
		return 0, false, err
	}
	on, err = c.Bool(i)
	return ch, on, err
}

func replyOnOff(c *sim.Call, on bool) { c.Reply(map[bool]string{true: "ON", false: "OFF"}[on]) }

func replyYesNo(c *sim.Call, yes bool) { c.Reply(map[bool]string{true: "YES", false: "NO"}[yes]) }

// trackPartner is the channel that tracks ch (0-based), or -1: CH1 and
// CH2 of the DP832, CH2 and CH3 of the DP831 (guide, :OUTPut:TRACk).
func (d *dp800) trackPartner(ch int) int {
	switch dp800Base(d.model) {
	case "DP832":
		if ch <= 1 {
			return 1 - ch
		}
	case "DP831":
		if ch >= 1 {
			return 3 - ch
		}
	}
	return -1
}

// setVoltage programs ch and, when tracking, its partner: the DP831's
// negative CH3 tracks with the opposite sign. In the SYNC track mode the
// partner takes the same setting; in INDEpendent it keeps its own and
// moves by the same change (:SYSTem:TRACKMode).
func (d *dp800) setVoltage(ch int, v float64) {
	old, _ := d.Outputs[ch].Settings()
	d.Outputs[ch].SetVoltage(v)
	if p := d.trackPartner(ch); p >= 0 && (d.chans[ch].track || d.chans[p].track) {
		r := d.Outputs[p].Range()
		pv := v
		if d.trackMode == 1 {
			pold, _ := d.Outputs[p].Settings()
			pv = math.Abs(pold) + math.Abs(v) - math.Abs(old)
		}
		if r.MinV < 0 {
			pv = -math.Abs(pv)
		} else {
			pv = math.Abs(pv)
		}
		d.Outputs[p].SetVoltage(min(max(pv, r.MinV), r.MaxV))
	}
}

func (d *dp800) save() *dp800State {
	s := &dp800State{selected: d.selected, chans: append([]dp800Channel(nil), d.chans...)}
	for _, o := range d.Outputs {
		v, i := o.Settings()
		lv, on, _ := o.OVP()
		ocpOn, _ := o.OCP()
		s.levels = append(s.levels, [2]float64{v, i})
		s.ovp, s.ovpOn = append(s.ovp, lv), append(s.ovpOn, on)
		s.ocp, s.ocpOn = append(s.ocp, o.OCPLevel()), append(s.ocpOn, ocpOn)
	}
	return s
}

func (d *dp800) recall(s *dp800State) {
	d.selected = s.selected
	copy(d.chans, s.chans)
	for k, o := range d.Outputs {
		o.SetOn(false) // a recalled state starts with the outputs off
		o.SetVoltage(s.levels[k][0])
		o.SetCurrentLimit(s.levels[k][1])
		o.SetOVP(s.ovp[k], s.ovpOn[k])
		o.SetOCPLevel(s.ocp[k])
		o.SetOCP(s.ocpOn[k])
	}
}

// isumCondition is a channel's questionable ISUMmary condition (guide,
// table 1-3): bit 0 the voltage is not regulated (CC), bit 1 the current
// is not regulated (CV), bit 2 OVP tripped, bit 3 OCP tripped.
func (d *dp800) isumCondition(ch int) int {
	o := d.Outputs[ch]
	_, _, mode := o.Measure(d.now())
	cond := 0
	switch mode {
	case sim.ModeCC:
		cond |= 1
	case sim.ModeCV:
		cond |= 2
	}
	if _, _, t := o.OVP(); t {
		cond |= 4
	}
	if _, t := o.OCP(); t {
		cond |= 8
	}
	return cond
}

// quesCondition is the questionable register's condition: the channel
// summary in bit 13 (INSTrument summary) on the multi-channel models, the
// single channel's bits on the DP811.
func (d *dp800) quesCondition() int {
	if len(d.Outputs) == 1 {
		return d.isumCondition(0)
	}
	if d.quesInstCondition() != 0 {
		return 1 << 13
	}
	return 0
}

// quesInstCondition has bit n set when ISUMmary<n> has an enabled bit set.
func (d *dp800) quesInstCondition() int {
	cond := 0
	for k := range d.Outputs {
		if d.isumCondition(k)&d.isum[k].enable != 0 {
			cond |= 1 << (k + 1)
		}
	}
	return cond
}

// StatusSummary sets the status byte's QUES bit from the questionable
// register and its enable mask.
func (d *dp800) StatusSummary() (questionable, operation bool) {
	return (d.quesCondition()|d.ques.event)&d.ques.enable != 0, false
}

// dp800Commands is the command table of one member: the DP811 has no
// tracking and no channel status registers.
func dp800Commands(model string) *sim.Commands[*dp800] {
	cmds := &dpTable{sim.NewCommands[*dp800]()}
	multi := len(dp800Ranges[dp800Base(model)]) > 1
	tracking := dp800Base(model) == "DP832" || dp800Base(model) == "DP831"
	dp800SourceCommands(cmds)
	dp800OutputCommands(cmds, tracking)
	dp800SystemCommands(cmds)
	dp800StatusCommands(cmds, multi)
	dp800FeatureCommands(cmds, tracking)
	if !multi {
		dp800RangeCommands(cmds)
	}
	return cmds.Commands
}

// dpTable is the DP800's command table: every handler first brings the
// model's running sequences (timer, delayer, recorder, monitor) up to the
// model's clock, so what a command sees or changes is the state at the
// moment it arrives. With nothing running that costs one branch.
type dpTable struct{ *sim.Commands[*dp800] }

func (t *dpTable) Handle(pattern string, h func(*dp800, *sim.Call) error) {
	t.Commands.Handle(pattern, func(d *dp800, c *sim.Call) error { d.tick(); return h(d, c) })
}

func (t *dpTable) Number(pattern string, spec func(*dp800, *sim.Call) (sim.Number, error),
	get func(*dp800, *sim.Call) float64, set func(*dp800, *sim.Call, float64) error, reply func(*sim.Call, float64)) {
	// spec runs first in both forms.
	t.Commands.Number(pattern, func(d *dp800, c *sim.Call) (sim.Number, error) { d.tick(); return spec(d, c) }, get, set, reply)
}

func (t *dpTable) Choice(pattern string, choices []string, get func(*dp800, *sim.Call) int, set func(*dp800, *sim.Call, int) error) {
	t.Commands.Choice(pattern, choices,
		func(d *dp800, c *sim.Call) int { d.tick(); return get(d, c) },
		func(d *dp800, c *sim.Call, k int) error { d.tick(); return set(d, c, k) })
}

func dp800SourceCommands(cmds *dpTable) {
	cmds.Handle("APPLy", func(d *dp800, c *sim.Call) error {
		if err := c.Params(1, 3); err != nil {
			return err
		}
		ch, _, err := d.channel(c, 0)
		if err != nil {
			return err
		}
		v, i, err := sim.ApplyLevels(c, d.Outputs[ch])
		if err != nil {
			return err
		}
		d.selected = ch
		if c.NumParams() > 1 {
			d.setVoltage(ch, v)
		}
		if c.NumParams() > 2 {
			d.Outputs[ch].SetCurrentLimit(i)
		}
		return nil
	})
	cmds.Handle("APPLy?", func(d *dp800, c *sim.Call) error {
		ch, _, err := d.channel(c, 0)
		if err != nil {
			return err
		}
		v, i := d.Outputs[ch].Settings()
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
	decimals := func(voltage bool) int {
		if voltage {
			return 3
		}
		return 4
	}
	for _, voltage := range []bool{true, false} {
		name := "CURRent"
		if voltage {
			name = "VOLTage"
		}
		base := "[SOURce#:]" + name
		// The level takes UP and DOWN besides a value: a step of
		// :STEP[:INCRement].
		cmds.Handle(base+"[:LEVel][:IMMediate][:AMPLitude]", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			o := d.Outputs[ch]
			x, err := dp800Level(c, d, ch, voltage)
			if err != nil {
				return err
			}
			if voltage {
				d.setVoltage(ch, x)
			} else {
				o.SetCurrentLimit(x)
			}
			return nil
		})
		cmds.Handle(base+"[:LEVel][:IMMediate][:AMPLitude]?", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			if c.NumParams() > 0 {
				v, err := c.Limit(0, d.Outputs[ch].LevelSpec(voltage))
				if err != nil {
					return err
				}
				c.ReplyFixed(v, decimals(voltage))
				return nil
			}
			v, i := d.Outputs[ch].Settings()
			if voltage {
				c.ReplyFixed(v, 3)
			} else {
				c.ReplyFixed(i, 4)
			}
			return nil
		})
		cmds.Number(base+"[:LEVel][:IMMediate]:STEP[:INCRement]",
			func(d *dp800, c *sim.Call) (sim.Number, error) {
				ch, err := d.source(c)
				if err != nil {
					return sim.Number{}, err
				}
				r := d.Outputs[ch].Range()
				top := r.MaxI
				if voltage {
					top = max(r.MaxV, -r.MinV)
				}
				unit := map[bool]string{true: "V", false: "A"}[voltage]
				return sim.Number{Unit: unit, Min: 0.001, Max: top, Default: 0.001}, nil
			},
			func(d *dp800, c *sim.Call) float64 {
				ch, _ := d.source(c)
				if voltage {
					return d.chans[ch].vStep
				}
				return d.chans[ch].iStep
			},
			func(d *dp800, c *sim.Call, v float64) error {
				ch, _ := d.source(c)
				if voltage {
					d.chans[ch].vStep = v
				} else {
					d.chans[ch].iStep = v
				}
				return nil
			},
			func(c *sim.Call, v float64) { c.ReplyFixed(v, decimals(voltage)) })
		cmds.Handle(base+"[:LEVel]:TRIGgered[:AMPLitude]", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			x, err := c.Number(0, d.Outputs[ch].LevelSpec(voltage))
			if err != nil {
				return err
			}
			if voltage {
				d.chans[ch].vTrig = x
			} else {
				d.chans[ch].iTrig = x
			}
			return nil
		})
		cmds.Handle(base+"[:LEVel]:TRIGgered[:AMPLitude]?", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			v, i := d.Outputs[ch].Settings()
			x := map[bool]float64{true: d.chans[ch].vTrig, false: d.chans[ch].iTrig}[voltage]
			if math.IsNaN(x) {
				x = map[bool]float64{true: v, false: i}[voltage]
			}
			c.ReplyFixed(x, decimals(voltage))
			return nil
		})
		// [:SOURce<n>]:VOLTage:PROTection and CURRent:PROTection: the same
		// circuits as :OUTPut:OVP and :OUTPut:OCP.
		prot := base + ":PROTection"
		cmds.Handle(prot+"[:LEVel]", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			x, err := c.Number(0, dp800ProtSpec(d.Outputs[ch], voltage))
			if err != nil {
				return err
			}
			dp800SetProtLevel(d.Outputs[ch], voltage, x)
			return nil
		})
		cmds.Handle(prot+"[:LEVel]?", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			if c.NumParams() > 0 {
				v, err := c.Limit(0, dp800ProtSpec(d.Outputs[ch], voltage))
				if err != nil {
					return err
				}
				c.ReplyFixed(v, decimals(voltage))
				return nil
			}
			c.ReplyFixed(dp800ProtLevel(d.Outputs[ch], voltage), decimals(voltage))
			return nil
		})
		cmds.Handle(prot+":STATe", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err != nil {
				return err
			}
			on, err := c.Bool(0)
			if err == nil {
				dp800SetProtState(d.Outputs[ch], voltage, on)
			}
			return err
		})
		cmds.Handle(prot+":STATe?", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err == nil {
				replyOnOff(c, dp800ProtState(d.Outputs[ch], voltage))
			}
			return err
		})
		cmds.Handle(prot+":TRIPped?", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err == nil {
				replyYesNo(c, dp800ProtTripped(d.Outputs[ch], voltage))
			}
			return err
		})
		cmds.Handle(prot+":CLEar", func(d *dp800, c *sim.Call) error {
			ch, err := d.source(c)
			if err == nil {
				d.Outputs[ch].ClearProtection()
			}
			return err
		})
	}
	cmds.Handle("INSTrument[:SELect]", func(d *dp800, c *sim.Call) error {
		ch, _, err := d.channel(c, 0)
		if err == nil {
			d.selected = ch
		}
		return err
	})
	cmds.Handle("INSTrument[:SELect]?", func(d *dp800, c *sim.Call) error {
		c.Reply(dp800Channels[d.selected])
		return nil
	})
	cmds.Handle("INSTrument:NSELect", func(d *dp800, c *sim.Call) error {
		n, err := c.Int(0, sim.Number{Min: 1, Max: float64(len(d.Outputs))})
		if err == nil {
			d.selected = n - 1
		}
		return err
	})
	cmds.Handle("INSTrument:NSELect?", func(d *dp800, c *sim.Call) error {
		c.Reply(strconv.Itoa(d.selected + 1))
		return nil
	})
	measure := func(what int) func(*dp800, *sim.Call) error {
		return func(d *dp800, c *sim.Call) error {
			ch, _, err := d.channel(c, 0)
			if err != nil {
				return err
			}
			v, i, _ := d.Outputs[ch].Measure(d.now())
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
	// The trigger system: INITiate, then a trigger (*TRG with source BUS,
	// at once with IMMediate) applies the selected channel's triggered
	// levels.
	cmds.Handle("INITiate", func(d *dp800, c *sim.Call) error {
		if d.trigSource == 1 {
			d.fire()
		}
		return nil
	})
	cmds.Choice("TRIGger[:SEQuence]:SOURce", []string{"BUS", "IMMediate"},
		func(d *dp800, _ *sim.Call) int { return d.trigSource },
		func(d *dp800, _ *sim.Call, k int) error { d.trigSource = k; return nil })
	cmds.Number("TRIGger[:SEQuence]:DELay", func(*dp800, *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "S", Min: 0, Max: 3600, Default: 0}, nil
	},
		func(d *dp800, _ *sim.Call) float64 { return d.trigDelay },
		func(d *dp800, _ *sim.Call, v float64) error { d.trigDelay = math.Round(v); return nil },
		func(c *sim.Call, v float64) { c.ReplyInt(int64(v)) })
}

// dp800Level reads a level setting: a value, MIN, MAX, DEF, or UP and
// DOWN by the channel's step.
func dp800Level(c *sim.Call, d *dp800, ch int, voltage bool) (float64, error) {
	o := d.Outputs[ch]
	spec := o.LevelSpec(voltage)
	if c.Kind(0) == sim.ParamCharacter {
		up, down := c.Is(0, "UP"), c.Is(0, "DOWN")
		if up || down {
			v, i := o.Settings()
			x, step := i, d.chans[ch].iStep
			if voltage {
				x, step = v, d.chans[ch].vStep
			}
			if down {
				step = -step
			}
			if x+step < spec.Min-1e-9 || x+step > spec.Max+1e-9 {
				return 0, sim.ErrDataOutOfRange
			}
			return x + step, nil
		}
	}
	return c.Number(0, spec)
}

func dp800ProtSpec(o *sim.Output, voltage bool) sim.Number {
	r := o.Range()
	if voltage {
		top := 1.1 * max(r.MaxV, -r.MinV)
		return sim.Number{Unit: "V", Min: 0.01, Max: top, Default: top}
	}
	return sim.Number{Unit: "A", Min: 0.001, Max: 1.1 * r.MaxI, Default: 1.1 * r.MaxI}
}

func dp800ProtLevel(o *sim.Output, voltage bool) float64 {
	if voltage {
		level, _, _ := o.OVP()
		return level
	}
	return o.OCPLevel()
}

func dp800SetProtLevel(o *sim.Output, voltage bool, x float64) {
	if voltage {
		_, on, _ := o.OVP()
		o.SetOVP(x, on)
		return
	}
	o.SetOCPLevel(x)
}

func dp800ProtState(o *sim.Output, voltage bool) bool {
	if voltage {
		_, on, _ := o.OVP()
		return on
	}
	on, _ := o.OCP()
	return on
}

func dp800SetProtState(o *sim.Output, voltage, on bool) {
	if voltage {
		level, _, _ := o.OVP()
		o.SetOVP(level, on)
		return
	}
	o.SetOCP(on)
}

func dp800ProtTripped(o *sim.Output, voltage bool) bool {
	if voltage {
		_, _, t := o.OVP()
		return t
	}
	_, t := o.OCP()
	return t
}

func dp800OutputCommands(cmds *dpTable, tracking bool) {
	cmds.Handle("OUTPut[:STATe]", func(d *dp800, c *sim.Call) error {
		ch, on, err := d.onOff(c)
		if err == nil {
			d.Outputs[ch].SetOn(on)
		}
		return err
	})
	cmds.Handle("OUTPut[:STATe]?", func(d *dp800, c *sim.Call) error {
		ch, _, err := d.channel(c, 0)
		if err == nil {
			replyOnOff(c, d.Outputs[ch].On())
		}
		return err
	})
	mode := func(d *dp800, c *sim.Call) error {
		ch, _, err := d.channel(c, 0)
		if err != nil {
			return err
		}
		_, _, mode := d.Outputs[ch].Measure(d.now())
		if mode == sim.ModeOff {
			mode = sim.ModeCV // an off output reports CV on the DP800
		}
		c.Reply(mode.String())
		return nil
	}
	cmds.Handle("OUTPut:MODE?", mode)
	cmds.Handle("OUTPut:CVCC?", mode)
	if tracking {
		dp800TrackCommands(cmds)
	}
	dp800ProtectionCommands(cmds)
}

func dp800TrackCommands(cmds *dpTable) {
	cmds.Handle("OUTPut:TRACk", func(d *dp800, c *sim.Call) error {
		ch, on, err := d.onOff(c)
		if err != nil {
			return err
		}
		if d.trackPartner(ch) < 0 {
			return sim.ErrSettingsConflict.WithInfo(dp800Channels[ch] + " of the " + d.model + " does not track")
		}
		d.chans[ch].track = on
		return nil
	})
	cmds.Handle("OUTPut:TRACk?", func(d *dp800, c *sim.Call) error {
		ch, _, err := d.channel(c, 0)
		if err != nil {
			return err
		}
		if d.trackPartner(ch) < 0 {
			c.Reply("NONE") // the guide's answer for a channel without tracking
			return nil
		}
		replyOnOff(c, d.chans[ch].track)
		return nil
	})
}

func dp800ProtectionCommands(cmds *dpTable) {
	// Protection: :OUTPut:OVP and :OUTPut:OCP, each with VALue, STATe,
	// QUEStion, ALARm and CLEAR.
	for _, ovp := range []bool{true, false} {
		name := "OCP"
		if ovp {
			name = "OVP"
		}
		cmds.Handle("OUTPut:"+name+":VALue", func(d *dp800, c *sim.Call) error {
			ch, i, err := d.chanValue(c)
			if err != nil {
				return err
			}
			x, err := c.Number(i, dp800ProtSpec(d.Outputs[ch], ovp))
			if err == nil {
				dp800SetProtLevel(d.Outputs[ch], ovp, x)
			}
			return err
		})
		cmds.Handle("OUTPut:"+name+":VALue?", func(d *dp800, c *sim.Call) error {
			ch, _, err := d.channel(c, 0)
			if err != nil {
				return err
			}
			dec := 4
			if ovp {
				dec = 3
			}
			c.ReplyFixed(dp800ProtLevel(d.Outputs[ch], ovp), dec)
			return nil
		})
		cmds.Handle("OUTPut:"+name+"[:STATe]", func(d *dp800, c *sim.Call) error {
			ch, on, err := d.onOff(c)
			if err == nil {
				dp800SetProtState(d.Outputs[ch], ovp, on)
			}
			return err
		})
		cmds.Handle("OUTPut:"+name+"[:STATe]?", func(d *dp800, c *sim.Call) error {
			ch, _, err := d.channel(c, 0)
			if err == nil {
				replyOnOff(c, dp800ProtState(d.Outputs[ch], ovp))
			}
			return err
		})
		tripped := func(d *dp800, c *sim.Call) error {
			ch, _, err := d.channel(c, 0)
			if err == nil {
				replyYesNo(c, dp800ProtTripped(d.Outputs[ch], ovp))
			}
			return err
		}
		cmds.Handle("OUTPut:"+name+":QUEStion?", tripped)
		cmds.Handle("OUTPut:"+name+":ALAR?", tripped)
		cmds.Handle("OUTPut:"+name+":CLEAR", func(d *dp800, c *sim.Call) error {
			ch, _, err := d.channel(c, 0)
			if err == nil {
				d.Outputs[ch].ClearProtection()
			}
			return err
		})
	}
}

func dp800SystemCommands(cmds *dpTable) {
	cmds.SystemCommands("1999.0")
	cmds.Handle("SYSTem:BEEPer[:IMMediate]", func(d *dp800, c *sim.Call) error {
		if d.beeper {
			d.beeps++
		}
		return nil
	})
	onOffSetting := func(pattern string, field func(*dp800) *bool) { cmds.HandleBool(pattern, field, replyOnOff) }
	onOffSetting("SYSTem:BEEPer:STATe", func(d *dp800) *bool { return &d.beeper })
	onOffSetting("SYSTem:OTP", func(d *dp800) *bool { return &d.otp })
	onOffSetting("DISPlay[:WINDow][:STATe]", func(d *dp800) *bool { return &d.display })
	for k, p := range []string{"SYSTem:LOCal", "SYSTem:REMote", "SYSTem:RWLock"} {
		cmds.Handle(p, func(d *dp800, c *sim.Call) error { d.remote = k; return nil })
	}
	cmds.Handle("DISPlay[:WINDow]:TEXT[:DATA]", func(d *dp800, c *sim.Call) error {
		if err := c.Params(1, 3); err != nil {
			return err
		}
		s, err := c.String(0)
		if err != nil {
			return err
		}
		for i := 1; i < c.NumParams(); i++ { // the position on the screen
			if _, err := c.Int(i, sim.Number{Min: 0, Max: 1000}); err != nil {
				return err
			}
		}
		d.displayText = s
		return nil
	})
	cmds.Handle("DISPlay[:WINDow]:TEXT[:DATA]?", func(d *dp800, c *sim.Call) error {
		c.ReplyString(d.displayText)
		return nil
	})
	cmds.Handle("DISPlay[:WINDow]:TEXT:CLEar", func(d *dp800, c *sim.Call) error {
		d.displayText = ""
		return nil
	})
	// *OPT? answers 0 when no option is installed, as Rigol's guides
	// describe *OPT? (the simulated units have none).
	cmds.Handle("*OPT?", func(_ *dp800, c *sim.Call) error { c.Reply("0"); return nil })
	cmds.Handle("*PSC", func(d *dp800, c *sim.Call) error {
		on, err := c.Bool(0)
		if err == nil {
			d.psc = on
		}
		return err
	})
	cmds.Handle("*PSC?", func(d *dp800, c *sim.Call) error { c.ReplyBool(d.psc); return nil })
	location := sim.Number{Min: 1, Max: 10}
	cmds.Handle("*SAV", func(d *dp800, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err != nil {
			return err
		}
		if d.locked[0][n-1] { // :MEMory:LOCK RSF,<n>
			return sim.ErrExecution.WithInfo("RSF location " + strconv.Itoa(n) + " is locked")
		}
		d.saved[n-1] = d.save()
		return nil
	})
	cmds.Handle("*RCL", func(d *dp800, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err != nil {
			return err
		}
		if d.saved[n-1] == nil {
			return sim.ErrExecution.WithInfo("location " + strconv.Itoa(n) + " is empty")
		}
		d.recall(d.saved[n-1])
		return nil
	})
}

func dp800StatusCommands(cmds *dpTable, multi bool) {
	// register registers the CONDition?, ENABle and [:EVENt]? of one
	// status register. Events latch the condition seen when the register
	// is read, and reading the event register clears it.
	register := func(prefix string, cond func(*dp800, *sim.Call) (int, error), reg func(*dp800, *sim.Call) *dp800Status) {
		cmds.Handle(prefix+":CONDition?", func(d *dp800, c *sim.Call) error {
			v, err := cond(d, c)
			if err == nil {
				reg(d, c).event |= v
				c.ReplyInt(int64(v))
			}
			return err
		})
		cmds.Handle(prefix+":ENABle", func(d *dp800, c *sim.Call) error {
			if _, err := cond(d, c); err != nil { // checks the suffix
				return err
			}
			v, err := c.Int(0, sim.Number{Min: 0, Max: 65535})
			if err == nil {
				reg(d, c).enable = v
			}
			return err
		})
		cmds.Handle(prefix+":ENABle?", func(d *dp800, c *sim.Call) error {
			if _, err := cond(d, c); err != nil {
				return err
			}
			c.ReplyInt(int64(reg(d, c).enable))
			return nil
		})
		cmds.Handle(prefix+"[:EVENt]?", func(d *dp800, c *sim.Call) error {
			v, err := cond(d, c)
			if err != nil {
				return err
			}
			r := reg(d, c)
			c.ReplyInt(int64(r.event | v))
			r.event = 0
			return nil
		})
	}
	isum := func(d *dp800, c *sim.Call) (int, error) {
		n, err := c.SuffixIn("ISUM", 1, len(d.Outputs))
		return n - 1, err
	}
	zero := func(*dp800, *sim.Call) (int, error) { return 0, nil }
	register("STATus:QUEStionable", func(d *dp800, _ *sim.Call) (int, error) { return d.quesCondition(), nil },
		func(d *dp800, _ *sim.Call) *dp800Status { return &d.ques })
	register("STATus:OPERation", zero, func(d *dp800, _ *sim.Call) *dp800Status { return &d.oper })
	cmds.Handle("STATus:PRESet", func(d *dp800, c *sim.Call) error {
		d.ques, d.oper, d.quesInst, d.operInst = dp800Status{}, dp800Status{}, dp800Status{}, dp800Status{}
		d.isum, d.operIsum = [3]dp800Status{}, [3]dp800Status{}
		return nil
	})
	if !multi {
		return
	}
	register("STATus:QUEStionable:INSTrument", func(d *dp800, _ *sim.Call) (int, error) { return d.quesInstCondition(), nil },
		func(d *dp800, _ *sim.Call) *dp800Status { return &d.quesInst })
	register("STATus:QUEStionable:INSTrument:ISUMmary#", func(d *dp800, c *sim.Call) (int, error) {
		n, err := isum(d, c)
		if err != nil {
			return 0, err
		}
		return d.isumCondition(n), nil
	}, func(d *dp800, c *sim.Call) *dp800Status { n, _ := isum(d, c); return &d.isum[n] })
	register("STATus:OPERation:INSTrument", zero, func(d *dp800, _ *sim.Call) *dp800Status { return &d.operInst })
	register("STATus:OPERation:INSTrument:ISUMmary#", func(d *dp800, c *sim.Call) (int, error) {
		_, err := isum(d, c)
		return 0, err
	}, func(d *dp800, c *sim.Call) *dp800Status { n, _ := isum(d, c); return &d.operIsum[n] })
}

func init() {
	for _, m := range dp800Models {
		sim.MustRegister(m, "Rigol "+m+" programmable DC power supply", dp800Commands(m), newDP800(m))
	}
	sim.RegisterGuide(dp800Guide())
}
