package keysight_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/sim"
	"github.com/scpikit/scpikit/sim/models/keysight"
	"github.com/scpikit/scpikit/sim/simtest"
)

// clocked returns an E36312A on a clock the test moves on, with a 10 Ω
// load on output 1, and a step function: run a script, then move the
// clock on.
func clocked(t *testing.T) (*sim.Instrument, func([]simtest.Exchange, time.Duration)) {
	t.Helper()
	in := sim.MustNew("E36312A")
	t.Cleanup(in.Close)
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	keysight.SetE36300Clock(in, func() time.Time { return clock })
	in.Do(func(d sim.Device) {
		o, _ := d.(sim.Supply).Output(1)
		o.Connect(sim.Resistor(10))
	})
	return in, func(script []simtest.Exchange, advance time.Duration) {
		t.Helper()
		simtest.ConverseWith(t, in, script)
		in.Do(func(sim.Device) { clock = clock.Add(advance) })
	}
}

// wantFile compares a file the model wrote with its lines.
func wantFile(t *testing.T, in *sim.Instrument, name string, lines ...string) {
	t.Helper()
	got, ok := keysight.E36300File(in, name)
	if !ok {
		t.Fatalf("no file %s", name)
	}
	if diff := cmp.Diff(strings.Join(lines, "\n")+"\n", string(got)); diff != "" {
		t.Errorf("%s (-want +got):\n%s", name, diff)
	}
}

// TestE36300OCPDelay: with an OCP delay, an output switched on into a
// load beyond its limit trips only once the delay has passed on the
// model's clock; CURR:PROT:DEL:STAR reaches the output.
func TestE36300OCPDelay(t *testing.T) {
	_, step := clocked(t)
	step([]simtest.Exchange{
		{Send: "APPL CH1,5,0.2", Want: ""},
		{Send: "CURR:PROT:DEL 0.05,(@1)", Want: ""},
		{Send: "CURR:PROT:STAT ON,(@1)", Want: ""},
		{Send: "OUTP ON,(@1)", Want: ""},
		{Send: "OUTP? (@1)", Want: "1"},
	}, 49*time.Millisecond)
	step([]simtest.Exchange{
		{Send: "CURR:PROT:TRIP? (@1)", Want: "0"},
		{Send: "OUTP? (@1)", Want: "1"},
	}, time.Millisecond)
	step([]simtest.Exchange{
		{Send: "CURR:PROT:TRIP? (@1)", Want: "1"},
		{Send: "OUTP? (@1)", Want: "0"},
		{Send: "STAT:QUES:COND?", Want: "2"},
		// CCTRans: the delay runs from entering CC, which happens when
		// the output comes on into the load.
		{Send: "OUTP:PROT:CLE (@1)", Want: ""},
		{Send: "CURR:PROT:DEL:STAR CCTR,(@1)", Want: ""},
		{Send: "OUTP ON,(@1)", Want: ""},
	}, 30*time.Millisecond)
	step([]simtest.Exchange{
		// A settings change does not restart a CCTRans delay.
		{Send: "VOLT 4.9,(@1)", Want: ""},
		{Send: "OUTP? (@1)", Want: "1"},
	}, 20*time.Millisecond)
	step([]simtest.Exchange{
		{Send: "OUTP? (@1)", Want: "0"},
	}, 0)
}

// TestE36300DataLogSettings: the data logger's settings, their ranges,
// *RST values and replies.
func TestE36300DataLogSettings(t *testing.T) {
	simtest.Converse(t, "E36313A", []simtest.Exchange{
		{Send: "SENS:DLOG:PER?", Want: "+1.00000000E+00"},
		{Send: "SENS:DLOG:TIME?", Want: "+3.00000000E+01"},
		{Send: "SENS:DLOG:OFFS?", Want: "+0.00000000E+00"},
		{Send: "SENS:DLOG:FUNC:VOLT? (@1:3)", Want: "1,1,1"},
		{Send: "SENS:DLOG:FUNC:CURR? (@1:3)", Want: "1,1,1"},
		{Send: "TRIG:DLOG:SOUR?", Want: "IMM"},
		{Send: "SENS:DLOG:PER? MIN", Want: "+2.00000000E-01"},
		{Send: "SENS:DLOG:PER 0.1", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "SENS:DLOG:PER 0.5", Want: ""},
		{Send: "SENS:DLOG:PER?", Want: "+5.00000000E-01"},
		{Send: "SENS:DLOG:TIME MAX", Want: ""},
		{Send: "SENS:DLOG:TIME?", Want: "+3.60000000E+05"},
		{Send: "SENS:DLOG:OFFS 101", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "SENS:DLOG:OFFS 25", Want: ""},
		{Send: "SENS:DLOG:FUNC:CURR OFF,(@2,3)", Want: ""},
		{Send: "SENS:DLOG:FUNC:CURR? (@1:3)", Want: "1,0,0"},
		{Send: "TRIG:DLOG:SOUR BUS", Want: ""},
		{Send: "TRIG:DLOG:SOUR?", Want: "BUS"},
		// Too many samples for the simulated logger: refused at INIT.
		{Send: `INIT:DLOG "Internal:/big.dlog"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-221,"Settings conflict;the simulated data logger keeps at most 20000 samples: lengthen PERiod or shorten TIME"`},
		{Send: "SENS:DLOG:TIME 10", Want: ""},
		{Send: `INIT:DLOG "Internal:/log.txt"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value;a data log file name ends in .dlog"`},
		{Send: `MMEM:EXP:DLOG "Internal:/log.csv"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-200,"Execution error;no data log to export"`},
		{Send: "TRIG:DLOG", Want: ""},
		{Send: "SYST:ERR?", Want: `-211,"Trigger ignored"`},
		{Send: "SENS:DLOG:FUNC:VOLT OFF,(@1:3);:SENS:DLOG:FUNC:CURR OFF,(@1)", Want: ""},
		{Send: `INIT:DLOG "Internal:/none.dlog"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-221,"Settings conflict;no voltage or current is selected for the data log"`},
		{Send: "*RST", Want: ""},
		{Send: "SENS:DLOG:PER?", Want: "+1.00000000E+00"},
		{Send: "SENS:DLOG:OFFS?", Want: "+0.00000000E+00"},
		{Send: "SENS:DLOG:FUNC:VOLT? (@1:3)", Want: "1,1,1"},
		{Send: "TRIG:DLOG:SOUR?", Want: "IMM"},
	})
}

