package results_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
)

// addPrompt stores a prompt event as the harness emits it, through a
// connection of its own (as another process would).
func addPrompt(t testing.TB, path, run string, seq uint64, kind, id string) {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	body := `{"run":"` + run + `","seq":` + itoa(seq) + `,"time":"2026-12-05T08:00:00Z","kind":"` + kind + `","dut":"d1","prompt":{"id":"` + id + `","text":"scan the serial"}}`
	if _, err := db.Exec(`INSERT INTO events (run_id, seq, time_ns, kind, dut, body, pos) SELECT ?, ?, 0, ?, 'd1', ?, coalesce(max(pos), 0) + 1 FROM events`,
		run, seq, kind, body); err != nil {
		t.Fatal(err)
	}
}

// runAndServer opens the store at a new path twice, as the run's
// process (runner) and the web server's (server) would, and starts a run
// through the runner; both stores close at the end of the test.
func runAndServer(t *testing.T) (path string, runner, server *results.Store, run string) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "station.db")
	runner = openStore(t, path)
	t.Cleanup(func() { runner.Close() })
	server = openStore(t, path)
	t.Cleanup(func() { server.Close() })
	run = harness.NewRunID(time.Now())
	emitAll(t, runner, started(run, time.Now()))
	return path, runner, server, run
}

// A prompt's answer, given through another store on the file (the web
// server's process), reaches the run's AwaitAnswer; the first answer
// wins, and what cannot be answered is refused with a typed error.
func TestAnswerPrompt(t *testing.T) {
	path, runner, server, run := runAndServer(t)
	ctx := context.Background()
	addPrompt(t, path, run, 2, "prompt", "p1")

	type answer struct {
		text, by string
		err      error
	}
	got := make(chan answer, 1)
	go func() {
		a, by, err := runner.AwaitAnswer(ctx, run, "p1")
		got <- answer{a, by, err}
	}()
	if err := server.AnswerPrompt(ctx, run, "p1", "SN-0042", "page"); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-got:
		if a != (answer{"SN-0042", "page", nil}) {
			t.Fatalf("AwaitAnswer: %+v", a)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the answer did not reach the run")
	}
	// An answer given before the wait is there when it starts.
	addPrompt(t, path, run, 3, "prompt", "p2")
	if err := server.AnswerPrompt(ctx, run, "p2", "yes", "terminal"); err != nil {
		t.Fatal(err)
	}
	if a, by, err := runner.AwaitAnswer(ctx, run, "p2"); a != "yes" || by != "terminal" || err != nil {
		t.Fatalf("AwaitAnswer: %q %q %v", a, by, err)
	}

	for _, tc := range []struct {
		run, prompt, answer string
		want                error
	}{
		{run, "p1", "SN-0043", results.ErrPromptClosed}, // the first answer won
		{run, "p9", "x", results.ErrNotFound},
		{"NO-SUCH-RUN", "p1", "x", results.ErrNotFound},
		{run, "p3", strings.Repeat("x", results.MaxAnswer+1), results.ErrBadAnswer},
		{run, "p3", "\xff", results.ErrBadAnswer},
	} {
		if err := server.AnswerPrompt(ctx, tc.run, tc.prompt, tc.answer, "page"); !errors.Is(err, tc.want) {
			t.Errorf("%s %s: %v, want %v", tc.run, tc.prompt, err, tc.want)
		}
	}
	// Answered on the terminal (its event says so): closed to the page.
	addPrompt(t, path, run, 4, "prompt", "p3")
	addPrompt(t, path, run, 5, "prompt.answered", "p3")
	if err := server.AnswerPrompt(ctx, run, "p3", "x", "page"); !errors.Is(err, results.ErrPromptClosed) {
		t.Errorf("a prompt answered on the terminal: %v", err)
	}
	// An open prompt of an ended run cannot be answered.
	addPrompt(t, path, run, 6, "prompt", "p4")
	emitAll(t, runner, harness.Event{Run: run, Seq: 7, Time: time.Now(), Kind: harness.EventRunEnded, End: &harness.RunEnd{}})
	if err := server.AnswerPrompt(ctx, run, "p4", "x", "page"); !errors.Is(err, results.ErrPromptClosed) {
		t.Errorf("a prompt of an ended run: %v", err)
	}
}

