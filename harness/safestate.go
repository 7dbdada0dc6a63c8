package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/units"
)

// SafeState is one registered safe-state action: a supply output off, a
// load off. Actions run exactly once, in reverse order of registration.
type SafeState struct {
	Name string
	DUT  string // the DUT it protects, "" for the whole run
	Run  func(ctx context.Context) error
}

type safeAction struct {
	SafeState
	taken    bool          // claimed by a runner; guarded by safeStack.mu
	finished chan struct{} // closed once it has run
	err      error         // its outcome, read after finished
}

type safeStack struct {
	mu      sync.Mutex
	actions []*safeAction
	closed  bool // the run's end has taken every action: nothing registered later runs
}

// ErrEnded is matched when something that needs the run's safe state
// (PowerOn) is asked after the safe state has run: a goroutine that
// outlived its stop.
var ErrEnded = errors.New("harness: the run's safe state has already run")

// OnSafeState registers an action for the end of the run (or the
// isolation of its DUT). Register it the moment the hazard exists —
// before switching power on, not as a last step.
//
// Registered after the run's safe state has run (by a goroutine that
// outlived its stop), the action is not run: it is recorded as a fault,
// and PowerOn refuses to switch the output on.
func (t *Test) OnSafeState(s SafeState) {
	if !t.safe.register(s) {
		t.recordFault(&Fault{Source: "safe state: " + s.Name, DUT: s.DUT, Err: ErrEnded,
			Message: "registered after the run's safe state had run: it will not run"})
	}
}

// register adds an action, or reports false once the run's end has taken
// them all.
func (s *safeStack) register(a SafeState) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.actions = append(s.actions, &safeAction{SafeState: a, finished: make(chan struct{})})
	return true
}

// take claims the actions not yet run, newest first, that belong to dut
// ("" for all): each is run by exactly one caller.
func (s *safeStack) take(dut string, all bool) []*safeAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	if all {
		s.closed = true
	}
	var out []*safeAction
	for i := len(s.actions) - 1; i >= 0; i-- {
		a := s.actions[i]
		if !a.taken && (all || a.DUT == dut) {
			a.taken = true
			out = append(out, a)
		}
	}
	return out
}

// runAll runs every action not yet run, then waits for those an
// isolation is running, and returns the failures of all of them: an
// isolated DUT's output that would not go off makes the run unsafe too.
func (s *safeStack) runAll(t *Test) error {
	t.runSafe(s.take("", true))
	s.mu.Lock()
	all := slices.Clone(s.actions) // every one is taken now
	s.mu.Unlock()
	var errs []error
	late := t.awaitSafe(all)
	for _, a := range all {
		if slices.Contains(late, a) {
			errs = append(errs, fmt.Errorf("%s: did not return within %v: it ignores its context", a.Name, t.opts.SafeStateTimeout))
		} else if a.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", a.Name, a.err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrUnsafe, errors.Join(errs...))
	}
	return nil
}

// taken returns the actions of dut that a runner has taken.
func (s *safeStack) taken(dut string) []*safeAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	var taken []*safeAction
	for _, a := range s.actions {
		if a.taken && a.DUT == dut {
			taken = append(taken, a)
		}
	}
	return taken
}

// awaitSafe waits for actions a runner has taken to finish, and returns those
// that did not. An isolation runs its actions one after another on its
// own goroutine, each bounded by its context (an action that ignores its
// context is given up here as bounded gives up its own), so each one
// still to finish is allowed its bound in turn: one that hangs to its
// bound cannot make the wait give up on the others.
func (t *Test) awaitSafe(actions []*safeAction) (late []*safeAction) {
	each := t.opts.SafeStateTimeout + t.opts.SafeStateTimeout/10
	var pending []*safeAction
	for _, a := range actions {
		select {
		case <-a.finished:
		default:
			pending = append(pending, a)
		}
	}
	if len(pending) == 0 {
		return nil
	}
	timer := time.NewTimer(each * time.Duration(len(pending)))
	defer timer.Stop()
	for i, a := range pending {
		select {
		case <-a.finished:
		case <-timer.C:
			for _, a := range pending[i:] {
				select {
				case <-a.finished:
				default:
					late = append(late, a)
				}
			}
			return late
		}
	}
	return nil
}

