package resultstest

import (
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
)

// Emitter takes events and acknowledges each once it is stored:
// *results.Store is one.
type Emitter interface {
	Emit(harness.Event) <-chan error
}

// Unit is a DUT of a scripted run: its slot name, serial and part, and
// its verdict (harness.OutcomeUnknown while its run goes on).
type Unit struct {
	DUT, Serial, Part string
	Outcome           harness.Outcome
}

// WriteRun writes a run started at at into s, with info as its
// run.started, and for each unit its start, a phase "load" and a
// measurement "vout" against 4.9..5.1 V (6 V for a unit whose outcome is
// a fail, else 5 V); unless open, the phase's end and run.ended with the
// verdicts. Event i is stamped at + i ms. It waits for every event to be
// acknowledged and returns the run's ID.
func WriteRun(t testing.TB, s Emitter, at time.Time, info harness.RunInfo, units []Unit, open bool) string {
	t.Helper()
	id := harness.NewRunID(at)
	var seq uint64
	var acks []<-chan error
	emit := func(e harness.Event) {
		seq++
		e.Run, e.Seq, e.Time = id, seq, at.Add(time.Duration(seq)*time.Millisecond)
		acks = append(acks, s.Emit(e))
	}
	emit(harness.Event{Kind: harness.EventRunStarted, Info: &info})
	end := harness.RunEnd{Outcome: harness.OutcomePass}
	for _, u := range units {
		emit(harness.Event{Kind: harness.EventDUTStarted, DUT: u.DUT, Unit: &harness.Unit{Serial: u.Serial, Part: u.Part}})
		emit(harness.Event{Kind: harness.EventPhaseStarted, DUT: u.DUT, Phase: &harness.PhaseEvent{Name: "load", Attempt: 1}})
		lo, hi := 4.9, 5.1
		v, o := 5.0, harness.OutcomePass
		if u.Outcome == harness.OutcomeFail {
			v, o, end.Outcome = 6, harness.OutcomeFail, harness.OutcomeFail
		}
		emit(harness.Event{Kind: harness.EventMeasurement, DUT: u.DUT, Measurement: &harness.Measurement{
			Name: "vout", Phase: "load", Value: v, Unit: "V", Outcome: o,
			Limit: harness.LimitSpec{Comparator: harness.CompareBetween, Low: &lo, High: &hi}}})
		if !open {
			emit(harness.Event{Kind: harness.EventPhaseEnded, DUT: u.DUT, Phase: &harness.PhaseEvent{Name: "load", Attempt: 1, Outcome: o}})
			end.DUTs = append(end.DUTs, harness.DUTVerdict{Name: u.DUT, Outcome: u.Outcome})
		}
	}
	if !open {
		emit(harness.Event{Kind: harness.EventRunEnded, End: &end})
	}
	for _, a := range acks {
		if err := <-a; err != nil {
			t.Fatal(err)
		}
	}
	return id
}
