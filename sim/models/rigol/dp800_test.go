package rigol_test

import (
	"strings"
	"testing"

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
