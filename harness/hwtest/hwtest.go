package hwtest

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// The environment variables that choose the station and ask for reports.
const (
	EnvHardware = "SCPIKIT_HARDWARE" // "1": open real instruments
	EnvReports  = "SCPIKIT_REPORTS"  // a directory: write the package's reports there
)

// Station is where a test's instruments come from: a simulated bench, or
// the real instruments the resource strings name.
type Station struct {
	bench *sim.Bench
}

// NewStation chooses the station for t from the environment: the real
// instruments when SCPIKIT_HARDWARE=1, the bench file SCPIKIT_SIM names
// when it is set, and otherwise simBench (sim bench YAML) simulated in
// process, fresh for this test and closed when it ends.
func NewStation(t testing.TB, simBench []byte) *Station {
	t.Helper()
	if Hardware() || os.Getenv(sim.EnvBench) != "" {
		return &Station{} // transport.Open (and SCPIKIT_SIM's interceptor) decide
	}
	if len(simBench) == 0 {
		t.Fatalf("hwtest: no simulated bench given; set %s=bench.yaml or %s=1", sim.EnvBench, EnvHardware)
	}
	b, err := sim.ParseBench(simBench, ".")
	if err != nil {
		t.Fatalf("hwtest: simulated bench: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return &Station{bench: b}
}

// Hardware reports whether SCPIKIT_HARDWARE asks for real instruments.
func Hardware() bool {
	on, _ := strconv.ParseBool(os.Getenv(EnvHardware))
	return on
}

// Bench is the in-process simulated bench (to inject faults into its
// instruments), or nil when the station is not this test's own simulation.
func (s *Station) Bench() *sim.Bench { return s.bench }

// Open opens the instrument at resource on the station and detects its
// driver.
func (s *Station) Open(ctx context.Context, resource string, opts ...instruments.Option) (instruments.Instrument, error) {
	if s.bench != nil {
		opts = append([]instruments.Option{instruments.WithSessionOptions(
			scpi.WithTransportOptions(s.bench.TransportOption()))}, opts...)
	}
	return instruments.Open(ctx, resource, opts...)
}

// interrupted is set once SIGINT or SIGTERM has stopped a run: the tests
// after it in the same binary fail at once instead of powering DUTs again.
var interrupted atomic.Bool

// R is one run of the harness inside a Go test: the station, the
// harness.Test (monitors, goroutines, locks, safe state) and the DUTs that
// become subtests.
type R struct {
	t       *testing.T
	ht      *harness.Test
	station *Station
	decls   []dutDecl
	started atomic.Bool // setup has returned: the DUTs are fixed

	mu     sync.Mutex
	active map[string]*DUT // DUT subtests running, for the measurement hook
	over   bool            // the test has finished: a goroutine that outlived it reports nothing
}

// lateSafe is the test's output for the harness's log, dropping what a
// goroutine that outlived the test writes (the testing package panics on
// output after a test has completed).
type lateSafe struct {
	mu   sync.Mutex
	w    io.Writer
	over bool
}

func (l *lateSafe) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.over {
		return len(p), nil
	}
	return l.w.Write(p)
}

func (l *lateSafe) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.over = true
}

type dutDecl struct {
	name string
	fn   func(t *testing.T, d *DUT)
}

// Test is the harness run: Monitor, Go, OnSafeState, Stop and the rest.
func (r *R) Test() *harness.Test { return r.ht }

// Context is the run's context: pass it to every blocking call of setup.
func (r *R) Context() context.Context { return r.ht.Context() }

// Station is the station the run's instruments come from.
func (r *R) Station() *Station { return r.station }

// T is the test the run belongs to.
func (r *R) T() *testing.T { return r.t }

// Supply opens a power supply, registers its safe state (every output off,
// read back) before anything can switch one on, and closes it at the end.
func (r *R) Supply(resource string, opts ...instruments.Option) (instruments.PowerSupply, error) {
	inst, err := r.station.Open(r.Context(), resource, opts...)
	if err != nil {
		return nil, err
	}
	psu, ok := inst.(instruments.PowerSupply)
	if !ok {
		inst.Close()
		return nil, fmt.Errorf("hwtest: %s is a %s, not a power supply", resource, inst.Identity().Model)
	}
	r.ht.SupplySafeState(psu)
	r.ht.Cleanup(func() { psu.Close() })
	return psu, nil
}

// Open opens any instrument on the station and closes it at the end of the
// run.
func (r *R) Open(resource string, opts ...instruments.Option) (instruments.Instrument, error) {
	inst, err := r.station.Open(r.Context(), resource, opts...)
	if err != nil {
		return nil, err
	}
	r.ht.Cleanup(func() { inst.Close() })
	return inst, nil
}

