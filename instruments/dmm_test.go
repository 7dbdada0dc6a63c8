package instruments_test

import (
	"errors"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
)

// From the Truevolt guide: CONFigure, SAMPle:COUNt, READ?, INITiate,
// FETCh?, and R? with FORMat REAL,64.
func TestTruevoltScript(t *testing.T) {
	block := string(scpi.AppendBlock(nil, scpi.EncodeBlock([]float64{1.5, -2}, littleEndian)))
	inst := scripted(t, "Keysight Technologies,34465A,MY54500001,A.02.14-02.40-02.14-00.49-02-01",
		scpitest.Write("CONF:VOLT:DC 10"),
		scpitest.Write("CONF:RES AUTO"),
		scpitest.Write("TRIG:COUN 1"),
		scpitest.Write("SAMP:COUN 1"),
		scpitest.Query("CONF?", `"RES +1.000000E+03,+1.000000E-04"`),
		scpitest.Query("READ?", "+1.234567890E+01"),
		scpitest.Write("TRIG:COUN 1"),
		scpitest.Write("SAMP:COUN 3"),
		scpitest.Write("INIT"),
		scpitest.Query("FETC?", "+1.0E+00,+2.0E+00,+9.90000000E+37"),
		scpitest.Write("FORM REAL,64"),
		scpitest.Write("FORM:BORD SWAP"),
		scpitest.Write("TRIG:COUN 1"),
		scpitest.Write("SAMP:COUN 2"),
		scpitest.Write("INIT"),
		scpitest.Query("*OPC?", "1"),
		scpitest.Query("R?", block),
		scpitest.Write("FORM ASC"),
		// R? with fewer readings than asked: an error, and ASCII back.
		scpitest.Write("FORM REAL,64"),
		scpitest.Write("FORM:BORD SWAP"),
		scpitest.Write("TRIG:COUN 1"),
		scpitest.Write("SAMP:COUN 3"),
		scpitest.Write("INIT"),
		scpitest.Query("*OPC?", "1"),
		scpitest.Query("R?", block),
		scpitest.Write("FORM ASC"),
		// FETCh? with more readings than asked: an error.
		scpitest.Write("TRIG:COUN 1"),
		scpitest.Write("SAMP:COUN 2"),
		scpitest.Write("INIT"),
		scpitest.Query("FETC?", "+1.0E+00,+2.0E+00,+3.0E+00"),
	)
	m := inst.(instruments.DMM)
	must(t, m.Configure(bg, instruments.DCVoltage, 10))
	must(t, m.Configure(bg, instruments.Resistance, 0))
	if v, err := m.Read(bg); err != nil || v != units.Resistance(12.3456789) {
		t.Fatalf("Read = %v, %v, want the resistance 12.3456789 Ω", v, err)
	}
	vs, err := m.ReadMany(bg, 3)
	if diff := cmp.Diff([]float64{1, 2, math.Inf(1)}, vs); err != nil || diff != "" {
		t.Fatalf("ReadMany: %v %s (an overload reads +Inf)", err, diff)
	}
	bs, err := m.(instruments.BinaryReader).ReadManyBinary(bg, 2)
	if diff := cmp.Diff([]float64{1.5, -2}, bs); err != nil || diff != "" {
		t.Fatalf("ReadManyBinary: %v %s", err, diff)
	}
	if bs, err := m.(instruments.BinaryReader).ReadManyBinary(bg, 3); !errors.Is(err, scpi.ErrMalformed) || bs != nil {
		t.Fatalf("ReadManyBinary of 3 answered with 2: %v, %v; want ErrMalformed", bs, err)
	}
	if vs, err := m.ReadMany(bg, 2); !errors.Is(err, scpi.ErrMalformed) || vs != nil {
		t.Fatalf("ReadMany(2) given 3 readings: %v, %v; want ErrMalformed", vs, err)
	}
	if err := m.Configure(bg, instruments.DCVoltage, 2000); !errors.Is(err, instruments.ErrOutOfRange) {
		t.Fatalf("range above 1000 V: %v", err)
	}
	if _, err := m.ReadMany(bg, 0); !errors.Is(err, instruments.ErrOutOfRange) {
		t.Fatalf("zero samples: %v", err)
	}
}

