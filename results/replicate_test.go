package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"go.uber.org/goleak"
	"strings"
)

// fakeTarget is a central database in memory, with a script of failures.
type fakeTarget struct {
	mu      sync.Mutex
	events  map[[2]any]string // (run, seq) -> body
	down    int               // the next down batches fail as if the network were cut
	reject  func(OutboxEvent) bool
	batches int
	calls   chan struct{} // a value per Ingest call, when not nil
}

func (f *fakeTarget) Target() string { return "fake://central" }

func (f *fakeTarget) Ingest(ctx context.Context, b Batch) (int, error) {
	f.mu.Lock()
	defer func() {
		f.mu.Unlock()
		if f.calls != nil {
			f.calls <- struct{}{}
		}
	}()
	if f.down > 0 {
		f.down--
		return 0, errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	for _, e := range b.Events {
		if f.reject != nil && f.reject(e) {
			return 0, &RejectedError{Reason: fmt.Sprintf("event %d of %s is bad", e.Seq, e.Run)}
		}
	}
	f.batches++
	n := 0
	for _, e := range b.Events {
		k := [2]any{e.Run, e.Seq}
		if _, ok := f.events[k]; !ok {
			f.events[k] = e.Body
			n++
		}
	}
	return n, nil
}

func newFake() *fakeTarget { return &fakeTarget{events: map[[2]any]string{}} }

func TestSyncSendsEverythingOnceAndParksRejected(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var ids []string
	for i := range 5 {
		ids = append(ids, emitRun(t, s, i, 2, 3))
	}
	total := int(s.Stats().Events) // 5 runs x (start + 2 x (dut + 3 m) + end) = 50
	bad := ids[2]
	f := newFake()
	f.reject = func(e OutboxEvent) bool { return e.Run == bad && e.Seq == 4 }
	r := s.NewReplicator(f, ReplicaOptions{Station: "st1", BatchSize: 7})
	ctx := context.Background()
	st, err := r.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Parked != 1 || st.Inserted != total-1 || st.Backlog != 0 {
		t.Errorf("sync: %+v, want 1 parked, %d inserted, backlog 0", st, total-1)
	}
	out, err := s.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || out[0].Backlog != 0 || len(out[0].Parked) != 1 {
		t.Fatalf("outbox: %+v", out)
	}
	p := out[0].Parked[0]
	if p.Events != 1 || p.First != p.Last || !cmp.Equal(p.Runs, []string{bad}) || p.Reason != "event 4 of "+bad+" is bad" {
		t.Errorf("parked: %+v", p)
	}
	// Again: nothing new, nothing sent but the heartbeat.
	st, err = r.Sync(ctx)
	if err != nil || st.Sent != 0 || st.Inserted != 0 {
		t.Errorf("second sync: %+v, %v; want nothing sent", st, err)
	}
	if len(f.events) != total-1 {
		t.Errorf("target holds %d events, want %d", len(f.events), total-1)
	}
}

func TestSyncStopsAtUnreachableAndResumes(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	s := writeRuns(t, 3)
	f := newFake()
	r := s.NewReplicator(f, ReplicaOptions{Station: "st1", BatchSize: 10})
	ctx := context.Background()
	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	emitRun(t, s, 9, 1, 1)
	f.down = 1
	st, err := r.Sync(ctx)
	if !errors.Is(err, ErrUnreachable) {
		t.Fatalf("sync with the target down: %v, want ErrUnreachable", err)
	}
	if st.Backlog != 4 {
		t.Errorf("backlog %d, want the 4 events of the new run", st.Backlog)
	}
	if st, err = r.Sync(ctx); err != nil || st.Inserted != 4 || st.Backlog != 0 {
		t.Errorf("sync once back: %+v, %v", st, err)
	}
}

// Run backs off exponentially, with jitter and a cap, while the target
// is down, logs once going and once back, and sends everything.
func TestRunBacksOffAndCatchesUp(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	s := writeRuns(t, 2)
	f := newFake()
	f.down = 8
	f.calls = make(chan struct{}, 100)
	var mu sync.Mutex
	var waits []time.Duration
	fire := make(chan time.Time)
	close(fire)
	var logs syncBuffer
	o := ReplicaOptions{Station: "st1", MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second, Heartbeat: time.Hour,
		Log: zerologTo(&logs)}
	o.after = func(d time.Duration) <-chan time.Time {
		mu.Lock()
		defer mu.Unlock()
		if d == time.Hour {
			return nil // the idle heartbeat: never, in this test
		}
		waits = append(waits, d)
		return fire
	}
	r := s.NewReplicator(f, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	for range 9 { // 8 failures, then the batch that goes through
		<-f.calls
	}
	// Caught up: the run waits for a commit. Wait for the ack to land.
	deadline := time.After(10 * time.Second)
	for {
		out, err := s.Outbox(context.Background())
		if err == nil && len(out) == 1 && out[0].Backlog == 0 {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("never caught up: %+v %v", out, err)
		case <-s.watcher.changed():
		case <-time.After(10 * time.Millisecond): // the ack is not a commit of the writer; poll
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(waits) != 8 {
		t.Fatalf("waited %d times, want 8: %v", len(waits), waits)
	}
	nominal := []time.Duration{100, 200, 400, 800, 1000, 1000, 1000, 1000}
	for i, w := range waits {
		n := nominal[i] * time.Millisecond
		if w < n/2 || w > n {
			t.Errorf("wait %d: %v, want between %v and %v", i, w, n/2, n)
		}
	}
	if len(f.events) != int(s.Stats().Events) {
		t.Errorf("target holds %d events, want %d", len(f.events), s.Stats().Events)
	}
	text := logs.String()
	for _, want := range []string{"cannot send to central database fake://central; 20 events wait", "is back after", "20 events that waited were sent"} {
		if !contains(text, want) {
			t.Errorf("log lacks %q:\n%s", want, text)
		}
	}
	if n := countOf(text, "\n"); n != 2 {
		t.Errorf("want two log lines, one going, one back; got %d:\n%s", n, text)
	}
}

// ReplicateTo's goroutine ends with the store, even with the database away.
func TestReplicateToStopsWithStore(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	s.ReplicateTo("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1", ReplicaOptions{})
	emitRun(t, s, 0, 1, 1)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

var _ = harness.EventRunEnded

type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b = append(b.b, p...)
	return len(p), nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.b)
}

func zerologTo(w *syncBuffer) zerolog.Logger { return zerolog.New(w) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
func countOf(s, sub string) int   { return strings.Count(s, sub) }

// slowTarget takes nothing while the replicator's context lives (a
// network that stalls): only a send on a context of its own gets through.
type slowTarget struct {
	*fakeTarget
	stalled chan struct{} // closed at the first stalled call
	once    sync.Once
}

func (s *slowTarget) Ingest(ctx context.Context, b Batch) (int, error) {
	if ctx.Value(finalKey{}) == nil {
		s.once.Do(func() { close(s.stalled) })
		<-ctx.Done()
		return 0, ctx.Err()
	}
	return s.fakeTarget.Ingest(ctx, b)
}

type finalKey struct{}

// With FinalSync, closing the store sends what the run left unsent before
// it lets go: the last run of a shift reaches the fleet.
func TestReplicationFinishesWhenTheStoreCloses(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	for _, final := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprint("FinalSync=", final), func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "station.db"))
			if err != nil {
				t.Fatal(err)
			}
			target := &slowTarget{fakeTarget: newFake(), stalled: make(chan struct{})}
			var log syncBuffer
			s.replicate(target, ReplicaOptions{Station: "line-3", FinalSync: final, Log: zerologTo(&log),
				finalCtx: func(ctx context.Context) context.Context { return context.WithValue(ctx, finalKey{}, true) }}, nil)
			emitRun(t, s, 0, 2, 3)
			<-target.stalled // the background replicator is stuck in the network
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			target.mu.Lock()
			got := len(target.events)
			target.mu.Unlock()
			want := 0
			if final > 0 {
				want = 1 + 2*(1+3) + 1 // run started, per DUT: started and 3 measurements; run ended
			}
			if got != want {
				t.Errorf("the central database got %d events, want %d\nlog:\n%s", got, want, log.String())
			}
			if final > 0 && !contains(log.String(), "has every event of this store") {
				t.Errorf("the final sync said nothing:\n%s", log.String())
			}
		})
	}
}

