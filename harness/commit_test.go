package harness_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
)

// scriptedSink keeps every event and answers each as its script says: at
// once, with an error, later, or never.
type scriptedSink struct {
	mu     sync.Mutex
	events []harness.Event
	script func(e harness.Event, ack chan<- error)
}

func (s *scriptedSink) Emit(e harness.Event) <-chan error {
	s.mu.Lock()
	s.events = append(s.events, e)
	s.mu.Unlock()
	ack := make(chan error, 1)
	s.script(e, ack)
	return ack
}

// A limit that says stop is acted on whatever becomes of its
// measurement's commit, and Measure's error says truthfully whether the
// value is stored: the DUT stopped (isolated by a fault) while the store
// was writing it, and the store then confirmed it, never did, or refused
// it.
func TestStopLimitActedOnWhateverBecomesOfItsCommit(t *testing.T) {
	type outcome struct {
		Limit       bool // Measure's error is the limit's *LimitError
		NotRecorded bool
		Unconfirmed bool
		Hooked      []string // what the measurement hook saw
		RunStopped  bool     // the StopRun limit is the run's stop cause
	}
	cases := []struct {
		name   string
		grace  time.Duration
		action harness.LimitAction
		// commit answers the measurement's ack once the DUT has been
		// isolated (nothing: never, before Run returns).
		commit func(ack chan<- error)
		want   outcome
	}{
		{"confirmed after the stop", time.Minute, harness.StopRun,
			func(ack chan<- error) { ack <- nil },
			outcome{Limit: true, Hooked: []string{"v"}, RunStopped: true}},
		{"still pending", time.Millisecond, harness.StopRun,
			func(chan<- error) {},
			outcome{Limit: true, Unconfirmed: true, Hooked: []string{"v"}, RunStopped: true}},
		{"refused", time.Minute, harness.StopDUT,
			func(ack chan<- error) { ack <- errors.New("disk full") },
			outcome{Limit: true, NotRecorded: true, Hooked: []string{"v"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			held := make(chan chan<- error, 1)
			sink := &scriptedSink{script: func(e harness.Event, ack chan<- error) {
				if e.Kind == harness.EventMeasurement {
					held <- ack // answered by the test
					return
				}
				ack <- nil
			}}
			var mu sync.Mutex
			var got outcome
			hook := func(m harness.Measurement, _ harness.LimitAction) {
				mu.Lock()
				defer mu.Unlock()
				got.Hooked = append(got.Hooked, m.Name)
			}
			var measured error
			_, runErr := harness.Run(bg, "commit", func(tt *harness.Test) error {
				tt.DUT("a", func(d *harness.DUTRun) error {
					measured = d.Measure("v", units.Voltage(2), harness.AtMost(1).Then(tc.action))
					return measured
				})
				ack := <-held
				// The DUT's context ends while its measurement is written.
				tt.Fault(&harness.Fault{Source: "lid", DUT: "a", Message: "lid open"}, harness.IsolateDUT)
				tc.commit(ack)
				return nil
			}, harness.WithoutSignals(), harness.WithSink(sink), harness.WithReturnGrace(tc.grace),
				harness.WithMeasurementHook(hook))
			var le *harness.LimitError
			got.Limit = errors.As(measured, &le)
			got.NotRecorded = errors.Is(measured, harness.ErrNotRecorded)
			got.Unconfirmed = errors.Is(measured, harness.ErrUnconfirmed)
			got.RunStopped = errors.As(runErr, &le) && le.Measurement.Name == "v"
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Measure: %v; Run: %v (-want +got):\n%s", measured, runErr, diff)
			}
		})
	}
}
