package instruments_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
	"github.com/scpikit/scpikit/units"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

// scripted opens a driver on a scripted link that first answers *IDN?.
func scripted(t *testing.T, idn string, script ...scpitest.Exchange) instruments.Instrument {
	t.Helper()
	conn := scpitest.NewConn(t, append([]scpitest.Exchange{scpitest.Query("*IDN?", idn)}, script...)...)
	s := scpi.NewSession(conn)
	t.Cleanup(func() { s.Close() })
	inst, err := instruments.New(bg, s)
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// call is one driver method with its arguments, and what it returned.
type call struct {
	name string
	do   func(p instruments.PowerSupply) (any, error)
}

func supplyCalls() []call {
	return []call{
		{"SetVoltage(2, 12 V)", func(p instruments.PowerSupply) (any, error) { return nil, p.SetVoltage(bg, 2, 12*units.Volt) }},
		{"Voltage(2)", func(p instruments.PowerSupply) (any, error) { return p.Voltage(bg, 2) }},
		{"SetCurrentLimit(2, 500 mA)", func(p instruments.PowerSupply) (any, error) {
			return nil, p.SetCurrentLimit(bg, 2, 500*units.Milliamp)
		}},
		{"CurrentLimit(2)", func(p instruments.PowerSupply) (any, error) { return p.CurrentLimit(bg, 2) }},
		{"SetOutput(2, on)", func(p instruments.PowerSupply) (any, error) { return nil, p.SetOutput(bg, 2, true) }},
		{"Output(2)", func(p instruments.PowerSupply) (any, error) { return p.Output(bg, 2) }},
		{"MeasureVoltage(2)", func(p instruments.PowerSupply) (any, error) { return p.MeasureVoltage(bg, 2) }},
		{"MeasureCurrent(2)", func(p instruments.PowerSupply) (any, error) { return p.MeasureCurrent(bg, 2) }},
		{"Mode(2)", func(p instruments.PowerSupply) (any, error) { return p.Mode(bg, 2) }},
		{"SetAllOutputs(on)", func(p instruments.PowerSupply) (any, error) { return nil, p.SetAllOutputs(bg, true) }},
		{"SafeState()", func(p instruments.PowerSupply) (any, error) { return nil, p.SafeState(bg) }},
	}
}

func protectionCalls() []call {
	ovp := func(p instruments.PowerSupply) instruments.OverVoltageProtector {
		return p.(instruments.OverVoltageProtector)
	}
	ocp := func(p instruments.PowerSupply) instruments.OverCurrentProtector {
		return p.(instruments.OverCurrentProtector)
	}
	return []call{
		{"SetOVPLevel(2, 13 V)", func(p instruments.PowerSupply) (any, error) { return nil, ovp(p).SetOVPLevel(bg, 2, 13*units.Volt) }},
		{"OVPLevel(2)", func(p instruments.PowerSupply) (any, error) { return ovp(p).OVPLevel(bg, 2) }},
		{"OVPTripped(2)", func(p instruments.PowerSupply) (any, error) { return ovp(p).OVPTripped(bg, 2) }},
		{"ClearOVP(2)", func(p instruments.PowerSupply) (any, error) { return nil, ovp(p).ClearOVP(bg, 2) }},
		{"SetOCP(2, on)", func(p instruments.PowerSupply) (any, error) { return nil, ocp(p).SetOCP(bg, 2, true) }},
		{"OCPEnabled(2)", func(p instruments.PowerSupply) (any, error) { return ocp(p).OCPEnabled(bg, 2) }},
		{"OCPTripped(2)", func(p instruments.PowerSupply) (any, error) { return ocp(p).OCPTripped(bg, 2) }},
		{"ClearOCP(2)", func(p instruments.PowerSupply) (any, error) { return nil, ocp(p).ClearOCP(bg, 2) }},
	}
}

func runScript(t *testing.T, p instruments.PowerSupply, calls []call, want []any) {
	t.Helper()
	for i, c := range calls {
		got, err := c.do(p)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if diff := cmp.Diff(want[i], got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// From the E36300 Series Programming Guide: channel lists on every command.
func TestE36300Script(t *testing.T) {
	inst := scripted(t, "Keysight Technologies,E36312A,MY59001234,2.1.0-1.0.4-1.12",
		scpitest.Write("VOLT 12,(@2)"),
		scpitest.Query("VOLT? (@2)", "+1.20000000E+01"),
		scpitest.Write("CURR 0.5,(@2)"),
		scpitest.Query("CURR? (@2)", "+5.00000000E-01"),
		scpitest.Write("OUTP ON,(@2)"),
		scpitest.Query("OUTP? (@2)", "1"),
		scpitest.Query("MEAS:VOLT? (@2)", "+1.19998000E+01"),
		scpitest.Query("MEAS:CURR? (@2)", "+4.21000000E-01"),
		scpitest.Query("STAT:QUES:INST:ISUM2:COND?", "+2"),
		scpitest.Write("OUTP ON,(@1:3)"),
		scpitest.Write("OUTP OFF,(@1:3)"),
		scpitest.Query("OUTP? (@1)", "0"),
		scpitest.Query("OUTP? (@2)", "0"),
		scpitest.Query("OUTP? (@3)", "0"),
		scpitest.Write("VOLT:PROT 13,(@2)"),
		scpitest.Query("VOLT:PROT? (@2)", "+1.30000000E+01"),
		scpitest.Query("VOLT:PROT:TRIP? (@2)", "0"),
		scpitest.Write("VOLT:PROT:CLE (@2)"),
		scpitest.Write("CURR:PROT:STAT ON,(@2)"),
		scpitest.Query("CURR:PROT:STAT? (@2)", "1"),
		scpitest.Query("CURR:PROT:TRIP? (@2)", "1"),
		scpitest.Write("CURR:PROT:CLE (@2)"),
		scpitest.Write("VOLT:SENS:SOUR EXT,(@1)"),
		scpitest.Write("OUTP:TRAC ON"),
	)
	p := inst.(instruments.PowerSupply)
	runScript(t, p, supplyCalls(), []any{nil, units.Voltage(12), nil, units.Current(0.5), nil, true,
		units.Voltage(11.9998), units.Current(0.421), instruments.ModeCV, nil, nil})
	runScript(t, p, protectionCalls(), []any{nil, units.Voltage(13), false, nil, nil, true, true, nil})
	must(t, p.(instruments.RemoteSenser).SetRemoteSense(bg, 1, true))
	must(t, p.(instruments.Tracker).SetTracking(bg, true))
}

func TestE36311AHasNoTracking(t *testing.T) {
	inst := scripted(t, "Keysight Technologies,E36311A,MY1,1.0")
	if _, ok := inst.(instruments.Tracker); ok {
		t.Fatal("the E36311A driver claims tracking")
	}
	if _, ok := inst.(instruments.OverVoltageProtector); !ok {
		t.Fatal("the E36311A has OVP")
	}
}

// From the DP800 Programming Guide: [:SOURce<n>] levels, CHn parameters,
// ON/OFF and YES/NO answers.
func TestDP800Script(t *testing.T) {
	inst := scripted(t, "RIGOL TECHNOLOGIES,DP832,DP8C1234,00.01.16",
		scpitest.Write(":SOUR2:VOLT 12"),
		scpitest.Query(":SOUR2:VOLT?", "12.000"),
		scpitest.Write(":SOUR2:CURR 0.5"),
		scpitest.Query(":SOUR2:CURR?", "0.5000"),
		scpitest.Write(":OUTP CH2,ON"),
		scpitest.Query(":OUTP? CH2", "ON"),
		scpitest.Query(":MEAS:VOLT? CH2", "11.9990"),
		scpitest.Query(":MEAS:CURR? CH2", "0.4210"),
		scpitest.Query(":OUTP? CH2", "ON"),
		scpitest.Query(":OUTP:MODE? CH2", "CC"),
		scpitest.Write(":OUTP CH1,ON"),
		scpitest.Write(":OUTP CH2,ON"),
		scpitest.Write(":OUTP CH3,ON"),
		scpitest.Write(":OUTP CH1,OFF"),
		scpitest.Write(":OUTP CH2,OFF"),
		scpitest.Write(":OUTP CH3,OFF"),
		scpitest.Query(":OUTP? CH1", "OFF"),
		scpitest.Query(":OUTP? CH2", "OFF"),
		scpitest.Query(":OUTP? CH3", "OFF"),
		scpitest.Write(":OUTP:OVP:VAL CH2,13"),
		scpitest.Write(":OUTP:OVP CH2,ON"),
		scpitest.Query(":OUTP:OVP:VAL? CH2", "13.000"),
		scpitest.Query(":OUTP:OVP:QUES? CH2", "NO"),
		scpitest.Write(":OUTP:OVP:CLEAR CH2"),
		scpitest.Write(":OUTP:OCP CH2,ON"),
		scpitest.Query(":OUTP:OCP? CH2", "ON"),
		scpitest.Query(":OUTP:OCP:QUES? CH2", "YES"),
		scpitest.Write(":OUTP:OCP:CLEAR CH2"),
	)
	p := inst.(instruments.PowerSupply)
	runScript(t, p, supplyCalls(), []any{nil, units.Voltage(12), nil, units.Current(0.5), nil, true,
		units.Voltage(11.999), units.Current(0.421), instruments.ModeCC, nil, nil})
	runScript(t, p, protectionCalls(), []any{nil, units.Voltage(13), false, nil, nil, true, true, nil})
	if _, ok := inst.(instruments.Tracker); ok {
		t.Fatal("the DP800 driver claims tracking")
	}
}

// The DP800's regulation modes are CV, CC and UR; any other answer (a
// garbled or empty reply) is an error, not "unregulated".
func TestDP800ModeRefusesGarbage(t *testing.T) {
	inst := scripted(t, "RIGOL TECHNOLOGIES,DP832,DP8C1234,00.01.16",
		scpitest.Query(":OUTP? CH1", "ON"), scpitest.Query(":OUTP:MODE? CH1", "UR"),
		scpitest.Query(":OUTP? CH1", "ON"), scpitest.Query(":OUTP:MODE? CH1", "C\x7fV"),
		scpitest.Query(":OUTP? CH1", "ON"), scpitest.Query(":OUTP:MODE? CH1", ""),
	)
	p := inst.(instruments.PowerSupply)
	if m, err := p.Mode(bg, 1); err != nil || m != instruments.ModeUnregulated {
		t.Errorf("Mode on UR: %v, %v; want unregulated", m, err)
	}
	for _, reply := range []string{"C\x7fV", ""} {
		if m, err := p.Mode(bg, 1); !errors.Is(err, scpi.ErrMalformed) {
			t.Errorf("Mode on the reply %q: %v, %v; want ErrMalformed", reply, m, err)
		}
	}
}

// From the SPD3303X programming guide: CHn: prefixes, OUTP CHn,ON, the
// SYSTem:STATus? word for states and CV/CC.
func TestSPD3303XScript(t *testing.T) {
	inst := scripted(t, "Siglent Technologies,SPD3303X,SPD3XIDX2R0001,1.01.01.02.05,V3.0",
		scpitest.Write("CH2:VOLT 12"),
		scpitest.Query("CH2:VOLT?", "12.000"),
		scpitest.Write("CH2:CURR 0.5"),
		scpitest.Query("CH2:CURR?", "0.500"),
		scpitest.Write("OUTP CH2,ON"),
		scpitest.Query("SYST:STAT?", "0x0024"), // bit 5: CH2 on
		scpitest.Query("MEAS:VOLT? CH2", "11.999"),
		scpitest.Query("MEAS:CURR? CH2", "0.421"),
		scpitest.Query("SYST:STAT?", "0x0026"), // bit 1: CH2 in CC
		scpitest.Write("OUTP CH1,ON"),
		scpitest.Write("OUTP CH2,ON"),
		scpitest.Write("OUTP CH3,ON"),
		scpitest.Write("OUTP CH1,OFF"),
		scpitest.Write("OUTP CH2,OFF"),
		scpitest.Write("OUTP CH3,OFF"),
		scpitest.Query("SYST:STAT?", "0x0004"),
		scpitest.Query("SYST:STAT?", "0x0004"),
	)
	p := inst.(instruments.PowerSupply)
	runScript(t, p, supplyCalls(), []any{nil, units.Voltage(12), nil, units.Current(0.5), nil, true,
		units.Voltage(11.999), units.Current(0.421), instruments.ModeCC, nil, nil})
}

// From the E3631A user's guide: INSTrument selects, MEASure names the
// output, one OUTPut switch.
func TestE3631AScript(t *testing.T) {
	inst := scripted(t, "Agilent Technologies,E3631A,0,2.1-5.0-1.0",
		scpitest.Write("INST:SEL P25V"),
		scpitest.Write("VOLT 12"),
		scpitest.Write("INST:SEL P25V"),
		scpitest.Query("VOLT?", "+1.20000000E+01"),
		scpitest.Write("INST:SEL P25V"),
		scpitest.Write("CURR 0.5"),
		scpitest.Write("INST:SEL P25V"),
		scpitest.Query("CURR?", "+5.00000000E-01"),
		scpitest.Query("OUTP?", "1"),
		scpitest.Query("MEAS:VOLT? P25V", "+1.19998000E+01"),
		scpitest.Query("MEAS:CURR? P25V", "+4.21000000E-01"),
		scpitest.Query("STAT:QUES:INST:ISUM2:COND?", "1"),
		scpitest.Write("OUTP ON"),
		scpitest.Write("OUTP OFF"),
		scpitest.Query("OUTP?", "0"),
		scpitest.Write("INST:SEL N25V"),
		scpitest.Write("VOLT -5"),
		scpitest.Write("OUTP:TRAC ON"),
	)
	p := inst.(instruments.PowerSupply)
	calls := supplyCalls()
	for i, c := range calls {
		if c.name == "SetOutput(2, on)" {
			if _, err := c.do(p); !errors.Is(err, instruments.ErrNotSupported) {
				t.Fatalf("SetOutput on the E3631A: %v", err)
			}
			calls = append(calls[:i:i], calls[i+1:]...)
			break
		}
	}
	runScript(t, p, calls, []any{nil, units.Voltage(12), nil, units.Current(0.5), true,
		units.Voltage(11.9998), units.Current(0.421), instruments.ModeCC, nil, nil})
	must(t, p.SetVoltage(bg, 3, -5*units.Volt))
	must(t, p.(instruments.Tracker).SetTracking(bg, true))
	if inst.Identity().Serial != "0" {
		t.Fatalf("serial %q", inst.Identity().Serial)
	}
	if _, ok := inst.(instruments.OverVoltageProtector); ok {
		t.Fatal("the E3631A driver claims OVP")
	}
}

// From the HMC804x SCPI manual: INST:NSEL, then the command; channel and
// master switches.
// hmcChannelsOffVerified is an HMC804x's three channels switched off,
// then read back.
var hmcChannelsOffVerified = []scpitest.Exchange{
	scpitest.Write("INST:NSEL 1"), scpitest.Write("OUTP:CHAN OFF"),
	scpitest.Write("INST:NSEL 2"), scpitest.Write("OUTP:CHAN OFF"),
	scpitest.Write("INST:NSEL 3"), scpitest.Write("OUTP:CHAN OFF"),
	scpitest.Write("INST:NSEL 1"), scpitest.Query("OUTP:CHAN?", "0"),
	scpitest.Write("INST:NSEL 2"), scpitest.Query("OUTP:CHAN?", "0"),
	scpitest.Write("INST:NSEL 3"), scpitest.Query("OUTP:CHAN?", "0"),
}

func TestHMC804xScript(t *testing.T) {
	inst := scripted(t, "Rohde&Schwarz,HMC8043,100001,HW50020001/SW2.51", slices.Concat([]scpitest.Exchange{
		scpitest.Write("INST:NSEL 2"), scpitest.Write("VOLT 12"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("VOLT?", "+1.2000E+01"),
		scpitest.Write("INST:NSEL 2"), scpitest.Write("CURR 0.5"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("CURR?", "+5.0000E-01"),
		scpitest.Write("INST:NSEL 2"), scpitest.Write("OUTP:CHAN ON"), scpitest.Write("OUTP:MAST ON"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("OUTP:CHAN?", "1"), scpitest.Query("OUTP:MAST?", "1"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("MEAS:VOLT?", "+1.1999E+01"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("MEAS:CURR?", "+4.2100E-01"),
		scpitest.Query("STAT:QUES:INST:ISUM2:COND?", "2"),
		scpitest.Write("INST:NSEL 1"), scpitest.Write("OUTP:CHAN ON"),
		scpitest.Write("INST:NSEL 2"), scpitest.Write("OUTP:CHAN ON"),
		scpitest.Write("INST:NSEL 3"), scpitest.Write("OUTP:CHAN ON"),
		scpitest.Write("OUTP:MAST ON"),
		scpitest.Write("OUTP:MAST OFF"),
	}, hmcChannelsOffVerified, []scpitest.Exchange{
		scpitest.Write("INST:NSEL 2"), scpitest.Write("VOLT:PROT:LEV 13"), scpitest.Write("VOLT:PROT ON"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("VOLT:PROT:LEV?", "+1.3000E+01"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("VOLT:PROT:TRIP?", "0"),
		scpitest.Write("INST:NSEL 2"), scpitest.Write("VOLT:PROT:CLE"),
		scpitest.Write("INST:NSEL 2"), scpitest.Write("FUSE ON"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("FUSE?", "1"),
		scpitest.Write("INST:NSEL 2"), scpitest.Query("FUSE:TRIP?", "1"),
		scpitest.Write("INST:NSEL 2"), scpitest.Write("OUTP:CHAN OFF"),
		scpitest.Write("OUTP:MAST OFF"),
	})...)
	p := inst.(instruments.PowerSupply)
	runScript(t, p, supplyCalls(), []any{nil, units.Voltage(12), nil, units.Current(0.5), nil, true,
		units.Voltage(11.999), units.Current(0.421), instruments.ModeCV, nil, nil})
	runScript(t, p, protectionCalls(), []any{nil, units.Voltage(13), false, nil, nil, true, true, nil})
	must(t, inst.(instruments.MasterSwitch).SetMasterOutput(bg, false))
}

func TestDP800OffOutputIsModeOff(t *testing.T) {
	inst := scripted(t, "RIGOL TECHNOLOGIES,DP832,DP8C1234,00.01.16", scpitest.Query(":OUTP? CH1", "OFF"))
	if m, err := inst.(instruments.PowerSupply).Mode(bg, 1); err != nil || m != instruments.ModeOff {
		t.Fatalf("%v %v", m, err)
	}
}

// The generic driver finds its channels with SOURce<n>:VOLTage? MAX.
func TestGenericSupplyScript(t *testing.T) {
	inst := scripted(t, "Acme,PS-9000,1,1.0",
		scpitest.Query("SOUR1:VOLT? MAX", "30"),
		scpitest.Query("*IDN?", "Acme,PS-9000,1,1.0"), // the sentinel, read after the answer
		scpitest.Query("SOUR1:VOLT? MIN", "0"),
		scpitest.Query("SOUR1:CURR? MAX", "2"),
		scpitest.Silent("SOUR2:VOLT? MAX"), // refused: a one-channel supply
		scpitest.Query("*IDN?", "Acme,PS-9000,1,1.0"),
		scpitest.Query("SYST:ERR?", `-114,"Header suffix out of range"`),
		scpitest.Query("SYST:ERR?", `0,"No error"`),
		scpitest.Write("SOUR1:VOLT 12"),
		scpitest.Query("STAT:QUES:INST:ISUM1:COND?", "2"),
		scpitest.Write("OUTP1 OFF"),
		scpitest.Query("OUTP1?", "0"),
	)
	p := inst.(instruments.PowerSupply)
	want := []instruments.Channel{{Number: 1, Name: "SOURce1", MinVoltage: 0, MaxVoltage: 30, MaxCurrent: 2}}
	if diff := cmp.Diff(want, p.Channels()); diff != "" {
		t.Fatal(diff)
	}
	must(t, p.SetVoltage(bg, 1, 12*units.Volt))
	if m, _ := p.Mode(bg, 1); m != instruments.ModeCV {
		t.Fatalf("mode %v", m)
	}
	must(t, p.SafeState(bg))
}

// Every method of the generic driver, exact bytes, on a two-channel
// supply.
func TestGenericSupplyFullScript(t *testing.T) {
	probe := func(n int, maxV, maxI string) []scpitest.Exchange {
		return []scpitest.Exchange{
			scpitest.Query(fmt.Sprintf("SOUR%d:VOLT? MAX", n), maxV),
			scpitest.Query("*IDN?", "Acme,PS-2,7,1.0"),
			scpitest.Query(fmt.Sprintf("SOUR%d:VOLT? MIN", n), "0"),
			scpitest.Query(fmt.Sprintf("SOUR%d:CURR? MAX", n), maxI),
		}
	}
	script := append(probe(1, "20", "2"), probe(2, "20", "2")...)
	script = append(script,
		scpitest.Silent("SOUR3:VOLT? MAX"),
		scpitest.Query("*IDN?", "Acme,PS-2,7,1.0"),
		scpitest.Query("SYST:ERR?", `-114,"Header suffix out of range"`),
		scpitest.Query("SYST:ERR?", `0,"No error"`),
		scpitest.Write("SOUR2:VOLT 12"),
		scpitest.Query("SOUR2:VOLT?", "12"),
		scpitest.Write("SOUR2:CURR 0.5"),
		scpitest.Query("SOUR2:CURR?", "0.5"),
		scpitest.Write("OUTP2 ON"),
		scpitest.Query("OUTP2?", "1"),
		scpitest.Query("MEAS:VOLT? (@2)", "11.999"),
		scpitest.Query("MEAS:CURR? (@2)", "0.421"),
		scpitest.Query("STAT:QUES:INST:ISUM2:COND?", "1"),
		scpitest.Write("OUTP1 ON"),
		scpitest.Write("OUTP2 ON"),
		scpitest.Write("OUTP1 OFF"),
		scpitest.Write("OUTP2 OFF"),
		scpitest.Query("OUTP1?", "0"),
		scpitest.Query("OUTP2?", "0"),
	)
	p := scripted(t, "Acme,PS-2,7,1.0", script...).(instruments.PowerSupply)
	runScript(t, p, supplyCalls(), []any{nil, units.Voltage(12), nil, units.Current(0.5), nil, true,
		units.Voltage(11.999), units.Current(0.421), instruments.ModeCC, nil, nil})
}

func TestDUTScript(t *testing.T) {
	inst := scripted(t, "scpikit,DUT-1,DUT0001,1.0",
		scpitest.Query("*IDN?", "scpikit,DUT-1,DUT0001,1.0"),
		scpitest.Query("*TST?", "0"),
		scpitest.Write("*RST"),
		scpitest.Query("FAULt?", `2,"OVERTEMPERATURE"`),
		scpitest.Query("*TST?", "1"),
	)
	d := inst.(instruments.DUT)
	if id, err := d.Identify(bg); err != nil || id != "scpikit,DUT-1,DUT0001,1.0" {
		t.Fatalf("%q %v", id, err)
	}
	must(t, d.SelfTest(bg))
	must(t, d.Reset(bg))
	f, err := d.FaultStatus(bg)
	if err != nil || f != (instruments.Fault{Code: 2, Name: "OVERTEMPERATURE"}) {
		t.Fatalf("%+v %v", f, err)
	}
	var ste *instruments.SelfTestError
	if err := d.SelfTest(bg); !errors.As(err, &ste) || ste.Code != 1 {
		t.Fatalf("failed self-test: %v", err)
	}
}

func TestCustomDUTCommands(t *testing.T) {
	conn := scpitest.NewConn(t, scpitest.Query("HEALTH?", "0"), scpitest.Query("SYS:FLT?", "0"))
	s := scpi.NewSession(conn)
	defer s.Close()
	d := instruments.NewDUT(s, scpi.IDN{Model: "board"}, instruments.DUTCommands{SelfTest: "HEALTH?", Fault: "SYS:FLT?"})
	must(t, d.SelfTest(bg))
	if f, err := d.FaultStatus(bg); err != nil || f.Code != 0 || f.String() != "no fault" {
		t.Fatalf("%+v %v", f, err)
	}
}

// Values outside the model's ranges and channels it lacks are refused with
// typed errors, and nothing is sent: the scripts have no exchanges for
// them, so anything sent would fail the test.
func TestBadValuesAreRefusedBeforeSending(t *testing.T) {
	for _, idn := range []string{"Keysight Technologies,E36312A,MY1,1.0", "RIGOL TECHNOLOGIES,DP831,DP8C1,1.0"} {
		p := scripted(t, idn).(instruments.PowerSupply)
		for _, tc := range []struct {
			name string
			err  error
			do   func() error
		}{
			{"negative current", instruments.ErrOutOfRange, func() error { return p.SetCurrentLimit(bg, 1, -1*units.Amp) }},
			{"voltage above the range", instruments.ErrOutOfRange, func() error { return p.SetVoltage(bg, 1, 40*units.Volt) }},
			{"current above the range", instruments.ErrOutOfRange, func() error { return p.SetCurrentLimit(bg, 2, 20*units.Amp) }},
			{"channel 4 of 3", instruments.ErrNoChannel, func() error { return p.SetOutput(bg, 4, true) }},
			{"channel 0", instruments.ErrNoChannel, func() error { _, err := p.MeasureVoltage(bg, 0); return err }},
			{"OVP above its span", instruments.ErrOutOfRange, func() error {
				return p.(instruments.OverVoltageProtector).SetOVPLevel(bg, 1, 100*units.Volt)
			}},
		} {
			err := tc.do()
			if !errors.Is(err, tc.err) {
				t.Errorf("%s: %s: err = %v, want %v", idn, tc.name, err, tc.err)
			}
		}
		var re *instruments.RangeError
		if err := p.SetVoltage(bg, 1, 40*units.Volt); !errors.As(err, &re) || re.Channel != 1 || re.Quantity != "voltage" {
			t.Errorf("%s: %v", idn, err)
		}
	}
	// A negative output takes negative voltages, and refuses positive ones.
	p := scripted(t, "RIGOL TECHNOLOGIES,DP831,DP8C1,1.0", scpitest.Write(":SOUR3:VOLT -12")).(instruments.PowerSupply)
	must(t, p.SetVoltage(bg, 3, -12*units.Volt))
	if err := p.SetVoltage(bg, 3, 5*units.Volt); !errors.Is(err, instruments.ErrOutOfRange) {
		t.Fatalf("positive voltage on the negative output: %v", err)
	}
}

func TestSafeStateReportsAnOutputLeftOn(t *testing.T) {
	p := scripted(t, "Keysight Technologies,E36312A,MY1,1.0",
		scpitest.Write("OUTP OFF,(@1:3)"),
		scpitest.Query("OUTP? (@1)", "0"),
		scpitest.Query("OUTP? (@2)", "1"),
		scpitest.Query("OUTP? (@3)", "0"),
	).(instruments.PowerSupply)
	if err := p.SafeState(bg); !errors.Is(err, instruments.ErrUnsafe) {
		t.Fatalf("err = %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func fmtType(v any) string { return fmt.Sprintf("%T", v) }

var littleEndian = binary.LittleEndian

// failOnce is a link on which the first write of one command fails
// with err (a relay driver that does not answer in time); everything
// else goes through.
type failOnce struct {
	*scpitest.Conn
	cmd    string
	err    error
	failed bool
}

func (c *failOnce) Write(p []byte) (int, error) {
	if !c.failed && strings.HasPrefix(string(p), c.cmd+"\n") {
		c.failed = true
		return 0, c.err
	}
	return c.Conn.Write(p)
}

// supplyFailingOnce opens a driver whose link fails the first cmd.
func supplyFailingOnce(t *testing.T, idn, cmd string, err error, script ...scpitest.Exchange) instruments.PowerSupply {
	t.Helper()
	conn := &failOnce{Conn: scpitest.NewConn(t, append([]scpitest.Exchange{scpitest.Query("*IDN?", idn)}, script...)...), cmd: cmd, err: err}
	s := scpi.NewSession(conn)
	t.Cleanup(func() { s.Close() })
	inst, ierr := instruments.New(bg, s)
	if ierr != nil {
		t.Fatal(ierr)
	}
	return inst.(instruments.PowerSupply)
}

// Switching off goes on past an output whose command fails, and every
// output is read back whatever happened: one channel that times out must
// not leave the others on, and the one left on is named.
func TestSafeStateGoesOnPastAFailedChannel(t *testing.T) {
	stuck := errors.New("relay driver busy")
	dp := supplyFailingOnce(t, "RIGOL TECHNOLOGIES,DP832,DP8C1234,00.01.16", ":OUTP CH1,OFF", stuck,
		scpitest.Write(":OUTP CH2,OFF"),
		scpitest.Write(":OUTP CH3,OFF"),
		scpitest.Query(":OUTP? CH1", "ON"),
		scpitest.Query(":OUTP? CH2", "OFF"),
		scpitest.Query(":OUTP? CH3", "OFF"),
	)
	err := dp.SafeState(bg)
	if !errors.Is(err, instruments.ErrUnsafe) || !errors.Is(err, stuck) || !strings.Contains(err.Error(), "channel 1 still on") {
		t.Errorf("DP832 with CH1 stuck: %v, want ErrUnsafe naming channel 1, and the failed command's error", err)
	}

	hmc := supplyFailingOnce(t, "Rohde&Schwarz,HMC8043,100001,HW50020001/SW2.51", "OUTP:MAST OFF", stuck, hmcChannelsOffVerified...)
	if err := hmc.SafeState(bg); err != nil {
		t.Errorf("HMC8043 whose master switch failed but every channel went off (read back): %v, want verified", err)
	}
}
