package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DUTRun is one DUT's part of a run: its own context (cancelled when the
// DUT is isolated or the run stops), its phases and measurements.
type DUTRun struct {
	t        *Test
	name     string
	ctx      context.Context
	cancel   context.CancelCauseFunc
	isoOnce  sync.Once
	isolated chan struct{}
	ended    chan struct{} // closed once its function has returned and its monitors and helpers have ended
	phase    string        // the phase running; guarded by t.recMu
	running  bool          // its function has not returned; guarded by t.recMu
	cause    error         // why it was stopped; guarded by t.recMu
	scope    group         // its monitors and helpers, which end before its cleanups run
	cleanMu  sync.Mutex
	cleanups []func()
	handed   bool // its cleanups have run or gone to the run's end; guarded by cleanMu
}

// DUT starts fn for one DUT on a goroutine the run owns. An error, a
// panic or a runtime.Goexit in fn ends that DUT (its safe state runs at
// once) and the others go on.
func (t *Test) DUT(name string, fn func(d *DUTRun) error) {
	ctx, cancel := context.WithCancelCause(t.ctx)
	d := &DUTRun{t: t, name: name, ctx: ctx, cancel: cancel, isolated: make(chan struct{}), ended: make(chan struct{})}
	// Under both locks, as cut takes them: a DUT that starts as the run
	// stops is cut short like the others.
	t.dutsMu.Lock()
	t.duts[name] = d
	t.recMu.Lock()
	r := t.rec.dut(name)
	d.running = true
	if t.cutBy != nil {
		d.cause, r.cut = t.cutBy, true
	}
	t.recMu.Unlock()
	t.dutsMu.Unlock()
	source := "DUT " + name
	m := t.work.enter(source, name)
	if m == nil {
		d.end(errors.New("harness: the run had ended")) // nothing of the run is left to start it in
		return
	}
	go func() {
		m.bind()
		defer m.leave()
		var err error
		returned := false
		defer func() {
			if !returned {
				err = t.goexitFault(source, name)
			}
			d.end(err)
		}()
		err = t.protectCtx(ctx, source, name, func(context.Context) error { return fn(d) })
		returned = true
	}()
}

// end follows the DUT's function: a failure isolates the DUT, then its
// monitors and helpers get ReturnGrace to end before its cleanups run (or
// go to the run's end).
func (d *DUTRun) end(err error) {
	t := d.t
	t.recMu.Lock()
	d.running = false
	t.recMu.Unlock()
	if err != nil && d.ctx.Err() == nil {
		f := &Fault{Source: "DUT " + d.name, DUT: d.name, Message: err.Error(), Err: err}
		var already *Fault
		if errors.As(err, &already) {
			f = already // a panic or Goexit, recorded already
		} else {
			t.recordFault(f)
		}
		t.isolateDUT(d, f) // cancels its context
	}
	// An error after a stop is the stop's doing: the stop is its cause.
	d.cancel(errDUTDone) // its monitors and helpers end with it
	d.scope.close()
	waitIdle(t.opts.ReturnGrace, &d.scope)
	// An isolation a monitor started may still be switching the outputs
	// off: the cleanups wait for it.
	t.safe.wait(d.name, t.opts.SafeStateTimeout+t.opts.SafeStateTimeout/10)
	d.endCleanups()
	close(d.ended)
}

// errDUTDone is the quiet cause of a DUT context whose function returned.
var errDUTDone = errors.New("harness: DUT done")

// Name is the DUT's name.
func (d *DUTRun) Name() string { return d.name }

// Test is the run the DUT belongs to.
func (d *DUTRun) Test() *Test { return d.t }

// Context is cancelled, with the cause, when the DUT is isolated or the
// run stops immediately.
func (d *DUTRun) Context() context.Context { return d.ctx }

// Stopping reports whether the DUT should end at its next step: the run
// is stopping (gracefully or not) or the DUT was isolated. Once it is
// true, Cause says why.
func (d *DUTRun) Stopping() bool {
	select {
	case <-d.t.stopping:
		return true
	case <-d.isolated:
		return true
	default:
		return d.ctx.Err() != nil && !errors.Is(context.Cause(d.ctx), errDUTDone)
	}
}

