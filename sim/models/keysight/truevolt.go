package keysight

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// Keysight Truevolt DMMs (34460A, 34461A, 34465A, 34470A), after their
// Operating and Service Guide's SCPI reference: CONFigure or [SENSe:]
// settings per function, then READ? or INITiate and FETCh?; TRIGger and
// SAMPle counts; R? and DATA:REMove? read and erase the reading memory,
// ASCII or (34465A/70A) REAL,64. Numbers answer as Keysight does: NR3
// with nine significant digits ("+1.00000000E+01"), counts as signed
// integers ("+1"). On a bench it measures the supply output it is wired
// to. The command index is truevoltGuide (truevolt_guide.go).
type truevolt struct {
	model string
	probe *sim.Output
	truevoltSettings

	memory  []float64
	armed   int // triggers still awaited (TRIG:SOUR BUS)
	real64  bool
	swapped bool

	beeper      bool
	remote      int // 0 local, 1 remote, 2 remote with the front panel locked
	psc         bool
	stats       truevoltStats
	math        truevoltMath
	display     bool
	displayText string
	view        int // DISPlay:VIEW
	hcopyBMP    bool
	saved       [5]*truevolt // *SAV locations 0 to 4

	// Status registers (truevolt_status.go); *RST leaves them alone.
	ques, oper truevoltRegister
	quesCond   int // lower/upper limit failed, memory overflow
	operPrev   int // the operation condition last seen, for its events
	lastConf   truevoltSettings
	// Kept through *RST and SYSTem:PRESet, as the guide says.
	clock       time.Duration    // SYSTem:DATE/TIME: the set clock minus the host's
	timeoutAuto bool             // [SENSe:]{FREQuency|PERiod}:TIMeout:AUTO
	now         func() time.Time // the host clock; tests fix it
}

// truevoltSettings are the measurement settings: what the operation
// register's "configuration change" bit compares with those of the last
// INITiate, READ? or MEASure?.
type truevoltSettings struct {
	function int // index into truevoltFunctions
	fn       [len(truevoltFunctions)]truevoltSense

	sampleCount  int
	pretrigger   int     // SAMPle:COUNt:PRETrigger (34465A/70A)
	trigLevel    float64 // TRIGger:LEVel (34465A/70A)
	sampleSource int     // 0 IMMediate, 1 TIMer
	sampleTimer  float64
	trigCount    float64 // math.Inf(1): INFinity
	trigSource   int     // truevoltTrigSources
	trigDelay    float64
	trigAutoDel  bool
	trigSlope    int // 0 POSitive, 1 NEGative
	outSlope     int // OUTPut:TRIGger:SLOPe, 0 POSitive, 1 NEGative
	threshold    int // DATA:POINts:EVENt:THReshold

	tempUnit  int     // UNIT:TEMPerature: 0 C, 1 F, 2 K
	rtdRef    float64 // TEMPerature:TRANsducer:{FRTD|RTD}:RESistance
	freqAper  float64 // {FREQuency|PERiod}:APERture, shared
	freqLower float64 // {FREQuency|PERiod}:RANGe:LOWer, shared
	limitOn   bool
	lower     float64
	upper     float64
}

// truevoltStats are the CALCulate:AVERage statistics of the readings
// taken while they are on.
type truevoltStats struct {
	on                 bool
	n                  int
	sum, sumSq, lo, hi float64
}

func (s *truevoltStats) add(x float64) {
	if !s.on || math.IsInf(x, 0) {
		return // an overload does not count
	}
	if s.n == 0 {
		s.lo, s.hi = x, x
	}
	s.n++
	s.sum += x
	s.sumSq += x * x
	s.lo, s.hi = min(s.lo, x), max(s.hi, x)
}

func (s *truevoltStats) mean() float64 {
	if s.n == 0 {
		return 0
	}
	return s.sum / float64(s.n)
}

// sdev is the sample standard deviation.
func (s *truevoltStats) sdev() float64 {
	if s.n < 2 {
		return 0
	}
	m := s.mean()
	return math.Sqrt(max(s.sumSq-float64(s.n)*m*m, 0) / float64(s.n-1))
}

// truevoltSense is one function's [SENSe:] settings.
type truevoltSense struct {
	rng      float64
	auto     bool
	res      float64 // resolution, in the function's unit
	nplc     float64
	aperture float64
	aperOn   bool
	zero     bool // ZERO:AUTO
	null     bool
	nullVal  float64
	nullAuto bool
	impAuto  bool    // DC volts: 10 GΩ input on the low ranges
	terms    int     // current: 3 or 10 A terminals
	band     float64 // AC: the lowest frequency, 3, 20 or 200 Hz
	ocomp    bool    // offset compensation (resistance)
	trans    int     // temperature transducer
}

// truevoltFunctions are the measurement functions, as CONF? and FUNC?
// name them, with their [SENSe:] node and ranges (the guide's
// CONFigure table).
var truevoltFunctions = [...]struct {
	name, sense string // "VOLT:AC", "VOLTage:AC"
	conf        string // CONFigure and MEASure node
	ranges      []float64
	unit        string
	integrates  bool // NPLC, ZERO:AUTO, RESolution
}{
	{"VOLT", "VOLTage[:DC]", "VOLTage[:DC]", []float64{0.1, 1, 10, 100, 1000}, "V", true},
	{"VOLT:AC", "VOLTage:AC", "VOLTage:AC", []float64{0.1, 1, 10, 100, 750}, "V", false},
	{"CURR", "CURRent[:DC]", "CURRent[:DC]", []float64{1e-4, 1e-3, 1e-2, 0.1, 1, 3, 10}, "A", true},
	{"CURR:AC", "CURRent:AC", "CURRent:AC", []float64{1e-4, 1e-3, 1e-2, 0.1, 1, 3, 10}, "A", false},
	{"RES", "RESistance", "RESistance", []float64{100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}, "OHM", true},
	{"FRES", "FRESistance", "FRESistance", []float64{100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}, "OHM", true},
	{"FREQ", "FREQuency", "FREQuency", []float64{0.1, 1, 10, 100, 750}, "HZ", false},
	{"PER", "PERiod", "PERiod", []float64{0.1, 1, 10, 100, 750}, "S", false},
	{"CAP", "CAPacitance", "CAPacitance", []float64{1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4}, "F", false},
	{"CONT", "", "CONTinuity", []float64{1e3}, "OHM", false},
	{"DIOD", "", "DIODe", []float64{10}, "V", false},
	{"TEMP", "TEMPerature", "TEMPerature", []float64{1000}, "", true},
}

