package sim_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

func openBench(t *testing.T, path string) (*sim.Bench, func(res string) *scpi.Session) {
	t.Helper()
	bench, err := sim.LoadBench(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bench.Close)
	return bench, func(res string) *scpi.Session {
		s, err := scpi.Open(bg, res, scpi.WithTransportOptions(bench.TransportOption()), scpi.WithTimeout(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
}

// quick bounds a call that is meant to time out (a silent board), so the
// sessions' own timeout can be long enough for loaded machines.
func quick(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(bg, 100*time.Millisecond)
	t.Cleanup(cancel)
	return ctx
}

func TestSupplyPowersTheDUT(t *testing.T) {
	_, open := openBench(t, "testdata/dut-bench.yaml")
	psu := open("TCPIP0::10.0.0.20::5025::SOCKET")
	board := open("ASRL/dev/ttyUSB0::INSTR")

	if _, err := board.Query(quick(t), "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("an unpowered board answered: %v", err)
	}
	must(t, psu.Write(bg, "VOLT 12,(@2);CURR 1,(@2);:OUTP ON,(@2)"))
	// The inrush (2 A) exceeds the 1 A limit for a few milliseconds: the
	// board boots once its input capacitors have charged.
	if id := waitIDN(t, board); id.Model != "DUT-1" {
		t.Fatalf("powered board: %+v", id)
	}
	// Steady draw: 6 W at 12 V is 0.5 A, once the inrush has decayed.
	deadline := time.Now().Add(10 * time.Second)
	for {
		i, err := psu.QueryFloat(bg, "MEAS:CURR? (@2)")
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(i-0.5) < 0.01 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("current %v never settled at 0.5 A", i)
		}
		time.Sleep(10 * time.Millisecond) // the simulated board's own boot time
	}
	mode, _ := psu.QueryInt(bg, "STAT:QUES:INST:ISUM2:COND?")
	if mode != 2 {
		t.Fatalf("mode %d, want 2 (CV)", mode)
	}
	// A current limit below the draw: constant current, the voltage sags
	// below the board's power-on threshold, the board browns out.
	must(t, psu.Write(bg, "CURR 0.2,(@2)"))
	if mode, _ := psu.QueryInt(bg, "STAT:QUES:INST:ISUM2:COND?"); mode != 1 {
		t.Fatalf("mode %d, want 1 (CC)", mode)
	}
	// Above its 9.6 V threshold the board wants 0.4 A; below it, almost
	// nothing: the output sits at the threshold, where the board drops out.
	v, _ := psu.QueryFloat(bg, "MEAS:VOLT? (@2)")
	if math.Abs(v-9.6) > 0.01 {
		t.Fatalf("CC voltage %v, want just under the board's 9.6 V threshold", v)
	}
	must(t, psu.Write(bg, "CURR 1,(@2)"))
	if f, err := board.Query(bg, "FAULT?"); err != nil || f != `3,"BROWNOUT"` {
		t.Fatalf("after the sag: %q %v", f, err)
	}
	// The resistor on channel 3.
	must(t, psu.Write(bg, "VOLT 5,(@3);CURR 1,(@3);:OUTP ON,(@3)"))
	if i, _ := psu.QueryFloat(bg, "MEAS:CURR? (@3)"); math.Abs(i-0.5) > 1e-9 {
		t.Fatalf("resistor current %v", i)
	}
}

// waitIDN polls a board that is booting until it answers.
func waitIDN(t *testing.T, board *scpi.Session) scpi.IDN {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		id, err := board.QueryIDN(quick(t)) // a booting board is silent
		if err == nil {
			return id
		}
		if time.Now().After(deadline) {
			t.Fatalf("the board never answered: %v", err)
		}
	}
}

func TestProtectionTrips(t *testing.T) {
	_, open := openBench(t, "testdata/dut-bench.yaml")
	psu := open("TCPIP0::10.0.0.20::5025::SOCKET")
	// OVP: programming above the level trips the output off.
	must(t, psu.Write(bg, "VOLT:PROT 8,(@3);:OUTP ON,(@3);:VOLT 9,(@3)"))
	if tripped, _ := psu.QueryBool(bg, "VOLT:PROT:TRIP? (@3)"); !tripped {
		t.Fatal("OVP did not trip")
	}
	if on, _ := psu.QueryBool(bg, "OUTP? (@3)"); on {
		t.Fatal("output still on after an OVP trip")
	}
	must(t, psu.Write(bg, "VOLT 5,(@3);:VOLT:PROT:CLE (@3);:OUTP ON,(@3)"))
	if on, _ := psu.QueryBool(bg, "OUTP? (@3)"); !on {
		t.Fatal("output did not come back after clearing")
	}
	// OCP: 10 ohms at 5 V wants 0.5 A; a 0.1 A limit goes CC and trips.
	// The status byte sums only enabled questionable events (bit 1: OCP
	// tripped), as on the real E36300.
	must(t, psu.Write(bg, "STAT:QUES:ENAB 2;:CURR:PROT:STAT ON,(@3);:CURR 0.1,(@3)"))
	if tripped, _ := psu.QueryBool(bg, "CURR:PROT:TRIP? (@3)"); !tripped {
		t.Fatal("OCP did not trip")
	}
	stb, _ := psu.StatusByte(bg)
	if stb&(1<<3) == 0 {
		t.Fatalf("STB %#x without the questionable summary after a trip", stb)
	}
}

func TestDUTFaults(t *testing.T) {
	bench, open := openBench(t, "testdata/dut-bench.yaml")
	psu := open("TCPIP0::10.0.0.20::5025::SOCKET")
	board := open("ASRL/dev/ttyUSB0::INSTR")
	must(t, psu.Write(bg, "VOLT 12,(@2);CURR 1,(@2);:OUTP ON,(@2)"))
	waitIDN(t, board)
	in, _ := bench.Named("board")
	must(t, in.Inject(sim.TimedFault{Fault: "overtemperature"}))
	if f, _ := board.Query(bg, "FAULT?"); f != `2,"OVERTEMPERATURE"` {
		t.Fatalf("FAULT? = %q", f)
	}
	if temp, _ := board.QueryFloat(bg, "MEAS:TEMP?"); temp < 85 {
		t.Fatalf("temperature %v under an overtemperature fault", temp)
	}
	must(t, in.Inject(sim.TimedFault{Fault: "clear"}))
	must(t, board.Write(bg, "FAULT:CLE"))
	must(t, in.Inject(sim.TimedFault{Fault: "overcurrent"}))
	if i, _ := psu.QueryFloat(bg, "MEAS:CURR? (@2)"); i < 0.99 { // wants 1.5 A, held at the 1 A limit
		t.Fatalf("an overcurrent board draws %v A", i)
	}
	must(t, in.Inject(sim.TimedFault{Fault: "hang"}))
	if _, err := board.Query(quick(t), "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("a hung board answered: %v", err)
	}
	if err := in.Inject(sim.TimedFault{Fault: "melt"}); err == nil {
		t.Fatal("an unknown fault was accepted")
	}
}

func TestWiringErrors(t *testing.T) {
	for _, y := range []string{
		"instruments: {p: {model: E36312A}}\nwiring: [{supply: x, channel: 1, resistor: 5}]",
		"instruments: {p: {model: E36312A}}\nwiring: [{supply: p, channel: 4, resistor: 5}]",
		"instruments: {p: {model: E36312A}, q: {model: SAMPLE}}\nwiring: [{supply: p, channel: 1, load: q}]",
		"instruments: {p: {model: SAMPLE}}\nwiring: [{supply: p, channel: 1, resistor: 5}]",
		"instruments: {p: {model: E36312A}}\nwiring: [{supply: p, channel: 1}]",
	} {
		if _, err := sim.ParseBench([]byte(y), "."); err == nil {
			t.Errorf("accepted: %s", y)
		}
	}
}

func TestSeededNoise(t *testing.T) {
	measure := func(seed uint64) []float64 {
		bench, err := sim.ParseBench([]byte(fmt.Sprintf("instruments: {p: {model: DP832, noise: 0.01, seed: %d}}\nwiring: [{supply: p, channel: 1, resistor: 10}]", seed)), ".")
		if err != nil {
			t.Fatal(err)
		}
		in, _ := bench.Named("p")
		s := scpi.NewSession(in.Conn())
		defer s.Close()
		must(t, s.Write(bg, ":SOUR1:VOLT 5;:OUTP CH1,ON"))
		var vs []float64
		for range 20 {
			v, err := s.QueryFloat(bg, ":MEAS:VOLT? CH1")
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		return vs
	}
	a, b, c := measure(1), measure(1), measure(2)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different readings")
	}
	if slices.Equal(a, c) {
		t.Fatal("different seeds gave the same readings")
	}
	var sum, sq float64
	for _, v := range a {
		sum += v
		sq += (v - 5) * (v - 5)
	}
	if mean := sum / 20; math.Abs(mean-5) > 0.05 {
		t.Fatalf("mean %v", mean)
	}
	if sd := math.Sqrt(sq / 20); sd < 0.01 || sd > 0.1 {
		t.Fatalf("standard deviation %v for 1%% noise at 5 V", sd)
	}
	if _, err := sim.ParseBench([]byte("instruments: {d: {model: SAMPLE, noise: 0.01}}"), "."); err == nil {
		t.Fatal("noise on a model without outputs was accepted")
	}
}