// Cause is why the DUT was stopped before its function returned: the
// fault that isolated it, or the cause of a run stop that came while it
// ran (it is then aborted). It is nil for a DUT that ran to its end.
func (d *DUTRun) Cause() error {
	d.t.recMu.Lock()
	defer d.t.recMu.Unlock()
	return d.cause
}

// Ended is closed once the DUT's function has returned, its monitors and
// helpers have ended (or been given ReturnGrace to) and its isolation, if
// any, has run: its verdict is settled.
func (d *DUTRun) Ended() <-chan struct{} { return d.ended }

// OnSafeState registers a safe-state action for this DUT: it runs when
// the DUT is isolated, or at the end of the run.
func (d *DUTRun) OnSafeState(name string, fn func(ctx context.Context) error) {
	d.t.OnSafeState(SafeState{Name: name, DUT: d.name, Run: fn})
}

// Go runs a helper goroutine for this DUT; an error, a panic or a
// runtime.Goexit isolates it. It must return when its context is
// cancelled: the DUT's cleanups wait for it.
func (d *DUTRun) Go(name string, fn func(ctx context.Context) error) {
	d.t.goWith(d.ctx, name, d.name, []*group{&d.t.work, &d.scope}, fn, func(err error) {
		var f *Fault
		if !errors.As(err, &f) {
			f = &Fault{Source: name, DUT: d.name, Message: err.Error(), Err: err}
			d.t.recordFault(f)
		}
		d.t.act(f, IsolateDUT)
	})
}

// Cleanup registers fn to close what the DUT's function opened (its own
// sessions), newest first, once nothing of the DUT can use it: after its
// monitors and helpers have ended and its safe state has run. That is
// when the DUT ends for an isolated DUT, and at the end of the run, after
// the safe state, otherwise. A defer in the DUT's function would instead
// close a session under a monitor still polling it.
func (d *DUTRun) Cleanup(fn func()) {
	d.cleanMu.Lock()
	defer d.cleanMu.Unlock()
	if d.handed {
		d.t.Cleanup(fn)
		return
	}
	d.cleanups = append(d.cleanups, fn)
}

// endCleanups runs the DUT's cleanups now if it was isolated (its safe
// state has run) or hands them to the run's end otherwise.
func (d *DUTRun) endCleanups() {
	d.cleanMu.Lock()
	fns := d.cleanups
	d.cleanups, d.handed = nil, true
	d.cleanMu.Unlock()
	select {
	case <-d.isolated:
		d.t.runCleanupList("cleanup", d.name, fns)
	default:
		for _, fn := range fns {
			d.t.Cleanup(fn)
		}
	}
}

// isolate ends the DUT a fault names: its context is cancelled with the
// fault, its safe-state actions run now, the others go on.
func (t *Test) isolate(f *Fault) {
	t.dutsMu.Lock()
	d := t.duts[f.DUT]
	t.dutsMu.Unlock()
	if d == nil {
		t.Stop(f)
		return
	}
	t.isolateDUT(d, f)
}

func (t *Test) isolateDUT(d *DUTRun, f *Fault) {
	var actions []*safeAction
	first := false
	d.isoOnce.Do(func() {
		first = true
		// Claimed before anything can see the isolation, so that the
		// DUT's end, which waits for them, finds them taken.
		actions = t.safe.take(d.name, false)
		t.recMu.Lock()
		r := t.rec.dut(d.name)
		r.Outcome = OutcomeError
		r.StopCause = f.Error()
		d.setCause(f)
		t.recMu.Unlock()
		// The context is cancelled, with its cause, before Stopping can
		// report the isolation: whoever sees the DUT stopping sees why.
		d.cancel(f)
		close(d.isolated)
	})
	if !first {
		return // already isolated
	}
	t.runSafe(actions)
	t.log.Warn().Str("dut", f.DUT).Str("fault", f.Message).Msg("harness: DUT isolated")
}

// setCause records why the DUT stopped: its own fault wins over a run's
// stop. t.recMu is held.
func (d *DUTRun) setCause(c error) {
	if _, fault := d.cause.(*Fault); !fault {
		d.cause = c
	}
}

