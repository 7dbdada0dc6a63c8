package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/rs/zerolog"
)

// ErrStopped is the cause of a run stopped without a more specific one.
var ErrStopped = errors.New("harness: run stopped")

// ErrUnsafe is matched by Run's error when a safe-state action failed or
// could not verify its outputs off: the bench may not be safe to touch.
var ErrUnsafe = errors.New("harness: safe state not verified")

// Fault is why a run (or one DUT) was stopped: which DUT, what, when.
type Fault struct {
	Time    time.Time `json:"time"`
	Source  string    `json:"source"` // the monitor, goroutine or phase that raised it
	DUT     string    `json:"dut,omitempty"`
	Message string    `json:"message"`
	Err     error     `json:"-"`
}

func (f *Fault) Error() string {
	s := "harness: fault from " + f.Source
	if f.DUT != "" {
		s += " on " + f.DUT
	}
	return s + ": " + f.Message
}

func (f *Fault) Unwrap() error { return f.Err }

// Policy is what a fault does to the run.
type Policy int

const (
	// StopAll stops the whole run at once (I/O cancelled, then safe state).
	StopAll Policy = iota
	// StopGracefully lets every loop finish its current step, then stops.
	StopGracefully
	// IsolateDUT ends only the faulted DUT: its safe state runs now, its
	// goroutines are cancelled, the others go on.
	IsolateDUT
)

// Options configure a run.
type Options struct {
	Logger zerolog.Logger
	// Signals makes SIGINT and SIGTERM stop the run (immediately) and run
	// the safe state; further signals are logged and ignored until it is
	// done, so a second Ctrl-C does not skip it. On by default in Run.
	Signals bool
	// SafeStateTimeout bounds each safe-state action (10 s unless set).
	SafeStateTimeout time.Duration
	// GracePeriod is how long a graceful stop waits before it becomes
	// immediate (30 s unless set).
	GracePeriod time.Duration
	// Progress, when set, receives a one-line summary of the run as it
	// goes (a terminal's stderr, say).
	Progress *os.File
	// ProgressInterval is how often the progress line is redrawn (1 s).
	ProgressInterval time.Duration
	// OnMeasurement, when set, is called with each measurement once it is
	// recorded, on the goroutine that took it: a bridge to another test
	// framework's log (hwtest passes them to testing.T).
	// The action is the limit's: a RecordOnly value out of limits does not
	// fail anything.
	OnMeasurement func(m Measurement, action LimitAction)
}

// Option sets an Option.
type Option func(*Options)

