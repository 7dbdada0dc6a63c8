package keysight

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// Questionable data register bits, after the guide's table ("STATus
// Subsystem"). The overload bits are events only: their condition reads 0.
const (
	quesVoltOverload   = 1 << 0
	quesCurrOverload   = 1 << 1
	quesTempOverload   = 1 << 4
	quesFreqOverload   = 1 << 5
	quesResOverload    = 1 << 9
	quesCapOverload    = 1 << 10
	quesLowerFail      = 1 << 11 // the most recent reading failed the lower limit
	quesUpperFail      = 1 << 12 // ... the upper limit
	quesMemoryOverflow = 1 << 14 // the memory was full: the oldest readings were lost
)

// Standard operation register bits.
const (
	operMeasuring    = 1 << 4  // initiated, making or about to make a measurement
	operWaitTrigger  = 1 << 5  // waiting for a trigger
	operConfigChange = 1 << 8  // configuration changed since the last INIT, READ? or MEASure?
	operMemThreshold = 1 << 9  // DATA:POINts:EVENt:THReshold readings in memory
	operGlobalError  = 1 << 13 // an error in the error queue
)

// overloadBit is the questionable event an overload sets per function;
// an open continuity or diode input is a reading, not an overload.
var overloadBit = [len(truevoltFunctions)]int{
	fnVolt: quesVoltOverload, fnVoltAC: quesVoltOverload,
	fnCurr: quesCurrOverload, fnCurrAC: quesCurrOverload,
	fnRes: quesResOverload, fnFRes: quesResOverload,
	fnFreq: quesFreqOverload, fnPer: quesFreqOverload,
	fnCap: quesCapOverload, fnTemp: quesTempOverload,
}

// truevoltRegister is an SCPI status register's event and enable parts;
// the condition is computed.
type truevoltRegister struct{ event, enable int }

// operCondition is the operation register's condition, with the global
// error bit as given (the error queue is the engine's).
func (d *truevolt) operCondition(globalError int) int {
	c := globalError & operGlobalError
	if d.armed > 0 {
		c |= operMeasuring | operWaitTrigger
	}
	if d.truevoltSettings != d.lastConf {
		c |= operConfigChange
	}
	if len(d.memory) >= d.threshold {
		c |= operMemThreshold
	}
	return c
}

// latchOperation sets the operation events of the conditions that have
// risen since last seen: a measurement, INIT, ABORt and every status
// query look. A configuration change is seen when one of them looks.
func (d *truevolt) latchOperation(globalError int) int {
	c := d.operCondition(globalError)
	d.oper.event |= c &^ d.operPrev
	d.operPrev = c
	return c
}

// noteOperation latches the operation events a measurement, INIT or
// ABORt can raise (measuring, waiting, memory threshold) without comparing
// the settings: the configuration-change and global-error bits keep what
// the last full look saw, so the readings' path stays cheap.
func (d *truevolt) noteOperation() {
	c := d.operPrev & (operConfigChange | operGlobalError)
	if d.armed > 0 {
		c |= operMeasuring | operWaitTrigger
	}
	if len(d.memory) >= d.threshold {
		c |= operMemThreshold
	}
	d.oper.event |= c &^ d.operPrev
	d.operPrev = c
}

// StatusSummary sets status byte bits 3 and 7 from the enabled events.
func (d *truevolt) StatusSummary() (questionable, operation bool) {
	d.latchOperation(d.operPrev & operGlobalError)
	return d.ques.event&d.ques.enable != 0, d.oper.event&d.oper.enable != 0
}

// ClearStatus clears the event registers on *CLS (which also empties the
// error queue).
func (d *truevolt) ClearStatus() {
	d.ques.event, d.oper.event = 0, 0
	d.operPrev &^= operGlobalError
}

func (d *truevolt) clockNow() time.Time {
	now := time.Now
	if d.now != nil {
		now = d.now
	}
	return now().Add(d.clock).UTC()
}

