package sim

import (
	"encoding/binary"
	"math"
	"strings"
	"time"
)

// Keysight Truevolt DMMs (34460A, 34461A, 34465A, 34470A), after their
// operating and service guide: CONFigure a function and range, then READ?
// or INITiate and FETCh?; SAMPle:COUNt for several readings; R? reads and
// erases the reading memory as a definite block, ASCII or (34465A/70A)
// REAL,64. On a bench it measures the supply output it is wired to: the
// voltage across it, the current through it, or the load's resistance.
type truevolt struct {
	model    string
	probe    *Output
	function int // index into truevoltFunctions
	rng      float64
	auto     bool
	count    int
	trigSrc  int // 0 IMM, 1 BUS, 2 EXT
	memory   []float64
	armed    bool
	real64   bool
	swapped  bool
}

var truevoltFunctions = []struct {
	name   string // CONF? answer
	ranges []float64
}{
	{"VOLT", []float64{0.1, 1, 10, 100, 1000}},
	{"VOLT:AC", []float64{0.1, 1, 10, 100, 750}},
	{"CURR", []float64{1e-4, 1e-3, 1e-2, 0.1, 1, 3}},
	{"CURR:AC", []float64{1e-4, 1e-3, 1e-2, 0.1, 1, 3}},
	{"RES", []float64{100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}},
	{"FRES", []float64{100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}},
}

func newTruevolt(model string) func() *truevolt {
	return func() *truevolt {
		d := &truevolt{model: model}
		d.Reset()
		return d
	}
}

func (d *truevolt) Identity() string {
	return "Keysight Technologies," + d.model + ",MY54500001,A.02.14-02.40-02.14-00.49-02-01"
}

func (d *truevolt) Reset() {
	d.function, d.rng, d.auto, d.count, d.trigSrc = 0, 10, true, 1, 0
	d.memory, d.armed, d.real64, d.swapped = nil, false, false, false
}

// ProbeOutput wires the DMM to a supply output.
func (d *truevolt) ProbeOutput(o *Output) { d.probe = o }

func (d *truevolt) binary() bool { return d.model == "34465A" || d.model == "34470A" }

// reading measures once: 9.9E37 on overload (|x| beyond 120% of range).
func (d *truevolt) reading() float64 {
	var x float64
	if d.probe != nil {
		v, i, mode := d.probe.Measure(time.Now())
		switch d.function {
		case 0:
			x = v
		case 2:
			x = i
		case 1, 3:
			x = 0 // a DC supply has (ideally) no AC component
		default:
			x = math.Inf(1)
			d.probe.mu.Lock()
			if r, ok := d.probe.load.(Resistor); ok && mode == ModeOff {
				x = float64(r) // ohmmeters measure unpowered circuits
			}
			d.probe.mu.Unlock()
		}
	} else if d.function >= 4 {
		x = math.Inf(1) // open leads
	}
	limit := d.rng * 1.2
	if d.auto {
		limit = truevoltFunctions[d.function].ranges[len(truevoltFunctions[d.function].ranges)-1] * 1.2
	}
	if math.Abs(x) > limit {
		return math.Inf(1)
	}
	return x
}

func (d *truevolt) measureInto() {
	d.memory = d.memory[:0]
	for range d.count {
		d.memory = append(d.memory, d.reading())
	}
}

func (d *truevolt) Trigger() error {
	if d.trigSrc != 1 || !d.armed {
		return ErrTriggerIgnored
	}
	d.measureInto()
	d.armed = false
	return nil
}