// DUT declares a DUT: once setup has returned it runs as the subtest
// t.Run(name), at the same time as the other DUTs, with fn on the
// subtest's goroutine (so t.Fatal works; t.Parallel must not be called:
// the DUTs run at once already). An error, a panic or a t.Fatal in fn
// ends that DUT: its safe state runs at once and the others go on.
// Declare every DUT in setup.
func (r *R) DUT(name string, fn func(t *testing.T, d *DUT)) {
	if r.started.Load() {
		r.t.Errorf("hwtest: DUT %q declared after setup returned: it does not run", name)
		return
	}
	r.decls = append(r.decls, dutDecl{name: name, fn: fn})
}

// timeoutError is the stop cause when the go test -timeout draws near.
type timeoutError struct{ deadline time.Time }

func (e *timeoutError) Error() string {
	return fmt.Sprintf("hwtest: stopped at the go test -timeout margin (the test binary is killed at %s): %v",
		e.deadline.Format("15:04:05.000"), context.DeadlineExceeded)
}

func (e *timeoutError) Unwrap() error { return context.DeadlineExceeded }

// runContext is the run's context, ending early enough before the go test
// -timeout kills the binary for the safe state to run. Not t.Context: that
// is cancelled before the cleanups run, and the run must outlive its DUT
// subtests, which end just before them.
func runContext(t *testing.T) (context.Context, context.CancelFunc) {
	deadline, ok := t.Deadline()
	if !ok {
		return context.WithCancel(context.Background())
	}
	margin := min(10*time.Second, time.Until(deadline)/4)
	return context.WithDeadlineCause(context.Background(), deadline.Add(-margin), &timeoutError{deadline: deadline})
}

// Run runs a harness run as the test t. setup opens the instruments,
// registers the safe state and monitors, and declares the DUTs; it runs on
// the harness's goroutine, so it returns errors rather than calling
// t.Fatal. Then every DUT runs as a subtest, all at once. Run returns when
// the run has ended: every DUT subtest has returned, the safe state has
// run and been verified (a failure to verify it fails t), so the test's
// time is the run's. Stops, faults and unverified safe states fail t with
// their cause. Should Run not return (a t.FailNow in setup's caller, the
// -timeout), t.Cleanup ends the run the same way.
func Run(t *testing.T, st *Station, setup func(r *R) error, opts ...harness.Option) {
	t.Helper()
	if interrupted.Load() {
		t.Fatal("hwtest: not started: an earlier test of this binary was interrupted by a signal")
	}
	ctx, cancel := runContext(t)
	r := &R{t: t, station: st, active: map[string]*DUT{}}
	setupDone := make(chan struct{})
	// The body holds the run open until every DUT has been handed to the
	// harness (started, refused or never run): from then on each started
	// DUT is the harness's own goroutine, which the run waits for and
	// names should it not return. Not until the subtests end: their tails
	// (waiting for the verdict, the testing package finishing them, this
	// goroutine being scheduled to see them done) would count as the
	// body's, and a late one had the harness report the body stuck.
	var handed sync.WaitGroup
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseBody := func() { releaseOnce.Do(func() { close(release) }) }
	done := make(chan struct{})
	var (
		rec    *harness.Record
		runErr error
	)
	out := &lateSafe{w: t.Output()}
	logger := harness.NewConsole(out).Logger().Level(zerolog.WarnLevel)
	all := append([]harness.Option{harness.WithLogger(logger), harness.WithSafeStateTimeout(5 * time.Second)}, opts...)
	all = append(all, harness.WithMeasurementHook(r.measured))
	var store *results.Store
	if path := os.Getenv(results.EnvStore); path != "" {
		var err error
		if store, err = results.Open(path); err != nil {
			t.Fatalf("hwtest: the station store ($%s): %v", results.EnvStore, err)
		}
		all = append(all, harness.WithSink(store))
		if db := os.Getenv(results.EnvCentral); db != "" {
			// Store and forward to the fleet's central database as the run
			// goes; closing the store at the end sends what is left (for
			// up to 10 s: what it cannot send waits in the outbox for the
			// next station sync). The test never waits for the network.
			store.ReplicateTo(db, results.ReplicaOptions{Log: logger, FinalSync: 10 * time.Second})
		}
	}
	go func() {
		defer close(done)
		defer cancel()
		rec, runErr = harness.Run(ctx, t.Name(), func(ht *harness.Test) error {
			r.ht = ht
			err := setup(r)
			r.started.Store(true)
			if err != nil {
				return err
			}
			close(setupDone)
			// Not Stopping: a DUT subtest may still be about to start
			// its DUT, and the run must outlive every start.
			<-release
			return nil
		}, all...)
	}()
	// The run ends once every DUT subtest has returned, in Run itself, so
	// the test's time is the run's; and from t.Cleanup too, should Run not
	// get there (a t.FailNow, a panic, -timeout): once either way.
	var once sync.Once
	end := func() {
		t.Helper()
		once.Do(func() {
			t.Helper()
			releaseBody()
			<-done
			if store != nil {
				if rec != nil {
					t.Logf("stored: run %s in %s", rec.ID, store.Path())
				}
				store.Close()
			}
			r.finish(rec, runErr)
			out.close()
			r.mu.Lock()
			r.over = true
			r.mu.Unlock()
		})
	}
	t.Cleanup(end)
	select {
	case <-setupDone:
	case <-done:
		t.FailNow() // setup failed; the cleanup reports why
	}
	// Each DUT is a subtest of its own, all running at once, each on a
	// goroutine of Run's: not parallel subtests, which go test's
	// -parallel (GOMAXPROCS by default) would run only a few at a time,
	// and which start only after the test function has returned.
	var duts sync.WaitGroup
	handed.Add(len(r.decls))
	for _, decl := range r.decls {
		handedOff := sync.OnceFunc(handed.Done)
		duts.Go(func() {
			t.Run(decl.name, func(st *testing.T) { r.runDUT(st, decl, handedOff) })
			handedOff() // a subtest that never ran (-run, -failfast) or ended before starting its DUT
		})
	}
	go func() {
		handed.Wait()
		releaseBody()
	}()
	duts.Wait()
	end()
}

