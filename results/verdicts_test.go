package results_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
)

// unitRow is a row of the units table as analytics read it.
type unitRow struct {
	DUT, Serial, Outcome string
	Ended                bool
}

func unitRows(t *testing.T, path, run string) []unitRow {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	rows, err := db.Query(`SELECT dut, serial, coalesce(outcome, ''), ended_ns IS NOT NULL FROM units WHERE run_id = ? ORDER BY dut`, run)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []unitRow
	for rows.Next() {
		var r unitRow
		if err := rows.Scan(&r.DUT, &r.Serial, &r.Outcome, &r.Ended); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every DUT of an ended run has its verdict in units, identified or not:
// yield queries read units, not event bodies.
func TestUnitsHoldTheirVerdicts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	store := openStore(t, path)
	defer store.Close()
	rec, err := harness.Run(context.Background(), "verdicts", func(tt *harness.Test) error {
		tt.DUT("slot-1", func(d *harness.DUTRun) error {
			return d.Measure("3V3", 3.3*units.Volt, harness.Between(3.2, 3.4))
		}, harness.WithUnit(harness.Unit{Serial: "SN-1"}))
		tt.DUT("slot-2", func(d *harness.DUTRun) error {
			return d.Measure("3V3", 2.9*units.Volt, harness.Between(3.2, 3.4))
		})
		tt.DUT("slot-3", func(d *harness.DUTRun) error { return errors.New("no console") },
			harness.WithUnit(harness.Unit{Serial: "SN-3"}))
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store))
	if err != nil {
		t.Fatal(err)
	}
	store.Close()
	want := []unitRow{{"slot-1", "SN-1", "pass", true}, {"slot-2", "", "fail", true}, {"slot-3", "SN-3", "error", true}}
	if diff := cmp.Diff(want, unitRows(t, path, rec.ID)); diff != "" {
		t.Fatalf("units (-want +got):\n%s", diff)
	}
}

// A store of version 2 gets its ended runs' verdicts into units when it
// is opened by this version: the old run.ended events hold them.
func TestMigrationGivesOldUnitsTheirVerdicts(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	db := rawDB(t, path)
	queries := []string{}
	for _, f := range []string{"migrations/0001_station_store.sql", "migrations/0002_station_controls.sql"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		queries = append(queries, string(b))
	}
	run, open := harness.NewRunID(time.Now()), harness.NewRunID(time.Now().Add(time.Second))
	queries = append(queries,
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ns INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, 'station_store', 0), (2, 'station_controls', 0)`,
		`INSERT INTO runs (id, name, started_ns, ended_ns, outcome, last_seq) VALUES ('`+run+`', 'old', 1, 9, 'fail', 2), ('`+open+`', 'open', 1, NULL, NULL, 1)`,
		`INSERT INTO units (run_id, dut, serial) VALUES ('`+run+`', 'slot-1', 'SN-1'), ('`+open+`', 'slot-1', 'SN-9')`,
		`INSERT INTO events (run_id, seq, time_ns, kind, body, pos) VALUES
			('`+run+`', 1, 1, 'run.started', '{}', 1),
			('`+run+`', 2, 9, 'run.ended', '{"end":{"outcome":"fail","duts":[{"name":"slot-1","outcome":"pass"},{"name":"slot-2","outcome":"fail"}]}}', 2),
			('`+open+`', 1, 1, 'run.started', '{}', 3)`,
	)
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	store := openStore(t, path)
	store.Close()
	want := []unitRow{{"slot-1", "SN-1", "pass", true}, {"slot-2", "", "fail", true}}
	if diff := cmp.Diff(want, unitRows(t, path, run)); diff != "" {
		t.Fatalf("the old run's units (-want +got):\n%s", diff)
	}
	// A run going on (here: one whose process is gone, which the open
	// closed as aborted) is not given a verdict by the migration.
	if got := unitRows(t, path, open); len(got) != 1 || got[0].Serial != "SN-9" {
		t.Fatalf("the open run's units: %+v", got)
	}
}
