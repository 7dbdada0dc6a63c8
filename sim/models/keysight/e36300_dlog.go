package keysight

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/sim"
)

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
	if !strings.HasSuffix(strings.ToLower(file), ".dlog") {
		return sim.ErrIllegalParameterValue.WithInfo("a data log file name ends in .dlog")
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
// grid; a clock moved far on takes at most what the log keeps.
func (d *e36300) dlogAdvance(now time.Time) {
	l := &d.dlog
	if l.state == dlogIdle || now.Before(l.sampleTime(l.k)) {
		return
	}
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
	if l.state == dlogWaiting && len(l.at) > 2*l.pre {
		l.keepLast(l.pre)
	}
	if l.state == dlogRunning && len(l.at) >= l.total {
		d.dlogFinish()
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
		if err := c.Params(1, 1); err != nil {
			return err
		}
		file, err := c.String(0)
		if err != nil {
			return err
		}
		return d.dlogStart(file)
	})
	cmds.Handle("ABORt:DLOG", func(d *e36300, _ *sim.Call) error { d.dlogFinish(); return nil })
	cmds.Handle("MMEMory:EXPort:DLOG", func(d *e36300, c *sim.Call) error {
		if err := c.Params(1, 1); err != nil {
			return err
		}
		file, err := c.String(0)
		if err != nil {
			return err
		}
		switch {
		case !strings.HasSuffix(strings.ToLower(file), ".csv"):
			return sim.ErrIllegalParameterValue.WithInfo("the export file name ends in .csv")
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