// finish reports the run's end on t and keeps its record for Main.
func (r *R) finish(rec *harness.Record, err error) {
	t := r.t
	t.Helper()
	if rec != nil {
		r.byDeclaration(rec)
		keep(rec)
		for _, s := range rec.SafeState {
			if s.Verified {
				t.Logf("safe state: %s (verified, %s)", s.Name, harness.FormatDuration(s.Took))
			} else {
				t.Errorf("safe state: %s not verified: %s", s.Name, s.Error)
			}
		}
		for _, f := range rec.Faults {
			if err == nil || !strings.Contains(err.Error(), f.Message) {
				t.Logf("fault from %s: %s", f.Source, f.Message)
			}
		}
	}
	var sig *harness.SignalError
	if errors.As(err, &sig) {
		interrupted.Store(true)
	}
	if err != nil {
		t.Error(err)
	}
}

// byDeclaration orders the record's DUTs as setup declared them: the
// subtests start in parallel, and the reports must not depend on which
// one the scheduler started first.
func (r *R) byDeclaration(rec *harness.Record) {
	order := map[string]int{}
	for i, decl := range r.decls {
		order[decl.name] = i
	}
	slices.SortStableFunc(rec.DUTs, func(a, b *harness.DUTRecord) int {
		ia, oka := order[a.Name]
		ib, okb := order[b.Name]
		switch {
		case oka && okb:
			return ia - ib
		case oka:
			return -1
		case okb:
			return 1
		}
		return 0
	})
}

// failFast reports whether go test -failfast was given.
func failFast() bool {
	f := flag.Lookup("test.failfast")
	return f != nil && f.Value.String() == "true"
}

// errFailed ends a DUT whose subtest failed.
var errFailed = errors.New("hwtest: the DUT's test failed")

// runDUT is the body of one DUT subtest; it calls handedOff once the
// harness has started its DUT or refused to.
func (r *R) runDUT(st *testing.T, decl dutDecl, handedOff func()) {
	if cause := r.ht.Cause(); cause != nil {
		st.Fatalf("hwtest: %s not started, the run stopped: %v", decl.name, cause)
	}
	handoff := make(chan *harness.DUTRun, 1)
	result := make(chan error, 1)
	// A DUT the harness refuses (a name another has, an empty one) never
	// gets its function called: nothing would come on handoff.
	err := r.ht.DUT(decl.name, func(hd *harness.DUTRun) error {
		handoff <- hd
		return <-result
	})
	handedOff()
	if err != nil {
		st.Fatalf("hwtest: DUT %s not started: %v", decl.name, err)
	}
	d := &DUT{DUTRun: <-handoff, t: st, cur: st}
	r.mu.Lock()
	r.active[decl.name] = d
	r.mu.Unlock()
	defer func() {
		var err error
		if p := recover(); p != nil {
			st.Errorf("hwtest: panic in DUT %s: %v\n%s", decl.name, p, debug.Stack())
			err = fmt.Errorf("hwtest: panic: %v", p)
		} else if st.Failed() && !d.limitFailed.Load() {
			err = errFailed
		}
		r.mu.Lock()
		delete(r.active, decl.name)
		r.mu.Unlock()
		result <- err
		// The verdict waits for the harness's: once the DUT has ended its
		// monitors have too, so a fault one of them raised is seen here,
		// never after the subtest has passed.
		<-d.Ended()
		if cause := d.Cause(); cause != nil {
			st.Errorf("hwtest: DUT %s stopped: %v", decl.name, cause)
		}
		if st.Failed() && failFast() {
			r.ht.Stop(fmt.Errorf("hwtest: -failfast: %s failed", st.Name()))
		}
	}()
	decl.fn(st, d)
}

