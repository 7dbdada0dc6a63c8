package harness_test

import (
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