func truevoltCommands() *Commands[*truevolt] {
	cmds := NewCommands[*truevolt]()
	configure := func(fn int) func(*truevolt, *Call) error {
		return func(d *truevolt, c *Call) error {
			if err := c.Params(0, 2); err != nil {
				return err
			}
			ranges := truevoltFunctions[fn].ranges
			d.function, d.auto, d.rng = fn, true, ranges[len(ranges)/2]
			if c.NumParams() > 0 {
				if c.Kind(0) == ParamCharacter && strings.EqualFold(c.Raw(0), "AUTO") {
					return nil
				}
				r, err := c.Number(0, Number{Min: 0, Max: ranges[len(ranges)-1], Default: ranges[len(ranges)/2]})
				if err != nil {
					return err
				}
				for _, rr := range ranges { // the smallest range that holds r
					if r <= rr*1.0000001 {
						d.rng, d.auto = rr, false
						break
					}
				}
				if c.NumParams() == 2 {
					c.Raw(1) // the resolution is accepted and not modelled
				}
			}
			return nil
		}
	}
	for fn, pattern := range []string{"CONFigure:VOLTage[:DC]", "CONFigure:VOLTage:AC", "CONFigure:CURRent[:DC]",
		"CONFigure:CURRent:AC", "CONFigure:RESistance", "CONFigure:FRESistance"} {
		cmds.Handle(pattern, configure(fn))
		conf := configure(fn)
		cmds.Handle(strings.Replace(pattern, "CONFigure", "MEASure", 1)+"?", func(d *truevolt, c *Call) error {
			if err := conf(d, c); err != nil {
				return err
			}
			d.count = 1
			c.ReplyNR3(d.reading(), 9)
			return nil
		})
	}
	cmds.Handle("CONFigure?", func(d *truevolt, c *Call) error {
		c.Reply(`"` + truevoltFunctions[d.function].name + " " + string(appendSCPIFloat([]byte{'+'}, d.rng, 'E', 6)) + `,+3.000000E-06"`)
		return nil
	})
	cmds.Handle("READ?", func(d *truevolt, c *Call) error {
		d.measureInto()
		for _, x := range d.memory {
			c.ReplyNR3(x, 9)
		}
		d.memory = d.memory[:0]
		return nil
	})
	cmds.Handle("INITiate[:IMMediate]", func(d *truevolt, c *Call) error {
		if d.trigSrc == 0 {
			d.measureInto()
		} else {
			d.armed = true
		}
		return nil
	})
	cmds.Handle("FETCh?", func(d *truevolt, c *Call) error {
		if len(d.memory) == 0 {
			return ErrDataCorruptOrStale.WithInfo("no readings")
		}
		for _, x := range d.memory {
			c.ReplyNR3(x, 9)
		}
		return nil
	})
	cmds.Handle("R?", func(d *truevolt, c *Call) error {
		n := len(d.memory)
		if c.NumParams() > 0 {
			m, err := c.Int(0, Number{Min: 1, Max: 2e6})
			if err != nil {
				return err
			}
			n = min(n, m)
		}
		var payload []byte
		if d.real64 {
			var order binary.AppendByteOrder = binary.BigEndian
			if d.swapped {
				order = binary.LittleEndian
			}
			for _, x := range d.memory[:n] {
				payload = order.AppendUint64(payload, math.Float64bits(x))
			}
		} else {
			for k, x := range d.memory[:n] {
				if k > 0 {
					payload = append(payload, ',')
				}
				if x >= 0 {
					payload = append(payload, '+')
				}
				payload = appendSCPIFloat(payload, x, 'E', 9)
			}
		}
		d.memory = d.memory[n:]
		c.ReplyBlock(payload)
		return nil
	})
	cmds.Handle("DATA:POINts?", func(d *truevolt, c *Call) error { c.ReplyInt(int64(len(d.memory))); return nil })
	cmds.Number("SAMPle:COUNt", func(*truevolt, *Call) (Number, error) { return Number{Min: 1, Max: 1e6, Default: 1}, nil },
		func(d *truevolt, _ *Call) float64 { return float64(d.count) },
		func(d *truevolt, _ *Call, v float64) error { d.count = int(v); return nil },
		func(c *Call, v float64) { c.ReplyNR3(v, 9) })
	cmds.Choice("TRIGger:SOURce", []string{"IMMediate", "BUS", "EXTernal"},
		func(d *truevolt, _ *Call) int { return d.trigSrc },
		func(d *truevolt, _ *Call, k int) error { d.trigSrc = k; return nil })
	cmds.Handle("FORMat[:DATA]", func(d *truevolt, c *Call) error {
		if err := c.Params(1, 2); err != nil {
			return err
		}
		k, err := c.Choice(0, "ASCii", "REAL")
		if err != nil {
			return err
		}
		if k == 1 && !d.binary() {
			return ErrUndefinedHeader.WithInfo("REAL format needs a 34465A or 34470A")
		}
		if c.NumParams() == 2 {
			if n, err := c.Int(1, Number{Max: 64}); err != nil || (k == 1 && n != 64) {
				return ErrIllegalParameterValue
			}
		}
		d.real64 = k == 1
		return nil
	})
	cmds.Handle("FORMat[:DATA]?", func(d *truevolt, c *Call) error {
		c.Reply(map[bool]string{false: "ASC,9", true: "REAL,64"}[d.real64])
		return nil
	})
	cmds.Choice("FORMat:BORDer", []string{"NORMal", "SWAPped"},
		func(d *truevolt, _ *Call) int {
			if d.swapped {
				return 1
			}
			return 0
		},
		func(d *truevolt, _ *Call, k int) error { d.swapped = k == 1; return nil })
	cmds.Handle("SYSTem:ERRor[:NEXT]?", ErrorQueryHandler[*truevolt])
	return cmds
}

// Prober is a meter that measures a supply output on a bench.
type Prober interface {
	ProbeOutput(o *Output)
}

func init() {
	cmds := truevoltCommands()
	for _, m := range []string{"34460A", "34461A", "34465A", "34470A"} {
		MustRegister(m, "Keysight Truevolt "+m+" digital multimeter", cmds, newTruevolt(m))
	}
}
