package keysight_test

import (
	"testing"

	"github.com/scpikit/scpikit/sim/simtest"
)

// The E36300 commands of its guide's index beyond levels and outputs, one
// message per command and query pair, on every member.
func TestE36300Commands(t *testing.T) {
	for _, model := range []string{"E36311A", "E36312A", "E36313A"} {
		t.Run(model, func(t *testing.T) {
			// The rated currents of CH1 and CH2 (CH3 as CH2).
			ch1 := map[string]string{"E36311A": "+5.15000000E+00", "E36312A": "+5.15000000E+00", "E36313A": "+1.03000000E+01"}[model]
			ch2 := map[string]string{"E36311A": "+1.03000000E+00", "E36312A": "+1.03000000E+00", "E36313A": "+2.06000000E+00"}[model]
			simtest.Converse(t, model, []simtest.Exchange{
				{Send: "APPL CH2,12,0.5;APPL? CH2", Want: "+1.20000000E+01,+5.00000000E-01"},
				{Send: "VOLT? (@2);CURR? (@2)", Want: "+1.20000000E+01;+5.00000000E-01"},
				{Send: "APPL CH1,3.3;APPL? CH1", Want: "+3.30000000E+00," + ch1},
				{Send: "APPL CH1,30;:SYST:ERR?", Want: `-222,"Data out of range"`},
				{Send: "APPL CH2,5,9;:SYST:ERR?", Want: `-222,"Data out of range"`},
				{Send: "APPL? CH2", Want: "+1.20000000E+01,+5.00000000E-01"},
				{Send: "FETC:VOLT? (@2)", Want: "+0.00000000E+00"},
				{Send: "OUTP ON,(@2);:MEAS:VOLT? (@2);:OUTP OFF,(@2);:FETC:VOLT? (@2);:MEAS:VOLT? (@2)", Want: "+1.20000000E+01;+1.20000000E+01;+0.00000000E+00"},
				{Send: "SYST:BEEP:STAT?", Want: "1"},
				{Send: "SYST:BEEP:STAT OFF;STAT?", Want: "0"},
				{Send: "SYST:BEEP;:SYST:REM;:SYST:RWL;:SYST:LOC", Want: ""},
				{Send: "SYST:CHAN?", Want: "3"},
				{Send: "DISP?", Want: "1"},
				{Send: "DISP OFF;:DISP?", Want: "0"},
				{Send: `DISP:TEXT "SCPIKIT";:DISP:TEXT?`, Want: `"SCPIKIT"`},
				{Send: "DISP:TEXT:CLE;:DISP:TEXT?", Want: `""`},
				{Send: "*RST;:SYST:BEEP:STAT?;:DISP?;:APPL? CH2", Want: "1;1;+0.00000000E+00," + ch2},
			})
		})
	}
	// Tracking is a pair's: the E36311A has none.
	simtest.Converse(t, "E36311A", []simtest.Exchange{
		{Send: "OUTP:TRAC ON", Want: ""},
		{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
	})
	simtest.Converse(t, "E36312A", []simtest.Exchange{
		{Send: "OUTP:TRAC ON;:VOLT 7,(@2);:VOLT? (@3);:OUTP:TRAC?", Want: "+7.00000000E+00;1"},
		{Send: "APPL CH3,9;:VOLT? (@2)", Want: "+9.00000000E+00"},
	})
}
