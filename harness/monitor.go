package harness

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// Monitor watches for faults while the run goes on. A polling monitor
// runs Check every Interval (the notes' check_faults loop); an event
// monitor reacts to each error on Events at once. Either way a non-nil
// error — a fault it found, or its own I/O failing — is a fault, never
// just a log line, and Policy decides what it stops.
type Monitor struct {
	Name     string
	DUT      string // the DUT it watches: named in the fault, isolated by IsolateDUT
	Interval time.Duration
	Check    func(ctx context.Context) error
	Events   <-chan error
	Policy   Policy
}

// Monitor starts m on a goroutine the run owns. It ends when the run's
// work (the body, the DUTs and their helpers) has ended, when the run
// stops at once, when its DUT ends, or after it has raised its fault. A
// graceful stop leaves it watching while the loops finish their step. Monitors
// are watchers: a run-level one does not keep a finished run alive.
//
// A Check that fails because its session or connection was closed is
// not a fault when its DUT (or the run) is ending: closing a DUT's
// session in a defer races the monitor's last tick. It is one when the
// DUT goes on running, since the DUT is then no longer watched.
//
// A monitor of a DUT that has not started yet watches from now, as a
// run-level one would, and from its DUT's start on it is that DUT's: it
// ends with it, before the DUT's outputs go off.
func (t *Test) Monitor(m Monitor) {
	ctx, d := t.ctx, (*DUTRun)(nil)
	var early *earlyMonitor
	if m.DUT != "" {
		t.dutsMu.Lock()
		d = t.duts[m.DUT]
		if d == nil {
			early = &earlyMonitor{name: "monitor " + m.Name}
			ctx, early.cancel = context.WithCancelCause(t.ctx)
			if t.early == nil {
				t.early = map[string][]*earlyMonitor{}
			}
			t.early[m.DUT] = append(t.early[m.DUT], early)
		}
		t.dutsMu.Unlock()
		if d != nil {
			ctx = d.ctx
		}
	}
	groups := []*group{&t.watchers}
	if d != nil {
		groups = append(groups, &d.scope)
	}
	// The watch is over when ctx ends (the DUT or the run) or the run's
	// watching does (an immediate stop, or the work done).
	over, cancel := context.WithCancel(ctx)
	stopWatching := context.AfterFunc(t.watching, cancel)
	var end func()
	if early != nil {
		// After a panic or Goexit in Check has been acted on: the DUT's
		// end waits for it to leave the DUT's monitors.
		end = early.end
	}
	started := t.goWithEnd(ctx, "monitor "+m.Name, m.DUT, groups, func(ctx context.Context) error {
		defer cancel()
		defer stopWatching()
		return t.watch(ctx, over, m)
	}, func(err error) {
		// A panic or Goexit in Check is recorded as a fault already; the
		// monitor then ends like one that raised its fault.
		var f *Fault
		if errors.As(err, &f) {
			t.act(f, m.Policy)
		}
	}, end)
	if !started { // the run's work, or the DUT, is over: nothing is left to watch
		stopWatching()
		cancel()
		if early != nil {
			early.end()
		}
	}
}

// earlyMonitor is a monitor registered before its DUT started: its
// context is the run's until the DUT starts, then ends with the DUT's (and
// its cause), and it counts among the DUT's monitors, which the DUT's end
// waits for before switching its outputs off.
type earlyMonitor struct {
	name   string
	cancel context.CancelCauseFunc // ends its context
	mu     sync.Mutex
	ended  bool    // its goroutine has ended; guarded by mu
	member *member // its place in its DUT's scope, once joined; guarded by mu
}

// join makes the monitor its DUT's, as the DUT starts: t.dutsMu is held,
// and the DUT's function has not started.
func (e *earlyMonitor) join(d *DUTRun) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ended {
		return
	}
	e.member = d.scope.enter(e.name, d.name)
	// From now on the DUT's stops (DUTRun.stop) end it, and the run's
	// ends it with the run's context, its parent. A stop that came first
	// cancelled the DUT's context before DUTRun.stop read the list.
	d.earlyMu.Lock()
	d.early = append(d.early, e)
	d.earlyMu.Unlock()
	if d.ctx.Err() != nil {
		e.cancel(context.Cause(d.ctx))
	}
}

// end is called as the monitor's goroutine ends, once a panic or Goexit
// in its check has been acted on (the wrapper decides that by the
// monitor's context, which end cancels).
func (e *earlyMonitor) end() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ended = true
	if e.member != nil {
		e.member.leave()
	}
	e.cancel(context.Canceled)
}

// closedGrace is how long a monitor whose session was closed waits for
// its DUT or the run to end before it calls the closing a fault.
const closedGrace = time.Second

