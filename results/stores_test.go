package results

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/rs/zerolog"
)

var storeIDForm = regexp.MustCompile(`^[0-9a-f]{32}$`)

// A store has an identity of its own from when it is made: random, the
// same every time it is opened, another for another store.
func TestStoreIdentity(t *testing.T) {
	dir := t.TempDir()
	ids := func(path string) string {
		t.Helper()
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.ID()
	}
	a, b := filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")
	first := []string{ids(a), ids(b)}
	for _, id := range first {
		if !storeIDForm.MatchString(id) {
			t.Fatalf("store ID %q: want 32 hex digits", id)
		}
	}
	if first[0] == first[1] {
		t.Fatalf("two stores have one ID, %s", first[0])
	}
	if diff := cmp.Diff(first, []string{ids(a), ids(b)}); diff != "" {
		t.Errorf("IDs after reopening (-first +again):\n%s", diff)
	}
}

// A store made before version 7 gets its identity when a program of
// version 7 first opens it, recorded as an additive version, and keeps
// it; a store whose version row was lost keeps the ID it has.
func TestStoreIdentityMadeOnUpgrade(t *testing.T) {
	path := storeAt(t, `DELETE FROM schema_migrations WHERE version >= 7`, `DROP TABLE store_identity`)
	if got := schemaAt(t, path); got != 6 {
		t.Fatalf("the old store is at version %d, want 6", got)
	}
	open := func() string {
		t.Helper()
		s, err := Open(path)
		if err != nil {
			t.Fatalf("Open of a store at version 6: %v", err)
		}
		defer s.Close()
		return s.ID()
	}
	id := open()
	if !storeIDForm.MatchString(id) {
		t.Fatalf("the upgraded store's ID is %q: want 32 hex digits", id)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	type state struct {
		Schema, Rows int
		Additive     bool
	}
	var got state
	got.Schema = schemaAt(t, path)
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM store_identity), additive FROM schema_migrations WHERE version = 7`).Scan(&got.Rows, &got.Additive); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(state{Schema: 7, Rows: 1, Additive: true}, got); diff != "" {
		t.Errorf("after the upgrade (-want +got):\n%s", diff)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version = 7`); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{id, id}, []string{open(), open()}); diff != "" {
		t.Errorf("the ID when reopened, and after version 7 ran again (-want +got):\n%s", diff)
	}
}

// logLines is a replicator's log, as the warnings in it.
type logLines struct{ bytes.Buffer }

func (l *logLines) warnings(t *testing.T) []string {
	t.Helper()
	var out []string
	for line := range strings.Lines(l.String()) {
		var e struct{ Level, Message string }
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if e.Level == "warn" {
			out = append(out, e.Message)
		}
	}
	return out
}

// fleetStores is what the fleet says of each station's stores.
type fleetStores struct {
	Store        string
	StoreChanges int64
	Changed      bool
	Conflict     []string // its stores, nil when none shows
	Events       int64
}

func storesOf(t *testing.T, c *Central) map[string]fleetStores {
	t.Helper()
	ctx := context.Background()
	f, err := c.Fleet(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]fleetStores{}
	for _, s := range f.Stations {
		fs := fleetStores{Store: s.Store, StoreChanges: s.StoreChanges, Changed: s.StoreChanged != nil, Events: s.Events}
		if s.Conflict != nil {
			fs.Conflict = s.Conflict.Stores
			if s.Conflict.Station != s.ID || s.Conflict.Since.After(s.Conflict.Last) {
				t.Errorf("station %s: conflict %+v", s.ID, s.Conflict)
			}
		}
		one, err := c.FleetStation(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s, one); diff != "" {
			t.Errorf("FleetStation(%s) differs from Fleet's (-fleet +station):\n%s", s.ID, diff)
		}
		out[s.ID] = fs
	}
	return out
}

