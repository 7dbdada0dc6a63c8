package keysight_test

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/sim"
	"github.com/scpikit/scpikit/sim/models/keysight"
	"github.com/scpikit/scpikit/sim/simtest"
)

// step is one program message and its reply, with something done to
// the bench before it is sent (the probed output's voltage changed).
type step struct {
	do         func()
	send, want string
}

// probed returns a fresh meter of the model measuring an output at 5 V.
func probed(t *testing.T, model string) (*sim.Instrument, *sim.Output) {
	t.Helper()
	in := sim.MustNew(model)
	t.Cleanup(in.Close)
	o := sim.NewOutput(sim.OutputRange{Name: "CH1", MaxV: 30, MaxI: 3})
	o.SetVoltage(5)
	o.SetOn(true)
	in.Do(func(d sim.Device) { d.(sim.Prober).ProbeOutput(o) })
	return in, o
}

// converse runs the steps in order and reports every reply that differs,
// in one diff of "send -> reply" lines.
func converse(t *testing.T, in *sim.Instrument, steps []step) {
	t.Helper()
	cl := in.NewClient()
	var got, want []string
	for _, s := range steps {
		if s.do != nil {
			s.do()
		}
		cl.Write([]byte(s.send + "\n"))
		got = append(got, s.send+" -> "+strings.TrimSuffix(string(cl.TakeOutput()), "\n"))
		want = append(want, s.send+" -> "+s.want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", in.Model(), diff)
	}
}

const noError = `0,"No error"`

// Every new setting read back, with its defaults and the exact error for
// a value out of range, one command or query per message.
func TestTruevoltSettings(t *testing.T) {
	simtest.Converse(t, "34465A", []simtest.Exchange{
		// CALCulate:SCALe.
		{Send: "CALC:SCAL:FUNC?", Want: "DB"},
		{Send: "CALC:SCAL?", Want: "0"},
		{Send: "CALC:SCAL:REF:AUTO?", Want: "1"},
		{Send: "CALC:SCAL:DBM:REF?", Want: "+6.00000000E+02"},
		{Send: "CALC:SCAL:DBM:REF 300", Want: ""},
		{Send: "CALC:SCAL:DBM:REF?", Want: "+3.00000000E+02"},
		{Send: "CALC:SCAL:DBM:REF 301", Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value;50, 75, 93, 110, 124, 125, 135, 150, 250, 300, 500, 600, 800, 900, 1000, 1200 or 8000 ohms"`},
		{Send: "CALC:SCAL:DBM:REF 9000", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CALC:SCAL:DB:REF -10", Want: ""},
		{Send: "CALC:SCAL:DB:REF?", Want: "-1.00000000E+01"},
		{Send: "CALC:SCAL:REF:AUTO?", Want: "0"},
		{Send: "CALC:SCAL:DB:REF 201", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CALC:SCAL:FUNC PCT", Want: ""},
		{Send: "CALC:SCAL:FUNC?", Want: "PCT"},
		{Send: "CALC:SCAL:FUNC SCALE", Want: ""},
		{Send: "CALC:SCAL:FUNC?", Want: "SCAL"},
		{Send: "CALC:SCAL:FUNC NULL", Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value"`},
		{Send: "CALC:SCAL:GAIN?", Want: "+1.00000000E+00"},
		{Send: "CALC:SCAL:GAIN 100", Want: ""},
		{Send: "CALC:SCAL:GAIN?", Want: "+1.00000000E+02"},
		{Send: "CALC:SCAL:GAIN 2E15", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CALC:SCAL:GAIN 1E-16", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CALC:SCAL:GAIN 0", Want: ""},
		{Send: "CALC:SCAL:GAIN?", Want: "+0.00000000E+00"},
		{Send: "CALC:SCAL:GAIN 100", Want: ""},
		{Send: "CALC:SCAL:OFFS -5", Want: ""},
		{Send: "CALC:SCAL:OFFS?", Want: "-5.00000000E+00"},
		{Send: "CALC:SCAL:REF 2.5", Want: ""},
		{Send: "CALC:SCAL:REF?", Want: "+2.50000000E+00"},
		{Send: `CALC:SCAL:UNIT "PSI"`, Want: ""},
		{Send: "CALC:SCAL:UNIT?", Want: `"PSI"`},
		{Send: `CALC:SCAL:UNIT "PASCAL"`, Want: ""},
		{Send: "SYST:ERR?", Want: `-223,"Too much data;at most 4 characters"`},
		{Send: "CALC:SCAL:UNIT:STAT ON", Want: ""},
		{Send: "CALC:SCAL:UNIT:STAT?", Want: "1"},
		// CALCulate:SMOothing.
		{Send: "CALC:SMO:RESP?", Want: "FAST"},
		{Send: "CALC:SMO:RESP MED", Want: ""},
		{Send: "CALC:SMO:RESP?", Want: "MED"},
		{Send: "CALC:SMO:RESP QUICK", Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value"`},
		{Send: "CALC:SMO?", Want: "0"},
		// CALCulate:TRANsform:HISTogram.
		{Send: "CALC:TRAN:HIST?", Want: "0"},
		{Send: "CALC:TRAN:HIST:POIN?", Want: "+100"},
		{Send: "CALC:TRAN:HIST:POIN 40", Want: ""},
		{Send: "CALC:TRAN:HIST:POIN?", Want: "+40"},
		{Send: "CALC:TRAN:HIST:POIN 50", Want: ""},
		{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value;10, 20, 40, 100, 200 or 400"`},
		{Send: "CALC:TRAN:HIST:POIN 800", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CALC:TRAN:HIST:RANG:AUTO?", Want: "1"},
		{Send: "CALC:TRAN:HIST:RANG:LOW?", Want: "+9.91000000E+37"},
		{Send: "CALC:TRAN:HIST:RANG:UPP 2", Want: ""},
		{Send: "CALC:TRAN:HIST:RANG:AUTO?", Want: "0"},
		{Send: "CALC:TRAN:HIST:RANG:UPP?", Want: "+2.00000000E+00"},
		{Send: "CALC:TRAN:HIST:RANG:LOW -5E-16", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CALC:TRAN:HIST:RANG:LOW 2E15", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "CALC:TRAN:HIST:COUN?", Want: "+0"},
		// Memory threshold, trigger output, display, screen capture.
		{Send: "DATA:POIN:EVEN:THR?", Want: "+1"},
		{Send: "DATA:POIN:EVEN:THR 125", Want: ""},
		{Send: "DATA:POIN:EVEN:THR?", Want: "+125"},
		{Send: "DATA:POIN:EVEN:THR? MAX", Want: "+50000"},
		{Send: "DATA:POIN:EVEN:THR 50001", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "OUTP:TRIG:SLOP?", Want: "NEG"},
		{Send: "OUTP:TRIG:SLOP POS", Want: ""},
		{Send: "OUTP:TRIG:SLOP?", Want: "POS"},
		{Send: "DISP:VIEW?", Want: "NUM"},
		{Send: "DISP:VIEW TCHART", Want: ""},
		{Send: "DISP:VIEW?", Want: "TCH"},
		{Send: "HCOP:SDUM:DATA:FORM?", Want: "PNG"},
		{Send: "HCOP:SDUM:DATA:FORM BMP", Want: ""},
		{Send: "HCOP:SDUM:DATA:FORM?", Want: "BMP"},
		// Frequency and period: one aperture, filter and timeout for both.
		{Send: "FREQ:APER?", Want: "+1.00000000E-01"},
		{Send: "FREQ:APER 0.05", Want: ""},
		{Send: "PER:APER?", Want: "+1.00000000E-01"},
		{Send: "PER:APER 1 ms", Want: ""},
		{Send: "FREQ:APER?", Want: "+1.00000000E-03"},
		{Send: "FREQ:APER 0.5 ms", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "FREQ:RANG:LOW?", Want: "+2.00000000E+01"},
		{Send: "FREQ:RANG:LOW 5", Want: ""},
		{Send: "PER:RANG:LOW?", Want: "+3.00000000E+00"},
		{Send: "FREQ:RANG:LOW 300", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "FREQ:TIM:AUTO?", Want: "0"},
		{Send: "PER:TIM:AUTO ON", Want: ""},
		{Send: "FREQ:TIM:AUTO?", Want: "1"},
		// Temperature transducers.
		{Send: "TEMP:TRAN:RTD:RES?", Want: "+1.00000000E+02"},
		{Send: "TEMP:TRAN:FRTD:RES 1000", Want: ""},
		{Send: "TEMP:TRAN:RTD:RES?", Want: "+1.00000000E+03"},
		{Send: "TEMP:TRAN:RTD:RES:REF? MIN", Want: "+4.90000000E+01"},
		{Send: "TEMP:TRAN:RTD:RES 30", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "TEMP:TRAN:THER:TYPE?", Want: "+5000"},
		{Send: "TEMP:TRAN:FTH:TYPE 5000", Want: ""},
		{Send: "TEMP:TRAN:FTH:TYPE 10000", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		// Status enable registers and STATus:PRESet.
		{Send: "STAT:QUES:ENAB 6144", Want: ""},
		{Send: "STAT:QUES:ENAB?", Want: "+6144"},
		{Send: "STAT:OPER:ENAB 512", Want: ""},
		{Send: "STAT:OPER:ENAB?", Want: "+512"},
		{Send: "STAT:OPER:ENAB 70000", Want: ""},
		{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
		{Send: "STAT:PRES", Want: ""},
		{Send: "STAT:QUES:ENAB?;:STAT:OPER:ENAB?", Want: "+0;+0"},
		// *RST and SYSTem:PRESet: the timeout setting survives both.
		{Send: "*RST", Want: ""},
		{Send: "CALC:SMO:RESP?;:CALC:TRAN:HIST:POIN?;:DISP:VIEW?;:FREQ:APER?", Want: "FAST;+100;NUM;+1.00000000E-01"},
		{Send: "FREQ:TIM:AUTO?", Want: "1"},
		{Send: "CALC:AVER?;:CALC:TRAN:HIST?", Want: "0;0"},
		{Send: "SYST:PRES", Want: ""},
		{Send: "CALC:AVER?;:CALC:TRAN:HIST?;:FREQ:TIM:AUTO?", Want: "1;1;1"},
		{Send: "SYST:ERR?", Want: noError},
	})
}

// What the 34460A and 34461A lack, and what differs by member.
func TestTruevoltMembers(t *testing.T) {
	for _, model := range []string{"34460A", "34461A"} {
		t.Run(model, func(t *testing.T) {
			maxThr := map[string]string{"34460A": "+1000", "34461A": "+10000"}[model]
			// The 34460A has no trend chart.
			view, viewErr := "TCH", noError
			if model == "34460A" {
				view, viewErr = "NUM", `-224,"Illegal parameter value;the 34460A has no trend chart"`
			}
			simtest.Converse(t, model, []simtest.Exchange{
				{Send: "CALC:SCAL:GAIN 2", Want: ""},
				{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
				{Send: "CALC:SCAL:REF?", Want: ""},
				{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
				{Send: "CALC:SMO ON", Want: ""},
				{Send: "SYST:ERR?", Want: `-113,"Undefined header"`},
				{Send: "CALC:SCAL:FUNC PCT", Want: ""},
				{Send: "SYST:ERR?", Want: `-224,"Illegal parameter value"`},
				{Send: "CALC:SCAL:FUNC DBM", Want: ""},
				{Send: "CALC:SCAL:FUNC?", Want: "DBM"},
				{Send: "FREQ:APER 1 ms", Want: ""},
				{Send: "SYST:ERR?", Want: `-222,"Data out of range"`},
				{Send: "FREQ:APER 10 ms", Want: ""},
				{Send: "FREQ:APER?", Want: "+1.00000000E-02"},
				{Send: "DATA:POIN:EVEN:THR? MAX", Want: maxThr},
				{Send: "CALC:TRAN:HIST:POIN 10", Want: ""},
				{Send: "CALC:TRAN:HIST:POIN?", Want: "+10"},
				{Send: "DISP:VIEW TCH", Want: ""},
				{Send: "DISP:VIEW?", Want: view},
				{Send: "SYST:ERR?", Want: viewErr},
				{Send: "SYST:ERR?", Want: noError},
			})
		})
	}
}

// nr3 formats a number as the Truevolt answers: "+2.69897000E+01".
func nr3(v float64) string {
	s := strconv.FormatFloat(v, 'E', 8, 64)
	if v >= 0 {
		return "+" + s
	}
	return s
}

// Scaling, smoothing and the histogram change the readings as the guide
// says.
func TestTruevoltMath(t *testing.T) {
	in, o := probed(t, "34465A")
	volts := func(v float64) func() { return func() { o.SetVoltage(v) } }
	converse(t, in, []step{
		// Mx-B: 2 * 5 - 1.
		{send: "CONF:VOLT 10"},
		{send: "CALC:SCAL:FUNC SCAL;GAIN 2;OFFS 1;STAT ON"},
		{send: "READ?", want: "+9.00000000E+00"},
		// dBm into 50 ohms: 10 log10(25 / 50 / 1 mW).
		{send: "CALC:SCAL:FUNC DBM;DBM:REF 50"},
		{send: "READ?", want: nr3(10 * 2.698970004336019)},
		// dB against the first reading of the measurement.
		{send: "CALC:SCAL:FUNC DB;REF:AUTO ON"},
		{send: "TRIG:SOUR BUS;COUN 2"},
		{send: "INIT"},
		{send: "*TRG"},
		{do: volts(2.5), send: "*TRG"},
		{send: "FETC?", want: "+0.00000000E+00," + nr3(-6.020599913279624)},
		{send: "CALC:SCAL:DB:REF?", want: nr3(10 * 2.698970004336019)},
		// PCT against a set reference.
		{do: volts(5), send: "TRIG:SOUR IMM;COUN 1"},
		{send: "CALC:SCAL:FUNC PCT;REF 4"},
		{send: "READ?", want: "+2.50000000E+01"},
		// Scaling needs a function it applies to, and a function
		// change turns it off.
		{send: "CONF:VOLT:AC"},
		{send: "CALC:SCAL?", want: "0"},
		{send: "CONF:CONT"},
		{send: "CALC:SCAL ON"},
		{send: "SYST:ERR?", want: `-221,"Settings conflict;PCT does not apply to CONT"`},
		{send: "CONF:RES"},
		{send: "CALC:SCAL:FUNC DB;STAT ON"},
		{send: "SYST:ERR?", want: `-221,"Settings conflict;DB does not apply to RES"`},
		// NULL:VALue:AUTO: the first reading becomes the null value.
		{send: "CONF:VOLT 10"},
		{send: "VOLT:NULL:VAL:AUTO ON;:VOLT:NULL ON"},
		{send: "READ?", want: "+0.00000000E+00"},
		{send: "VOLT:NULL:VAL?;VAL:AUTO?", want: "+5.00000000E+00;0"},
		{do: volts(7), send: "READ?", want: "+2.00000000E+00"},
		{send: "VOLT:NULL:VAL:AUTO ON;:VOLT:NULL:VAL 1"},
		{send: "VOLT:NULL:VAL:AUTO?", want: "0"},
		{do: volts(5), send: "VOLT:NULL OFF"},
		// The moving average of the last 10 readings.
		{send: "CONF:VOLT 10"},
		{send: "CALC:SMO:RESP FAST;STAT ON"},
		{send: "TRIG:SOUR BUS;COUN 3"},
		{send: "INIT"},
		{send: "*TRG"},
		{do: volts(2), send: "*TRG"},
		{send: "*TRG"},
		{send: "FETC?", want: "+5.00000000E+00,+3.50000000E+00,+3.00000000E+00"},
		{send: "CALC:SMO OFF"},
		{send: "SYST:ERR?", want: noError},
	})
}

func TestTruevoltHistogram(t *testing.T) {
	in, o := probed(t, "34460A")
	volts := func(v float64) func() { return func() { o.SetVoltage(v) } }
	converse(t, in, []step{
		// Ten bins of 1 V from 1 V to 11 V: 0.5 below, 2.5 and 2.6 in
		// the second bin, 11 (the upper value) in the last, 11.5 above.
		{send: "CONF:VOLT 10"},
		{send: "CALC:TRAN:HIST:POIN 10;RANG:LOW 1;UPP 11;:CALC:TRAN:HIST:STAT ON"},
		{send: "TRIG:SOUR BUS;COUN 5"},
		{send: "INIT"},
		{do: volts(0.5), send: "*TRG"},
		{do: volts(2.5), send: "*TRG"},
		{do: volts(2.6), send: "*TRG"},
		{do: volts(11), send: "*TRG"},
		{do: volts(11.5), send: "*TRG"},
		{send: "CALC:TRAN:HIST:COUN?", want: "+5"},
		{send: "CALC:TRAN:HIST:ALL?", want: "+1.00000000E+00,+1.10000000E+01,+5,+1,+0,+2,+0,+0,+0,+0,+0,+0,+0,+1,+1"},
		{send: "CALC:TRAN:HIST:DATA?", want: "+1,+0,+2,+0,+0,+0,+0,+0,+0,+0,+1,+1"},
		// An overload has no bin.
		{send: "INIT"},
		{send: "CALC:TRAN:HIST:COUN?", want: "+0"},
		{do: volts(13), send: "*TRG"},
		{send: "CALC:TRAN:HIST:COUN?", want: "+0"},
		// Automatic range: before 1,000 readings, the extremes so far.
		{send: "ABOR;:CALC:TRAN:HIST:RANG:AUTO ON"},
		{send: "INIT"},
		{do: volts(1), send: "*TRG"},
		{do: volts(2), send: "*TRG"},
		{do: volts(3), send: "*TRG"},
		{send: "CALC:TRAN:HIST:ALL?", want: "+1.00000000E+00,+3.00000000E+00,+3,+0,+1,+0,+0,+0,+0,+1,+0,+0,+0,+1,+0"},
		{send: "CALC:TRAN:HIST:RANG:UPP?", want: "+3.00000000E+00"},
		{send: "CALC:TRAN:HIST:CLE"},
		{send: "CALC:TRAN:HIST:COUN?", want: "+0"},
		// The first 1,000 readings fix the range: all at 5 V.
		{do: volts(5), send: "ABOR;:TRIG:SOUR IMM;COUN 1;:SAMP:COUN 1000"},
		{send: "INIT"},
		{send: "CALC:TRAN:HIST:ALL?", want: "+5.00000000E+00,+5.00000000E+00,+1000,+0,+1000,+0,+0,+0,+0,+0,+0,+0,+0,+0,+0"},
		// *RCL brings the settings back, not the data: the recalled bin
		// count holds from the next reading on.
		{send: "CALC:TRAN:HIST:POIN 20;*SAV 2;:CALC:TRAN:HIST:POIN 40"},
		{send: "SAMP:COUN 3;:INIT"},
		{send: "*RCL 2;:CALC:TRAN:HIST:POIN?;COUN?", want: "+20;+0"},
		{send: "CALC:TRAN:HIST:RANG:AUTO 0;LOW 0;UPP 10"},
		{send: "SAMP:COUN 1;:INIT;:CALC:TRAN:HIST:DATA?", want: "+0,+0,+0,+0,+0,+0,+0,+0,+0,+0,+0,+1,+0,+0,+0,+0,+0,+0,+0,+0,+0,+0"},
		// A function change clears it.
		{send: "FUNC \"VOLT:AC\""},
		{send: "CALC:TRAN:HIST:COUN?", want: "+0"},
		{send: "SYST:ERR?", want: noError},
	})
}

// Limit failures, overloads and memory overflow in the questionable
// register; measuring, waiting, configuration change, memory threshold and
// errors in the operation register; both summarised in the status byte.
func TestTruevoltStatus(t *testing.T) {
	in, o := probed(t, "34460A")
	volts := func(v float64) func() { return func() { o.SetVoltage(v) } }
	converse(t, in, []step{
		{send: "CONF:VOLT 10"},
		{send: "CALC:LIM:LOW 4;UPP 6;STAT ON"},
		{send: "STAT:QUES:ENAB 6144;*SRE 8"},
		{send: "READ?", want: "+5.00000000E+00"},
		{send: "STAT:QUES:COND?", want: "+0"},
		{send: "*STB?", want: "0"},
		{do: volts(7), send: "READ?", want: "+7.00000000E+00"},
		{send: "STAT:QUES:COND?", want: "+4096"},
		{send: "*STB?", want: "72"},
		{send: "STAT:QUES?", want: "+4096"},
		{send: "STAT:QUES?", want: "+0"},
		{send: "STAT:QUES:COND?", want: "+4096"},
		{do: volts(3), send: "READ?", want: "+3.00000000E+00"},
		{send: "STAT:QUES:COND?", want: "+2048"},
		{send: "CALC:LIM:CLE"},
		{send: "STAT:QUES:COND?", want: "+0"},
		{send: "STAT:QUES?", want: "+0"},
		// *CLS clears the event register.
		{send: "READ?", want: "+3.00000000E+00"},
		{send: "*CLS"},
		{send: "STAT:QUES?", want: "+0"},
		{send: "STAT:QUES:COND?", want: "+2048"},
		{send: "CALC:LIM OFF"},
		{send: "STAT:QUES:COND?", want: "+0"},
		// An overload is an event only.
		{send: "CONF:VOLT 1"},
		{send: "READ?", want: "+9.90000000E+37"},
		{send: "STAT:QUES:COND?", want: "+0"},
		{send: "STAT:QUES?", want: "+1"},
		// A full memory drops the oldest reading (the 34460A keeps 1,000).
		{send: "CONF:VOLT 10;:SAMP:COUN 1001"},
		{send: "INIT"},
		{send: "DATA:POIN?", want: "+1000"},
		{send: "STAT:QUES:COND?", want: "+16384"},
		{send: "INIT"},
		{send: "STAT:QUES?", want: "+16384"},
		{send: "SAMP:COUN 1"},
		{send: "INIT"},
		{send: "STAT:QUES:COND?", want: "+0"},
		// Operation: waiting for a bus trigger, then the memory
		// threshold, then a configuration change.
		{send: "*CLS;:STAT:OPER?", want: "+0"},
		{send: "TRIG:SOUR BUS;:DATA:POIN:EVEN:THR 2;:STAT:OPER:ENAB 512;*SRE 128"},
		{send: "INIT"},
		{send: "STAT:OPER:COND?", want: "+48"},
		{send: "*TRG"},
		{send: "STAT:OPER:COND?", want: "+0"},
		{send: "*STB?", want: "0"},
		{send: "TRIG:COUN 2;:INIT"},
		{send: "*TRG"},
		{send: "*TRG"},
		{send: "STAT:OPER:COND?", want: "+512"},
		{send: "*STB?", want: "192"},
		{send: "STAT:OPER?", want: "+560"},
		{send: "SAMP:COUN 3"},
		{send: "STAT:OPER:COND?", want: "+768"},
		{send: "STAT:OPER?", want: "+256"},
		// An error in the queue is the global error bit.
		{send: "BOGUS"},
		{send: "STAT:OPER:COND?", want: "+8960"},
		{send: "SYST:ERR?", want: `-113,"Undefined header"`},
		{send: "STAT:OPER:COND?", want: "+768"},
		{send: "SYST:ERR?", want: noError},
	})
}

// The configuration-change condition (operation bit 8) rises with every
// way the settings change after a reading (a command, *RCL, *RST, the
// automatic null value a reading takes) and falls with the next reading;
// a query, or a MEASure? refused for its range, leaves it down.
func TestTruevoltConfigChangeEveryWay(t *testing.T) {
	in, _ := probed(t, "34461A")
	converse(t, in, []step{
		{send: "*SAV 1"},
		{send: "READ?;:STAT:OPER:COND?", want: "+5.00000000E+00;+0"},
		{send: "CONF?;:VOLT:RANG?;:STAT:OPER:COND?", want: `"VOLT +1.000000E+01,+3.000000E-06";+1.00000000E+01;+0`},
		{send: "VOLT:RANG 100;:STAT:OPER:COND?", want: "+256"},
		{send: "READ?;:STAT:OPER:COND?", want: "+5.00000000E+00;+0"},
		{send: "*RCL 1;:STAT:OPER:COND?", want: "+256"},
		{send: "READ?;:STAT:OPER:COND?", want: "+5.00000000E+00;+0"},
		{send: "VOLT:RANG 100;:READ?", want: "+5.00000000E+00"},
		{send: "*RST;:STAT:OPER:COND?", want: "+256"},
		{send: "READ?;:STAT:OPER:COND?", want: "+5.00000000E+00;+0"},
		{send: "VOLT:NULL:VAL:AUTO ON;:VOLT:NULL ON;:READ?", want: "+0.00000000E+00"},
		{send: "STAT:OPER:COND?", want: "+256"},
		{send: "READ?;:STAT:OPER:COND?", want: "+0.00000000E+00;+0"},
		{send: "MEAS:VOLT? 2000;:STAT:OPER:COND?", want: "+8192"}, // refused, nothing changed: the error bit only
		{send: "SYST:ERR?", want: `-222,"Data out of range"`},
	})
}

// *LRN? sent back restores every setting.
func TestTruevoltLearn(t *testing.T) {
	for _, model := range []string{"34460A", "34465A"} {
		t.Run(model, func(t *testing.T) {
			in := sim.MustNew(model)
			defer in.Close()
			cl := in.NewClient()
			run := func(cmd string) string {
				cl.Write([]byte(cmd + "\n"))
				return strings.TrimSuffix(string(cl.TakeOutput()), "\n")
			}
			setup := []string{
				"CONF:CURR 0.1", "CURR:NPLC 1", "CURR:NULL:VAL 0.01;STAT ON", "VOLT:RANG 100;:VOLT:ZERO:AUTO OFF",
				"RES:OCOM ON", "VOLT:AC:BAND 3", "TEMP:TRAN:TYPE THER", "TEMP:TRAN:RTD:RES 500", "FREQ:RANG:LOW 200",
				"FREQ:APER 1", "TRIG:SOUR BUS;DEL 0.5;COUN INF", "SAMP:COUN 7;SOUR TIM;TIM 0.25", "OUTP:TRIG:SLOP POS",
				"DATA:POIN:EVEN:THR 9", "UNIT:TEMP K", "FORM:BORD SWAP", `DISP:TEXT "SAY ""HI"""`, "DISP:VIEW HIST", "DISP OFF",
				"HCOP:SDUM:DATA:FORM BMP", "SYST:BEEP:STAT OFF", "CALC:LIM:LOW -1;UPP 2;STAT ON", "CALC:AVER ON",
				"CALC:SCAL:DBM:REF 75", "CALC:TRAN:HIST:POIN 20;RANG:LOW -3;UPP 3;:CALC:TRAN:HIST:STAT ON",
			}
			if model == "34465A" {
				setup = append(setup, "CURR:APER 0.02", "FORM REAL,64", "TRIG:LEV 0.5", "SAMP:COUN:PRET 3",
					"CALC:SCAL:FUNC SCAL;GAIN 3;OFFS 2;STAT ON;UNIT \"RPM\";UNIT:STAT ON", "CALC:SMO:RESP SLOW;STAT ON")
			}
			for _, cmd := range setup {
				run(cmd)
			}
			if got := run("SYST:ERR?"); got != noError {
				t.Fatalf("setting up: %s", got)
			}
			learnt := run("*LRN?")
			run("*RST")
			if run("*LRN?") == learnt {
				t.Fatal("*RST left the settings as they were: the test would prove nothing")
			}
			run(learnt)
			if diff := cmp.Diff(learnt, run("*LRN?")); diff != "" {
				t.Errorf("*LRN? sent back does not restore the state (-want +got):\n%s", diff)
			}
			if got := run("SYST:ERR?"); got != noError {
				t.Errorf("sending *LRN? back: %s", got)
			}
			if got := run("FUNC?;:TRIG:COUN?;:DISP:TEXT?"); got != `"CURR";+9.90000000E+37;"SAY ""HI"""` {
				t.Errorf("restored FUNC?;TRIG:COUN?;DISP:TEXT? = %s", got)
			}
		})
	}
}

// block parses a definite block reply.
func block(t *testing.T, reply []byte) []byte {
	t.Helper()
	reply = bytes.TrimSuffix(reply, []byte("\n"))
	if len(reply) < 2 || reply[0] != '#' {
		t.Fatalf("not a definite block: %.20q", reply)
	}
	nd := int(reply[1] - '0')
	n, err := strconv.Atoi(string(reply[2 : 2+nd]))
	if err != nil || len(reply) != 2+nd+n {
		t.Fatalf("block header %q does not match its %d bytes", reply[:2+nd], len(reply))
	}
	return reply[2+nd:]
}

// The screen capture is a valid image of the display, in either format.
func TestTruevoltScreenCapture(t *testing.T) {
	in, _ := probed(t, "34461A")
	cl := in.NewClient()
	cl.Write([]byte("INIT\n"))
	cl.Write([]byte("HCOP:SDUM:DATA?\n"))
	img, err := png.Decode(bytes.NewReader(block(t, cl.TakeOutput())))
	if err != nil {
		t.Fatalf("the PNG capture does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 480 || b.Dy() != 272 {
		t.Errorf("PNG capture is %v, want 480x272", b)
	}
	// The bar of the 5 V reading on the 10 V range: dark at its start,
	// light past its end.
	if r, _, _, _ := img.At(30, 130).RGBA(); r != 0 {
		t.Error("no bar for the reading at (30,130)")
	}
	if r, _, _, _ := img.At(400, 130).RGBA(); r == 0 {
		t.Error("the bar reaches (400,130): longer than 5 V of a 12 V span")
	}
	cl.Write([]byte("HCOP:SDUM:DATA:FORM BMP;:HCOP:SDUM:DATA?\n"))
	bmp := block(t, cl.TakeOutput())
	le := binary.LittleEndian
	got := []any{string(bmp[:2]), int(le.Uint32(bmp[2:])), int(le.Uint32(bmp[18:])), int(le.Uint32(bmp[22:])), int(le.Uint16(bmp[28:]))}
	want := []any{"BM", len(bmp), 480, 272, 1}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BMP header: magic, size, width, height, bits (-want +got):\n%s", diff)
	}
}

func TestTruevoltClock(t *testing.T) {
	in := sim.MustNew("34470A")
	defer in.Close()
	host := time.Date(2026, 12, 6, 2, 30, 15, 0, time.UTC)
	keysight.SetTruevoltClock(in, func() time.Time { return host })
	converse(t, in, []step{
		{send: "SYST:DATE?", want: "+2026,+12,+06"},
		{send: "SYST:TIME?", want: "+02,+30,+15.000"},
		{send: "SYST:DATE 2028,2,29"},
		{send: "SYST:TIME 13,5,9.25"},
		{send: "SYST:DATE?", want: "+2028,+02,+29"},
		{send: "SYST:TIME?", want: "+13,+05,+09.250"},
		// The clock runs on from the time set.
		{do: func() { host = host.Add(90 * time.Minute) }, send: "SYST:TIME?", want: "+14,+35,+09.250"},
		{send: "SYST:DATE 2027,2,29"},
		{send: "SYST:ERR?", want: `-222,"Data out of range"`},
		{send: "SYST:DATE 2027,13,1"},
		{send: "SYST:ERR?", want: `-222,"Data out of range"`},
		{send: "SYST:TIME 24,0,0"},
		{send: "SYST:ERR?", want: `-222,"Data out of range"`},
		{send: "SYST:TIME 12,0"},
		{send: "SYST:ERR?", want: `-109,"Missing parameter"`},
		{send: "*RST;:SYST:DATE?", want: "+2028,+02,+29"},
	})
}

// Every command of every member, sent with parameters of every kind, in
// range or not: nothing panics or answers without bound, every error is
// a standard SCPI one, and the meter still answers afterwards.
func TestTruevoltSurvivesAnyParameter(t *testing.T) {
	params := []string{"", "0", "-1", "0.5", "1E300", "-1E-300", "9.9E37", "MIN", "MAX", "DEF", "INF", "ON", "ONCE",
		"ABC", `"text"`, `"a much longer quoted string"`, "#15hello", "1,2,3", "2000,2,30", "(@1)"}
	optional := strings.NewReplacer("[", "", "]", "")
	for _, model := range []string{"34460A", "34461A", "34465A", "34470A"} {
		t.Run(model, func(t *testing.T) {
			in, _ := probed(t, model)
			m, err := sim.Lookup(model)
			if err != nil {
				t.Fatal(err)
			}
			cl := in.NewClient()
			send := func(msg string) string {
				cl.Write([]byte(msg + "\n"))
				return string(cl.TakeOutput())
			}
			for _, p := range m.Patterns() {
				// Every optional node present: "[SENSe:]VOLTage[:DC]:RANGe"
				// gives "SENSe:VOLTage:DC:RANGe".
				header := optional.Replace(p)
				for _, arg := range params {
					msg := strings.TrimSpace(header + " " + arg)
					if reply := send(msg); len(reply) > 1<<20 {
						t.Errorf("%s: a %d-byte reply", msg, len(reply))
					}
					for range 25 {
						e := strings.TrimSpace(send("SYST:ERR?"))
						if e == noError {
							break
						}
						// -1xx command, -2xx execution errors; -3xx would be
						// a handler's Go error or an overflowing queue.
						field, _, _ := strings.Cut(e, ",")
						if code, err := strconv.Atoi(field); err != nil || code > -100 || code <= -300 {
							t.Errorf("%s: %s is not a standard command or execution error", msg, e)
						}
					}
					send("*CLS;:ABOR;:SAMP:COUN 1;:TRIG:COUN 1;:TRIG:SOUR IMM")
				}
			}
			// The longest run an INIT takes is bounded (on one member: the
			// bound is the same, and 2,000,000 readings take a while).
			if model == "34460A" {
				send("SAMP:COUN MAX;:TRIG:COUN MAX;:INIT")
				if got := strings.TrimSpace(send("DATA:POIN?")); got != "+1000" {
					t.Errorf("DATA:POIN? after the longest run = %s, want +1000", got)
				}
			}
			if got := send("*IDN?"); !strings.HasPrefix(got, "Keysight Technologies,"+model) {
				t.Errorf("*IDN? after the sweep = %q", got)
			}
		})
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
	in, o := probed(t, "34461A")
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
		"K", "+5.50000000E+00", noError}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