// Events still queued as the store closes (a run's last ones, its
// run.ended, emitted as the program ends) are committed before the
// replica's final sync, which sends them: the fleet has the whole run
// without waiting for the next station sync.
func TestFinalSyncSendsWhatCloseCommits(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "station.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	target := newFake()
	var log syncBuffer
	s.replicate(target, ReplicaOptions{Station: "line-3", FinalSync: time.Minute, Log: zerologTo(&log)}, nil)

	// Another connection holds the write lock, so what is emitted stays
	// queued until it lets go, which it does once the store has begun to
	// close (its tails and waiters told to end).
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	run := harness.NewRunID(time.Unix(1_800_000_000, 0))
	evs := []harness.Event{
		{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "burn-in"}},
		{Kind: harness.EventDUTStarted, DUT: "a", Unit: &harness.Unit{Serial: "S1"}},
		{Kind: harness.EventRunEnded, End: &harness.RunEnd{Outcome: harness.OutcomePass, DUTs: []harness.DUTVerdict{{Name: "a", Outcome: harness.OutcomePass}}}},
	}
	var acks []<-chan error
	for i, e := range evs {
		e.Run, e.Seq, e.Time = run, uint64(i+1), time.Unix(1_800_000_000, int64(i))
		acks = append(acks, s.Emit(e))
	}
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	<-s.watcher.quit
	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	for _, a := range acks {
		if err := <-a; err != nil {
			t.Fatalf("an event queued at Close: %v", err)
		}
	}
	target.mu.Lock()
	var got []uint64
	for k := range target.events {
		if k[0] == run {
			got = append(got, k[1].(uint64))
		}
	}
	target.mu.Unlock()
	slices.Sort(got)
	if diff := cmp.Diff([]uint64{1, 2, 3}, got); diff != "" {
		t.Errorf("the events of the run the central database got (-want +got):\n%s\nlog:\n%s", diff, log.String())
	}
}

