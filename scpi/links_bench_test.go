package scpi_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
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

// BenchmarkLinkQuery is queries per second of *IDN? on loopback over each
// network link, to the same simulated instrument.
func BenchmarkLinkQuery(b *testing.B) {
	for _, name := range []string{"socket", "vxi11", "hislip", "gpib-prologix"} {
		b.Run(name, func(b *testing.B) {
			s := linkNamed(name).open(b, sim.MustNew("SAMPLE"), sim.ServerOptions{})
			ctx := context.Background()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if _, err := s.Query(ctx, "*IDN?"); err != nil {
					b.Fatal(err)
				}
			}
			reportQPS(b, start)
		})
	}
}

// BenchmarkLinkBlock64MiB reads a 64 MiB binary block over each network
// link that carries waveforms (GPIB is left out: a real bus moves about
// 1 MB/s).
func BenchmarkLinkBlock64MiB(b *testing.B) {
	const size = 64 << 20
	data := bytes.Repeat([]byte{0, 1, '\n', 0xff}, size/4)
	for _, name := range []string{"socket", "vxi11", "hislip"} {
		b.Run(name, func(b *testing.B) {
			s := linkNamed(name).open(b, sim.MustNew("SAMPLE"), sim.ServerOptions{MaxLine: size + 1<<20},
				scpi.WithMaxBlockSize(size), scpi.WithTimeout(time.Minute))
			ctx := context.Background()
			if err := s.WriteBlock(ctx, "DATA:ARB ", data); err != nil {
				b.Fatal(err)
			}
			buf := make([]byte, size)
			b.SetBytes(size)
			for b.Loop() {
				n, err := s.QueryBlockInto(ctx, "DATA:ARB?", buf)
				if err != nil || n != size {
					b.Fatalf("%d bytes, %v", n, err)
				}
			}
		})
	}
}
