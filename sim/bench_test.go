package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
)

func TestBenchInGo(t *testing.T) {
	bench := sim.NewBench()
	defer bench.Close()
	in := sim.MustNew("SAMPLE")
	must(t, bench.Add("TCPIP0::10.0.0.5::5025::SOCKET", in))
	if err := bench.Add("tcpip::10.0.0.5::5025::socket", sim.MustNew("SAMPLE")); err == nil {
		t.Fatal("the same resource (in another spelling) added twice")
	}
	s, err := scpi.Open(bg, "tcpip::10.0.0.5::5025::socket", scpi.WithTransportOptions(bench.TransportOption()))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must(t, s.Write(bg, "VOLT 2.5"))
	// The same instrument, seen from Go.
	got, _ := bench.Instrument("TCPIP0::10.0.0.5::5025::SOCKET")
	if got != in {
		t.Fatal("Instrument did not find it")
	}
	s2 := scpi.NewSession(got.Conn())
	defer s2.Close()
	if v, err := s2.QueryFloat(bg, "VOLT?"); err != nil || v != 2.5 {
		t.Fatalf("state not shared between links: %v %v", v, err)
	}
	// A resource the bench lacks goes to the real link (here: refused).
	_, err = scpi.Open(bg, "TCPIP0::127.0.0.1::1::SOCKET", scpi.WithTransportOptions(bench.TransportOption()))
	if err == nil {
		t.Fatal("a resource not on the bench opened")
	}
}

func TestBenchFile(t *testing.T) {
	bench, err := sim.LoadBench("testdata/bench.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	want := []string{"TCPIP0::10.0.0.6::inst0::INSTR", "GPIB0::7::INSTR", "TCPIP0::10.0.0.5::5025::SOCKET"}
	if diff := cmp.Diff(want, bench.Resources()); diff != "" {
		t.Fatalf("resources: %s", diff)
	}
	slow, _ := bench.Named("slow-source")
	if other, _ := bench.Instrument("GPIB0::7::INSTR"); other != slow {
		t.Fatal("both resources of one instrument should reach it")
	}
	opt := scpi.WithTransportOptions(bench.TransportOption())
	s, err := scpi.Open(bg, "GPIB0::7::INSTR", opt, scpi.WithTimeout(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Query(bg, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("the file's 20 ms latency should time out a 5 ms query: %v", err)
	}
}

// A board's serial number, set in the bench file, is what its *IDN?
// reports: a bench's boards can be told apart.
func TestBenchSerial(t *testing.T) {
	bench, err := sim.ParseBench([]byte("instruments: {b: {model: DUT, resource: 'ASRL9::INSTR', serial: SN-77}}"), ".")
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	in, _ := bench.Named("b")
	var id string
	in.Do(func(d sim.Device) { id = d.Identity() }) // an unpowered board's console is silent
	if id != "scpikit,DUT-1,SN-77,1.0" {
		t.Fatalf("*IDN? = %q", id)
	}
}

func TestBenchFileErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"instruments: {a: {model: NOPE}}", "unknown simulated model"},
		{"instruments: {a: {model: SAMPLE, resource: 'TCPIP::x::y::SOCKET'}}", "port"},
		{"instruments: {a: {model: SAMPLE, faults: {drop: 3}}}", "probabilities"},
		{"instruments: {a: {model: SAMPLE, colour: red}}", "colour"},
		{"instruments: {a: {model: DP832, serial: X1}}", "serial number cannot be set"},
		{"instruments: {a: {model: DUT, serial: 'A,B'}}", "without commas"},
		{"{}", "no instruments"},
		{"instruments: [", "yaml"},
		{"spec: '2.0'\ndevices: {}\nresources: {}", "newer"},
		{"devices: {}", "no spec"},
		{"spec: '1.1'\ndevices: {}\nresources: {'ASRL1::INSTR': {device: missing}}", "no device"},
		{"spec: '1.1'\ndevices: {d: {properties: {p: {default: 5, specs: {type: float, max: 1}}}}}\nresources: {'ASRL1::INSTR': {device: d}}", "default"},
		{"spec: '1.1'\ndevices: {d: {properties: {p: {default: 5, specs: {type: complex}}}}}\nresources: {'ASRL1::INSTR': {device: d}}", "type"},
	} {
		_, err := sim.ParseBench([]byte(tc.yaml), ".")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.yaml, err, tc.want)
		}
	}
}

func TestSIMResource(t *testing.T) {
	s, err := scpi.Open(bg, "SIM::SAMPLE::INSTR")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	must(t, s.Write(bg, "VOLT 7"))
	// The same resource string reaches the same instrument; another board
	// number is another instrument.
	again, err := scpi.Open(bg, "sim0::sample::instr")
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if v, _ := again.QueryFloat(bg, "VOLT?"); v != 7 {
		t.Fatalf("VOLT? = %v on the same resource", v)
	}
	other, err := scpi.Open(bg, "SIM1::SAMPLE::INSTR")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if v, _ := other.QueryFloat(bg, "VOLT?"); v != 0 {
		t.Fatalf("VOLT? = %v on another instrument", v)
	}
	if _, err := scpi.Open(bg, "SIM::NOSUCH::INSTR"); !errors.Is(err, sim.ErrUnknownModel) {
		t.Fatalf("unknown model: %v", err)
	}
}

