package harness_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
)

// nopSink takes every event and confirms it at once: the harness's own
// cost of a measurement, with no store behind it.
type nopSink struct{}

// durable is a closed channel: every receive from it is the nil that
// says "durable".
var durable = func() chan error { c := make(chan error); close(c); return c }()

func (nopSink) Emit(harness.Event) <-chan error { return durable }

// workers are n goroutines that each run batches of a call when told, so
// that the harness's DUTs and the bare baseline are driven alike.
type workers struct {
	start []chan int // a batch size per round; closed to end
	wg    sync.WaitGroup
	mu    sync.Mutex
	err   error
}

func newWorkers(n int) *workers {
	w := &workers{start: make([]chan int, n)}
	for i := range w.start {
		w.start[i] = make(chan int)
	}
	return w
}

// serve runs worker i's batches of call until its channel closes. After
// an error it does no more work, but still reports each round done, so
// the round ends and the benchmark sees the error.
func (w *workers) serve(i int, call func() error) {
	failed := false
	for k := range w.start[i] {
		for range k {
			if failed {
				break
			}
			if err := call(); err != nil {
				w.mu.Lock()
				w.err = fmt.Errorf("worker %d: %w", i, err)
				w.mu.Unlock()
				failed = true
			}
		}
		w.wg.Done()
	}
}

// round has every worker run k calls, and returns the time it took and
// the allocations made meanwhile (by anyone: the simulated instruments'
// own are in both the baseline's and the harness's).
func (w *workers) round(b *testing.B, k int) (time.Duration, uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	allocs := ms.Mallocs
	t0 := time.Now()
	w.wg.Add(len(w.start))
	for _, c := range w.start {
		c <- k
	}
	w.wg.Wait()
	took := time.Since(t0)
	runtime.ReadMemStats(&ms)
	w.mu.Lock()
	err := w.err
	w.mu.Unlock()
	if err != nil {
		b.Fatal(err)
	}
	return took, ms.Mallocs - allocs
}

func (w *workers) stop() {
	for _, c := range w.start {
		close(c)
	}
}

// BenchmarkMeasurement is the harness's cost per measurement: n DUTs (1, 8,
// 64) each reading its own simulated DMM and recording the reading with
// Measure against a limit, inside a phase of a real harness.Run whose sink
// confirms every event at once, against the bare read (the same n
// goroutines reading the same meters, nothing recorded). Rounds of the
// two alternate. measure/read is the cost of a measurement as a multiple
// of a bare read's (1 would be free; flat from 1 to 64 DUTs means no
// contention between DUTs); extra-allocs is what the harness allocates
// per measurement beyond the read. measure/ctx-read is the same against
// a read with a cancellable context like the DUT's, interleaved too:
// ctx-read/read is what watching a context costs a session. end-ns/op is the run's end (the phase
// and Run returning its record) spread over the measurements, and
// with-end/read the ratio counting it.
func BenchmarkMeasurement(b *testing.B) {
	for _, n := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("duts-%d", n), func(b *testing.B) {
			benchMeasurement(b, n)
		})
	}
}

func benchMeasurement(b *testing.B, n int) {
	ctx := context.Background()
	bench := sim.NewBench()
	b.Cleanup(bench.Close)
	opt := instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption()), scpi.WithTimeout(10*time.Second))
	dmms := make([]instruments.DMM, n)
	for i := range dmms {
		res := fmt.Sprintf("TCPIP0::10.8.%d.%d::5025::SOCKET", i/200, i%200+1)
		bench.Add(res, sim.MustNew("34461A"))
		inst, err := instruments.Open(ctx, res, opt)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { inst.Close() })
		dmms[i] = inst.(instruments.DMM)
		if err := dmms[i].Configure(ctx, instruments.DCVoltage, 10); err != nil {
			b.Fatal(err)
		}
	}
	limit := harness.Between(-10, 10)

	bare := newWorkers(n)
	for i := range n {
		go bare.serve(i, func() error {
			_, err := dmms[i].Read(ctx)
			return err
		})
	}
	defer bare.stop()
	// The same read with a cancellable context, a child of the run's as a
	// DUT's is: the session's own cost of watching a context (scpi's, not
	// the harness's) is in measure/read, not in measure/ctx-read.
	runCtx, cancelRun := context.WithCancelCause(ctx)
	defer cancelRun(nil)
	bareCtx := newWorkers(n)
	for i := range n {
		dutCtx, cancel := context.WithCancelCause(runCtx)
		defer cancel(nil)
		go bareCtx.serve(i, func() error {
			_, err := dmms[i].Read(dutCtx)
			return err
		})
	}
	defer bareCtx.stop()

	meas := newWorkers(n)
	ran := make(chan error, 1)
	var rec *harness.Record
	go func() {
		var err error
		rec, err = harness.Run(ctx, "measure", func(t *harness.Test) error {
			for i := range n {
				t.DUT(fmt.Sprintf("dut%02d", i), func(d *harness.DUTRun) error {
					return d.Phase("measure", func(ctx context.Context) error {
						meas.serve(i, func() error {
							q, err := dmms[i].Read(ctx)
							if err != nil {
								return err
							}
							return d.Measure("vout", q, limit)
						})
						return nil
					})
				})
			}
			return nil
		}, harness.WithoutSignals(), harness.WithLogger(discard()), harness.WithSink(nopSink{}))
		ran <- err
	}()
	stopped := false
	defer func() {
		if !stopped {
			meas.stop()
			<-ran
		}
	}()

	batch := max(4, 512/n) // calls per worker per round
	var bareTime, ctxTime, measTime time.Duration
	var bareAllocs, measAllocs uint64
	rounds := 0
	for b.Loop() {
		t, a := bare.round(b, batch)
		bareTime, bareAllocs = bareTime+t, bareAllocs+a
		t, _ = bareCtx.round(b, batch)
		ctxTime += t
		t, a = meas.round(b, batch)
		measTime, measAllocs = measTime+t, measAllocs+a
		rounds++
	}
	// The run's end is timed too: the record keeps its measurements
	// compact while the run goes and makes them whole as it ends.
	t0 := time.Now()
	meas.stop()
	stopped = true
	if err := <-ran; err != nil {
		b.Fatal(err)
	}
	endTime := time.Since(t0)
	calls := float64(rounds * batch * n)
	got := 0
	for _, d := range rec.DUTs {
		for _, p := range d.Phases {
			got += len(p.Measurements)
		}
	}
	if float64(got) != calls {
		b.Fatalf("%d measurements recorded, want %.0f", got, calls)
	}
	b.ReportMetric(float64(measTime.Nanoseconds())/calls, "measure-ns/op")
	b.ReportMetric(float64(bareTime.Nanoseconds())/calls, "read-ns/op")
	b.ReportMetric(measTime.Seconds()/bareTime.Seconds(), "measure/read")
	b.ReportMetric(measTime.Seconds()/ctxTime.Seconds(), "measure/ctx-read")
	b.ReportMetric(ctxTime.Seconds()/bareTime.Seconds(), "ctx-read/read")
	b.ReportMetric(float64(endTime.Nanoseconds())/calls, "end-ns/op")
	b.ReportMetric((measTime+endTime).Seconds()/bareTime.Seconds(), "with-end/read")
	b.ReportMetric(float64(measAllocs)/calls, "measure-allocs/op")
	b.ReportMetric((float64(measAllocs)-float64(bareAllocs))/calls, "extra-allocs/op")
}