func truevoltStatusCommands(cmds *sim.Commands[*truevolt], model string) {
	high := model == "34465A" || model == "34470A"
	globalError := func(c *sim.Call) int {
		if c.ErrorCount() > 0 {
			return operGlobalError
		}
		return 0
	}
	register := func(prefix string, reg func(*truevolt) *truevoltRegister, cond func(*truevolt, *sim.Call) int) {
		cmds.Handle(prefix+":CONDition?", func(d *truevolt, c *sim.Call) error { replySigned(c, cond(d, c)); return nil })
		cmds.Handle(prefix+":ENABle", func(d *truevolt, c *sim.Call) error {
			v, err := c.Int(0, sim.Number{Min: 0, Max: 65535})
			if err == nil {
				reg(d).enable = v & 0x7fff // bit 15 is always 0
			}
			return err
		})
		cmds.Handle(prefix+":ENABle?", func(d *truevolt, c *sim.Call) error { replySigned(c, reg(d).enable); return nil })
		cmds.Handle(prefix+"[:EVENt]?", func(d *truevolt, c *sim.Call) error {
			cond(d, c) // latches what has risen
			r := reg(d)
			replySigned(c, r.event)
			r.event = 0
			return nil
		})
	}
	register("STATus:QUEStionable", func(d *truevolt) *truevoltRegister { return &d.ques },
		func(d *truevolt, _ *sim.Call) int { return d.quesCond })
	register("STATus:OPERation", func(d *truevolt) *truevoltRegister { return &d.oper },
		func(d *truevolt, c *sim.Call) int { return d.latchOperation(globalError(c)) })
	// STATus:PRESet clears the enable registers.
	cmds.Handle("STATus:PRESet", func(d *truevolt, _ *sim.Call) error {
		d.ques.enable, d.oper.enable = 0, 0
		return nil
	})
	cmds.Handle("DATA:POINts:EVENt:THReshold", func(d *truevolt, c *sim.Call) error {
		n, err := c.Int(0, sim.Number{Min: 1, Max: float64(d.memorySize()), Default: 1})
		if err == nil {
			d.threshold = n
		}
		return err
	})
	cmds.Handle("DATA:POINts:EVENt:THReshold?", func(d *truevolt, c *sim.Call) error {
		if c.NumParams() > 0 {
			v, err := c.Limit(0, sim.Number{Min: 1, Max: float64(d.memorySize()), Default: 1})
			if err == nil {
				replySigned(c, int(v))
			}
			return err
		}
		replySigned(c, d.threshold)
		return nil
	})
	cmds.Choice("OUTPut:TRIGger:SLOPe", []string{"POSitive", "NEGative"},
		func(d *truevolt, _ *sim.Call) int { return d.outSlope },
		func(d *truevolt, _ *sim.Call, k int) error { d.outSlope = k; return nil })
	// The 34460A has no trend chart (the guide's "Trend Chart" topic).
	cmds.Choice("DISPlay:VIEW", []string{"NUMeric", "HISTogram", "TCHart", "METer"},
		func(d *truevolt, _ *sim.Call) int { return d.view },
		func(d *truevolt, _ *sim.Call, k int) error {
			if k == 2 && model == "34460A" {
				return sim.ErrIllegalParameterValue.WithInfo("the 34460A has no trend chart")
			}
			d.view = k
			return nil
		})
	cmds.Choice("HCOPy:SDUMp:DATA:FORMat", []string{"PNG", "BMP"},
		func(d *truevolt, _ *sim.Call) int {
			if d.hcopyBMP {
				return 1
			}
			return 0
		},
		func(d *truevolt, _ *sim.Call, k int) error { d.hcopyBMP = k == 1; return nil })
	cmds.Handle("HCOPy:SDUMp:DATA?", func(d *truevolt, c *sim.Call) error {
		img := d.screen()
		if d.hcopyBMP {
			c.ReplyBlock(encodeBMP1(img))
			return nil
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return sim.ErrDeviceSpecific.WithInfo(err.Error())
		}
		c.ReplyBlock(buf.Bytes())
		return nil
	})
	cmds.Handle("SYSTem:DATE", func(d *truevolt, c *sim.Call) error {
		if err := c.Params(3, 3); err != nil {
			return err
		}
		y, err := c.Int(0, sim.Number{Min: 2000, Max: 2099})
		if err != nil {
			return err
		}
		m, err := c.Int(1, sim.Number{Min: 1, Max: 12})
		if err != nil {
			return err
		}
		days := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
		day, err := c.Int(2, sim.Number{Min: 1, Max: float64(days)})
		if err != nil {
			return err
		}
		now := d.clockNow()
		set := time.Date(y, time.Month(m), day, now.Hour(), now.Minute(), now.Second(), now.Nanosecond(), time.UTC)
		d.clock += set.Sub(now)
		return nil
	})
	cmds.Handle("SYSTem:DATE?", func(d *truevolt, c *sim.Call) error {
		now := d.clockNow()
		c.Reply(fmt.Sprintf("%+d,%+03d,%+03d", now.Year(), int(now.Month()), now.Day()))
		return nil
	})
	cmds.Handle("SYSTem:TIME", func(d *truevolt, c *sim.Call) error {
		if err := c.Params(3, 3); err != nil {
			return err
		}
		h, err := c.Int(0, sim.Number{Min: 0, Max: 23})
		if err != nil {
			return err
		}
		m, err := c.Int(1, sim.Number{Min: 0, Max: 59})
		if err != nil {
			return err
		}
		sec, err := c.Number(2, sim.Number{Min: 0, Max: 59.999})
		if err != nil {
			return err
		}
		now := d.clockNow()
		set := time.Date(now.Year(), now.Month(), now.Day(), h, m, 0, 0, time.UTC).Add(time.Duration(sec * float64(time.Second)))
		d.clock += set.Sub(now)
		return nil
	})
	cmds.Handle("SYSTem:TIME?", func(d *truevolt, c *sim.Call) error {
		now := d.clockNow()
		ms := now.Nanosecond() / int(time.Millisecond)
		c.Reply(fmt.Sprintf("%+03d,%+03d,%+03d.%03d", now.Hour(), now.Minute(), now.Second(), ms))
		return nil
	})
	// SYSTem:PRESet is *RST for the front panel: the same, but with
	// statistics and the histogram on.
	cmds.Handle("SYSTem:PRESet", func(d *truevolt, _ *sim.Call) error {
		d.Reset()
		d.stats = truevoltStats{on: true}
		d.math.hist.on = true
		return nil
	})
	cmds.Handle("*LRN?", func(d *truevolt, c *sim.Call) error {
		c.Reply(d.learn(model, high))
		return nil
	})
}

