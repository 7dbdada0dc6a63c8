package instruments_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
)

// simulated opens the driver Open detects for a simulated model, with a
// resistor of the given ohms on every output.
func simulated(t *testing.T, model string, ohms float64) (instruments.Instrument, *sim.Instrument) {
	t.Helper()
	bench := sim.NewBench()
	t.Cleanup(bench.Close)
	in := sim.MustNew(model)
	res := "TCPIP0::10.1.1.1::5025::SOCKET"
	must(t, bench.Add(res, in))
	for ch := 1; ; ch++ {
		if err := bench.Wire(in, ch, sim.Resistor(ohms)); err != nil {
			break
		}
	}
	inst, err := instruments.Open(bg, res, instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst, in
}

// supplyModels lists every registered simulated model that instruments.Open
// drives as a PowerSupply, from sim.Models(): a new supply model and its
// driver are tested here, channel by channel, without being listed.
// Models whose console is silent until powered (the DUT) cannot be opened
// alone and are left out.
func supplyModels(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, m := range sim.Models() {
		asleep := false
		probe := m.New()
		probe.Do(func(d sim.Device) {
			s, ok := d.(sim.Sleeper)
			asleep = ok && !s.Awake()
		})
		probe.Close()
		if asleep {
			continue
		}
		if inst, _ := simulated(t, m.Name, 100); isSupply(inst) {
			out = append(out, m.Name)
		}
	}
	if len(out) == 0 {
		t.Fatal("no simulated supply model is registered")
	}
	return out
}

func isSupply(inst instruments.Instrument) bool {
	_, ok := inst.(instruments.PowerSupply)
	return ok
}

// TestSupplyBehaviour runs every simulated supply model through its
// driver, one subtest per model and channel (E36312A/CH2).
func TestSupplyBehaviour(t *testing.T) {
	for _, model := range supplyModels(t) {
		t.Run(model, func(t *testing.T) {
			inst, _ := simulated(t, model, 100)
			p, ok := inst.(instruments.PowerSupply)
			if !ok {
				t.Fatalf("%T is not a PowerSupply", inst)
			}
			for _, c := range p.Channels() {
				t.Run(c.Name, func(t *testing.T) {
					// Half the range, a generous limit: constant voltage.
					v := (c.MaxVoltage + c.MinVoltage) / 2
					if c.MaxVoltage <= 0 {
						v = c.MinVoltage / 2
					}
					must(t, p.SetVoltage(bg, c.Number, v))
					must(t, p.SetCurrentLimit(bg, c.Number, c.MaxCurrent))
					if got, err := p.Voltage(bg, c.Number); err != nil || !near(float64(got), float64(v)) {
						t.Fatalf("channel %d: Voltage = %v, %v; want %v", c.Number, got, err, v)
					}
					if got, err := p.CurrentLimit(bg, c.Number); err != nil || !near(float64(got), float64(c.MaxCurrent)) {
						t.Fatalf("channel %d: CurrentLimit = %v, %v", c.Number, got, err)
					}
					if on, _ := p.Output(bg, c.Number); !on {
						if m, _ := p.Mode(bg, c.Number); m != instruments.ModeOff {
							t.Fatalf("channel %d: mode %v before switching on", c.Number, m)
						}
					}
					if err := p.SetOutput(bg, c.Number, true); errors.Is(err, instruments.ErrNotSupported) {
						must(t, p.SetAllOutputs(bg, true)) // one switch for every output (E3631A)
					} else {
						must(t, err)
					}
					if on, err := p.Output(bg, c.Number); err != nil || !on {
						t.Fatalf("channel %d: Output = %v, %v", c.Number, on, err)
					}
					mv, _ := p.MeasureVoltage(bg, c.Number)
					mi, _ := p.MeasureCurrent(bg, c.Number)
					wantI := float64(v) / 100
					if model == "SAMPLE" {
						wantI = float64(v) / 10 // the sample model's own fixed 10 ohm loads
					}
					if !near(float64(mv), float64(v)) || !near(math.Abs(float64(mi)), math.Abs(wantI)) {
						t.Fatalf("channel %d: measured %v, %v; want %v, %.4g A", c.Number, mv, mi, v, wantI)
					}
					if m, _ := p.Mode(bg, c.Number); m != instruments.ModeCV && !(model == "SAMPLE" && m == instruments.ModeCC) {
						t.Fatalf("channel %d: mode %v, want CV", c.Number, m)
					}
				})
			}
			must(t, p.SafeState(bg))
			for _, c := range p.Channels() {
				if on, _ := p.Output(bg, c.Number); on {
					t.Fatalf("channel %d on after SafeState", c.Number)
				}
			}
			must(t, p.SetAllOutputs(bg, true))
			for _, c := range p.Channels() {
				if on, _ := p.Output(bg, c.Number); !on {
					t.Fatalf("channel %d off after SetAllOutputs(true)", c.Number)
				}
			}
			must(t, p.SafeState(bg))
			// Out-of-range values never reach the model.
			if err := p.SetVoltage(bg, 1, p.Channels()[0].MaxVoltage+1); !errors.Is(err, instruments.ErrOutOfRange) {
				t.Fatalf("over-range voltage: %v", err)
			}
			if _, err := p.Output(bg, len(p.Channels())+1); !errors.Is(err, instruments.ErrNoChannel) {
				t.Fatalf("missing channel: %v", err)
			}
			if err := p.Session().CheckErrors(bg); err != nil {
				t.Fatalf("the model logged errors: %v", err)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-6+1e-6*math.Abs(b) }

// The constant-current crossover: a limit below what the load draws.
func TestSupplyCrossoverAndProtection(t *testing.T) {
	for _, model := range []string{"E36312A", "DP832", "HMC8043"} {
		t.Run(model, func(t *testing.T) {
			inst, _ := simulated(t, model, 10)
			p := inst.(instruments.PowerSupply)
			must(t, p.SetVoltage(bg, 2, 10*units.Volt)) // wants 1 A into 10 ohms
			must(t, p.SetCurrentLimit(bg, 2, 200*units.Milliamp))
			must(t, p.SetOutput(bg, 2, true))
			if m, _ := p.Mode(bg, 2); m != instruments.ModeCC {
				t.Fatalf("mode %v, want CC", m)
			}
			if v, _ := p.MeasureVoltage(bg, 2); !near(float64(v), 2) {
				t.Fatalf("CC voltage %v, want 2 V", v)
			}
			// OCP trips the output off; clearing it lets it back on.
			ocp := inst.(instruments.OverCurrentProtector)
			must(t, ocp.SetOCP(bg, 2, true))
			if l, ok := inst.(instruments.OCPLeveler); ok {
				// The DP800's OCP trips above its own level, not at the limit.
				must(t, l.SetOCPLevel(bg, 2, 100*units.Milliamp))
				if i, err := l.OCPLevel(bg, 2); err != nil || !near(float64(i), 0.1) {
					t.Fatalf("OCP level %v, %v; want 100 mA", i, err)
				}
			} else if model == "DP832" {
				t.Fatal("the DP800 driver has no OCP level")
			}
			// The HMC804x's electronic fuse trips after its delay (10 ms at
			// least, as on the real unit): wait for the trip as a program
			// driving a real supply would, bounded by a deadline.
			ctx, cancel := context.WithTimeout(bg, 10*time.Second)
			tripped := false
			for !tripped && ctx.Err() == nil {
				tripped, _ = ocp.OCPTripped(ctx, 2)
			}
			cancel()
			if !tripped {
				t.Fatal("OCP did not trip")
			}
			if on, _ := p.Output(bg, 2); on {
				t.Fatal("output on after an OCP trip")
			}
			must(t, ocp.SetOCP(bg, 2, false))
			must(t, ocp.ClearOCP(bg, 2))
			if tripped, _ := ocp.OCPTripped(bg, 2); tripped {
				t.Fatal("OCP still tripped after clearing")
			}
			// OVP: a level below the setting trips the output.
			ovp := inst.(instruments.OverVoltageProtector)
			must(t, p.SetCurrentLimit(bg, 2, p.Channels()[1].MaxCurrent))
			must(t, p.SetOutput(bg, 2, true))
			must(t, ovp.SetOVPLevel(bg, 2, 8*units.Volt))
			if level, _ := ovp.OVPLevel(bg, 2); !near(float64(level), 8) {
				t.Fatalf("OVP level %v", level)
			}
			if tripped, _ := ovp.OVPTripped(bg, 2); !tripped {
				t.Fatal("OVP did not trip with the setting above the level")
			}
			must(t, p.SetVoltage(bg, 2, 5*units.Volt))
			must(t, ovp.ClearOVP(bg, 2))
			must(t, p.SetOutput(bg, 2, true))
			if on, _ := p.Output(bg, 2); !on {
				t.Fatal("output would not come back on after clearing OVP")
			}
			must(t, p.SafeState(bg))
		})
	}
}

func TestRemoteSenseAndTracking(t *testing.T) {
	inst, in := simulated(t, "E36312A", 100)
	must(t, inst.(instruments.RemoteSenser).SetRemoteSense(bg, 1, true))
	must(t, inst.(instruments.Tracker).SetTracking(bg, true))
	p := inst.(instruments.PowerSupply)
	must(t, p.SetVoltage(bg, 2, 7*units.Volt))
	if v, _ := p.Voltage(bg, 3); !near(float64(v), 7) {
		t.Fatalf("tracking: channel 3 at %v", v)
	}
	s := scpi.NewSession(in.Conn())
	defer s.Close()
	if src, _ := s.Query(bg, "VOLT:SENS:SOUR? (@1)"); src != "EXT" {
		t.Fatalf("sense source %q", src)
	}
}

func TestDUTBehaviour(t *testing.T) {
	bench, err := sim.LoadBench("../sim/testdata/dut-bench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	opt := instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption()), scpi.WithTimeout(2*time.Second))
	psuInst, err := instruments.Open(bg, "TCPIP0::10.0.0.20::5025::SOCKET", opt)
	if err != nil {
		t.Fatal(err)
	}
	defer psuInst.Close()
	psu := psuInst.(instruments.PowerSupply)
	// The board is silent until powered, so power it before opening it.
	must(t, psu.SetVoltage(bg, 2, 12*units.Volt))
	must(t, psu.SetCurrentLimit(bg, 2, 1*units.Amp))
	must(t, psu.SetOutput(bg, 2, true))
	var inst instruments.Instrument
	deadline := time.Now().Add(10 * time.Second)
	for inst == nil {
		probe, cancel := context.WithTimeout(bg, 100*time.Millisecond) // a booting board is silent
		inst, err = instruments.Open(probe, "ASRL/dev/ttyUSB0::INSTR", opt)
		cancel()
		if err != nil && time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	defer inst.Close()
	dut, ok := inst.(instruments.DUT)
	if !ok {
		t.Fatalf("%T is not a DUT", inst)
	}
	for time.Now().Before(deadline) {
		if dut.SelfTest(bg) == nil {
			break
		}
	}
	must(t, dut.SelfTest(bg))
	if f, err := dut.FaultStatus(bg); err != nil || f.Code != 0 {
		t.Fatalf("%v %v", f, err)
	}
	board, _ := bench.Named("board")
	must(t, board.Inject(sim.TimedFault{Fault: "overtemperature"}))
	if f, _ := dut.FaultStatus(bg); f != (instruments.Fault{Code: 2, Name: "OVERTEMPERATURE"}) {
		t.Fatalf("fault %+v", f)
	}
	var ste *instruments.SelfTestError
	if err := dut.SelfTest(bg); !errors.As(err, &ste) {
		t.Fatalf("self-test under a fault: %v", err)
	}
	// Reset clears the workload back to its default (6 W: 0.5 A at 12 V).
	must(t, dut.Session().Write(bg, "LOAD 12"))
	must(t, dut.Reset(bg))
	if w, _ := dut.Session().QueryFloat(bg, "LOAD?"); w != 6 {
		t.Fatalf("LOAD after Reset = %v", w)
	}
	must(t, psu.SafeState(bg))
	silent, cancel := context.WithTimeout(bg, 100*time.Millisecond) // the session's own 2 s is for loaded machines
	defer cancel()
	if _, err := dut.Identify(silent); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("an unpowered board answered: %v", err)
	}
}

func TestDetection(t *testing.T) {
	for model, want := range map[string]string{
		"E36311A": "*instruments.E36300", "E36312A": "*instruments.E36300Tracking", "DP821": "*instruments.DP800",
		"SAMPLE": "*instruments.GenericSupply",
	} {
		inst, _ := simulated(t, model, 100)
		if got := typeName(inst); got != want {
			t.Errorf("%s: driver %s, want %s", model, got, want)
		}
	}
}

func typeName(v any) string { return fmtType(v) }

// The SPD3303X drops commands that come too close. The driver has the
// session pace every command, so the session's own error query after
// each write (CheckAfterWrite) and commands sent through Session land
// too. Before, the driver paced only its own: each SetVoltage failed
// with a timeout on its SYST:ERR?, and a query straight after a driver
// call was dropped.
func TestSPD3303XPacesTheSessionsCommandsToo(t *testing.T) {
	bench := sim.NewBench()
	t.Cleanup(bench.Close)
	res := "TCPIP0::10.1.1.7::5025::SOCKET"
	must(t, bench.Add(res, sim.MustNew("SPD3303X")))
	inst, err := instruments.Open(bg, res, instruments.WithSessionOptions(scpi.WithTimeout(time.Minute),
		scpi.WithErrorCheck(scpi.CheckAfterWrite), scpi.WithTransportOptions(bench.TransportOption())))
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	p := inst.(instruments.PowerSupply)
	for _, v := range []units.Voltage{1, 2, 3} {
		must(t, p.SetVoltage(bg, 1, v))
	}
	if v, err := p.Voltage(bg, 1); err != nil || v != 3 {
		t.Fatalf("voltage %v, %v; want 3 V", v, err)
	}
	if r, err := inst.Session().Query(bg, "CH1:VOLT?"); err != nil || r == "" {
		t.Fatalf("a query through Session straight after a driver call: %q, %v", r, err)
	}
}

// The SPD3303X drops commands that arrive back to back; the driver paces
// its own, so a burst of driver calls all land.
func TestSPD3303XPacing(t *testing.T) {
	inst, in := simulated(t, "SPD3303X", 100)
	p := inst.(instruments.PowerSupply)
	for _, v := range []units.Voltage{1, 2, 3, 4, 5} {
		must(t, p.SetVoltage(bg, 1, v))
	}
	if v, _ := p.Voltage(bg, 1); v != 5 {
		t.Fatalf("after five paced writes: %v", v)
	}
	// Unpaced, straight to the instrument: the second command is lost.
	c := in.Conn()
	defer c.Close()
	time.Sleep(instruments.SPD3303XCommandGap) // after the driver's last command
	c.Write([]byte("CH1:VOLT 7\nCH1:VOLT 8\n"))
	time.Sleep(instruments.SPD3303XCommandGap)
	if v, _ := p.Voltage(bg, 1); v != 7 {
		t.Fatalf("unpaced burst: CH1 at %v, want the first command only (7)", v)
	}
	if _, ok := inst.(instruments.OverVoltageProtector); ok {
		t.Fatal("the SPD3303X driver claims OVP")
	}
}

// An HMC804x output is live only with its channel and the master on.
func TestHMC804xMasterSwitch(t *testing.T) {
	inst, _ := simulated(t, "HMC8042", 100)
	p := inst.(instruments.PowerSupply)
	ms := inst.(instruments.MasterSwitch)
	must(t, p.SetVoltage(bg, 1, 5*units.Volt))
	must(t, p.SetOutput(bg, 1, true)) // channel and master
	if on, _ := p.Output(bg, 1); !on {
		t.Fatal("output 1 not live")
	}
	must(t, ms.SetMasterOutput(bg, false))
	if on, _ := p.Output(bg, 1); on {
		t.Fatal("output 1 live with the master off")
	}
	if v, _ := p.MeasureVoltage(bg, 1); v != 0 {
		t.Fatalf("%v at the terminals with the master off", v)
	}
	must(t, ms.SetMasterOutput(bg, true))
	if on, _ := ms.MasterOutput(bg); !on {
		t.Fatal("master off")
	}
	if on, _ := p.Output(bg, 1); !on {
		t.Fatal("output 1 not live again with the master on")
	}
	must(t, p.SafeState(bg))
	if on, _ := ms.MasterOutput(bg); on {
		t.Fatal("SafeState left the master on")
	}
}

// SetOVPLevel arms the protection as well as setting its level: with OVP
// left off (the front panel, a saved setup), an output set above the
// level then trips and goes off. Before, it stayed on at 12 V.
func TestHMC804xOVPLevelArmsProtection(t *testing.T) {
	inst, _ := simulated(t, "HMC8043", 100)
	p := inst.(instruments.PowerSupply)
	o := inst.(instruments.OverVoltageProtector)
	must(t, inst.Session().Write(bg, "INST:NSEL 1"))
	must(t, inst.Session().Write(bg, "VOLT:PROT OFF"))
	must(t, o.SetOVPLevel(bg, 1, 5*units.Volt))
	must(t, p.SetVoltage(bg, 1, 12*units.Volt))
	must(t, p.SetCurrentLimit(bg, 1, 1*units.Amp))
	must(t, p.SetOutput(bg, 1, true))
	if tripped, err := o.OVPTripped(bg, 1); err != nil || !tripped {
		t.Errorf("OVP tripped: %v, %v; want true at 12 V over a 5 V level", tripped, err)
	}
	if on, err := p.Output(bg, 1); err != nil || on {
		t.Errorf("output on: %v, %v; want off once OVP tripped", on, err)
	}
}

// An unknown model gets the generic driver, and the log says so.
func TestUnknownModelWarns(t *testing.T) {
	bench := sim.NewBench()
	defer bench.Close()
	must(t, bench.Add("TCPIP0::10.1.1.9::5025::SOCKET", sim.MustNew("SAMPLE")))
	var logs strings.Builder
	inst, err := instruments.Open(bg, "TCPIP0::10.1.1.9::5025::SOCKET",
		instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption())),
		instruments.WithLogger(zerolog.New(&logs).Level(zerolog.WarnLevel)))
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if _, ok := inst.(*instruments.GenericSupply); !ok {
		t.Fatalf("driver %T", inst)
	}
	if !strings.Contains(logs.String(), "generic SCPI-99 supply driver") || !strings.Contains(logs.String(), "SAMPLE") {
		t.Fatalf("log: %s", logs.String())
	}
	if got := len(inst.(instruments.PowerSupply).Channels()); got != 2 {
		t.Fatalf("%d channels found", got)
	}
}

func TestE3631ATracking(t *testing.T) {
	inst, _ := simulated(t, "E3631A", 100)
	p := inst.(instruments.PowerSupply)
	must(t, inst.(instruments.Tracker).SetTracking(bg, true))
	must(t, p.SetVoltage(bg, 2, 10*units.Volt))
	if v, _ := p.Voltage(bg, 3); v != -10 {
		t.Fatalf("N25V at %v while tracking +10 V", v)
	}
	must(t, inst.(instruments.Tracker).SetTracking(bg, false))
	must(t, p.SetVoltage(bg, 2, 5*units.Volt))
	if v, _ := p.Voltage(bg, 3); v != -10 {
		t.Fatalf("N25V moved to %v after tracking was switched off", v)
	}
}

// TestEverySimulatedModelHasADriver: each registered simulated model
// (but the sample, which stands for "any other supply") identifies as a
// model some registered driver lists, so instruments.Open never falls
// back to the generic driver for a model we simulate.
func TestEverySimulatedModelHasADriver(t *testing.T) {
	driven := map[string]string{}
	for _, d := range instruments.Drivers() {
		for _, m := range d.Models {
			driven[m] = d.Name
		}
	}
	for _, m := range sim.Models() {
		if m.Name == "SAMPLE" {
			continue
		}
		in := m.New()
		var idn string
		in.Do(func(d sim.Device) { idn = d.Identity() })
		in.Close()
		id, err := scpi.ParseIDN(idn)
		if err != nil {
			t.Errorf("%s: *IDN? %q: %v", m.Name, idn, err)
			continue
		}
		if _, ok := driven[id.Model]; !ok {
			t.Errorf("simulated model %s identifies as %q, which no registered driver lists in its Models", m.Name, id.Model)
		}
	}
}
