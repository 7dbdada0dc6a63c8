package scpi_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

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
