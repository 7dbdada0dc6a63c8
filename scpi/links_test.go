package scpi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/usbtmc"
)

// link serves a simulated instrument over one kind of link and opens a
// session on it; the server stops when the test ends.
type link struct {
	name string
	open func(tb testing.TB, in *sim.Instrument, so sim.ServerOptions, o ...scpi.Option) *scpi.Session
}

func openRes(tb testing.TB, res string, o []scpi.Option, topts ...transport.Option) *scpi.Session {
	tb.Helper()
	s, err := scpi.Open(context.Background(), res, append(o, scpi.WithTransportOptions(topts...))...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func cleanup(tb testing.TB, c interface{ Close() error }) { tb.Cleanup(func() { c.Close() }) }

// links are every link the session runs over, each to a simulated
// instrument: the network links first.
var links = []link{
	{"socket", func(tb testing.TB, in *sim.Instrument, so sim.ServerOptions, o ...scpi.Option) *scpi.Session {
		srv, err := sim.ServeTCP("", in, so)
		if err != nil {
			tb.Fatal(err)
		}
		cleanup(tb, srv)
		return openRes(tb, srv.Resource(), o)
	}},
	{"vxi11", func(tb testing.TB, in *sim.Instrument, so sim.ServerOptions, o ...scpi.Option) *scpi.Session {
		srv, err := sim.ServeVXI11("", in, sim.VXI11Options{ServerOptions: so})
		if err != nil {
			tb.Fatal(err)
		}
		cleanup(tb, srv)
		return openRes(tb, srv.Resource(), o, transport.WithPortmapperPort(srv.PortmapperPort()))
	}},
	{"hislip", func(tb testing.TB, in *sim.Instrument, so sim.ServerOptions, o ...scpi.Option) *scpi.Session {
		srv, err := sim.ServeHiSLIP("", in, so)
		if err != nil {
			tb.Fatal(err)
		}
		cleanup(tb, srv)
		return openRes(tb, srv.Resource(), o)
	}},
	{"gpib-prologix", func(tb testing.TB, in *sim.Instrument, so sim.ServerOptions, o ...scpi.Option) *scpi.Session {
		bus, err := sim.NewPrologix(map[int]*sim.Instrument{5: in}, so)
		if err != nil {
			tb.Fatal(err)
		}
		cleanup(tb, bus)
		adapter, err := bus.ServeTCP("")
		if err != nil {
			tb.Fatal(err)
		}
		return openRes(tb, "GPIB0::5::INSTR", o, transport.WithGPIBAdapter(adapter))
	}},
	{"serial-pty", func(tb testing.TB, in *sim.Instrument, so sim.ServerOptions, o ...scpi.Option) *scpi.Session {
		pty, err := sim.ServePTY(in, so)
		if err != nil {
			tb.Skipf("no pseudo-terminals: %v", err)
		}
		cleanup(tb, pty)
		return openRes(tb, pty.Resource(), o)
	}},
	{"usbtmc-standin", func(tb testing.TB, in *sim.Instrument, so sim.ServerOptions, o ...scpi.Option) *scpi.Session {
		pty, err := sim.ServePTY(in, so)
		if err != nil {
			tb.Skipf("no pseudo-terminals: %v", err)
		}
		cleanup(tb, pty)
		c, err := usbtmc.Open(context.Background(), pty.Path())
		if err != nil {
			tb.Fatal(err)
		}
		s := scpi.NewSession(c, o...)
		tb.Cleanup(func() { s.Close() })
		return s
	}},
	{"in-process", func(tb testing.TB, in *sim.Instrument, so sim.ServerOptions, o ...scpi.Option) *scpi.Session {
		s := scpi.NewSession(in.Conn(), o...)
		tb.Cleanup(func() { s.Close() })
		return s
	}},
}

func linkNamed(name string) link {
	for _, l := range links {
		if l.name == name {
			return l
		}
	}
	panic("no link " + name)
}

// The session's contract holds over every link: the same scenarios, run
// against a simulated instrument served over each.
func TestSessionContractOnEveryLink(t *testing.T) {
	for _, l := range links {
		t.Run(l.name, func(t *testing.T) {
			t.Run("atomic sequences from many goroutines", func(t *testing.T) {
				s := l.open(t, sim.MustNew("SAMPLE"), sim.ServerOptions{})
				ctx := context.Background()
				var wg sync.WaitGroup
				errs := make(chan error, 8)
				for g := range 8 {
					wg.Go(func() {
						for i := range 20 {
							tag := fmt.Sprintf("G%d-%d", g, i)
							err := s.Do(ctx, func(tx *scpi.Tx) error {
								if err := tx.Writef(ctx, "DISP:TEXT %q", tag); err != nil {
									return err
								}
								got, err := tx.QueryString(ctx, "DISP:TEXT?")
								if err == nil && got != tag {
									err = fmt.Errorf("wrote %s, read back %s", tag, got)
								}
								return err
							})
							if err != nil {
								errs <- err
								return
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
			})
			t.Run("binary block with every byte value", func(t *testing.T) {
				s := l.open(t, sim.MustNew("SAMPLE"), sim.ServerOptions{})
				ctx := context.Background()
				var data []byte
				for i := range 3 * 256 {
					data = append(data, byte(i), '\n', '\r', 27, '+')
				}
				if err := s.WriteBlock(ctx, "DATA:ARB ", data); err != nil {
					t.Fatal(err)
				}
				got, err := s.QueryBlock(ctx, "DATA:ARB?")
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%d bytes back (want %d), %v", len(got), len(data), err)
				}
			})
			t.Run("no stale reply after a timeout", func(t *testing.T) {
				in := sim.MustNew("SAMPLE")
				s := l.open(t, in, sim.ServerOptions{})
				ctx := context.Background()
				if err := in.SetFaults(sim.Faults{Latency: 200 * time.Millisecond}); err != nil {
					t.Fatal(err)
				}
				short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
				defer cancel()
				if _, err := s.Query(short, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
					t.Fatalf("slow query: %v, want ErrTimeout", err)
				}
				in.SetFaults(sim.Faults{})
				v, err := s.Query(ctx, "SYST:VERS?")
				if err != nil || strings.Contains(v, "SAMPLE") {
					t.Fatalf("next query: %q, %v", v, err)
				}
			})
			t.Run("service request after *OPC", func(t *testing.T) {
				if l.name == "usbtmc-standin" {
					t.Skip("the stand-in is a pty: its READ_STATUS_BYTE ioctl fails (usbtmc.ErrNotUSBTMC)")
				}
				s := l.open(t, sim.MustNew("SAMPLE"), sim.ServerOptions{})
				ctx := context.Background()
				if err := s.Write(ctx, "*CLS;*ESE 1;*SRE 32"); err != nil {
					t.Fatal(err)
				}
				// Nothing has completed yet: no request.
				early, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
				defer cancel()
				if stb, err := s.WaitServiceRequest(early); !errors.Is(err, scpi.ErrTimeout) {
					t.Fatalf("before *OPC: status byte %#x, %v; want ErrTimeout", stb, err)
				}
				if err := s.Write(ctx, "*OPC"); err != nil {
					t.Fatal(err)
				}
				stb, err := s.WaitServiceRequest(ctx)
				if err != nil || stb&(scpi.StatusRQS|scpi.StatusESB) != scpi.StatusRQS|scpi.StatusESB {
					t.Fatalf("after *OPC: status byte %#x, %v; want RQS and ESB", stb, err)
				}
				// The session is still in step: *ESR? reads (and clears) the
				// operation-complete event.
				if esr, err := s.QueryInt(ctx, "*ESR?"); err != nil || esr&1 == 0 {
					t.Fatalf("*ESR? = %d, %v", esr, err)
				}
			})
			t.Run("cancel interrupts a wait", func(t *testing.T) {
				in := sim.MustNew("SAMPLE")
				s := l.open(t, in, sim.ServerOptions{})
				if err := in.SetFaults(sim.Faults{Latency: time.Hour}); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				errc := make(chan error, 1)
				go func() { _, err := s.Query(ctx, "*IDN?"); errc <- err }()
				cancel()
				if err := <-errc; !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled query: %v", err)
				}
				in.SetFaults(sim.Faults{})
			})
		})
	}
}

// Issue 16, item 1, on every link: the simulator drops one reply; once the
// resync bound has passed (counted from when the reply was abandoned), 20
// queries whose deadlines are far shorter than the bound all succeed, and
// the recovery is logged once.
func TestLostReplyRecoversOnEveryLink(t *testing.T) {
	for _, l := range links {
		t.Run(l.name, func(t *testing.T) {
			in := sim.MustNew("SAMPLE")
			var logs testserver.Log
			clock := newFakeClock()
			s := l.open(t, in, sim.ServerOptions{}, scpi.WithLogger(zerolog.New(&logs)),
				scpi.WithClock(clock.Now), scpi.WithResyncTimeout(time.Hour))
			idn, err := s.Query(bg, "*IDN?")
			if err != nil {
				t.Fatal(err)
			}
			if err := in.SetFaults(sim.Faults{DropRate: 1}); err != nil {
				t.Fatal(err)
			}
			lost, cancel := context.WithTimeout(bg, 50*time.Millisecond)
			defer cancel()
			if _, err := s.Query(lost, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
				t.Fatalf("dropped reply: %v, want ErrTimeout", err)
			}
			in.SetFaults(sim.Faults{})
			clock.Advance(time.Hour)
			for i := range 20 {
				ctx, cancel := context.WithTimeout(bg, 10*time.Second)
				got, err := s.Query(ctx, "*IDN?")
				cancel()
				if err != nil || got != idn {
					t.Fatalf("call %d after the bound: %q, %v; want %q", i, got, err, idn)
				}
			}
			if n := countLines(logs.String(), "resynchronised"); n != 1 {
				t.Errorf("%d recovery lines, want 1:\n%s", n, logs.String())
			}
		})
	}
}

// On links that mark a message's end (VXI-11, HiSLIP) the link gives
// every response a terminator, so a session told that blocks come bare
// still reads the one after a block, and the next query gets its own
// reply rather than an empty one.
func TestBareBlockSettingOnEndMarkingLinks(t *testing.T) {
	for _, l := range links {
		if l.name != "vxi11" && l.name != "hislip" {
			continue
		}
		t.Run(l.name, func(t *testing.T) {
			in, err := sim.New("SAMPLE")
			if err != nil {
				t.Fatal(err)
			}
			s := l.open(t, in, sim.ServerOptions{}, scpi.WithBlockTermination(false))
			if err := s.WriteBlock(bg, "DATA:ARB ", []byte("abcde")); err != nil {
				t.Fatal(err)
			}
			b, err := s.QueryBlock(bg, "DATA:ARB?")
			if err != nil || string(b) != "abcde" {
				t.Fatalf("QueryBlock = %q, %v", b, err)
			}
			if id, err := s.Query(bg, "*IDN?"); err != nil || !strings.Contains(id, "SAMPLE") {
				t.Errorf(`Query("*IDN?") after the block = %q, %v; want the identity`, id, err)
			}
		})
	}
}
