package harness_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// A run-level polling monitor is a watcher: once the body and the DUTs
// have ended, it ends too, and Run returns.
func TestRunLevelMonitorEndsWithTheWork(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(bg, time.Minute, errors.New("the run did not end: a monitor kept it alive"))
	defer cancel()
	checked := make(chan struct{})
	var once sync.Once
	rec, err := harness.Run(ctx, "watched", func(tt *harness.Test) error {
		tt.Monitor(harness.Monitor{Name: "faults", Interval: time.Millisecond, Check: func(context.Context) error {
			once.Do(func() { close(checked) })
			return nil
		}})
		tt.DUT("a", func(d *harness.DUTRun) error {
			select { // the DUT ends once it has been watched
			case <-checked:
				return nil
			case <-d.Context().Done():
				return context.Cause(d.Context())
			}
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if rec.Outcome != harness.OutcomePass || len(rec.Faults) > 0 {
		t.Fatalf("outcome %v, faults %v", rec.Outcome, rec.Faults)
	}
}

// closingDUT runs one DUT whose monitor polls its board's console. The
// monitor's check starts, the DUT closes the console under it, and only
// then does the check query it, so the check always sees a closed
// session. afterClose is what the DUT does next.
func closingDUT(t *testing.T, afterClose func(d *harness.DUTRun, waiting <-chan struct{}) error) (*harness.Record, error) {
	st := newStation(t, 1)
	s := st.slots[0]
	// The harness logs when a monitor's session is found closed and it
	// waits for the DUT to end; the DUT can wait for that line.
	waiting := testserver.NewSignal("waiting for its DUT to end")
	log := zerolog.New(waiting).Level(zerolog.DebugLevel)
	return harness.Run(bg, "closing", func(tt *harness.Test) error {
		tt.SupplySafeState(s.psu)
		tt.DUT("board", func(d *harness.DUTRun) error {
			if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 1*units.Amp); err != nil {
				return err
			}
			dut, err := st.openDUT(d.Context(), 0)
			if err != nil {
				return err
			}
			inCheck, closed := make(chan struct{}), make(chan struct{})
			var once sync.Once
			tt.Monitor(harness.Monitor{Name: "fault status", DUT: "board", Interval: time.Millisecond, Policy: harness.IsolateDUT,
				Check: func(ctx context.Context) error {
					once.Do(func() { close(inCheck) })
					<-closed
					_, err := dut.FaultStatus(ctx)
					return err
				}})
			<-inCheck
			dut.Close()
			close(closed)
			return afterClose(d, waiting.Seen())
		})
		return nil
	}, harness.WithoutSignals(), harness.WithLogger(log))
}

// The burn-in pattern, `defer dut.Close()` in the DUT's function, closes
// the console under a monitor still polling it. As the DUT ends, that is
// not a fault. Here the DUT ends only after the monitor has seen the
// closed session, so the test fails whenever the harness faults at once.
func TestMonitorSessionClosedAsItsDUTEndsIsNoFault(t *testing.T) {
	rec, err := closingDUT(t, func(d *harness.DUTRun, waiting <-chan struct{}) error {
		select { // the DUT ends once the monitor has seen the closed session
		case <-waiting:
			return nil
		case <-d.Context().Done():
			return context.Cause(d.Context()) // isolated by the closed session: the defect
		}
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(rec.Faults) > 0 || rec.Outcome != harness.OutcomePass {
		t.Fatalf("outcome %v, faults %+v", rec.Outcome, rec.Faults)
	}
}

// Closed while the DUT goes on running, the DUT is no longer watched:
// that is a fault, and it isolates the DUT.
func TestMonitorSessionClosedWhileItsDUTRunsIsAFault(t *testing.T) {
	rec, err := closingDUT(t, func(d *harness.DUTRun, _ <-chan struct{}) error {
		<-d.Context().Done()
		return nil
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(rec.Faults) != 1 || !errors.Is(rec.Faults[0].Err, scpi.ErrClosed) || rec.Faults[0].DUT != "board" {
		t.Fatalf("faults %+v, want one for board matching scpi.ErrClosed", rec.Faults)
	}
	if rec.Outcome != harness.OutcomeError {
		t.Fatalf("outcome %v, want error", rec.Outcome)
	}
}

// A panic in a monitor's check is a fault with the monitor's policy, not
// only a line in the record: here it isolates its DUT.
func TestMonitorPanicAppliesItsPolicy(t *testing.T) {
	var isolated error
	rec, err := harness.Run(bg, "panicky", func(tt *harness.Test) error {
		tt.DUT("a", func(d *harness.DUTRun) error {
			tt.Monitor(harness.Monitor{Name: "broken", DUT: "a", Interval: time.Millisecond, Policy: harness.IsolateDUT,
				Check: func(context.Context) error { panic("nil map") }})
			<-d.Context().Done()
			isolated = context.Cause(d.Context())
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var f *harness.Fault
	if !errors.As(isolated, &f) || f.Source != "monitor broken" {
		t.Fatalf("DUT ended by %v, want the monitor's panic", isolated)
	}
	if len(rec.Faults) != 1 {
		t.Fatalf("faults %+v, want the panic once", rec.Faults)
	}
}

// A DUT's cleanups run after its monitors and helpers have ended and its
// safe state has run: at once for an isolated DUT, at the run's end
// otherwise.
func TestDUTCleanupRunsAfterItsSafeState(t *testing.T) {
	var mu sync.Mutex
	var steps []string
	step := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, s)
	}
	_, err := harness.Run(bg, "cleanups", func(tt *harness.Test) error {
		bDone := make(chan struct{})
		tt.DUT("a", func(d *harness.DUTRun) error {
			d.OnSafeState("a off", func(context.Context) error { step("a safe state"); return nil })
			d.Cleanup(func() { step("a cleanup") })
			<-bDone // a outlives b
			return nil
		})
		tt.DUT("b", func(d *harness.DUTRun) error {
			defer close(bDone)
			d.OnSafeState("b off", func(context.Context) error { step("b safe state"); return nil })
			d.Cleanup(func() { step("b cleanup 1") })
			d.Cleanup(func() { step("b cleanup 2") })
			d.Go("helper", func(ctx context.Context) error {
				<-ctx.Done()
				step("b helper ended")
				return nil
			})
			return errors.New("b failed") // isolated: safe state, then cleanups
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// What is promised, and only that: each DUT's safe state runs before
	// its cleanups, newest cleanup first, and an isolated DUT's helpers
	// end before its cleanups run. How the DUTs interleave, and whether
	// b's helper ends before or after b's safe state, is not.
	mu.Lock()
	defer mu.Unlock()
	at := map[string]int{}
	for i, s := range steps {
		at[s] = i
	}
	if len(at) != 6 {
		t.Fatalf("steps %v: want each of the six once", steps)
	}
	for _, order := range [][2]string{{"b safe state", "b cleanup 2"}, {"b helper ended", "b cleanup 2"},
		{"b cleanup 2", "b cleanup 1"}, {"a safe state", "a cleanup"}} {
		if at[order[0]] > at[order[1]] {
			t.Errorf("%q came after %q: %v", order[0], order[1], steps)
		}
	}
}

// A graceful stop leaves the DUTs powered while their loops finish a
// step, so the monitors go on watching: a fault found in the grace
// period still stops the run at once.
func TestMonitorsWatchThroughAGracefulStop(t *testing.T) {
	rec, err := harness.Run(bg, "grace", func(tt *harness.Test) error {
		tt.DUT("d", func(d *harness.DUTRun) error {
			tt.Monitor(harness.Monitor{Name: "overcurrent", DUT: "d", Interval: 5 * time.Millisecond, Policy: harness.StopAll,
				Check: func(ctx context.Context) error {
					if tt.Stopped() {
						return errors.New("3.2 A on a 1 A rail")
					}
					return nil
				}})
			tt.StopGracefully(errors.New("operator"))
			<-d.Context().Done() // a step that runs on until the fault stops it
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithGracePeriod(20*time.Second))
	if err == nil {
		t.Fatal("the run passed")
	}
	var sources []string
	for _, f := range rec.Faults {
		sources = append(sources, f.Source+": "+f.Message)
	}
	if diff := cmp.Diff([]string{"overcurrent: 3.2 A on a 1 A rail"}, sources); diff != "" {
		t.Errorf("faults (-want +got):\n%s\n(without the monitor the run waited out its grace period)", diff)
	}
}

// A check whose context ends while it runs (here the run is stopped
// under it) may still have found something real: its finding is a fault,
// not taken for a call the stop cut short.
func TestMonitorFindingAsTheRunStopsIsKept(t *testing.T) {
	rec, err := harness.Run(bg, "finding", func(tt *harness.Test) error {
		tt.DUT("d", func(d *harness.DUTRun) error {
			var once sync.Once
			tt.Monitor(harness.Monitor{Name: "overcurrent", DUT: "d", Interval: time.Millisecond, Policy: harness.IsolateDUT,
				Check: func(ctx context.Context) error {
					found := errors.New("3.2 A on a 1 A rail")
					once.Do(func() {
						tt.Stop(errors.New("operator")) // the stop comes as the reading does
						found = fmt.Errorf("%w (read as the run stopped)", found)
					})
					return found
				}})
			<-d.Context().Done()
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	if err == nil {
		t.Fatal("the run passed")
	}
	var faults []string
	for _, f := range rec.Faults {
		faults = append(faults, f.Source+": "+f.Message)
	}
	want := []string{"overcurrent: 3.2 A on a 1 A rail (read as the run stopped)"}
	if diff := cmp.Diff(want, faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
}

// samplesUnconfirmed is a station store that has fallen behind on
// samples (its database locked by another process): every other event is
// durable at once, no sample ever is.
type samplesUnconfirmed struct{}

func (samplesUnconfirmed) Emit(e harness.Event) <-chan error {
	ack := make(chan error, 1)
	if e.Kind != harness.EventSample {
		ack <- nil
	}
	return ack
}

// readingsSupply reads 0.5 A for its first calls, then 3 A.
type readingsSupply struct {
	instruments.PowerSupply
	calls, normal int64
	mu            sync.Mutex
}

func (p *readingsSupply) MeasureCurrent(context.Context, int) (units.Current, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls++
	if p.calls > p.normal {
		return 3 * units.Amp, nil
	}
	return 0.5 * units.Amp, nil
}

// A store that has fallen behind never holds a monitor up: its samples
// beyond SampleWindow are dropped and counted, it goes on polling, and
// the overcurrent it then reads is a fault at once.
func TestSlowStoreCannotDelayACurrentFault(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(bg, 20*time.Second, errors.New("the monitor was held up by the store"))
	defer cancel()
	psu := &readingsSupply{normal: 2 * harness.SampleWindow} // past the window before the fault
	var dropped int
	rec, err := harness.Run(ctx, "slow store", func(tt *harness.Test) error {
		vout := tt.Sampler("", "vout", harness.None())
		for i := range harness.SampleWindow + 10 {
			vout.Add(tt.Context(), units.Value(float64(i), "V"))
		}
		dropped = vout.Dropped()
		tt.DUT("d", func(d *harness.DUTRun) error {
			tt.Monitor(harness.Monitor{Name: "supply current", DUT: "d", Interval: time.Millisecond, Policy: harness.IsolateDUT,
				Check: tt.WatchCurrent("d", psu, 1, harness.Between(0.1, 1))})
			<-d.Context().Done()
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(samplesUnconfirmed{}))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var faults []string
	for _, f := range rec.Faults {
		faults = append(faults, f.DUT+": "+f.Message)
	}
	if diff := cmp.Diff([]string{"d: supply current 3 A outside [0.1, 1]"}, faults); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
	points := map[string]int{}
	for _, s := range rec.Series {
		points[s.Name] = len(s.Values)
	}
	want := map[string]int{"vout": harness.SampleWindow, "supply current": harness.SampleWindow}
	if diff := cmp.Diff(want, points); diff != "" {
		t.Errorf("points kept (-want +got):\n%s", diff)
	}
	if dropped != 10 {
		t.Errorf("vout dropped %d samples, want 10", dropped)
	}
}

// A monitor registered for a DUT before the DUT has started (in the
// body, ahead of it) is that DUT's once it starts: it ends with it, not
// with the run. Watching on, it would read the DUT's switched-off output
// as a fault. Here the check is in progress as its DUT ends, and the
// other DUT runs until the check has been cut short: were the monitor the
// run's, only the test's 20 s bound would cut it.
func TestMonitorRegisteredBeforeItsDUTEndsWithIt(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(bg, 20*time.Second, errors.New("the monitor outlived its DUT"))
	defer cancel()
	rec, err := harness.Run(ctx, "early", func(tt *harness.Test) error {
		inCheck, checked := make(chan struct{}), make(chan struct{})
		var once sync.Once
		tt.Monitor(harness.Monitor{Name: "supply current", DUT: "a", Interval: time.Millisecond, Policy: harness.IsolateDUT,
			Check: func(ctx context.Context) error {
				once.Do(func() { close(inCheck) })
				<-ctx.Done() // a reading, cut short when the watch is over
				select {
				case <-checked:
				default:
					close(checked)
				}
				return ctx.Err()
			}})
		tt.DUT("a", func(d *harness.DUTRun) error {
			<-inCheck
			return nil
		})
		tt.DUT("b", func(d *harness.DUTRun) error {
			select {
			case <-checked:
				return nil
			case <-d.Context().Done():
				return context.Cause(d.Context())
			}
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(rec.Faults) > 0 || rec.Outcome != harness.OutcomePass {
		t.Errorf("outcome %v, faults %+v", rec.Outcome, rec.Faults)
	}
}

// A panic in the check of a monitor registered before its DUT started is
// a fault with the monitor's policy, as any monitor's: here it isolates
// the DUT, which waits for that.
func TestMonitorRegisteredBeforeItsDUTActsOnAPanic(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(bg, 20*time.Second, errors.New("the monitor's panic was not acted on"))
	defer cancel()
	var isolated error
	rec, err := harness.Run(ctx, "early panic", func(tt *harness.Test) error {
		started := make(chan struct{})
		tt.Monitor(harness.Monitor{Name: "lid switch", DUT: "a", Interval: time.Millisecond, Policy: harness.IsolateDUT,
			Check: func(ctx context.Context) error {
				select {
				case <-started:
					panic("lid switch driver")
				default:
					return nil
				}
			}})
		tt.DUT("a", func(d *harness.DUTRun) error {
			close(started)
			<-d.Context().Done()
			isolated = context.Cause(d.Context())
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	var f *harness.Fault
	if !errors.As(isolated, &f) || f.Source != "monitor lid switch" || len(rec.Faults) != 1 {
		t.Fatalf("DUT ended by %v with faults %+v, want the monitor's panic once", isolated, rec.Faults)
	}
}

// A DUT isolated by its own failure has its outputs switched off only
// once the monitors registered before it started have stopped watching:
// a check in between would read the output going off as a new fault.
func TestIsolatedDUTsEarlyMonitorStopsBeforeItsOutputsGoOff(t *testing.T) {
	ctx, cancel := context.WithTimeoutCause(bg, 20*time.Second, errors.New("the run did not end"))
	defer cancel()
	var stillWatching error
	_, err := harness.Run(ctx, "early isolate", func(tt *harness.Test) error {
		ctxs := make(chan context.Context, 1)
		tt.Monitor(harness.Monitor{Name: "vout", DUT: "a", Interval: time.Millisecond, Policy: harness.IsolateDUT,
			Check: func(ctx context.Context) error {
				select {
				case ctxs <- ctx:
				default:
				}
				return nil
			}})
		tt.DUT("a", func(d *harness.DUTRun) error {
			watch := <-ctxs // the monitor has checked: it watches a
			d.OnSafeState("outputs off", func(context.Context) error {
				if watch.Err() == nil {
					stillWatching = errors.New("the monitor still watched as a's outputs went off")
				}
				return nil
			})
			return errors.New("a's self-test failed")
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Logf("run: %v", err)
	}
	if stillWatching != nil {
		t.Fatal(stillWatching)
	}
}