const (
	fnVolt = iota
	fnVoltAC
	fnCurr
	fnCurrAC
	fnRes
	fnFRes
	fnFreq
	fnPer
	fnCap
	fnCont
	fnDiod
	fnTemp
)

var truevoltModels = []string{"34460A", "34461A", "34465A", "34470A"}

// truevoltTrigSources: the 34465A and 34470A also trigger on the input
// level (INTernal).
var truevoltTrigSources = []string{"IMMediate", "BUS", "EXTernal", "INTernal"}

func newTruevolt(model string) func() *truevolt {
	return func() *truevolt {
		d := &truevolt{model: model, beeper: true, psc: true}
		d.Reset()
		d.lastConf = d.truevoltSettings
		return d
	}
}

func (d *truevolt) Identity() string {
	return "Keysight Technologies," + d.model + ",MY54500001,A.02.14-02.40-02.14-00.49-02-01"
}

// highEnd reports a 34465A or 34470A, which add binary transfer,
// aperture, level triggering and a larger memory.
func (d *truevolt) highEnd() bool { return d.model == "34465A" || d.model == "34470A" }

// memorySize is the reading memory: 1,000 readings on the 34460A, 10,000
// on the 34461A, 50,000 on the 34465A and 34470A (without option MEM).
func (d *truevolt) memorySize() int {
	switch d.model {
	case "34460A":
		return 1000
	case "34461A":
		return 10000
	}
	return 50000
}

// nplcs are the integration times the model offers.
func (d *truevolt) nplcs() []float64 {
	if d.highEnd() {
		return []float64{0.02, 0.06, 0.2, 1, 10, 100}
	}
	return []float64{0.02, 0.2, 1, 10, 100}
}

// ranges are a function's ranges on this model: the 34460A has no 10 A
// terminals.
func (d *truevolt) ranges(fn int) []float64 {
	r := truevoltFunctions[fn].ranges
	if (fn == fnCurr || fn == fnCurrAC) && d.model == "34460A" {
		return r[:len(r)-1]
	}
	return r
}

func (d *truevolt) Reset() {
	for k := range d.fn {
		r := truevoltFunctions[k].ranges
		rng := r[len(r)/2]
		if k == fnVolt {
			rng = 10
		}
		d.fn[k] = truevoltSense{rng: rng, auto: true, res: 3e-7 * rng, nplc: 10, aperture: 0.1,
			zero: true, terms: 3, band: 20, trans: 0}
	}
	d.function = fnVolt
	d.sampleCount, d.sampleSource, d.sampleTimer, d.pretrigger, d.trigLevel = 1, 0, 1, 0, 0
	d.trigCount, d.trigSource, d.trigDelay, d.trigAutoDel, d.trigSlope = 1, 0, 0, true, 1
	d.memory, d.armed, d.real64, d.swapped = d.memory[:0], 0, false, false
	d.display, d.displayText, d.view, d.hcopyBMP = true, "", 0, false
	d.stats, d.limitOn, d.lower, d.upper, d.quesCond = truevoltStats{}, false, 0, 0, 0
	d.tempUnit, d.rtdRef, d.freqAper, d.freqLower = 0, 100, 0.1, 20
	d.outSlope, d.threshold = 1, 1
	d.math.reset()
}

// ProbeOutput wires the DMM to a supply output.
func (d *truevolt) ProbeOutput(o *sim.Output) { d.probe = o }

// SelfTest passes.
func (d *truevolt) SelfTest() int { return 0 }

// reading measures once: +9.9E37 on overload (beyond 120% of the range)
// and on an open input where the function needs one.
func (d *truevolt) reading() float64 {
	s := &d.fn[d.function]
	x := math.Inf(1)
	resistance := func() float64 {
		if d.probe == nil {
			return math.Inf(1)
		}
		_, _, mode := d.probe.Measure(time.Now())
		if r, ok := d.probe.Load().(sim.Resistor); ok && mode == sim.ModeOff {
			return float64(r) // ohmmeters measure unpowered circuits
		}
		return math.Inf(1)
	}
	switch d.function {
	case fnVolt, fnCurr:
		x = 0
		if d.probe != nil {
			v, i, _ := d.probe.Measure(time.Now())
			x = v
			if d.function == fnCurr {
				x = i
			}
		}
	case fnVoltAC, fnCurrAC, fnFreq, fnPer, fnCap:
		x = 0 // a DC supply has (ideally) no AC component and no capacitance the model knows
	case fnRes, fnFRes, fnCont:
		x = resistance()
	case fnDiod:
		if r := resistance(); !math.IsInf(r, 1) {
			x = min(r*1e-3, 9.9) // 1 mA test current
		}
	case fnTemp:
		x = math.Inf(1) // no transducer wired
	}
	if s.null && !math.IsInf(x, 0) {
		// NULL:VALue:AUTO: the first reading becomes the null value,
		// and automatic selection ends, as the guide says.
		if s.nullAuto {
			s.nullVal, s.nullAuto = x, false
		}
		x -= s.nullVal
	}
	limit := d.ranges(d.function)
	top := s.rng * 1.2
	if s.auto {
		top = limit[len(limit)-1] * 1.2
	}
	if d.function == fnCont || d.function == fnTemp {
		top = math.Inf(1)
	}
	if math.Abs(x) > top {
		return math.Inf(1)
	}
	return x
}

