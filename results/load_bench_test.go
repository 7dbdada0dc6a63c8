package results_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
)

// BenchmarkStationLoad is the station store under a production line's
// load: 64 DUTs, each on a simulated DP832 of its own, measuring as fast
// as the in-process simulator answers, and 8 of them watched by a 1 kHz
// current monitor, for 30 s (SCPIKIT_LOAD_SECONDS to change it). It
// reports the commit latency of measurements (from the call to its
// commit, p50 and p99), measurements and samples per second, and the
// most events ever waiting for the writer, which must stay under the
// bound the design gives it (one measurement per DUT, SampleWindow
// samples per monitor). Baseline, measured in the same run and
// interleaved with it: a 4 KiB write and fsync of a file beside the
// store; commit-p50/fsync-p50 is their ratio.
//
//	go test -run '^$' -bench BenchmarkStationLoad -benchtime 1x ./results
func BenchmarkStationLoad(b *testing.B) {
	seconds := 30.0
	if s := os.Getenv("SCPIKIT_LOAD_SECONDS"); s != "" {
		var err error
		if seconds, err = strconv.ParseFloat(s, 64); err != nil {
			b.Fatal(err)
		}
	}
	const duts, monitored = 64, 8
	for range b.N {
		dir := b.TempDir()
		store := openStore(b, filepath.Join(dir, "station.db"))
		bench := sim.NewBench()
		opt := instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption()), scpi.WithTimeout(5*time.Second))
		var psus []instruments.PowerSupply
		for i := range duts {
			res := fmt.Sprintf("TCPIP0::10.8.%d.%d::5555::SOCKET", i/200, i%200+1)
			bench.Add(res, sim.MustNew("DP832"))
			inst, err := instruments.Open(context.Background(), res, opt)
			if err != nil {
				b.Fatal(err)
			}
			psus = append(psus, inst.(instruments.PowerSupply))
		}
		var measured, sampled atomic.Int64
		var baseline []time.Duration
		stopBaseline := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // the baseline, interleaved with the load
			defer wg.Done()
			f, err := os.Create(filepath.Join(dir, "fsync-baseline"))
			if err != nil {
				b.Error(err)
				return
			}
			defer f.Close()
			page := make([]byte, 4096)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-stopBaseline:
					return
				case <-tick.C:
				}
				start := time.Now()
				if _, err := f.WriteAt(page, 0); err != nil {
					b.Error(err)
					return
				}
				if err := f.Sync(); err != nil {
					b.Error(err)
					return
				}
				baseline = append(baseline, time.Since(start))
			}
		}()
		b.ResetTimer()
		start := time.Now()
		rec, err := harness.Run(context.Background(), "load", func(t *harness.Test) error {
			for _, psu := range psus {
				t.SupplySafeState(psu)
			}
			deadline := time.Now().Add(time.Duration(seconds * float64(time.Second)))
			for i, psu := range psus {
				name := fmt.Sprintf("dut-%02d", i)
				t.DUT(name, func(d *harness.DUTRun) error {
					if err := d.PowerOn(d.Context(), psu, 1, 5*units.Volt, units.Amp); err != nil {
						return err
					}
					if i < monitored {
						samples := t.Sampler(name, "supply current", harness.None())
						t.Monitor(harness.Monitor{Name: "current", DUT: name, Interval: time.Millisecond, Policy: harness.IsolateDUT,
							Check: func(ctx context.Context) error {
								c, err := psu.MeasureCurrent(ctx, 1)
								if err != nil {
									return err
								}
								sampled.Add(1)
								return samples.Add(ctx, c)
							}})
					}
					for time.Now().Before(deadline) && !d.Stopping() {
						v, err := psu.MeasureVoltage(d.Context(), 1)
						if err != nil {
							return err
						}
						if err := d.Measure("voltage", v, harness.Between(4.9, 5.1)); err != nil {
							return err
						}
						measured.Add(1)
					}
					return nil
				})
			}
			return nil
		}, harness.WithoutSignals(), harness.WithSink(store))
		took := time.Since(start)
		b.StopTimer()
		close(stopBaseline)
		wg.Wait()
		if err != nil || rec.Outcome != harness.OutcomePass {
			b.Fatalf("run: %v, %v", rec.Outcome, err)
		}
		stats := store.Stats()
		lat := store.Latencies()
		for _, p := range psus {
			p.Close()
		}
		bench.Close()
		store.Close()
		slices.Sort(lat)
		slices.Sort(baseline)
		if len(lat) == 0 || len(baseline) == 0 {
			b.Fatal("nothing measured")
		}
		pct := func(d []time.Duration, p float64) time.Duration { return d[min(len(d)-1, int(p*float64(len(d))))] }
		bound := duts + monitored*(harness.SampleWindow+1) + 4*duts // plus each DUT's few other events
		if stats.MaxQueue > bound {
			b.Fatalf("the writer's queue reached %d events, over its bound of %d", stats.MaxQueue, bound)
		}
		b.ReportMetric(float64(pct(lat, 0.5).Microseconds())/1000, "commit-p50-ms")
		b.ReportMetric(float64(pct(lat, 0.99).Microseconds())/1000, "commit-p99-ms")
		b.ReportMetric(float64(measured.Load())/took.Seconds(), "measurements/s")
		b.ReportMetric(float64(sampled.Load())/took.Seconds(), "samples/s")
		b.ReportMetric(float64(stats.Events)/float64(stats.Commits), "events/commit")
		b.ReportMetric(float64(stats.MaxQueue), "max-queue")
		b.ReportMetric(float64(pct(lat, 0.5))/float64(pct(baseline, 0.5)), "commit-p50/fsync-p50")
		b.ReportMetric(float64(pct(lat, 0.99))/float64(pct(baseline, 0.5)), "commit-p99/fsync-p50")
	}
}
