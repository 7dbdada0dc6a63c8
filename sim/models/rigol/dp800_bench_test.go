package rigol_test

import (
	"context"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
)

// BenchmarkDP800Query is a query of the DP832 over the in-process link,
// with channel 1 on, reported with its ratio to *IDN? (answered by the
// engine, no model code) measured in the same run: what the DP800 model
// adds to an exchange, the clock's tick included.
func BenchmarkDP800Query(b *testing.B) {
	for _, cmd := range []string{":VOLT?", ":MEAS:VOLT? CH1", ":OUTP? CH1", ":STAT:QUES:INST:ISUM1:COND?"} {
		b.Run(cmd, func(b *testing.B) {
			in := sim.MustNew("DP832")
			defer in.Close()
			s := scpi.NewSession(in.Conn())
			defer s.Close()
			ctx := context.Background()
			if err := s.Write(ctx, ":APPL CH1,5,1;:OUTP CH1,ON"); err != nil {
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
