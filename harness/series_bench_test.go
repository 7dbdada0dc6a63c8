package harness_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
)

// What a monitor sample costs the record, b.N samples of one series:
// folded by a Replayer (what a store rebuilding a record does) and taken
// through a Sampler in a live run (no sink: the fold alone). kept-B/sample
// is the heap the record holds at the end, per sample.
func BenchmarkSeriesSamples(b *testing.B) {
	b.Run("replay", func(b *testing.B) {
		start := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
		var rp harness.Replayer
		rp.Add(&harness.Event{Run: "r", Seq: 1, Time: start, Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "r"}})
		e := harness.Event{Run: "r", Seq: 1, Time: start, Kind: harness.EventSample, DUT: "a", Sample: &harness.Sample{Name: "current", Unit: "A"}}
		before := heap()
		b.ResetTimer()
		for i := range b.N {
			e.Seq++
			e.Time = e.Time.Add(100 * time.Millisecond)
			e.Sample.Value = 1 + 0.001*float64(i%97)
			rp.Add(&e)
		}
		rec := rp.Record()
		b.StopTimer()
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/sample")
		b.ReportMetric(float64(heap()-before)/float64(b.N), "kept-B/sample")
		runtime.KeepAlive(rec)
	})
	b.Run("live", func(b *testing.B) {
		before := heap()
		var took time.Duration
		rec, err := harness.Run(bg, "samples", func(tt *harness.Test) error {
			tt.DUT("a", func(d *harness.DUTRun) error {
				s := tt.Sampler("a", "current", harness.Between(0.9, 1.1))
				start := time.Now()
				for i := range b.N {
					if err := s.Add(d.Context(), units.Current(1+0.001*float64(i%97))); err != nil {
						return err
					}
				}
				took = time.Since(start)
				return nil
			})
			return nil
		}, harness.WithoutSignals())
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(took.Nanoseconds())/float64(b.N), "ns/sample")
		b.ReportMetric(float64(heap()-before)/float64(b.N), "kept-B/sample")
		runtime.KeepAlive(rec)
	})
}

// heap is the live heap, after a collection.
func heap() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