// watch is a monitor's loop, until over ends.
func (t *Test) watch(ctx, over context.Context, m Monitor) error {
	var tick <-chan time.Time
	if m.Check != nil {
		if m.Interval <= 0 {
			m.Interval = time.Second
		}
		ticker := time.NewTicker(m.Interval)
		defer ticker.Stop()
		tick = ticker.C
	}
	for over.Err() == nil { // an end wins over a tick that is due too
		var err error
		select {
		case <-over.Done():
			return nil
		case <-tick:
			err = m.Check(ctx)
		case e, ok := <-m.Events:
			if !ok {
				m.Events = nil
				if tick == nil {
					return nil
				}
				continue
			}
			err = e
		}
		if err == nil || ctx.Err() != nil && cutShort(ctx, err) {
			continue // a stop's doing: the call was cut short
		}
		if closedConn(err) {
			t.log.Debug().Str("monitor", m.Name).Func(dutField(m.DUT)).Err(err).Msg("harness: monitor's session closed; waiting for its DUT to end")
			if endsWithin(over, closedGrace) {
				return nil
			}
		}
		var f *Fault
		if !errors.As(err, &f) {
			f = &Fault{Source: m.Name, DUT: m.DUT, Message: err.Error(), Err: err}
		}
		if f.Source == "" {
			f.Source = m.Name
		}
		if f.DUT == "" {
			f.DUT = m.DUT
		}
		t.Fault(f, m.Policy)
		return nil
	}
	return nil
}

// cutShort reports whether err, from a check whose ctx has ended, is the
// end's doing (a call cancelled, timed out or closed under it, or the
// cause itself) rather than a finding. A finding stays a fault whatever
// ended ctx (its DUT returning, an isolation, a stop): a fault on the
// last tick is still a fault.
func cutShort(ctx context.Context, err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, scpi.ErrTimeout) || closedConn(err) || errors.Is(err, context.Cause(ctx))
}

// endsWithin reports whether ctx ends within d.
func endsWithin(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return true
	case <-timer.C:
		return false
	}
}

// closedConn reports whether err says the session or connection was
// closed by this program, not lost.
func closedConn(err error) bool {
	return errors.Is(err, scpi.ErrClosed) || errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrClosed)
}

// WatchCurrent is a polling check that measures a DUT's supply current,
// records each sample for the report's chart, and fails when it leaves
// band (amperes).
func (t *Test) WatchCurrent(dut string, psu instruments.PowerSupply, ch int, band Limit) func(ctx context.Context) error {
	samples := t.Sampler(dut, "supply current", band)
	return func(ctx context.Context) error {
		i, err := psu.MeasureCurrent(ctx, ch)
		if err != nil {
			return err
		}
		// The band first. Add never waits for the store (SampleWindow), so
		// a slow store cannot delay the fault, nor stop the polling.
		if band.check(float64(i)) == OutcomeFail {
			samples.Add(ctx, i) // kept for the chart if it can be; the fault is what matters
			return &Fault{DUT: dut, Message: "supply current " + i.String() + " outside " + band.String()}
		}
		return samples.Add(ctx, i)
	}
}

// SampleWindow is how many of a Sampler's samples may wait to be made
// durable. Add never waits for the store: a sample added while
// SampleWindow of its sampler's wait (a store that has fallen behind, its
// database locked by another process) is dropped, from the record and the
// store alike, and counted (Sampler.Dropped; the run logs the total as it
// ends). A monitor's polling, and so its fault, is never held up by the
// store, and a sampler's unconfirmed samples stay bounded.
const SampleWindow = 256

// Sampler records the readings of one monitored quantity of a DUT (or of
// the run, for dut ""), for charts: Add does not wait for samples to be
// durable, and drops the sample when SampleWindow are waiting. A crash
// loses at most the samples not yet committed, never a measurement.
type Sampler struct {
	t         *Test
	dut, name string
	band      *LimitSpec
	mu        sync.Mutex
	first     bool
	pending   []<-chan error
	dropped   int
}

// Sampler starts the series name of dut, drawn with band's limit lines.
func (t *Test) Sampler(dut, name string, band Limit) *Sampler {
	spec := band.Spec()
	return &Sampler{t: t, dut: dut, name: name, band: &spec, first: true}
}

// Add records one reading taken now, unless SampleWindow samples of the
// sampler wait for the store: it is then dropped and counted. It never
// waits for the store; its error is that of an earlier sample the store
// failed to keep.
func (s *Sampler) Add(ctx context.Context, q units.Quantity) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Confirmed samples drop off the front without waiting.
	for len(s.pending) > 0 {
		select {
		case err := <-s.pending[0]:
			s.pending = s.pending[1:]
			if err != nil {
				return s.t.await(ctx, errNow(err), "sample", s.name)
			}
			continue
		default:
		}
		break
	}
	if len(s.pending) >= SampleWindow {
		s.dropped++
		s.t.samplesDropped.Add(1)
		return nil
	}
	sample := Sample{Name: s.name, Unit: q.Unit(), Value: q.Float()}
	if s.first {
		sample.Band, s.first = s.band, false
	}
	ack := s.t.emit(Event{Kind: EventSample, DUT: s.dut, Sample: &sample})
	if ack != nil {
		s.pending = append(s.pending, ack)
	}
	return nil
}

// Dropped is how many samples Add has dropped because SampleWindow of
// them were waiting for the store.
func (s *Sampler) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}

// errNow is a channel that already holds err.
func errNow(err error) <-chan error {
	c := make(chan error, 1)
	c <- err
	return c
}