func TestEnvironmentBench(t *testing.T) {
	t.Setenv(sim.EnvBench, "testdata/bench.yaml")
	s, err := scpi.Open(bg, "TCPIP0::10.0.0.5::5025::SOCKET")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if id, err := s.QueryIDN(bg); err != nil || id.Model != "SAMPLE" {
		t.Fatalf("%+v %v", id, err)
	}
	_, err = transport.Open(bg, "TCPIP0::10.0.0.99::5025::SOCKET")
	if err == nil || !strings.Contains(err.Error(), "has no instrument at TCPIP0::10.0.0.99::5025::SOCKET") {
		t.Fatalf("a resource missing from the bench must not reach hardware: %v", err)
	}
	t.Setenv(sim.EnvBench, "testdata/missing.yaml")
	if _, err := transport.Open(bg, "TCPIP0::10.0.0.5::5025::SOCKET"); err == nil {
		t.Fatal("a missing bench file was ignored")
	}
}

func TestPyVISASimFile(t *testing.T) {
	bench, err := sim.LoadBench("testdata/pyvisa-sim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	open := func(res string) *scpi.Session {
		s, err := scpi.Open(bg, res, scpi.WithTransportOptions(bench.TransportOption()), scpi.WithTimeout(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	gen := open("TCPIP::127.0.0.1::5025::SOCKET")
	for _, tc := range []struct{ q, want string }{
		{"*IDN?", "Acme,GEN-1,42,0.9"},
		{"?FREQ", "1000.00"},
		{"!FREQ 12.5", "OK"},
		{"?FREQ", "12.50"},
		{"!FREQ 0.5", "FREQ_ERROR"}, // below min: the setter's error response
		{"?FREQ", "12.50"},
		{"!MODE 2", "OK"},
		{"?MODE", "2"},
		{"!MODE 7", "ERR"}, // not a valid value, no setter error: the device's
		{"?LABEL", "<  none>"},
		{"!LABEL hello", "OK"},
		{"?LABEL", "< hello>"}, // right-aligned in 6, as Python pads it
		{"BOGUS", "ERR"},
		{"?FREQ;?MODE", "12.50"}, // the delimiter splits queries; each answers
		{"", "2"},
	} {
		var got string
		var err error
		if tc.q == "" {
			got, err = gen.Query(bg, "?MODE") // the second reply of the line above is discarded
			tc.want = "2"
		} else {
			got, err = gen.Query(bg, tc.q)
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: got %q, %v; want %q", tc.q, got, err, tc.want)
		}
	}
	if err := gen.Write(bg, "!QUIET"); err != nil {
		t.Fatal(err)
	}
	// A second resource of the same device has its own state.
	serial := open("ASRL4::INSTR")
	if got, err := serial.Query(bg, "?FREQ"); err != nil || got != "1000.00" {
		t.Fatalf("ASRL4: %q %v", got, err)
	}

	sup := open("USB::0x1111::0x2222::SUP1::INSTR")
	must(t, sup.Write(bg, ":VOLT 12.345"))
	if got, _ := sup.Query(bg, ":VOLT?"); got != "+1.23450000E+01" {
		t.Fatalf(":VOLT? = %q", got)
	}
	// Channels selected by a property (can_select: False).
	must(t, sup.Write(bg, "OUTP ON"))
	must(t, sup.Write(bg, "INST 2"))
	if got, _ := sup.Query(bg, "OUTP?"); got != "OFF" {
		t.Fatalf("channel 2 OUTP? = %q", got)
	}
	must(t, sup.Write(bg, "INST 1"))
	if got, _ := sup.Query(bg, "OUTP?"); got != "ON" {
		t.Fatalf("channel 1 OUTP? = %q", got)
	}
	// Channels named in the command (can_select: True).
	must(t, sup.Write(bg, "CH3:RANG 50"))
	for ch, want := range map[string]string{"CH3:RANG?": "50", "CH1:RANG?": "10", "CH2:NAME?": "sense input"} {
		if got, _ := sup.Query(bg, ch); got != want {
			t.Fatalf("%s = %q, want %q", ch, got, want)
		}
	}
	// Errors: the response, the status register and the error queue.
	if got, _ := sup.Query(bg, "NOPE"); got != "BAD_COMMAND" {
		t.Fatalf("command error response %q", got)
	}
	if got, _ := sup.Query(bg, "*ESR?"); got != "32" {
		t.Fatalf("*ESR? = %q", got)
	}
	if got, _ := sup.Query(bg, "*ESR?"); got != "0" {
		t.Fatalf("*ESR? read twice = %q", got)
	}
	for _, want := range []string{"-100, Command error", "0, No Error"} {
		if got, _ := sup.Query(bg, ":SYST:ERR?"); got != want {
			t.Fatalf(":SYST:ERR? = %q, want %q", got, want)
		}
	}
}

func TestPyVISASimTerminators(t *testing.T) {
	bench, err := sim.LoadBench("testdata/pyvisa-sim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in, _ := bench.Instrument("ASRL4::INSTR")
	cl := in.NewClient()
	cl.Write([]byte("?FREQ\r\n"))
	if got := string(cl.TakeOutput()); got != "1000.00\r\n" {
		t.Fatalf("got %q, want the ASRL INSTR response terminator", got)
	}
}
