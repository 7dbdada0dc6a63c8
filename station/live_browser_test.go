package station_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/station"
	"github.com/scpikit/scpikit/units"
)

// The acceptance tests of the page: the real station server over a real
// store, a real harness run on the simulator, chromium as the operator.

// liveRun is a harness run in the background, writing to the store and
// taking its prompts and stops from it, as with station serve.
type liveRun struct {
	done chan struct{}
	rec  *harness.Record
	err  error
}

func startRun(store *results.Store, name string, body func(t *harness.Test) error) *liveRun {
	r := &liveRun{done: make(chan struct{})}
	go func() {
		defer close(r.done)
		r.rec, r.err = harness.Run(context.Background(), name, body, harness.WithoutSignals(),
			harness.WithSink(store), harness.WithControl(store), harness.WithGracePeriod(5*time.Second))
	}()
	return r
}

// wait waits for the run to end, failing the test after a minute.
func (r *liveRun) wait(t testing.TB) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(time.Minute):
		t.Fatal("the run did not end within a minute")
	}
}

// livePage serves store on a free port and opens the page in chromium.
func livePage(t testing.TB, store *results.Store) (context.Context, *station.Server) {
	t.Helper()
	ctx := browser(t)
	srv, _ := serve(t, store)
	within(t, ctx, "opening the page", chromedp.Navigate(srv.URL()), chromedp.WaitVisible(chromedp.CSS(`#conn.live`)))
	return ctx, srv
}

// A measurement reaches the page within 500 ms of its event: the time
// from the harness's event (Event.Time, before the store commits it) to
// the page's DOM (the time the page drew the row), for ten measurements
// one after the other. The median is held to 500 ms: a page that waited
// (polled, batched, redrew on a timer) would miss it by far, while a
// single slow delivery on a loaded 2-core machine is the scheduler's, not
// the page's: BenchmarkMeasurementToPage reports the whole distribution.
func TestLiveMeasurementReachesPageWithin500ms(t *testing.T) {
	if testing.Short() {
		t.Skip("a timing acceptance test: not with -short")
	}
	latencies := measurementsToPage(t, 10)
	t.Logf("event to DOM, ms: min %.1f, median %.1f, max %.1f", latencies[0], latencies[len(latencies)/2], latencies[len(latencies)-1])
	if latencies[0] < 0 {
		t.Errorf("a measurement was drawn before its event: %v", latencies)
	}
	if med := latencies[len(latencies)/2]; med > 500 {
		t.Errorf("measurements reached the page %.1f ms after their event (median), want within 500 ms (all: %v)", med, latencies)
	}
}

// BenchmarkMeasurementToPage: 50 measurements, one after the other, from
// the harness's event to the page's DOM, through the real store, server
// and chromium: p50, p99 and max in ms.
func BenchmarkMeasurementToPage(b *testing.B) {
	var all []float64
	for range b.N {
		all = append(all, measurementsToPage(b, 50)...)
	}
	slices.Sort(all)
	b.ReportMetric(all[len(all)/2], "p50-ms")
	b.ReportMetric(all[len(all)*99/100], "p99-ms")
	b.ReportMetric(all[len(all)-1], "max-ms")
	b.ReportMetric(0, "ns/op")
}

// measurementsToPage opens the page on a new store and takes n
// measurements one after the other, each once the page drew the one
// before; it returns, sorted, the ms from each event to the page's DOM.
func measurementsToPage(t testing.TB, n int) []float64 {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	ctx, _ := livePage(t, store)
	next := make(chan int)
	run := startRun(store, "latency", func(tt *harness.Test) error {
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			return d.Phase("measure", func(ctx context.Context) error {
				for i := range next {
					if err := d.Measure(fmt.Sprintf("m%d", i), units.Volt*units.Voltage(5+0.01*float64(i)), harness.Between(4.5, 5.5)); err != nil {
						return err
					}
				}
				return nil
			})
		})
		return nil
	})
	var latencies []float64
	for i := range n {
		next <- i
		sel := fmt.Sprintf(`.slot[data-dut="dut-1"] tr[data-name="m%d"]`, i)
		within(t, ctx, "measurement "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
		ms := eval[float64](t, ctx, fmt.Sprintf(`(() => { const r = document.querySelector(%q); return r.dataset.drawnMs - r.dataset.eventMs; })()`, sel))
		latencies = append(latencies, ms)
	}
	close(next)
	run.wait(t)
	if run.err != nil {
		t.Fatalf("the run: %v", run.err)
	}
	slices.Sort(latencies)
	return latencies
}

