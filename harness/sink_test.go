package harness_test

import (
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
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

// A waveform of no points (a capture that never triggered) meets no
// limit, and comes back from its events as the empty waveform it was.
func TestEmptyWaveformFails(t *testing.T) {
	sink := &captureSink{}
	rec, _ := harness.Run(bg, "empty", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error {
			return d.MeasureWaveform("ripple", harness.Waveform{Unit: "V", Axis: harness.Axis{Name: "time", Unit: "s", Step: 1e-6}},
				harness.AtMost(0.05))
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(sink))
	ms := rec.Measurements()
	if len(ms) != 1 || ms[0].Outcome != harness.OutcomeFail || rec.Outcome != harness.OutcomeFail {
		t.Fatalf("an empty waveform: %+v, run %v", ms, rec.Outcome)
	}
	// Through JSON, as the store keeps events.
	var events []harness.Event
	for _, e := range sink.all() {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back harness.Event
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		events = append(events, back)
	}
	if diff := cmp.Diff(rec, harness.Replay(events), recordCmp...); diff != "" {
		t.Errorf("replayed from JSON (-live +replayed):\n%s", diff)
	}
}

// A measurement taken after the run has ended (a goroutine that outlived
// it) is in no store: its call says so.
func TestMeasurementAfterTheRunIsNotRecorded(t *testing.T) {
	var late *harness.DUTRun
	if _, err := harness.Run(bg, "late", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error { late = d; return nil })
		return nil
	}, harness.WithoutSignals(), harness.WithSink(&captureSink{})); err != nil {
		t.Fatal(err)
	}
	if err := late.Measure("v", units.Voltage(1), harness.None()); !errors.Is(err, harness.ErrNotRecorded) {
		t.Fatalf("a measurement after the end: %v", err)
	}
}