// measure takes n readings into the memory through the math, dropping
// the oldest when it is full, as the Truevolt does (and reports in the
// questionable register's memory overflow bit).
func (d *truevolt) measure(n int) {
	for range n {
		if len(d.memory) >= d.memorySize() {
			d.memory = d.memory[1:]
			d.quesCond |= quesMemoryOverflow
			d.ques.event |= quesMemoryOverflow
		}
		d.memory = append(d.memory, d.process(d.reading()))
	}
	d.noteOperation()
}

// start begins a measurement as INITiate, READ? and MEASure? do: the
// memory empties, the histogram and the smoothing filter restart, an
// automatic scaling reference is taken anew, and the configuration
// becomes the one the next change is measured from.
func (d *truevolt) start() {
	d.memory = d.memory[:0]
	d.quesCond &^= quesMemoryOverflow
	d.math.hist.clear()
	d.math.resetSmoothing()
	d.math.refPending = d.math.refAuto
	d.lastConf = d.truevoltSettings
	d.operPrev &^= operConfigChange // the condition is clear again: the next change rises
}

// setFunction selects a measurement function; a change turns scaling
// off, restores the dBm reference and clears the histogram and the
// smoothing filter, as the guide says.
func (d *truevolt) setFunction(fn int) {
	if fn == d.function {
		return
	}
	d.function = fn
	d.math.scaleOn, d.math.dbmRef = false, 600
	d.math.hist.clear()
	d.math.resetSmoothing()
}

// triggers is the trigger count as a number of triggers to run at once:
// INFinity runs until the memory is full.
func (d *truevolt) triggers() int {
	if math.IsInf(d.trigCount, 1) {
		return max(d.memorySize()/d.sampleCount, 1)
	}
	return int(d.trigCount)
}

// maxRun bounds the readings one INITiate or READ? takes at once: the
// largest reading memory of the family (34465A/70A with option MEM).
// SAMPle:COUNt and TRIGger:COUNt each go to 1,000,000, and a million
// million readings would hold the instrument's lock for hours.
const maxRun = 2_000_000

// runLength is how many readings an immediate INITiate or READ? takes.
func (d *truevolt) runLength() int { return min(d.sampleCount*d.triggers(), maxRun) }

func (d *truevolt) Trigger() error {
	if d.trigSource != 1 || d.armed == 0 {
		return sim.ErrTriggerIgnored
	}
	d.measure(d.sampleCount)
	d.armed--
	return nil
}

// replyReading formats a reading as the Truevolt sends it.
// An overload answers +9.90000000E+37, in the readings' own format.
func replyReading(c *sim.Call, x float64) { c.ReplyNR3(finite(x), 8) }

// finite maps ±Inf to ±9.9E37 and NaN to 9.91E37, SCPI's stand-ins, so
// that they format like any reading.
func finite(x float64) float64 {
	switch {
	case math.IsNaN(x):
		return 9.91e37
	case math.IsInf(x, 1):
		return 9.9e37
	case math.IsInf(x, -1):
		return -9.9e37
	}
	return x
}

// replySigned answers an integer with its sign, as Keysight does ("+1").
func replySigned(c *sim.Call, n int) {
	if n >= 0 {
		c.Reply("+" + strconv.Itoa(n))
		return
	}
	c.Reply(strconv.Itoa(n))
}

func truevoltCommands(model string) *sim.Commands[*truevolt] {
	cmds := sim.NewCommands[*truevolt]()
	high := model == "34465A" || model == "34470A"
	truevoltConfigureCommands(cmds)
	truevoltSenseCommands(cmds, model, high)
	truevoltTriggerCommands(cmds, high)
	truevoltSystemCommands(cmds, high)
	truevoltMathCommands(cmds, high)
	truevoltStatusCommands(cmds, model)
	return cmds
}

// configure sets fn with an optional range (a value, AUTO, MIN, MAX,
// DEF) and resolution, as CONFigure and MEASure do, and resets the
// trigger and sample counts to 1.
func (d *truevolt) configure(c *sim.Call, fn int) error {
	if err := c.Params(0, 2); err != nil {
		return err
	}
	s := d.fn[fn]
	ranges := d.ranges(fn)
	s.auto, s.rng = true, ranges[min(len(ranges)/2, len(ranges)-1)]
	if fn == fnVolt {
		s.rng = 10
	}
	if c.NumParams() > 0 && !(c.Is(0, "AUTO")) {
		r, err := c.Number(0, sim.Number{Unit: truevoltFunctions[fn].unit, Min: 0, Max: ranges[len(ranges)-1] * 1.2, Default: s.rng})
		if err != nil {
			return err
		}
		s.rng, s.auto = rangeFor(ranges, r), false
	}
	if c.NumParams() == 2 {
		res, err := c.Number(1, sim.Number{Unit: truevoltFunctions[fn].unit, Min: 0, Max: s.rng, Default: 3e-7 * s.rng})
		if err != nil {
			return err
		}
		s.res = res
	} else {
		s.res = 3e-7 * s.rng
	}
	d.fn[fn] = s
	d.setFunction(fn)
	d.sampleCount, d.trigCount, d.trigSource, d.trigDelay, d.trigAutoDel = 1, 1, 0, 0, true
	return nil
}

// rangeFor is the smallest range that holds r, or the largest.
func rangeFor(ranges []float64, r float64) float64 {
	for _, rr := range ranges {
		if r <= rr*1.0000001 {
			return rr
		}
	}
	return ranges[len(ranges)-1]
}

