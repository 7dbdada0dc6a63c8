package sim

import (
	"strconv"
	"strings"
	"testing"
)

// pvsSupply is the pyvisa-sim supply of testdata/pyvisa-sim.yaml, with a
// client of its own.
func pvsSupply(t *testing.T) (*pvsDevice, func(msg string) string) {
	t.Helper()
	b, err := LoadBench("testdata/pyvisa-sim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	in, ok := b.Instrument("USB::0x1111::0x2222::SUP1::INSTR")
	if !ok {
		t.Fatal("no supply in the bench")
	}
	cl := in.NewClient()
	return in.dev.(*pvsDevice), func(msg string) string {
		cl.Write([]byte(msg + "\n"))
		return string(cl.TakeOutput())
	}
}

// A setter's {ch_id} matches any text. For a channel the group does not
// have, the reply is pyvisa-sim's (it checks the value and answers as for
// any channel; no query can read what it keeps), but nothing is kept:
// before, each made-up channel name added an entry to the device's state
// until *RST, so a client could grow it without bound.
func TestPyVISASimUnknownChannelKeepsNothing(t *testing.T) {
	dev, send := pvsSupply(t)
	var rng *pvsProperty
	for _, ch := range dev.channels {
		if p, ok := ch.props["range"]; ok {
			rng = p
		}
	}
	if got := send("CH7:RANG 5"); got != "" {
		t.Errorf("CH7:RANG 5 answered %q; pyvisa-sim answers the setter's response (none)", got)
	}
	if got := send("CH7:RANG 500"); got != "BAD_COMMAND\n" {
		t.Errorf("CH7:RANG 500 answered %q; pyvisa-sim refuses the value with the command error", got)
	}
	send(":SYST:ERR?") // the -100 of CH7:RANG 500
	if got := send(":SYST:ERR?"); got != "0, No Error\n" {
		t.Errorf("after CH7:RANG 5, :SYST:ERR? = %q", got)
	}
	for i := range 1000 {
		send("CH" + strconv.Itoa(100+i) + strings.Repeat("x", 100) + ":RANG 5")
	}
	send("CH2:RANG 20")
	if n := len(rng.perCh); n > 3 {
		t.Errorf("the range property holds %d channels' values; the group has 3", n)
	}
	for q, want := range map[string]string{"CH1:RANG?": "10\n", "CH2:RANG?": "20\n", "CH3:RANG?": "10\n"} {
		if got := send(q); got != want {
			t.Errorf("%s = %q, want %q", q, got, want)
		}
	}
}

// A pyvisa-sim error queue holds at most as many errors as the engine's,
// its last place taken by -350 once full, as SCPI has it; before, it grew
// with every bad command until read.
func TestPyVISASimErrorQueueIsBounded(t *testing.T) {
	dev, send := pvsSupply(t)
	for range 1000 {
		send("NOPE")
	}
	for _, q := range dev.queues {
		if n := len(q.queue); n > defaultErrorQueueSize {
			t.Fatalf("the error queue holds %d errors after 1000 bad commands", n)
		}
	}
	for i := range defaultErrorQueueSize + 1 {
		want := "-100, Command error\n"
		switch i {
		case defaultErrorQueueSize - 1:
			want = pvsQueueOverflow + "\n"
		case defaultErrorQueueSize:
			want = "0, No Error\n"
		}
		if got := send(":SYST:ERR?"); got != want {
			t.Errorf(":SYST:ERR? %d = %q, want %q", i+1, got, want)
		}
	}
}

// A pyvisa-sim message of many queries whose answers outgrow MaxOutput is
// refused (-430) without all its answers being made first: the device
// stops adding them once past the bound, while the queries after still
// run. Before, every answer was appended and only then refused: a file's
// long answer asked millions of times in one message took gigabytes.
func TestPyVISASimResponseStopsAtTheBound(t *testing.T) {
	b, err := LoadBench("testdata/pyvisa-sim.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	in, _ := b.Instrument("USB::0x1111::0x2222::SUP1::INSTR")
	cl := in.NewClient()
	cl.MaxOutput = 1000
	cl.Write([]byte(strings.Repeat("*IDN?;", 10000) + ":VOLT 7\n"))
	if c := cap(cl.out); c > 4<<10 {
		t.Errorf("10000 answers refused after room for %d bytes was made for them (bound 1000)", c)
	}
	if got := cl.TakeOutput(); len(got) != 0 {
		t.Errorf("%d bytes answered past the bound", len(got))
	}
	if errs := in.Errors(); len(errs) != 1 || errs[0].Code != -430 {
		t.Errorf("errors %v, want -430", errs)
	}
	cl.Write([]byte(":VOLT?\n"))
	if got := string(cl.TakeOutput()); got != "+7.00000000E+00\n" {
		t.Errorf(":VOLT? after the refused message = %q: its last query did not run", got)
	}
}
