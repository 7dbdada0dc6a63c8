package results_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
)

func TestParseCursor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want results.Cursor
		bad  bool
	}{
		{"", results.Cursor{}, false},
		{"01JB5Y0000ABCDEFGHJKMNPQRS/42", results.Cursor{Run: "01JB5Y0000ABCDEFGHJKMNPQRS", Seq: 42}, false},
		{"run-1.a_b/0", results.Cursor{Run: "run-1.a_b", Seq: 0}, false},
		{"R", results.Cursor{}, true},
		{"/3", results.Cursor{}, true},
		{"R/", results.Cursor{}, true},
		{"R/-1", results.Cursor{}, true},
		{"R/+1", results.Cursor{}, true},
		{"R/1/2", results.Cursor{}, true},
		{"R/99999999999999999999999", results.Cursor{}, true},
		{"R S/1", results.Cursor{}, true},
		{"R'--/1", results.Cursor{}, true},
		{strings.Repeat("R", 129) + "/1", results.Cursor{}, true},
	} {
		got, err := results.ParseCursor(tc.in)
		if tc.bad != errors.Is(err, results.ErrBadCursor) || (err != nil) != tc.bad {
			t.Errorf("%q: error %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
		}
		if !tc.bad && got.String() != tc.in {
			t.Errorf("%q: String() %q", tc.in, got.String())
		}
	}
}

// Whatever it is given, ParseCursor returns a cursor whose text reads
// back as itself, or ErrBadCursor; it never panics.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "01JB5Y0000ABCDEFGHJKMNPQRS/42", "R/0", "R/", "/1", "R/1/2", "R/18446744073709551616", "é/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := results.ParseCursor(s)
		if err != nil {
			if !errors.Is(err, results.ErrBadCursor) {
				t.Fatalf("%q: %v does not match ErrBadCursor", s, err)
			}
			if len(err.Error()) > 300 {
				t.Fatalf("%q: an error of %d bytes", s, len(err.Error()))
			}
			return
		}
		again, err := results.ParseCursor(c.String())
		if err != nil || again != c {
			t.Fatalf("%q: %+v reads back as %+v, %v", s, c, again, err)
		}
	})
}

// emitAll emits events and waits for them all to commit.
func emitAll(t testing.TB, s *results.Store, events ...harness.Event) {
	t.Helper()
	var acks []<-chan error
	for _, e := range events {
		acks = append(acks, s.Emit(e))
	}
	for _, ack := range acks {
		if err := <-ack; err != nil {
			t.Fatal(err)
		}
	}
}

func started(run string, at time.Time) harness.Event {
	return harness.Event{Run: run, Seq: 1, Time: at, Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "tail"}}
}

func cursors(evs []results.StoredEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Cursor().String())
	}
	return out
}

