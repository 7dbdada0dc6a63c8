package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/scpikit/scpikit/units"
)

// DUTRun is one DUT's part of a run: its own context (cancelled when the
// DUT is isolated or the run stops), its phases and measurements.
type DUTRun struct {
	t        *Test
	name     string
	ctx      context.Context
	cancel   context.CancelCauseFunc // ends ctx, then its early monitors' (see stop)
	isoOnce  sync.Once
	isolated chan struct{}
	ended    chan struct{} // closed once its function has returned and its monitors and helpers have ended
	phase    string        // the phase running; guarded by t.recMu
	attempt  int           // its attempt; guarded by t.recMu
	running  bool          // its function has not returned; guarded by t.recMu
	cause    error         // why it was stopped; guarded by t.recMu
	scope    group         // its monitors and helpers, which end before its cleanups run
	cleanMu  sync.Mutex
	cleanups []func()
	handed   bool // its cleanups have run or gone to the run's end; guarded by cleanMu
	specMu   sync.Mutex
	specs    [4]specMemo // the limits it measured against last; guarded by specMu
	specNext int         // the entry to replace next; guarded by specMu
	logMu    sync.Mutex
	unlogged []*Fault // panics in its phases, logged once it has ended; guarded by logMu
	logged   bool     // it has ended: log at once; guarded by logMu
	earlyMu  sync.Mutex
	early    []*earlyMonitor // its monitors registered before it started; guarded by earlyMu
}

// stop ends the DUT's context with cause, and at once, before the caller
// goes on to switch its outputs off, the contexts of its monitors
// registered before it started, which are not its context's children: a
// check after the outputs went off would read the drop as a new fault.
func (d *DUTRun) stop(cancel context.CancelCauseFunc, cause error) {
	cancel(cause)
	d.earlyMu.Lock()
	early := d.early
	d.earlyMu.Unlock()
	for _, e := range early {
		e.cancel(context.Cause(d.ctx))
	}
}

// specMemo is a limit and its spec, kept so that a DUT measuring in a
// loop against the same few limits does not allocate a spec each time
// (a spec's numbers are never written once made, so measurements can
// share them).
type specMemo struct {
	limit Limit
	spec  LimitSpec
	ok    bool
}

// spec is limit.Spec(), from the memo when the DUT met the same limit
// lately.
func (d *DUTRun) spec(limit Limit) LimitSpec {
	if limit.Check != nil {
		return limit.Spec() // a func cannot be compared
	}
	d.specMu.Lock()
	defer d.specMu.Unlock()
	for _, m := range d.specs {
		if m.ok && m.limit.same(limit) {
			return m.spec
		}
	}
	s := limit.Spec()
	d.specs[d.specNext] = specMemo{limit, s, true}
	d.specNext = (d.specNext + 1) % len(d.specs)
	return s
}

// DUTOption says what is known of a DUT as it starts.
type DUTOption func(*Unit)

// WithUnit gives what is known up front of the unit in the DUT's slot:
// its serial number (scanned, from a station file), part, revision,
// slot. What is learned later goes to DUTRun.Identify.
func WithUnit(u Unit) DUTOption { return func(x *Unit) { *x = x.Merge(u) } }

// ErrDuplicateDUT is the error of the fault recorded when a DUT is
// started under a name another DUT of the run already has.
var ErrDuplicateDUT = errors.New("harness: a DUT of this name was already started")

// ErrNoDUTName is the error of the fault recorded when a DUT is started
// with the empty name, which is the run's own: its end would take the
// run's safe-state actions (every output off) with its own.
var ErrNoDUTName = errors.New("harness: a DUT needs a name")