// AwaitAnswer ends with its context, and with ErrClosed when its store
// closes.
func TestAwaitAnswerEnds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	store := openStore(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, _, err := store.AwaitAnswer(ctx, "R", "p1"); errc <- err }()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
	go func() { _, _, err := store.AwaitAnswer(context.Background(), "R", "p1"); errc <- err }()
	store.Close()
	if err := <-errc; !errors.Is(err, results.ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// Stop requests made through another store reach the run's process each
// once, in order, those made before it looked included; an ended run
// refuses them.
func TestRequestStop(t *testing.T) {
	_, runner, server, run := runAndServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	if err := server.RequestStop(ctx, run, false, "page"); err != nil {
		t.Fatal(err)
	}
	reqs := runner.StopRequests(ctx, run)
	next := func() harness.StopRequest {
		t.Helper()
		select {
		case r := <-reqs:
			return r
		case <-time.After(10 * time.Second):
			t.Fatal("no stop request came")
		}
		return harness.StopRequest{}
	}
	if r := next(); r != (harness.StopRequest{Immediate: false, By: "page"}) {
		t.Fatalf("first request: %+v", r)
	}
	if err := server.RequestStop(ctx, run, true, "page"); err != nil {
		t.Fatal(err)
	}
	if r := next(); r != (harness.StopRequest{Immediate: true, By: "page"}) {
		t.Fatalf("second request: %+v", r)
	}
	// Taken: a second reader of the run's requests finds none.
	ctx2, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	for r := range runner.StopRequests(ctx2, run) {
		t.Fatalf("a request delivered twice: %+v", r)
	}

	if err := server.RequestStop(ctx, "NO-SUCH-RUN", false, "page"); !errors.Is(err, results.ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
	emitAll(t, runner, harness.Event{Run: run, Seq: 2, Time: time.Now(), Kind: harness.EventRunEnded, End: &harness.RunEnd{}})
	if err := server.RequestStop(ctx, run, false, "page"); !errors.Is(err, results.ErrRunEnded) {
		t.Errorf("ended run: %v", err)
	}
	cancel()
	for range reqs { // closed once its context ends
	}
}

// What the page cannot do is refused without the store's write lock,
// which the run's writer needs for every event: here another connection
// holds it (as a writer committing would), and answers to a prompt that
// does not exist or was answered, and a stop asked already, come back at
// once with their usual results instead of waiting for the lock. Pressing
// stop again and again stores one request of each kind.
func TestRefusedControlsTakeNoWriteLock(t *testing.T) {
	path, _, server, run := runAndServer(t)
	ctx := context.Background()
	addPrompt(t, path, run, 2, "prompt", "p1")
	if err := server.AnswerPrompt(ctx, run, "p1", "SN-1", "page"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, immediate := range []bool{false, true, false} {
			if err := server.RequestStop(ctx, run, immediate, "page"); err != nil {
				t.Fatal(err)
			}
		}
	}

	db := rawDB(t, path)
	defer db.Close()
	var stops []bool
	rows, err := db.Query(`SELECT immediate FROM controls WHERE run_id = ? AND kind = 'stop' ORDER BY id`, run)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var b bool
		if err := rows.Scan(&b); err != nil {
			t.Fatal(err)
		}
		stops = append(stops, b)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]bool{false, true}, stops); diff != "" {
		t.Errorf("stop requests stored (-want +got):\n%s", diff)
	}

	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, "ROLLBACK")
	if err := server.AnswerPrompt(ctx, run, "nope", "x", "page"); !errors.Is(err, results.ErrNotFound) {
		t.Errorf("a prompt the run never asked, while the lock is held: %v", err)
	}
	if err := server.AnswerPrompt(ctx, run, "p1", "SN-2", "page"); !errors.Is(err, results.ErrPromptClosed) {
		t.Errorf("a prompt answered already, while the lock is held: %v", err)
	}
	for _, immediate := range []bool{false, true} {
		if err := server.RequestStop(ctx, run, immediate, "page"); err != nil {
			t.Errorf("a stop asked already (immediate %v), while the lock is held: %v", immediate, err)
		}
	}
}

// First-pass yield: a unit's first verdict that is not aborted counts,
// an error is a fail, later attempts and units without a serial do not
// count, nor units first tested before the period (their retest in it is
// not a first pass).
func TestFirstPassYield(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	now := time.Now()
	seq := map[string]uint64{}
	runOf := func(at time.Time, units map[string]string, verdicts map[string]harness.Outcome) {
		run := harness.NewRunID(at)
		var evs []harness.Event
		add := func(e harness.Event) {
			seq[run]++
			e.Run, e.Seq, e.Time = run, seq[run], at
			evs = append(evs, e)
		}
		add(harness.Event{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "y"}})
		end := &harness.RunEnd{}
		for _, dut := range []string{"a", "b", "c"} {
			if o, ok := verdicts[dut]; ok {
				add(harness.Event{Kind: harness.EventDUTStarted, DUT: dut, Unit: &harness.Unit{Serial: units[dut]}})
				end.DUTs = append(end.DUTs, harness.DUTVerdict{Name: dut, Outcome: o})
			}
		}
		add(harness.Event{Kind: harness.EventRunEnded, End: end})
		emitAll(t, store, evs...)
	}
	P, F, E, A, M := harness.OutcomePass, harness.OutcomeFail, harness.OutcomeError, harness.OutcomeAborted, harness.OutcomeMarginal
	runOf(now.Add(-48*time.Hour), map[string]string{"a": "S1"}, map[string]harness.Outcome{"a": F}) // before the period
	runOf(now.Add(-3*time.Hour), map[string]string{"a": "S1", "b": "S2", "c": "S3"}, map[string]harness.Outcome{"a": P, "b": F, "c": A})
	runOf(now.Add(-2*time.Hour), map[string]string{"a": "S2", "b": "S3", "c": ""}, map[string]harness.Outcome{"a": P, "b": E, "c": F})
	runOf(now.Add(-time.Hour), map[string]string{"a": "S4", "b": "S5"}, map[string]harness.Outcome{"a": M, "b": A})
	y, err := store.FirstPassYield(context.Background(), now.Add(-24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// S1 first failed before the period (its pass in it is a retest), S2
	// fail (its retest's pass does not count), S3 error (its aborted
	// attempt does not count), S4 marginal (a pass); S5 only aborted.
	if want := (results.Yield{Units: 3, Passed: 1, Yield: 1.0 / 3}); y != want {
		t.Fatalf("%+v, want %+v", y, want)
	}
}
