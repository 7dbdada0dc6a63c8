package rigol_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all"
	"github.com/scpikit/scpikit/sim/simtest" // every simulated model, by name
)

func TestDP800Commands(t *testing.T) {
	simtest.Converse(t, "DP832", []simtest.Exchange{
		{Send: "*OPT?", Want: "0"},
		{Send: "*TST?", Want: "0"},
		{Send: "SYST:BEEP:STAT?", Want: "ON"},
		{Send: "SYST:BEEP:STAT OFF;STAT?", Want: "OFF"},
		{Send: "SYST:BEEP", Want: ""},
		{Send: ":SYST:OTP?", Want: "ON"},
		{Send: ":SYST:OTP OFF;:SYST:OTP?", Want: "OFF"},
		{Send: "SYST:REM;:SYST:RWL;:SYST:LOC", Want: ""},
		{Send: "SYST:VERS?", Want: "1999.0"},
		{Send: ":DISP?", Want: "ON"},
		{Send: `:DISP:TEXT "RIGOL",25,30;:DISP:TEXT?`, Want: `"RIGOL"`},
		{Send: ":DISP:TEXT:CLE;:DISP:TEXT?", Want: `""`},
		// Both protection forms reach the same circuit.
		{Send: ":SOUR2:VOLT:PROT 12.5;:OUTP:OVP:VAL? CH2", Want: "12.500"},
		{Send: ":OUTP:OCP:VAL CH2,1.5;:SOUR2:CURR:PROT?", Want: "1.5000"},
		{Send: ":SOUR2:CURR:PROT:STAT ON;:OUTP:OCP? CH2", Want: "ON"},
		{Send: ":SOUR2:VOLT:PROT? MAX", Want: "35.200"},
		{Send: ":SOUR2:VOLT:PROT:TRIP?", Want: "NO"},
		// An OVP trip, seen through each query form, then cleared.
		{Send: ":SOUR2:VOLT 10;:OUTP CH2,ON;:SOUR2:VOLT:PROT 8", Want: ""},
		{Send: ":OUTP:OVP:QUES? CH2;ALAR? CH2;:SOUR2:VOLT:PROT:TRIP?", Want: "YES;YES;YES"},
		{Send: ":OUTP? CH2", Want: "OFF"},
		{Send: ":STAT:QUES:INST:ISUM2:COND?", Want: "4"},
		{Send: ":SOUR2:VOLT:PROT:CLE;:OUTP:OVP:QUES? CH2", Want: "NO"},
		// Steps, UP and DOWN.
		{Send: ":SOUR1:VOLT 5;:SOUR1:VOLT:STEP 0.5;:SOUR1:VOLT UP;:SOUR1:VOLT?", Want: "5.500"},
		{Send: ":SOUR1:VOLT DOWN;:SOUR1:VOLT DOWN;:SOUR1:VOLT?", Want: "4.500"},
		{Send: ":SOUR1:VOLT:STEP?", Want: "0.500"},
		{Send: ":SOUR1:CURR:STEP?", Want: "0.0010"},
		// Tracking: CH1 and CH2 of the DP832, not CH3.
		{Send: ":OUTP:TRAC CH1,ON;:OUTP:TRAC? CH1", Want: "ON"},
		{Send: ":SOUR1:VOLT 7;:SOUR2:VOLT?", Want: "7.000"},
		{Send: ":OUTP:TRAC? CH3", Want: "NONE"},
		{Send: ":OUTP:TRAC CH3,ON;:SYST:ERR?", Want: `-221,"Settings conflict;CH3 of the DP832 does not track"`},
		// Triggered levels on *TRG with source BUS.
		{Send: ":INST:NSEL 3;:SOUR3:VOLT:TRIG?", Want: "0.000"},
		{Send: ":SOUR3:VOLT:TRIG 3.3;:SOUR3:CURR:TRIG 0.5;:TRIG:SOUR?", Want: "BUS"},
		{Send: "*TRG;:SOUR3:VOLT?;:SOUR3:CURR?", Want: "3.300;0.5000"},
		{Send: ":TRIG:SOUR IMM;:TRIG:DEL 2;:TRIG:DEL?", Want: "2"},
		{Send: "*TRG;:SYST:ERR?", Want: `-211,"Trigger ignored"`},
		// *SAV and *RCL.
		{Send: "*SAV 3;:SOUR3:VOLT 1;*RCL 3;:SOUR3:VOLT?;:INST?", Want: "3.300;CH3"},
		{Send: "*RCL 4;:SYST:ERR?", Want: `-200,"Execution error;location 4 is empty"`},
		{Send: "*SAV 11;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "*PSC?", Want: "1"},
		{Send: "*PSC 0;*PSC?", Want: "0"},
		// Status: CC on CH1 into a short, summarised in STB bit 3.
		{Send: ":STAT:QUES:ENAB?", Want: "0"},
		{Send: ":STAT:QUES:INST:ISUM1:ENAB 1;:STAT:QUES:ENAB 8192;:STAT:QUES:INST:ISUM1:ENAB?", Want: "1"},
		{Send: ":STAT:QUES:INST:ISUM4:COND?", Want: ""},
		{Send: ":SYST:ERR?", Want: `-114,"Header suffix out of range"`},
		{Send: ":OUTP:CVCC? CH1", Want: "CV"},
		{Send: "STAT:OPER:COND?;:STAT:OPER?", Want: "0;0"},
		{Send: "STAT:PRES;:STAT:QUES:ENAB?", Want: "0"},
		{Send: ":SYST:ERR?", Want: `0,"No error"`},
	})
	simtest.Converse(t, "DP811", []simtest.Exchange{
		{Send: ":OUTP:TRAC? CH1", Want: ""},
		{Send: ":SYST:ERR?", Want: `-113,"Undefined header"`},
		{Send: ":STAT:QUES:INST:COND?", Want: ""},
		{Send: ":SYST:ERR?", Want: `-113,"Undefined header"`},
		{Send: ":SOUR:VOLT 20;:OUTP ON;:STAT:QUES:COND?", Want: "2"},
		{Send: ":SYST:ERR?", Want: `0,"No error"`},
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
	simtest.Converse(t, "34465A", []simtest.Exchange{
		{Send: "*OPT?", Want: "0"},
		{Send: "SAMP:COUN?", Want: "+1"},
		{Send: "SAMP:COUN 3;COUN?", Want: "+3"},
		{Send: "TRIG:COUN?;:TRIG:SOUR?;:TRIG:SLOP?;:TRIG:DEL:AUTO?", Want: "+1;IMM;NEG;1"},
		{Send: "TRIG:COUN INF;COUN?", Want: "+9.90000000E+37"},
		{Send: "TRIG:COUN 2;:TRIG:DEL 0.5;DEL?;:TRIG:DEL:AUTO?", Want: "+5.00000000E-01;0"},
		{Send: "FUNC?", Want: `"VOLT"`},
		{Send: "VOLT:RANG?;RANG:AUTO?;:VOLT:NPLC?;:VOLT:ZERO:AUTO?;:VOLT:IMP:AUTO?", Want: "+1.00000000E+01;1;+1.00000000E+01;1;0"},
		{Send: "VOLT:RANG 2;RANG?;RANG:AUTO?", Want: "+1.00000000E+01;0"},
		{Send: "VOLT:NPLC 0.05;NPLC?", Want: "+6.00000000E-02"},
		{Send: "VOLT:APER 0.01;APER?;APER:ENAB?", Want: "+1.00000000E-02;1"},
		{Send: "SENS:CURR:TERM 10;TERM?", Want: "+10"},
		{Send: "CURR:AC:BAND 50;BAND?", Want: "+2.00000000E+01"},
		{Send: "RES:OCOM ON;OCOM?", Want: "1"},
		{Send: "TEMP:TRAN:TYPE THER;TYPE?", Want: "THER"},
		{Send: `FUNC "CURR:AC";FUNC?`, Want: `"CURR:AC"`},
		{Send: `FUNC "FRES";FUNC?`, Want: `"FRES"`},
		{Send: "INIT;:DATA:POIN?", Want: "+6"},
		{Send: "DATA:LAST?", Want: "+9.90000000E+37 OHM"},
		{Send: "CONF:VOLT:DC 10;:CONF?", Want: `"VOLT +1.000000E+01,+3.000000E-06"`},
		{Send: "SAMP:COUN?;:TRIG:COUN?", Want: "+1;+1"},
		{Send: "READ?", Want: "+0.00000000E+00"},
		{Send: "MEAS:DIOD?;:CONF?", Want: `+9.90000000E+37;"DIOD"`},
		{Send: "MEAS:TEMP?", Want: "+9.90000000E+37"},
		{Send: "MEAS:FREQ?", Want: "+0.00000000E+00"},
		{Send: "CONF:VOLT;:SAMP:COUN 2;:INIT;:DATA:REM? 1;:DATA:POIN?", Want: "+0.00000000E+00;+1"},
		{Send: "TRIG:SOUR BUS;:READ?", Want: ""},
		{Send: "SYST:ERR?", Want: `-214,"Trigger deadlock"`},
		{Send: "INIT;*TRG;:DATA:POIN?", Want: "+2"},
		{Send: "*TRG;:SYST:ERR?", Want: `-211,"Trigger ignored"`},
		{Send: "INIT;INIT;:SYST:ERR?", Want: `-213,"Init ignored"`},
		{Send: "ABOR;*SAV 2;*RST;:TRIG:SOUR?;*RCL 2;:TRIG:SOUR?", Want: "IMM;BUS"},
		{Send: "DISP:TEXT 'Hi';TEXT?", Want: `"Hi"`},
		{Send: "SYST:BEEP:STAT?", Want: "1"},
		{Send: "SYST:LFR?;:SAMP:COUN:PRET 5;PRET?;:TRIG:LEV -1.5;LEV?", Want: "+50;+5;-1.50000000E+00"},
		{Send: "SYST:ERR?", Want: `0,"No error"`},
	})
	simtest.Converse(t, "34460A", []simtest.Exchange{
		{Send: "VOLT:APER 0.01", Want: ""},
		{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
		{Send: "CURR:TERM 10", Want: ""},
		{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
		{Send: "CURR:RANG 10", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "VOLT:NPLC 0.05;NPLC?", Want: "+2.00000000E-01"},
		{Send: "TRIG:SOUR INT", Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value"`},
		{Send: "TRIG:LEV 1", Want: ""},
		{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
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
