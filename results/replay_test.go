package results

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scpikit/scpikit/harness"
)

// pageCounter is a querier that counts the queries made through it.
type pageCounter struct {
	*sql.DB
	queries int
}

func (p *pageCounter) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	p.queries++
	return p.DB.QueryContext(ctx, q, args...)
}

// unfinishedRun stores the events of a run that stops short of its end:
// a DUT measuring, a monitor's samples between, an attachment.
func unfinishedRun(t *testing.T, s *Store) (string, []harness.Event) {
	t.Helper()
	id := harness.NewRunID(time.Now())
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	events := []harness.Event{
		{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "long"}},
		{Kind: harness.EventDUTStarted, DUT: "a", Unit: &harness.Unit{Serial: "A"}},
		{Kind: harness.EventPhaseStarted, DUT: "a", Phase: &harness.PhaseEvent{Name: "soak", Attempt: 1}},
	}
	for i := range 20 {
		events = append(events, harness.Event{Kind: harness.EventSample, DUT: "a", Sample: &harness.Sample{Name: "current", Unit: "A", Value: float64(i) / 10}})
		if i%5 == 4 {
			events = append(events, harness.Event{Kind: harness.EventMeasurement, DUT: "a", Measurement: &harness.Measurement{
				DUT: "a", Phase: "soak", Attempt: 1, Name: fmt.Sprint("v", i), Value: float64(i), Unit: "V", Outcome: harness.OutcomePass}})
		}
	}
	events = append(events, harness.Event{Kind: harness.EventAttachment, DUT: "a", Attachment: &harness.Attachment{Name: "log", MediaType: "text/plain", Data: []byte("ok")}})
	var acks []<-chan error
	for i := range events {
		events[i].Run, events[i].Seq, events[i].Time = id, uint64(i+1), at.Add(time.Duration(i)*time.Millisecond)
		acks = append(acks, s.Emit(events[i]))
	}
	for _, ack := range acks {
		if err := <-ack; err != nil {
			t.Fatal(err)
		}
	}
	return id, events
}

// A run's record is rebuilt from its events a page at a time, never all
// of them at once, and comes out the same as from all of them; so does
// the end that closes a run its station left unfinished.
func TestReplayReadsAPageAtATime(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	id, events := unfinishedRun(t, s)
	var kept []harness.Event // what recovery reads: no samples or attachments
	for _, e := range events {
		if e.Kind != harness.EventSample && e.Kind != harness.EventAttachment {
			kept = append(kept, e)
		}
	}
	ctx := context.Background()
	defer func(p int) { replayPage = p }(replayPage)
	for _, page := range []int{1, 3, len(events), 4096} {
		replayPage = page
		db := &pageCounter{DB: s.db}
		var rp harness.Replayer
		if err := replay(ctx, db, id, &rp); err != nil {
			t.Fatal(err)
		}
		if want := len(events)/page + 1; db.queries != want {
			t.Errorf("page %d: %d queries for %d events, want %d", page, db.queries, len(events), want)
		}
		if diff := cmp.Diff(harness.Replay(events), rp.Record(), cmpopts.IgnoreUnexported(harness.DUTRecord{}, harness.PhaseRecord{})); diff != "" {
			t.Errorf("page %d: the record differs (-all at once +paged):\n%s", page, diff)
		}

		db.queries = 0
		var without harness.Replayer
		if err := replay(ctx, db, id, &without, string(harness.EventSample), string(harness.EventAttachment)); err != nil {
			t.Fatal(err)
		}
		if want := len(kept)/page + 1; db.queries != want {
			t.Errorf("page %d: %d queries for %d events without samples, want %d", page, db.queries, len(kept), want)
		}
		if diff := cmp.Diff(harness.AbortedEnd(kept), without.AbortedEnd()); diff != "" {
			t.Errorf("page %d: the aborted end differs (-all at once +paged):\n%s", page, diff)
		}
	}
	rec, err := s.Record(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	samples := 0
	for _, sr := range rec.Series {
		if sr.Name == "current" {
			samples = len(sr.Values)
		}
	}
	if samples != 20 || len(rec.Attachments) != 1 {
		t.Fatalf("record of the run: %d samples of current, %d attachments; want 20 and 1", samples, len(rec.Attachments))
	}
	if _, err := s.Record(ctx, "01NOSUCHRUN"); err == nil {
		t.Fatal("a run the store does not hold has a record")
	}
}

// A since beyond the years nanoseconds count (before 1678, after 2262)
// selects as its end of time would: none after 2300, all after 1600.
// UnixNano's value is undefined there, and "since 2300" selected every
// run.
func TestSinceBeyondTheNanosecondYears(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	unfinishedRun(t, s)
	ctx := context.Background()
	all, err := s.Yield(ctx, Scope{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		since       time.Time
		runs, units int
	}{
		{time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC), 0, 0},
		{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), 1, all.Units},
	} {
		runs, err := s.Runs(ctx, Filter{Since: tc.since})
		if err != nil || len(runs) != tc.runs {
			t.Errorf("runs since %d: %d (%v), want %d", tc.since.Year(), len(runs), err, tc.runs)
		}
		y, err := s.Yield(ctx, Scope{Since: tc.since})
		if err != nil || y.Units != tc.units {
			t.Errorf("yield since %d: %d units (%v), want %d", tc.since.Year(), y.Units, err, tc.units)
		}
	}
}
