package sim

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/transport"
)

// slowSteps is an instrument whose STEP takes a while (each, until a MARK
// comes, sleeps step) and counts the STEPs run, and those run after the
// MARK: a message of many is long, and it says how far it got.
func slowSteps(t *testing.T, step time.Duration) (*Instrument, *stepper) {
	t.Helper()
	cmds := NewCommands[*stepper]()
	cmds.Handle("STEP", func(d *stepper, c *Call) error {
		if d.steps++; d.steps == 1 {
			close(d.started)
		}
		if d.marked {
			d.after++
		} else {
			time.Sleep(step)
		}
		return nil
	})
	cmds.Handle("MARK", func(d *stepper, c *Call) error { d.marked = true; return nil })
	m, err := NewModel("STEPPER", "", cmds, func() *stepper { return &stepper{started: make(chan struct{})} })
	if err != nil {
		t.Fatal(err)
	}
	in := m.New()
	t.Cleanup(in.Close)
	return in, in.dev.(*stepper)
}

// longSteps is a message of n STEPs.
func longSteps(n int) []byte {
	return []byte(strings.TrimSuffix(strings.Repeat("STEP;", n), ";") + "\n")
}

// stepsRun is how many STEPs the instrument has run.
func stepsRun(in *Instrument, d *stepper) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return d.steps
}

