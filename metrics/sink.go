package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/scpikit/scpikit/harness"
)

// Sink counts every event a run emits on its way to next (the station
// store; nil for none), so that the counts are folds of the same stream
// as the record and the store. Measurements are counted once next has
// stored them (a measurement the store refused is in no record, and a
// yield read from here must not count it); other events as they are
// emitted, so that a run the store lost is still seen to end and its
// fault counted. Counting costs a few atomic additions and, for the
// events that open and close a span (run, phase, prompt), a map entry
// under a lock; it never blocks the run.
//
//	rec, err := harness.Run(ctx, "burn-in", body, harness.WithSink(m.Sink(store)))
func (m *Metrics) Sink(next harness.Sink) harness.Sink { return &sink{m: m, next: next} }

type sink struct {
	m    *Metrics
	next harness.Sink
}

func (s *sink) Emit(e harness.Event) <-chan error {
	s.m.count(&e)
	if s.next == nil {
		s.m.countMeasurement(&e)
		return nil // nothing to wait for: the harness takes a nil channel as durable
	}
	stored := s.next.Emit(e)
	if e.Kind != harness.EventMeasurement || stored == nil {
		s.m.countMeasurement(&e)
		return stored
	}
	// Counted before the caller hears it is stored, so a scrape after
	// Measure returns sees it.
	ack := make(chan error, 1)
	go func() {
		err := <-stored
		if err == nil {
			s.m.countMeasurement(&e)
		}
		ack <- err
	}()
	return ack
}

// countMeasurement counts a stored measurement by its outcome.
func (m *Metrics) countMeasurement(e *harness.Event) {
	if ms := e.Measurement; e.Kind == harness.EventMeasurement && ms != nil {
		m.measurements.WithLabelValues(ms.Outcome.String()).Inc()
		if ms.Outcome == harness.OutcomeFail {
			m.outOfLimits.WithLabelValues(m.measNames.bound(ms.Name)).Inc()
		}
	}
}

// count folds one event into the metrics.
func (m *Metrics) count(e *harness.Event) {
	m.kindCounter(e.Kind).Inc()
	switch e.Kind {
	case harness.EventSample:
		// The most frequent event (monitors at 1 kHz): its kind's count
		// is all there is to it.
	case harness.EventMeasurement:
		// Counted by outcome once stored (countMeasurement).
	case harness.EventRunStarted:
		m.mu.Lock()
		m.started[e.Run] = e.Time
		m.mu.Unlock()
		m.runsActive.Inc()
	case harness.EventRunEnded:
		m.mu.Lock()
		start, ok := m.started[e.Run]
		delete(m.started, e.Run)
		for k := range m.phaseAt {
			if k.run == e.Run {
				delete(m.phaseAt, k)
			}
		}
		for k := range m.asked {
			if k.run == e.Run {
				delete(m.asked, k)
			}
		}
		m.mu.Unlock()
		if ok { // a run this Metrics saw start
			m.runsActive.Dec()
			m.runDuration.Observe(e.Time.Sub(start).Seconds())
		}
		if end := e.End; end != nil {
			m.runs.WithLabelValues(end.Outcome.String()).Inc()
			for _, d := range end.DUTs {
				m.units.WithLabelValues(d.Outcome.String()).Inc()
			}
		}
	case harness.EventPhaseStarted:
		if p := e.Phase; p != nil {
			m.mu.Lock()
			m.phaseAt[phaseKey{e.Run, e.DUT, p.Name, p.Attempt}] = e.Time
			m.mu.Unlock()
		}
	case harness.EventPhaseEnded:
		if p := e.Phase; p != nil {
			k := phaseKey{e.Run, e.DUT, p.Name, p.Attempt}
			m.mu.Lock()
			start, ok := m.phaseAt[k]
			delete(m.phaseAt, k)
			m.mu.Unlock()
			name := m.phaseNames.bound(p.Name)
			m.phases.WithLabelValues(name, p.Outcome.String()).Inc()
			if ok {
				m.phaseDur.WithLabelValues(name).Observe(e.Time.Sub(start).Seconds())
			}
		}
	case harness.EventFault:
		m.faults.Inc()
	case harness.EventSafeState:
		if s := e.SafeState; s != nil {
			m.safeActions.Inc()
			if !s.Verified {
				m.safeFailures.Inc()
			}
		}
	case harness.EventPrompt:
		if p := e.Prompt; p != nil {
			m.prompts.Inc()
			m.mu.Lock()
			m.asked[promptKey{e.Run, p.ID}] = e.Time
			m.mu.Unlock()
		}
	case harness.EventPromptAnswered, harness.EventPromptCancelled:
		if p := e.Prompt; p != nil {
			k := promptKey{e.Run, p.ID}
			m.mu.Lock()
			asked, ok := m.asked[k]
			delete(m.asked, k)
			m.mu.Unlock()
			if e.Kind == harness.EventPromptAnswered {
				m.answered.Inc()
				if ok {
					m.promptWait.Observe(e.Time.Sub(asked).Seconds())
				}
				return
			}
			reason := p.Reason
			switch reason {
			case harness.PromptStopped, harness.PromptTimeout, harness.PromptRefused, harness.PromptFailed:
			default:
				reason = harness.PromptFailed
			}
			m.cancelled.WithLabelValues(reason).Inc()
		}
	}
}

// kindCounter is the events_total counter of kind, resolved once.
func (m *Metrics) kindCounter(k harness.EventKind) prometheus.Counter {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.kindCtr[k]
	if !ok {
		c = m.events.WithLabelValues(m.kinds.bound(string(k)))
		if len(m.kindCtr) < maxLabelValues { // unknown kinds past the bound are not cached
			m.kindCtr[k] = c
		}
	}
	return c
}
