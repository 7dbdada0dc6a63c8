package results

import (
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// A store whose schema is older than this program's is not upgraded
// while a program of the old schema has it open (it would go on writing
// rows the new schema misreads): Open says so, and leaves the store as
// it is; once that program has closed it, Open upgrades it.
func TestNoUpgradeUnderAnOpenStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	old := SchemaVersion() - 1
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM schema_migrations WHERE version > ?`, old); err != nil {
		t.Fatal(err)
	}
	db.Close()
	real, err := realPath(path)
	if err != nil {
		t.Fatal(err)
	}
	// A program of the old schema, with the store open.
	other, err := holdLock(ownerFile(real, "station-7/4242/0011223344556677"))
	if err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
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
