package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/internal/pgtest"
)

// schemaAt is the schema version the store at path holds.
func schemaAt(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`SELECT max(version) FROM schema_migrations`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// storeAt makes a store, closes it, and runs queries on it (taking it
// back to an older schema); it returns its path.
func storeAt(t *testing.T, queries ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "station.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return path
}

// openedByAnother takes the lock of another program (of the schema the
// store is at) with the store at path open.
func openedByAnother(t *testing.T, path string) io.Closer {
	t.Helper()
	real, err := realPath(path)
	if err != nil {
		t.Fatal(err)
	}
	other, err := holdLock(ownerFile(real, "station-7/4242/0011223344556677"))
	if err != nil {
		t.Fatal(err)
	}
	return other
}

// A store whose schema is older than this program's is not upgraded
// while a program of the old schema has it open (it would go on writing
// rows the new schema misreads): Open says so, and leaves the store as
// it is; once that program has closed it, Open upgrades it.
func TestNoUpgradeUnderAnOpenStore(t *testing.T) {
	old := SchemaVersion() - 1 // even an additive version (6 is): see refuseUpgradeInUse
	path := storeAt(t, fmt.Sprintf(`DELETE FROM schema_migrations WHERE version > %d`, old))
	other := openedByAnother(t, path)
	s, err := Open(path)
	if err == nil {
		s.Close()
	}
	type state struct {
		InUse  bool
		Schema int
	}
	if diff := cmp.Diff(state{true, old}, state{errors.Is(err, ErrInUse), schemaAt(t, path)}); diff != "" {
		t.Fatalf("opened under a program of the old schema (-want +got):\n%s\nerror: %v", diff, err)
	}
	other.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatalf("once the other program has closed the store: %v", err)
	}
	s.Close()
	if got := schemaAt(t, path); got != SchemaVersion() {
		t.Fatalf("schema %d after the upgrade, want %d", got, SchemaVersion())
	}
}

// Programs of one version that open a new store at once all open it:
// the one that creates the schema does not take the others, which wait
// for it, for programs of an old schema.
func TestNewStoreOpenedAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	const n = 4
	errs := make([]error, n)
	stores := make([]*Store, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { stores[i], errs[i] = Open(path) })
	}
	wg.Wait()
	for _, s := range stores {
		if s != nil {
			s.Close()
		}
	}
	if diff := cmp.Diff(make([]error, n), errs, cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// A store at version 5, made before schema_migrations had its additive
// column, is upgraded to version 6 (an index, additive) and on: the
// column is added, versions 6 and 7 recorded as additive, 6's index made.
func TestUpgradeRecordsAdditiveVersions(t *testing.T) {
	path := storeAt(t,
		`DELETE FROM schema_migrations WHERE version >= 6`,
		`DROP INDEX events_dut_starts`,
		`ALTER TABLE schema_migrations DROP COLUMN additive`)
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open of a store at version 5: %v", err)
	}
	s.Close()
	type row struct {
		Version  int
		Additive bool
	}
	var got []row
	rows, err := db.Query(`SELECT version, additive FROM schema_migrations WHERE version >= 5 ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.Version, &r.Additive); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	rows.Close()
	if diff := cmp.Diff([]row{{5, false}, {6, true}, {7, true}}, got); diff != "" {
		t.Errorf("schema_migrations (-want +got):\n%s", diff)
	}
	var idx int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_dut_starts'`).Scan(&idx); err != nil || idx != 1 {
		t.Errorf("events_dut_starts: %d (%v), want it made", idx, err)
	}
}

// A program opens a database a newer one upgraded when every version it
// does not know is additive, and is refused (ErrSchemaTooNew, naming the
// version that changed what it writes) when one is not; on the station
// store and on the central database alike.
func TestOlderProgramAndAdditiveVersions(t *testing.T) {
	for _, d := range []dialect{sqliteDialect, postgresDialect} {
		t.Run(d.String(), func(t *testing.T) {
			ctx := context.Background()
			var db *sql.DB
			var err error
			if d == postgresDialect {
				db, err = sql.Open("pgx", pgtest.New(t))
			} else {
				db, err = sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "station.db")+"?_pragma=busy_timeout(10000)")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			ours, err := loadMigrations(d)
			if err != nil {
				t.Fatal(err)
			}
			n := len(ours)
			index := migration{version: n + 1, name: "future_index", sql: "CREATE TABLE future_notes (id INTEGER PRIMARY KEY)", additive: true}
			change := migration{version: n + 2, name: "future_change", sql: "ALTER TABLE runs ADD COLUMN future_flag INTEGER"}

			newer := append(slices.Clone(ours), index)
			if err := applyMigrations(ctx, db, d, newer); err != nil {
				t.Fatal(err)
			}
			if err := applyMigrations(ctx, db, d, ours); err != nil {
				t.Fatalf("version %d is additive, yet a program of version %d is refused: %v", n+1, n, err)
			}
			if err := applyMigrations(ctx, db, d, append(newer, change)); err != nil {
				t.Fatal(err)
			}
			err = applyMigrations(ctx, db, d, ours)
			if !errors.Is(err, ErrSchemaTooNew) || !strings.Contains(err.Error(), fmt.Sprintf("version %d (future_change)", n+2)) {
				t.Fatalf("a program of version %d under version %d, which is not additive: %v, want ErrSchemaTooNew naming it", n, n+2, err)
			}
			if err := applyMigrations(ctx, db, d, newer); !errors.Is(err, ErrSchemaTooNew) {
				t.Fatalf("a program of version %d under version %d: %v, want ErrSchemaTooNew", n+1, n+2, err)
			}
		})
	}
}

