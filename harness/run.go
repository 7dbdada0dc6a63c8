package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/instruments"
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
	// Signals makes every signal that ends a program in a terminal stop
	// the run (immediately) and run the safe state: SIGINT, SIGTERM,
	// SIGHUP, SIGQUIT, and SIGPIPE when stdout or stderr is a pipe or
	// socket whose reader has gone. Further signals are logged and ignored
	// until the safe state is done, so a second Ctrl-C does not skip it. A
	// signal the program was started with ignored (nohup, a background
	// job) stays ignored. On by default in Run.
	Signals bool
	// SafeStateTimeout bounds each safe-state action (10 s unless set).
	SafeStateTimeout time.Duration
	// GracePeriod is how long a graceful stop waits before it becomes
	// immediate (30 s unless set).
	GracePeriod time.Duration
	// ReturnGrace is how long, after an immediate stop, the harness waits
	// for the run's goroutines to return before it runs the safe state
	// anyway (200 ms unless set): the safe state never waits on user code
	// that ignores its context.
	ReturnGrace time.Duration
	// AbandonAfter is how long Run waits, once the safe state has run, for
	// goroutines that have still not returned before it returns without
	// them, naming them in the record and the error (2 s unless set).
	AbandonAfter time.Duration
	// Progress, when set, receives a one-line summary of the run as it
	// goes: redrawn in place on a terminal, a plain line every tenth
	// interval in a file or pipe (see Console; give the Console the log
	// writes to, so that log lines are drawn above the progress line). A
	// write that fails ends the progress line, never the run.
	Progress io.Writer
	// ProgressInterval is how often the progress line is redrawn on a
	// terminal (1 s).
	ProgressInterval time.Duration
	// OnMeasurement, when set, is called with each measurement once it is
	// recorded, on the goroutine that took it: a bridge to another test
	// framework's log (hwtest passes them to testing.T).
	// The action is the limit's: a RecordOnly value out of limits does not
	// fail anything.
	OnMeasurement func(m Measurement, action LimitAction)
	// Sink, when set, takes every event of the run as it happens: the
	// station store (results.Open). A measurement call returns only once
	// its event is durable there.
	Sink Sink
	// Info says who runs the test where; its Name is Run's name. Station
	// defaults to the host name, Software to the program's module version
	// and VCS revision.
	Info RunInfo
	// Prompter answers the run's prompts (DUTRun.Prompt). Unless set (or
	// given by Control), it is a TerminalPrompter on standard input and
	// output when standard input is a terminal; otherwise prompts fail
	// with ErrNoPrompter.
	Prompter Prompter
	// Control, when set, answers prompts and stops the run on request
	// (the station page's stop buttons), the way a signal does.
	Control Control
	// SeriesPoints caps the points each series of the record keeps (0:
	// DefaultSeriesPoints; at least 16). Past it a series keeps the
	// smallest and largest sample of each of its buckets, so that the
	// record's memory is bounded however long the run; every sample
	// stays in the run's events (the station store).
	SeriesPoints int
	// prompterSet says Prompter was given, even as nil: no default then.
	prompterSet bool
}

// Option sets an Option.
type Option func(*Options)

// WithLogger logs the run with l. The harness's own lines get a
// timestamp when l has none; Console.Logger is a logger for people.
func WithLogger(l zerolog.Logger) Option { return func(o *Options) { o.Logger = l } }

// WithoutSignals leaves the signals alone (for tests and programs that
// handle them).
func WithoutSignals() Option { return func(o *Options) { o.Signals = false } }

// WithSafeStateTimeout bounds each safe-state action.
func WithSafeStateTimeout(d time.Duration) Option { return func(o *Options) { o.SafeStateTimeout = d } }

// WithMeasurementHook calls f with each measurement as it is recorded.
func WithMeasurementHook(f func(m Measurement, action LimitAction)) Option {
	return func(o *Options) { o.OnMeasurement = f }
}

// WithSink sends every event of the run to s (the station store).
func WithSink(s Sink) Option { return func(o *Options) { o.Sink = s } }

// WithRunInfo says who runs the test, where, for which batch: the run's
// first event carries it.
func WithRunInfo(info RunInfo) Option { return func(o *Options) { o.Info = info } }

// WithSeriesPoints caps the points each series of the record keeps
// (Options.SeriesPoints).
func WithSeriesPoints(n int) Option { return func(o *Options) { o.SeriesPoints = n } }

