package sim_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/sim"
)

// exchange is one program message and the response it must get ("" for
// none).
type exchange struct{ send, want string }

// converse runs the exchanges in order on a fresh instrument of model
// and compares every response.
func converse(t *testing.T, model string, script []exchange) {
	t.Helper()
	in := sim.MustNew(model)
	defer in.Close()
	cl := in.NewClient()
	var got, want []string
	for _, x := range script {
		cl.Write([]byte(x.send + "\n"))
		got = append(got, x.send+" -> "+strings.TrimSuffix(string(cl.TakeOutput()), "\n"))
		want = append(want, x.send+" -> "+x.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", model, diff)
	}
}

func TestDP800Commands(t *testing.T) {
	converse(t, "DP832", []exchange{
		{"*OPT?", "0"},
		{"*TST?", "0"},
		{"SYST:BEEP:STAT?", "ON"},
		{"SYST:BEEP:STAT OFF;STAT?", "OFF"},
		{"SYST:BEEP", ""},
		{":SYST:OTP?", "ON"},
		{":SYST:OTP OFF;:SYST:OTP?", "OFF"},
		{"SYST:REM;:SYST:RWL;:SYST:LOC", ""},
		{"SYST:VERS?", "1999.0"},
		{":DISP?", "ON"},
		{`:DISP:TEXT "RIGOL",25,30;:DISP:TEXT?`, `"RIGOL"`},
		{":DISP:TEXT:CLE;:DISP:TEXT?", `""`},
		// Both protection forms reach the same circuit.
		{":SOUR2:VOLT:PROT 12.5;:OUTP:OVP:VAL? CH2", "12.500"},
		{":OUTP:OCP:VAL CH2,1.5;:SOUR2:CURR:PROT?", "1.5000"},
		{":SOUR2:CURR:PROT:STAT ON;:OUTP:OCP? CH2", "ON"},
		{":SOUR2:VOLT:PROT? MAX", "35.200"},
		{":SOUR2:VOLT:PROT:TRIP?", "NO"},
		// An OVP trip, seen through each query form, then cleared.
		{":SOUR2:VOLT 10;:OUTP CH2,ON;:SOUR2:VOLT:PROT 8", ""},
		{":OUTP:OVP:QUES? CH2;ALAR? CH2;:SOUR2:VOLT:PROT:TRIP?", "YES;YES;YES"},
		{":OUTP? CH2", "OFF"},
		{":STAT:QUES:INST:ISUM2:COND?", "4"},
		{":SOUR2:VOLT:PROT:CLE;:OUTP:OVP:QUES? CH2", "NO"},
		// Steps, UP and DOWN.
		{":SOUR1:VOLT 5;:SOUR1:VOLT:STEP 0.5;:SOUR1:VOLT UP;:SOUR1:VOLT?", "5.500"},
		{":SOUR1:VOLT DOWN;:SOUR1:VOLT DOWN;:SOUR1:VOLT?", "4.500"},
		{":SOUR1:VOLT:STEP?", "0.500"},
		{":SOUR1:CURR:STEP?", "0.0010"},
		// Tracking: CH1 and CH2 of the DP832, not CH3.
		{":OUTP:TRAC CH1,ON;:OUTP:TRAC? CH1", "ON"},
		{":SOUR1:VOLT 7;:SOUR2:VOLT?", "7.000"},
		{":OUTP:TRAC? CH3", "NONE"},
		{":OUTP:TRAC CH3,ON;:SYST:ERR?", `-221,"Settings conflict;CH3 of the DP832 does not track"`},
		// Triggered levels on *TRG with source BUS.
		{":INST:NSEL 3;:SOUR3:VOLT:TRIG?", "0.000"},
		{":SOUR3:VOLT:TRIG 3.3;:SOUR3:CURR:TRIG 0.5;:TRIG:SOUR?", "BUS"},
		{"*TRG;:SOUR3:VOLT?;:SOUR3:CURR?", "3.300;0.5000"},
		{":TRIG:SOUR IMM;:TRIG:DEL 2;:TRIG:DEL?", "2"},
		{"*TRG;:SYST:ERR?", `-211,"Trigger ignored"`},
		// *SAV and *RCL.
		{"*SAV 3;:SOUR3:VOLT 1;*RCL 3;:SOUR3:VOLT?;:INST?", "3.300;CH3"},
		{"*RCL 4;:SYST:ERR?", `-200,"Execution error;location 4 is empty"`},
		{"*SAV 11;:SYST:ERR?", `-222,"Data out of range"`},
		{"*PSC?", "1"},
		{"*PSC 0;*PSC?", "0"},
		// Status: CC on CH1 into a short, summarised in STB bit 3.
		{":STAT:QUES:ENAB?", "0"},
		{":STAT:QUES:INST:ISUM1:ENAB 1;:STAT:QUES:ENAB 8192;:STAT:QUES:INST:ISUM1:ENAB?", "1"},
		{":STAT:QUES:INST:ISUM4:COND?", ""},
		{":SYST:ERR?", `-114,"Header suffix out of range"`},
		{":OUTP:CVCC? CH1", "CV"},
		{"STAT:OPER:COND?;:STAT:OPER?", "0;0"},
		{"STAT:PRES;:STAT:QUES:ENAB?", "0"},
		{":SYST:ERR?", `0,"No error"`},
	})
	converse(t, "DP811", []exchange{
		{":OUTP:TRAC? CH1", ""},
		{":SYST:ERR?", `-113,"Undefined header"`},
		{":STAT:QUES:INST:COND?", ""},
		{":SYST:ERR?", `-113,"Undefined header"`},
		{":SOUR:VOLT 20;:OUTP ON;:STAT:QUES:COND?", "2"},
		{":SYST:ERR?", `0,"No error"`},
	})
}

// A channel in constant current sets the status byte's QUES bit through
// the enabled ISUMmary and questionable registers.
func TestDP800StatusSummary(t *testing.T) {
	in := sim.MustNew("DP832")
	defer in.Close()
	in.Do(func(d sim.Device) {
		o, _ := d.(sim.Supply).Output(1)
		o.Connect(sim.Resistor(1))
	})
	cl := in.NewClient()
	cl.Write([]byte(":SOUR1:VOLT 5;:SOUR1:CURR 1;:OUTP CH1,ON;:STAT:QUES:INST:ISUM1:ENAB 1;:STAT:QUES:INST:ENAB 2;:STAT:QUES:ENAB 8192\n"))
	cl.Write([]byte(":OUTP:MODE? CH1;:STAT:QUES:INST:ISUM1:COND?;:STAT:QUES:COND?;*STB?\n"))
	if got := strings.TrimSpace(string(cl.TakeOutput())); got != "CC;1;8192;8" {
		t.Fatalf("got %q", got)
	}
}

func TestTruevoltCommands(t *testing.T) {
	converse(t, "34465A", []exchange{
		{"*OPT?", "0"},
		{"SAMP:COUN?", "+1"},
		{"SAMP:COUN 3;COUN?", "+3"},
		{"TRIG:COUN?;:TRIG:SOUR?;:TRIG:SLOP?;:TRIG:DEL:AUTO?", "+1;IMM;NEG;1"},
		{"TRIG:COUN INF;COUN?", "+9.90000000E+37"},
		{"TRIG:COUN 2;:TRIG:DEL 0.5;DEL?;:TRIG:DEL:AUTO?", "+5.00000000E-01;0"},
		{"FUNC?", `"VOLT"`},
		{"VOLT:RANG?;RANG:AUTO?;:VOLT:NPLC?;:VOLT:ZERO:AUTO?;:VOLT:IMP:AUTO?", "+1.00000000E+01;1;+1.00000000E+01;1;0"},
		{"VOLT:RANG 2;RANG?;RANG:AUTO?", "+1.00000000E+01;0"},
		{"VOLT:NPLC 0.05;NPLC?", "+6.00000000E-02"},
		{"VOLT:APER 0.01;APER?;APER:ENAB?", "+1.00000000E-02;1"},
		{"SENS:CURR:TERM 10;TERM?", "+10"},
		{"CURR:AC:BAND 50;BAND?", "+2.00000000E+01"},
		{"RES:OCOM ON;OCOM?", "1"},
		{"TEMP:TRAN:TYPE THER;TYPE?", "THER"},
		{`FUNC "CURR:AC";FUNC?`, `"CURR:AC"`},
		{`FUNC "FRES";FUNC?`, `"FRES"`},
		{"INIT;:DATA:POIN?", "+6"},
		{"DATA:LAST?", "+9.90000000E+37 OHM"},
		{"CONF:VOLT:DC 10;:CONF?", `"VOLT +1.000000E+01,+3.000000E-06"`},
		{"SAMP:COUN?;:TRIG:COUN?", "+1;+1"},
		{"READ?", "+0.00000000E+00"},
		{"MEAS:DIOD?;:CONF?", `+9.90000000E+37;"DIOD"`},
		{"MEAS:TEMP?", "+9.90000000E+37"},
		{"MEAS:FREQ?", "+0.00000000E+00"},
		{"CONF:VOLT;:SAMP:COUN 2;:INIT;:DATA:REM? 1;:DATA:POIN?", "+0.00000000E+00;+1"},
		{"TRIG:SOUR BUS;:READ?", ""},
		{"SYST:ERR?", `-214,"Trigger deadlock"`},
		{"INIT;*TRG;:DATA:POIN?", "+2"},
		{"*TRG;:SYST:ERR?", `-211,"Trigger ignored"`},
		{"INIT;INIT;:SYST:ERR?", `-213,"Init ignored"`},
		{"ABOR;*SAV 2;*RST;:TRIG:SOUR?;*RCL 2;:TRIG:SOUR?", "IMM;BUS"},
		{"DISP:TEXT 'Hi';TEXT?", `"Hi"`},
		{"SYST:BEEP:STAT?", "1"},
		{"SYST:LFR?;:SAMP:COUN:PRET 5;PRET?;:TRIG:LEV -1.5;LEV?", "+50;+5;-1.50000000E+00"},
		{"SYST:ERR?", `0,"No error"`},
	})
	converse(t, "34460A", []exchange{
		{"VOLT:APER 0.01", ""},
		{"SYST:ERR?", `-113,"Undefined header"`},
		{"CURR:TERM 10", ""},
		{"SYST:ERR?", `-113,"Undefined header"`},
		{"CURR:RANG 10", ""},
		{"SYST:ERR?", `-222,"Data out of range"`},
		{"VOLT:NPLC 0.05;NPLC?", "+2.00000000E-01"},
		{"TRIG:SOUR INT", ""},
		{"SYST:ERR?", `-224,"Illegal parameter value"`},
		{"TRIG:LEV 1", ""},
		{"SYST:ERR?", `-113,"Undefined header"`},
	})
}

// The Truevolt's statistics over readings of a 5 V output, then of the
// output switched off.
func TestTruevoltStatistics(t *testing.T) {
	in := sim.MustNew("34461A")
	defer in.Close()
	o := sim.NewOutput(sim.OutputRange{Name: "CH1", MaxV: 30, MaxI: 3})
	o.SetVoltage(5)
	o.SetOn(true)
	in.Do(func(d sim.Device) { d.(sim.Prober).ProbeOutput(o) })
	cl := in.NewClient()
	run := func(cmd string) string {
		cl.Write([]byte(cmd + "\n"))
		return strings.TrimSpace(string(cl.TakeOutput()))
	}
	run("CONF:VOLT:DC 10;:CALC:AVER ON;:SAMP:COUN 3;:INIT")
	o.SetOn(false)
	run("INIT")
	got := []string{run("CALC:AVER:COUN?"), run("CALC:AVER:ALL?"), run("CALC:AVER:PTP?"), run("CALC:AVER:CLE;COUN?"),
		run("UNIT:TEMP K;TEMP?"), run("CALC:LIM:UPP 5.5;UPP?"), run("SYST:ERR?")}
	want := []string{"+6", "+2.50000000E+00,+2.73861279E+00,+0.00000000E+00,+5.00000000E+00", "+5.00000000E+00", "+0",
		"K", "+5.50000000E+00", `0,"No error"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