// DUT starts fn for one DUT on a goroutine the run owns. An error, a
// panic or a runtime.Goexit in fn ends that DUT (its safe state runs at
// once) and the others go on. Each DUT needs a name of its own, not
// empty: a DUT without one, or a second of the same name, is not started
// (fn is not called), a fault (ErrNoDUTName, ErrDuplicateDUT) fails the
// run, and DUT returns its error. DUT also returns an error, without
// calling fn, once the run has ended.
func (t *Test) DUT(name string, fn func(d *DUTRun) error, opts ...DUTOption) error {
	if name == "" {
		// The empty name is the run's: the DUT's end would run every
		// run-level safe-state action while the other DUTs run on.
		t.recordFault(&Fault{Source: "DUT", Err: ErrNoDUTName,
			Message: "a DUT was started without a name, so it was not: give each DUT (slot) a name of its own"})
		return ErrNoDUTName
	}
	var unit Unit
	for _, opt := range opts {
		opt(&unit)
	}
	ctx, cancel := context.WithCancelCause(t.ctx)
	d := &DUTRun{t: t, name: name, ctx: ctx, isolated: make(chan struct{}), ended: make(chan struct{})}
	d.cancel = func(cause error) { d.stop(cancel, cause) }
	// Under both locks, as cut takes them: a DUT that starts as the run
	// stops is cut short like the others.
	t.dutsMu.Lock()
	if _, dup := t.duts[name]; dup {
		t.dutsMu.Unlock()
		// Two DUTs of one name would share a record, and a fault that
		// isolates one would cut the other: the second is not started,
		// and the run fails rather than pass without it.
		t.recordFault(&Fault{Source: "DUT " + name, Err: ErrDuplicateDUT,
			Message: "a DUT of this name was started already, so this one was not: give each DUT (slot) a name of its own"})
		return fmt.Errorf("%w: %s", ErrDuplicateDUT, name)
	}
	t.duts[name] = d
	// Its monitors registered before it started are its own from now on.
	for _, e := range t.early[name] {
		e.join(d)
	}
	delete(t.early, name)
	t.recMu.Lock()
	t.emitLocked(Event{Kind: EventDUTStarted, DUT: name, Unit: &unit})
	r := t.fold.dut(name)
	d.running = true
	if t.cutBy != nil {
		d.cause, r.cut = t.cutBy, true
	}
	t.recMu.Unlock()
	t.dutsMu.Unlock()
	source := "DUT " + name
	m := t.work.enter(source, name)
	if m == nil {
		err := fmt.Errorf("harness: DUT %s not started: the run had ended", name)
		d.end(err) // nothing of the run is left to start it in
		return err
	}
	go func() {
		m.bind()
		defer m.leave()
		var err error
		var panicked *Fault
		returned := false
		defer func() {
			if !returned {
				panicked = t.goexitFault(source, name)
				err = panicked
			}
			d.end(err)
			t.logFault(panicked) // once the DUT is isolated
		}()
		panicked, err = t.protectCtx(ctx, source, name, func(context.Context) error { return fn(d) })
		returned = true
	}()
	return nil
}

