package results

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/internal/pgtest"
)

// BenchmarkIngest is the ingest speed into PostgreSQL: each iteration
// replicates every station's whole store (runs of 8 DUTs x 10
// measurements, 90 events a run) into emptied central tables, 1 station
// alone or 10 at once. events/s counts all stations' events.
func BenchmarkIngest(b *testing.B) {
	for _, stations := range []int{1, 10} {
		b.Run(fmt.Sprintf("stations=%d", stations), func(b *testing.B) {
			url := pgtest.New(b)
			ctx := context.Background()
			c, err := OpenCentral(ctx, url)
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			stores := make([]*Store, stations)
			var events int
			for i := range stores {
				if stores[i], err = Open(filepath.Join(b.TempDir(), "station.db")); err != nil {
					b.Fatal(err)
				}
				defer stores[i].Close()
				for r := range 40 {
					emitRun(b, stores[i], r, 8, 10)
				}
				events += int(stores[i].Stats().Events)
			}
			b.ResetTimer()
			var elapsed time.Duration
			for range b.N {
				b.StopTimer()
				if _, err := c.db.ExecContext(ctx, `TRUNCATE events, runs, units, measurements, stations`); err != nil {
					b.Fatal(err)
				}
				for _, s := range stores {
					if _, err := s.db.ExecContext(ctx, `DELETE FROM outbox_state`); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for i, s := range stores {
					wg.Add(1)
					go func() {
						defer wg.Done()
						st, err := s.NewReplicator(c, ReplicaOptions{Station: fmt.Sprint("st", i)}).Sync(ctx)
						if err != nil || st.Inserted != int(s.Stats().Events) {
							b.Errorf("sync: %+v, %v", st, err)
						}
					}()
				}
				wg.Wait()
				elapsed += time.Since(start)
			}
			b.ReportMetric(float64(events*b.N)/elapsed.Seconds(), "events/s")
		})
	}
}

// BenchmarkCommitLatencyWhileReplicating is a station's commit latency
// (a measurement's Emit to its acknowledgement, one at a time as a test
// makes them) on a store replicating continuously to PostgreSQL, as a
// ratio to a store beside it that does not, interleaved run by run.
// ratio near 1: replication does not slow the station.
func BenchmarkCommitLatencyWhileReplicating(b *testing.B) {
	url := pgtest.New(b)
	dir := b.TempDir()
	plain, err := Open(filepath.Join(dir, "plain.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	repl, err := Open(filepath.Join(dir, "replicated.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer repl.Close()
	repl.ReplicateTo(url, ReplicaOptions{Station: "bench"})

	run := func(s *Store, i int) time.Duration {
		now := time.Now()
		id := harness.NewRunID(now)
		var total time.Duration
		emit := func(seq uint64, e harness.Event) {
			e.Run, e.Seq, e.Time = id, seq, time.Now()
			t0 := time.Now()
			if err := <-s.Emit(e); err != nil {
				b.Fatal(err)
			}
			if e.Kind == harness.EventMeasurement {
				total += time.Since(t0)
			}
		}
		emit(1, harness.Event{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "bench"}})
		lo, hi := 4.9, 5.1
		for m := range 20 {
			emit(uint64(2+m), harness.Event{Kind: harness.EventMeasurement, DUT: "a", Measurement: &harness.Measurement{
				Name: "vout", Value: 5, Unit: "V", Outcome: harness.OutcomePass,
				Limit: harness.LimitSpec{Comparator: harness.CompareBetween, Low: &lo, High: &hi}}})
		}
		emit(22, harness.Event{Kind: harness.EventRunEnded, End: &harness.RunEnd{Outcome: harness.OutcomePass,
			DUTs: []harness.DUTVerdict{{Name: "a", Outcome: harness.OutcomePass}}}})
		return total / 20
	}
	var base, with time.Duration
	b.ResetTimer()
	for i := range b.N {
		if i%2 == 0 {
			base += run(plain, i)
			with += run(repl, i)
		} else {
			with += run(repl, i)
			base += run(plain, i)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(base.Microseconds())/float64(b.N), "µs/commit-alone")
	b.ReportMetric(float64(with.Microseconds())/float64(b.N), "µs/commit-replicating")
	b.ReportMetric(float64(with)/float64(base), "ratio")
}
