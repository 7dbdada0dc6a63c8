package rohde

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	"github.com/scpikit/scpikit/sim/simtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// hmcRig is a fresh instrument of a model whose clock
// stands still unless a test moves it (advance), with a load wired to
// every output, so ramps, sequences and fuse delays play out without
// sleeping.
type hmcRig struct {
	in    *sim.Instrument
	clock time.Time
}

func newRig(t *testing.T, model string, load sim.Load) *hmcRig {
	t.Helper()
	in, err := sim.New(model)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(in.Close)
	r := &hmcRig{in: in, clock: time.Now()}
	in.Do(func(d sim.Device) {
		h := d.(*hmc804x)
		h.now = func() time.Time { return r.clock }
		for _, o := range h.Outputs {
			o.Connect(load)
		}
	})
	return r
}

func (r *hmcRig) converse(t *testing.T, script []simtest.Exchange) {
	t.Helper()
	simtest.ConverseWith(t, r.in, rooted(script))
}

// converse runs script on a fresh instrument of model.
func converse(t *testing.T, model string, script []simtest.Exchange) {
	t.Helper()
	simtest.Converse(t, model, rooted(script))
}

// rooted writes each command after the first of a message from the root
// (";:VOLT?"), so the tables read as command lists while the messages
// keep SCPI's path rule.
func rooted(script []simtest.Exchange) []simtest.Exchange {
	out := make([]simtest.Exchange, len(script))
	for k, x := range script {
		units := strings.Split(x.Send, ";")
		for i := 1; i < len(units); i++ {
			if !strings.HasPrefix(units[i], ":") && !strings.HasPrefix(units[i], "*") {
				units[i] = ":" + units[i]
			}
		}
		out[k] = simtest.Exchange{Send: strings.Join(units, ";"), Want: x.Want}
	}
	return out
}

