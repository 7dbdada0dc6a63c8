package keysight

import (
	"math"
	"slices"

	"github.com/scpikit/scpikit/sim"
)

// The Truevolt's math on each reading, in the order the guide's
// measurement model applies it: NULL (in reading), smoothing, scaling,
// then statistics, limits and the histogram of the result.

// Scaling functions (CALCulate:SCALe:FUNCtion); PCT and SCALe are
// 34465A/70A only.
const (
	scaleDB = iota
	scaleDBM
	scalePCT
	scaleMxB
)

var truevoltScaleFunctions = []string{"DB", "DBM", "PCT", "SCALe"}

// truevoltDBMRefs are the reference resistances dBm takes, in ohms.
var truevoltDBMRefs = []float64{50, 75, 93, 110, 124, 125, 135, 150, 250, 300, 500, 600, 800, 900, 1000, 1200, 8000}

// truevoltSmoothing are the moving-average lengths of SLOW, MEDium and
// FAST.
var truevoltSmoothing = [...]int{100, 50, 10}

// truevoltHistPoints are the bin counts CALCulate:TRANsform:HISTogram:POINts takes.
var truevoltHistPoints = []int{10, 20, 40, 100, 200, 400}

// histAutoCount is how many readings set the automatic histogram range
// (the guide: "the first 1,000 measurements").
const histAutoCount = 1000

// truevoltMath is the CALCulate settings and state beyond AVERage and LIMit.
type truevoltMath struct {
	scaleOn    bool
	scaleFn    int
	dbRef      float64 // dBm
	dbmRef     float64 // ohms
	pctRef     float64
	refAuto    bool
	refPending bool // the next reading becomes the reference
	gain       float64
	offset     float64
	unit       string
	unitOn     bool

	smoothOn   bool
	smoothResp int // index into truevoltSmoothing
	ring       [100]float64
	ringPos    int
	ringN      int

	hist truevoltHistogram
}

func (m *truevoltMath) reset() {
	hist := m.hist
	*m = truevoltMath{scaleFn: scaleDB, dbmRef: 600, refAuto: true, gain: 1, smoothResp: 2}
	m.hist = hist
	m.hist.reset()
}

// scale applies CALCulate:SCALe to x. Results beyond ±1E+24 become
// ±9.9E+37 and those within ±1E-24 become 0, as the guide says.
func (m *truevoltMath) scale(x float64) float64 {
	if !m.scaleOn || math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	var y float64
	dbm := func() float64 { return 10 * math.Log10(x*x/m.dbmRef/1e-3) }
	switch m.scaleFn {
	case scaleDB:
		v := dbm()
		if m.refPending {
			m.dbRef, m.refPending = v, false
		}
		y = v - m.dbRef
	case scaleDBM:
		y = dbm()
	case scalePCT:
		if m.refPending {
			m.pctRef, m.refPending = x, false
		}
		y = (x - m.pctRef) / m.pctRef * 100
	case scaleMxB:
		// The guide's "Mx-B": the offset is subtracted.
		y = m.gain*x - m.offset
	}
	switch a := math.Abs(y); {
	case math.IsNaN(y):
		return y
	case a > 1e24:
		return math.Copysign(math.Inf(1), y)
	case a < 1e-24:
		return 0
	}
	return y
}

// smooth is the moving (boxcar) average of the last 10, 50 or 100
// readings, or of all since the filter was reset while fewer.
func (m *truevoltMath) smooth(x float64) float64 {
	if !m.smoothOn || math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	n := truevoltSmoothing[m.smoothResp]
	m.ring[m.ringPos] = x
	m.ringPos = (m.ringPos + 1) % len(m.ring)
	m.ringN = min(m.ringN+1, n)
	sum := 0.0
	for k := 1; k <= m.ringN; k++ {
		sum += m.ring[(m.ringPos-k+len(m.ring))%len(m.ring)]
	}
	return sum / float64(m.ringN)
}

func (m *truevoltMath) resetSmoothing() { m.ringPos, m.ringN = 0, 0 }

// truevoltHistogram counts the readings taken while it is on into
// POINts bins between a lower and an upper range value, plus one bin
// below and one above. With RANGe:AUTO the first 1,000 readings set the
// range; until then a query bins the readings so far between their
// extremes.
type truevoltHistogram struct {
	on      bool
	points  int
	auto    bool
	lo, hi  float64 // the range: set, or computed once ranged
	ranged  bool    // auto: the range is fixed
	pending []float64
	bins    []int // points+2: below, the bins, above
	n       int
}

