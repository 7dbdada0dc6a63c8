package scpi_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	"github.com/scpikit/scpikit/transport"
)

// linkServers serves one simulated instrument over every network link
// and returns how to open a session on each.
func linkServers(b *testing.B, opts sim.ServerOptions) map[string]func(...scpi.Option) *scpi.Session {
	in := sim.MustNew("SAMPLE")
	raw, err := sim.ServeTCP("", in, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	vx, err := sim.ServeVXI11("", in, sim.VXI11Options{ServerOptions: opts})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { vx.Close() })
	hs, err := sim.ServeHiSLIP("", in, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { hs.Close() })
	px, err := sim.NewPrologix(map[int]*sim.Instrument{5: in}, opts)
	if err != nil {
		b.Fatal(err)
	}
	adapter, err := px.ServeTCP("")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { px.Close() })
	open := func(res string, topts ...transport.Option) func(...scpi.Option) *scpi.Session {
		return func(o ...scpi.Option) *scpi.Session {
			s, err := scpi.Open(context.Background(), res, append(o, scpi.WithTransportOptions(topts...))...)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { s.Close() })
			return s
		}
	}
	return map[string]func(...scpi.Option) *scpi.Session{
		"socket":        open(raw.Resource()),
		"vxi11":         open(vx.Resource(), transport.WithPortmapperPort(vx.PortmapperPort())),
		"hislip":        open(hs.Resource()),
		"gpib-prologix": open("GPIB0::5::INSTR", transport.WithGPIBAdapter(adapter)),
	}
}

// BenchmarkLinkQuery is queries per second of *IDN? on loopback over each
// network link, to the same simulated instrument.
func BenchmarkLinkQuery(b *testing.B) {
	links := linkServers(b, sim.ServerOptions{})
	for _, name := range []string{"socket", "vxi11", "hislip", "gpib-prologix"} {
		b.Run(name, func(b *testing.B) {
			s := links[name]()
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
	links := linkServers(b, sim.ServerOptions{MaxLine: size + 1<<20})
	data := bytes.Repeat([]byte{0, 1, '\n', 0xff}, size/4)
	for _, name := range []string{"socket", "vxi11", "hislip"} {
		b.Run(name, func(b *testing.B) {
			s := links[name](scpi.WithMaxBlockSize(size), scpi.WithTimeout(time.Minute))
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