// Two runs going on at once interleave in the tail in the order their
// events were committed, and following from any event's cursor gives
// exactly the events committed after it: none missing, none twice,
// though the older run's later events sort before the newer run's by
// run ID.
func TestTailInterleavedRuns(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	now := time.Now()
	a, b := harness.NewRunID(now), harness.NewRunID(now.Add(time.Second))
	emitAll(t, store, started(a, now))
	emitAll(t, store, started(b, now))
	var want []string
	want = append(want, a+"/1", b+"/1")
	for i := uint64(2); i <= 40; i++ {
		run := a
		if i%3 == 0 {
			run = b
		}
		emitAll(t, store, measurementEvent(run, i, float64(i)))
		want = append(want, results.Cursor{Run: run, Seq: i}.String())
	}
	ctx := context.Background()
	all, err := store.EventsAfter(ctx, results.Cursor{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, cursors(all)); diff != "" {
		t.Fatalf("commit order (-want +got):\n%s", diff)
	}
	for i, e := range all {
		rest, err := store.EventsAfter(ctx, e.Cursor(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[i+1:], cursors(rest), cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("after %s (-want +got):\n%s", e.Cursor(), diff)
		}
		if _, err := e.Event(); err != nil {
			t.Fatal(err)
		}
	}
	// A cursor the store has not stands before what sorts after it.
	rest, err := store.EventsAfter(ctx, results.Cursor{Run: b, Seq: 0}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[1:], cursors(rest)); diff != "" {
		t.Fatalf("after %s/0 (-want +got):\n%s", b, diff)
	}
	if rest, _ := store.EventsAfter(ctx, results.Cursor{Run: "ZZZZ", Seq: 1}, 0); len(rest) != 0 {
		t.Fatalf("after a cursor past the end: %v", cursors(rest))
	}
}

// A batch of events stops once their bodies pass 4 MiB (a page's stream
// holds a batch in memory): twelve events carrying 1 MiB attachments
// come a few at a time, all of them, in order, each once.
func TestLargeEventsComeInSmallerBatches(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	now := time.Now()
	run := harness.NewRunID(now)
	emitAll(t, store, started(run, now))
	want := []string{run + "/1"}
	for i := uint64(2); i <= 13; i++ {
		emitAll(t, store, harness.Event{Run: run, Seq: i, Time: now, Kind: harness.EventAttachment, DUT: "d1",
			Attachment: &harness.Attachment{Name: "trace.bin", MediaType: "application/octet-stream", Data: make([]byte, 1<<20)}})
		want = append(want, results.Cursor{Run: run, Seq: i}.String())
	}
	ctx := context.Background()
	var got []string
	var c results.Cursor
	batches := 0
	for {
		batch, err := store.EventsAfter(ctx, c, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(batch) == 0 {
			break
		}
		batches++
		size := 0
		for _, e := range batch {
			size += len(e.Body)
		}
		if len(batch) > 1 && size-len(batch[len(batch)-1].Body) >= 4<<20 {
			t.Errorf("a batch of %d events went on past 4 MiB (%d bytes)", len(batch), size)
		}
		got = append(got, cursors(batch)...)
		c = batch[len(batch)-1].Cursor()
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	if batches < 3 {
		t.Errorf("13 events with 12 MiB of attachments came in %d batches", batches)
	}
}

// tailInto follows store from c in a goroutine, sending what it sees.
func tailInto(ctx context.Context, store *results.Store, c results.Cursor) (<-chan results.StoredEvent, <-chan error) {
	out, done := make(chan results.StoredEvent, 1000), make(chan error, 1)
	go func() {
		done <- store.Tail(ctx, c, func(batch []results.StoredEvent) error {
			for _, e := range batch {
				select {
				case out <- e:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			return nil
		})
	}()
	return out, done
}

// A tail sees what its own process commits, and what another store on
// the same file (another process, to SQLite) commits, and ends with its
// context.
func TestTailFollowsOtherStores(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	reader := openStore(t, path)
	defer reader.Close()
	writer := openStore(t, path)
	defer writer.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got, done := tailInto(ctx, reader, results.Cursor{})

	run := harness.NewRunID(time.Now())
	var want []string
	next := func(s *results.Store, e harness.Event) {
		emitAll(t, s, e)
		want = append(want, e.Run+"/"+itoa(e.Seq))
		select {
		case g := <-got:
			if g.Cursor().String() != want[len(want)-1] {
				t.Fatalf("tail gave %s, want %s", g.Cursor(), want[len(want)-1])
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the tail did not see %s", want[len(want)-1])
		}
	}
	next(writer, started(run, time.Now()))
	for i := uint64(2); i < 10; i++ {
		next(writer, measurementEvent(run, i, 1))
	}
	other := harness.NewRunID(time.Now())
	next(reader, started(other, time.Now()))
	next(reader, measurementEvent(other, 2, 1))
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Tail returned %v, want its context's error", err)
	}
}

func itoa(n uint64) string { return results.Cursor{Run: "x", Seq: n}.String()[2:] }

// A tail ends with ErrClosed when its store closes, and an error of fn
// ends it as it is.
func TestTailEnds(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	run := harness.NewRunID(time.Now())
	emitAll(t, store, started(run, time.Now()))
	stop := errors.New("enough")
	if err := store.Tail(context.Background(), results.Cursor{}, func([]results.StoredEvent) error { return stop }); err != stop {
		t.Fatalf("Tail returned %v, want fn's error", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	var err error
	seen := make(chan struct{})
	go func() {
		defer wg.Done()
		err = store.Tail(context.Background(), results.Cursor{}, func([]results.StoredEvent) error { close(seen); return nil })
	}()
	<-seen
	store.Close()
	wg.Wait()
	if !errors.Is(err, results.ErrClosed) {
		t.Fatalf("Tail returned %v after Close, want ErrClosed", err)
	}
}

// LiveStart: the oldest run active within the window, else the newest.
func TestLiveStart(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	ctx := context.Background()
	if c, err := store.LiveStart(ctx, time.Now(), 10*time.Minute); err != nil || c != (results.Cursor{}) {
		t.Fatalf("empty store: %v %v", c, err)
	}
	now := time.Now()
	old, mid, last := harness.NewRunID(now.Add(-3*time.Hour)), harness.NewRunID(now.Add(-2*time.Hour)), harness.NewRunID(now.Add(-time.Hour))
	end := func(run string, seq uint64, at time.Time) harness.Event {
		return harness.Event{Run: run, Seq: seq, Time: at, Kind: harness.EventRunEnded, End: &harness.RunEnd{}}
	}
	emitAll(t, store, started(old, now.Add(-3*time.Hour)), end(old, 2, now.Add(-3*time.Hour)))
	emitAll(t, store, started(mid, now.Add(-2*time.Hour)), end(mid, 2, now.Add(-90*time.Minute)))
	if c, _ := store.LiveStart(ctx, now, 10*time.Minute); c.Run != mid {
		t.Fatalf("no live run: %v, want the newest, %s", c, mid)
	}
	// A run left unfinished an hour ago is not live; one busy now is.
	emitAll(t, store, started(last, now.Add(-time.Hour)))
	if c, _ := store.LiveStart(ctx, now, 10*time.Minute); c.Run != last {
		t.Fatalf("%v, want the newest, %s", c, last)
	}
	emitAll(t, store, measurementEvent(last, 2, 1)) // at time.Now()
	emitAll(t, store, end(old, 3, now.Add(-time.Minute)))
	if c, _ := store.LiveStart(ctx, now, 10*time.Minute); c.Run != old || c.Seq != 0 {
		t.Fatalf("%v, want %s/0: the oldest run active within 10 min", c, old)
	}
}

// A run waiting on an operator's prompt emits nothing for as long as the
// operator is away; while its writer is at work it is live however quiet,
// so a page opened meanwhile starts with it (and sees its prompt), though
// another run is busy. The window still applies to a run whose writer is
// gone.
func TestLiveStartKeepsAQuietRunOfALiveWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	page := openStore(t, path) // the station server's
	defer page.Close()
	writer := openStore(t, path) // the process of the waiting run
	defer writer.Close()
	gone := openStore(t, path) // a process that died with its run unfinished
	ctx := context.Background()
	now := time.Now()
	crashed, waiting, busy := harness.NewRunID(now.Add(-3*time.Hour)), harness.NewRunID(now.Add(-2*time.Hour)), harness.NewRunID(now.Add(-time.Minute))
	emitAll(t, gone, started(crashed, now.Add(-3*time.Hour)))
	gone.Close()
	emitAll(t, writer, started(waiting, now.Add(-2*time.Hour)),
		harness.Event{Run: waiting, Seq: 2, Time: now.Add(-2 * time.Hour), Kind: harness.EventPrompt, DUT: "dut",
			Prompt: &harness.PromptEvent{ID: "p1", Text: "Insert the fixture", Input: harness.InputConfirm}})
	emitAll(t, page, started(busy, now.Add(-time.Minute)), measurementEvent(busy, 2, 1))

	if c, err := page.LiveStart(ctx, now, 10*time.Minute); err != nil || c != (results.Cursor{Run: waiting}) {
		t.Fatalf("LiveStart: %v %v, want %s/0: the run waiting on its prompt, quiet for 2 h, whose writer is at work", c, err, waiting)
	}
	// Its own store's quiet runs too (a run that serves its own page).
	if c, err := writer.LiveStart(ctx, now, 10*time.Minute); err != nil || c != (results.Cursor{Run: waiting}) {
		t.Fatalf("LiveStart of the writer's store: %v %v, want %s/0", c, err, waiting)
	}
	// A run whose writer is gone is live within the window of its last event only.
	if c, err := page.LiveStart(ctx, now.Add(-3*time.Hour+time.Minute), 10*time.Minute); err != nil || c != (results.Cursor{Run: crashed}) {
		t.Fatalf("LiveStart a minute after the crashed run's last event: %v %v, want %s/0", c, err, crashed)
	}
	writer.Close()
	if c, err := page.LiveStart(ctx, now, 10*time.Minute); err != nil || c != (results.Cursor{Run: busy}) {
		t.Fatalf("LiveStart once the waiting run's writer is gone: %v %v, want %s/0, the only run active within 10 min", c, err, busy)
	}
}

// A store of schema version 1 (before events had positions) opens with
// its events numbered by run and seq, and new events follow them.
func TestMigrationNumbersOldEvents(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	v1, err := os.ReadFile("migrations/0001_station_store.sql")
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	a, b := harness.NewRunID(time.Now()), harness.NewRunID(time.Now().Add(time.Second))
	for _, q := range []string{string(v1),
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ns INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, 'station_store', 0)`,
		`INSERT INTO runs (id, name, started_ns, ended_ns, outcome, last_seq) VALUES ('` + b + `', 'b', 2, 3, 'pass', 2), ('` + a + `', 'a', 1, NULL, NULL, 2)`,
		`INSERT INTO events (run_id, seq, time_ns, kind, body) VALUES ('` + b + `', 2, 3, 'run.ended', '{}'), ('` + a + `', 2, 2, 'measurement', '{}'),
			('` + b + `', 1, 2, 'run.started', '{}'), ('` + a + `', 1, 1, 'run.started', '{}')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	store := openStore(t, path)
	defer store.Close()
	emitAll(t, store, measurementEvent(a, 3, 1))
	all, err := store.EventsAfter(context.Background(), results.Cursor{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{a + "/1", a + "/2", b + "/1", b + "/2", a + "/3"}
	if diff := cmp.Diff(want, cursors(all)); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}