// WithGracePeriod sets how long a graceful stop may take.
func WithGracePeriod(d time.Duration) Option { return func(o *Options) { o.GracePeriod = d } }

// WithReturnGrace sets how long an immediate stop waits for the run's
// goroutines before the safe state runs regardless.
func WithReturnGrace(d time.Duration) Option { return func(o *Options) { o.ReturnGrace = d } }

// WithAbandonAfter sets how long Run waits after the safe state for
// goroutines that have not returned.
func WithAbandonAfter(d time.Duration) Option { return func(o *Options) { o.AbandonAfter = d } }

// WithProgress shows the run's progress on w: a line redrawn in place on
// a terminal, summary lines in a file or pipe. Pass the Console the
// logger writes to, so that the two share the screen.
func WithProgress(w io.Writer) Option { return func(o *Options) { o.Progress = w } }

// WithProgressInterval sets how often the progress line is redrawn on a
// terminal (a file or pipe gets a line every tenth interval).
func WithProgressInterval(d time.Duration) Option { return func(o *Options) { o.ProgressInterval = d } }

// Test is a run in progress: it owns its goroutines, knows why it
// stopped, and holds the safe-state actions and the record.
type Test struct {
	name     string
	opts     Options
	console  *Console // the progress line's, when shown; set before the body starts
	log      zerolog.Logger
	ctx      context.Context
	cancel   context.CancelCauseFunc
	stopping chan struct{} // closed on any stop: loops end at their next step
	stopOnce sync.Once
	first    error // the first stop's cause; set under stopOnce, read after stopping is closed
	bodyMu   sync.Mutex
	bodyErr  error
	safe     safeStack
	id       string
	rec      *Record
	fold     *fold // builds rec; guarded by recMu
	recMu    sync.Mutex
	seq      uint64 // the last event's; guarded by recMu
	recDone  bool   // the record was handed to Run's caller; guarded by recMu
	stuck    []StuckGoroutine
	sinkOnce sync.Once
	cutBy    error // the cause of a stop that cut DUTs short; guarded by recMu
	duts     map[string]*DUTRun
	early    map[string][]*earlyMonitor // monitors of DUTs not started yet; guarded by dutsMu
	dutsMu   sync.Mutex
	cleanMu  sync.Mutex
	cleanups []func()
	// The run's goroutines, in three groups. work is the body, the DUTs
	// and the Go helpers: the run is over when it is idle. watchers are
	// the monitors: watching is cancelled when the run stops or its work
	// has ended, so a run-level monitor cannot keep a finished run alive.
	// after holds safe-state actions and cleanups, each run on a goroutine
	// of its own so that one which never returns cannot hold Run.
	work     group
	watchers group
	after    group
	watching context.Context
	endWatch context.CancelFunc
	fenceMu  sync.Mutex
	lifts    []func() // the fences the safe state put on supply outputs
	quitMu   sync.Mutex
	quitDump string // every goroutine's stack when SIGQUIT came
	// promptSeq numbers the run's prompts: "p1", "p2"...
	promptSeq atomic.Uint64
	// samplesDropped counts the samples its samplers dropped because the
	// store had fallen behind (SampleWindow).
	samplesDropped atomic.Uint64
}

