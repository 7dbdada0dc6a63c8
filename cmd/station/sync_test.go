package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/internal/pgtest"
	"github.com/scpikit/scpikit/results"
)

func TestSyncAndStatus(t *testing.T) {
	path, _ := storeWithRun(t)
	code, _, errOut := runCmd(t, "sync", "--store", path)
	if code != exitUsage || !strings.Contains(errOut, "--db postgres://") {
		t.Errorf("sync without a database: exit %d, %q", code, errOut)
	}
	code, _, errOut = runCmd(t, "sync", "--store", path, "--db", "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if code != exitFailure || !strings.Contains(errOut, "run station sync again") {
		t.Errorf("sync to a database that is not there: exit %d, %q", code, errOut)
	}
	code, out, _ := runCmd(t, "status", "--store", path)
	if code != 0 || !strings.Contains(out, "never replicated") {
		t.Errorf("status before any sync: exit %d, %q", code, out)
	}

	url := pgtest.New(t)
	code, out, errOut = runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3")
	if code != 0 || !strings.Contains(out, "caught up") || !strings.Contains(out, "new there") {
		t.Fatalf("sync: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3")
	if code != 0 || !strings.Contains(out, "0 events sent, 0 new there") {
		t.Errorf("second sync: exit %d, %q", code, out)
	}
	code, out, _ = runCmd(t, "status", "--store", path)
	if code != 0 || !strings.Contains(out, "backlog: 0 events to send") {
		t.Errorf("status: exit %d, %q", code, out)
	}
}

// A measurement the central database rejects (here a constraint its
// administrator added) is parked, status says why; once the constraint
// is dropped, sync --retry-parked sends it, status shows nothing parked,
// and the central database holds exactly what the station does: every
// event, unit and measurement once.
func TestSyncRetryParked(t *testing.T) {
	path, _ := storeWithRun(t)
	url := pgtest.New(t)
	ctx := context.Background()
	local, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	var badSeq int64
	if err := local.QueryRow(`SELECT seq FROM events WHERE kind = 'measurement' ORDER BY pos LIMIT 1`).Scan(&badSeq); err != nil {
		t.Fatal(err)
	}
	// The schema first, then the constraint a first sync meets.
	central, err := results.OpenCentral(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	central.Close()
	pg, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	if _, err := pg.Exec(fmt.Sprintf(`ALTER TABLE events ADD CONSTRAINT not_that_one CHECK (NOT (kind = 'measurement' AND seq = %d))`, badSeq)); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3")
	if code != 0 || !strings.Contains(out, "1 rejected and parked") {
		t.Fatalf("sync against the constraint: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "status", "--store", path)
	if code != 0 || !strings.Contains(out, "parked: positions") || !strings.Contains(out, "not_that_one") || !strings.Contains(out, "--retry-parked") {
		t.Fatalf("status with a parked event: exit %d:\n%s", code, out)
	}
	// Retrying before the cause is fixed keeps it parked.
	code, out, _ = runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3", "--retry-parked")
	if code != 0 || !strings.Contains(out, "0 parked events sent again, 0 new there; 1 rejected again and still parked") {
		t.Fatalf("retry before the fix: exit %d:\n%s", code, out)
	}

	if _, err := pg.Exec(`ALTER TABLE events DROP CONSTRAINT not_that_one`); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3", "--retry-parked")
	if code != 0 || !strings.Contains(out, "1 parked events sent again, 1 new there") || !strings.Contains(out, "caught up") {
		t.Fatalf("retry after the fix: exit %d, %q %q", code, out, errOut)
	}
	code, out, _ = runCmd(t, "status", "--store", path)
	if code != 0 || !strings.Contains(out, "parked: none") || !strings.Contains(out, "backlog: 0 events to send") {
		t.Fatalf("status after the retry: exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3", "--retry-parked")
	if code != 0 || !strings.Contains(out, "0 parked events sent again") || !strings.Contains(out, "0 events sent, 0 new there") {
		t.Fatalf("a second retry: exit %d:\n%s", code, out)
	}

	counts := func(db *sql.DB) []int {
		var out []int
		for _, q := range []string{`SELECT count(*) FROM events`, `SELECT count(*) FROM units`, `SELECT count(*) FROM measurements`,
			`SELECT count(*) FROM measurements WHERE outcome = 'fail'`} {
			var n int
			if err := db.QueryRow(q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			out = append(out, n)
		}
		return out
	}
	if diff := cmp.Diff(counts(local), counts(pg)); diff != "" {
		t.Errorf("events, units, measurements, failed measurements (-station +central):\n%s", diff)
	}
}

// A central database the station has not reached for weeks is pointed
// out by status with the command that forgets it; once forgotten it no
// longer holds up the backlog, and the other one is kept.
func TestSyncForget(t *testing.T) {
	path, _ := storeWithRun(t)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour).UnixNano()
	_, err = db.Exec(`INSERT INTO outbox_state (target, acked_pos, acked_ns) VALUES ('postgres://u:xxxxx@old.example/fleet', 1, ?),
		('postgres://u:xxxxx@db.example/fleet', (SELECT max(pos) FROM events), ?)`, old, time.Now().UnixNano())
	if err == nil {
		// Never reached: a mistyped name, failing for 30 days.
		_, err = db.Exec(`INSERT INTO outbox_state (target, error, error_ns) VALUES ('postgres://u:xxxxx@typo.example/fleet', 'no such host', ?)`, old)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	backlog := func() int {
		store, err := results.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		n, _ := store.Backlog()
		return n
	}
	if n := backlog(); n == 0 {
		t.Fatal("the stale database holds no backlog")
	}
	code, out, _ := runCmd(t, "status", "--store", path)
	hint := "nothing acknowledged for 30 days: if the station no longer replicates there, station sync --forget 'postgres://u:xxxxx@old.example/fleet'"
	typo := "nothing acknowledged for 30 days: if the station no longer replicates there, station sync --forget 'postgres://u:xxxxx@typo.example/fleet'"
	if code != 0 || !strings.Contains(out, hint) || !strings.Contains(out, typo) || strings.Count(out, "nothing acknowledged") != 2 {
		t.Errorf("status: exit %d, %q", code, out)
	}
	// Flags that --forget would ignore are refused, naming them, and
	// nothing is forgotten.
	for _, stray := range [][]string{{"--db", "postgres://u@db.example/fleet"}, {"--retry-parked"}, {"--timeout", "1s"},
		{"--station", "line-3"}, {"--timeout", "1s", "--retry-parked"}} {
		code, _, errOut := runCmd(t, append([]string{"sync", "--store", path, "--forget", "postgres://u:secret@old.example/fleet"}, stray...)...)
		if code != exitUsage || !strings.Contains(errOut, stray[0]) || !strings.Contains(errOut, "--forget only drops a central database") {
			t.Errorf("sync --forget %v: exit %d, %q; want %d naming %s", stray, code, errOut, exitUsage, stray[0])
		}
	}
	if code, out, _ := runCmd(t, "status", "--store", path); code != 0 || !strings.Contains(out, "old.example") {
		t.Fatalf("status after refused forgets: exit %d, %q", code, out)
	}
	// Named by the URL with its password, as the station was given it.
	code, out, errOut := runCmd(t, "sync", "--store", path, "--forget", "postgres://u:secret@old.example/fleet")
	if code != 0 || !strings.Contains(out, "forgot postgres://u:xxxxx@old.example/fleet") || strings.Contains(out, "secret") {
		t.Fatalf("sync --forget: exit %d, %q %q", code, out, errOut)
	}
	if code, out, errOut := runCmd(t, "sync", "--store", path, "--forget", "postgres://u:xxxxx@typo.example/fleet"); code != 0 {
		t.Fatalf("sync --forget: exit %d, %q %q", code, out, errOut)
	}
	if n := backlog(); n != 0 {
		t.Errorf("backlog %d after forgetting the stale databases, want 0", n)
	}
	code, out, _ = runCmd(t, "status", "--store", path)
	if code != 0 || strings.Contains(out, "old.example") || !strings.Contains(out, "db.example") {
		t.Errorf("status after forgetting: exit %d, %q", code, out)
	}
	code, _, errOut = runCmd(t, "sync", "--store", path, "--forget", "postgres://u:secret@old.example/fleet")
	if code != exitUsage || !strings.Contains(errOut, "no such central database: postgres://u:xxxxx@old.example/fleet (station status lists") {
		t.Errorf("forgetting it again: exit %d, %q", code, errOut)
	}
}

// Two station stores synced under one station ID in turn (a
// configuration copied to a second PC): every sync succeeds, and once the
// stores alternate, sync warns, naming the ID and --station.
func TestSyncWarnsOfTwoStoresUnderOneID(t *testing.T) {
	a, _ := storeWithRun(t)
	b, _ := storeWithRun(t)
	url := pgtest.New(t)
	var warned []bool
	for _, path := range []string{a, b, a} {
		code, out, errOut := runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3")
		if code != exitOK || !strings.Contains(out, "caught up") {
			t.Fatalf("sync: exit %d, %q %q", code, out, errOut)
		}
		warned = append(warned, strings.Contains(errOut, `warning: station ID "line-3" is used by two station stores`) && strings.Contains(errOut, "--station"))
	}
	// The first change could be a re-image; the change back is not.
	if diff := cmp.Diff([]bool{false, false, true}, warned); diff != "" {
		t.Errorf("warned at each sync (-want +got):\n%s", diff)
	}
}
