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
}

// OnSafeState registers an action for the end of the run (or the
// isolation of its DUT). Register it the moment the hazard exists —
// before switching power on, not as a last step.
func (t *Test) OnSafeState(s SafeState) {
	t.safe.mu.Lock()
	defer t.safe.mu.Unlock()
	t.safe.actions = append(t.safe.actions, &safeAction{SafeState: s, finished: make(chan struct{})})
}

// take claims the actions not yet run, newest first, that belong to dut
// ("" for all): each is run by exactly one caller.
func (s *safeStack) take(dut string, all bool) []*safeAction {
	s.mu.Lock()
	defer s.mu.Unlock()
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
	t.runSafe(s.take("", true), false)
	s.mu.Lock()
	all := slices.Clone(s.actions)
	s.mu.Unlock()
	var errs []error
	for _, a := range all {
		// An isolation runs its actions on its own goroutine, bounded by
		// their contexts; one that ignores its context is given up here
		// as bounded gives up its own.
		wait := time.NewTimer(t.opts.SafeStateTimeout + t.opts.SafeStateTimeout/10)
		select {
		case <-a.finished:
			if a.err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", a.Name, a.err))
			}
		case <-wait.C:
			errs = append(errs, fmt.Errorf("%s: did not return within %v: it ignores its context", a.Name, t.opts.SafeStateTimeout))
		}
		wait.Stop()
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrUnsafe, errors.Join(errs...))
	}
	return nil
}

// runSafe runs actions one by one, each with a bounded context of its own
// (never the run's, which may be cancelled), going on past failures, and
// records each outcome. At the end of the run each runs on a goroutine of
// its own (bounded), since Run's goroutine is its caller's; an isolation,
// already on a goroutine of the run, runs them inline (fast), and a
// runtime.Goexit in one still settles it.
func (t *Test) runSafe(actions []*safeAction, inline bool) {
	for _, a := range actions {
		t.runAction(a, inline)
	}
}

func (t *Test) runAction(a *safeAction, inline bool) {
	name := "safe state: " + a.Name
	start := time.Now()
	var err error
	returned := false
	defer func() {
		if !returned {
			err = t.goexitFault(name, a.DUT) // settled, then the goroutine goes on ending
		}
		rec := SafeStateRecord{Name: a.Name, DUT: a.DUT, Time: start, Took: time.Since(start), Verified: err == nil}
		if err != nil {
			rec.Error = err.Error()
			t.log.Error().Err(err).Str("action", a.Name).Str("dut", a.DUT).Msg("harness: SAFE STATE NOT VERIFIED")
		} else {
			t.log.Info().Str("action", a.Name).Str("dut", a.DUT).Dur("took", rec.Took).Msg("harness: safe state verified")
		}
		t.recMu.Lock()
		t.rec.SafeState = append(t.rec.SafeState, rec)
		t.recMu.Unlock()
		a.err = err
		close(a.finished)
	}()
	if inline {
		ctx, cancel := context.WithTimeout(context.Background(), t.opts.SafeStateTimeout)
		err = t.protectCtx(ctx, name, a.DUT, a.Run)
		cancel()
	} else {
		err = t.bounded(name, a.DUT, t.opts.SafeStateTimeout, a.Run)
	}
	returned = true
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
	d.t.OnSafeState(SafeState{
		Name: fmt.Sprintf("%s output %d off", psu.Identity().Model, ch),
		DUT:  d.name,
		Run:  d.t.outputOff(psu, ch),
	})
	if err := psu.SetVoltage(ctx, ch, v); err != nil {
		return err
	}
	if err := psu.SetCurrentLimit(ctx, ch, limit); err != nil {
		return err
	}
	return psu.SetOutput(ctx, ch, true)
}