// runSafe runs actions one by one, each on a goroutine of its own with a
// bounded context of its own (never the run's, which may be cancelled),
// going on past failures, and records each outcome. The runner's own
// goroutine runs no user code: a panic, a Goexit or a hang in an action
// cannot cut the actions after it short. Nor can a log writer that
// blocks (a terminal paused with Ctrl-S, a pipe nobody reads): every
// action has run before the first is recorded and logged.
func (t *Test) runSafe(actions []*safeAction) {
	recs := make([]SafeStateRecord, len(actions))
	for i, a := range actions {
		start := time.Now()
		a.err = t.bounded("safe state: "+a.Name, a.DUT, t.opts.SafeStateTimeout, a.Run)
		recs[i] = SafeStateRecord{Name: a.Name, DUT: a.DUT, Time: start, Took: time.Since(start), Verified: a.err == nil}
		if a.err != nil {
			recs[i].Error = a.err.Error()
		}
	}
	// Recorded before finished closes: the run's end waits on it, then
	// settles the record.
	for i, a := range actions {
		t.emit(Event{Kind: EventSafeState, DUT: a.DUT, SafeState: &recs[i]})
		close(a.finished)
	}
	for i, a := range actions {
		if a.err != nil {
			t.log.Error().Err(a.err).Str("action", a.Name).Func(dutField(a.DUT)).Msg("harness: SAFE STATE NOT VERIFIED")
		} else {
			t.log.Info().Str("action", a.Name).Func(dutField(a.DUT)).Str("took", FormatDuration(recs[i].Took)).Msg("harness: safe state verified")
		}
	}
}

// outputOff fences one supply output, switches it off and reads it back.
// A supply whose outputs share one switch (E3631A) is switched off
// entirely.
func (t *Test) outputOff(psu instruments.PowerSupply, ch int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		t.fence(psu, ch)
		err := psu.SetOutput(ctx, ch, false)
		if errors.Is(err, instruments.ErrNotSupported) {
			err = psu.SetAllOutputs(ctx, false)
		}
		if err != nil {
			return err
		}
		on, err := psu.Output(ctx, ch)
		if err != nil {
			return fmt.Errorf("reading output %d back: %w", ch, err)
		}
		if on {
			return fmt.Errorf("output %d still on after switching it off", ch)
		}
		return nil
	}
}

// SupplySafeState registers the supply's own SafeState (every output
// off, read back) for the end of the run: register it before any output
// is switched on.
func (t *Test) SupplySafeState(psu instruments.PowerSupply) {
	id := psu.Identity()
	t.OnSafeState(SafeState{Name: id.Manufacturer + " " + id.Model + " all outputs off", Run: func(ctx context.Context) error {
		t.fence(psu)
		return psu.SafeState(ctx)
	}})
}

// PowerOn applies power to a DUT the safe way: the safe-state action
// (this output off, read back) is registered first, then the voltage and
// current limit are set and the output switched on.
func (d *DUTRun) PowerOn(ctx context.Context, psu instruments.PowerSupply, ch int, v units.Voltage, limit units.Current) error {
	if !d.t.safe.register(SafeState{
		Name: fmt.Sprintf("%s output %d off", psu.Identity().Model, ch),
		DUT:  d.name,
		Run:  d.t.outputOff(psu, ch),
	}) {
		return fmt.Errorf("%w: %s output %d not switched on", ErrEnded, psu.Identity().Model, ch)
	}
	if err := psu.SetVoltage(ctx, ch, v); err != nil {
		return err
	}
	if err := psu.SetCurrentLimit(ctx, ch, limit); err != nil {
		return err
	}
	return psu.SetOutput(ctx, ch, true)
}