func truevoltConfigureCommands(cmds *sim.Commands[*truevolt]) {
	for fn, f := range truevoltFunctions {
		cmds.Handle("CONFigure:"+f.conf, func(d *truevolt, c *sim.Call) error { return d.configure(c, fn) })
		cmds.Handle("MEASure:"+f.conf+"?", func(d *truevolt, c *sim.Call) error {
			if err := d.configure(c, fn); err != nil {
				return err
			}
			d.start()
			d.measure(1)
			replyReading(c, d.memory[0])
			d.memory = d.memory[:0]
			return nil
		})
	}
	cmds.Handle("CONFigure?", func(d *truevolt, c *sim.Call) error {
		s := d.fn[d.function]
		name := truevoltFunctions[d.function].name
		switch d.function {
		case fnCont, fnDiod:
			c.Reply(`"` + name + `"`)
			return nil
		}
		c.Reply(`"` + name + " " + string(sim.AppendFloat([]byte{'+'}, s.rng, 'E', 6)) + "," +
			string(sim.AppendFloat([]byte{'+'}, s.res, 'E', 6)) + `"`)
		return nil
	})
	cmds.Handle("[SENSe:]FUNCtion[:ON]", func(d *truevolt, c *sim.Call) error {
		name, err := c.String(0)
		if err != nil {
			return err
		}
		name = strings.ToUpper(strings.TrimSpace(name))
		for fn, f := range truevoltFunctions {
			for _, alias := range []string{f.name, strings.ReplaceAll(strings.ToUpper(f.conf), "[:DC]", ""), shortConf(f.conf), f.name + ":DC"} {
				if name == alias {
					d.setFunction(fn)
					return nil
				}
			}
		}
		return sim.ErrIllegalParameterValue
	})
	cmds.Handle("[SENSe:]FUNCtion[:ON]?", func(d *truevolt, c *sim.Call) error {
		c.ReplyString(truevoltFunctions[d.function].name)
		return nil
	})
}

// shortConf is the short form of a node path: "VOLTage:AC" gives "VOLT:AC".
func shortConf(p string) string {
	p = strings.ReplaceAll(p, "[:DC]", "")
	parts := strings.Split(p, ":")
	for i, w := range parts {
		parts[i] = sim.ShortForm(w)
	}
	return strings.Join(parts, ":")
}