// end follows the DUT's function: a failure isolates the DUT, then its
// monitors and helpers get ReturnGrace to end before its cleanups run (or
// go to the run's end).
func (d *DUTRun) end(err error) {
	t := d.t
	t.recMu.Lock()
	d.running = false
	var cause string
	if err != nil {
		cause = err.Error()
	}
	if err != nil && d.ctx.Err() != nil {
		// It returned an error because its context ended: the run's
		// context was cancelled or the run stopped at once, maybe
		// before the run noticed and cut its DUTs. It did not finish,
		// so it is aborted (an isolating fault keeps its own verdict).
		c := context.Cause(d.ctx)
		var f *Fault
		if !errors.As(c, &f) && !errors.Is(c, errDUTDone) && !d.ownLimit(c) {
			d.setCause(c)
			r := t.fold.dut(d.name)
			r.cut = true
			for _, p := range r.Phases {
				if p.Ended.IsZero() {
					p.cut = true
				}
			}
		}
	}
	t.emitLocked(Event{Kind: EventDUTEnded, DUT: d.name, Cause: cause})
	t.recMu.Unlock()
	// Its own limit, a StopDUT measurement's *LimitError returned as
	// Phase invites, ends it with the fail verdict its measurement gave:
	// it is no fault.
	if err != nil && d.ctx.Err() == nil && !t.stoppedBy(err) && !d.ownLimit(err) {
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
	// Its outputs go off now: a DUT that has finished is not left
	// powered, unwatched, until the others have. Not before its monitors
	// have ended: a current monitor would take the current falling for a
	// fault. (An isolation has taken them already.)
	t.runSafe(t.safe.take(d.name, false))
	// An isolation a monitor started may still be switching the outputs
	// off: the cleanups wait for it.
	t.awaitSafe(t.safe.taken(d.name))
	d.endCleanups()
	d.logMu.Lock()
	unlogged := d.unlogged
	d.unlogged, d.logged = nil, true
	d.logMu.Unlock()
	for _, f := range unlogged {
		t.logFault(f)
	}
	close(d.ended)
}

// logAtEnd logs f (a panic in a phase) once the DUT has ended, and been
// isolated if its function returned the panic's fault: a stalled log must
// not hold the DUT's goroutine before then. After the end it logs at once.
func (d *DUTRun) logAtEnd(f *Fault) {
	if f == nil {
		return
	}
	d.logMu.Lock()
	if !d.logged {
		d.unlogged = append(d.unlogged, f)
		d.logMu.Unlock()
		return
	}
	d.logMu.Unlock()
	d.t.logFault(f)
}

// stoppedBy reports whether err is the run's stop showing through: a
// graceful stop leaves contexts alone, but a call that ends because of
// it (a prompt, which any stop cancels) returns its cause. That is the
// stop's doing, not the DUT's fault.
func (t *Test) stoppedBy(err error) bool {
	cause := t.Cause()
	return cause != nil && !errors.Is(cause, errCompleted) && errors.Is(err, cause)
}

// ownLimit reports whether err is a *LimitError of one of this DUT's
// measurements: a StopDUT or StopRun limit it failed, a fail verdict.
func (d *DUTRun) ownLimit(err error) bool {
	var le *LimitError
	return errors.As(err, &le) && le.Measurement.DUT == d.name
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
		d.setCause(f) // the record has the fault from its event
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
	t.emitLocked(Event{Kind: EventStopping, Cause: cause.Error()})
	for _, d := range t.duts {
		if !d.running {
			continue
		}
		if d.ownLimit(cause) {
			// A StopRun limit it failed: the stop is its verdict (fail),
			// not something that cut it short.
			if d.cause == nil {
				d.cause = cause
			}
			continue
		}
		if d.cause == nil {
			d.cause = cause
		}
		r := t.fold.dut(d.name)
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
		d.t.emitLocked(Event{Kind: EventPhaseStarted, DUT: d.name, Phase: &PhaseEvent{Name: name, Attempt: attempt}})
		p := &PhaseRecord{Name: name, Attempt: attempt} // recorded nowhere: the run has ended
		if r := d.t.fold.dut(d.name); !d.t.recDone && len(r.Phases) > 0 {
			p = r.Phases[len(r.Phases)-1]
		}
		d.phase, d.attempt = name, attempt
		d.t.recMu.Unlock()
		panicked, err := d.t.protectCtx(ctx, "phase "+name, d.name, fn)
		d.logAtEnd(panicked) // the DUT's function may return it, for its isolation
		cancel()
		d.t.recMu.Lock()
		outcome := OutcomeError
		if !d.t.recDone { // a phase that outlived its run leaves the caller's record alone
			ended := PhaseEvent{Name: name, Attempt: attempt, Outcome: phaseOutcome(p, err)}
			if err != nil {
				ended.Error = err.Error()
			}
			d.t.emitLocked(Event{Kind: EventPhaseEnded, DUT: d.name, Phase: &ended})
			outcome = ended.Outcome
		}
		d.phase, d.attempt = "", 0
		d.t.recMu.Unlock()
		var le *LimitError
		stopped := errors.As(err, &le) || d.Stopping()
		if outcome == OutcomePass || outcome == OutcomeMarginal || attempt > o.retries || stopped {
			return err
		}
		d.t.log.Info().Str("dut", d.name).Str("phase", name).Int("attempt", attempt).Msg("harness: retrying phase")
	}
}

// phaseOutcome is a phase's outcome as it ends with err: its
// measurements', made worse by an error (aborted when a stop cut it short,
// fail when a limit asked to stop, error otherwise).
func phaseOutcome(p *PhaseRecord, err error) Outcome {
	o := p.Outcome
	if err == nil {
		return o
	}
	var limit *LimitError
	switch {
	case p.cut:
		return worse(o, OutcomeAborted) // the stop's doing
	case errors.As(err, &limit):
		return worse(o, OutcomeFail)
	}
	return worse(o, OutcomeError)
}

// LimitError is a measurement out of limits whose action stops the DUT or
// the run.
type LimitError struct{ Measurement Measurement }

func (e *LimitError) Error() string {
	m := e.Measurement
	return fmt.Sprintf("harness: %s %s = %s outside %s", m.DUT, m.Name, m.Format(), m.Limit.Format(m.Unit))
}

// MeasureOption qualifies a measurement.
type MeasureOption func(*Measurement)

// Resolution says what step the value is good to (a meter's resolution
// at its range): reports show it rounded to that.
func Resolution(step float64) MeasureOption { return func(m *Measurement) { m.Resolution = step } }

// Measure records a measurement of the DUT in the current phase, checks
// it against limit, and applies the limit's action: RecordOnly keeps it,
// Fail fails the phase, StopDUT and StopRun also return a *LimitError
// (and StopRun stops the run, with it as the cause). Either way the DUT's
// verdict is fail, also when its function returns the *LimitError; the
// other DUTs a StopRun cuts short are aborted. The value is a typed quantity, as drivers
// return them (units.Voltage...), or units.Value for any other unit.
//
// With a sink (the station store) Measure returns only once the
// measurement is durable there; an error matching ErrNotRecorded says it
// is not, and one matching ErrUnconfirmed that the DUT was stopped before
// the store confirmed it (it may still be). Either way the value is in
// the record and its limit is acted on: the error then joins the
// *LimitError and the store's.
func (d *DUTRun) Measure(name string, q units.Quantity, limit Limit, opts ...MeasureOption) error {
	v := q.Float()
	m := Measurement{DUT: d.name, Name: name, Value: v, Unit: q.Unit(), Limit: d.spec(limit)}
	m.Outcome = limit.check(v)
	return d.record(m, limit, opts)
}

// Waveform is an array of values on an axis: a trace, a sweep, a
// spectrum.
type Waveform struct {
	Unit   string
	Values []float64
	Axis   Axis
}

// MeasureWaveform records an array measurement: each point is checked
// against limit, and the worst decides (Value is then the worst point).
// Otherwise it is Measure.
func (d *DUTRun) MeasureWaveform(name string, w Waveform, limit Limit, opts ...MeasureOption) error {
	axis := w.Axis
	m := Measurement{DUT: d.name, Name: name, Values: slices.Clone(w.Values), Axis: &axis, Unit: w.Unit, Limit: d.spec(limit)}
	if m.Values == nil {
		m.Values = []float64{}
	}
	for i, v := range m.Values {
		o := limit.check(v)
		if i == 0 || o > m.Outcome {
			m.Outcome, m.Value = o, v
		}
	}
	if len(m.Values) == 0 {
		// No points (a capture that never triggered) meets no limit.
		m.Value = math.NaN()
		if m.Limit.Comparator != CompareNone {
			m.Outcome = OutcomeFail
		}
	}
	return d.record(m, limit, opts)
}

// record files a measurement, waits until it is durable, and applies its
// limit's action.
func (d *DUTRun) record(m Measurement, limit Limit, opts []MeasureOption) error {
	for _, opt := range opts {
		opt(&m)
	}
	m.Limit.Action = limit.Action
	d.t.recMu.Lock()
	m.Time = time.Now().Round(0) // as stored
	m.Phase, m.Attempt = d.phase, d.attempt
	m.Seq = d.t.seq + 1 // its event's
	ack := d.t.emitLocked(Event{Kind: EventMeasurement, DUT: d.name, Time: m.Time, Measurement: &m})
	pool := d.t.fold.pool
	d.t.recMu.Unlock()
	pool.refill() // what the next measurements' fold takes, made outside the lock
	recErr := d.t.await(d.ctx, ack, "measurement", m.Name)
	if errors.Is(recErr, errRunEnded) {
		return recErr // a goroutine that outlived the run: the value is in no record
	}
	// Whatever became of the commit (refused, or still pending when the
	// DUT was stopped), the value is in the record, so its hook and its
	// limit's action follow: a limit that says stop is never lost.
	if hook := d.t.opts.OnMeasurement; hook != nil {
		hook(m, limit.Action)
	}
	if m.Outcome != OutcomeFail {
		return recErr
	}
	var err error
	switch limit.Action {
	case StopDUT:
		err = &LimitError{Measurement: m}
	case StopRun:
		// A stop with the limit as its cause, not a fault: the DUT fails
		// (its measurement's verdict), the others are cut short.
		err = &LimitError{Measurement: m}
		d.t.Stop(err)
	}
	// Logged once the run is stopping: a stalled log must not delay it.
	d.t.log.Warn().Str("dut", d.name).Str("measurement", m.Name).Str("value", m.Format()).
		Str("limit", m.Limit.Format(m.Unit)).Msg("harness: measurement out of limits")
	if err == nil {
		return recErr
	}
	if recErr != nil {
		// Both hold: the limit stops the DUT, and the store did not
		// confirm the value.
		return errors.Join(err, recErr)
	}
	return err
}

// Identify records what the run has learned of the unit in the DUT's
// slot: its serial number read from its console or *IDN?, a scanned
// label, an operator's answer. Fields left empty keep what was known.
// With a sink, it returns once that is durable.
func (d *DUTRun) Identify(u Unit) error {
	ack := d.t.emit(Event{Kind: EventUnit, DUT: d.name, Unit: &u})
	return d.t.await(d.ctx, ack, "unit identity", "")
}

// Attach keeps data with the DUT's record: an instrument transcript, a
// screen capture, a trace. It returns once the attachment is durable.
func (d *DUTRun) Attach(name, mediaType string, data []byte) error {
	return d.t.attach(d.ctx, d.name, name, mediaType, data)
}

// Attach keeps data with the run's record; see DUTRun.Attach.
func (t *Test) Attach(name, mediaType string, data []byte) error {
	return t.attach(t.ctx, "", name, mediaType, data)
}

// ErrAttachmentTooLarge is the error of an attachment over MaxAttachment.
var ErrAttachmentTooLarge = errors.New("harness: attachment too large")

func (t *Test) attach(ctx context.Context, dut, name, mediaType string, data []byte) error {
	if len(data) > MaxAttachment {
		return fmt.Errorf("%w: %s is %d bytes, the limit %d", ErrAttachmentTooLarge, name, len(data), MaxAttachment)
	}
	if mediaType == "" {
		mediaType = "application/octet-stream"
	}
	ack := t.emit(Event{Kind: EventAttachment, DUT: dut, Attachment: &Attachment{Name: name, MediaType: mediaType, Data: slices.Clone(data)}})
	return t.await(ctx, ack, "attachment", name)
}
