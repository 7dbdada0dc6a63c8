package rigol

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/sim"
)

// step is one program message after the model's clock has moved on by
// after, and the reply it must get.
type step struct {
	after      time.Duration
	send, want string
}

// converse runs steps on a fresh instrument of model whose clock moves
// only as the steps say, after setup (a load wired to an output), and
// compares "send -> reply" lines.
func converse(t *testing.T, model string, steps []step, setup ...func(*dp800)) *sim.Instrument {
	t.Helper()
	in := sim.MustNew(model)
	t.Cleanup(in.Close)
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in.Do(func(dev sim.Device) {
		d := dev.(*dp800)
		d.now = func() time.Time { return clock }
		for _, f := range setup {
			f(d)
		}
	})
	cl := in.NewClient()
	var got, want []string
	for _, s := range steps {
		clock = clock.Add(s.after)
		cl.Write([]byte(s.send + "\n"))
		got = append(got, s.send+" -> "+strings.TrimSuffix(string(cl.TakeOutput()), "\n"))
		want = append(want, s.send+" -> "+s.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", model, diff)
	}
	return in
}

// talk is converse with the clock standing still.
func talk(t *testing.T, model string, pairs [][2]string, setup ...func(*dp800)) *sim.Instrument {
	t.Helper()
	steps := make([]step, len(pairs))
	for k, p := range pairs {
		steps[k] = step{send: p[0], want: p[1]}
	}
	return converse(t, model, steps, setup...)
}

func load(ch int, ohms float64) func(*dp800) {
	return func(d *dp800) { d.Outputs[ch].Connect(sim.Resistor(ohms)) }
}

const noError = `0,"No error"`

// Every new setting is set and read back in one message, with the
// guide's reply formats (its examples where it gives one), and refused
// with the exact error outside its range.
func TestDP800SettingsReadBack(t *testing.T) {
	talk(t, "DP832", [][2]string{
		{":DISP:MODE?", "NORMAL"},
		{":DISP:MODE WAVE;:DISP:MODE?", "WAVE"},
		{":DISP:MODE CLAS;:DISP:MODE?", "CLASSIC"},
		{":DISP:MODE BIG;:SYST:ERR?", `-224,"Illegal parameter value"`},
		{":SYST:BRIG?;:SYST:CONT?", "50;25"},
		{":SYST:BRIG 80;:SYST:BRIG?", "80"},
		{":SYST:BRIG 101;:SYST:ERR?", `-222,"Data out of range"`},
		{":SYST:CONT 0;:SYST:ERR?", `-222,"Data out of range"`},
		{":SYST:CONT MAX;:SYST:CONT?", "100"},
		{":SYST:KLOC ON;:SYST:KLOC?;:SYST:KLOC:STAT?", "ON;ON"},
		{":SYST:LANG:TYPE?", "EN"},
		{":SYST:LANG:TYPE GER;:SYST:LANG:TYPE?", "GER"},
		{":SYST:ONOFFS ON;:SYST:ONOFFS?", "ON"},
		{":SYST:POWE?", "DEFAULT"},
		{":SYST:POWE LAST;:SYST:POWE?", "LAST"},
		{":SYST:SAV ON;:SYST:SAV?", "ON"},
		{":SYST:SELF:TEST:BOARD?;FAN?;TEMP?", "PASS,PASS;PASS;25.00"},
		{":SYST:TRACKM?", "SYNC"},
		{":SYST:TRACKM INDE;:SYST:TRACKM?", "INDE"},
		{":PRES:KEY?", "DEFAULT"},
		{":PRES:KEY USER2;:PRES:KEY?", "USER2"},
		// The timer, with the guide's example of :TIMEr:PARAmeter.
		{":TIME:CYCLE?;:TIME:ENDS?;:TIME:GROUP?", "N,1;OFF;1"},
		{":TIME:CYCLE N,5;:TIME:CYCLE?", "N,5"},
		{":TIME:CYCLE I;:TIME:CYCLE?", "I"},
		{":TIME:CYCLE N,100000;:SYST:ERR?", `-222,"Data out of range"`},
		{":TIME:ENDS LAST;:TIME:ENDS?", "LAST"},
		{":TIME:GROUP 25;:TIME:GROUP?", "25"},
		{":TIME:GROUP 2049;:SYST:ERR?", `-222,"Data out of range"`},
		{":TIME:PARA 1,8,1,10;:TIME:PARA 2,6,1,10;:TIME:PARA? 1,2", "#90000000361,8.000,1.0000,10;2,6.000,1.0000,10;"},
		{":TIME:PARA? 2047,2;:SYST:ERR?", `-222,"Data out of range"`},
		{":TIME:PARA 1,33,1,10;:SYST:ERR?", `-222,"Data out of range"`},
		{":TIME:PARA 1,5,1,0.5;:SYST:ERR?", `-222,"Data out of range"`},
		{":TIME:PARA 2048,5,1,1;:SYST:ERR?", `-222,"Data out of range"`},
		// :OUTPut:TIMEr, with the guide's example.
		{":OUTP:TIME P8V,1,5,1,10;:OUTP:TIME? P8V", "0,1.000,1.0000,1;1,5.000,1.0000,10;2,6.000,1.0000,10;3,1.000,1.0000,1;4,1.000,1.0000,1"},
		{":OUTP:TIME CH3,0,5.3,2,3;:OUTP:TIME? CH3", "0,5.300,2.0000,3;1,1.000,1.0000,1;2,1.000,1.0000,1;3,1.000,1.0000,1;4,1.000,1.0000,1"},
		{":OUTP:TIME:STAT? CH3", "OFF"},
		// The delayer, with the guide's examples.
		{":DELAY:CYCLE?;:DELAY:ENDS?;:DELAY:GROUP?;:DELAY:STOP?", "N,1;OFF;1;NONE"},
		{":DELAY:PARA 2,OFF,3;:DELAY:PARA? 2,2", "#90000000152,OFF,3;3,ON,1;"},
		{":DELAY:PARA 0,ON,0;:SYST:ERR?", `-222,"Data out of range"`},
		{":DELAY:ENDS LAST;:DELAY:ENDS?", "LAST"},
		{":DELAY:CYCLE N,3;:DELAY:CYCLE?", "N,3"},
		{":DELAY:GROUP 4;:DELAY:TIME:GEN INC,2,5;:DELAY:TIME:GEN?", "INC,2,5"},
		{":DELAY:PARA? 0,4", "#90000000320,OFF,2;1,ON,7;2,OFF,12;3,ON,17;"},
		{":DELAY:STAT:GEN 10P;:DELAY:STAT:GEN?;:DELAY:PARA? 0,2", "10P;#90000000150,ON,2;1,OFF,7;"},
		{":DELAY:TIME:GEN FIX,4,9;:DELAY:PARA? 0,2", "#90000000150,ON,4;1,OFF,9;"},
		{":DELAY:TIME:GEN INC,99990,5;:SYST:ERR?", `-222,"Data out of range;base + groups x step is above 99999 s"`},
		{":DELAY:STOP >C,1.5;:DELAY:STOP?", ">C,1.5000"},
		{":DELAY:STOP <V,5;:DELAY:STOP?", "<V,5.000"},
		{":DELAY:STOP >Q,1;:SYST:ERR?", `-224,"Illegal parameter value"`},
		{":DELAY:STOP NONE;:DELAY:STOP?", "NONE"},
		// The monitor, with the guide's example of :MONItor:POWER.
		{":MONI?;:MONI:VOLT:COND?;:MONI:CURR:COND?;:MONI:POWER:COND?", "OFF;NONE,NONE;NONE,NONE;NONE"},
		{":MONI:VOLT?;:MONI:CURR?;:MONI:POWER?", "15.000;1.5000;22.500"},
		{":MONI:POWER 20;:MONI:POWER?", "20.000"},
		{":MONI:VOLT:COND >V,OR;:MONI:VOLT:COND?", ">V,OR"},
		{":MONI:CURR:COND <C,AND;:MONI:CURR:COND?", "<C,AND"},
		{":MONI:POWER:COND >P;:MONI:POWER:COND?", ">P"},
		{":MONI:VOLT 40;:SYST:ERR?", `-222,"Data out of range"`},
		{":MONI:STOP?", "OutputOff:OFF,Warn:ON,Beep:OFF"},
		{":MONI:STOP OUTOFF,ON;:MONI:STOP WARN,OFF;:MONI:STOP BEEPER,ON;:MONI:STOP?", "OutputOff:ON,Warn:OFF,Beep:ON"},
		// Recorder and analyzer settings.
		{":REC:PERI?;:REC?", "1;OFF"},
		{":REC:PERI 5;:REC:PERI?", "5"},
		{":REC:PERI 0;:SYST:ERR?", `-222,"Data out of range"`},
		{":ANAL:OBJ P;:ANAL:OBJ?", "P"},
		{":ANAL:UNIT CH3;:ANAL:UNIT?", "CH3"},
		{":ANAL:STARTT 2;:SYST:ERR?", `-221,"Settings conflict;no record file is open"`},
		{":ANAL:RES?", "NumGroups:0,Median:0.000W,Mode:0.000W,Average:0.000W,Variance:0.000W,Range:0.000W,Min:0.000W,Max:0.000W,MeanDev:0.000W"},
		// Digital I/O, with the guide's example of :TRIGger:OUT:CONDition.
		{":TRIG:IN? D2;:TRIG:IN:TYPE? D2;:TRIG:IN:RESP? D2;:TRIG:IN:SOUR? D2;:TRIG:IN:SENS? D2", "D2,OFF;RISE;OFF;CH1;LOW"},
		{":TRIG:IN D2,ON;:TRIG:IN? D2", "D2,ON"},
		{":TRIG:IN:TYPE D2,HIGH;:TRIG:IN:TYPE? D2", "HIGH"},
		{":TRIG:IN:TYPE? ;:TRIG:IN?", "HIGH;D2,ON"}, // the line last named
		{":TRIG:IN:SOUR D2,CH1,CH3;:TRIG:IN:SOUR? D2", "CH1,CH3"},
		{":TRIG:IN:SENS D2,MID;:TRIG:IN:SENS? D2", "MID"},
		{":TRIG:IN D4,ON;:SYST:ERR?", `-224,"Illegal parameter value;the data lines are D0 to D3"`},
		{":TRIG:OUT:COND D1,>V,8.8;:TRIG:OUT:COND? D1", ">V,8.800"},
		{":TRIG:OUT:COND D1,<C,1.25;:TRIG:OUT:COND? D1", "<C,1.2500"},
		{":TRIG:OUT:COND D1,OUTON;:TRIG:OUT:COND? D1", "OUTON"},
		{":TRIG:OUT:COND D1,>C;:TRIG:OUT:COND? D1", ">C,1.5000"}, // half CH1's rated 3 A
		{":TRIG:OUT:COND D1,<P;:TRIG:OUT:COND? D1", "<P,22.500"},
		{":TRIG:OUT:COND D1,>V,40;:SYST:ERR?", `-222,"Data out of range"`},
		{":TRIG:OUT D3,ON;:TRIG:OUT? D3;:TRIG:OUT? D0", "D3,ON;D0,OFF"},
		{":TRIG:OUT:DUTY D0,30;:TRIG:OUT:DUTY? D0", "30"},
		{":TRIG:OUT:DUTY D0,95;:SYST:ERR?", `-222,"Data out of range"`},
		{":TRIG:OUT:PERI D0,0.25;:TRIG:OUT:PERI? D0", "0.2500"},
		{":TRIG:OUT:PERI D0,3;:SYST:ERR?", `-222,"Data out of range"`},
		{":TRIG:OUT:POLA D0,NEGA;:TRIG:OUT:POLA? D0", "NEGA"},
		{":TRIG:OUT:SIGN D0,SQUARE;:TRIG:OUT:SIGN? D0", "SQUARE"},
		{":TRIG:OUT:SOUR D0,CH2;:TRIG:OUT:SOUR? D0", "CH2"},
		// Memory: empty locations, a bad location.
		{":MEM:VAL? RSF,1;:MEM:VAL? RTF,1;:MEM:VAL? RDF,1;:MEM:VAL? ROF,1", "NO;NO;NO;NO"},
		{":MEM:STOR RSF,11;:SYST:ERR?", `-222,"Data out of range"`},
		{":MEM:STOR ROF,1;:SYST:ERR?", `-224,"Illegal parameter value;the recorder writes record files"`},
		{":MEM:LOAD RTF,4;:SYST:ERR?", `-200,"Execution error;RTF location 4 is empty"`},
		{":SYST:ERR?", noError},
	})
	// The DP811 and DP821 have no tracking channels, so no track mode.
	talk(t, "DP821", [][2]string{
		{":SYST:TRACKM?", ""},
		{":SYST:ERR?", `-113,"Undefined header"`},
		{":MONI:VOLT?;:MONI:CURR?;:MONI:POWER?", "30.000;0.5000;15.000"},
	})
}

// The timer steps the channel's setpoints through its groups on the
// model's clock, and ends with its end state.
func TestDP800TimerStepsSetpoints(t *testing.T) {
	converse(t, "DP832", []step{
		{0, ":TIME:PARA 0,5,1,2;:TIME:PARA 1,8,0.5,3;:TIME:GROUP 2", ""},
		{0, ":OUTP CH1,ON;:TIME ON;:SOUR1:VOLT?;:SOUR1:CURR?", "5.000;1.0000"},
		{time.Second, ":SOUR1:VOLT?;:TIME?", "5.000;ON"},
		{time.Second, ":SOUR1:VOLT?;:SOUR1:CURR?;:MEAS? CH1", "8.000;0.5000;8.0000"},
		{0, ":TIME:PARA 0,1,1,1;:SYST:ERR?", `-221,"Settings conflict;the timer of CH1 is running"`},
		{0, ":DELAY ON;:SYST:ERR?", `-221,"Settings conflict;the timer of CH1 is on"`},
		{2 * time.Second, ":SOUR1:VOLT?;:OUTP? CH1", "8.000;ON"},
		// 5 s: one cycle done, the end state OFF switches the output off.
		{time.Second, ":TIME?;:OUTP? CH1;:SOUR1:VOLT?", "OFF;OFF;8.000"},
		// LAST keeps the last group's levels and the output on; groups run
		// in cycles, even when no command arrives in between.
		{0, ":TIME:ENDS LAST;:TIME:CYCLE N,3;:SOUR1:VOLT 1;:OUTP CH1,ON;:TIME ON", ""},
		{11 * time.Second, ":SOUR1:VOLT?;:TIME?", "5.000;ON"}, // 11 s: cycle 3, group 0 (10 to 12 s)
		{2 * time.Second, ":SOUR1:VOLT?", "8.000"},
		{5 * time.Second, ":TIME?;:OUTP? CH1;:SOUR1:VOLT?", "OFF;ON;8.000"},
		// Switched off by hand, the levels stay where the timer left them.
		{0, ":TIME:CYCLE I;:TIME ON;:TIME OFF;:TIME?;:SOUR1:VOLT?", "OFF;5.000"},
		// *RST stops a running timer.
		{0, ":TIME ON;*RST;:TIME?;:SOUR1:VOLT?", "OFF;0.000"},
	})
}

// An infinite timer program left for days between two commands catches up
// at once, whole cycles at a time, and lands on the right group.
func TestDP800TimerCatchesUpLongGaps(t *testing.T) {
	const days = 5 * 24 * time.Hour // 432000 s: more groups than played one by one
	converse(t, "DP832", []step{
		{0, ":TIME:PARA 0,2,1,1;:TIME:PARA 1,3,1,2;:TIME:GROUP 2;:TIME:CYCLE I;:TIME ON", ""},
		{days, ":SOUR1:VOLT?;:TIME?", "2.000;ON"}, // 432000 = 144000 cycles of 3 s
		{time.Second, ":SOUR1:VOLT?", "3.000"},
	})
}

// The delayer switches the output group by group, cycle by cycle, ends
// with its end state, and stops early when its stop condition is met.
func TestDP800DelaySequence(t *testing.T) {
	converse(t, "DP832", []step{
		{0, ":INST CH2;:DELAY:PARA 0,ON,2;:DELAY:PARA 1,OFF,1;:DELAY:GROUP 2;:DELAY:CYCLE N,2;:DELAY:ENDS ON", ""},
		{0, ":DELAY ON;:OUTP? CH2", "ON"},
		{2 * time.Second, ":OUTP? CH2", "OFF"},
		{time.Second, ":OUTP? CH2;:DELAY?", "ON;ON"},
		{2 * time.Second, ":OUTP? CH2", "OFF"},
		{0, ":DELAY:PARA 0,ON,1;:SYST:ERR?", `-221,"Settings conflict;the delayer of CH2 is running"`},
		{0, ":TIME ON;:SYST:ERR?", `-221,"Settings conflict;the delayer of CH2 is on"`},
		{time.Second, ":OUTP? CH2;:DELAY?", "ON;OFF"}, // end state ON
		// A stop condition: the current into 10 ohm passes 0.5 A when the
		// output is on at 8 V, so the program ends at once with end state OFF.
		{0, ":SOUR2:VOLT 8;:OUTP CH2,OFF;:DELAY:ENDS OFF;:DELAY:STOP >C,0.5;:DELAY ON", ""},
		{0, ":DELAY?;:OUTP? CH2;:DELAY:STOP?", "OFF;OFF;>C,0.5000"},
		// Below the stop value the program runs on.
		{0, ":SOUR2:VOLT 4;:DELAY ON", ""},
		{time.Second, ":DELAY?;:OUTP? CH2", "ON;ON"},
	}, load(1, 10))
}

// The monitor acts on the output's real operating point: into 10 ohm, a
// current limit of 0.4 A is crossed at 5 V, not at 3 V.
func TestDP800MonitorTurnsOutputOff(t *testing.T) {
	in := converse(t, "DP832", []step{
		{0, ":APPL CH1,3,1;:OUTP CH1,ON", ""},
		{0, ":MONI:CURR:COND >C,NONE;:MONI:CURR 0.4;:MONI:STOP OUTOFF,ON;:MONI:STOP BEEPER,ON;:MONI ON", ""},
		{time.Second, ":OUTP? CH1;:MEAS:CURR? CH1", "ON;0.3000"},
		{0, ":SOUR1:VOLT 5", ""},
		{time.Second, ":OUTP? CH1;:MEAS:CURR? CH1", "OFF;0.0000"},
		// An AND of two conditions: above 4 V and above 0.45 A. 4.2 V draws
		// 0.42 A: the voltage alone is not enough.
		{0, ":MONI:VOLT:COND >V,AND;:MONI:VOLT 4;:MONI:CURR 0.45;:SOUR1:VOLT 4.2;:OUTP CH1,ON", ""},
		{time.Second, ":OUTP? CH1", "ON"},
		{0, ":SOUR1:VOLT 4.8", ""},
		{time.Second, ":OUTP? CH1", "OFF"},
		// Monitor off: nothing happens.
		{0, ":MONI OFF;:OUTP CH1,ON", ""},
		{time.Second, ":OUTP? CH1;:MONI?", "ON;OFF"},
	}, load(0, 10))
	in.Do(func(dev sim.Device) {
		d := dev.(*dp800)
		if d.beeps != 2 || d.warnings != 2 {
			t.Errorf("the monitor tripped with %d beeps and %d warnings, want 2 and 2", d.beeps, d.warnings)
		}
	})
}

// The recorder samples the output each period; the analyzer computes the
// statistics of what it recorded.
func TestDP800RecorderAnalyzer(t *testing.T) {
	half := 500 * time.Millisecond
	converse(t, "DP832", []step{
		{0, ":APPL CH1,2,1;:OUTP CH1,ON;:REC:PERI 1;:REC ON", ""},
		{time.Second + half, ":SOUR1:VOLT 4", ""}, // 1 s: 2 V
		{time.Second, ":SOUR1:VOLT 6", ""},        // 2 s: 4 V
		{time.Second, ":REC?", "ON"},              // 3 s: 6 V
		{time.Second, ":REC OFF;:REC?", "OFF"},    // 4 s: 6 V
		{0, ":MEM:VAL? ROF,10;:ANAL:STARTT?;:ANAL:ENDT?;:ANAL:CURRT?", "YES;1;4;1"},
		{0, ":ANAL:OBJ V;:ANAL:ANAL;:ANAL:RES?", "NumGroups:4,Median:5.000V,Mode:6.000V,Average:4.500V,Variance:2.750V,Range:4.000V,Min:2.000V,Max:6.000V,MeanDev:1.500V"},
		{0, ":ANAL:VAL? 2", "Volt:4.000V,Curr:0.4000A,Power:1.600W"},
		{0, ":ANAL:VAL? 5;:SYST:ERR?", `-222,"Data out of range"`},
		{0, ":ANAL:ENDT 5;:SYST:ERR?", `-222,"Data out of range"`},
		{0, ":ANAL:STARTT 2;:ANAL:ENDT 3;:ANAL:CURRT 3;:ANAL:CURRT?", "3"},
		{0, ":ANAL:OBJ C;:ANAL:ANAL;:ANAL:RES?", "NumGroups:2,Median:0.5000A,Mode:0.4000A,Average:0.5000A,Variance:0.0100A,Range:0.2000A,Min:0.4000A,Max:0.6000A,MeanDev:0.1000A"},
		{0, ":ANAL:UNIT CH2;:ANAL:OBJ P;:ANAL:ANAL;:ANAL:RES?", "NumGroups:2,Median:0.000W,Mode:0.000W,Average:0.000W,Variance:0.000W,Range:0.000W,Min:0.000W,Max:0.000W,MeanDev:0.000W"},
		// A record is reloaded from its location; a locked one stays.
		{0, ":MEM:LOCK ROF,10,ON;:MEM:DEL ROF,10;:SYST:ERR?", `-200,"Execution error;ROF location 10 is locked"`},
		{0, ":MEM:LOAD ROF,10;:ANAL:STARTT?;:ANAL:ENDT?", "1;4"},
		{0, ":REC ON", ""},
		{2 * time.Second, ":REC OFF;:SYST:ERR?", `-200,"Execution error;ROF location 10 is locked: the record is not stored"`},
	}, load(0, 10))
}

// The recorder holds 2048 points; later periods are not recorded.
func TestDP800RecorderCapacity(t *testing.T) {
	in := converse(t, "DP811", []step{
		{0, ":REC ON", ""},
		{3 * time.Hour, ":REC OFF;:ANAL:ENDT?", "2048"},
	})
	in.Do(func(dev sim.Device) {
		if n := len(dev.(*dp800).records[9].samples); n != dp800MaxRecords {
			t.Errorf("the record holds %d points, want %d", n, dp800MaxRecords)
		}
	})
}

// Memory files round-trip: state (shared with *SAV/*RCL), timer and
// delayer programs; locks protect them.
func TestDP800MemoryRoundTrip(t *testing.T) {
	talk(t, "DP832", [][2]string{
		{":APPL CH2,12.5,1.25;:OUTP:OVP:VAL CH2,20;:MEM:STOR RSF,2;:MEM:VAL? RSF,2", "YES"},
		{":APPL CH2,3,0.5;:OUTP:OVP:VAL CH2,30;:MEM:LOAD RSF,2;:APPL? CH2;:OUTP:OVP:VAL? CH2", "CH2,12.500,1.2500;20.000"},
		{"*SAV 3;:MEM:VAL? RSF,3", "YES"},
		{":MEM:LOCK RSF,3,ON;:MEM:LOCK? RSF,3", "ON"},
		{"*SAV 3;:SYST:ERR?", `-200,"Execution error;RSF location 3 is locked"`},
		{":MEM:STOR RSF,3;:SYST:ERR?", `-200,"Execution error;RSF location 3 is locked"`},
		{":MEM:DEL RSF,3;:SYST:ERR?", `-200,"Execution error;RSF location 3 is locked"`},
		{":MEM:LOCK RSF,3,OFF;:MEM:DEL RSF,3;:MEM:VAL? RSF,3", "NO"},
		{"*RCL 3;:SYST:ERR?", `-200,"Execution error;location 3 is empty"`},
		{":MEM:LOCK RSF,4,ON;:SYST:ERR?", `-200,"Execution error;RSF location 4 is empty"`},
		// A timer program of CH3 stored, changed and loaded back.
		{":INST CH3;:TIME:PARA 0,3.3,2,5;:TIME:GROUP 1;:TIME:CYCLE N,4;:MEM:STOR RTF,1", ""},
		{":TIME:PARA 0,1,1,1;:TIME:GROUP 7;:MEM:LOAD RTF,1;:TIME:PARA? 0;:TIME:GROUP?;:TIME:CYCLE?", "#90000000170,3.300,2.0000,5;;1;N,4"},
		// A delayer program likewise.
		{":DELAY:PARA 0,ON,9;:DELAY:ENDS LAST;:MEM:STOR RDF,5;:DELAY:PARA 0,OFF,1;:DELAY:ENDS OFF", ""},
		{":MEM:LOAD RDF,5;:DELAY:PARA? 0;:DELAY:ENDS?", "#90000000070,ON,9;;LAST"},
		{":SYST:ERR?", noError},
	})
}

// :PRESet:APPLy returns every channel to its default settings.
func TestDP800Preset(t *testing.T) {
	talk(t, "DP831", [][2]string{
		{":APPL CH3,-12,1;:OUTP CH3,ON;:PRES:KEY USER1;:PRES;:APPL? CH3;:OUTP? CH3", "CH3,0.000,2.1000;OFF"},
		{":SYST:ERR?", noError},
	})
}

// :TRIGger:IN:IMMEdiate makes each enabled input line switch its source
// channels as its response says.
func TestDP800TriggerInImmediate(t *testing.T) {
	talk(t, "DP832", [][2]string{
		{":TRIG:IN:IMME;:SYST:ERR?", `-211,"Trigger ignored;no trigger input is enabled"`},
		{":TRIG:IN D1,ON;:TRIG:IN:SOUR D1,CH1,CH2;:TRIG:IN:RESP D1,ON;:TRIG:IN:IMME", ""},
		{":OUTP? CH1;:OUTP? CH2;:OUTP? CH3", "ON;ON;OFF"},
		{":OUTP CH1,OFF;:TRIG:IN:RESP D1,ALTER;:TRIG:IN:IMME;:OUTP? CH1;:OUTP? CH2", "ON;OFF"},
		{":TRIG:IN:RESP D1,OFF;:TRIG:IN:IMME;:OUTP? CH1", "OFF"},
		{":SYST:ERR?", noError},
	})
}

// The template editor writes its shape into the selected channel's timer.
func TestDP800TimerTemplate(t *testing.T) {
	talk(t, "DP832", [][2]string{
		{":TIME:TEMP:SEL?;:TIME:TEMP:OBJ?;:TIME:TEMP:POINT?;:TIME:TEMP:INTE?", "SINE;V,1.0000;10;1"},
		{":TIME:TEMP:SEL UP;:TIME:TEMP:OBJ V,0.2;:TIME:TEMP:MINV 0;:TIME:TEMP:MAXV 9;:TIME:TEMP:INTE 2;:TIME:TEMP:CONST", ""},
		{":TIME:GROUP?;:TIME:PARA? 0,3", "10;#90000000510,0.000,0.2000,2;1,1.000,0.2000,2;2,2.000,0.2000,2;"},
		{":TIME:TEMP:INVE ON;:TIME:TEMP:CONST;:TIME:PARA? 9", "#90000000179,0.000,0.2000,2;"},
		{":TIME:TEMP:SEL SQUARE;:TIME:TEMP:PERI 10;:TIME:TEMP:WIDT 4;:TIME:TEMP:INVE OFF;:TIME:TEMP:CONST", ""},
		{":TIME:GROUP?;:TIME:PARA? 0,2", "2;#90000000340,9.000,0.2000,4;1,0.000,0.2000,6;"},
		{":TIME:TEMP:SEL SINE;:TIME:TEMP:POINT 20;:TIME:TEMP:CONST;:TIME:PARA? 5", "#90000000175,9.000,0.2000,2;"},
		{":TIME:TEMP:OBJ C,5;:TIME:TEMP:OBJ?;:TIME:TEMP:MAXV?", "C,5.000;9.0000"},
		{":TIME:TEMP:CONST;:SYST:ERR?", `-221,"Settings conflict;the template's values are outside CH1's range"`},
		{":TIME:TEMP:MAXV 40;:SYST:ERR?", `-222,"Data out of range"`},
		{":TIME:TEMP:POINT 5;:SYST:ERR?", `-222,"Data out of range"`},
	})
}

// With SYSTem:TRACKMode INDE a tracking partner keeps its own setting and
// moves by the same change.
func TestDP800TrackMode(t *testing.T) {
	talk(t, "DP832", [][2]string{
		{":SOUR2:VOLT 10;:SOUR1:VOLT 4;:OUTP:TRAC CH1,ON;:SYST:TRACKM INDE;:SOUR1:VOLT 5;:SOUR2:VOLT?", "11.000"},
		{":SYST:TRACKM SYNC;:SOUR1:VOLT 6;:SOUR2:VOLT?", "6.000"},
	})
}

// The DP811 switches between its two ranges; remote sense is kept.
func TestDP811Ranges(t *testing.T) {
	for _, model := range []string{"DP811", "DP811A"} {
		talk(t, model, [][2]string{
			{":OUTP:RANG?;:VOLT:RANG?;:SOUR:VOLT? MAX;:SOUR:CURR? MAX", "P20V;P20V;21.000;10.5000"},
			{":SOUR:VOLT 30;:SYST:ERR?", `-222,"Data out of range"`},
			{":OUTP:RANG P40V;:OUTP:RANG?;:SOUR:VOLT? MAX;:SOUR:CURR? MAX", "P40V;42.000;5.3000"},
			{":SOUR:VOLT 30;:SOUR:VOLT?;:SOUR:CURR?", "30.000;5.3000"},
			{":OUTP:OVP:VAL?;:OUTP:OCP:VAL?", "23.100;5.8300"},
			{":VOLT:RANG LOW;:VOLT:RANG?;:SOUR:VOLT?", "P20V;21.000"},
			{":SOUR1:VOLT:RANG HIGH;:SOUR1:VOLT:RANG?", "P40V"},
			{"*RST;:OUTP:RANG?", "P20V"},
			{":OUTP:SENS?;:OUTP:SENS ON;:OUTP:SENS?", "OFF;ON"},
			{":OUTP:SENS CH1,OFF;:OUTP:SENS? CH1", "OFF"},
			{":OUTP:RANG P60V;:SYST:ERR?", `-224,"Illegal parameter value"`},
			{":SYST:ERR?", noError},
		})
	}
	talk(t, "DP832", [][2]string{
		{":OUTP:RANG?", ""},
		{":SYST:ERR?", `-113,"Undefined header"`},
	})
}