func truevoltSenseCommands(cmds *sim.Commands[*truevolt], model string, high bool) {
	for fn, f := range truevoltFunctions {
		if f.sense == "" {
			continue
		}
		base := "[SENSe:]" + f.sense
		get := func(d *truevolt) *truevoltSense { return &d.fn[fn] }
		nr3 := func(c *sim.Call, v float64) { c.ReplyNR3(v, 8) }
		boolSetting := func(pattern string, field func(*truevoltSense) *bool) {
			cmds.Bool(base+pattern, func(d *truevolt, _ *sim.Call) (bool, error) { return *field(get(d)), nil },
				func(d *truevolt, _ *sim.Call, on bool) error { *field(get(d)) = on; return nil })
		}
		// Frequency and period take the range of the AC voltage they are
		// measured on.
		rangeNode := ":RANGe"
		if fn == fnFreq || fn == fnPer {
			rangeNode = ":VOLTage:RANGe"
		}
		if fn != fnTemp {
			cmds.Number(base+rangeNode, func(d *truevolt, _ *sim.Call) (sim.Number, error) {
				r := d.ranges(fn)
				return sim.Number{Unit: f.unit, Min: 0, Max: r[len(r)-1] * 1.2, Default: r[len(r)/2]}, nil
			},
				func(d *truevolt, _ *sim.Call) float64 { return get(d).rng },
				func(d *truevolt, _ *sim.Call, v float64) error {
					s := get(d)
					s.rng, s.auto = rangeFor(d.ranges(fn), v), false
					return nil
				}, nr3)
			// RANGe:AUTO takes ONCE too: one autorange, then fixed.
			cmds.Handle(base+rangeNode+":AUTO", func(d *truevolt, c *sim.Call) error {
				s := get(d)
				if c.Is(0, "ONCE") {
					s.auto = false
					return nil
				}
				on, err := c.Bool(0)
				if err == nil {
					s.auto = on
				}
				return err
			})
			cmds.Handle(base+rangeNode+":AUTO?", func(d *truevolt, c *sim.Call) error { c.ReplyBool(get(d).auto); return nil })
		}
		cmds.Handle(base+":NULL[:STATe]", func(d *truevolt, c *sim.Call) error {
			on, err := c.Bool(0)
			if err == nil {
				get(d).null = on
			}
			return err
		})
		cmds.Handle(base+":NULL[:STATe]?", func(d *truevolt, c *sim.Call) error { c.ReplyBool(get(d).null); return nil })
		cmds.Number(base+":NULL:VALue", func(d *truevolt, _ *sim.Call) (sim.Number, error) {
			r := d.ranges(fn)
			top := r[len(r)-1] * 1.2
			return sim.Number{Unit: f.unit, Min: -top, Max: top, Default: 0}, nil
		},
			func(d *truevolt, _ *sim.Call) float64 { return get(d).nullVal },
			func(d *truevolt, _ *sim.Call, v float64) error {
				s := get(d)
				s.nullVal, s.nullAuto = v, false
				return nil
			}, nr3)
		boolSetting(":NULL:VALue:AUTO", func(s *truevoltSense) *bool { return &s.nullAuto })
		if f.integrates {
			cmds.Number(base+":NPLC", func(d *truevolt, _ *sim.Call) (sim.Number, error) {
				n := d.nplcs()
				return sim.Number{Min: n[0], Max: n[len(n)-1], Default: 10}, nil
			},
				func(d *truevolt, _ *sim.Call) float64 { return get(d).nplc },
				func(d *truevolt, _ *sim.Call, v float64) error {
					// The next larger integration time the model has.
					for _, n := range d.nplcs() {
						if v <= n*1.0000001 {
							get(d).nplc = n
							return nil
						}
					}
					return sim.ErrDataOutOfRange
				}, nr3)
			boolSetting(":ZERO:AUTO", func(s *truevoltSense) *bool { return &s.zero })
			if fn != fnTemp {
				cmds.Number(base+":RESolution", func(d *truevolt, _ *sim.Call) (sim.Number, error) {
					s := get(d)
					return sim.Number{Unit: f.unit, Min: 3e-8 * s.rng, Max: 1e-4 * s.rng, Default: 3e-7 * s.rng}, nil
				},
					func(d *truevolt, _ *sim.Call) float64 { return get(d).res },
					func(d *truevolt, _ *sim.Call, v float64) error { get(d).res = v; return nil }, nr3)
			}
			if high {
				cmds.Number(base+":APERture", func(*truevolt, *sim.Call) (sim.Number, error) {
					return sim.Number{Unit: "S", Min: 200e-6, Max: 1, Default: 0.1}, nil
				},
					func(d *truevolt, _ *sim.Call) float64 { return get(d).aperture },
					func(d *truevolt, _ *sim.Call, v float64) error {
						s := get(d)
						s.aperture, s.aperOn = v, true
						return nil
					}, nr3)
				boolSetting(":APERture:ENABled", func(s *truevoltSense) *bool { return &s.aperOn })
			}
		}
		switch fn {
		case fnVolt:
			boolSetting(":IMPedance:AUTO", func(s *truevoltSense) *bool { return &s.impAuto })
		case fnCurr, fnCurrAC:
			if model != "34460A" {
				cmds.Number(base+":TERMinals", func(*truevolt, *sim.Call) (sim.Number, error) {
					return sim.Number{Min: 3, Max: 10, Default: 3}, nil
				},
					func(d *truevolt, _ *sim.Call) float64 { return float64(get(d).terms) },
					func(d *truevolt, _ *sim.Call, v float64) error {
						if v != 3 && v != 10 {
							return sim.ErrIllegalParameterValue
						}
						get(d).terms = int(v)
						return nil
					}, func(c *sim.Call, v float64) { replySigned(c, int(v)) })
			}
		case fnRes, fnFRes:
			boolSetting(":OCOMpensated", func(s *truevoltSense) *bool { return &s.ocomp })
		case fnTemp:
			cmds.Choice(base+":TRANsducer:TYPE", []string{"FRTD", "RTD", "FTHermistor", "THERmistor"},
				func(d *truevolt, _ *sim.Call) int { return get(d).trans },
				func(d *truevolt, _ *sim.Call, k int) error { get(d).trans = k; return nil })
			// R0 of the RTD, one value for 2- and 4-wire.
			for _, t := range []string{"FRTD", "RTD"} {
				cmds.Number(base+":TRANsducer:"+t+":RESistance[:REFerence]", func(*truevolt, *sim.Call) (sim.Number, error) {
					return sim.Number{Unit: "OHM", Min: 49, Max: 2.1e3, Default: 100}, nil
				},
					func(d *truevolt, _ *sim.Call) float64 { return d.rtdRef },
					func(d *truevolt, _ *sim.Call, v float64) error { d.rtdRef = v; return nil }, nr3)
			}
			// The Truevolt takes 5 kΩ thermistors only.
			for _, t := range []string{"FTHermistor", "THERmistor"} {
				cmds.Number(base+":TRANsducer:"+t+":TYPE", func(*truevolt, *sim.Call) (sim.Number, error) {
					return sim.Number{Min: 5000, Max: 5000, Default: 5000}, nil
				},
					func(*truevolt, *sim.Call) float64 { return 5000 },
					func(*truevolt, *sim.Call, float64) error { return nil },
					func(c *sim.Call, v float64) { replySigned(c, int(v)) })
			}
		case fnFreq, fnPer:
			// The gate time, shared by frequency and period: 10 ms,
			// 100 ms or 1 s, and 1 ms on the 34465A and 34470A; a value
			// rounds up to the next.
			apertures := []float64{0.01, 0.1, 1}
			if high {
				apertures = []float64{0.001, 0.01, 0.1, 1}
			}
			cmds.Number(base+":APERture", func(*truevolt, *sim.Call) (sim.Number, error) {
				return sim.Number{Unit: "S", Min: apertures[0], Max: 1, Default: 0.1}, nil
			},
				func(d *truevolt, _ *sim.Call) float64 { return d.freqAper },
				func(d *truevolt, _ *sim.Call, v float64) error {
					for _, a := range apertures {
						if v <= a*1.0000001 {
							d.freqAper = a
							break
						}
					}
					return nil
				}, nr3)
			// The lowest frequency expected: the 3, 20 or 200 Hz filter.
			cmds.Number(base+":RANGe:LOWer", func(*truevolt, *sim.Call) (sim.Number, error) {
				return sim.Number{Unit: "HZ", Min: 3, Max: 200, Default: 20}, nil
			},
				func(d *truevolt, _ *sim.Call) float64 { return d.freqLower },
				func(d *truevolt, _ *sim.Call, v float64) error {
					d.freqLower = 200
					if v < 20 {
						d.freqLower = 3
					} else if v < 200 {
						d.freqLower = 20
					}
					return nil
				}, nr3)
			cmds.Bool(base+":TIMeout:AUTO", func(d *truevolt, _ *sim.Call) (bool, error) { return d.timeoutAuto, nil },
				func(d *truevolt, _ *sim.Call, on bool) error { d.timeoutAuto = on; return nil })
		}
		if fn == fnVoltAC || fn == fnCurrAC {
			cmds.Number(base+":BANDwidth", func(*truevolt, *sim.Call) (sim.Number, error) {
				return sim.Number{Unit: "HZ", Min: 3, Max: 200, Default: 20}, nil
			},
				func(d *truevolt, _ *sim.Call) float64 { return get(d).band },
				func(d *truevolt, _ *sim.Call, v float64) error {
					// The filter for the lowest frequency asked: 3, 20 or 200 Hz.
					b := 200.0
					if v < 20 {
						b = 3
					} else if v < 200 {
						b = 20
					}
					get(d).band = b
					return nil
				}, nr3)
		}
	}
}