// One client's message of slow units lets another client's message in
// after the slice a unit ends, not after 64 units: before, a message of
// 100 ms units (an INIT of a million readings) kept the instrument for
// 64 of them, 6.4 s, at a time.
func TestLongUnitsLetOthersIn(t *testing.T) {
	in, d := slowSteps(t, 20*time.Millisecond)
	a, b := in.NewClient(), in.NewClient()
	done := make(chan error, 1)
	go func() { _, err := a.Write(longSteps(100)); done <- err }()
	<-d.started
	if _, err := b.Write([]byte("MARK\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if before := 100 - d.after; before >= 32 {
		t.Errorf("%d of the long message's 20 ms STEPs ran before the other client's MARK; want it let in after the first slice", before)
	}
}

// longTarget is a server running the slow-steps instrument: start sends
// it a long message from a client of its own and returns a function
// that makes that client go away; ended is what the server logs when the
// client's connection is over.
type longTarget struct {
	start func(t *testing.T, msg []byte) (leave func())
	close func() error
	ended string
}

var longTargets = []struct {
	name  string
	serve func(t *testing.T, in *Instrument, opts ServerOptions) longTarget
}{
	{"raw TCP", func(t *testing.T, in *Instrument, opts ServerOptions) longTarget {
		srv, err := ServeTCP("", in, opts)
		if err != nil {
			t.Fatal(err)
		}
		return longTarget{start: func(t *testing.T, msg []byte) func() {
			c := dial(t, srv.Addr().String())
			if _, err := c.Write(msg); err != nil {
				t.Fatal(err)
			}
			return func() { c.Close() }
		}, close: srv.Close, ended: "sim: client disconnected"}
	}},
	{"VXI-11", func(t *testing.T, in *Instrument, opts ServerOptions) longTarget {
		srv, err := ServeVXI11("", in, VXI11Options{ServerOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		return longTarget{start: func(t *testing.T, msg []byte) func() {
			c, err := transport.Open(context.Background(), srv.Resource(), transport.WithPortmapperPort(srv.PortmapperPort()))
			if err != nil {
				t.Fatal(err)
			}
			// device_write answers once the message has run: the write
			// waits in a goroutine of its own.
			go c.Write(msg)
			return func() { c.Close() }
		}, close: srv.Close, ended: "sim: vxi11 client disconnected"}
	}},
	{"HiSLIP", func(t *testing.T, in *Instrument, opts ServerOptions) longTarget {
		srv, err := ServeHiSLIP("", in, opts)
		if err != nil {
			t.Fatal(err)
		}
		return longTarget{start: func(t *testing.T, msg []byte) func() {
			c, err := transport.Open(context.Background(), srv.Resource())
			if err != nil {
				t.Fatal(err)
			}
			go c.Write(msg)
			return func() { c.Close() }
		}, close: srv.Close, ended: "sim: hislip session closed"}
	}},
	{"Prologix", func(t *testing.T, in *Instrument, opts ServerOptions) longTarget {
		p, err := NewPrologix(map[int]*Instrument{5: in}, opts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := p.ServeTCP("")
		if err != nil {
			p.Close()
			t.Fatal(err)
		}
		r, _ := transport.ParseResource(res)
		return longTarget{start: func(t *testing.T, msg []byte) func() {
			c := dial(t, net.JoinHostPort(r.Host, strconv.Itoa(r.Port)))
			if _, err := c.Write(append([]byte("++addr 5\n"), msg...)); err != nil {
				t.Fatal(err)
			}
			return func() { c.Close() }
		}, close: p.Close, ended: "sim: prologix: host connection ended"}
	}},
}

// Close returns while a client's long message runs, over every link: the
// message is given up between two slices. Before, Close waited for the
// whole message (9.6 s for one of 100 ms INITs, hours for MaxLine of
// them): nothing in Execute looked at the server closing.
func TestCloseEndsALongMessage(t *testing.T) {
	for _, tt := range longTargets {
		t.Run(tt.name, func(t *testing.T) {
			in, d := slowSteps(t, time.Millisecond)
			target := tt.serve(t, in, ServerOptions{})
			closed := false
			defer func() {
				if !closed {
					target.close()
				}
			}()
			leave := target.start(t, longSteps(20000))
			defer leave()
			<-d.started
			closed = true
			if err := target.close(); err != nil {
				t.Fatal(err)
			}
			if n := stepsRun(in, d); n == 20000 {
				t.Errorf("Close returned once all %d STEPs had run: it waited for the message", n)
			}
		})
	}
}

// A client that goes away while its long message runs has the rest of
// it given up, and its connection ended, over every link. Before, the
// message ran to its end (a stream link does not read while it runs),
// holding a connection slot for as long.
func TestClientGoneEndsALongMessage(t *testing.T) {
	for _, tt := range longTargets {
		t.Run(tt.name, func(t *testing.T) {
			in, d := slowSteps(t, time.Millisecond)
			logs, logger := newLogEvents()
			target := tt.serve(t, in, ServerOptions{Logger: logger})
			defer target.close()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			leave := target.start(t, longSteps(20000))
			<-d.started
			leave()
			logs.wait(t, ctx, target.ended, 1)
			if n := stepsRun(in, d); n == 20000 {
				t.Errorf("the connection ended once all %d STEPs had run: the message outlived its client", n)
			}
		})
	}
}

// What a stream client sends while its long message runs is kept, in
// order, for after it: the watch for the client going away reads it
// ahead, up to watchAheadMax, and what passes that waits in the
// connection.
func TestStreamInputDuringALongMessage(t *testing.T) {
	in, d := slowSteps(t, time.Millisecond)
	srv, err := ServeTCP("", in, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := dial(t, srv.Addr().String())
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	if _, err := c.Write(longSteps(200)); err != nil {
		t.Fatal(err)
	}
	<-d.started
	opcs := 2 * watchAheadMax / len("*OPC?\n")
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte("*IDN?\n" + strings.Repeat("*OPC?\n", opcs)))
		wrote <- err
	}()
	want := "scpikit,SAMPLE,SIM000001,1.0\n" + strings.Repeat("1\n", opcs)
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil || string(got) != want {
		t.Fatalf("the queries sent during the long message: %.60q..., %v; want %.60q...", got, err, want)
	}
	if err := <-wrote; err != nil {
		t.Fatal(err)
	}
	if n := stepsRun(in, d); n != 200 {
		t.Errorf("%d STEPs ran, want all 200", n)
	}
}

// A raw-socket client that sends more than the watch reads ahead while
// its long message runs, and then closes, has the rest of the message
// given up as one that sent less does. Before, the watch stopped reading
// once watchAheadMax was full and never saw the connection end behind
// the bytes: the message ran to its end (here 20,000 1 ms STEPs, about
// 22 s) and its client's slot was held as long.
func TestClientGoneBehindBytesAheadEndsALongMessage(t *testing.T) {
	in, d := slowSteps(t, time.Millisecond)
	logs, logger := newLogEvents()
	srv, err := ServeTCP("", in, ServerOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := dial(t, srv.Addr().String())
	if _, err := c.Write(longSteps(20000)); err != nil {
		t.Fatal(err)
	}
	<-d.started
	// More than the watch keeps, little enough for the kernel's buffers
	// to take the rest and the connection's end.
	ahead := strings.Repeat("*OPC?\n", (watchAheadMax+8<<10)/len("*OPC?\n"))
	if _, err := c.Write([]byte(ahead)); err != nil {
		t.Fatal(err)
	}
	c.Close()
	logs.wait(t, ctx, "sim: client disconnected", 1)
	if n := stepsRun(in, d); n == 20000 {
		t.Errorf("the connection ended once all %d STEPs had run: the message outlived its client", n)
	}
	if m := srv.Memory(); m.Peak > 2<<20 {
		t.Errorf("the server held %d bytes at its peak; want the bytes ahead bounded", m.Peak)
	}
}
