package results

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
)

// planRecorder is a querier that notes SQLite's plan (EXPLAIN QUERY
// PLAN, with the same arguments) of each query it runs that reads the
// events table, before running it: one line per query, its steps that
// read a table or an index (SCAN: all of it; SEARCH: a lookup or a
// range), without the numbers of its subqueries.
type planRecorder struct {
	t     *testing.T
	db    *sql.DB
	plans []string
}

func (p *planRecorder) note(ctx context.Context, q string, args ...any) {
	p.t.Helper()
	if !strings.Contains(q, "events") {
		return
	}
	rows, err := p.db.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		p.t.Fatalf("explaining %s: %v", q, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			p.t.Fatal(err)
		}
		if (strings.HasPrefix(detail, "SCAN ") || strings.HasPrefix(detail, "SEARCH ")) &&
			!strings.Contains(detail, "(subquery") && detail != "SCAN CONSTANT ROW" {
			steps = append(steps, detail)
		}
	}
	if err := rows.Err(); err != nil {
		p.t.Fatal(err)
	}
	p.plans = append(p.plans, strings.Join(steps, "; "))
}

func (p *planRecorder) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	p.note(ctx, q, args...)
	return p.db.QueryContext(ctx, q, args...)
}

func (p *planRecorder) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	p.note(ctx, q, args...)
	return p.db.QueryRowContext(ctx, q, args...)
}

// emitEvents stores evs of run (seq from 1 up, a millisecond apart from
// at) and waits for their commit.
func emitEvents(t *testing.T, s *Store, run string, at time.Time, evs ...harness.Event) {
	t.Helper()
	now := at
	var acks []<-chan error
	for i, e := range evs {
		e.Run, e.Seq, e.Time = run, uint64(i+1), now.Add(time.Duration(i)*time.Millisecond)
		acks = append(acks, s.Emit(e))
	}
	for _, a := range acks {
		if err := <-a; err != nil {
			t.Fatal(err)
		}
	}
}

// Checking that a prompt can be answered, which AnswerPrompt does again
// under the write lock, reads the run's prompt events through their
// index, not every event of the run: a run with 1 kHz monitors has
// millions, and the run's writer waits for that lock.
func TestAnswerablePromptUsesItsIndex(t *testing.T) {
	s := openStoreT(t)
	run := harness.NewRunID(time.Unix(1_800_000_000, 0))
	emitEvents(t, s, run, time.Unix(1_800_000_000, 0),
		harness.Event{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "burn-in"}},
		harness.Event{Kind: harness.EventDUTStarted, DUT: "a"},
		harness.Event{Kind: harness.EventPrompt, DUT: "a", Prompt: &harness.PromptEvent{ID: "p1", Text: "scan the serial"}},
	)
	rec := &planRecorder{t: t, db: s.db}
	if err := answerable(context.Background(), rec, run, "p1", true); err != nil {
		t.Fatal(err)
	}
	const byIndex = "SEARCH events USING INDEX events_prompts (run_id=?)"
	if diff := cmp.Diff([]string{byIndex, byIndex}, rec.plans); diff != "" {
		t.Errorf("plans of the prompt's lookups (-want +got):\n%s", diff)
	}
}