// A station connected to the central database before a newer station
// migrated it goes on sending while the new versions are additive, and
// stops (ErrSchemaTooNew, the batch not taken: it waits in the outbox)
// at one that changes what it writes; its batch is never written under
// a schema it does not know.
func TestIngestStopsAtASchemaThatChangesIt(t *testing.T) {
	ctx := context.Background()
	url := pgtest.New(t)
	c, err := OpenCentral(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ours, err := loadMigrations(postgresDialect)
	if err != nil {
		t.Fatal(err)
	}
	n := len(ours)
	newer := append(slices.Clone(ours), migration{version: n + 1, name: "future_index", sql: "CREATE TABLE future_notes (id INTEGER PRIMARY KEY)", additive: true})

	run := harness.NewRunID(time.Unix(1_800_000_000, 0))
	batch := func(seq uint64) Batch {
		e := harness.Event{Run: run, Seq: seq, Time: time.Unix(1_800_000_000, int64(seq)), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "burn-in"}}
		if seq > 1 {
			e.Kind, e.Info, e.DUT, e.Phase = harness.EventPhaseStarted, nil, "a", &harness.PhaseEvent{Name: "load"}
		}
		body, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		return Batch{Station: "line-3", Events: []OutboxEvent{{Pos: int64(seq), Run: run, Seq: seq, TimeNS: e.Time.UnixNano(), Kind: string(e.Kind), DUT: e.DUT, Body: string(body)}}}
	}
	if err := applyMigrations(ctx, db, postgresDialect, newer); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Ingest(ctx, batch(1)); err != nil || got != 1 {
		t.Fatalf("under an additive version %d: %d events taken, %v", n+1, got, err)
	}
	change := migration{version: n + 2, name: "future_change", sql: "ALTER TABLE runs ADD COLUMN future_flag INTEGER"}
	if err := applyMigrations(ctx, db, postgresDialect, append(newer, change)); err != nil {
		t.Fatal(err)
	}
	_, err = c.Ingest(ctx, batch(2))
	var rej *RejectedError
	if !errors.Is(err, ErrSchemaTooNew) || errors.As(err, &rej) {
		t.Fatalf("under version %d, which changes what it writes: %v, want ErrSchemaTooNew, not a rejection (the batch is sent again once upgraded)", n+2, err)
	}
	var events int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&events); err != nil || events != 1 {
		t.Errorf("events in the central database: %d (%v), want only the first batch's", events, err)
	}
}

// A migration of the central database waits for an ingest that has read
// the schema's version to commit: the batch goes in under the version
// it checked, never under the next one. (The ingest's read of
// schema_migrations is what orders the two.)
func TestCentralMigrationWaitsForAnIngestInFlight(t *testing.T) {
	ctx := context.Background()
	url := pgtest.New(t)
	c, err := OpenCentral(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ingest, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ingest.Rollback()
	if err := c.schemaUnchanged(ctx, ingest); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ours, err := loadMigrations(postgresDialect)
	if err != nil {
		t.Fatal(err)
	}
	change := migration{version: len(ours) + 1, name: "future_change", sql: "ALTER TABLE runs ADD COLUMN future_flag INTEGER"}
	migrated := make(chan error, 1)
	go func() { migrated <- applyMigrations(ctx, db, postgresDialect, append(slices.Clone(ours), change)) }()

	// Until the migration either ends or waits for a lock on
	// schema_migrations.
	for waiting := false; !waiting; {
		select {
		case err := <-migrated:
			t.Fatalf("the migration ran under an ingest in flight (%v)", err)
		default:
		}
		if err := db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM pg_locks l JOIN pg_class r ON r.oid = l.relation
			WHERE l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
				AND r.relname = 'schema_migrations' AND NOT l.granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // a poll of the server's lock table, not a measurement
	}
	if err := ingest.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-migrated; err != nil {
		t.Fatalf("the migration, once the ingest committed: %v", err)
	}
}