// Set and read back, per command, on every member; each exchange is one
// message, since a command's error aborts the rest of its message.
func TestHMC804xSetAndReadBack(t *testing.T) {
	for _, model := range []string{"HMC8041", "HMC8042", "HMC8043"} {
		t.Run(model, func(t *testing.T) {
			maxI := map[string]string{"HMC8041": "+1.0000E+01", "HMC8042": "+5.0000E+00", "HMC8043": "+3.0000E+00"}[model]
			maxP := map[string]string{"HMC8041": "+1.0000E+02", "HMC8042": "+1.0000E+02", "HMC8043": "+3.3000E+01"}[model]
			converse(t, model, []simtest.Exchange{
				{Send: "*IDN?", Want: "Rohde&Schwarz," + model + ",100001,HW50020001/SW2.51"},
				{Send: "INST:NSEL?", Want: "1"},
				{Send: "INST OUT1;INST?", Want: "OUTP1"},
				{Send: "VOLT 5.5;VOLT?", Want: "+5.5000E+00"},
				{Send: "VOLT 500 mV;VOLT?", Want: "+5.0000E-01"},
				{Send: "VOLT? MAX", Want: "+3.2050E+01"},
				{Send: "CURR? MAX", Want: maxI},
				{Send: "CURR? MIN", Want: "+5.0000E-04"},
				{Send: "CURR 0.25;:SOUR:CURR:LEV:IMM:AMPL?", Want: "+2.5000E-01"},
				{Send: "VOLT:STEP?", Want: "+1.0000E+00"},
				{Send: "CURR:STEP?", Want: "+1.0000E-01"},
				{Send: "VOLT 5;VOLT:STEP 0.5;VOLT UP;VOLT?", Want: "+5.5000E+00"},
				{Send: "VOLT DOWN;VOLT DOWN;VOLT?", Want: "+4.5000E+00"},
				{Send: "CURR 0.2;CURR:STEP 0.05;CURR UP;CURR?", Want: "+2.5000E-01"},
				{Send: "APPL 12,0.5;APPL?", Want: "+1.2000E+01,+5.0000E-01"},
				{Send: "VOLT?;CURR?", Want: "+1.2000E+01;+5.0000E-01"},
				{Send: "APPL 3.3;APPL?", Want: "+3.3000E+00,+5.0000E-01"},
				{Send: "OUTP:CHAN?;OUTP:MAST?;OUTP?", Want: "0;0;0"},
				{Send: "OUTP:CHAN ON;OUTP:CHAN?;OUTP?", Want: "1;0"},
				{Send: "OUTP:MAST ON;OUTP:MAST?;OUTP?", Want: "1;1"},
				{Send: "MEAS:VOLT?;MEAS:CURR?;MEAS:POW?;MEAS?", Want: "+3.3000E+00;+0.0000E+00;+0.0000E+00;+3.3000E+00"},
				{Send: "VOLT:PROT:LEV?;VOLT:PROT:LEV? MAX", Want: "+3.2050E+01;+3.2050E+01"},
				{Send: "VOLT:PROT:LEV 20;VOLT:PROT:LEV?", Want: "+2.0000E+01"},
				{Send: "VOLT:PROT?;VOLT:PROT:STAT?;VOLT:PROT:MODE?", Want: "1;1;MEAS"},
				{Send: "VOLT:PROT OFF;SOUR:VOLT:PROT?;VOLT:PROT ON;VOLT:PROT?", Want: "0;1"},
				{Send: "VOLT:PROT:MODE PROT;VOLT:PROT:MODE?", Want: "PROT"},
				{Send: "VOLT:PROT:TRIP?", Want: "0"},
				{Send: "FUSE?;FUSE:DEL?;FUSE:DEL:INIT?", Want: "0;+1.0000E-02;+0.0000E+00"},
				{Send: "FUSE:DEL? MIN;FUSE:DEL? MAX", Want: "+1.0000E-02;+1.0000E+01"},
				{Send: "FUSE ON;FUSE:DEL 0.1;FUSE:DEL:INIT 2;FUSE?;FUSE:DEL?;FUSE:DEL:INIT?", Want: "1;+1.0000E-01;+2.0000E+00"},
				{Send: "FUSE:DEL 250 ms;FUSE:DEL?", Want: "+2.5000E-01"},
				{Send: "FUSE:TRIP?", Want: "0"},
				{Send: "POW:PROT?;POW:PROT:TRIP?", Want: "0;0"},
				{Send: "POW:PROT ON;POW:PROT:LEV 20;SOUR:POW:PROT:LEV?", Want: "+2.0000E+01"},
				{Send: "POW:PROT:LEV? MAX", Want: maxP},
				{Send: "VOLT:AINP?;VOLT:AINP:INP?;VOLT:AINP:MODE?;VOLT:AINP:THR?", Want: "0;VOLT;LIN;+1.0000E+00"},
				{Send: "VOLT:AINP ON;VOLT:AINP:INP CURR;VOLT:AINP:MODE STEP;VOLT:AINP:THR 2.5;VOLT:AINP?;VOLT:AINP:INP?;VOLT:AINP:MODE?;VOLT:AINP:THR?", Want: "1;CURR;STEP;+2.5000E+00"},
				{Send: "VOLT:RAMP?;VOLT:RAMP:DUR?", Want: "0;+1.0000E-02"},
				{Send: "VOLT:RAMP ON;VOLT:RAMP:DUR 2;VOLT:RAMP?;VOLT:RAMP:DUR?", Want: "1;+2.0000E+00"},
				{Send: "MEAS:ENER:STAT?;MEAS:ENER?", Want: "0;+0.0000E+00"},
				{Send: "ARB:DATA 1,0.5,0.1,0,2,0.5,0.2,1;ARB:DATA?", Want: "1.000,0.5000,0.10,0,2.000,0.5000,0.20,1"},
				{Send: "ARB:REP?;ARB:ENDB?", Want: "0;OFF"},
				{Send: "ARB:REP 3;ARB:ENDB HOLD;ARB:REP?;ARB:ENDB?", Want: "3;HOLD"},
				{Send: "ARB:TRIG?;ARB:TRIG:MODE?", Want: "0;SING"},
				{Send: "ARB:TRIG ON;ARB:TRIG:MODE RUN;ARB:TRIG?;ARB:TRIG:MODE?", Want: "1;RUN"},
				{Send: "ARB:SAVE 2;ARB:CLE;ARB:DATA?", Want: ""},
				{Send: "ARB:REST 2;ARB:DATA?", Want: "1.000,0.5000,0.10,0,2.000,0.5000,0.20,1"},
				{Send: "ARB:TRAN 1;ARB ON;ARB?", Want: "1"},
				{Send: `DISP:TEXT "HELLO";DISP:TEXT?`, Want: `"HELLO"`},
				{Send: "DISP:TEXT:CLE;DISP:TEXT?", Want: `""`},
				{Send: "SYST:REM;:SYST:RWL;:SYST:MIX;:SYST:LOC;:SYST:BEEP", Want: ""},
				{Send: "SYST:VERS?", Want: "1999.0"},
				{Send: "SYST:ERR:ALL?", Want: `0,"No error"`},
				{Send: "STAT:QUES:ENAB 8192;STAT:QUES:ENAB?", Want: "8192"},
				{Send: "STAT:QUES:PTR?;STAT:QUES:NTR?", Want: "32767;0"},
				{Send: "STAT:QUES:INST:ENAB 2;STAT:QUES:INST:ENAB?", Want: "2"},
				{Send: "STAT:QUES:INST:ISUM1:ENAB 1536;STAT:QUES:INST:ISUM1:ENAB?", Want: "1536"},
				{Send: "STAT:QUES:INST:ISUM1:NTR 3;STAT:QUES:INST:ISUM1:NTR?", Want: "3"},
				{Send: "STAT:OPER:ENAB 1;STAT:OPER:ENAB?;STAT:OPER:COND?;STAT:OPER?", Want: "1;0;0"},
				{Send: "*SAV 4;VOLT 1;*RCL 4;VOLT?", Want: "+3.3000E+00"},
				{Send: "*RST;VOLT?;CURR?;OUTP:MAST?;FUSE?", Want: "+0.0000E+00;" + maxI + ";0;0"},
			})
		})
	}
}