// Listing runs (the station page's list on every refresh, station list
// over the whole store) finds each run's DUTs in the index of the
// dut.started events: a few index rows per run, not all its events.
func TestRunUnitsUseTheirIndex(t *testing.T) {
	s := openStoreT(t)
	run := harness.NewRunID(time.Unix(1_800_000_000, 0))
	emitEvents(t, s, run, time.Unix(1_800_000_000, 0),
		harness.Event{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "burn-in"}},
		harness.Event{Kind: harness.EventDUTStarted, DUT: "b", Unit: &harness.Unit{Serial: "S2", Part: "PSU-1"}},
		harness.Event{Kind: harness.EventPhaseStarted, DUT: "b", Phase: &harness.PhaseEvent{Name: "load"}},
		harness.Event{Kind: harness.EventDUTStarted, DUT: "a"},
	)
	rec := &planRecorder{t: t, db: s.db}
	got, err := runUnits(context.Background(), rec, run)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]UnitSummary{{DUT: "b", Serial: "S2", Part: "PSU-1"}, {DUT: "a"}}, got); diff != "" {
		t.Errorf("units (-want +got):\n%s", diff)
	}
	want := []string{"SEARCH e USING COVERING INDEX events_dut_starts (run_id=?); SEARCH u USING PRIMARY KEY (run_id=? AND dut=?) LEFT-JOIN"}
	if diff := cmp.Diff(want, rec.plans); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

// Opening the live page without Last-Event-ID starts at LiveStart's
// cursor, before a run's first event, which no event has: its position
// is found by index lookups (the run's first event, and the first of
// each run after it), never by walking the events committed before it.
// And it is where it was: before the first event of that run or of any
// run after it, or at the end.
func TestCursorPositionByLookups(t *testing.T) {
	s := openStoreT(t)
	ctx := context.Background()
	base := time.Unix(1_800_000_000, 0)
	older, live, newer := harness.NewRunID(base.Add(-2*time.Hour)), harness.NewRunID(base), harness.NewRunID(base.Add(time.Second))
	start := harness.Event{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "r"}}
	phase := harness.Event{Kind: harness.EventPhaseStarted, DUT: "a", Phase: &harness.PhaseEvent{Name: "load"}}
	end := harness.Event{Kind: harness.EventRunEnded, End: &harness.RunEnd{}}
	emitEvents(t, s, older, base.Add(-2*time.Hour), start, phase, end) // pos 1-3, ended long ago
	emitEvents(t, s, newer, base.Add(time.Second), start)              // pos 4: stored before live's first event
	emitEvents(t, s, live, base, start, phase)                         // pos 5-6

	cursor, err := s.LiveStart(ctx, base.Add(2*time.Second), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	type at struct {
		C   Cursor
		Pos int64
	}
	if diff := cmp.Diff(Cursor{Run: live}, cursor); diff != "" {
		t.Fatalf("LiveStart (-want +got):\n%s", diff)
	}
	var got, want []at
	for _, c := range []at{
		{Cursor{Run: live}, 3},          // LiveStart's: before newer's first event, which sorts after live's
		{Cursor{Run: older, Seq: 2}, 2}, // an event's own
		{Cursor{Run: older, Seq: 3}, 3},
		{Cursor{Run: live, Seq: 9}, 3},  // past live's end: before newer
		{Cursor{Run: newer, Seq: 1}, 4}, // its own
		{Cursor{Run: newer, Seq: 2}, 6}, // past the last run: the end
		{Cursor{Run: "0", Seq: 0}, 0},   // before every run
	} {
		pos, err := s.position(ctx, c.C)
		if err != nil {
			t.Fatal(err)
		}
		got, want = append(got, at{c.C, pos}), append(want, c)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}

	rec := &planRecorder{t: t, db: s.db}
	if _, err := position(ctx, rec, cursor); err != nil {
		t.Fatal(err)
	}
	wantPlans := []string{
		"SEARCH events USING PRIMARY KEY (run_id=? AND seq=?)", // the cursor's own event
		"SEARCH events USING PRIMARY KEY (run_id=? AND seq>?); " + // the run's next
			"SEARCH r USING COVERING INDEX sqlite_autoindex_runs_1 (id>?); SEARCH e USING PRIMARY KEY (run_id=? AND seq=?); " + // each later run's first
			"SEARCH events USING COVERING INDEX events_pos", // max(pos), when none
	}
	if diff := cmp.Diff(wantPlans, rec.plans); diff != "" {
		t.Errorf("plans (-want +got):\n%s", diff)
	}
}