func TestTruevolt34461AHasNoBinary(t *testing.T) {
	inst := scripted(t, "Keysight Technologies,34461A,MY1,A.02.14")
	if _, ok := inst.(instruments.BinaryReader); ok {
		t.Fatal("the 34461A driver claims binary transfer")
	}
}

// On a bench the DMM measures the supply output it is wired across.
func TestTruevoltBehaviour(t *testing.T) {
	bench := sim.NewBench()
	defer bench.Close()
	psu, dmm := sim.MustNew("E36312A"), sim.MustNew("34465A")
	must(t, bench.Add("TCPIP0::10.1.1.1::5025::SOCKET", psu))
	must(t, bench.Add("TCPIP0::10.1.1.2::inst0::INSTR", dmm))
	must(t, bench.Wire(psu, 2, sim.Resistor(100)))
	must(t, bench.Probe(dmm, psu, 2))
	opt := instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption()))
	pi, err := instruments.Open(bg, "TCPIP0::10.1.1.1::5025::SOCKET", opt)
	if err != nil {
		t.Fatal(err)
	}
	defer pi.Close()
	mi, err := instruments.Open(bg, "TCPIP0::10.1.1.2::inst0::INSTR", opt)
	if err != nil {
		t.Fatal(err)
	}
	defer mi.Close()
	p, m := pi.(instruments.PowerSupply), mi.(instruments.DMM)
	// Unpowered: the ohmmeter sees the 100 ohm load.
	must(t, m.Configure(bg, instruments.Resistance, 0))
	if r, _ := m.Read(bg); r != units.Resistance(100) {
		t.Fatalf("resistance %v", r)
	}
	must(t, p.SetVoltage(bg, 2, 12*units.Volt))
	must(t, p.SetOutput(bg, 2, true))
	must(t, m.Configure(bg, instruments.DCVoltage, 100))
	if v, _ := m.Read(bg); v != units.Voltage(12) {
		t.Fatalf("DC voltage %v", v)
	}
	must(t, m.Configure(bg, instruments.DCCurrent, 1))
	vs, err := m.ReadMany(bg, 4)
	if err != nil || len(vs) != 4 || vs[3] != 0.12 {
		t.Fatalf("ReadMany %v %v", vs, err)
	}
	bs, err := m.(instruments.BinaryReader).ReadManyBinary(bg, 5)
	if err != nil || len(bs) != 5 || bs[0] != 0.12 {
		t.Fatalf("ReadManyBinary %v %v", bs, err)
	}
	// A range too small for the signal: overload.
	must(t, m.Configure(bg, instruments.DCVoltage, 1))
	if v, _ := m.Read(bg); v == nil || v.Unit() != "V" || !math.IsInf(v.Float(), 1) {
		t.Fatalf("overload read %v", v)
	}
	// Every function the meter has, typed.
	for _, c := range []struct {
		f    instruments.Function
		want string
	}{{instruments.ACVoltage, "V"}, {instruments.DCCurrent, "A"}, {instruments.ACCurrent, "A"}, {instruments.FourWireResistance, "Ω"}} {
		must(t, m.Configure(bg, c.f, 0))
		if v, err := m.Read(bg); err != nil || v.Unit() != c.want {
			t.Errorf("%s read as %v (%v), want a quantity in %s", c.f, v, err, c.want)
		}
	}
	if err := mi.Session().CheckErrors(bg); err != nil {
		t.Fatal(err)
	}
}

// A temperature reads in the unit UNIT:TEMPerature sets, which CONF?
// does not name: 120 °F is 48.9 °C, not 120 °C.
func TestTruevoltTemperatureInFahrenheit(t *testing.T) {
	inst := scripted(t, "Keysight Technologies,34465A,MY54500001,A.02.14-02.40-02.14-00.49-02-01",
		scpitest.Write("TRIG:COUN 1"),
		scpitest.Write("SAMP:COUN 1"),
		scpitest.Query("CONF?", `"TEMP TC,K"`),
		scpitest.Query("UNIT:TEMP?", "F"),
		scpitest.Query("READ?", "+1.20000000E+02"),
	)
	q, err := inst.(instruments.DMM).Read(bg)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := q.(units.Temperature)
	if !ok || math.Abs(float64(got)-48.8889) > 1e-3 {
		t.Errorf("Read = %v (%T), want 48.889 °C", q, q)
	}
}