// Out of range and malformed settings get the exact SCPI error and
// change nothing.
func TestHMC804xRejects(t *testing.T) {
	converse(t, "HMC8042", []simtest.Exchange{
		{Send: "VOLT 40;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "VOLT?", Want: "+0.0000E+00"},
		{Send: "CURR 6;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CURR 0.0001;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "VOLT DOWN;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "INST:NSEL 3;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "INST OUT3;:SYST:ERR?", Want: `-224,"Illegal parameter value"`},
		{Send: "INST:NSEL?", Want: "1"},
		{Send: "APPL 40,1;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "APPL 5,9;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "APPL?", Want: "+0.0000E+00,+5.0000E+00"},
		{Send: "VOLT:PROT:LEV 32.1;:SYST:ERR?", Want: `-222,"Data out of range"`},
		// VOLT:PROT is the state (a number is a boolean, nonzero ON): the level stays.
		{Send: "VOLT:PROT 20;VOLT:PROT:LEV?;VOLT:PROT?", Want: "+3.2050E+01;1"},
		{Send: "VOLT:PROT:MODE FAST;:SYST:ERR?", Want: `-224,"Illegal parameter value"`},
		{Send: "FUSE:DEL 11;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "FUSE:DEL 0.005;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "VOLT:AINP:THR 11;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "FUSE:LINK 1;:SYST:ERR?", Want: `-221,"Settings conflict;a fuse cannot link to its own channel"`},
		{Send: "FUSE:LINK 3;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "POW:PROT:LEV 200;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "VOLT:RAMP:DUR 11;:SYST:ERR?", Want: `-222,"Data out of range"`},
		// A command error ends its message: the error is read in the next.
		{Send: "ARB:DATA 1,0.5,0.1;:SYST:ERR?", Want: ""},
		{Send: "SYST:ERR?", Want: `-109,"Missing parameter;points are voltage, current, time, interpolation"`},
		{Send: "ARB:DATA 1,0.5,0.001,0;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "ARB:DATA 1,0.5,0.1,2;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "ARB:TRAN 1;:SYST:ERR?", Want: `-200,"Execution error;the arbitrary table is empty"`},
		{Send: "ARB ON;:SYST:ERR?", Want: `-200,"Execution error;no arbitrary table transferred to the channel"`},
		{Send: "ARB:REP 256;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "ARB:SAVE 4;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "*RCL 5;:SYST:ERR?", Want: `-200,"Execution error;memory 5 is empty"`},
		{Send: "*SAV 10;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "STAT:QUES:INST:ISUM3:COND?", Want: ""},
		{Send: "SYST:ERR?", Want: `-114,"Header suffix out of range"`},
		{Send: "VOLT 40;CURR 9;:SYST:ERR:ALL?", Want: `-222,"Data out of range",-222,"Data out of range"`},
		{Send: "SYST:ERR?", Want: `0,"No error"`},
	})
	// The HMC8041 has one channel and no fuse to link.
	converse(t, "HMC8041", []simtest.Exchange{
		{Send: "INST:NSEL 2;:SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "FUSE:LINK 2", Want: ""},
		{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
	})
	// An ARB table of more than 512 points is refused whole.
	big := "ARB:DATA 1,0.5,0.1,0"
	for range 512 {
		big += ",1,0.5,0.1,0"
	}
	converse(t, "HMC8043", []simtest.Exchange{
		{Send: big + ";:SYST:ERR?", Want: `-223,"Too much data;at most 512 points"`},
		{Send: "ARB:DATA?", Want: ""},
	})
}

// The fuse trips once the output has limited current for its delay, and
// switches its channel off, and the channel linked to it; switching the
// channel off resets it.
func TestHMC804xFuse(t *testing.T) {
	r := newRig(t, "HMC8043", sim.Resistor(10))
	r.converse(t, []simtest.Exchange{
		{Send: "INST:NSEL 2;VOLT 5;CURR 1;OUTP:CHAN ON", Want: ""},
		{Send: "INST:NSEL 1;VOLT 10;CURR 0.2;FUSE ON;FUSE:DEL 0.1;FUSE:LINK 2;FUSE:LINK? 2", Want: "1"},
		{Send: "OUTP ON;OUTP?;FUSE:TRIP?", Want: "1;0"},
		{Send: "STAT:QUES:INST:ISUM1:COND?", Want: "1"},
	})
	r.clock = r.clock.Add(99 * time.Millisecond)
	r.converse(t, []simtest.Exchange{{Send: "FUSE:TRIP?;OUTP?", Want: "0;1"}})
	r.clock = r.clock.Add(time.Millisecond)
	r.converse(t, []simtest.Exchange{
		{Send: "FUSE:TRIP?;OUTP?;OUTP:CHAN?", Want: "1;0;0"},
		{Send: "STAT:QUES:INST:ISUM1:COND?", Want: "1024"},
		{Send: "INST:NSEL 2;OUTP:CHAN?;FUSE:TRIP?", Want: "0;0"},
		// The blown fuse holds the channel linked to it off.
		{Send: "INST:NSEL 2;OUTP:CHAN ON;OUTP:CHAN?", Want: "0"},
		// A blown fuse keeps the channel off until the channel is switched off.
		{Send: "INST:NSEL 1;CURR 3;OUTP:CHAN ON;OUTP?", Want: "0"},
		{Send: "VOLT:PROT:CLE;FUSE:TRIP?", Want: "1"},
		{Send: "OUTP:CHAN OFF;FUSE:TRIP?;OUTP:CHAN ON;OUTP?", Want: "0;1"},
		{Send: "MEAS:CURR?", Want: "+1.0000E+00"},
	})
	// The initial delay holds the fuse off after switching on; then it
	// trips after its delay (the least, 10 ms, after *RST).
	r.converse(t, []simtest.Exchange{
		{Send: "INST:NSEL 3;VOLT 10;CURR 0.2;FUSE ON;FUSE:DEL:INIT 0.5;OUTP ON;FUSE:TRIP?;OUTP?", Want: "0;1"},
	})
	r.clock = r.clock.Add(500 * time.Millisecond)
	r.converse(t, []simtest.Exchange{{Send: "FUSE:TRIP?;OUTP?", Want: "0;1"}})
	r.clock = r.clock.Add(10 * time.Millisecond)
	r.converse(t, []simtest.Exchange{{Send: "FUSE:TRIP?;OUTP?", Want: "1;0"}})
}

// OVP trips above its level, on the measured or the programmed voltage,
// and switches the channel off; OPP above its power.
func TestHMC804xProtection(t *testing.T) {
	r := newRig(t, "HMC8042", sim.Resistor(10))
	r.converse(t, []simtest.Exchange{
		// MEASured: a current-limited output below the level does not trip.
		{Send: "VOLT 10;CURR 0.5;VOLT:PROT:LEV 8;OUTP ON;OUTP?;MEAS:VOLT?", Want: "1;+5.0000E+00"},
		{Send: "VOLT:PROT:MODE PROT;VOLT:PROT:TRIP?;OUTP?;OUTP:CHAN?", Want: "1;0;0"},
		{Send: "STAT:QUES:INST:ISUM1:COND?", Want: "512"},
		{Send: "VOLT:PROT:CLE;VOLT:PROT:TRIP?;OUTP?", Want: "0;0"},
		{Send: "VOLT:PROT:MODE MEAS;CURR 2;OUTP:CHAN ON;VOLT:PROT:TRIP?;OUTP?", Want: "1;0"},
		{Send: "VOLT:PROT:CLE;VOLT:PROT:LEV 32;OUTP:CHAN ON;OUTP?", Want: "1"},
		// OPP: 10 V into 10 ohms is 10 W.
		{Send: "POW:PROT:LEV 12;POW:PROT ON;POW:PROT:TRIP?;OUTP?", Want: "0;1"},
		{Send: "POW:PROT:LEV 9;POW:PROT:TRIP?;OUTP?", Want: "1;0"},
		{Send: "STAT:QUES:INST:ISUM1:COND?", Want: "2048"},
		{Send: "POW:PROT:CLE;POW:PROT:LEV 12;OUTP:CHAN ON;OUTP?", Want: "1"},
	})
}

// The master switch turns every output off, and back on those whose
// channel is on.
func TestHMC804xMaster(t *testing.T) {
	r := newRig(t, "HMC8043", nil)
	r.converse(t, []simtest.Exchange{
		{Send: "INST:NSEL 1;VOLT 1;OUTP:CHAN ON;INST:NSEL 2;VOLT 2;OUTP:CHAN ON;INST:NSEL 3;VOLT 3", Want: ""},
		{Send: "OUTP:MAST ON;INST:NSEL 1;OUTP?;INST:NSEL 2;OUTP?;INST:NSEL 3;OUTP?", Want: "1;1;0"},
		{Send: "OUTP:MAST OFF;INST:NSEL 1;OUTP?;MEAS:VOLT?;INST:NSEL 2;OUTP?;OUTP:CHAN?", Want: "0;+0.0000E+00;0;1"},
		{Send: "OUTP:MAST ON;INST:NSEL 2;MEAS:VOLT?", Want: "+2.0000E+00"},
	})
}

// EasyRamp raises the voltage from 0 over its duration; the arbitrary
// sequence steps and ramps the setpoint through its points, repeats, and
// ends as ENDBehavior says.
func TestHMC804xRampAndArbitrary(t *testing.T) {
	r := newRig(t, "HMC8041", nil)
	step := func(d time.Duration, send, want string) {
		t.Helper()
		r.clock = r.clock.Add(d)
		r.converse(t, []simtest.Exchange{{Send: send, Want: want}})
	}
	step(0, "VOLT 10;VOLT:RAMP ON;VOLT:RAMP:DUR 2;OUTP ON;MEAS:VOLT?", "+0.0000E+00")
	step(500*time.Millisecond, "MEAS:VOLT?;VOLT?", "+2.5000E+00;+1.0000E+01")
	step(1500*time.Millisecond, "MEAS:VOLT?", "+1.0000E+01")
	step(0, "OUTP OFF;VOLT:RAMP OFF", "")

	// Hold 1 V for 1 s, then ramp from 2 V to the first point over 2 s;
	// twice, then hold the last point.
	step(0, "ARB:DATA 1,1,1,0,2,1,2,1;ARB:REP 2;ARB:ENDB HOLD;ARB:TRAN 1;ARB ON;OUTP ON;MEAS:VOLT?", "+1.0000E+00")
	step(999*time.Millisecond, "MEAS:VOLT?", "+1.0000E+00")
	step(time.Millisecond, "MEAS:VOLT?", "+2.0000E+00")
	step(time.Second, "MEAS:VOLT?", "+1.5000E+00")
	step(time.Second, "MEAS:VOLT?", "+1.0000E+00") // the second repetition
	step(3*time.Second, "MEAS:VOLT?;OUTP?", "+2.0000E+00;1")
	step(10*time.Second, "MEAS:VOLT?;OUTP?;VOLT?", "+2.0000E+00;1;+1.0000E+01")

	// ENDBehavior OFF switches the channel off after the last repetition.
	step(0, "OUTP OFF;ARB:REP 1;ARB:ENDB OFF;ARB:TRAN 1;OUTP ON;MEAS:VOLT?", "+1.0000E+00")
	step(3*time.Second, "OUTP?;OUTP:CHAN?", "0;0")

	// A triggered sequence waits for a trigger input the simulation lacks.
	step(0, "ARB:TRIG ON;OUTP ON;MEAS:VOLT?", "+1.0000E+01")
}

// The energy meter integrates the output's power on the model's clock.
func TestHMC804xEnergy(t *testing.T) {
	r := newRig(t, "HMC8041", sim.Resistor(10))
	r.converse(t, []simtest.Exchange{{Send: "VOLT 10;OUTP ON;MEAS:ENER:STAT ON;MEAS:POW?", Want: "+1.0000E+01"}})
	r.clock = r.clock.Add(3 * time.Second)
	r.converse(t, []simtest.Exchange{
		{Send: "MEAS:ENER?", Want: "+3.0000E+01"},
		{Send: "MEAS:ENER:RES;MEAS:ENER?", Want: "+0.0000E+00"},
	})
}

// Status events latch through the transition filters, summarise up to
// the status byte, and clear when read.
func TestHMC804xStatus(t *testing.T) {
	r := newRig(t, "HMC8042", sim.Resistor(10))
	r.converse(t, []simtest.Exchange{
		{Send: "STAT:QUES:INST:ISUM1:ENAB 512;STAT:QUES:INST:ENAB 2;STAT:QUES:ENAB 8192;*STB?", Want: "0"},
		{Send: "VOLT 10;OUTP ON;STAT:QUES:INST:ISUM1:COND?", Want: "2"},
		{Send: "VOLT:PROT:LEV 5;STAT:QUES:INST:ISUM1:COND?;STAT:QUES:INST:COND?;STAT:QUES:COND?;*STB?", Want: "512;2;8192;8"},
		{Send: "STAT:QUES:INST:ISUM1?", Want: "514"},
		{Send: "STAT:QUES:INST:ISUM1?;STAT:QUES?;STAT:QUES?", Want: "0;8192;0"},
		{Send: "*STB?", Want: "0"},
	})
}

func TestHMC804xGuideCoverage(t *testing.T) {
	g := hmc804xGuide()
	got := map[string]map[sim.Status]int{}
	for _, m := range g.Models {
		got[m] = g.Coverage(m)
	}
	// Every command of the index is implemented or not applicable on
	// every member: none missing.
	for m, n := range got {
		if n[sim.Missing] != 0 {
			t.Errorf("%s: %d commands missing", m, n[sim.Missing])
		}
	}
	if diff := cmp.Diff(got["HMC8042"][sim.NotApplicable]+2, got["HMC8041"][sim.NotApplicable]); diff != "" {
		t.Errorf("the HMC8041 lacks FUSE:LINK and FUSE:UNLink only (-want +got):\n%s", diff)
	}
}

// BenchmarkHMC804xQuery is a query of the HMC8043 over the in-process
// link, which brings all three channels up to the clock before and after
// it, reported with its ratio to *IDN? (answered by the engine, no model
// code) measured in the same run.
func BenchmarkHMC804xQuery(b *testing.B) {
	for _, cmd := range []string{"VOLT?", "MEAS:VOLT?", "STAT:QUES:INST:ISUM3:COND?"} {
		b.Run(cmd, func(b *testing.B) {
			in := sim.MustNew("HMC8043")
			defer in.Close()
			s := scpi.NewSession(in.Conn())
			defer s.Close()
			ctx := context.Background()
			if err := s.Write(ctx, "INST:NSEL 3;:VOLT 5;:OUTP ON"); err != nil {
				b.Fatal(err)
			}
			run := func(q string) time.Duration {
				start := time.Now()
				for range b.N {
					if _, err := s.Query(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
				return time.Since(start)
			}
			b.ReportAllocs()
			b.ResetTimer()
			base := run("*IDN?")
			d := run(cmd)
			b.ReportMetric(float64(d)/float64(base), "x-IDN")
		})
	}
}

// stepLoad draws through r1 ohms until at, then through r2: a load that
// changes with time, which update must keep measuring.
type stepLoad struct {
	at     time.Time
	r1, r2 float64
}

func (l stepLoad) Current(v float64, now time.Time) float64 {
	if now.Before(l.at) {
		return v / l.r1
	}
	return v / l.r2
}

// update skips the channels that are idle or steady before a command;
// whatever a client does and however time passes, every reply must be
// what it is when every channel is updated before every command.
func TestHMC804xUpdateSkipsChangeNothing(t *testing.T) {
	settings := []string{
		"INST:NSEL 1", "INST:NSEL 2", "INST:NSEL 3", "VOLT 5", "VOLT 12", "CURR 0.2", "CURR 2",
		"OUTP ON", "OUTP OFF", "OUTP:CHAN ON", "OUTP:CHAN OFF", "OUTP:MAST ON", "OUTP:MAST OFF",
		"INST:NSEL 1;:OUTP ON", "INST:NSEL 2;:OUTP ON", "INST:NSEL 3;:OUTP ON",
		"FUSE ON", "FUSE OFF", "FUSE:DEL 0.05", "FUSE:DEL 0.01", "FUSE:DEL:INIT 0.1", "FUSE:LINK 1", "FUSE:LINK 3",
		"POW:PROT ON", "POW:PROT OFF", "POW:PROT:LEV 5", "POW:PROT:LEV 50", "POW:PROT:CLE",
		"VOLT:PROT:LEV 6", "VOLT:PROT:LEV 32", "VOLT:PROT OFF", "VOLT:PROT ON", "VOLT:PROT:MODE PROT", "VOLT:PROT:MODE MEAS", "VOLT:PROT:CLE",
		"VOLT:RAMP ON", "VOLT:RAMP OFF", "VOLT:RAMP:DUR 0.5",
		"ARB:DATA 1,1,0.2,0,6,1,0.3,1;ARB:REP 2;ARB:TRAN 1;ARB ON", "ARB:DATA 3,1,0.1,1,2,1,0.1,0;ARB:TRAN 2;ARB ON",
		"ARB ON", "ARB OFF", "ARB:ENDB HOLD",
		"MEAS:ENER:STAT ON", "MEAS:ENER:STAT OFF", "MEAS:ENER:RES",
		"STAT:QUES:INST:ISUM1:NTR 3", "STAT:QUES:INST:ISUM2:ENAB 3",
	}
	queries := []string{
		"VOLT?", "MEAS:VOLT?", "MEAS:CURR?", "MEAS:POW?", "MEAS:ENER?", "OUTP?", "OUTP:CHAN?",
		"FUSE:TRIP?", "VOLT:PROT:TRIP?", "POW:PROT:TRIP?", "STAT:QUES:INST:ISUM1:COND?",
		"STAT:QUES:INST:ISUM1?", "STAT:QUES:INST:ISUM2?", "STAT:QUES:INST:ISUM3?", "STAT:QUES:INST?",
		"STAT:QUES?", "*STB?",
	}
	setup := "STAT:QUES:INST:ISUM1:ENAB 3587;:STAT:QUES:INST:ISUM3:ENAB 3587;:STAT:QUES:INST:ENAB 14;:STAT:QUES:ENAB 8192"
	// The HMC8041's one channel settles more often than three do.
	for _, model := range []string{"HMC8041", "HMC8043"} {
		for _, noise := range []float64{0, 0.01} {
			for seed := range uint64(40) {
				var replies [2][]string
				for k, exact := range []bool{true, false} {
					r := newRig(t, model, nil)
					r.in.Do(func(d sim.Device) {
						h := d.(*hmc804x)
						h.exact = exact
						h.Outputs[0].Connect(sim.Resistor(10))
						if len(h.Outputs) > 1 {
							h.Outputs[1].Connect(stepLoad{at: r.clock.Add(2 * time.Second), r1: 100, r2: 2})
						}
					})
					if noise > 0 {
						if err := r.in.SetNoise(noise, seed); err != nil {
							t.Fatal(err)
						}
					}
					cl := r.in.NewClient()
					send := func(msg string) {
						cl.Write([]byte(msg + "\n"))
						replies[k] = append(replies[k], msg+" -> "+string(cl.TakeOutput()))
					}
					send(setup)
					// Phases of a few settings, then queries while time
					// passes, so that channels sit live for a while with only
					// queries updating them.
					rnd := rand.New(rand.NewPCG(seed, 1))
					for range 30 {
						for range 1 + rnd.IntN(4) {
							send(settings[rnd.IntN(len(settings))])
						}
						for range 10 {
							r.clock = r.clock.Add(time.Duration(rnd.IntN(150)) * time.Millisecond)
							send(queries[rnd.IntN(len(queries))])
						}
					}
				}
				if diff := cmp.Diff(replies[0], replies[1]); diff != "" {
					t.Fatalf("%s, noise %v, seed %d: replies with update's skips differ (-every channel +skips):\n%s", model, noise, seed, diff)
				}
			}
		}
	}
}

// The energy meter counts from when it is switched on, even when the
// output has been steady (and its updates skipped) for a while before.
func TestHMC804xEnergyCountsFromSwitchOn(t *testing.T) {
	r := newRig(t, "HMC8041", sim.Resistor(10))
	r.converse(t, []simtest.Exchange{{Send: "VOLT 10;OUTP ON", Want: ""}})
	r.clock = r.clock.Add(5 * time.Second)
	r.converse(t, []simtest.Exchange{{Send: "VOLT?", Want: "+1.0000E+01"}, {Send: "MEAS:ENER:STAT ON", Want: ""}})
	r.clock = r.clock.Add(3 * time.Second)
	r.converse(t, []simtest.Exchange{{Send: "MEAS:ENER?", Want: "+3.0000E+01"}})
}