func truevoltTriggerCommands(cmds *sim.Commands[*truevolt], high bool) {
	sources := truevoltTrigSources[:3]
	if high {
		sources = truevoltTrigSources
	}
	cmds.Choice("TRIGger:SOURce", sources,
		func(d *truevolt, _ *sim.Call) int { return d.trigSource },
		func(d *truevolt, _ *sim.Call, k int) error { d.trigSource = k; return nil })
	cmds.Handle("TRIGger:COUNt", func(d *truevolt, c *sim.Call) error {
		if c.Is(0, "INFinity") {
			d.trigCount = math.Inf(1)
			return nil
		}
		n, err := c.Int(0, sim.Number{Min: 1, Max: 1e6, Default: 1})
		if err == nil {
			d.trigCount = float64(n)
		}
		return err
	})
	cmds.Handle("TRIGger:COUNt?", func(d *truevolt, c *sim.Call) error {
		if math.IsInf(d.trigCount, 1) {
			c.ReplyNR3(9.9e37, 8)
			return nil
		}
		replySigned(c, int(d.trigCount))
		return nil
	})
	cmds.Number("TRIGger:DELay", func(*truevolt, *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "S", Min: 0, Max: 3600, Default: 0}, nil
	},
		func(d *truevolt, _ *sim.Call) float64 { return d.trigDelay },
		func(d *truevolt, _ *sim.Call, v float64) error { d.trigDelay, d.trigAutoDel = v, false; return nil },
		func(c *sim.Call, v float64) { c.ReplyNR3(v, 8) })
	cmds.Bool("TRIGger:DELay:AUTO", func(d *truevolt, _ *sim.Call) (bool, error) { return d.trigAutoDel, nil },
		func(d *truevolt, _ *sim.Call, on bool) error { d.trigAutoDel = on; return nil })
	cmds.Choice("TRIGger:SLOPe", []string{"POSitive", "NEGative"},
		func(d *truevolt, _ *sim.Call) int { return d.trigSlope },
		func(d *truevolt, _ *sim.Call, k int) error { d.trigSlope = k; return nil })
	cmds.Handle("SAMPle:COUNt", func(d *truevolt, c *sim.Call) error {
		n, err := c.Int(0, sim.Number{Min: 1, Max: 1e6, Default: 1})
		if err == nil {
			d.sampleCount = n
		}
		return err
	})
	cmds.Handle("SAMPle:COUNt?", func(d *truevolt, c *sim.Call) error {
		if c.NumParams() > 0 {
			v, err := c.Int(0, sim.Number{Min: 1, Max: 1e6, Default: 1})
			if err == nil {
				replySigned(c, v)
			}
			return err
		}
		replySigned(c, d.sampleCount)
		return nil
	})
	if high {
		// Kept and read back: the readings before a level trigger need
		// a signal to trigger on, which no simulated input gets.
		cmds.Handle("SAMPle:COUNt:PRETrigger", func(d *truevolt, c *sim.Call) error {
			n, err := c.Int(0, sim.Number{Min: 0, Max: 2e6 - 1, Default: 0})
			if err == nil {
				d.pretrigger = n
			}
			return err
		})
		cmds.Handle("SAMPle:COUNt:PRETrigger?", func(d *truevolt, c *sim.Call) error { replySigned(c, d.pretrigger); return nil })
		cmds.Number("TRIGger:LEVel", func(d *truevolt, _ *sim.Call) (sim.Number, error) {
			r := d.ranges(d.function)
			top := r[len(r)-1] * 1.2
			return sim.Number{Min: -top, Max: top, Default: 0}, nil
		},
			func(d *truevolt, _ *sim.Call) float64 { return d.trigLevel },
			func(d *truevolt, _ *sim.Call, v float64) error { d.trigLevel = v; return nil },
			func(c *sim.Call, v float64) { c.ReplyNR3(v, 8) })
	}
	cmds.Choice("SAMPle:SOURce", []string{"IMMediate", "TIMer"},
		func(d *truevolt, _ *sim.Call) int { return d.sampleSource },
		func(d *truevolt, _ *sim.Call, k int) error { d.sampleSource = k; return nil })
	cmds.Number("SAMPle:TIMer", func(*truevolt, *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "S", Min: 0, Max: 3600, Default: 1}, nil
	},
		func(d *truevolt, _ *sim.Call) float64 { return d.sampleTimer },
		func(d *truevolt, _ *sim.Call, v float64) error { d.sampleTimer = v; return nil },
		func(c *sim.Call, v float64) { c.ReplyNR3(v, 8) })
	// INITiate clears the memory and waits for triggers: with IMMediate
	// they all come at once; with BUS each *TRG takes SAMPle:COUNt
	// readings; EXTernal and INTernal signals never come to a simulated
	// input, so the measurement stays armed until ABORt.
	cmds.Handle("INITiate[:IMMediate]", func(d *truevolt, c *sim.Call) error {
		if d.armed > 0 {
			return sim.ErrInitIgnored
		}
		d.start()
		if d.trigSource == 0 {
			d.measure(d.runLength())
			return nil
		}
		d.armed = d.triggers()
		d.noteOperation()
		return nil
	})
	cmds.Handle("ABORt", func(d *truevolt, c *sim.Call) error {
		d.armed = 0
		d.noteOperation()
		return nil
	})
	cmds.Handle("READ?", func(d *truevolt, c *sim.Call) error {
		if d.trigSource == 1 {
			return sim.ErrTriggerDeadlock // READ? waits for a *TRG it cannot receive
		}
		if d.trigSource != 0 {
			return sim.ErrTriggerDeadlock.WithInfo("no external trigger reaches a simulated input")
		}
		d.start()
		d.measure(d.runLength())
		for _, x := range d.memory {
			replyReading(c, x)
		}
		d.memory = d.memory[:0]
		return nil
	})
	cmds.Handle("FETCh?", func(d *truevolt, c *sim.Call) error {
		if len(d.memory) == 0 {
			return sim.ErrDataCorruptOrStale.WithInfo("no readings")
		}
		for _, x := range d.memory {
			replyReading(c, x)
		}
		return nil
	})
	cmds.Handle("R?", func(d *truevolt, c *sim.Call) error {
		n := len(d.memory)
		if c.NumParams() > 0 {
			m, err := c.Int(0, sim.Number{Min: 1, Max: 2e6})
			if err != nil {
				return err
			}
			n = min(n, m)
		}
		c.ReplyBlock(d.payload(d.memory[:n]))
		d.memory = d.memory[n:]
		return nil
	})
	cmds.Handle("DATA:REMove?", func(d *truevolt, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		n, err := c.Int(0, sim.Number{Min: 1, Max: 2e6})
		if err != nil {
			return err
		}
		if c.NumParams() == 2 { // WAIT: a simulated memory fills at once
			if _, err := c.Choice(1, "WAIT"); err != nil {
				return err
			}
		}
		if n > len(d.memory) {
			return sim.ErrSettingsConflict.WithInfo("fewer readings in memory")
		}
		for _, x := range d.memory[:n] {
			replyReading(c, x)
		}
		d.memory = d.memory[n:]
		return nil
	})
	cmds.Handle("DATA:LAST?", func(d *truevolt, c *sim.Call) error {
		x := 9.91e37 // no reading: the SCPI NaN
		if len(d.memory) > 0 {
			x = finite(d.memory[len(d.memory)-1])
		}
		c.Reply(string(sim.AppendFloat(signed(x), x, 'E', 8)) + " " + truevoltUnitName(d.function))
		return nil
	})
	cmds.Handle("DATA:POINts?", func(d *truevolt, c *sim.Call) error { replySigned(c, len(d.memory)); return nil })
}

