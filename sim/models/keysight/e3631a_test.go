package keysight_test

import (
	"testing"

	_ "github.com/scpikit/scpikit/sim/models/keysight"
	"github.com/scpikit/scpikit/sim/simtest"
)

func TestE3631ACommands(t *testing.T) {
	simtest.Converse(t, "E3631A", []simtest.Exchange{
		{Send: "*IDN?", Want: "Agilent Technologies,E3631A,0,2.1-5.0-1.0"},
		{Send: "*TST?", Want: "0"},
		{Send: "SYST:VERS?", Want: "1995.0"},
		{Send: "SYST:BEEP;:SYST:REM;:SYST:RWL;:SYST:LOC", Want: ""},
		{Send: "INST?", Want: "P6V"},
		{Send: "INST:NSEL?", Want: "1"},
		{Send: "APPL P25V,12.5,0.5;:INST?", Want: "P6V"},
		{Send: "APPL? P25V", Want: `"12.500000,0.500000"`},
		{Send: "INST P25V;:VOLT?", Want: "+1.25000000E+01"},
		{Send: "VOLT? MAX", Want: "+2.57500000E+01"},
		// Steps, UP and DOWN.
		{Send: "VOLT:STEP? DEF", Want: "+1.50000000E-03"},
		{Send: "VOLT:STEP 0.5;:VOLT UP;:VOLT?", Want: "+1.30000000E+01"},
		{Send: "VOLT:STEP?", Want: "+5.00000000E-01"},
		{Send: "VOLT DOWN;VOLT DOWN;VOLT?", Want: "+1.20000000E+01"},
		{Send: "CURR:STEP 0.6;:CURR UP;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CURR?", Want: "+5.00000000E-01"},
		// Measurements, by name and on the selected output.
		{Send: "OUTP ON;:OUTP?", Want: "1"},
		{Send: "MEAS? P25V", Want: "+1.20000000E+01"},
		{Send: "MEAS:VOLT:DC?", Want: "+1.20000000E+01"},
		{Send: "MEAS:CURR? N25V", Want: "+0.00000000E+00"},
		// Tracking mirrors the +25 V output on the -25 V one.
		{Send: "OUTP:TRAC ON;:INST N25V;:VOLT?", Want: "-1.20000000E+01"},
		{Send: "OUTP:TRAC OFF;:OUTP:TRAC?", Want: "0"},
		// Triggered levels: pending until a trigger, the immediate level
		// until programmed.
		{Send: "INST P6V;:VOLT 1;:VOLT:TRIG?", Want: "+1.00000000E+00"},
		{Send: "VOLT:TRIG 5;:VOLT:TRIG?;:VOLT?", Want: "+5.00000000E+00;+1.00000000E+00"},
		{Send: "TRIG:SOUR?;DEL?", Want: "IMM;+0.00000000E+00"},
		{Send: "TRIG:SOUR BUS;DEL 0.5;:TRIG:SOUR?;DEL?", Want: "BUS;+5.00000000E-01"},
		{Send: "*TRG;:SYST:ERR?", Want: `-211,"Trigger ignored"`},
		{Send: "INIT;:INIT;:SYST:ERR?", Want: `-213,"Init ignored"`},
		{Send: "*TRG;:VOLT?", Want: "+5.00000000E+00"},
		// Coupled outputs all take their triggered levels.
		{Send: "INST:COUP?", Want: "NONE"},
		{Send: "INST:COUP P6V,N25V;:INST:COUP?", Want: "P6V,N25V"},
		{Send: "INST:COUP ALL;:INST:COUP?", Want: "ALL"},
		{Send: "INST:COUP ALL,P6V;:SYST:ERR?", Want: `-224,"Illegal parameter value;ALL and NONE stand alone"`},
		{Send: "INST P6V;:VOLT:TRIG 2;:INST P25V;:VOLT:TRIG 3;:TRIG:SOUR IMM;:INIT;:VOLT?", Want: "+3.00000000E+00"},
		{Send: "INST P6V;:VOLT?", Want: "+2.00000000E+00"},
		// The display.
		{Send: "DISP?", Want: "1"},
		{Send: `DISP:TEXT "HELLO WORLD!!";:DISP:TEXT?`, Want: `"HELLO WORLD"`},
		{Send: "DISP:TEXT:CLE;:DISP:TEXT?", Want: `""`},
		// *SAV and *RCL: locations 1 to 3.
		{Send: "*SAV 2;:VOLT 4;*RCL 2;:VOLT?", Want: "+2.00000000E+00"},
		{Send: "*SAV 4;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "*PSC?", Want: "0"},
		{Send: "*PSC 1;*PSC?", Want: "1"},
		// Questionable status: the P6V output on at 2 V, no load: CV.
		{Send: "STAT:QUES:INST:ISUM1:COND?", Want: "2"},
		{Send: "STAT:QUES:INST:ISUM1:ENAB 2;:STAT:QUES:INST:ENAB 2;:STAT:QUES:ENAB 8192", Want: ""},
		{Send: "STAT:QUES:INST:ISUM1:ENAB?;:STAT:QUES:INST:ENAB?;:STAT:QUES:ENAB?", Want: "2;2;8192"},
		{Send: "STAT:QUES:COND?", Want: "8192"},
		{Send: "*STB?", Want: "8"},
		{Send: "STAT:QUES?;:STAT:QUES:INST?;:STAT:QUES:INST:ISUM1?", Want: "8192;2;2"},
		{Send: "STAT:QUES:INST:ISUM4:COND?", Want: ""},
		{Send: "SYST:ERR?", Want: `-114,"Header suffix out of range"`},
		{Send: "OUTP OFF;:STAT:QUES:INST:ISUM1:COND?", Want: "0"},
		// Calibration does not apply to a simulation.
		{Send: "CAL:COUN?", Want: ""},
		{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
		{Send: "*RST;:INST?;:VOLT:STEP?;:DISP?", Want: "P6V;+5.00000000E-04;1"},
		{Send: "SYST:ERR?", Want: `0,"No error"`},
	})
}