// WithLogger logs the run with l.
func WithLogger(l zerolog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithoutSignals leaves SIGINT and SIGTERM alone (for tests and programs
// that handle them).
func WithoutSignals() Option { return func(o *Options) { o.Signals = false } }

// WithSafeStateTimeout bounds each safe-state action.
func WithSafeStateTimeout(d time.Duration) Option { return func(o *Options) { o.SafeStateTimeout = d } }

// WithMeasurementHook calls f with each measurement as it is recorded.
func WithMeasurementHook(f func(m Measurement, action LimitAction)) Option {
	return func(o *Options) { o.OnMeasurement = f }
}

// WithGracePeriod sets how long a graceful stop may take.
func WithGracePeriod(d time.Duration) Option { return func(o *Options) { o.GracePeriod = d } }

// WithProgress draws a live progress line on f.
func WithProgress(f *os.File) Option { return func(o *Options) { o.Progress = f } }

// Test is a run in progress: it owns its goroutines, knows why it
// stopped, and holds the safe-state actions and the record.
type Test struct {
	name     string
	opts     Options
	log      zerolog.Logger
	ctx      context.Context
	cancel   context.CancelCauseFunc
	stopping chan struct{} // closed on any stop: loops end at their next step
	stopOnce sync.Once
	first    error // the first stop's cause; set under stopOnce
	wg       sync.WaitGroup
	safe     safeStack
	rec      *Record
	recMu    sync.Mutex
	duts     map[string]*DUTRun
	dutsMu   sync.Mutex
	cleanMu  sync.Mutex
	cleanups []func()
	// The monitors are watchers, not work: watching is cancelled when the
	// run stops or its work (the body, the DUTs, the Go helpers) has
	// ended, so a run-level monitor cannot keep a finished run alive.
	watching context.Context
	endWatch context.CancelFunc
	watchers scope
}

// Run runs body as a test named name and returns its record. It returns
// only when body and every goroutine started through the Test have
// ended and the safe-state actions have run. The error is the stop cause
// (a *Fault, a context error, ErrStopped), a failed body, or one matching
// ErrUnsafe when the safe state could not be verified; nil when the run
// passed or failed only by its measurements' limits (see Record.Outcome).
func Run(ctx context.Context, name string, body func(t *Test) error, opts ...Option) (*Record, error) {
	o := Options{Logger: zerolog.Nop(), Signals: true, SafeStateTimeout: 10 * time.Second,
		GracePeriod: 30 * time.Second, ProgressInterval: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	t := &Test{name: name, opts: o, log: o.Logger.With().Str("run", name).Logger(), ctx: runCtx, cancel: cancel,
		stopping: make(chan struct{}), rec: newRecord(name), duts: map[string]*DUTRun{}}
	t.watching, t.endWatch = context.WithCancel(context.Background())
	t.log.Info().Msg("harness: run started")

	var stopSignals func()
	if o.Signals {
		stopSignals = t.watchSignals()
	}
	// A stop of the parent context is a stop of the run.
	context.AfterFunc(ctx, func() { t.stop(context.Cause(ctx), false) })
	progressDone := t.startProgress()

	bodyErr := t.protect("run body", "", func(ctx context.Context) error { return body(t) })
	if bodyErr != nil {
		t.stop(bodyErr, false)
	}
	t.wg.Wait() // the work has ended: the join of the notes
	t.endWatch()
	t.watchers.close() // and so have the monitors
	// The caller's context may have ended the run before its watcher ran:
	// its cause comes first.
	t.stop(context.Cause(runCtx), false)
	safeErr := t.safe.runAll(t)
	t.runCleanups()
	progressDone()
	if stopSignals != nil {
		stopSignals()
	}
	cancel(nil)
	return t.finish(t.first, bodyErr, safeErr)
}

// finish closes the record and decides Run's error.
func (t *Test) finish(cause, bodyErr, safeErr error) (*Record, error) {
	t.recMu.Lock()
	defer t.recMu.Unlock()
	r := t.rec
	r.Ended = time.Now()
	if cause != nil && !errors.Is(cause, errCompleted) {
		r.StopCause = cause.Error()
	}
	r.close()
	var err error
	switch {
	case safeErr != nil:
		err = safeErr
		r.Outcome = OutcomeError
	case bodyErr != nil:
		err = bodyErr
	case cause != nil && !errors.Is(cause, errCompleted):
		err = cause
	}
	if err != nil && r.Outcome == OutcomePass {
		r.Outcome = OutcomeError
	}
	ev := t.log.Info()
	if err != nil {
		ev = t.log.Error().Err(err)
	}
	ev.Str("outcome", r.Outcome.String()).Dur("took", r.Ended.Sub(r.Started)).Msg("harness: run ended")
	return r, err
}

// errCompleted is the cause recorded when a run ends by itself.
var errCompleted = errors.New("harness: run completed")

// Context is cancelled, with the stop's cause, when the run stops
// immediately; pass it to every blocking call.
func (t *Test) Context() context.Context { return t.ctx }

// Stopping is closed when the run is told to stop, gracefully or not:
// loops check it between steps.
func (t *Test) Stopping() <-chan struct{} { return t.stopping }

// Stopped reports whether the run is stopping.
func (t *Test) Stopped() bool {
	select {
	case <-t.stopping:
		return true
	default:
		return false
	}
}

// Cause is why the run stopped, or nil while it runs.
func (t *Test) Cause() error { return context.Cause(t.ctx) }

// Log is the run's logger.
func (t *Test) Log() *zerolog.Logger { return &t.log }

// Stop stops the run now: blocking calls are interrupted through the
// context, then the safe state runs. The first cause wins.
func (t *Test) Stop(cause error) { t.stop(cause, false) }

// StopGracefully lets each loop finish its current step (Stopping is
// closed, contexts are not), then stops immediately after the grace
// period.
func (t *Test) StopGracefully(cause error) { t.stop(cause, true) }

func (t *Test) stop(cause error, graceful bool) {
	if cause == nil {
		cause = errCompleted
	}
	first := false
	t.stopOnce.Do(func() {
		first = true
		t.first = cause
		close(t.stopping)
		t.endWatch()
		if graceful {
			t.log.Warn().Err(cause).Dur("grace", t.opts.GracePeriod).Msg("harness: stopping gracefully")
			t.cause(cause)
			timer := time.AfterFunc(t.opts.GracePeriod, func() { t.cancel(cause) })
			context.AfterFunc(t.ctx, func() { timer.Stop() })
			return
		}
		if !errors.Is(cause, errCompleted) {
			t.log.Warn().Err(cause).Msg("harness: stopping")
		}
		t.cancel(cause)
	})
	if !first && !graceful {
		t.cancel(cause) // an immediate stop overrides a graceful one in progress
	}
}

// cause records the first stop cause for a graceful stop, whose context
// is cancelled only later.
func (t *Test) cause(c error) {
	t.recMu.Lock()
	defer t.recMu.Unlock()
	if t.rec.StopCause == "" {
		t.rec.StopCause = c.Error()
	}
}

// Go runs fn on a goroutine the run owns: Run waits for it, a panic in it
// becomes a fault (and stops the run), an error from it stops the run.
// fn must return when its context is cancelled.
func (t *Test) Go(name string, fn func(ctx context.Context) error) {
	t.goWith(t.ctx, name, "", fn, func(err error) { t.Stop(err) })
}

func (t *Test) goWith(ctx context.Context, name, dut string, fn func(ctx context.Context) error, onErr func(error)) {
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		if err := t.protectCtx(ctx, name, dut, fn); err != nil && ctx.Err() == nil {
			onErr(err)
		}
	}()
}

// protect runs fn, turning a panic into a recorded fault.
func (t *Test) protect(name, dut string, fn func(ctx context.Context) error) error {
	return t.protectCtx(t.ctx, name, dut, fn)
}

func (t *Test) protectCtx(ctx context.Context, name, dut string, fn func(ctx context.Context) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			f := &Fault{Time: time.Now(), Source: name, DUT: dut, Message: fmt.Sprintf("panic: %v", p),
				Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			t.log.Error().Str("goroutine", name).Str("dut", dut).Interface("panic", p).Msg("harness: panic became a fault")
			t.recordFault(f)
			err = f
		}
	}()
	return fn(ctx)
}

// Fault records a fault and applies its policy.
func (t *Test) Fault(f *Fault, policy Policy) {
	if f.Time.IsZero() {
		f.Time = time.Now()
	}
	t.recordFault(f)
	t.act(f, policy)
}

// act applies policy to a recorded fault.
func (t *Test) act(f *Fault, policy Policy) {
	if f.DUT != "" {
		// Whatever the policy, the DUT the fault names did not pass.
		t.recMu.Lock()
		r := t.rec.dut(f.DUT)
		r.Outcome = OutcomeError
		if r.StopCause == "" {
			r.StopCause = f.Error()
		}
		t.recMu.Unlock()
	}
	t.log.Error().Str("source", f.Source).Str("dut", f.DUT).Str("fault", f.Message).Msg("harness: fault")
	switch {
	case policy == IsolateDUT && f.DUT != "":
		t.isolate(f)
	case policy == StopGracefully:
		t.StopGracefully(f)
	default:
		t.Stop(f)
	}
}

// Cleanup registers fn to run at the end of the run, after the safe
// state, newest first: closing sessions and files, nothing that makes
// the bench safe (that is OnSafeState's).
func (t *Test) Cleanup(fn func()) {
	t.cleanMu.Lock()
	defer t.cleanMu.Unlock()
	t.cleanups = append(t.cleanups, fn)
}

func (t *Test) runCleanups() {
	t.cleanMu.Lock()
	fns := t.cleanups
	t.cleanups = nil
	t.cleanMu.Unlock()
	t.runCleanupList("cleanup", "", fns)
}

// runCleanupList runs fns newest first; a panic in one is a recorded
// fault and the rest still run.
func (t *Test) runCleanupList(name, dut string, fns []func()) {
	for i := len(fns) - 1; i >= 0; i-- {
		t.protect(name, dut, func(context.Context) error { fns[i](); return nil })
	}
}

func (t *Test) recordFault(f *Fault) {
	if f.Time.IsZero() {
		f.Time = time.Now()
	}
	t.recMu.Lock()
	defer t.recMu.Unlock()
	t.rec.Faults = append(t.rec.Faults, *f)
}

// SignalError is the stop cause of a run that SIGINT or SIGTERM ended.
type SignalError struct{ Signal os.Signal }

func (e *SignalError) Error() string { return fmt.Sprintf("harness: %v received", e.Signal) }

// watchSignals turns SIGINT and SIGTERM into an immediate stop, and keeps
// catching them (logged, ignored) until the safe state is done.
func (t *Test) watchSignals() (stop func()) {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n := 0
		for {
			select {
			case sig := <-ch:
				n++
				if n == 1 {
					t.Stop(&SignalError{Signal: sig})
				} else {
					t.log.Warn().Str("signal", sig.String()).Msg("harness: safe state in progress; signal ignored")
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
	}
}