// batchSizes is a fakeTarget that notes each batch's event body sizes.
type batchSizes struct {
	*fakeTarget
	sizes [][]int
}

func (b *batchSizes) Ingest(ctx context.Context, batch Batch) (int, error) {
	var sizes []int
	for _, e := range batch.Events {
		sizes = append(sizes, len(e.Body))
	}
	b.sizes = append(b.sizes, sizes)
	return b.fakeTarget.Ingest(ctx, batch)
}

// A batch stops growing once its bodies pass the byte budget (one event
// at least, however large): events that carry attachments up to 16 MiB
// must not make a batch PostgreSQL cannot take (1 GiB), which would fail
// as unreachable on every resend.
func TestBatchesAreBoundedInBytes(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const budget = 100 << 10
	run := harness.NewRunID(time.Now())
	events := []harness.Event{{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "scope shots"}}}
	for i := range 12 {
		size := 30 << 10
		if i == 5 {
			size = 2 * budget // alone past the budget: a batch of its own
		}
		events = append(events, harness.Event{Kind: harness.EventAttachment, DUT: "d",
			Attachment: &harness.Attachment{Name: "shot", MediaType: "application/octet-stream", Data: make([]byte, size)}})
	}
	events = append(events, harness.Event{Kind: harness.EventRunEnded, End: &harness.RunEnd{}})
	for i := range events {
		events[i].Run, events[i].Seq, events[i].Time = run, uint64(i+1), time.Now()
		if err := <-s.Emit(events[i]); err != nil {
			t.Fatal(err)
		}
	}
	f := &batchSizes{fakeTarget: newFake()}
	r := s.NewReplicator(f, ReplicaOptions{Station: "st1", BatchSize: 500, batchBytes: budget})
	st, err := r.Sync(context.Background())
	if err != nil || st.Inserted != len(events) || st.Backlog != 0 {
		t.Fatalf("sync: %+v, %v; want all %d events sent", st, err, len(events))
	}
	// Each batch ends at the first event that takes its bodies to the
	// budget or past it, if not before.
	var over []string
	for i, sizes := range f.sizes {
		sum := 0
		for j, n := range sizes {
			if sum >= budget {
				over = append(over, fmt.Sprintf("batch %d goes on past the budget at its event %d (%d bytes before it)", i, j, sum))
				break
			}
			sum += n
		}
	}
	if diff := cmp.Diff([]string(nil), over); diff != "" {
		t.Errorf("batches past the byte budget (-want +got):\n%s", diff)
	}
}
