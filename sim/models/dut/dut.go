package dut

import (
	"math"
	"sync"
	"time"

	"github.com/scpikit/scpikit/sim"
)

// The DUT model: a device under test with a SCPI-style console, powered
// from a supply output it is wired to on a bench. It draws current while
// powered (a boot inrush, then a steady draw), warms up under load, and
// can be told to fault. Unpowered, its console is silent, as a real
// board's is.
//
//	*IDN?                         scpikit,DUT-1,<serial>,1.0
//	*TST?                         0 when powered and healthy
//	SYSTem:STATe?                 OFF | BOOTING | READY | FAULT
//	FAULt?                        <code>,"<name>": 0 NONE, 1 OVERCURRENT,
//	                              2 OVERTEMPERATURE, 3 BROWNOUT
//	FAULt:CLEar
//	MEASure:TEMPerature?          board temperature, °C
//	MEASure:VOLTage?              input voltage as the board sees it
//	MEASure:CURRent?              its own current draw
//	LOAD <W> | LOAD?              the workload, in watts at nominal input
type dutDevice struct {
	serial string
	elec   *dutElectrical
}

// dutElectrical is the board's electrical and thermal state. The supply
// output it hangs on calls Current under the output's lock, so it has a
// lock of its own, always taken last.
type dutElectrical struct {
	mu          sync.Mutex
	nominal     float64 // volts
	power       float64 // watts at nominal input
	supply      *sim.Output
	energizedAt time.Time // when the input rose from zero: the inrush decays from here
	poweredAt   time.Time // when the input crossed the power-on threshold; zero below it
	lastV       float64
	settledAt   time.Time // the latest evaluation applied: an older one comes late and is not
	fault       int
	forced      int // a fault injected and held
	hung        bool
}

const (
	dutFaultNone = iota
	dutFaultOvercurrent
	dutFaultOvertemperature
	dutFaultBrownout
)

var dutFaultNames = []string{"NONE", "OVERCURRENT", "OVERTEMPERATURE", "BROWNOUT"}

const (
	dutBootTime    = 200 * time.Millisecond
	dutInrushTau   = 20 * time.Millisecond
	dutThermalTau  = 30 * time.Second
	dutAmbient     = 25.0
	dutDegPerWatt  = 7.0 // steady rise per watt dissipated
	dutOverTemp    = 85.0
	dutPowerOnFrac = 0.8 // of nominal input
)

func newDUT() *dutDevice {
	return &dutDevice{serial: "DUT0001", elec: &dutElectrical{nominal: 12, power: 6}}
}

func (d *dutDevice) Identity() string { return "scpikit,DUT-1," + d.serial + ",1.0" }

// SetSerial gives the board its serial number (Instrument.SetSerial); it
// is called under the instrument's lock, as Identity is.
func (d *dutDevice) SetSerial(s string) { d.serial = s }

func (d *dutDevice) Reset() {
	e := d.elec
	e.mu.Lock()
	defer e.mu.Unlock()
	e.power, e.fault, e.forced, e.hung = 6, dutFaultNone, dutFaultNone, false
}

// PoweredBy wires the board to a supply output.
func (d *dutDevice) PoweredBy(o *sim.Output) {
	d.elec.mu.Lock()
	defer d.elec.mu.Unlock()
	d.elec.supply = o
}

// Current is the board's draw at input voltage v: its input capacitors
// charging (an inrush decaying from when power arrived), plus, above its
// power-on threshold, a resistive load at its nominal power, three times
// over with an overcurrent fault. It changes nothing: see Settle.
func (d *dutDevice) Current(v float64, now time.Time) float64 {
	e := d.elec
	e.mu.Lock()
	defer e.mu.Unlock()
	r := e.nominal * e.nominal / e.power
	var t time.Duration
	if !e.energizedAt.IsZero() {
		t = max(now.Sub(e.energizedAt), 0) // an evaluation stamped before power came sees the peak, not more
	}
	i := 3 * (v / r) * math.Exp(-float64(t)/float64(dutInrushTau)) // charging the input capacitors
	if v < dutPowerOnFrac*e.nominal {
		return i + v/10e3 // under the threshold: only the input divider
	}
	load := v / r
	if e.forced == dutFaultOvercurrent {
		load *= 3
	}
	return i + load
}

// Settle is told the voltage the board really gets: it boots when the
// input crosses the threshold, and latches a brown-out when a running
// board's input sags below it (as opposed to being switched off).
func (d *dutDevice) Settle(v float64, now time.Time) {
	e := d.elec
	e.mu.Lock()
	defer e.mu.Unlock()
	// Evaluations of the supply from several goroutines (a monitor, the
	// console, a settings change) can reach the board out of their time
	// order: one stamped earlier than what the board has seen says
	// nothing new, and must not latch a brown-out or restart the inrush.
	if now.Before(e.settledAt) {
		return
	}
	e.settledAt = now
	e.lastV = v
	switch {
	case v <= 0.05*e.nominal:
		e.energizedAt, e.poweredAt = time.Time{}, time.Time{}
		return
	case e.energizedAt.IsZero():
		e.energizedAt = now
	}
	powered := v >= dutPowerOnFrac*e.nominal
	switch {
	case powered && e.poweredAt.IsZero():
		e.poweredAt = now
	case !powered && !e.poweredAt.IsZero():
		e.fault = dutFaultBrownout
		e.poweredAt = time.Time{}
	}
}

