package station_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/station"
	"github.com/scpikit/scpikit/units"
)

// pageLoad is what one run of BenchmarkPageAttached achieved.
type pageLoad struct {
	samples float64       // monitor samples committed per second
	p50     time.Duration // a measurement's call, to its commit
	p99     time.Duration
	seen    int64         // events the page's stream delivered
	lag     time.Duration // from the run's end to the page seeing it
}

// loadRun runs 64 DUTs, each with a 1 kHz monitor sample series and a
// measurement every 10 ms, for d; with page, the station server runs and
// a client reads its event stream as fast as it can, as a browser would.
func loadRun(b *testing.B, d time.Duration, page bool) pageLoad {
	const duts = 64
	store, err := results.Open(filepath.Join(b.TempDir(), "station.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	var seen atomic.Int64
	ended := make(chan time.Time, 1)
	var wg sync.WaitGroup
	ctx, cancel := context.WithCancel(context.Background())
	defer func() {
		cancel()
		wg.Wait()
	}()
	if page {
		srv, err := station.Serve(ctx, store, "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer srv.Wait()
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL()+"events?after=0/0", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			defer resp.Body.Close()
			lines := bufio.NewScanner(resp.Body)
			lines.Buffer(make([]byte, 1<<20), 1<<20)
			for lines.Scan() {
				line := lines.Text()
				if strings.HasPrefix(line, "id: ") {
					seen.Add(1)
				}
				if line == "event: run.ended" {
					ended <- time.Now()
					return
				}
			}
		}()
	}
	var sampled atomic.Int64
	var latMu sync.Mutex
	var lat []time.Duration
	start := time.Now()
	rec, err := harness.Run(context.Background(), "page load", func(t *harness.Test) error {
		deadline := time.Now().Add(d)
		for i := range duts {
			name := fmt.Sprintf("dut-%02d", i)
			t.DUT(name, func(dr *harness.DUTRun) error {
				samples := t.Sampler(name, "current", harness.Between(0, 2))
				t.Monitor(harness.Monitor{Name: "current", DUT: name, Interval: time.Millisecond, Policy: harness.IsolateDUT,
					Check: func(ctx context.Context) error {
						sampled.Add(1)
						return samples.Add(ctx, units.Value(1, "A"))
					}})
				for time.Now().Before(deadline) && !dr.Stopping() {
					t0 := time.Now()
					if err := dr.Measure("voltage", 5*units.Volt, harness.Between(4.9, 5.1)); err != nil {
						return err
					}
					took := time.Since(t0)
					latMu.Lock()
					lat = append(lat, took)
					latMu.Unlock()
					select {
					case <-time.After(10 * time.Millisecond):
					case <-dr.Context().Done():
					}
				}
				return nil
			})
		}
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store))
	took := time.Since(start)
	runEnd := time.Now()
	if err != nil || rec.Outcome != harness.OutcomePass {
		b.Fatalf("run: %v, %v", rec.Outcome, err)
	}
	out := pageLoad{samples: float64(sampled.Load()) / took.Seconds()}
	slices.Sort(lat)
	out.p50, out.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	if page {
		select {
		case at := <-ended:
			out.lag = max(0, at.Sub(runEnd))
		case <-time.After(5 * time.Minute):
			b.Fatal("the page never saw the run end")
		}
		out.seen = seen.Load()
	}
	return out
}

// BenchmarkPageAttached: the page never slows the run. 64 DUTs with a
// 1 kHz monitor each and a measurement every 10 ms, run for 2 s
// (SCPIKIT_PAGE_SECONDS) without the page, then with the station server
// and a client reading every event of its stream, interleaved, b.N
// pairs. It reports the ratios (with / without) of samples committed per
// second and of the measurements' p50 and p99 latency, the events the
// page received per second, and how long after the run's end the page
// had it all.
//
//	go test -run '^$' -bench BenchmarkPageAttached -benchtime 3x ./station
func BenchmarkPageAttached(b *testing.B) {
	d := 2 * time.Second
	if s := os.Getenv("SCPIKIT_PAGE_SECONDS"); s != "" {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			b.Fatal(err)
		}
		d = time.Duration(f * float64(time.Second))
	}
	var without, with []pageLoad
	for range b.N {
		without = append(without, loadRun(b, d, false))
		with = append(with, loadRun(b, d, true))
	}
	med := func(v []pageLoad, f func(pageLoad) float64) float64 {
		x := make([]float64, len(v))
		for i, p := range v {
			x[i] = f(p)
		}
		slices.Sort(x)
		return x[len(x)/2]
	}
	samples := func(p pageLoad) float64 { return p.samples }
	p50 := func(p pageLoad) float64 { return float64(p.p50) }
	p99 := func(p pageLoad) float64 { return float64(p.p99) }
	b.ReportMetric(med(without, samples), "samples/s-alone")
	b.ReportMetric(med(with, samples)/med(without, samples), "samples/s-page/alone")
	b.ReportMetric(med(without, p50)/1e6, "measure-p50-ms-alone")
	b.ReportMetric(med(with, p50)/med(without, p50), "measure-p50-page/alone")
	b.ReportMetric(med(with, p99)/med(without, p99), "measure-p99-page/alone")
	b.ReportMetric(med(with, func(p pageLoad) float64 { return float64(p.seen) })/d.Seconds(), "page-events/s")
	b.ReportMetric(med(with, func(p pageLoad) float64 { return float64(p.lag) })/1e6, "page-lag-ms")
}
