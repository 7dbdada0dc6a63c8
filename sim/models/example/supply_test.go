package example_test

import (
	"testing"

	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/example"
	"github.com/scpikit/scpikit/sim/simtest"
)

func TestCommands(t *testing.T) {
	simtest.Converse(t, "EX-1", []simtest.Exchange{
		{Send: "*IDN?", Want: "Example,EX-1,EX0001,1.0"},
		{Send: "VOLT 5;CURR 0.5;VOLT?;CURR?", Want: "+5.00000000E+00;+5.00000000E-01"},
		{Send: "VOLT? MAX", Want: "+2.06000000E+01"},
		{Send: "VOLT 30", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "OUTP ON;OUTP?;:MEAS:VOLT?", Want: "1;+5.00000000E+00"},
		{Send: "STAT:QUES:INST:ISUM1:COND?", Want: "2"},
		{Send: "VOLT:PROT 4;:VOLT:PROT:TRIP?;:OUTP?;:STAT:QUES:INST:ISUM1:COND?", Want: "1;0;0"},
		{Send: "*STB?", Want: "8"},
		{Send: "OUTP:PROT:CLE;:VOLT:PROT 22;:OUTP ON;:VOLT:PROT:TRIP?", Want: "0"},
	})
}

// A 2 Ω load at 5 V wants 2.5 A: with a 1 A limit the output holds 1 A at
// 2 V (constant current), and with OCP on it trips off.
func TestIntoLoad(t *testing.T) {
	in := sim.MustNew("EX-1")
	defer in.Close()
	b := sim.NewBench()
	defer b.Close()
	if err := b.Wire(in, 1, sim.Resistor(2)); err != nil {
		t.Fatal(err)
	}
	simtest.ConverseWith(t, in, []simtest.Exchange{
		{Send: "VOLT 5;CURR 1;:OUTP ON;:MEAS:VOLT?;:MEAS:CURR?", Want: "+2.00000000E+00;+1.00000000E+00"},
		{Send: "STAT:QUES:INST:ISUM1:COND?", Want: "1"},
		{Send: "CURR:PROT:STAT ON;:CURR:PROT:TRIP?;:OUTP?", Want: "1;0"},
	})
}