func signed(x float64) []byte {
	if x >= 0 {
		return []byte{'+'}
	}
	return nil
}

// truevoltUnitName is the unit DATA:LAST? appends.
func truevoltUnitName(fn int) string {
	return [...]string{"VDC", "VAC", "ADC", "AAC", "OHM", "OHM", "HZ", "SEC", "F", "OHM", "VDC", "C"}[fn]
}

// payload encodes readings for R?: ASCII NR3 or REAL,64.
func (d *truevolt) payload(xs []float64) []byte {
	var payload []byte
	if d.real64 {
		var order binary.AppendByteOrder = binary.BigEndian
		if d.swapped {
			order = binary.LittleEndian
		}
		for _, x := range xs {
			payload = order.AppendUint64(payload, math.Float64bits(x))
		}
		return payload
	}
	for k, x := range xs {
		if k > 0 {
			payload = append(payload, ',')
		}
		x = finite(x)
		payload = sim.AppendFloat(append(payload, signed(x)...), x, 'E', 8)
	}
	return payload
}

func truevoltSystemCommands(cmds *sim.Commands[*truevolt], high bool) {
	cmds.Handle("FORMat[:DATA]", func(d *truevolt, c *sim.Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		k, err := c.Choice(0, "ASCii", "REAL")
		if err != nil {
			return err
		}
		if k == 1 && !high {
			return sim.ErrUndefinedHeader.WithInfo("REAL format needs a 34465A or 34470A")
		}
		if c.NumParams() == 2 {
			if n, err := c.Int(1, sim.Number{Max: 64}); err != nil || (k == 1 && n != 64) || (k == 0 && n != 9) {
				return sim.ErrIllegalParameterValue
			}
		}
		d.real64 = k == 1
		return nil
	})
	cmds.Handle("FORMat[:DATA]?", func(d *truevolt, c *sim.Call) error {
		c.Reply(map[bool]string{false: "ASC,9", true: "REAL,64"}[d.real64])
		return nil
	})
	cmds.Choice("FORMat:BORDer", []string{"NORMal", "SWAPped"},
		func(d *truevolt, _ *sim.Call) int {
			if d.swapped {
				return 1
			}
			return 0
		},
		func(d *truevolt, _ *sim.Call, k int) error { d.swapped = k == 1; return nil })
	cmds.SystemCommands("1994.0")
	cmds.Handle("SYSTem:BEEPer[:IMMediate]", func(*truevolt, *sim.Call) error { return nil })
	cmds.Bool("SYSTem:BEEPer:STATe", func(d *truevolt, _ *sim.Call) (bool, error) { return d.beeper, nil },
		func(d *truevolt, _ *sim.Call, on bool) error { d.beeper = on; return nil })
	cmds.Bool("DISPlay[:STATe]", func(d *truevolt, _ *sim.Call) (bool, error) { return d.display, nil },
		func(d *truevolt, _ *sim.Call, on bool) error { d.display = on; return nil })
	cmds.Handle("DISPlay:TEXT[:DATA]", func(d *truevolt, c *sim.Call) error {
		s, err := c.String(0)
		if err == nil {
			d.displayText = s
		}
		return err
	})
	cmds.Handle("DISPlay:TEXT[:DATA]?", func(d *truevolt, c *sim.Call) error { c.ReplyString(d.displayText); return nil })
	cmds.Handle("DISPlay:TEXT:CLEar", func(d *truevolt, c *sim.Call) error { d.displayText = ""; return nil })
	for k, p := range []string{"SYSTem:LOCal", "SYSTem:REMote", "SYSTem:RWLock"} {
		cmds.Handle(p, func(d *truevolt, c *sim.Call) error { d.remote = k; return nil })
	}
	cmds.Bool("*PSC", func(d *truevolt, _ *sim.Call) (bool, error) { return d.psc, nil },
		func(d *truevolt, _ *sim.Call, on bool) error { d.psc = on; return nil })
	// The meter measures the mains it runs on; a simulated one reports
	// 50 Hz.
	cmds.Handle("SYSTem:LFRequency?", func(_ *truevolt, c *sim.Call) error { replySigned(c, 50); return nil })
	cmds.Choice("UNIT:TEMPerature", []string{"C", "F", "K"},
		func(d *truevolt, _ *sim.Call) int { return d.tempUnit },
		func(d *truevolt, _ *sim.Call, k int) error { d.tempUnit = k; return nil })
	// CALCulate:AVERage: statistics of the readings taken while on.
	cmds.Bool("CALCulate:AVERage[:STATe]", func(d *truevolt, _ *sim.Call) (bool, error) { return d.stats.on, nil },
		func(d *truevolt, _ *sim.Call, on bool) error {
			if on && !d.stats.on {
				d.stats = truevoltStats{on: true}
			}
			d.stats.on = on
			return nil
		})
	cmds.Handle("CALCulate:AVERage:CLEar[:IMMediate]", func(d *truevolt, c *sim.Call) error {
		d.stats = truevoltStats{on: d.stats.on}
		return nil
	})
	stat := func(pattern string, value func(*truevoltStats) float64) {
		cmds.Handle(pattern+"?", func(d *truevolt, c *sim.Call) error { c.ReplyNR3(value(&d.stats), 8); return nil })
	}
	stat("CALCulate:AVERage:AVERage", (*truevoltStats).mean)
	stat("CALCulate:AVERage:MAXimum", func(s *truevoltStats) float64 { return s.hi })
	stat("CALCulate:AVERage:MINimum", func(s *truevoltStats) float64 { return s.lo })
	stat("CALCulate:AVERage:PTPeak", func(s *truevoltStats) float64 { return s.hi - s.lo })
	stat("CALCulate:AVERage:SDEViation", (*truevoltStats).sdev)
	cmds.Handle("CALCulate:AVERage:COUNt?", func(d *truevolt, c *sim.Call) error { replySigned(c, d.stats.n); return nil })
	cmds.Handle("CALCulate:AVERage:ALL?", func(d *truevolt, c *sim.Call) error {
		for _, v := range []float64{d.stats.mean(), d.stats.sdev(), d.stats.lo, d.stats.hi} {
			c.ReplyNR3(v, 8)
		}
		return nil
	})
	// CALCulate:LIMit: each reading outside the bounds sets the
	// questionable register's lower or upper limit failed bit.
	cmds.Bool("CALCulate:LIMit[:STATe]", func(d *truevolt, _ *sim.Call) (bool, error) { return d.limitOn, nil },
		func(d *truevolt, _ *sim.Call, on bool) error {
			d.limitOn = on
			if !on {
				d.quesCond &^= quesLowerFail | quesUpperFail
			}
			return nil
		})
	bound := sim.Number{Min: -1.2e9, Max: 1.2e9}
	cmds.Number("CALCulate:LIMit:LOWer[:DATA]", func(*truevolt, *sim.Call) (sim.Number, error) { return bound, nil },
		func(d *truevolt, _ *sim.Call) float64 { return d.lower },
		func(d *truevolt, _ *sim.Call, v float64) error { d.lower = v; return nil },
		func(c *sim.Call, v float64) { c.ReplyNR3(v, 8) })
	cmds.Number("CALCulate:LIMit:UPPer[:DATA]", func(*truevolt, *sim.Call) (sim.Number, error) { return bound, nil },
		func(d *truevolt, _ *sim.Call) float64 { return d.upper },
		func(d *truevolt, _ *sim.Call, v float64) error { d.upper = v; return nil },
		func(c *sim.Call, v float64) { c.ReplyNR3(v, 8) })
	cmds.Handle("CALCulate:LIMit:CLEar[:IMMediate]", func(d *truevolt, c *sim.Call) error {
		d.quesCond &^= quesLowerFail | quesUpperFail
		d.ques.event &^= quesLowerFail | quesUpperFail
		return nil
	})
	// *OPT? answers 0 for no option, the IEEE 488.2 answer: the
	// simulated units model none.
	cmds.Handle("*OPT?", func(_ *truevolt, c *sim.Call) error { c.Reply("0"); return nil })
	location := sim.Number{Min: 0, Max: 4}
	cmds.Handle("*SAV", func(d *truevolt, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err == nil {
			s := *d
			s.memory, s.saved, s.probe = nil, [5]*truevolt{}, nil
			s.math.hist.pending, s.math.hist.bins = nil, nil
			d.saved[n] = &s
		}
		return err
	})
	cmds.Handle("*RCL", func(d *truevolt, c *sim.Call) error {
		n, err := c.Int(0, location)
		if err != nil {
			return err
		}
		s := d.saved[n]
		if s == nil {
			return sim.ErrExecution.WithInfo("location " + strconv.Itoa(n) + " is empty")
		}
		// The settings come back; the readings, the status registers
		// and the clock stay as they are.
		keep := *d
		*d = *s
		d.saved, d.probe, d.memory = keep.saved, keep.probe, keep.memory
		d.ques, d.oper, d.quesCond, d.operPrev, d.lastConf = keep.ques, keep.oper, keep.quesCond, keep.operPrev, keep.lastConf
		d.clock, d.timeoutAuto, d.now = keep.clock, keep.timeoutAuto, keep.now
		d.math.hist.pending, d.math.hist.bins, d.math.hist.n = keep.math.hist.pending, keep.math.hist.bins, keep.math.hist.n
		d.math.hist.clear()
		d.math.resetSmoothing()
		return nil
	})
}

func init() {
	for _, m := range truevoltModels {
		sim.MustRegister(m, "Keysight Truevolt "+m+" digital multimeter", truevoltCommands(m), newTruevolt(m))
	}
	sim.RegisterGuide(truevoltGuide())
}
