package sim_test

import (
	"context"
	"testing"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// BenchmarkModelQuery is a query of the richer models over the
// in-process link: what their larger command trees cost per exchange.
func BenchmarkModelQuery(b *testing.B) {
	for _, q := range []struct{ model, cmd string }{
		{"DP832", ":SOUR1:VOLT?"}, {"DP832", ":MEAS:VOLT? CH1"}, {"DP832", ":OUTP:OVP:VAL? CH2"},
		{"34465A", "SAMP:COUN?"}, {"34465A", "READ?"},
		{"E36312A", "VOLT? (@1)"}, {"E36312A", "MEAS:VOLT? (@1:3)"},
	} {
		b.Run(q.model+" "+q.cmd, func(b *testing.B) {
			s := scpi.NewSession(sim.MustNew(q.model).Conn())
			defer s.Close()
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Query(ctx, q.cmd); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
