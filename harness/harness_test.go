package harness_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/units"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(signalHelper())
	}
	goleak.VerifyTestMain(m)
}

func TestRunJoinsEveryGoroutine(t *testing.T) {
	var ended atomic.Int32
	rec, err := harness.Run(bg, "join", func(tt *harness.Test) error {
		for range 5 {
			tt.Go("worker", func(ctx context.Context) error {
				defer ended.Add(1)
				<-tt.Stopping()
				return nil
			})
		}
		tt.Go("stopper", func(ctx context.Context) error {
			tt.StopGracefully(errors.New("enough"))
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	if ended.Load() != 5 {
		t.Fatalf("Run returned with %d of 5 workers ended", ended.Load())
	}
	if err == nil || rec.StopCause != "enough" {
		t.Fatalf("err %v, cause %q", err, rec.StopCause)
	}
}

func TestPanicBecomesAFaultNotACrash(t *testing.T) {
	var safe atomic.Int32
	rec, err := harness.Run(bg, "panic", func(tt *harness.Test) error {
		tt.OnSafeState(harness.SafeState{Name: "off", Run: func(context.Context) error { safe.Add(1); return nil }})
		tt.Go("buggy", func(ctx context.Context) error {
			var readings []float64
			return fmt.Errorf("%v", readings[len(readings)-1]) // index out of range: panics
		})
		return nil
	}, harness.WithoutSignals())
	var f *harness.Fault
	if !errors.As(err, &f) || !strings.Contains(f.Message, "panic") || f.Source != "buggy" {
		t.Fatalf("err = %v", err)
	}
	if safe.Load() != 1 || len(rec.Faults) != 1 || rec.Outcome != harness.OutcomeError {
		t.Fatalf("safe %d, faults %v, outcome %v", safe.Load(), rec.Faults, rec.Outcome)
	}
}

func TestSafeStateOnceReverseFreshContextPastFailures(t *testing.T) {
	var order []string
	var mu sync.Mutex
	action := func(name string, fail bool) harness.SafeState {
		return harness.SafeState{Name: name, Run: func(ctx context.Context) error {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			if ctx.Err() != nil {
				return errors.New("ran with a cancelled context")
			}
			if _, ok := ctx.Deadline(); !ok {
				return errors.New("no bounded context")
			}
			if fail {
				return errors.New("relay welded")
			}
			return nil
		}}
	}
	ctx, cancel := context.WithCancel(bg)
	rec, err := harness.Run(ctx, "safe", func(tt *harness.Test) error {
		tt.OnSafeState(action("first", false))
		tt.OnSafeState(action("second", true))
		tt.OnSafeState(action("third", false))
		cancel() // the run's own context is gone when the safe state runs
		<-tt.Context().Done()
		return nil
	}, harness.WithoutSignals())
	if diffStrings(order, []string{"third", "second", "first"}) {
		t.Fatalf("order %v", order)
	}
	if !errors.Is(err, harness.ErrUnsafe) || !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "relay welded") {
		t.Fatalf("err = %v", err)
	}
	if len(rec.SafeState) != 3 || rec.SafeState[1].Verified || !rec.SafeState[0].Verified {
		t.Fatalf("safe state record %+v", rec.SafeState)
	}
}

// stallingWriter is a log writer that blocks every write once stalled
// until released: a terminal paused with Ctrl-S.
type stallingWriter struct {
	stalled, released chan struct{}
	once              sync.Once
}

func (w *stallingWriter) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "safe state") {
		w.once.Do(func() { close(w.stalled) })
		<-w.released
	}
	return len(p), nil
}

// A log writer that blocks after the first safe-state action cannot keep
// the others from running: every output goes off first, then the lines
// are written.
func TestStalledLogCannotHoldTheSafeState(t *testing.T) {
	w := &stallingWriter{stalled: make(chan struct{}), released: make(chan struct{})}
	ran := make(chan string, 3)
	action := func(name string) harness.SafeState {
		return harness.SafeState{Name: name, Run: func(context.Context) error { ran <- name; return nil }}
	}
	done := make(chan error, 1)
	go func() {
		_, err := harness.Run(bg, "stalled", func(tt *harness.Test) error {
			tt.OnSafeState(action("aux rail off"))
			tt.OnSafeState(action("main rail off"))
			tt.OnSafeState(action("load off"))
			return nil
		}, harness.WithoutSignals(), harness.WithLogger(zerolog.New(w)))
		done <- err
	}()
	var got []string
	for len(got) < 3 {
		select {
		case name := <-ran:
			got = append(got, name)
		case <-time.After(30 * time.Second):
			close(w.released)
			t.Fatalf("only %v ran while the log was stalled", got)
		}
	}
	close(w.released)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if diffStrings(got, []string{"load off", "main rail off", "aux rail off"}) {
		t.Errorf("ran %v", got)
	}
}

func diffStrings(a, b []string) bool { return strings.Join(a, ",") != strings.Join(b, ",") }

// The seed's scenario: DUTs powered, a do_something loop, a fault monitor;
// one DUT faults; it is isolated (its output off at once), the others go
// on; at the end every output is off and verified.
func TestBurnInIsolatesTheFaultedDUT(t *testing.T) {
	st := newStation(t, 3)
	var measured [3]atomic.Int32
	bIsolated := make(chan struct{})
	var afterIsolation [3]atomic.Int32
	rec, err := harness.Run(bg, "burn-in", func(tt *harness.Test) error {
		for _, psu := range st.psus {
			tt.SupplySafeState(psu)
		}
		for i, s := range st.slots {
			name := []string{"dut-a", "dut-b", "dut-c"}[i]
			tt.DUT(name, func(d *harness.DUTRun) error {
				if i == 1 {
					defer close(bIsolated)
				}
				if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 1*units.Amp); err != nil {
					return err
				}
				dut, err := st.openDUT(d.Context(), i)
				if err != nil {
					return err
				}
				defer dut.Close()
				tt.Monitor(harness.Monitor{Name: "fault status", DUT: name, Interval: 5 * time.Millisecond, Policy: harness.IsolateDUT,
					Check: func(ctx context.Context) error {
						f, err := dut.FaultStatus(ctx)
						if err == nil && f.Code != 0 {
							return errors.New(f.String())
						}
						return err
					}})
				for !d.Stopping() {
					err := d.Phase("measure", func(ctx context.Context) error {
						cur, err := s.psu.MeasureCurrent(ctx, s.channel)
						if err != nil {
							return err
						}
						measured[i].Add(1)
						return d.Measure("current", cur, harness.Between(0.3, 0.7).Then(harness.RecordOnly))
					})
					if err != nil && !d.Stopping() {
						return err
					}
					switch {
					case i == 1 && measured[1].Load() == 20:
						s.board.Inject(simFault("overtemperature")) // dut-b faults part-way
					case i != 1:
						select {
						case <-bIsolated: // the others go on after dut-b is isolated...
							if afterIsolation[i].Add(1) == 20 {
								tt.StopGracefully(nil) // ...then the run ends normally
							}
						default:
						}
					}
				}
				return nil
			})
		}
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if on := st.outputsOn(); len(on) > 0 {
		t.Fatalf("outputs left on: %v", on)
	}
	var faulted []string
	for _, f := range rec.Faults {
		faulted = append(faulted, f.DUT)
	}
	if diffStrings(faulted, []string{"dut-b"}) || !strings.Contains(rec.Faults[0].Message, "OVERTEMPERATURE") {
		t.Fatalf("faults %+v", rec.Faults)
	}
	for _, d := range rec.DUTs {
		want := harness.OutcomePass
		if d.Name == "dut-b" {
			want = harness.OutcomeError
		}
		if d.Outcome != want {
			t.Errorf("%s: outcome %v, want %v", d.Name, d.Outcome, want)
		}
	}
	if afterIsolation[0].Load() < 20 && afterIsolation[2].Load() < 20 {
		t.Fatal("the other DUTs did not go on after the isolation")
	}
	total := int32(0)
	for i := range measured {
		total += measured[i].Load()
	}
	if got := len(rec.Measurements()); int32(got) != total {
		t.Fatalf("%d measurements taken, %d recorded", total, got)
	}
	for _, s := range rec.SafeState {
		if !s.Verified {
			t.Errorf("safe state %s not verified: %s", s.Name, s.Error)
		}
	}
	if len(rec.SafeState) != 5 { // 3 DUT outputs + 2 supplies
		t.Fatalf("%d safe-state actions", len(rec.SafeState))
	}
	// Isolated first, at once: dut-b's action started before any other.
	// (The other DUTs' actions run as each DUT ends, which may come
	// before the isolation's record, written once its action is done.)
	first := slices.MinFunc(rec.SafeState, func(a, b harness.SafeStateRecord) int { return a.Time.Compare(b.Time) })
	if first.DUT != "dut-b" {
		t.Fatalf("first safe-state action to start: %+v", first)
	}
}

func TestStopAllOnMonitorFaultAndContextTimeout(t *testing.T) {
	st := newStation(t, 2)
	ctx, cancel := context.WithTimeout(bg, 150*time.Millisecond)
	defer cancel()
	rec, err := harness.Run(ctx, "timeout", func(tt *harness.Test) error {
		for i, s := range st.slots {
			name := []string{"one", "two"}[i]
			tt.DUT(name, func(d *harness.DUTRun) error {
				if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 1*units.Amp); err != nil {
					return err
				}
				<-d.Context().Done()
				return nil
			})
		}
		return nil
	}, harness.WithoutSignals())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
	if on := st.outputsOn(); len(on) > 0 {
		t.Fatalf("outputs left on after a timeout: %v", on)
	}
	if len(rec.SafeState) != 2 {
		t.Fatalf("safe state %+v", rec.SafeState)
	}

	// A current monitor outside its band stops everything.
	st = newStation(t, 1)
	rec, err = harness.Run(bg, "overcurrent", func(tt *harness.Test) error {
		s := st.slots[0]
		tt.DUT("board", func(d *harness.DUTRun) error {
			if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 2*units.Amp); err != nil {
				return err
			}
			tt.Monitor(harness.Monitor{Name: "current", DUT: "board", Interval: 2 * time.Millisecond,
				Check: tt.WatchCurrent("board", s.psu, s.channel, harness.Between(0, 1))})
			if _, err := st.openDUT(d.Context(), 0); err != nil {
				return err
			}
			s.board.Inject(simFault("overcurrent")) // draws 1.5 A
			<-d.Context().Done()
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	var f *harness.Fault
	if !errors.As(err, &f) || f.DUT != "board" || !strings.Contains(f.Message, "supply current") {
		t.Fatalf("err = %v", err)
	}
	if on := st.outputsOn(); len(on) > 0 {
		t.Fatalf("outputs left on: %v", on)
	}
	if len(rec.Series) != 1 || len(rec.Series[0].Values) == 0 || rec.Series[0].High == nil {
		t.Fatalf("series %+v", rec.Series)
	}
}

func TestUnverifiedSafeStateFailsTheRun(t *testing.T) {
	// A supply whose output will not read back off.
	st := newStation(t, 1)
	stuck := stuckSupply{st.slots[0].psu}
	_, err := harness.Run(bg, "stuck", func(tt *harness.Test) error {
		tt.DUT("board", func(d *harness.DUTRun) error {
			return d.PowerOn(d.Context(), stuck, st.slots[0].channel, 12*units.Volt, 1*units.Amp)
		})
		return nil
	}, harness.WithoutSignals())
	if !errors.Is(err, harness.ErrUnsafe) {
		t.Fatalf("err = %v", err)
	}
}

type stuckSupply struct{ instruments.PowerSupply }

func (stuckSupply) Output(context.Context, int) (bool, error) { return true, nil }

func TestMeasurementsLimitsAndRetries(t *testing.T) {
	attempts := 0
	rec, err := harness.Run(bg, "limits", func(tt *harness.Test) error {
		tt.DUT("d", func(d *harness.DUTRun) error {
			d.Phase("limits", func(ctx context.Context) error {
				d.Measure("in", 5*units.Volt, harness.Between(4.5, 5.5))
				d.Measure("edge", 5.45*units.Volt, harness.Between(4.5, 5.5).WithMarginal(0.1))
				d.Measure("noted", 99*units.Volt, harness.AtMost(10).Then(harness.RecordOnly))
				d.Measure("exact", 3.3*units.Volt, harness.Equals(3.3, 0.01))
				d.Measure("custom", units.Value(7, ""), harness.Custom("odd", func(v float64) error {
					if int(v)%2 == 1 {
						return nil
					}
					return errors.New("even")
				}))
				return nil
			})
			d.Phase("flaky", func(ctx context.Context) error {
				attempts++
				return d.Measure("settled", units.Voltage(attempts), harness.AtLeast(3))
			}, harness.Retries(4))
			err := d.Phase("fatal", func(ctx context.Context) error {
				return d.Measure("short", 0*units.Ohm, harness.AtLeast(1).Then(harness.StopDUT))
			})
			var le *harness.LimitError
			if !errors.As(err, &le) {
				return errors.New("StopDUT did not return a LimitError")
			}
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	if attempts != 3 {
		t.Fatalf("flaky phase ran %d times, want 3 (passing on the third)", attempts)
	}
	d := rec.DUTs[0]
	outcomes := map[string]harness.Outcome{}
	for _, m := range rec.Measurements() {
		outcomes[m.Name] = m.Outcome
	}
	want := map[string]harness.Outcome{"in": harness.OutcomePass, "edge": harness.OutcomeMarginal, "noted": harness.OutcomeFail,
		"exact": harness.OutcomePass, "custom": harness.OutcomePass, "settled": harness.OutcomePass, "short": harness.OutcomeFail}
	for k, v := range want {
		if outcomes[k] != v {
			t.Errorf("%s: %v, want %v", k, outcomes[k], v)
		}
	}
	if d.Phases[0].Outcome != harness.OutcomeMarginal { // "noted" only records
		t.Errorf("limits phase %v", d.Phases[0].Outcome)
	}
	if d.Outcome != harness.OutcomeFail || rec.Outcome != harness.OutcomeFail {
		t.Errorf("DUT %v, run %v", d.Outcome, rec.Outcome)
	}
}

// Every run of a phase counts toward its DUT's verdict: a loop's
// iteration that failed is not undone by a later one that passed, nor is
// one measurement taken outside any phase by the next; only a retry's
// last attempt replaces the attempts before it.
func TestEveryRunOfAPhaseCounts(t *testing.T) {
	rec, err := harness.Run(bg, "loops", func(tt *harness.Test) error {
		tt.DUT("loop", func(d *harness.DUTRun) error {
			for i := range 5 {
				d.Phase("cycle", func(ctx context.Context) error {
					v := 12.0
					if i == 2 {
						v = 9
					}
					d.Measure("rail", units.Voltage(v), harness.Between(11, 13))
					return nil
				})
			}
			return nil
		})
		tt.DUT("loose", func(d *harness.DUTRun) error {
			d.Measure("rail", 9*units.Volt, harness.Between(11, 13))
			d.Measure("rail", 12*units.Volt, harness.Between(11, 13))
			return nil
		})
		tt.DUT("retried", func(d *harness.DUTRun) error {
			for range 2 {
				tries := 0
				d.Phase("settle", func(ctx context.Context) error {
					tries++
					return d.Measure("rail", units.Voltage(10+tries), harness.AtLeast(11))
				}, harness.Retries(2))
			}
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]harness.Outcome{}
	for _, d := range rec.DUTs {
		got[d.Name] = d.Outcome
	}
	want := map[string]harness.Outcome{"loop": harness.OutcomeFail, "loose": harness.OutcomeFail, "retried": harness.OutcomePass}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if rec.Outcome != harness.OutcomeFail {
		t.Errorf("run %v, want fail", rec.Outcome)
	}
}

// Two DUTs of one name would share a record and each other's isolation:
// the second is refused with a fault, and the run does not pass.
func TestDuplicateDUTNameIsAFault(t *testing.T) {
	var second atomic.Bool
	rec, err := harness.Run(bg, "slots", func(tt *harness.Test) error {
		tt.DUT("slot-1", func(d *harness.DUTRun) error { return d.Measure("rail", 12*units.Volt, harness.Between(11, 13)) })
		tt.DUT("slot-1", func(d *harness.DUTRun) error { second.Store(true); return nil })
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	if second.Load() {
		t.Error("the second DUT named slot-1 ran")
	}
	if len(rec.Faults) != 1 || !errors.Is(rec.Faults[0].Err, harness.ErrDuplicateDUT) && !strings.Contains(rec.Faults[0].Message, "name of its own") {
		t.Errorf("faults %+v, want one for the duplicate name", rec.Faults)
	}
	if rec.Outcome != harness.OutcomeError || len(rec.DUTs) != 1 || rec.DUTs[0].Outcome != harness.OutcomePass {
		t.Errorf("run %v with DUTs %+v, want error with slot-1 passed", rec.Outcome, rec.DUTs)
	}
}

// A DUT named "" would share the run's name for its safe-state actions:
// its end would switch every run-level output off while the other DUTs
// run on. It is refused with a fault, and DUT says why.
func TestEmptyDUTNameIsRefused(t *testing.T) {
	var ran atomic.Bool
	var startErr error
	var steps []string
	var mu sync.Mutex
	step := func(s string) {
		mu.Lock()
		defer mu.Unlock()
		steps = append(steps, s)
	}
	rec, err := harness.Run(bg, "unnamed", func(tt *harness.Test) error {
		tt.OnSafeState(harness.SafeState{Name: "all outputs off", Run: func(context.Context) error { step("all outputs off"); return nil }})
		release, done := make(chan struct{}), make(chan struct{})
		tt.DUT("slot-1", func(d *harness.DUTRun) error {
			defer close(done)
			<-release // slot-1 runs on after the unnamed DUT has ended
			step("slot-1 measured")
			return d.Measure("rail", 12*units.Volt, harness.Between(11, 13))
		})
		unnamed := make(chan *harness.DUTRun, 1)
		startErr = tt.DUT("", func(d *harness.DUTRun) error { ran.Store(true); unnamed <- d; return nil })
		if startErr == nil { // started: let it end first
			<-(<-unnamed).Ended()
		}
		close(release)
		<-done
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Error("the DUT without a name ran")
	}
	if !errors.Is(startErr, harness.ErrNoDUTName) {
		t.Errorf("DUT(\"\") = %v, want ErrNoDUTName", startErr)
	}
	var faults []error
	for _, f := range rec.Faults {
		faults = append(faults, f.Err)
	}
	if diff := cmp.Diff([]error{harness.ErrNoDUTName}, faults, cmpopts.EquateErrors()); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff([]string{"slot-1 measured", "all outputs off"}, steps); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
}

// A limit with a NaN bound (computed from a reading that was NaN) fails
// every value: comparisons with NaN are false, and written the other way
// round they would pass everything.
func TestNaNBoundFails(t *testing.T) {
	nan := math.NaN()
	rec, err := harness.Run(bg, "nan", func(tt *harness.Test) error {
		tt.DUT("d", func(d *harness.DUTRun) error {
			d.Measure("at most NaN", 5*units.Volt, harness.AtMost(nan))
			d.Measure("at least NaN", 5*units.Volt, harness.AtLeast(nan))
			d.Measure("between 4 and NaN", 5*units.Volt, harness.Between(4, nan))
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]harness.Outcome{}
	for _, m := range rec.Measurements() {
		got[m.Name] = m.Outcome
	}
	want := map[string]harness.Outcome{"at most NaN": harness.OutcomeFail, "at least NaN": harness.OutcomeFail, "between 4 and NaN": harness.OutcomeFail}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("outcomes (-want +got):\n%s", diff)
	}
}

func TestSharedResources(t *testing.T) {
	// Semaphore: at most 2 at once.
	sem := harness.NewSemaphore(2)
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := sem.Acquire(bg); err != nil {
				t.Error(err)
				return
			}
			n := inside.Add(1)
			for {
				m := most.Load()
				if n <= m || most.CompareAndSwap(m, n) {
					break
				}
			}
			time.Sleep(time.Millisecond) // hold the slot a moment
			inside.Add(-1)
			sem.Release()
		})
	}
	wg.Wait()
	if most.Load() > 2 || most.Load() == 0 {
		t.Fatalf("%d holders at once", most.Load())
	}
	// Locks: opposite orders do not deadlock; waiting honours the context.
	locks := harness.NewLocks()
	for range 50 {
		wg.Go(func() {
			unlock, err := locks.Lock(bg, "dmm", "mux")
			if err == nil {
				unlock()
			}
		})
		wg.Go(func() {
			unlock, err := locks.Lock(bg, "mux", "dmm")
			if err == nil {
				unlock()
			}
		})
	}
	wg.Wait()
	unlock, _ := locks.Lock(bg, "dmm")
	ctx, cancel := context.WithTimeout(bg, 5*time.Millisecond)
	if _, err := locks.Lock(ctx, "mux", "dmm"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("lock wait: %v", err)
	}
	cancel()
	unlock()
	if u, err := locks.Lock(bg, "mux", "dmm"); err != nil { // "mux" was released on the failed attempt
		t.Fatal(err)
	} else {
		u()
	}
	// Condition: wait until every DUT is powered.
	cond := harness.NewCondition()
	var powered atomic.Int32
	done := make(chan error)
	go func() { done <- cond.Wait(bg, func() bool { return powered.Load() == 3 }) }()
	for range 3 {
		powered.Add(1)
		cond.Broadcast()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Gate: an operator's go-ahead.
	gate := harness.NewGate()
	go gate.Open()
	if err := gate.Wait(bg); err != nil {
		t.Fatal(err)
	}
}
