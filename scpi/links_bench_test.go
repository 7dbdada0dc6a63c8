package scpi_test

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// againstSocket runs op on a link and on the raw socket link in turn,
// b.N times each, and reports the link's speed as a ratio to the
// socket's (x-socket: above 1 is faster) and both links' allocations per
// operation, so machines of any speed give comparable figures.
func againstSocket(b *testing.B, link, socket func() error) {
	run := func(op func() error) (time.Duration, float64) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		for range b.N {
			if err := op(); err != nil {
				b.Fatal(err)
			}
		}
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		return took, float64(after.Mallocs-before.Mallocs) / float64(b.N)
	}
	b.ResetTimer()
	l, la := run(link)
	s, sa := run(socket)
	b.ReportMetric(float64(s)/float64(l), "x-socket")
	b.ReportMetric(la, "link-allocs/op")
	b.ReportMetric(sa, "socket-allocs/op")
}

// BenchmarkLinkQuery is *IDN? on loopback over each network link, to a
// simulated instrument, interleaved with the same query over the raw
// socket link to an instrument of the same model.
func BenchmarkLinkQuery(b *testing.B) {
	for _, name := range []string{"vxi11", "hislip", "gpib-prologix"} {
		b.Run(name, func(b *testing.B) {
			l := linkNamed(name).open(b, sim.MustNew("SAMPLE"), sim.ServerOptions{})
			s := linkNamed("socket").open(b, sim.MustNew("SAMPLE"), sim.ServerOptions{})
			ctx := context.Background()
			query := func(s *scpi.Session) func() error {
				return func() error { _, err := s.Query(ctx, "*IDN?"); return err }
			}
			againstSocket(b, query(l), query(s))
		})
	}
}

// BenchmarkLinkBlock64MiB reads a 64 MiB binary block over each network
// link that carries waveforms, interleaved with the raw socket link (GPIB
// is left out: a real bus moves about 1 MB/s).
func BenchmarkLinkBlock64MiB(b *testing.B) {
	const size = 64 << 20
	data := bytes.Repeat([]byte{0, 1, '\n', 0xff}, size/4)
	for _, name := range []string{"vxi11", "hislip"} {
		b.Run(name, func(b *testing.B) {
			open := func(name string) *scpi.Session {
				s := linkNamed(name).open(b, sim.MustNew("SAMPLE"), sim.ServerOptions{MaxLine: size + 1<<20},
					scpi.WithMaxBlockSize(size), scpi.WithTimeout(time.Minute))
				if err := s.WriteBlock(context.Background(), "DATA:ARB ", data); err != nil {
					b.Fatal(err)
				}
				return s
			}
			buf := make([]byte, size)
			read := func(s *scpi.Session) func() error {
				return func() error {
					n, err := s.QueryBlockInto(context.Background(), "DATA:ARB?", buf)
					if err == nil && n != size {
						b.Fatalf("%d bytes", n)
					}
					return err
				}
			}
			againstSocket(b, read(open(name)), read(open("socket")))
		})
	}
}