// TestE36300DataLogImmediate: an immediately triggered log records the
// selected quantities every PERiod for TIME, each sample taken at its
// own time (a level changed between samples shows from the next one),
// refuses changes while it runs, and exports as CSV.
func TestE36300DataLogImmediate(t *testing.T) {
	in, step := clocked(t)
	step([]simtest.Exchange{
		{Send: "APPL CH1,5,1", Want: ""},
		{Send: "OUTP ON,(@1)", Want: ""},
		{Send: "SENS:DLOG:FUNC:VOLT OFF,(@2:3)", Want: ""},
		{Send: "SENS:DLOG:FUNC:CURR OFF,(@2:3)", Want: ""},
		{Send: "SENS:DLOG:PER 0.5", Want: ""},
		{Send: "SENS:DLOG:TIME 2", Want: ""},
		{Send: `INIT:DLOG "Internal:/log1.dlog"`, Want: ""},
		{Send: `INIT:DLOG "Internal:/log2.dlog"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-213,"Init ignored;the data logger is running"`},
		{Send: "SENS:DLOG:PER 1", Want: ""},
		{Send: "SYST:ERR?", Want: `-221,"Settings conflict;the data logger is running"`},
		{Send: `MMEM:EXP:DLOG "Internal:/log1.csv"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-221,"Settings conflict;the data logger is running"`},
	}, 750*time.Millisecond)
	step([]simtest.Exchange{
		{Send: "VOLT 4,(@1)", Want: ""},
	}, 1250*time.Millisecond)
	step([]simtest.Exchange{
		{Send: `MMEM:EXP:DLOG "Internal:/log1.csv"`, Want: ""},
		{Send: `MMEM:EXP:DLOG "Internal:/log1.txt"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value;the export file name ends in .csv"`},
	}, 0)
	log := []string{
		"Time (s),CH1 Voltage (V),CH1 Current (A)",
		"0.000,5.000000E+00,5.000000E-01",
		"0.500,5.000000E+00,5.000000E-01",
		"1.000,4.000000E+00,4.000000E-01",
		"1.500,4.000000E+00,4.000000E-01",
	}
	wantFile(t, in, "Internal:/log1.dlog", log...)
	wantFile(t, in, "Internal:/log1.csv", log...)
}

// TestE36300DataLogBusTrigger: with TRIGger:DLOG:SOURce BUS the log
// waits for *TRG, keeping OFFSet percent of TIME from before it; the
// clock moved on a century while waiting costs no more than the log
// keeps; ABORt:DLOG ends a log with what it has.
func TestE36300DataLogBusTrigger(t *testing.T) {
	in, step := clocked(t)
	step([]simtest.Exchange{
		{Send: "APPL CH1,1,1", Want: ""},
		{Send: "OUTP ON,(@1)", Want: ""},
		{Send: "SENS:DLOG:FUNC:VOLT OFF,(@2:3)", Want: ""},
		{Send: "SENS:DLOG:FUNC:CURR OFF,(@1:3)", Want: ""},
		{Send: "SENS:DLOG:TIME 4", Want: ""},
		{Send: "SENS:DLOG:OFFS 50", Want: ""},
		{Send: "TRIG:DLOG:SOUR BUS", Want: ""},
		{Send: `INIT:DLOG "Internal:/bus.dlog"`, Want: ""},
	}, 100*365*24*time.Hour)
	step([]simtest.Exchange{
		{Send: "VOLT 2,(@1)", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "SYST:ERR?", Want: `-211,"Trigger ignored"`},
	}, 2*time.Second)
	step([]simtest.Exchange{
		{Send: "VOLT 3,(@1)", Want: ""},
		// The immediate trigger command starts a waiting log whatever
		// the source; ABORt:DLOG ends it early.
		{Send: "TRIG:DLOG:SOUR IMM", Want: ""},
		{Send: "SENS:DLOG:OFFS 0", Want: ""},
		{Send: `INIT:DLOG "Internal:/short.dlog"`, Want: ""},
	}, 1500*time.Millisecond)
	step([]simtest.Exchange{
		{Send: "ABOR:DLOG", Want: ""},
		{Send: `MMEM:EXP:DLOG "Internal:/short.csv"`, Want: ""},
	}, 0)
	wantFile(t, in, "Internal:/bus.dlog",
		"Time (s),CH1 Voltage (V)",
		"-2.000,1.000000E+00",
		"-1.000,1.000000E+00",
		"0.000,2.000000E+00",
		"1.000,2.000000E+00",
	)
	wantFile(t, in, "Internal:/short.csv",
		"Time (s),CH1 Voltage (V)",
		"0.000,3.000000E+00",
		"1.000,3.000000E+00",
	)
}
