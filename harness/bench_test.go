package harness_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
)

// BenchmarkFaultToOutputOff measures, with in-process simulated
// instruments, the time from a fault becoming visible to an event
// monitor to the faulted DUT's supply output being off (its isolation's
// safe state done), and reports the median and 99th percentile.
func BenchmarkFaultToOutputOff(b *testing.B) {
	st := newStation(b, 1)
	var latencies []time.Duration
	for b.Loop() {
		latencies = append(latencies, oneFault(b, st.slots[0]))
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Nanoseconds())/1e3, "median-µs")
	b.ReportMetric(float64(latencies[len(latencies)*99/100].Nanoseconds())/1e3, "p99-µs")
}

// oneFault runs a DUT, raises a fault event, and returns the time from
// the event to the output read back off.
func oneFault(b *testing.B, s slot) time.Duration {
	events := make(chan error, 1)
	var visible time.Time
	var took time.Duration
	rec, _ := harness.Run(bg, "latency", func(tt *harness.Test) error {
		tt.DUT("board", func(d *harness.DUTRun) error {
			if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 1*units.Amp); err != nil {
				return err
			}
			tt.Monitor(harness.Monitor{Name: "events", DUT: "board", Events: events, Policy: harness.IsolateDUT})
			visible = time.Now()
			events <- errors.New("overcurrent")
			<-d.Context().Done()
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithLogger(discard()))
	for _, a := range rec.SafeState {
		if a.DUT == "board" {
			took = a.Time.Add(a.Took).Sub(visible)
		}
	}
	if took <= 0 {
		b.Fatalf("no isolation recorded: %+v", rec.SafeState)
	}
	return took
}

// BenchmarkFaultToOutputOffStuckDUT is the same measurement with a DUT
// goroutine that ignores its context (blocked on a channel, as in a cgo
// call). Isolated, its output goes off as fast as a cooperative DUT's: the
// isolation never waits for the DUT. Stopped with the whole run, the safe
// state waits ReturnGrace for it, then runs regardless: the latency is
// that grace plus the output-off, whatever the DUT does.
func BenchmarkFaultToOutputOffStuckDUT(b *testing.B) {
	for _, tc := range []struct {
		name   string
		policy harness.Policy
	}{{"isolate", harness.IsolateDUT}, {"stop-all", harness.StopAll}} {
		b.Run(tc.name, func(b *testing.B) {
			st := newStation(b, 1)
			s := st.slots[0]
			const grace = 20 * time.Millisecond
			var latencies []time.Duration
			for b.Loop() {
				events := make(chan error, 1)
				release := make(chan struct{})
				returned := make(chan struct{})
				var visible time.Time
				rec, _ := harness.Run(bg, "stuck", func(tt *harness.Test) error {
					tt.DUT("board", func(d *harness.DUTRun) error {
						defer close(returned)
						// Registered first, so it runs after the output is off:
						// only then is the DUT let go (an isolated DUT that never
						// returned would keep the run going).
						d.OnSafeState("let the DUT go", func(context.Context) error { close(release); return nil })
						if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 1*units.Amp); err != nil {
							return err
						}
						tt.Monitor(harness.Monitor{Name: "events", DUT: "board", Events: events, Policy: tc.policy})
						visible = time.Now()
						events <- errors.New("overcurrent")
						<-release // ignores its context
						return nil
					})
					return nil
				}, harness.WithoutSignals(), harness.WithLogger(discard()),
					// The DUT is let go by the last action: it returns well
					// within AbandonAfter, so the fences lift for the next run.
					harness.WithReturnGrace(grace), harness.WithAbandonAfter(time.Second))
				<-returned
				if visible.IsZero() {
					b.Fatalf("the DUT never raised its fault: %+v", rec.DUTs[0])
				}
				var took time.Duration
				for _, a := range rec.SafeState {
					if a.DUT == "board" {
						took = a.Time.Add(a.Took).Sub(visible)
					}
				}
				if took <= 0 {
					b.Fatalf("no output-off recorded: %+v", rec.SafeState)
				}
				latencies = append(latencies, took)
			}
			slices.Sort(latencies)
			b.ReportMetric(float64(latencies[len(latencies)/2].Nanoseconds())/1e3, "median-µs")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Nanoseconds())/1e3, "p99-µs")
			b.ReportMetric(float64(grace.Microseconds()), "grace-µs")
		})
	}
}