// measured passes each measurement to the test that took it: as a test
// attribute (go test -json carries it as an "attr" event), and as a failure
// naming the DUT, the value, the unit and the limits when it is out of them.
// It holds the locks that guard which subtests are running while it
// writes, so a measurement taken on a helper goroutine can never reach a
// subtest that has ended (the testing package panics on that).
func (r *R) measured(m harness.Measurement, action harness.LimitAction) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.over {
		return // a goroutine that outlived the test
	}
	t, d, inPhase := r.t, r.active[m.DUT], false
	if d != nil {
		d.mu.Lock()
		defer d.mu.Unlock()
		t, inPhase = d.cur, d.phase
	}
	if b, err := json.Marshal(m); err == nil {
		t.Attr("measurement", string(b))
	}
	name := m.Name
	if m.Phase != "" {
		name = m.Phase + "/" + m.Name
	}
	msg := fmt.Sprintf("%s: %s = %s %s", m.DUT, name, strconv.FormatFloat(m.Value, 'g', 6, 64), m.Unit)
	switch {
	case m.Outcome == harness.OutcomeFail && action != harness.RecordOnly:
		msg += " outside its limits " + m.Limit.Format(m.Unit)
		if inPhase {
			d.pending = append(d.pending, msg) // reported when the phase ends, unless a retry passes
			return
		}
		if d != nil {
			d.limitFailed.Store(true)
		}
		t.Error(msg)
	case m.Outcome == harness.OutcomeFail:
		t.Log(msg + " outside its limits " + m.Limit.Format(m.Unit) + " (recorded only)")
	case m.Outcome == harness.OutcomeMarginal:
		t.Log(msg + " marginal within " + m.Limit.Format(m.Unit))
	}
}

// DUT is one DUT's subtest: the harness's DUTRun (context, PowerOn,
// Measure, OnSafeState) with phases that are subtests of their own.
type DUT struct {
	*harness.DUTRun
	t           *testing.T
	limitFailed atomic.Bool

	mu      sync.Mutex
	cur     *testing.T // the innermost running subtest: the DUT's or a phase's
	phase   bool
	pending []string
}

// T is the DUT's subtest.
func (d *DUT) T() *testing.T { return d.t }

// Phase runs fn as a phase of the harness (recorded, with its retries and
// timeout) and as the subtest t.Run(name), so go test -run can select it:
// TestBurnIn/dut-1/measure. A measurement out of its limits fails the
// phase's subtest (the last attempt's, when the phase has Retries). It
// returns the phase's error; a phase -run leaves out returns nil without
// running, so keep steps that later phases need (booting the DUT) in
// DUTRun.Phase, which records a phase without being a subtest.
func (d *DUT) Phase(name string, fn func(ctx context.Context) error, opts ...harness.PhaseOption) error {
	d.t.Helper() // a limit's failure points at the test's call of Phase
	var err error
	d.t.Run(name, func(pt *testing.T) {
		pt.Helper()
		d.mu.Lock()
		prev := d.cur
		d.cur, d.phase = pt, true
		d.mu.Unlock()
		err = d.DUTRun.Phase(name, func(ctx context.Context) error {
			d.mu.Lock()
			d.pending = nil // a retry starts afresh
			d.mu.Unlock()
			return fn(ctx)
		}, opts...)
		d.mu.Lock()
		d.cur, d.phase = prev, false
		failures := d.pending
		d.pending = nil
		d.mu.Unlock()
		for _, msg := range failures {
			d.limitFailed.Store(true)
			pt.Error(msg)
		}
		var limit *harness.LimitError
		if err != nil && !errors.As(err, &limit) {
			pt.Errorf("hwtest: phase %s: %v", name, err)
		}
	})
	return err
}
