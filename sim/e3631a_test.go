package sim_test

import "testing"

func TestE3631ACommands(t *testing.T) {
	converse(t, "E3631A", []exchange{
		{"*IDN?", "Agilent Technologies,E3631A,0,2.1-5.0-1.0"},
		{"*TST?", "0"},
		{"SYST:VERS?", "1995.0"},
		{"SYST:BEEP;:SYST:REM;:SYST:RWL;:SYST:LOC", ""},
		{"INST?", "P6V"},
		{"INST:NSEL?", "1"},
		{"APPL P25V,12.5,0.5;:INST?", "P6V"},
		{"APPL? P25V", `"12.500000,0.500000"`},
		{"INST P25V;:VOLT?", "+1.25000000E+01"},
		{"VOLT? MAX", "+2.57500000E+01"},
		// Steps, UP and DOWN.
		{"VOLT:STEP? DEF", "+1.50000000E-03"},
		{"VOLT:STEP 0.5;:VOLT UP;:VOLT?", "+1.30000000E+01"},
		{"VOLT:STEP?", "+5.00000000E-01"},
		{"VOLT DOWN;VOLT DOWN;VOLT?", "+1.20000000E+01"},
		{"CURR:STEP 0.6;:CURR UP;:SYST:ERR?", `-222,"Data out of range"`},
		{"CURR?", "+5.00000000E-01"},
		// Measurements, by name and on the selected output.
		{"OUTP ON;:OUTP?", "1"},
		{"MEAS? P25V", "+1.20000000E+01"},
		{"MEAS:VOLT:DC?", "+1.20000000E+01"},
		{"MEAS:CURR? N25V", "+0.00000000E+00"},
		// Tracking mirrors the +25 V output on the -25 V one.
		{"OUTP:TRAC ON;:INST N25V;:VOLT?", "-1.20000000E+01"},
		{"OUTP:TRAC OFF;:OUTP:TRAC?", "0"},
		// Triggered levels: pending until a trigger, the immediate level
		// until programmed.
		{"INST P6V;:VOLT 1;:VOLT:TRIG?", "+1.00000000E+00"},
		{"VOLT:TRIG 5;:VOLT:TRIG?;:VOLT?", "+5.00000000E+00;+1.00000000E+00"},
		{"TRIG:SOUR?;DEL?", "IMM;+0.00000000E+00"},
		{"TRIG:SOUR BUS;DEL 0.5;:TRIG:SOUR?;DEL?", "BUS;+5.00000000E-01"},
		{"*TRG;:SYST:ERR?", `-211,"Trigger ignored"`},
		{"INIT;:INIT;:SYST:ERR?", `-213,"Init ignored"`},
		{"*TRG;:VOLT?", "+5.00000000E+00"},
		// Coupled outputs all take their triggered levels.
		{"INST:COUP?", "NONE"},
		{"INST:COUP P6V,N25V;:INST:COUP?", "P6V,N25V"},
		{"INST:COUP ALL;:INST:COUP?", "ALL"},
		{"INST:COUP ALL,P6V;:SYST:ERR?", `-224,"Illegal parameter value;ALL and NONE stand alone"`},
		{"INST P6V;:VOLT:TRIG 2;:INST P25V;:VOLT:TRIG 3;:TRIG:SOUR IMM;:INIT;:VOLT?", "+3.00000000E+00"},
		{"INST P6V;:VOLT?", "+2.00000000E+00"},
		// The display.
		{"DISP?", "1"},
		{`DISP:TEXT "HELLO WORLD!!";:DISP:TEXT?`, `"HELLO WORLD"`},
		{"DISP:TEXT:CLE;:DISP:TEXT?", `""`},
		// *SAV and *RCL: locations 1 to 3.
		{"*SAV 2;:VOLT 4;*RCL 2;:VOLT?", "+2.00000000E+00"},
		{"*SAV 4;:SYST:ERR?", `-222,"Data out of range"`},
		{"*PSC?", "0"},
		{"*PSC 1;*PSC?", "1"},
		// Questionable status: the P6V output on at 2 V, no load: CV.
		{"STAT:QUES:INST:ISUM1:COND?", "2"},
		{"STAT:QUES:INST:ISUM1:ENAB 2;:STAT:QUES:INST:ENAB 2;:STAT:QUES:ENAB 8192", ""},
		{"STAT:QUES:INST:ISUM1:ENAB?;:STAT:QUES:INST:ENAB?;:STAT:QUES:ENAB?", "2;2;8192"},
		{"STAT:QUES:COND?", "8192"},
		{"*STB?", "8"},
		{"STAT:QUES?;:STAT:QUES:INST?;:STAT:QUES:INST:ISUM1?", "8192;2;2"},
		{"STAT:QUES:INST:ISUM4:COND?", ""},
		{"SYST:ERR?", `-114,"Header suffix out of range"`},
		{"OUTP OFF;:STAT:QUES:INST:ISUM1:COND?", "0"},
		// Calibration does not apply to a simulation.
		{"CAL:COUN?", ""},
		{"SYST:ERR?", `-113,"Undefined header"`},
		{"*RST;:INST?;:VOLT:STEP?;:DISP?", "P6V;+5.00000000E-04;1"},
		{"SYST:ERR?", `0,"No error"`},
	})
}