func (h *truevoltHistogram) reset() {
	h.on, h.points, h.auto, h.lo, h.hi = false, 100, true, 0, 0
	h.clear()
}

// clear drops the data and restarts automatic ranging.
func (h *truevoltHistogram) clear() {
	h.ranged = false
	h.pending = h.pending[:0]
	if len(h.bins) != h.points+2 {
		h.bins = make([]int, h.points+2)
	} else if h.n > 0 { // with no reading counted, no bin has one
		clear(h.bins)
	}
	h.n = 0
}

func (h *truevoltHistogram) add(x float64) {
	if !h.on || math.IsInf(x, 0) || math.IsNaN(x) {
		return // an overload has no bin
	}
	h.n++
	if h.auto && !h.ranged {
		h.pending = append(h.pending, x)
		if len(h.pending) < histAutoCount {
			return
		}
		h.lo, h.hi = slices.Min(h.pending), slices.Max(h.pending)
		h.ranged = true
		for _, p := range h.pending {
			binInto(h.bins, h.lo, h.hi, p)
		}
		h.pending = h.pending[:0]
		return
	}
	binInto(h.bins, h.lo, h.hi, x)
}

// binInto counts x into bins (below, points bins, above) over [lo, hi];
// the upper range value falls in the last bin.
func binInto(bins []int, lo, hi, x float64) {
	points := len(bins) - 2
	switch {
	case x < lo:
		bins[0]++
	case x > hi:
		bins[len(bins)-1]++
	case hi == lo:
		bins[1]++
	default:
		k := int((x - lo) / (hi - lo) * float64(points))
		bins[1+min(k, points-1)]++
	}
}

// view returns the range and bins a query reports: NaN range values
// when automatic ranging has no data yet.
func (h *truevoltHistogram) view() (lo, hi float64, bins []int) {
	if !h.auto || h.ranged {
		return h.lo, h.hi, h.bins
	}
	if len(h.pending) == 0 {
		return math.NaN(), math.NaN(), h.bins
	}
	lo, hi = slices.Min(h.pending), slices.Max(h.pending)
	bins = make([]int, len(h.bins))
	for _, p := range h.pending {
		binInto(bins, lo, hi, p)
	}
	return lo, hi, bins
}

// process runs a raw reading through the math and into the status,
// statistics and histogram.
func (d *truevolt) process(x float64) float64 {
	if math.IsInf(x, 0) {
		d.ques.event |= overloadBit[d.function]
	}
	m := &d.math
	x = m.smooth(x)
	x = m.scale(x)
	d.stats.add(x)
	if d.limitOn {
		fail := 0
		switch {
		case x < d.lower:
			fail = quesLowerFail
		case x > d.upper:
			fail = quesUpperFail
		}
		d.quesCond = d.quesCond&^(quesLowerFail|quesUpperFail) | fail
		d.ques.event |= fail
	}
	m.hist.add(x)
	return x
}

// scaleApplies reports whether the scaling function applies to the
// measurement function: dB and dBm to voltages only, PCT and Mx-B to all
// but continuity and diode.
func scaleApplies(scaleFn, fn int) bool {
	switch scaleFn {
	case scaleDB, scaleDBM:
		return fn == fnVolt || fn == fnVoltAC
	}
	return fn != fnCont && fn != fnDiod
}

// checkWide refuses what the guide's "-1.0E+15 to -1.0E-15, 0.0, +1.0E-15
// to 1.0E+15" leaves out: magnitudes between 0 and 1E-15.
func checkWide(v float64) error {
	if v != 0 && math.Abs(v) < 1e-15 {
		return sim.ErrDataOutOfRange
	}
	return nil
}

