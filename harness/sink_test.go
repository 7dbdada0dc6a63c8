package harness_test

import (
	"slices"
	"sync"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scpikit/scpikit/harness"
)

// captureSink keeps every event, durable at once.
type captureSink struct {
	mu     sync.Mutex
	events []harness.Event
}

func (s *captureSink) Emit(e harness.Event) <-chan error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	ack := make(chan error, 1)
	ack <- nil
	return ack
}

func (s *captureSink) all() []harness.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

// recordCmp compares records as stored: a fault's Go error is not kept.
var recordCmp = []cmp.Option{cmpopts.IgnoreUnexported(harness.DUTRecord{}, harness.PhaseRecord{}),
	cmpopts.IgnoreFields(harness.Fault{}, "Err"), cmpopts.EquateNaNs()}
