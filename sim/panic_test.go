package sim

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/transport"
)

// A handler that panics (a model's bug) costs its message, not the
// server: the message goes unanswered, -300 naming the panic is queued
// and logged, and the same connection and every other one are still
// served. Before, nothing in sim recovered, and one command ended the
// whole scpisim process.
func TestPanickingHandlerIsAnError(t *testing.T) {
	cmds := NewCommands[*sampleDevice]()
	cmds.Handle("BOOM", func(d *sampleDevice, c *Call) error {
		var slots []int
		n, err := c.Int(0, Number{Min: -5, Max: 5})
		if err != nil {
			return err
		}
		slots[n]++ // out of range whatever n is
		return nil
	})
	cmds.Handle("SYSTem:ERRor?", ErrorQueryHandler[*sampleDevice])
	m, err := NewModel("BOOMER", "", cmds, func() *sampleDevice { return &sampleDevice{} })
	if err != nil {
		t.Fatal(err)
	}
	logs, logger := newLogEvents()
	srv, err := ServeTCP("", m.New(), ServerOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	a, b := dial(t, srv.Addr().String()), dial(t, srv.Addr().String())
	a.SetDeadline(time.Now().Add(time.Minute))
	b.SetDeadline(time.Now().Add(time.Minute))
	ra, rb := bufio.NewReader(a), bufio.NewReader(b)
	if _, err := a.Write([]byte("*IDN?;:BOOM 1;*IDN?\nSYST:ERR?\n*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	// The panicking message is not answered, not even its first query.
	line, err := ra.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, `-300,"Device-specific error;panic in BOOM: runtime error: index out of range`) {
		t.Errorf("SYST:ERR? after the panic = %q, want -300 naming the panic", line)
	}
	for _, r := range []*bufio.Reader{ra, rb} {
		if r == rb {
			b.Write([]byte("*IDN?\n"))
		}
		if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "SAMPLE") {
			t.Errorf("*IDN? after the panic: %q, %v", line, err)
		}
	}
	logs.wait(t, ctx, "a handler panicked", 1)
}

// A handler that panics on a link with no logger of its own — an
// in-process Conn (sim.Conn, SIM:: resources, benches), or a server
// given no Logger — has its panic and stack logged on the instrument's
// logger (SetLogger), besides -300 and its event. Before, such a link
// logged on the zero Logger, and the stack was lost.
func TestPanickingHandlerLogsOnTheInstrumentsLogger(t *testing.T) {
	cmds := NewCommands[*sampleDevice]()
	cmds.Handle("BOOM", func(d *sampleDevice, c *Call) error {
		panic("a model's bug")
	})
	m, err := NewModel("BOOMER", "", cmds, func() *sampleDevice { return &sampleDevice{} })
	if err != nil {
		t.Fatal(err)
	}
	links := []struct {
		name string
		send func(t *testing.T, in *Instrument, msg string)
	}{
		{"in-process Conn", func(t *testing.T, in *Instrument, msg string) {
			c := in.Conn()
			defer c.Close()
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
		}},
		{"server with no Logger", func(t *testing.T, in *Instrument, msg string) {
			srv, err := ServeTCP("", in, ServerOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			c := dial(t, srv.Addr().String())
			c.SetDeadline(time.Now().Add(time.Minute))
			// *OPC? answers once BOOM's message has run.
			if _, err := c.Write([]byte(msg + "*OPC?\n")); err != nil {
				t.Fatal(err)
			}
			if line, err := bufio.NewReader(c).ReadString('\n'); line != "1\n" {
				t.Fatalf("*OPC? after the panic: %q, %v", line, err)
			}
		}},
	}
	for _, link := range links {
		t.Run(link.name, func(t *testing.T) {
			in := m.New()
			defer in.Close()
			logs, logger := newLogEvents()
			in.SetLogger(logger)
			events := make(chan Event, 4)
			defer in.Subscribe(events)()
			link.send(t, in, "BOOM\n")
			select {
			case e := <-events:
				if e.Error == nil || e.Error.Code != -300 {
					t.Errorf("event %v, want -300", e)
				}
			default:
				t.Error("no event for the panic")
			}
			// Logged before Write returned, or *OPC? was answered.
			logs.mu.Lock()
			defer logs.mu.Unlock()
			logged := 0
			for _, s := range logs.seen {
				if strings.Contains(s, "a handler panicked") {
					logged++
					if !strings.Contains(s, "TestPanickingHandlerLogsOnTheInstrumentsLogger") {
						t.Errorf("the panic's log has no stack down to the handler: %.300s", s)
					}
				}
			}
			if logged != 1 {
				t.Errorf("the panic was logged %d times on the instrument's logger, want once", logged)
			}
		})
	}
}

// A SIM:: instrument opened with scpi.Open logs its handlers' panics, with
// their stacks, on the session's logger: the program's log shows the
// model's bug, not only -300 in an error queue it may never read. (The
// model is not registered, which would put it in every sweep of the
// registered models: its instrument stands in the resources' cache.)
func TestSimResourceLogsPanicsOnTheSessionsLogger(t *testing.T) {
	cmds := NewCommands[*sampleDevice]()
	cmds.Handle("BOOM", func(d *sampleDevice, c *Call) error {
		panic("a model's bug")
	})
	m, err := NewModel("PANICKER-LOG", "", cmds, func() *sampleDevice { return &sampleDevice{} })
	if err != nil {
		t.Fatal(err)
	}
	r, err := transport.ParseResource("SIM::PANICKER-LOG::INSTR")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.ToUpper(r.String()) // as openSim keys it
	simInstruments.Lock()
	simInstruments.byRes[key] = m.New()
	simInstruments.Unlock()
	defer func() {
		simInstruments.Lock()
		delete(simInstruments.byRes, key)
		simInstruments.Unlock()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logs, logger := newLogEvents()
	s, err := scpi.Open(ctx, "SIM::PANICKER-LOG::INSTR", scpi.WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(ctx, "BOOM"); err != nil {
		t.Fatal(err)
	}
	logs.wait(t, ctx, "a handler panicked", 1)
}