func truevoltMathCommands(cmds *sim.Commands[*truevolt], high bool) {
	nr3 := func(c *sim.Call, v float64) { c.ReplyNR3(v, 8) }
	wide := sim.Number{Min: -1e15, Max: 1e15}
	scaleFns := truevoltScaleFunctions[:2]
	if high {
		scaleFns = truevoltScaleFunctions
	}
	// CALCulate:SCALe.
	cmds.Handle("CALCulate:SCALe:FUNCtion", func(d *truevolt, c *sim.Call) error {
		k, err := c.Choice(0, scaleFns...)
		if err != nil {
			return err
		}
		if k != d.math.scaleFn {
			d.math.scaleFn = k
			d.math.refPending = d.math.refAuto
		}
		return nil
	})
	cmds.Handle("CALCulate:SCALe:FUNCtion?", func(d *truevolt, c *sim.Call) error {
		c.Reply([...]string{"DB", "DBM", "PCT", "SCAL"}[d.math.scaleFn])
		return nil
	})
	cmds.Bool("CALCulate:SCALe[:STATe]", func(d *truevolt, _ *sim.Call) (bool, error) { return d.math.scaleOn, nil },
		func(d *truevolt, _ *sim.Call, on bool) error {
			if on && !scaleApplies(d.math.scaleFn, d.function) {
				return sim.ErrSettingsConflict.WithInfo(truevoltScaleFunctions[d.math.scaleFn] + " does not apply to " + truevoltFunctions[d.function].name)
			}
			if on && !d.math.scaleOn {
				d.math.refPending = d.math.refAuto
			}
			d.math.scaleOn = on
			return nil
		})
	cmds.Number("CALCulate:SCALe:DB:REFerence", func(*truevolt, *sim.Call) (sim.Number, error) {
		return sim.Number{Min: -200, Max: 200}, nil
	},
		func(d *truevolt, _ *sim.Call) float64 { return d.math.dbRef },
		func(d *truevolt, _ *sim.Call, v float64) error {
			d.math.dbRef, d.math.refAuto, d.math.refPending = v, false, false
			return nil
		}, nr3)
	cmds.Number("CALCulate:SCALe:DBM:REFerence", func(*truevolt, *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "OHM", Min: 50, Max: 8000, Default: 600}, nil
	},
		func(d *truevolt, _ *sim.Call) float64 { return d.math.dbmRef },
		func(d *truevolt, _ *sim.Call, v float64) error {
			if !slices.Contains(truevoltDBMRefs, v) {
				return sim.ErrIllegalParameterValue.WithInfo("50, 75, 93, 110, 124, 125, 135, 150, 250, 300, 500, 600, 800, 900, 1000, 1200 or 8000 ohms")
			}
			d.math.dbmRef = v
			return nil
		}, nr3)
	cmds.Bool("CALCulate:SCALe:REFerence:AUTO", func(d *truevolt, _ *sim.Call) (bool, error) { return d.math.refAuto, nil },
		func(d *truevolt, _ *sim.Call, on bool) error {
			d.math.refAuto, d.math.refPending = on, on
			return nil
		})
	if high {
		cmds.Number("CALCulate:SCALe:REFerence", func(*truevolt, *sim.Call) (sim.Number, error) { return wide, nil },
			func(d *truevolt, _ *sim.Call) float64 { return d.math.pctRef },
			func(d *truevolt, _ *sim.Call, v float64) error {
				if err := checkWide(v); err != nil {
					return err
				}
				d.math.pctRef, d.math.refAuto, d.math.refPending = v, false, false
				return nil
			}, nr3)
		cmds.Number("CALCulate:SCALe:GAIN", func(*truevolt, *sim.Call) (sim.Number, error) {
			g := wide
			g.Default = 1
			return g, nil
		},
			func(d *truevolt, _ *sim.Call) float64 { return d.math.gain },
			func(d *truevolt, _ *sim.Call, v float64) error {
				if err := checkWide(v); err != nil {
					return err
				}
				d.math.gain = v
				return nil
			}, nr3)
		cmds.Number("CALCulate:SCALe:OFFSet", func(*truevolt, *sim.Call) (sim.Number, error) { return wide, nil },
			func(d *truevolt, _ *sim.Call) float64 { return d.math.offset },
			func(d *truevolt, _ *sim.Call, v float64) error {
				if err := checkWide(v); err != nil {
					return err
				}
				d.math.offset = v
				return nil
			}, nr3)
		cmds.Handle("CALCulate:SCALe:UNIT", func(d *truevolt, c *sim.Call) error {
			s, err := c.String(0)
			if err != nil {
				return err
			}
			if len(s) > 4 {
				return sim.ErrTooMuchData.WithInfo("at most 4 characters")
			}
			d.math.unit = s
			return nil
		})
		cmds.Handle("CALCulate:SCALe:UNIT?", func(d *truevolt, c *sim.Call) error { c.ReplyString(d.math.unit); return nil })
		cmds.Bool("CALCulate:SCALe:UNIT:STATe", func(d *truevolt, _ *sim.Call) (bool, error) { return d.math.unitOn, nil },
			func(d *truevolt, _ *sim.Call, on bool) error { d.math.unitOn = on; return nil })
		// CALCulate:SMOothing, the moving-average filter.
		cmds.Bool("CALCulate:SMOothing[:STATe]", func(d *truevolt, _ *sim.Call) (bool, error) { return d.math.smoothOn, nil },
			func(d *truevolt, _ *sim.Call, on bool) error {
				d.math.smoothOn = on
				d.math.resetSmoothing()
				return nil
			})
		cmds.Handle("CALCulate:SMOothing:RESPonse", func(d *truevolt, c *sim.Call) error {
			k, err := c.Choice(0, "SLOW", "MEDium", "FAST")
			if err == nil {
				d.math.smoothResp = k
				d.math.resetSmoothing()
			}
			return err
		})
		cmds.Handle("CALCulate:SMOothing:RESPonse?", func(d *truevolt, c *sim.Call) error {
			c.Reply([...]string{"SLOW", "MED", "FAST"}[d.math.smoothResp])
			return nil
		})
	}
	// CALCulate:TRANsform:HISTogram.
	hist := "CALCulate:TRANsform:HISTogram"
	cmds.Bool(hist+"[:STATe]", func(d *truevolt, _ *sim.Call) (bool, error) { return d.math.hist.on, nil },
		func(d *truevolt, _ *sim.Call, on bool) error {
			d.math.hist.on = on
			d.math.hist.clear()
			return nil
		})
	cmds.Handle(hist+":CLEar[:IMMediate]", func(d *truevolt, _ *sim.Call) error { d.math.hist.clear(); return nil })
	cmds.Handle(hist+":POINts", func(d *truevolt, c *sim.Call) error {
		v, err := c.Int(0, sim.Number{Min: 10, Max: 400, Default: 100})
		if err != nil {
			return err
		}
		if !slices.Contains(truevoltHistPoints, v) {
			return sim.ErrIllegalParameterValue.WithInfo("10, 20, 40, 100, 200 or 400")
		}
		d.math.hist.points = v
		d.math.hist.clear()
		return nil
	})
	cmds.Handle(hist+":POINts?", func(d *truevolt, c *sim.Call) error {
		if c.NumParams() > 0 {
			v, err := c.Limit(0, sim.Number{Min: 10, Max: 400, Default: 100})
			if err == nil {
				replySigned(c, int(v))
			}
			return err
		}
		replySigned(c, d.math.hist.points)
		return nil
	})
	cmds.Bool(hist+":RANGe:AUTO", func(d *truevolt, _ *sim.Call) (bool, error) { return d.math.hist.auto, nil },
		func(d *truevolt, _ *sim.Call, on bool) error {
			d.math.hist.auto = on
			d.math.hist.clear()
			return nil
		})
	for k, bound := range []string{"LOWer", "UPPer"} {
		cmds.Number(hist+":RANGe:"+bound, func(*truevolt, *sim.Call) (sim.Number, error) { return wide, nil },
			func(d *truevolt, _ *sim.Call) float64 {
				lo, hi, _ := d.math.hist.view()
				return [2]float64{lo, hi}[k]
			},
			func(d *truevolt, _ *sim.Call, v float64) error {
				if err := checkWide(v); err != nil {
					return err
				}
				h := &d.math.hist
				// Switching to manual keeps the other bound where
				// automatic ranging put it.
				if lo, hi, _ := h.view(); !math.IsNaN(lo) {
					h.lo, h.hi = lo, hi
				}
				if k == 0 {
					h.lo = v
				} else {
					h.hi = v
				}
				h.auto = false
				h.clear()
				return nil
			}, func(c *sim.Call, v float64) { c.ReplyNR3(finite(v), 8) })
	}
	cmds.Handle(hist+":COUNt?", func(d *truevolt, c *sim.Call) error { replySigned(c, d.math.hist.n); return nil })
	cmds.Handle(hist+":DATA?", func(d *truevolt, c *sim.Call) error {
		_, _, bins := d.math.hist.view()
		for _, n := range bins {
			replySigned(c, n)
		}
		return nil
	})
	cmds.Handle(hist+":ALL?", func(d *truevolt, c *sim.Call) error {
		lo, hi, bins := d.math.hist.view()
		c.ReplyNR3(finite(lo), 8)
		c.ReplyNR3(finite(hi), 8)
		replySigned(c, d.math.hist.n)
		for _, n := range bins {
			replySigned(c, n)
		}
		return nil
	})
}
