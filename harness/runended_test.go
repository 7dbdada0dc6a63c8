package harness_test

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
)

// ended is the outcome in the last event, when that is run.ended.
func (s *scriptedSink) ended() harness.Outcome {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := len(s.events); n > 0 && s.events[n-1].End != nil {
		return s.events[n-1].End.Outcome
	}
	return -1
}

func (s *scriptedSink) kinds() []harness.EventKind {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []harness.EventKind
	for _, e := range s.events {
		out = append(out, e.Kind)
	}
	return out
}

// Every run.started is followed by a run.ended, also when the run never
// started: its context ended while run.started was being written (the
// store confirms both together, as a group commit does), or the store
// refused run.started. Otherwise the store shows the run running until
// it is next opened.
func TestRunEndedFollowsAnUnstartedRun(t *testing.T) {
	type outcome struct {
		Kinds       []harness.EventKind
		Ended       harness.Outcome // in the run.ended event
		Record      harness.Outcome
		Canceled    bool
		NotRecorded bool
		BodyRan     bool
	}
	started := []harness.EventKind{harness.EventRunStarted, harness.EventRunEnded}
	t.Run("context ends at the start", func(t *testing.T) {
		ctx, cancel := context.WithCancel(bg)
		defer cancel()
		var pending []chan<- error
		sink := &scriptedSink{script: func(e harness.Event, ack chan<- error) {
			pending = append(pending, ack) // Emit is called in order, one at a time
			switch e.Kind {
			case harness.EventRunStarted:
				cancel() // the operator stops the run as it starts
			case harness.EventRunEnded:
				for _, a := range pending {
					a <- nil
				}
			}
		}}
		var got outcome
		rec, err := harness.Run(ctx, "start", func(*harness.Test) error { got.BodyRan = true; return nil },
			harness.WithoutSignals(), harness.WithSink(sink))
		got.Kinds, got.Ended, got.Record = sink.kinds(), sink.ended(), rec.Outcome
		got.Canceled, got.NotRecorded = errors.Is(err, context.Canceled), errors.Is(err, harness.ErrNotRecorded)
		want := outcome{Kinds: started, Ended: harness.OutcomeAborted, Record: harness.OutcomeAborted, Canceled: true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Run: %v (-want +got):\n%s", err, diff)
		}
	})
	t.Run("store refuses the start", func(t *testing.T) {
		refused := errors.New("disk full")
		sink := &scriptedSink{script: func(e harness.Event, ack chan<- error) { ack <- refused }}
		var got outcome
		rec, err := harness.Run(bg, "start", func(*harness.Test) error { got.BodyRan = true; return nil },
			harness.WithoutSignals(), harness.WithSink(sink))
		got.Kinds, got.Ended, got.Record = sink.kinds(), sink.ended(), rec.Outcome
		got.Canceled, got.NotRecorded = errors.Is(err, context.Canceled), errors.Is(err, harness.ErrNotRecorded)
		want := outcome{Kinds: started, Ended: harness.OutcomeError, Record: harness.OutcomeError, NotRecorded: true}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Run: %v (-want +got):\n%s", err, diff)
		}
	})
}