// syncOK is r.Sync, which must succeed.
func syncOK(t *testing.T, r *Replicator) {
	t.Helper()
	if _, err := r.Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Two stores replicating under one station ID (its configuration copied
// to a second PC) are both taken in full, and shown as a conflict: by
// Fleet and FleetStation, and to each station's replicator, which warns
// once, naming the ID and the option that gives each station its own. A
// station replicating alone beside them is not flagged. Once they stop
// alternating, the conflict clears after StoreConflictWindow.
func TestTwoStoresUnderOneStationIDAreAConflict(t *testing.T) {
	c := openCentral(t)
	a, b, alone := writeRuns(t, 2), writeRuns(t, 3), writeRuns(t, 1)
	var logA, logB logLines
	ra := a.NewReplicator(c, ReplicaOptions{Station: "line-3", Log: zerolog.New(&logA)})
	rb := b.NewReplicator(c, ReplicaOptions{Station: "line-3", Log: zerolog.New(&logB)})
	syncOK(t, alone.NewReplicator(c, ReplicaOptions{Station: "line-4"}))
	syncOK(t, ra)
	syncOK(t, rb) // one change: could be a re-image
	if got := storesOf(t, c)["line-3"]; got.Conflict != nil {
		t.Fatalf("after one change of store: %+v, want no conflict yet", got)
	}
	emitRun(t, a, 10, 2, 3)
	syncOK(t, ra) // back to a: two stores alternating
	emitRun(t, b, 10, 2, 3)
	for range 3 {
		syncOK(t, rb)
		syncOK(t, ra)
	}
	events := int64(a.Stats().Events + b.Stats().Events)
	want := map[string]fleetStores{
		"line-3": {Store: a.ID(), StoreChanges: 8, Changed: true, Conflict: []string{a.ID(), b.ID()}, Events: events},
		"line-4": {Store: alone.ID(), Events: int64(alone.Stats().Events)},
	}
	if diff := cmp.Diff(want, storesOf(t, c)); diff != "" {
		t.Errorf("the fleet (-want +got):\n%s", diff)
	}
	for name, l := range map[string]*logLines{"a": &logA, "b": &logB} {
		w := l.warnings(t)
		if len(w) != 1 || !strings.Contains(w[0], `station ID "line-3"`) || !strings.Contains(w[0], "--station") {
			t.Errorf("store %s's replicator warned %q, want one warning naming the ID and --station", name, w)
		}
	}

	// The copy gets its own ID; the stores stop alternating. Aging the
	// row's times stands for StoreConflictWindow passing: the fleet
	// page's token changes then, though no batch came.
	token, err := c.FleetToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Exec(`UPDATE stations SET store_changed_ns = store_changed_ns - $1, conflict_since_ns = conflict_since_ns - $1, conflict_ns = conflict_ns - $1 WHERE id = 'line-3'`,
		StoreConflictWindow.Nanoseconds()); err != nil {
		t.Fatal(err)
	}
	if aged, err := c.FleetToken(context.Background()); err != nil || aged == token {
		t.Errorf("the fleet's token once the conflict has passed: %q, %v; before %q", aged, err, token)
	}
	syncOK(t, b.NewReplicator(c, ReplicaOptions{Station: "line-5"}))
	syncOK(t, ra)
	want["line-3"] = fleetStores{Store: a.ID(), StoreChanges: 8, Changed: true, Events: events}
	want["line-5"] = fleetStores{Store: b.ID()}
	if diff := cmp.Diff(want, storesOf(t, c)); diff != "" {
		t.Errorf("the fleet once the conflict has passed (-want +got):\n%s", diff)
	}
}

// Two stores that take turns under one station ID, hours apart (a day
// shift's PC and a night shift's), are a conflict from the first time
// the ID goes back to a store it had: each change was more than
// StoreConflictWindow after the one before, so each used to read as a
// re-image, for ever.
func TestStoresTakingTurnsAreAConflict(t *testing.T) {
	c := openCentral(t)
	day, night := writeRuns(t, 1), writeRuns(t, 1)
	age := func() { // a shift passes
		t.Helper()
		if _, err := c.db.Exec(`UPDATE stations SET store_changed_ns = store_changed_ns - $1 WHERE id = 'line-9'`,
			2*StoreConflictWindow.Nanoseconds()); err != nil {
			t.Fatal(err)
		}
	}
	syncOK(t, day.NewReplicator(c, ReplicaOptions{Station: "line-9"}))
	age()
	syncOK(t, night.NewReplicator(c, ReplicaOptions{Station: "line-9"}))
	if got := storesOf(t, c)["line-9"]; got.Conflict != nil {
		t.Fatalf("after one change of store: %+v, want no conflict yet", got)
	}
	age()
	emitRun(t, day, 10, 2, 3)
	syncOK(t, day.NewReplicator(c, ReplicaOptions{Station: "line-9"}))
	want := fleetStores{Store: day.ID(), StoreChanges: 2, Changed: true, Conflict: []string{day.ID(), night.ID()},
		Events: int64(day.Stats().Events + night.Stats().Events)}
	if diff := cmp.Diff(want, storesOf(t, c)["line-9"]); diff != "" {
		t.Errorf("the station back to its first store (-want +got):\n%s", diff)
	}
}

// A re-imaged station (a new, empty store under the same ID) goes on
// replicating: the change is recorded, once, and is no conflict however
// many batches follow; its replicator warns of nothing.
func TestReimagedStationIsNoConflict(t *testing.T) {
	c := openCentral(t)
	old, fresh := writeRuns(t, 2), writeRuns(t, 0)
	var log logLines
	syncOK(t, old.NewReplicator(c, ReplicaOptions{Station: "line-7", Log: zerolog.New(&log)}))
	if got := storesOf(t, c)["line-7"]; got.Changed || got.StoreChanges != 0 {
		t.Fatalf("a station's first store: %+v, want no change recorded", got)
	}
	before := time.Now()
	r := fresh.NewReplicator(c, ReplicaOptions{Station: "line-7", Log: zerolog.New(&log)})
	syncOK(t, r) // a heartbeat: nothing to send yet
	for i := range 3 {
		emitRun(t, fresh, i, 2, 3)
		syncOK(t, r)
	}
	want := fleetStores{Store: fresh.ID(), StoreChanges: 1, Changed: true, Events: int64(old.Stats().Events + fresh.Stats().Events)}
	if diff := cmp.Diff(want, storesOf(t, c)["line-7"]); diff != "" {
		t.Errorf("the re-imaged station (-want +got):\n%s", diff)
	}
	st, err := c.FleetStation(context.Background(), "line-7")
	if err != nil {
		t.Fatal(err)
	}
	// The database's clock against ours: a minute's leeway.
	if st.StoreChanged == nil || st.StoreChanged.Before(before.Add(-time.Minute)) || st.StoreChanged.After(time.Now().Add(time.Minute)) {
		t.Errorf("StoreChanged %v, want about when the new store first replicated (%v)", st.StoreChanged, before)
	}
	if w := log.warnings(t); len(w) != 0 {
		t.Errorf("warnings %q, want none", w)
	}
}

// Batches that name no store (programs older than schema version 7) are
// taken and never flagged, alone or between batches of a store: one
// station's programs of two versions replicating the same store.
func TestBatchesWithoutAStoreAreNoConflict(t *testing.T) {
	c := openCentral(t)
	s, older := writeRuns(t, 4), writeRuns(t, 4)
	ctx := context.Background()
	evs, _, err := s.outbox(ctx, 0, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	olderEvs, _, err := older.outbox(ctx, 0, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var receipts []Receipt
	for i, e := range evs {
		b := Batch{Station: "line-8", Events: []OutboxEvent{e}}
		if i%2 == 1 {
			b.Store = s.ID()
		}
		r, err := c.IngestWithReceipt(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		receipts = append(receipts, r)
		if _, err := c.Ingest(ctx, Batch{Station: "line-9", Events: []OutboxEvent{olderEvs[i]}}); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]fleetStores{
		"line-8": {Store: s.ID(), Events: int64(len(evs))},
		"line-9": {Events: int64(len(olderEvs))},
	}
	if diff := cmp.Diff(want, storesOf(t, c)); diff != "" {
		t.Errorf("the fleet (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(make([]*StoreConflict, len(evs)), conflictsOf(receipts), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("receipts' conflicts (-want +got):\n%s", diff)
	}
}

func conflictsOf(rs []Receipt) []*StoreConflict {
	out := make([]*StoreConflict, len(rs))
	for i, r := range rs {
		out[i] = r.Conflict
	}
	return out
}

// Two batches that race: the one whose statement began first (stamped
// earlier by the database's clock) can take the station's row second.
// The conflict's last change then stays the later stamp, never before
// when the conflict began. The race is played by moving the conflict's
// stamps a minute ahead, as a later-stamped batch that took the row
// first leaves them.
func TestRacingBatchesKeepTheConflictsLastAfterItsStart(t *testing.T) {
	c := openCentral(t)
	a, b := writeRuns(t, 1), writeRuns(t, 1)
	for _, s := range []*Store{a, b, a} {
		syncOK(t, s.NewReplicator(c, ReplicaOptions{Station: "line-4"}))
	}
	if got := storesOf(t, c)["line-4"]; got.Conflict == nil {
		t.Fatalf("stores alternating: %+v, want a conflict", got)
	}
	if _, err := c.db.Exec(`UPDATE stations SET conflict_since_ns = conflict_since_ns + $1, conflict_ns = conflict_ns + $1,
		store_changed_ns = store_changed_ns + $1 WHERE id = 'line-4'`, time.Minute.Nanoseconds()); err != nil {
		t.Fatal(err)
	}
	r := b.NewReplicator(c, ReplicaOptions{Station: "line-4"})
	st, err := r.Sync(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Conflict == nil || st.Conflict.Since.After(st.Conflict.Last) {
		t.Errorf("the receipt's conflict %+v, want one whose Last is not before its Since", st.Conflict)
	}
	storesOf(t, c) // checks the fleet's conflicts the same way
}