// A prompt answered in the browser lets the phase go on, and the answer
// is in the record.
func TestLivePromptAnsweredInBrowser(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	ctx, _ := livePage(t, store)
	led := ledPNG(t)
	run := startRun(store, "inspection", func(tt *harness.Test) error {
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			return d.Phase("inspect", func(ctx context.Context) error {
				answer, err := d.Prompt(ctx, harness.Prompt{Text: "Is the LED green?", Input: harness.InputConfirm, Image: led, ImageType: "image/png"})
				if err != nil {
					return err
				}
				ok := 0.0
				if answer == "yes" {
					ok = 1
				}
				return d.Measure("led_green", units.Value(ok, ""), harness.Between(1, 1))
			})
		})
		return nil
	})
	within(t, ctx, "answering the prompt on the page",
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .prompt img`)),
		chromedp.Click(chromedp.CSS(`.slot[data-dut="dut-1"] .prompt button.yes`)),
		// The phase went on: its measurement, then the verdict.
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] tr[data-name="led_green"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .verdict.pass`)),
		chromedp.WaitNotPresent(chromedp.CSS(`.slot[data-dut="dut-1"] .prompt button`)),
	)
	run.wait(t)
	if run.err != nil {
		t.Fatalf("the run: %v", run.err)
	}
	stored, err := store.Record(context.Background(), run.rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored.Prompts) != 1 || stored.Prompts[0].Answer != "yes" || stored.Prompts[0].By != "page" {
		t.Fatalf("the record's prompts: %+v, want one answered yes on the page", stored.Prompts)
	}
	if got := stored.DUTs[0].Outcome; got != harness.OutcomePass {
		t.Errorf("the DUT's outcome %v, want pass", got)
	}
}

// A barcode scanner (keys, then Enter, into whatever has the focus)
// starts a run whose first phase waits for the unit's serial.
func TestLiveScannerStartsRun(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	ctx, _ := livePage(t, store)
	run := startRun(store, "final test", func(tt *harness.Test) error {
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			if err := d.Phase("identify", func(ctx context.Context) error {
				_, err := d.Prompt(ctx, harness.Prompt{Text: "Scan the unit's serial", Input: harness.InputSerial})
				return err
			}); err != nil {
				return err
			}
			return d.Phase("measure", func(ctx context.Context) error {
				return d.Measure("vout", 5*units.Volt, harness.Between(4.9, 5.1))
			})
		})
		return nil
	})
	within(t, ctx, "scanning the serial",
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .prompt input`)),
		chromedp.Poll[chromedp.Void](`document.activeElement === document.querySelector('.slot[data-dut="dut-1"] .prompt input')`),
		chromedp.KeyEvent("SN-7781\r"),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .verdict.pass`)),
	)
	run.wait(t)
	if run.err != nil {
		t.Fatalf("the run: %v", run.err)
	}
	if got := eval[string](t, ctx, `document.querySelector('.slot[data-dut="dut-1"] .serial').textContent`); got != "SN SN-7781" {
		t.Errorf("the slot shows %q", got)
	}
	stored, err := store.Record(context.Background(), run.rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := stored.DUTs[0].Unit.Serial; got != "SN-7781" {
		t.Errorf("the record's unit serial %q, want SN-7781", got)
	}
	var phases []string
	for _, p := range stored.DUTs[0].Phases {
		phases = append(phases, p.Name+":"+p.Outcome.String())
	}
	if diff := cmp.Diff([]string{"identify:pass", "measure:pass"}, phases); diff != "" {
		t.Errorf("phases (-want +got):\n%s", diff)
	}
}

