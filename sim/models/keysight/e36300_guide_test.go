package keysight_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/sim"
	"github.com/scpikit/scpikit/sim/models/keysight"
	"github.com/scpikit/scpikit/sim/simtest"
)

// TestE36300Settings sets and reads back what the guide's index lists,
// and checks out-of-range values are refused with the exact error, one
// command per message where a refusal would abort the rest.
func TestE36300Settings(t *testing.T) {
	simtest.Converse(t, "E36312A", []simtest.Exchange{
		{Send: "*OPT?", Want: "0"},
		{Send: "SYST:CHAN?", Want: "3"},
		{Send: "SYST:ERR:COUN?", Want: "0"},
		// APPLy by output name; the query answers both levels.
		{Send: "APPL CH2,12.5,0.5", Want: ""},
		{Send: "APPL? CH2", Want: "+1.25000000E+01,+5.00000000E-01"},
		{Send: "APPL CH1,7", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "APPL P6V,1", Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value"`},
		// Levels on a channel list, all checked before any changes.
		{Send: "VOLT 3,(@1:3)", Want: ""},
		{Send: "VOLT? (@1:3)", Want: "+3.00000000E+00,+3.00000000E+00,+3.00000000E+00"},
		{Send: "VOLT 10,(@1:3)", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "VOLT? (@2)", Want: "+3.00000000E+00"},
		// Triggered levels and modes.
		{Send: "VOLT:TRIG 4,(@1)", Want: ""},
		{Send: "VOLT:TRIG? (@1)", Want: "+4.00000000E+00"},
		{Send: "VOLT:TRIG? MAX,(@2)", Want: "+2.57500000E+01"},
		{Send: "CURR:TRIG 9,(@2)", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CURR:TRIG? (@2)", Want: "+1.03000000E+00"},
		{Send: "VOLT:MODE? (@1)", Want: "FIX"},
		{Send: "VOLT:MODE STEP,(@1,3)", Want: ""},
		{Send: "VOLT:MODE? (@1:3)", Want: "STEP,FIX,STEP"},
		{Send: "CURR:MODE SLOPE,(@1)", Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value"`},
		// Trigger settings per output.
		{Send: "TRIG:SOUR BUS,(@2)", Want: ""},
		{Send: "TRIG:SOUR? (@1:3)", Want: "IMM,BUS,IMM"},
		{Send: "TRIG:DEL 1.5,(@3)", Want: ""},
		{Send: "TRIG:DEL? (@3)", Want: "+1.50000000E+00"},
		{Send: "TRIG:DEL 3601", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		// OCP delay settings.
		{Send: "CURR:PROT:DEL 0.1,(@1)", Want: ""},
		{Send: "CURR:PROT:DEL? (@1)", Want: "+1.00000000E-01"},
		{Send: "CURR:PROT:DEL 0.3,(@1)", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CURR:PROT:DEL:STAR? (@1)", Want: "SCH"},
		{Send: "CURR:PROT:DEL:STAR CCTR,(@1)", Want: ""},
		{Send: "CURR:PROT:DEL:STAR? (@1)", Want: "CCTR"},
		// Channel lists beyond the outputs.
		{Send: "VOLT:MODE STEP,(@4)", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range;no channel 4"`},
		// Display.
		{Send: "DISP:VIEW?", Want: "METER1"},
		{Send: "DISP:VIEW METER3", Want: ""},
		{Send: "DISP:VIEW?", Want: "METER3"},
		{Send: `DISP:TEXT "BENCH 4"`, Want: ""},
		{Send: "DISP:TEXT?", Want: `"BENCH 4"`},
		{Send: "DISP:TEXT:CLE", Want: ""},
		{Send: "DISP:TEXT?", Want: `""`},
		{Send: "DISP OFF", Want: ""},
		{Send: "DISP?", Want: "0"},
		// SYSTem.
		{Send: "SYST:BEEP:STAT?", Want: "1"},
		{Send: "SYST:BEEP:STAT OFF", Want: ""},
		{Send: "SYST:BEEP:STAT?", Want: "0"},
		{Send: "SYST:BEEP", Want: ""},
		// *RST returns the settings.
		{Send: "*RST", Want: ""},
		{Send: "VOLT:MODE? (@1)", Want: "FIX"},
		{Send: "TRIG:SOUR? (@2)", Want: "IMM"},
		{Send: "DISP:VIEW?", Want: "METER1"},
		{Send: "SYST:BEEP:STAT?", Want: "1"},
		{Send: "CURR:TRIG? (@2)", Want: "+1.03000000E+00"},
	})
}

// TestE36300Trigger: a triggered level reaches the output only on a
// trigger, only with MODE STEP, and *TRG without an initiated BUS output
// is ignored with -211.
func TestE36300Trigger(t *testing.T) {
	simtest.Converse(t, "E36313A", []simtest.Exchange{
		{Send: "VOLT 1,(@1:2)", Want: ""},
		{Send: "VOLT:TRIG 5,(@1:2)", Want: ""},
		{Send: "CURR:TRIG 2,(@1)", Want: ""},
		{Send: "VOLT:MODE STEP,(@1:2)", Want: ""},
		{Send: "CURR:MODE STEP,(@1)", Want: ""},
		{Send: "TRIG:SOUR BUS,(@1:2)", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "SYST:ERR?", Want: `-211,"Trigger ignored"`},
		{Send: "INIT (@1)", Want: ""},
		{Send: "VOLT? (@1:2)", Want: "+1.00000000E+00,+1.00000000E+00"},
		{Send: "STAT:OPER:COND?", Want: "32"},
		{Send: "INIT (@1)", Want: ""},
		{Send: "SYST:ERR?", Want: `-213,"Init ignored"`},
		{Send: "*TRG", Want: ""},
		{Send: "VOLT? (@1:2)", Want: "+5.00000000E+00,+1.00000000E+00"},
		{Send: "CURR? (@1)", Want: "+2.00000000E+00"},
		{Send: "STAT:OPER:COND?", Want: "0"},
		// ABORt disarms.
		{Send: "INIT (@2)", Want: ""},
		{Send: "ABOR (@2)", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "SYST:ERR?", Want: `-211,"Trigger ignored"`},
		// FIXed mode: the trigger leaves the level alone.
		{Send: "VOLT:MODE FIX,(@2)", Want: ""},
		{Send: "INIT (@2)", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "VOLT? (@2)", Want: "+1.00000000E+00"},
		// IMMediate source: INIT triggers at once.
		{Send: "VOLT:MODE STEP,(@2)", Want: ""},
		{Send: "TRIG:SOUR IMM,(@2)", Want: ""},
		{Send: "INIT (@2)", Want: ""},
		{Send: "VOLT? (@2)", Want: "+5.00000000E+00"},
	})
}

// TestE36300Protection: OVP and OCP trip the output off, are reported by
// TRIPped? and the questionable register, and clear.
func TestE36300Protection(t *testing.T) {
	in := sim.MustNew("E36312A")
	defer in.Close()
	in.Do(func(d sim.Device) {
		o, _ := d.(sim.Supply).Output(2)
		o.Connect(sim.Resistor(10)) // 5 V draws 0.5 A
	})
	simtest.ConverseWith(t, in, []simtest.Exchange{
		{Send: "VOLT 5,(@2)", Want: ""},
		{Send: "CURR 0.2,(@2)", Want: ""},
		{Send: "CURR:PROT:STAT ON,(@2)", Want: ""},
		{Send: "OUTP ON,(@2)", Want: ""},
		{Send: "CURR:PROT:TRIP? (@2)", Want: "1"},
		{Send: "OUTP? (@2)", Want: "0"},
		{Send: "STAT:QUES:COND?", Want: "2"},
		{Send: "*STB?", Want: "0"}, // the event is not enabled yet
		{Send: "STAT:QUES:ENAB 3", Want: ""},
		{Send: "*STB?", Want: "8"},
		{Send: "STAT:QUES?", Want: "2"},
		{Send: "CURR 1,(@2)", Want: ""},
		{Send: "OUTP:PROT:CLE (@2)", Want: ""},
		{Send: "CURR:PROT:TRIP? (@2)", Want: "0"},
		{Send: "OUTP ON,(@2)", Want: ""},
		{Send: "MEAS:CURR? (@2)", Want: "+5.00000000E-01"},
		{Send: "FETC:VOLT? (@2)", Want: "+5.00000000E+00"},
		{Send: "STAT:OPER:INST:ISUM2:COND?", Want: "256"},
		// OVP below the programmed voltage trips.
		{Send: "VOLT:PROT 4,(@2)", Want: ""},
		{Send: "VOLT:PROT:TRIP? (@2)", Want: "1"},
		{Send: "OUTP? (@2)", Want: "0"},
		{Send: "STAT:QUES:COND?", Want: "1"},
		{Send: "VOLT:PROT 30,(@2)", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
	})
}

// TestE36300CouplePair: coupled outputs switch together; pairing outputs 2
// and 3 widens output 2's range and locks output 3; the E36311A has no
// pair.
func TestE36300CouplePair(t *testing.T) {
	simtest.Converse(t, "E36312A", []simtest.Exchange{
		{Send: "OUTP:COUP:CHAN?", Want: "NONE"},
		{Send: "OUTP:COUP:CHAN CH1,CH3", Want: ""},
		{Send: "OUTP:COUP:CHAN?", Want: "CH1,CH3"},
		{Send: "OUTP ON,(@1)", Want: ""},
		{Send: "OUTP? (@1:3)", Want: "1,0,1"},
		{Send: "OUTP OFF,(@3)", Want: ""},
		{Send: "OUTP? (@1:3)", Want: "0,0,0"},
		{Send: "OUTP:COUP:CHAN ALL,CH1", Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value;ALL and NONE stand alone"`},
		{Send: "OUTP:COUP:CHAN ALL", Want: ""},
		{Send: "OUTP:COUP:CHAN?", Want: "ALL"},
		{Send: "OUTP:COUP:CHAN NONE", Want: ""},
		// Pairs.
		{Send: "OUTP:PAIR?", Want: "OFF"},
		{Send: "VOLT 40,(@2)", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "OUTP:PAIR SER", Want: ""},
		{Send: "OUTP:PAIR?", Want: "SER"},
		{Send: "VOLT 40,(@2)", Want: ""},
		{Send: "VOLT? (@2)", Want: "+4.00000000E+01"},
		{Send: "VOLT? MAX,(@2)", Want: "+5.15000000E+01"},
		{Send: "VOLT 1,(@3)", Want: ""},
		{Send: "SYST:ERR?", Want: `-221,"Settings conflict;output 3 is paired with output 2"`},
		{Send: "OUTP:TRAC ON", Want: ""},
		{Send: "SYST:ERR?", Want: `-221,"Settings conflict;outputs 2 and 3 are paired"`},
		{Send: "OUTP:PAIR PAR", Want: ""},
		{Send: "VOLT? (@2)", Want: "+2.57500000E+01"},
		{Send: "CURR 2,(@2)", Want: ""},
		{Send: "CURR? (@2)", Want: "+2.00000000E+00"},
		{Send: "CURR? MAX,(@2)", Want: "+2.06000000E+00"},
		{Send: "*RST", Want: ""},
		{Send: "OUTP:PAIR?", Want: "OFF"},
		{Send: "CURR? MAX,(@2)", Want: "+1.03000000E+00"},
	})
	simtest.Converse(t, "E36311A", []simtest.Exchange{
		{Send: "OUTP:PAIR SER", Want: ""},
		{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
		{Send: "APPL N25V,-5,0.1", Want: ""},
		{Send: "APPL? CH3", Want: "-5.00000000E+00,+1.00000000E-01"},
	})
}

// TestE36300SaveRecallStatus: *SAV/*RCL keep the state in locations 0 to
// 4, MEMory names them, and the status registers' enables survive *RST
// but not STATus:PRESet.
func TestE36300SaveRecallStatus(t *testing.T) {
	simtest.Converse(t, "E36313A", []simtest.Exchange{
		{Send: "MEM:STAT:VAL? 1", Want: "0"},
		{Send: "VOLT 2,(@1)", Want: ""},
		{Send: "VOLT:MODE STEP,(@1)", Want: ""},
		{Send: "OUTP ON,(@1)", Want: ""},
		{Send: "*SAV 1", Want: ""},
		{Send: "MEM:STAT:VAL? 1", Want: "1"},
		{Send: `MEM:STAT:NAME 1,"BOOT"`, Want: ""},
		{Send: "MEM:STAT:NAME? 1", Want: `"BOOT"`},
		{Send: `MEM:STAT:NAME 1,"THIRTEEN CHAR"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-150,"String data error;a location's name has at most 12 characters"`},
		{Send: "*RST", Want: ""},
		{Send: "VOLT? (@1)", Want: "+0.00000000E+00"},
		{Send: "*RCL 1", Want: ""},
		{Send: "VOLT? (@1)", Want: "+2.00000000E+00"},
		{Send: "OUTP? (@1)", Want: "1"},
		{Send: "VOLT:MODE? (@1)", Want: "STEP"},
		{Send: "*SAV 5", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "MEM:STAT:REC:AUTO ON", Want: ""},
		{Send: "MEM:STAT:REC:AUTO?", Want: "1"},
		{Send: "MEM:STAT:REC:SEL 3", Want: ""},
		{Send: "MEM:STAT:REC:SEL?", Want: "3"},
		// Status: output 1 is on in CV with no load.
		{Send: "STAT:QUES:INST:ISUM1:COND?", Want: "2"},
		{Send: "STAT:OPER:INST:ISUM1:COND?", Want: "256"},
		{Send: "STAT:OPER:INST:ISUM1:ENAB 256", Want: ""},
		{Send: "STAT:OPER:INST:ENAB 2", Want: ""},
		{Send: "STAT:OPER:ENAB 8192", Want: ""},
		{Send: "STAT:OPER:INST:COND?", Want: "2"},
		{Send: "*STB?", Want: "128"},
		{Send: "*RST", Want: ""},
		{Send: "STAT:OPER:ENAB?", Want: "8192"},
		{Send: "STAT:PRES", Want: ""},
		{Send: "STAT:OPER:ENAB?", Want: "0"},
		{Send: "STAT:OPER:INST:ISUM1:ENAB?", Want: "0"},
		{Send: "*CLS", Want: ""},
		{Send: "STAT:OPER:INST:ISUM1?", Want: "0"},
		{Send: "*PSC 0", Want: ""},
		{Send: "*PSC?", Want: "0"},
		{Send: "*TST?", Want: "0"},
	})
}

// TestE36300TriggerDelay: the triggered levels arrive TRIGger:DELay after
// the trigger, on the model's clock, and ABORt cancels one still waiting.
func TestE36300TriggerDelay(t *testing.T) {
	_, run := clocked(t)
	run([]simtest.Exchange{
		{Send: "VOLT 1,(@1)", Want: ""},
		{Send: "VOLT:TRIG 5,(@1)", Want: ""},
		{Send: "VOLT:MODE STEP,(@1)", Want: ""},
		{Send: "TRIG:DEL 2,(@1)", Want: ""},
		{Send: "INIT (@1)", Want: ""},
		{Send: "VOLT? (@1)", Want: "+1.00000000E+00"},
		{Send: "wait 1999ms"},
		{Send: "VOLT? (@1)", Want: "+1.00000000E+00"},
		{Send: "INIT (@1)", Want: ""},
		{Send: "SYST:ERR?", Want: `-213,"Init ignored"`},
		{Send: "wait 1ms"},
		{Send: "VOLT? (@1)", Want: "+5.00000000E+00"},
		// BUS: *TRG starts the delay; ABORt cancels it.
		{Send: "VOLT 1,(@1)", Want: ""},
		{Send: "TRIG:SOUR BUS,(@1)", Want: ""},
		{Send: "INIT (@1)", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "ABOR (@1)", Want: ""},
		{Send: "wait 3s"},
		{Send: "VOLT? (@1)", Want: "+1.00000000E+00"},
		{Send: "INIT (@1)", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "wait 2s"},
		{Send: "VOLT? (@1)", Want: "+5.00000000E+00"},
	})
}

// clocked returns an E36312A on a clock the test moves on, with a 10 Ω
// load on output 1, and a run function: it sends a script's exchanges in
// order, except that an exchange whose Send is "wait <duration>" moves
// the clock on.
func clocked(t *testing.T) (*sim.Instrument, func([]simtest.Exchange)) {
	t.Helper()
	in := sim.MustNew("E36312A")
	t.Cleanup(in.Close)
	clock := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	keysight.SetE36300Clock(in, func() time.Time { return clock })
	in.Do(func(d sim.Device) {
		o, _ := d.(sim.Supply).Output(1)
		o.Connect(sim.Resistor(10))
	})
	return in, func(script []simtest.Exchange) {
		t.Helper()
		for len(script) > 0 {
			n := slices.IndexFunc(script, func(x simtest.Exchange) bool { return strings.HasPrefix(x.Send, "wait ") })
			if n < 0 {
				n = len(script)
			}
			if n > 0 {
				simtest.ConverseWith(t, in, script[:n])
			}
			if n == len(script) {
				return
			}
			d, err := time.ParseDuration(strings.TrimPrefix(script[n].Send, "wait "))
			if err != nil {
				t.Fatal(err)
			}
			in.Do(func(sim.Device) { clock = clock.Add(d) })
			script = script[n+1:]
		}
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
// model's clock (SCHange: from switching on). With CCTRans the delay runs
// from entering constant current (here, coming on into the load), and a
// settings change 30 ms later does not restart it.
func TestE36300OCPDelay(t *testing.T) {
	_, run := clocked(t)
	run([]simtest.Exchange{
		{Send: "APPL CH1,5,0.2", Want: ""},
		{Send: "CURR:PROT:DEL 0.05,(@1)", Want: ""},
		{Send: "CURR:PROT:STAT ON,(@1)", Want: ""},
		{Send: "OUTP ON,(@1)", Want: ""},
		{Send: "OUTP? (@1)", Want: "1"},
		{Send: "wait 49ms"},
		{Send: "CURR:PROT:TRIP? (@1)", Want: "0"},
		{Send: "OUTP? (@1)", Want: "1"},
		{Send: "wait 1ms"},
		{Send: "CURR:PROT:TRIP? (@1)", Want: "1"},
		{Send: "OUTP? (@1)", Want: "0"},
		{Send: "STAT:QUES:COND?", Want: "2"},
		{Send: "OUTP:PROT:CLE (@1)", Want: ""},
		{Send: "CURR:PROT:DEL:STAR CCTR,(@1)", Want: ""},
		{Send: "OUTP ON,(@1)", Want: ""},
		{Send: "wait 30ms"},
		{Send: "VOLT 4.9,(@1)", Want: ""},
		{Send: "OUTP? (@1)", Want: "1"},
		{Send: "wait 20ms"},
		{Send: "OUTP? (@1)", Want: "0"},
	})
}

// TestE36300DataLogImmediate: an immediately triggered log records the
// selected quantities every PERiod for TIME, each sample taken at its
// own time (a level changed between samples shows from the next one),
// refuses changes while it runs, and exports as CSV.
func TestE36300DataLogImmediate(t *testing.T) {
	// Samples at 0, 0.5, 1 and 1.5 s; the level changes at 0.75 s.
	log := []string{
		"Time (s),CH1 Voltage (V),CH1 Current (A)",
		"0.000,5.000000E+00,5.000000E-01",
		"0.500,5.000000E+00,5.000000E-01",
		"1.000,4.000000E+00,4.000000E-01",
		"1.500,4.000000E+00,4.000000E-01",
	}
	in, run := clocked(t)
	run([]simtest.Exchange{
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
		{Send: "wait 750ms"},
		{Send: "VOLT 4,(@1)", Want: ""},
		{Send: "wait 1250ms"},
		{Send: `MMEM:EXP:DLOG "Internal:/log1.csv"`, Want: ""},
		{Send: `MMEM:EXP:DLOG "Internal:/log1.txt"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value;the file name ends in .csv"`},
	})
	wantFile(t, in, "Internal:/log1.dlog", log...)
	wantFile(t, in, "Internal:/log1.csv", log...)
}

// TestE36300DataLogBusTrigger: with TRIGger:DLOG:SOURce BUS the log
// waits for *TRG, keeping OFFSet percent of TIME from before it; the
// clock moved on a century while waiting costs no more than the log
// keeps; ABORt:DLOG ends a log with what it has.
func TestE36300DataLogBusTrigger(t *testing.T) {
	in, run := clocked(t)
	run([]simtest.Exchange{
		{Send: "APPL CH1,1,1", Want: ""},
		{Send: "OUTP ON,(@1)", Want: ""},
		{Send: "SENS:DLOG:FUNC:VOLT OFF,(@2:3)", Want: ""},
		{Send: "SENS:DLOG:FUNC:CURR OFF,(@1:3)", Want: ""},
		{Send: "SENS:DLOG:TIME 4", Want: ""},
		{Send: "SENS:DLOG:OFFS 50", Want: ""},
		{Send: "TRIG:DLOG:SOUR BUS", Want: ""},
		{Send: `INIT:DLOG "Internal:/bus.dlog"`, Want: ""},
		{Send: "wait 876000h"},
		{Send: "VOLT 2,(@1)", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "*TRG", Want: ""},
		{Send: "SYST:ERR?", Want: `-211,"Trigger ignored"`},
		{Send: "wait 2s"},
		{Send: "VOLT 3,(@1)", Want: ""},
		// The immediate trigger command starts a waiting log whatever
		// the source; ABORt:DLOG ends it early.
		{Send: "TRIG:DLOG:SOUR IMM", Want: ""},
		{Send: "SENS:DLOG:OFFS 0", Want: ""},
		{Send: `INIT:DLOG "Internal:/short.dlog"`, Want: ""},
		{Send: "wait 1500ms"},
		{Send: "ABOR:DLOG", Want: ""},
		{Send: `MMEM:EXP:DLOG "Internal:/short.csv"`, Want: ""},
		// OFFSet 100: all of TIME comes before the trigger, so the log
		// is complete the moment the trigger arrives.
		{Send: "SENS:DLOG:OFFS 100;TIME 2", Want: ""},
		{Send: "TRIG:DLOG:SOUR BUS", Want: ""},
		{Send: `INIT:DLOG "Internal:/before.dlog"`, Want: ""},
		{Send: "wait 5s"},
		{Send: "*TRG", Want: ""},
	})
	wantFile(t, in, "Internal:/before.dlog",
		"Time (s),CH1 Voltage (V)",
		"-2.000,3.000000E+00",
		"-1.000,3.000000E+00",
	)
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
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value;the file name ends in .dlog"`},
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