// Run runs body as a test named name and returns its record. The safe
// state runs when the run's work (body and every goroutine started
// through the Test) has returned or, after an immediate stop, once
// Options.ReturnGrace has passed, whatever is still running; Run then
// waits up to Options.AbandonAfter for the rest. The error is the stop
// cause (a *Fault, a *SignalError, a context error, ErrStopped, the
// *LimitError of a StopRun limit), a failed body, one matching ErrUnsafe
// when the safe state could not be verified, or one matching ErrStuck
// when goroutines never returned; nil when the run passed or failed only
// by limits that did not stop it (see Record.Outcome). ExitCode turns the
// two into a program's exit status.
func Run(ctx context.Context, name string, body func(t *Test) error, opts ...Option) (*Record, error) {
	o := Options{Logger: zerolog.Nop(), Signals: true, SafeStateTimeout: 10 * time.Second,
		GracePeriod: 30 * time.Second, ReturnGrace: 200 * time.Millisecond, AbandonAfter: 2 * time.Second,
		ProgressInterval: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if !o.prompterSet && o.Prompter == nil {
		o.Prompter = defaultPrompter()
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	o.Info = o.Info.withDefaults(name)
	o.Info.SeriesPoints = seriesCap(o.SeriesPoints)
	id := NewRunID(time.Now())
	t := &Test{name: name, opts: o, log: stamped(o.Logger).With().Str("run", name).Str("run_id", id).Logger(), ctx: runCtx, cancel: cancel,
		stopping: make(chan struct{}), id: id, rec: newRecord(), duts: map[string]*DUTRun{}}
	t.fold = newFold(t.rec)
	t.fold.compact, t.fold.pool = true, newChunkPool()
	t.watching, t.endWatch = context.WithCancel(context.Background())
	t.recMu.Lock()
	info := o.Info
	ack := t.emitLocked(Event{Kind: EventRunStarted, Info: &info})
	t.recMu.Unlock()
	if err := awaitStart(runCtx, ack); err != nil {
		return t.endUnstarted(err, ack)
	}
	t.log.Info().Str("station", info.Station).Str("operator", info.Operator).Msg("harness: run started")

	var stopSignals func()
	if o.Signals {
		stopSignals = t.watchSignals()
	}
	stopControl := t.watchControl()
	// A stop of the parent context is a stop of the run.
	stopParent := context.AfterFunc(ctx, func() { t.stop(context.Cause(ctx), false) })
	progressDone := t.startProgress()

	// The body runs on a goroutine of its own, as the DUTs do: Run's own
	// goroutine only waits, so a body that blocks, or calls t.FailNow,
	// cannot keep the safe state from running.
	t.goWith(t.ctx, "run body", "", []*group{&t.work}, func(ctx context.Context) error {
		err := body(t)
		// An error after a stop is the stop's doing (a cancelled call): the
		// stop's cause says why.
		if err != nil && t.Cause() == nil {
			t.bodyMu.Lock()
			t.bodyErr = err
			t.bodyMu.Unlock()
		}
		return err
	}, func(err error) { t.stop(err, false) })

	select {
	case <-t.work.idleChan(): // the work has ended: the join of the notes
	case <-t.ctx.Done():
		// An immediate stop: every blocking call has been interrupted.
		// Cooperative goroutines return within moments; the safe state
		// waits for them only so long.
		waitIdle(o.ReturnGrace, &t.work, &t.watchers)
	}
	// The caller's context may have ended the run before its watcher ran:
	// its cause comes first. Then the monitors end too.
	t.stop(context.Cause(runCtx), false)
	waitIdle(o.ReturnGrace, &t.watchers)
	safeErr := t.safe.runAll(t)
	t.writeQuitDump()
	// Now wait for what is still running, within a bound.
	var stuckErr error
	if !waitIdle(o.AbandonAfter, &t.work, &t.watchers, &t.after) {
		stuckErr = t.abandon()
	}
	t.runCleanups()
	if stuckErr == nil && safeErr == nil {
		t.liftFences() // the outputs are off and nothing of the run is left to switch one on
	}
	t.work.close()
	t.watchers.close()
	progressDone()
	if stopSignals != nil {
		stopSignals()
	}
	stopControl()
	stopParent()
	cancel(nil)
	t.bodyMu.Lock()
	bodyErr := t.bodyErr
	t.bodyMu.Unlock()
	return t.finish(t.first, bodyErr, safeErr, stuckErr)
}

// abandon names the goroutines Run returns without, in the record and
// the log, and returns the error for them.
func (t *Test) abandon() error {
	var ms []*member
	for _, g := range []*group{&t.work, &t.watchers, &t.after} {
		ms = append(ms, g.members()...)
	}
	stuck := describe(ms)
	if len(stuck) == 0 {
		return nil // they returned as the bound passed
	}
	slices.SortFunc(stuck, func(a, b StuckGoroutine) int { return strings.Compare(a.Name, b.Name) })
	t.recMu.Lock()
	t.stuck = stuck
	t.recMu.Unlock()
	for _, s := range stuck {
		t.log.Error().Str("goroutine", s.Name).Func(dutField(s.DUT)).Str("state", s.State).Str("at", s.At).
			Msg("harness: goroutine did not return; its outputs stay fenced off")
	}
	return &StuckError{Goroutines: stuck, Waited: t.opts.AbandonAfter}
}

// fence fences off the outputs a safe-state action is about to switch
// off, so that a goroutine that outlived the stop cannot switch them on
// again. The fences are lifted when Run ends with every goroutine
// returned; otherwise they stay, and the supply refuses output-on for as
// long as the handle lives.
func (t *Test) fence(psu instruments.PowerSupply, channels ...int) {
	f, ok := psu.(instruments.OutputFencer)
	if !ok {
		return
	}
	lift := f.FenceOutputs(channels...)
	t.fenceMu.Lock()
	defer t.fenceMu.Unlock()
	t.lifts = append(t.lifts, lift)
}

func (t *Test) liftFences() {
	t.fenceMu.Lock()
	lifts := t.lifts
	t.lifts = nil
	t.fenceMu.Unlock()
	for _, lift := range lifts {
		lift()
	}
}

// finish settles the verdicts, ends the record with them and decides
// Run's error.
func (t *Test) finish(cause, bodyErr, safeErr, stuckErr error) (*Record, error) {
	t.recMu.Lock()
	r := t.rec
	stopped := cause != nil && !errors.Is(cause, errCompleted)
	stopCause := r.StopCause
	if stopped {
		stopCause = cause.Error()
	}
	end := r.settle(stopCause, func(d *DUTRecord) bool { return d.cut })
	var err error
	own := true      // the run's own failure (unsafe, its body, a fault), not a cut
	limited := false // a StopRun limit stopped it: the verdicts say so already
	switch {
	case safeErr != nil:
		err = safeErr
		end.Outcome = OutcomeError
	case bodyErr != nil:
		err = bodyErr
	case stopped:
		err = cause
		var f *Fault
		var le *LimitError
		own, limited = errors.As(err, &f), errors.As(err, &le)
	}
	switch {
	case err == nil:
	case limited: // its DUT failed, the DUTs it cut short are aborted
	case own:
		end.Outcome = worse(end.Outcome, OutcomeError)
	default:
		end.Outcome = worse(end.Outcome, OutcomeAborted) // cut short: a signal, a timeout, a stop
	}
	if stuckErr != nil {
		err = errors.Join(err, stuckErr)
		end.Outcome = worse(end.Outcome, OutcomeError)
	}
	end.Stuck = t.stuck
	ack := t.emitLocked(Event{Kind: EventRunEnded, End: &end})
	// Goroutines that outlived the run write, from now on, to a record
	// nobody reads: the caller's is never written again.
	t.rec, t.recDone = newRecord(), true
	t.fold = newFold(t.rec)
	t.recMu.Unlock()
	// The end is durable before Run returns, within a bound: a stalled
	// disk must not keep the program from exiting.
	bound, cancel := context.WithTimeout(context.Background(), t.opts.SafeStateTimeout)
	defer cancel()
	if werr := t.await(bound, ack, "run ended", ""); werr != nil {
		err = errors.Join(err, werr)
	}
	if n := t.samplesDropped.Load(); n > 0 {
		t.log.Warn().Uint64("dropped", n).Int("window", SampleWindow).Msg("harness: monitor samples dropped: the station store fell behind")
	}
	ev := t.log.Info()
	if err != nil {
		ev = t.log.Error().Err(err)
	}
	ev.Str("outcome", r.Outcome.String()).Str("took", FormatDuration(r.Ended.Sub(r.Started))).Msg("harness: run ended")
	return r, err
}

// errRunEnded is why an event after the end of the run is not recorded.
var errRunEnded = errors.New("the run has ended")

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

// Cause is why the run is stopping or stopped (gracefully or not), or nil
// while it runs.
func (t *Test) Cause() error {
	select {
	case <-t.stopping:
		return t.first
	default:
		return nil
	}
}

// Log is the run's logger.
func (t *Test) Log() *zerolog.Logger { return &t.log }

// Stop stops the run now: blocking calls are interrupted through the
// context, then the safe state runs. The first cause wins.
func (t *Test) Stop(cause error) { t.stop(cause, false) }

// StopGracefully lets each loop finish its current step (Stopping is
// closed, contexts are not), then stops immediately after the grace
// period.
func (t *Test) StopGracefully(cause error) { t.stop(cause, true) }

// stop stops the run with cause, gracefully or not, and reports whether
// it was the first stop (whose cause is the run's).
func (t *Test) stop(cause error, graceful bool) (first bool) {
	if cause == nil {
		cause = errCompleted
	}
	t.stopOnce.Do(func() {
		first = true
		t.first = cause
		if !errors.Is(cause, errCompleted) {
			t.cut(cause) // and records the stop
		}
		close(t.stopping)
		if graceful {
			// The monitors go on watching through the grace period: the
			// DUTs are still powered while their loops finish a step.
			timer := time.AfterFunc(t.opts.GracePeriod, func() { t.cancel(cause) })
			context.AfterFunc(t.ctx, func() { timer.Stop() })
			return
		}
		t.cancel(cause)
		t.endWatch()
	})
	// Logged outside the Once, which a later stop waits on: a log line
	// blocked on a stalled terminal must not keep an immediate stop from
	// taking effect.
	switch {
	case first && graceful:
		t.log.Warn().Err(cause).Str("grace", FormatDuration(t.opts.GracePeriod)).Msg("harness: stopping gracefully")
	case first && !errors.Is(cause, errCompleted):
		t.log.Warn().Err(cause).Msg("harness: stopping")
	}
	if !first && !graceful {
		// An immediate stop overrides a graceful one in progress, and so
		// does the end of the work (Run): the watch is over either way.
		t.cancel(cause)
		t.endWatch()
	}
	return first
}

// Go runs fn on a goroutine the run owns: Run waits for it, a panic or
// runtime.Goexit in it becomes a fault (and stops the run), an error from
// it stops the run. fn must return when its context is cancelled.
func (t *Test) Go(name string, fn func(ctx context.Context) error) {
	t.goWith(t.ctx, name, "", []*group{&t.work}, fn, func(err error) { t.Stop(err) })
}

// goWith runs fn on a goroutine counted in groups: a panic in it is a
// recorded fault, and so is a runtime.Goexit (t.FailNow, t.Fatal), which
// cannot be stopped but is seen as the goroutine unwinds. onErr gets its
// error (or fault) unless ctx has ended. It reports false, and runs
// nothing, when a group is already shut.
func (t *Test) goWith(ctx context.Context, name, dut string, groups []*group, fn func(ctx context.Context) error, onErr func(error)) bool {
	return t.goWithEnd(ctx, name, dut, groups, fn, onErr, nil)
}

// goWithEnd is goWith, with end (when not nil) called as the goroutine
// ends, after onErr, before it leaves its groups.
func (t *Test) goWithEnd(ctx context.Context, name, dut string, groups []*group, fn func(ctx context.Context) error, onErr func(error), end func()) bool {
	ms := make([]*member, 0, len(groups))
	for _, g := range groups {
		m := g.enter(name, dut)
		if m == nil {
			for _, m := range ms {
				m.leave()
			}
			return false
		}
		ms = append(ms, m)
	}
	go func() {
		for _, m := range ms {
			m.bind()
		}
		returned := false
		defer func() {
			if !returned {
				f := t.goexitFault(name, dut)
				if ctx.Err() == nil {
					onErr(f)
				}
				t.logFault(f) // once acted on
			}
			if end != nil {
				end()
			}
			for _, m := range ms {
				m.leave()
			}
		}()
		panicked, err := t.protectCtx(ctx, name, dut, fn)
		returned = true
		if err != nil && ctx.Err() == nil {
			onErr(err)
		}
		t.logFault(panicked)
	}()
	return true
}

// errGoexit is what a fault from runtime.Goexit wraps.
var errGoexit = errors.New("runtime.Goexit")

// goexitFault records the fault of a goroutine that runtime.Goexit is
// ending: what t.FailNow, t.Fatal and t.SkipNow do off the test's own
// goroutine. The caller logs it (logFault) once it has acted on it.
func (t *Test) goexitFault(name, dut string) *Fault {
	f := &Fault{Time: time.Now(), Source: name, DUT: dut, Err: errGoexit,
		Message: "runtime.Goexit ended it (t.FailNow, t.Fatal or t.SkipNow called off the test's goroutine?)"}
	t.recordFault(f)
	return f
}

// protectCtx runs fn, turning a panic into a recorded fault, which it
// returns as err and as panicked for the caller to log (logFault) once
// it has acted on it: acting comes before logging, so a stalled log (a
// terminal paused with Ctrl-S, a pipe nobody reads) cannot delay the
// isolation or the stop a panic calls for. A runtime.Goexit passes
// through: the goroutine's own wrapper sees it.
func (t *Test) protectCtx(ctx context.Context, name, dut string, fn func(ctx context.Context) error) (panicked *Fault, err error) {
	defer func() {
		if p := recover(); p != nil {
			panicked = &Fault{Time: time.Now(), Source: name, DUT: dut, Message: fmt.Sprintf("panic: %v", p),
				Err: fmt.Errorf("panic: %v\n%s", p, debug.Stack())}
			t.recordFault(panicked)
			err = panicked
		}
	}()
	return nil, fn(ctx)
}

// logFault logs a fault of a panic or a runtime.Goexit (nil: nothing),
// once the harness has acted on it.
func (t *Test) logFault(f *Fault) {
	switch {
	case f == nil:
	case errors.Is(f.Err, errGoexit):
		t.log.Error().Str("goroutine", f.Source).Func(dutField(f.DUT)).Msg("harness: runtime.Goexit became a fault")
	default:
		t.log.Error().Str("goroutine", f.Source).Func(dutField(f.DUT)).Str("panic", strings.TrimPrefix(f.Message, "panic: ")).Msg("harness: panic became a fault")
	}
}

// bounded runs fn on a goroutine of the after group with a context of
// its own bounded by timeout, and waits for it a tenth longer than that:
// a safe-state action or a cleanup that ignores its context cannot hold
// Run. A panic or Goexit in fn is a fault and its error.
func (t *Test) bounded(name, dut string, timeout time.Duration, fn func(ctx context.Context) error) error {
	m := t.after.enter(name, dut)
	if m == nil {
		return fmt.Errorf("harness: %s: the run has ended", name)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	res := make(chan error, 1)
	go func() {
		m.bind()
		returned := false
		defer func() {
			if !returned {
				f := t.goexitFault(name, dut)
				res <- f
				t.logFault(f) // once the caller has its result
			}
			m.leave()
		}()
		panicked, err := t.protectCtx(ctx, name, dut, fn)
		returned = true
		res <- err
		t.logFault(panicked)
	}()
	wait := time.NewTimer(timeout + timeout/10)
	defer wait.Stop()
	select {
	case err := <-res:
		return err
	case <-wait.C:
		return fmt.Errorf("harness: %s did not return within %v: it ignores its context", name, timeout)
	}
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
		// Whatever the policy, the DUT the fault names did not pass: the
		// record has it from the fault's event.
		t.dutsMu.Lock()
		d := t.duts[f.DUT]
		t.dutsMu.Unlock()
		if d != nil {
			t.recMu.Lock()
			d.setCause(f)
			t.recMu.Unlock()
		}
	}
	switch { // acting comes before logging: a stalled log must not delay outputs off
	case policy == IsolateDUT && f.DUT != "":
		t.isolate(f)
	case policy == StopGracefully:
		t.StopGracefully(f)
	default:
		t.Stop(f)
	}
	t.log.Error().Str("source", f.Source).Func(dutField(f.DUT)).Str("fault", f.Message).Msg("harness: fault")
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
		t.bounded(name, dut, t.opts.SafeStateTimeout, func(context.Context) error { fns[i](); return nil })
	}
}

func (t *Test) recordFault(f *Fault) {
	if f.Time.IsZero() {
		f.Time = time.Now()
	}
	t.recMu.Lock()
	defer t.recMu.Unlock()
	c := *f
	t.emitLocked(Event{Kind: EventFault, DUT: f.DUT, Fault: &c})
}

// emitLocked numbers e, folds it into the record and hands it to the
// sink; the channel (nil without a sink) says when it is durable. Events
// of goroutines that outlived the run go nowhere. t.recMu is held, which
// keeps the events in the order of their numbers.
func (t *Test) emitLocked(e Event) <-chan error {
	if t.recDone {
		if t.opts.Sink != nil {
			// A goroutine that outlived the run: what it records now is
			// in no store, and its caller must not think otherwise.
			return errNow(errRunEnded)
		}
		return nil
	}
	t.seq++
	e.Run, e.Seq = t.id, t.seq
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	// Wall clock only: a record rebuilt from stored events computes the
	// same durations as the live one (a monotonic reading is not stored).
	e.Time = e.Time.Round(0)
	t.fold.apply(&e)
	if t.opts.Sink == nil {
		return nil
	}
	return t.opts.Sink.Emit(e)
}

// emit is emitLocked for a caller not holding t.recMu.
func (t *Test) emit(e Event) <-chan error {
	t.recMu.Lock()
	defer t.recMu.Unlock()
	return t.emitLocked(e)
}

// await waits until the sink has made an event durable or refused it.
// Once ctx ends it waits half of ReturnGrace more, then returns an error matching
// ErrUnconfirmed. A sink that fails stops the run (once): a station that
// cannot keep its results must not go on testing.
//
// What was awaited is kind, then name when there is one: the two are
// joined only for an error, not on every measurement's way.
func (t *Test) await(ctx context.Context, ack <-chan error, kind, name string) error {
	if ack == nil {
		return nil
	}
	var err error
	select {
	case err = <-ack:
		// Already durable (or failed): the common case with a sink that
		// confirms at once, answered without a two-way select.
	default:
		select {
		case err = <-ack:
		case <-ctx.Done():
			// The sink has the event and may yet make it durable: it is
			// not lost because the caller was stopped. Wait as long as
			// a stop gives goroutines to return (ReturnGrace), then say
			// it is unconfirmed, not unrecorded.
			// Half of it: the call's goroutine then returns within the
			// ReturnGrace an immediate stop gives the work, and the safe
			// state is not held back by a slow store.
			grace := time.NewTimer(t.opts.ReturnGrace / 2)
			defer grace.Stop()
			select {
			case err = <-ack:
			case <-grace.C:
				return fmt.Errorf("%w: %s: still being written when the wait ended: %w", ErrUnconfirmed, awaited(kind, name), context.Cause(ctx))
			}
		}
	}
	if err == nil {
		return nil
	}
	late := errors.Is(err, errRunEnded)
	err = fmt.Errorf("%w: %s: %w", ErrNotRecorded, awaited(kind, name), err)
	if late {
		return err // nothing left to stop
	}
	t.sinkOnce.Do(func() {
		t.Fault(&Fault{Source: "station store", Message: err.Error(), Err: err}, StopAll)
	})
	return err
}

func awaited(kind, name string) string {
	if name == "" {
		return kind
	}
	return kind + " " + name
}

// awaitStart waits for the run's first event to be durable; unlike await
// it raises no fault, since the run has not started. Its error matches
// ErrNotRecorded when the sink refused the event; otherwise ctx ended
// first and it wraps ctx's cause.
func awaitStart(ctx context.Context, ack <-chan error) error {
	if ack == nil {
		return nil
	}
	select {
	case err := <-ack:
		if err != nil {
			return fmt.Errorf("%w: run started: %w", ErrNotRecorded, err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("harness: run stopped before it started: %w", context.Cause(ctx))
	}
}

// endUnstarted ends a run whose start was not confirmed: the sink refused
// run.started, or the run's context ended while it was being written.
// Nothing has been switched on and no DUT has run. Its run.ended follows
// all the same, so that a store holding run.started never shows the run
// running (a sink that refused run.started refuses it too, and drops
// what it kept of the run). It is awaited, within SafeStateTimeout, only
// when the start was not refused: then its confirmation says whether the
// store has the run, ended.
func (t *Test) endUnstarted(cause error, startAck <-chan error) (*Record, error) {
	t.cancel(cause)
	t.endWatch()
	refused := errors.Is(cause, ErrNotRecorded)
	end := RunEnd{Outcome: OutcomeAborted, StopCause: cause.Error()}
	if refused {
		end.Outcome = OutcomeError // the station cannot keep results
	}
	t.recMu.Lock()
	r := t.rec
	ack := t.emitLocked(Event{Kind: EventRunEnded, End: &end})
	t.recDone = true
	t.recMu.Unlock()
	err := cause
	if !refused {
		bound, cancel := context.WithTimeout(context.Background(), t.opts.SafeStateTimeout)
		defer cancel()
		// The sink confirms in order: run.ended after run.started.
		if werr := confirmed(bound, "run started and ended", startAck, ack); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	t.log.Error().Err(err).Msg("harness: run not started")
	return r, err
}

// confirmed waits, within ctx, for each ack in turn, and returns nil once
// every one has confirmed its event; what names them in an error.
func confirmed(ctx context.Context, what string, acks ...<-chan error) error {
	for _, ack := range acks {
		if ack == nil {
			continue
		}
		select {
		case err := <-ack:
			if err != nil {
				return fmt.Errorf("%w: %s: %w", ErrNotRecorded, what, err)
			}
		case <-ctx.Done():
			return fmt.Errorf("%w: %s: still being written: %w", ErrUnconfirmed, what, context.Cause(ctx))
		}
	}
	return nil
}

// ID is the run's ID, unique across stations and sortable by time.
func (t *Test) ID() string { return t.id }