// The stop buttons stop the run the way Ctrl-C does (graceful) or a
// second Ctrl-C (immediate, after a confirming click): the safe state
// runs, the outputs read back off, and the page says it is verified.
func TestLiveStopButtonLeadsToVerifiedSafeState(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(fmt.Sprintf("immediate=%v", immediate), func(t *testing.T) {
			store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
			defer store.Close()
			ctx, _ := livePage(t, store)
			psu := simSupply(t)
			run := startRun(store, "soak", func(tt *harness.Test) error {
				tt.SupplySafeState(psu)
				tt.DUT("dut-1", func(d *harness.DUTRun) error {
					if err := d.PowerOn(d.Context(), psu, 1, 5*units.Volt, 500*units.Milliamp); err != nil {
						return err
					}
					tt.Monitor(harness.Monitor{Name: "supply current", DUT: "dut-1", Interval: 20 * time.Millisecond,
						Check: tt.WatchCurrent("dut-1", psu, 1, harness.Between(0, 0.4)), Policy: harness.IsolateDUT})
					return d.Phase("soak", func(ctx context.Context) error {
						select {
						case <-tt.Stopping():
						case <-ctx.Done():
						}
						return nil
					})
				})
				return nil
			})
			steps := []chromedp.Action[chromedp.Void]{
				// The monitor's samples are on the chart.
				chromedp.Poll[chromedp.Void](`Number(document.querySelector('.slot[data-dut="dut-1"] canvas')?.dataset.samples) >= 3`),
				chromedp.WaitEnabled(chromedp.CSS(`#stop-graceful`)),
			}
			if immediate {
				steps = append(steps, chromedp.Click(chromedp.CSS(`#stop-immediate`)), chromedp.WaitVisible(chromedp.CSS(`#stop-immediate.armed`)),
					chromedp.Click(chromedp.CSS(`#stop-immediate`)))
			} else {
				steps = append(steps, chromedp.Click(chromedp.CSS(`#stop-graceful`)))
			}
			steps = append(steps, chromedp.WaitVisible(chromedp.CSS(`.banner.safe-ok`)), chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .verdict.aborted`)))
			within(t, ctx, "stopping the run on the page", steps...)
			run.wait(t)
			var stopped *harness.StopRequestError
			if !errors.As(run.err, &stopped) || stopped.By != "page" || stopped.Immediate != immediate {
				t.Fatalf("the run's error: %v, want a stop requested on the page (immediate=%v)", run.err, immediate)
			}
			rec := run.rec
			if len(rec.SafeState) == 0 {
				t.Fatal("no safe state ran")
			}
			for _, a := range rec.SafeState {
				if !a.Verified {
					t.Errorf("safe state not verified: %+v", a)
				}
			}
			if on, err := psu.Output(context.Background(), 1); err != nil || on {
				t.Errorf("output 1 on=%v (%v) after the stop", on, err)
			}
			banner := eval[string](t, ctx, `document.querySelector('.banner.safe-ok').textContent`)
			if !strings.HasPrefix(banner, "✓ Safe state verified") {
				t.Errorf("the banner says %q", banner)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('.banner.safe-bad').length`); n != 0 {
				t.Errorf("%d NOT verified banners", n)
			}
		})
	}
}