// cut marks what a stop cuts short: each DUT whose function is still
// running, and the phase it is in, are aborted unless they end worse.
func (t *Test) cut(cause error) {
	t.dutsMu.Lock()
	defer t.dutsMu.Unlock()
	t.recMu.Lock()
	defer t.recMu.Unlock()
	t.cutBy = cause
	for _, d := range t.duts {
		if !d.running {
			continue
		}
		if d.cause == nil {
			d.cause = cause
		}
		r := t.rec.dut(d.name)
		r.cut = true
		for _, p := range r.Phases {
			if p.Ended.IsZero() {
				p.cut = true
			}
		}
	}
}

// PhaseOption configures a phase.
type PhaseOption func(*phaseOptions)

type phaseOptions struct {
	retries int
	timeout time.Duration
}

// Retries runs a failing phase again, up to n more times.
func Retries(n int) PhaseOption { return func(o *phaseOptions) { o.retries = n } }

// Timeout bounds each attempt of a phase.
func Timeout(d time.Duration) PhaseOption { return func(o *phaseOptions) { o.timeout = d } }

// Phase runs fn as a named phase of the DUT: its measurements are
// recorded under it, its outcome is pass, fail (a measurement out of its
// limits) or error (fn failed), and with Retries a failed attempt runs
// again. It returns fn's error, or a *LimitError when a limit asked to
// stop.
func (d *DUTRun) Phase(name string, fn func(ctx context.Context) error, opts ...PhaseOption) error {
	var o phaseOptions
	for _, opt := range opts {
		opt(&o)
	}
	for attempt := 1; ; attempt++ {
		ctx, cancel := d.ctx, context.CancelFunc(func() {})
		if o.timeout > 0 {
			ctx, cancel = context.WithTimeout(d.ctx, o.timeout)
		}
		d.t.recMu.Lock()
		p := d.t.rec.dut(d.name).startPhase(name, attempt)
		d.phase = name
		d.t.recMu.Unlock()
		err := d.t.protectCtx(ctx, "phase "+name, d.name, fn)
		cancel()
		d.t.recMu.Lock()
		outcome := OutcomeError
		if !d.t.recDone { // a phase that outlived its run leaves the caller's record alone
			p = d.t.rec.dut(d.name).endPhase(p, err)
			outcome = p.Outcome
		}
		d.phase = ""
		d.t.recMu.Unlock()
		var le *LimitError
		stopped := errors.As(err, &le) || d.Stopping()
		if outcome == OutcomePass || outcome == OutcomeMarginal || attempt > o.retries || stopped {
			return err
		}
		d.t.log.Info().Str("dut", d.name).Str("phase", name).Int("attempt", attempt).Msg("harness: retrying phase")
	}
}

// LimitError is a measurement out of limits whose action stops the DUT or
// the run.
type LimitError struct{ Measurement Measurement }

func (e *LimitError) Error() string {
	m := e.Measurement
	return fmt.Sprintf("harness: %s %s = %s outside %s", m.DUT, m.Name, formatValue(m.Value, m.Unit), m.Limit)
}

// Measure records a measurement of the DUT in the current phase, checks
// it against limit, and applies the limit's action: RecordOnly keeps it, Fail
// fails the phase, StopDUT and StopRun also return a *LimitError (and
// StopRun stops the run).
func (d *DUTRun) Measure(name string, value float64, unit string, limit Limit) error {
	m := Measurement{DUT: d.name, Name: name, Value: value, Unit: unit, Time: time.Now(), Limit: limit.String()}
	m.Outcome = limit.check(value)
	d.t.recMu.Lock()
	m.Phase = d.phase
	d.t.rec.dut(d.name).addMeasurement(m, limit.Action)
	d.t.rec.sample(d.name, name, unit, m.Time, value)
	d.t.rec.setBand(d.name, name, limit)
	d.t.recMu.Unlock()
	if hook := d.t.opts.OnMeasurement; hook != nil {
		hook(m, limit.Action)
	}
	if m.Outcome != OutcomeFail {
		return nil
	}
	d.t.log.Warn().Str("dut", d.name).Str("measurement", name).Float64("value", value).Str("unit", unit).
		Str("limit", m.Limit).Msg("harness: measurement out of limits")
	switch limit.Action {
	case StopDUT:
		return &LimitError{Measurement: m}
	case StopRun:
		err := &LimitError{Measurement: m}
		d.t.Fault(&Fault{Source: "limit " + name, DUT: d.name, Message: err.Error(), Err: err}, StopAll)
		return err
	}
	return nil
}
