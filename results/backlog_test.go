package results

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// The backlog is what the target furthest behind lacks: nothing before
// any replication, everything while the database was never reached,
// then exactly the events stored after the last acknowledgement, with
// the emission time of the first of them.
func TestBacklogCountsWhatTheCentralDatabaseLacks(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	emitRun(t, s, 0, 2, 3)
	if n, oldest := s.Backlog(); n != 0 || !oldest.IsZero() {
		t.Fatalf("a store that never replicated: backlog %d, oldest %v; want 0 and none", n, oldest)
	}

	ctx := context.Background()
	f := newFake()
	r := s.NewReplicator(f, ReplicaOptions{Station: "st1", BatchSize: 4})
	// The database cannot be reached yet: every event waits.
	s.noteTargetError(ctx, f.Target(), "connection refused")
	total := int(s.Stats().Events)
	n, oldest := s.Backlog()
	if n != total {
		t.Errorf("before the first sync: backlog %d, want all %d events", n, total)
	}
	firstTime := eventTimeAt(t, s, 1)
	if !oldest.Equal(firstTime) {
		t.Errorf("oldest %v, want the first event's time %v", oldest, firstTime)
	}

	if _, err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n, oldest := s.Backlog(); n != 0 || !oldest.IsZero() {
		t.Errorf("caught up: backlog %d, oldest %v; want 0 and none", n, oldest)
	}

	emitRun(t, s, 1, 1, 2)
	more := int(s.Stats().Events) - total
	n, oldest = s.Backlog()
	if n != more {
		t.Errorf("after a new run: backlog %d, want its %d events", n, more)
	}
	if want := eventTimeAt(t, s, int64(total+1)); !oldest.Equal(want) {
		t.Errorf("oldest %v, want the new run's first event's time %v", oldest, want)
	}
}

func eventTimeAt(t *testing.T, s *Store, pos int64) time.Time {
	t.Helper()
	var ns int64
	if err := s.db.QueryRow(`SELECT time_ns FROM events WHERE pos = ?`, pos).Scan(&ns); err != nil {
		t.Fatalf("event at position %d: %v", pos, err)
	}
	return time.Unix(0, ns)
}