// After the server restarts mid-run the page resumes where it was: it
// applies every event of the run exactly once, in order, and draws
// nothing twice.
func TestLivePageResumesAfterServerRestart(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	ctx := browser(t)
	srvCtx, stopSrv := context.WithCancel(context.Background())
	srv, err := station.Serve(srvCtx, store, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.Addr().String()
	within(t, ctx, "opening the page", chromedp.Navigate(srv.URL()), chromedp.WaitVisible(chromedp.CSS(`#conn.live`)))

	// The run measures and samples in three stages; the test stops the
	// server after the first and starts it again after the second.
	stage := make(chan int)
	paused := make(chan int)
	run := startRun(store, "restart", func(tt *harness.Test) error {
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			return d.Phase("soak", func(ctx context.Context) error {
				vout := tt.Sampler("dut-1", "vout", harness.Between(4.9, 5.1))
				for s := range stage {
					for i := range 30 {
						if err := vout.Add(ctx, units.Volt*units.Voltage(5+0.001*float64(i))); err != nil {
							return err
						}
						if i%3 == 0 {
							if err := d.Measure(fmt.Sprintf("s%d-m%02d", s, i), units.Volt*5, harness.Between(4.9, 5.1)); err != nil {
								return err
							}
						}
					}
					paused <- s
				}
				return nil
			})
		})
		return nil
	})
	stage <- 1
	<-paused
	within(t, ctx, "the first stage on the page", chromedp.WaitVisible(chromedp.CSS(`tr[data-name="s1-m27"]`)))
	stopSrv()
	if err := srv.Wait(); err != nil {
		t.Fatalf("stopping the server: %v", err)
	}
	within(t, ctx, "the page sees the server gone", chromedp.WaitVisible(chromedp.CSS(`#conn.down`)))
	stage <- 2 // while the server is down
	<-paused
	srvCtx2, stopSrv2 := context.WithCancel(context.Background())
	srv2, err := station.Serve(srvCtx2, store, addr)
	if err != nil {
		t.Fatalf("serving again on %s: %v", addr, err)
	}
	defer func() {
		stopSrv2()
		srv2.Wait()
	}()
	stage <- 3
	<-paused
	close(stage)
	run.wait(t)
	if run.err != nil {
		t.Fatalf("the run: %v", run.err)
	}
	within(t, ctx, "the page resumes and sees the run end",
		chromedp.WaitVisible(chromedp.CSS(`#conn.live`)),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .verdict.pass`)))
	events, err := store.Events(context.Background(), run.rec.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	st := readStats(t, ctx)
	got := st.PerRun[run.rec.ID]
	if got.Applied != len(events) || got.First != 1 || got.Last != uint64(len(events)) || st.Gaps != 0 || st.Duplicates != 0 {
		t.Errorf("the page applied %+v (gaps %d, duplicates %d), want each of the run's %d events once", got, st.Gaps, st.Duplicates, len(events))
	}
	if st.Reconnects == 0 {
		t.Error("the page never reconnected: the test did not restart the server under it")
	}
	// The chart redraws at most every 100 ms: it comes to all 90 samples.
	within(t, ctx, "the chart of the 90 samples",
		chromedp.Poll[chromedp.Void](`document.querySelector('.slot[data-dut="dut-1"] canvas')?.dataset.samples === '90'`))
	t.Logf("the page applied %d events, reconnected %d times", got.Applied, st.Reconnects)
}

// The page of a run of 8 DUTs on the simulator, at 1366x768: the
// pictures of docs/station-page.md. Each board takes 12 V from a supply
// output; dut-3's is set to 11.5 V, so it fails its input-voltage limit; dut-6's board is told to draw too much,
// so its current monitor faults it; dut-7 asks whether its LED is green.
// When the test has its pictures, the operator answers, the run ends
// with a verdict per slot and the safe state verified.
func TestLiveEightSlots(t *testing.T) {
	if testing.Short() {
		t.Skip("eight simulated DUTs: not with -short")
	}
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	ctx, _ := livePage(t, store)

	bench := sim.NewBench()
	t.Cleanup(bench.Close)
	opt := instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption()), scpi.WithTimeout(time.Second))
	type supply struct {
		res, model string
		sim        *sim.Instrument
		psu        instruments.PowerSupply
	}
	supplies := []*supply{{res: "TCPIP0::10.9.0.1::5555::SOCKET", model: "DP832"}, {res: "TCPIP0::10.9.0.2::5555::SOCKET", model: "DP832"},
		{res: "TCPIP0::10.9.0.3::5555::SOCKET", model: "DP832"}, {res: "TCPIP0::10.9.0.4::5025::SOCKET", model: "E36312A"}}
	for _, s := range supplies {
		s.sim = sim.MustNew(s.model)
		bench.Add(s.res, s.sim)
		inst, err := instruments.Open(context.Background(), s.res, opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { inst.Close() })
		s.psu = inst.(instruments.PowerSupply)
	}
	type slot struct {
		s       *supply
		ch      int
		board   *sim.Instrument
		console string
	}
	var slots []slot
	for i, o := range []struct{ s, ch int }{{0, 1}, {0, 2}, {1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 2}, {3, 3}} {
		board := sim.MustNew("DUT")
		console := fmt.Sprintf("ASRL/dev/ttyDUT%d::INSTR", i+1)
		bench.Add(console, board)
		if err := bench.Wire(supplies[o.s].sim, o.ch, board); err != nil {
			t.Fatal(err)
		}
		slots = append(slots, slot{supplies[o.s], o.ch, board, console})
	}

	done := make(chan struct{}) // the pictures are taken: the soak ends
	info := harness.RunInfo{Station: "line-3", Operator: "ana", Batch: "WO-1187", Config: map[string]string{}}
	for i, s := range supplies {
		info.Config[fmt.Sprintf("instrument.psu-%c", 'a'+i)] = s.res
	}
	led := ledPNG(t)
	run := &liveRun{done: make(chan struct{})}
	go func() {
		defer close(run.done)
		run.rec, run.err = harness.Run(context.Background(), "PSU burn-in", func(tt *harness.Test) error {
			for _, s := range supplies {
				tt.SupplySafeState(s.psu)
			}
			for i, sl := range slots {
				dut := fmt.Sprintf("dut-%d", i+1)
				tt.DUT(dut, func(d *harness.DUTRun) error {
					v := 12 * units.Volt // the boards' nominal input
					if dut == "dut-3" {
						v = 11.5 * units.Volt
					}
					if err := d.PowerOn(d.Context(), sl.s.psu, sl.ch, v, 1*units.Amp); err != nil {
						return err
					}
					tt.Monitor(harness.Monitor{Name: "supply current", DUT: dut, Interval: 50 * time.Millisecond,
						Check: tt.WatchCurrent(dut, sl.s.psu, sl.ch, harness.Between(0, 0.8)), Policy: harness.IsolateDUT})
					if err := d.Phase("power-up", func(ctx context.Context) error {
						// The board answers on its console once it has
						// booted: its inrush is over, the input settled.
						for {
							inst, err := instruments.Open(ctx, sl.console, opt)
							if err == nil {
								inst.Close()
								break
							}
							if ctx.Err() != nil {
								return context.Cause(ctx)
							}
						}
						got, err := sl.s.psu.MeasureVoltage(ctx, sl.ch)
						if err != nil {
							return err
						}
						return d.Measure("vin", got, harness.Between(11.8, 12.2))
					}); err != nil {
						return err
					}
					if dut == "dut-7" {
						if err := d.Phase("inspect", func(ctx context.Context) error {
							answer, err := d.Prompt(ctx, harness.Prompt{Text: "Is the LED green?", Image: led, ImageType: "image/png"})
							if err != nil {
								return err
							}
							return d.Measure("led_green", units.Value(map[string]float64{"yes": 1}[answer], ""), harness.Between(1, 1))
						}); err != nil {
							return err
						}
					}
					return d.Phase("soak", func(ctx context.Context) error {
						select {
						case <-done:
						case <-ctx.Done():
							return context.Cause(ctx)
						}
						i, err := sl.s.psu.MeasureCurrent(ctx, sl.ch)
						if err != nil {
							return err
						}
						return d.Measure("iin", i, harness.Between(0.3, 0.7))
					}, harness.Timeout(time.Minute))
				}, harness.WithUnit(harness.Unit{Serial: fmt.Sprintf("SN24-%05d", 1181+i), Slot: fmt.Sprint(i + 1)}))
			}
			return nil
		}, harness.WithoutSignals(), harness.WithSink(store), harness.WithControl(store), harness.WithRunInfo(info))
	}()

	// The monitors have drawn a while; then dut-6's board draws too much.
	within(t, ctx, "the monitors' first samples",
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-7"] .prompt button.yes`)),
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('.slot canvas')].length === 8 && [...document.querySelectorAll('.slot canvas')].every(c => Number(c.dataset.samples) >= 30)`))
	slots[5].board.Do(func(d sim.Device) {
		if err := d.(interface{ InjectFault(string) error }).InjectFault("overcurrent"); err != nil {
			t.Error(err)
		}
	})
	within(t, ctx, "dut-6 faulted, dut-3 failing",
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-6"] .fault-line`)),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-3"] .failing-tag`)),
		chromedp.WaitVisible(chromedp.CSS(`.banner.fault`)),
		chromedp.WaitVisible(chromedp.CSS(`#instruments .badge`)))
	screenshot(t, ctx, "station-running.png")

	within(t, ctx, "answering dut-7", chromedp.Click(chromedp.CSS(`.slot[data-dut="dut-7"] .prompt button.yes`)),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-7"] tr[data-name="led_green"]`)))
	close(done)
	run.wait(t)
	within(t, ctx, "the verdicts", chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-8"] .verdict`)),
		chromedp.WaitVisible(chromedp.CSS(`.banner.safe-ok`)))
	verdicts := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('.slot')].map(s => [s.dataset.dut, s.querySelector('.verdict').firstChild.textContent]))`)
	want := map[string]string{"dut-1": "PASS", "dut-2": "PASS", "dut-3": "FAIL", "dut-4": "PASS", "dut-5": "PASS", "dut-6": "ERROR", "dut-7": "PASS", "dut-8": "PASS"}
	if diff := cmp.Diff(want, verdicts); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	for _, d := range run.rec.DUTs {
		if got := verdictWord(d.Outcome); got != want[d.Name] {
			t.Errorf("the record says %s %v, the test wants %s", d.Name, d.Outcome, want[d.Name])
			for _, p := range d.Phases {
				t.Logf("  %s: phase %s %v %s", d.Name, p.Name, p.Outcome, p.Error)
				for _, m := range p.Measurements {
					t.Logf("    %s = %g %s: %v", m.Name, m.Value, m.Unit, m.Outcome)
				}
			}
		}
	}
	within(t, ctx, "the recent runs and the yield",
		chromedp.WaitVisible(chromedp.CSS(`#runs a`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#yield-value').textContent !== '–'`))
	screenshot(t, ctx, "station-ended.png")
	checkContrast(t, ctx)
}

// verdictWord is the word the page shows for an outcome.
func verdictWord(o harness.Outcome) string {
	switch o {
	case harness.OutcomePass, harness.OutcomeMarginal:
		return "PASS"
	case harness.OutcomeFail:
		return "FAIL"
	case harness.OutcomeAborted:
		return "ABORTED"
	}
	return "ERROR"
}
