package harness

import (
	"context"
	"errors"
	"fmt"
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
	done bool
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
	t.safe.actions = append(t.safe.actions, &safeAction{SafeState: s})
}

// take claims the actions not yet run, newest first, that belong to dut
// ("" for all): each is run by exactly one caller.
func (s *safeStack) take(dut string, all bool) []*safeAction {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*safeAction
	for i := len(s.actions) - 1; i >= 0; i-- {
		a := s.actions[i]
		if !a.done && (all || a.DUT == dut) {
			a.done = true
			out = append(out, a)
		}
	}
	return out
}

// runAll runs every action not yet run.
func (s *safeStack) runAll(t *Test) error { return t.runSafe(s.take("", true)) }

// runSafe runs actions one by one, each with its own bounded context
// (never the run's, which may be cancelled), going on past failures, and
// records each outcome. Any failure matches ErrUnsafe.
func (t *Test) runSafe(actions []*safeAction) error {
	var errs []error
	for _, a := range actions {
		ctx, cancel := context.WithTimeout(context.Background(), t.opts.SafeStateTimeout)
		start := time.Now()
		err := t.protectCtx(ctx, "safe state: "+a.Name, a.DUT, a.Run)
		cancel()
		rec := SafeStateRecord{Name: a.Name, DUT: a.DUT, Time: start, Took: time.Since(start), Verified: err == nil}
		if err != nil {
			rec.Error = err.Error()
			errs = append(errs, fmt.Errorf("%s: %w", a.Name, err))
			t.log.Error().Err(err).Str("action", a.Name).Str("dut", a.DUT).Msg("harness: SAFE STATE NOT VERIFIED")
		} else {
			t.log.Info().Str("action", a.Name).Str("dut", a.DUT).Msg("harness: safe state verified")
		}
		t.recMu.Lock()
		t.rec.SafeState = append(t.rec.SafeState, rec)
		t.recMu.Unlock()
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrUnsafe, errors.Join(errs...))
	}
	return nil
}

// outputOff switches one supply output off and reads it back. A supply
// whose outputs share one switch (E3631A) is switched off entirely.
func outputOff(psu instruments.PowerSupply, ch int) func(ctx context.Context) error {
	return func(ctx context.Context) error {
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
	t.OnSafeState(SafeState{Name: id.Manufacturer + " " + id.Model + " all outputs off", Run: psu.SafeState})
}

// PowerOn applies power to a DUT the safe way: the safe-state action
// (this output off, read back) is registered first, then the voltage and
// current limit are set and the output switched on.
func (d *DUTRun) PowerOn(ctx context.Context, psu instruments.PowerSupply, ch int, v units.Voltage, limit units.Current) error {
	d.t.OnSafeState(SafeState{
		Name: fmt.Sprintf("%s output %d off", psu.Identity().Model, ch),
		DUT:  d.name,
		Run:  outputOff(psu, ch),
	})
	if err := psu.SetVoltage(ctx, ch, v); err != nil {
		return err
	}
	if err := psu.SetCurrentLimit(ctx, ch, limit); err != nil {
		return err
	}
	return psu.SetOutput(ctx, ch, true)
}