// state brings the electrical state up to now through the supply, then
// reports it. It must not be called with e.mu held.
func (d *dutDevice) state(now time.Time) (v, temp float64, powered bool, since time.Duration) {
	e := d.elec
	if e.supply != nil {
		e.supply.Measure(now) // re-evaluates the operating point, which calls Current
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.poweredAt.IsZero() {
		return e.lastV, dutAmbient, false, 0
	}
	since = now.Sub(e.poweredAt)
	dissipated := e.power * (e.lastV / e.nominal) * (e.lastV / e.nominal)
	if e.forced == dutFaultOvercurrent {
		dissipated *= 3
	}
	temp = dutAmbient + dutDegPerWatt*dissipated*(1-math.Exp(-float64(since)/float64(dutThermalTau)))
	if e.forced == dutFaultOvertemperature {
		temp += 60
	}
	if temp > dutOverTemp && e.fault == dutFaultNone {
		e.fault = dutFaultOvertemperature
	}
	if e.forced != dutFaultNone && e.fault == dutFaultNone {
		e.fault = e.forced
	}
	return e.lastV, temp, true, since
}

// Awake reports whether the console answers: powered and not hung.
func (d *dutDevice) Awake() bool {
	_, _, powered, _ := d.state(time.Now())
	d.elec.mu.Lock()
	defer d.elec.mu.Unlock()
	return powered && !d.elec.hung
}

// InjectFault: overcurrent, overtemperature, brownout, hang, or clear.
func (d *dutDevice) InjectFault(name string) error {
	e := d.elec
	e.mu.Lock()
	defer e.mu.Unlock()
	switch name {
	case "overcurrent":
		e.forced = dutFaultOvercurrent
	case "overtemperature":
		e.forced = dutFaultOvertemperature
	case "brownout":
		e.fault = dutFaultBrownout
	case "hang":
		e.hung = true
	case "clear":
		e.forced, e.fault, e.hung = dutFaultNone, dutFaultNone, false
	default:
		return sim.ErrIllegalParameterValue.WithInfo("DUT faults: overcurrent, overtemperature, brownout, hang, clear")
	}
	return nil
}

func (d *dutDevice) SelfTest() int {
	_, _, powered, since := d.state(time.Now())
	d.elec.mu.Lock()
	defer d.elec.mu.Unlock()
	if !powered || since < dutBootTime || d.elec.fault != dutFaultNone {
		return 1
	}
	return 0
}

func dutCommands() *sim.Commands[*dutDevice] {
	cmds := sim.NewCommands[*dutDevice]()
	cmds.Handle("SYSTem:STATe?", func(d *dutDevice, c *sim.Call) error {
		_, _, powered, since := d.state(time.Now())
		d.elec.mu.Lock()
		fault := d.elec.fault
		d.elec.mu.Unlock()
		switch {
		case !powered:
			c.Reply("OFF")
		case fault != dutFaultNone:
			c.Reply("FAULT")
		case since < dutBootTime:
			c.Reply("BOOTING")
		default:
			c.Reply("READY")
		}
		return nil
	})
	cmds.Handle("FAULt?", func(d *dutDevice, c *sim.Call) error {
		d.state(time.Now())
		d.elec.mu.Lock()
		f := d.elec.fault
		d.elec.mu.Unlock()
		c.ReplyInt(int64(f))
		c.ReplyString(dutFaultNames[f])
		return nil
	})
	cmds.Handle("FAULt:CLEar", func(d *dutDevice, c *sim.Call) error {
		d.elec.mu.Lock()
		defer d.elec.mu.Unlock()
		d.elec.fault = d.elec.forced // a held fault comes straight back
		return nil
	})
	cmds.Handle("MEASure:TEMPerature?", func(d *dutDevice, c *sim.Call) error {
		_, temp, _, _ := d.state(time.Now())
		c.ReplyFixed(temp, 2)
		return nil
	})
	cmds.Handle("MEASure:VOLTage?", func(d *dutDevice, c *sim.Call) error {
		v, _, _, _ := d.state(time.Now())
		c.ReplyFixed(v, 3)
		return nil
	})
	cmds.Handle("MEASure:CURRent?", func(d *dutDevice, c *sim.Call) error {
		now := time.Now()
		v, _, _, _ := d.state(now)
		c.ReplyFixed(d.Current(v, now), 4)
		return nil
	}) // what the board's own shunt reads
	cmds.Number("LOAD", func(*dutDevice, *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "W", Min: 0.5, Max: 30, Default: 6}, nil
	}, func(d *dutDevice, _ *sim.Call) float64 {
		d.elec.mu.Lock()
		defer d.elec.mu.Unlock()
		return d.elec.power
	}, func(d *dutDevice, _ *sim.Call, w float64) error {
		d.elec.mu.Lock()
		defer d.elec.mu.Unlock()
		d.elec.power = w
		return nil
	}, nil)
	cmds.Handle("SYSTem:ERRor[:NEXT]?", sim.ErrorQueryHandler[*dutDevice])
	return cmds
}

func init() {
	sim.MustRegister("DUT", "a device under test with a console, powered from a supply output", dutCommands(), newDUT)
}