// learn is the *LRN? reply: the commands that, sent back, restore every
// setting (not the readings, the status registers or the clock).
func (d *truevolt) learn(model string, high bool) string {
	var out []string
	add := func(cmd string, args ...string) { out = append(out, ":"+cmd+" "+strings.Join(args, ",")) }
	num := func(v float64) string { return string(sim.AppendFloat(signed(v), v, 'E', 8)) }
	boolean := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	quoted := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	add("FUNC", quoted(truevoltFunctions[d.function].name))
	for fn, f := range truevoltFunctions {
		if f.sense == "" {
			continue
		}
		s := d.fn[fn]
		p := shortConf(f.conf)
		if fn != fnTemp {
			rng := p + ":RANG"
			if fn == fnFreq || fn == fnPer {
				rng = p + ":VOLT:RANG"
			}
			add(rng, num(s.rng))
			add(rng+":AUTO", boolean(s.auto))
		}
		add(p+":NULL:VAL", num(s.nullVal))
		add(p+":NULL:VAL:AUTO", boolean(s.nullAuto))
		add(p+":NULL:STAT", boolean(s.null))
		if f.integrates {
			add(p+":NPLC", num(s.nplc))
			add(p+":ZERO:AUTO", boolean(s.zero))
			if fn != fnTemp {
				add(p+":RES", num(s.res))
			}
			if high {
				add(p+":APER", num(s.aperture))
				add(p+":APER:ENAB", boolean(s.aperOn))
			}
		}
		switch fn {
		case fnVolt:
			add(p+":IMP:AUTO", boolean(s.impAuto))
		case fnCurr, fnCurrAC:
			if model != "34460A" {
				add(p+":TERM", strconv.Itoa(s.terms))
			}
		case fnRes, fnFRes:
			add(p+":OCOM", boolean(s.ocomp))
		case fnTemp:
			add(p+":TRAN:TYPE", []string{"FRTD", "RTD", "FTH", "THER"}[s.trans])
		}
		if fn == fnVoltAC || fn == fnCurrAC {
			add(p+":BAND", num(s.band))
		}
	}
	add("FREQ:APER", num(d.freqAper))
	add("FREQ:RANG:LOW", num(d.freqLower))
	add("TEMP:TRAN:RTD:RES", num(d.rtdRef))
	add("TRIG:SOUR", sim.ShortForm(truevoltTrigSources[d.trigSource]))
	if math.IsInf(d.trigCount, 1) {
		add("TRIG:COUN", "INF")
	} else {
		add("TRIG:COUN", strconv.Itoa(int(d.trigCount)))
	}
	add("TRIG:DEL", num(d.trigDelay))
	add("TRIG:DEL:AUTO", boolean(d.trigAutoDel))
	add("TRIG:SLOP", []string{"POS", "NEG"}[d.trigSlope])
	add("SAMP:COUN", strconv.Itoa(d.sampleCount))
	if high {
		add("TRIG:LEV", num(d.trigLevel))
		add("SAMP:COUN:PRET", strconv.Itoa(d.pretrigger))
	}
	add("SAMP:SOUR", []string{"IMM", "TIM"}[d.sampleSource])
	add("SAMP:TIM", num(d.sampleTimer))
	add("OUTP:TRIG:SLOP", []string{"POS", "NEG"}[d.outSlope])
	add("DATA:POIN:EVEN:THR", strconv.Itoa(d.threshold))
	add("UNIT:TEMP", []string{"C", "F", "K"}[d.tempUnit])
	if d.real64 {
		add("FORM", "REAL", "64")
	} else {
		add("FORM", "ASC", "9")
	}
	add("FORM:BORD", []string{"NORM", "SWAP"}[boolIndex(d.swapped)])
	add("DISP", boolean(d.display))
	add("DISP:TEXT", quoted(d.displayText))
	add("DISP:VIEW", []string{"NUM", "HIST", "TCH", "MET"}[d.view])
	add("HCOP:SDUM:DATA:FORM", []string{"PNG", "BMP"}[boolIndex(d.hcopyBMP)])
	add("SYST:BEEP:STAT", boolean(d.beeper))
	add("CALC:LIM:LOW", num(d.lower))
	add("CALC:LIM:UPP", num(d.upper))
	add("CALC:LIM:STAT", boolean(d.limitOn))
	add("CALC:AVER:STAT", boolean(d.stats.on))
	m := &d.math
	add("CALC:SCAL:FUNC", []string{"DB", "DBM", "PCT", "SCAL"}[m.scaleFn])
	add("CALC:SCAL:DB:REF", num(m.dbRef))
	add("CALC:SCAL:DBM:REF", num(m.dbmRef))
	if high {
		add("CALC:SCAL:REF", num(m.pctRef))
		add("CALC:SCAL:GAIN", num(m.gain))
		add("CALC:SCAL:OFFS", num(m.offset))
		add("CALC:SCAL:UNIT", quoted(m.unit))
		add("CALC:SCAL:UNIT:STAT", boolean(m.unitOn))
		add("CALC:SMO:RESP", []string{"SLOW", "MED", "FAST"}[m.smoothResp])
		add("CALC:SMO:STAT", boolean(m.smoothOn))
	}
	add("CALC:SCAL:REF:AUTO", boolean(m.refAuto))
	add("CALC:SCAL:STAT", boolean(m.scaleOn))
	h := &m.hist
	add("CALC:TRAN:HIST:POIN", strconv.Itoa(h.points))
	if !h.auto {
		add("CALC:TRAN:HIST:RANG:LOW", num(h.lo))
		add("CALC:TRAN:HIST:RANG:UPP", num(h.hi))
	}
	add("CALC:TRAN:HIST:RANG:AUTO", boolean(h.auto))
	add("CALC:TRAN:HIST:STAT", boolean(h.on))
	return strings.Join(out, ";")
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// The screen is the Truevolt's 4.3 inch display, 480 by 272 pixels.
const screenW, screenH = 480, 272

// screen draws what HCOPy:SDUMp:DATA? captures, in two colours: dark
// when the display is off; otherwise a frame and a bar for the last
// reading as a fraction of its range (the meter view's needle). No text
// is drawn: the simulation has no font.
func (d *truevolt) screen() *image.Paletted {
	img := image.NewPaletted(image.Rect(0, 0, screenW, screenH), color.Palette{color.Black, color.White})
	if !d.display {
		return img
	}
	for y := 2; y < screenH-2; y++ {
		for x := 2; x < screenW-2; x++ {
			img.SetColorIndex(x, y, 1)
		}
	}
	frac := 0.0
	if n := len(d.memory); n > 0 {
		x := d.memory[n-1]
		rng := d.fn[d.function].rng
		switch {
		case math.IsNaN(x):
		case math.IsInf(x, 0) || rng == 0:
			frac = 1
		default:
			frac = min(math.Abs(x)/(rng*1.2), 1)
		}
	}
	w := int(frac * float64(screenW-40))
	for y := 120; y < 152; y++ {
		for x := 20; x < 20+w; x++ {
			img.SetColorIndex(x, y, 0)
		}
	}
	return img
}

// encodeBMP1 encodes a two-colour image as a 1-bit Windows BMP, bottom
// row first, rows padded to four bytes.
func encodeBMP1(img *image.Paletted) []byte {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	stride := (w + 31) / 32 * 4
	const headers = 14 + 40 + 8
	size := headers + stride*h
	b := make([]byte, 0, size)
	le := binary.LittleEndian
	b = append(b, 'B', 'M')
	b = le.AppendUint32(b, uint32(size))
	b = le.AppendUint32(b, 0)
	b = le.AppendUint32(b, headers)
	b = le.AppendUint32(b, 40)
	b = le.AppendUint32(b, uint32(w))
	b = le.AppendUint32(b, uint32(h))
	b = le.AppendUint16(b, 1) // planes
	b = le.AppendUint16(b, 1) // bits per pixel
	b = le.AppendUint32(b, 0) // no compression
	b = le.AppendUint32(b, uint32(stride*h))
	b = le.AppendUint32(b, 2835) // 72 dpi
	b = le.AppendUint32(b, 2835)
	b = le.AppendUint32(b, 2) // palette entries
	b = le.AppendUint32(b, 2)
	b = append(b, 0, 0, 0, 0, 255, 255, 255, 0) // black, white (BGRX)
	for y := h - 1; y >= 0; y-- {
		row := make([]byte, stride)
		for x := range w {
			if img.ColorIndexAt(x, y) == 1 {
				row[x/8] |= 0x80 >> (x % 8)
			}
		}
		b = append(b, row...)
	}
	return b
}
