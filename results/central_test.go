package results

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/internal/pgtest"
)

// The two dialects' migrations are the same steps: same numbers, same names.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := loadMigrations(sqliteDialect)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := loadMigrations(postgresDialect)
	if err != nil {
		t.Fatal(err)
	}
	names := func(ms []migration) (out []string) {
		for _, m := range ms {
			out = append(out, m.name)
		}
		return out
	}
	if diff := cmp.Diff(names(lite), names(pg)); diff != "" {
		t.Errorf("SQLite and PostgreSQL migrations differ (-sqlite +postgres):\n%s", diff)
	}
}

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT a FROM t WHERE x = ? AND y = ?`: `SELECT a FROM t WHERE x = $1 AND y = $2`,
		`SELECT '?' , "a?" FROM t WHERE x = ?`:  `SELECT '?' , "a?" FROM t WHERE x = $1`,
		`SELECT 1`:                              `SELECT 1`,
	} {
		if got := postgresDialect.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
		if got := sqliteDialect.rebind(in); got != in {
			t.Errorf("sqlite rebind(%q) = %q, want it unchanged", in, got)
		}
	}
}

// openCentral is a migrated central database of t's own.
func openCentral(t *testing.T) *Central {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := OpenCentral(ctx, pgtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestOpenCentralMigratesOnceConcurrently(t *testing.T) {
	url := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			c, err := OpenCentral(ctx, url)
			if err == nil {
				c.Close()
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, v int
	if err := db.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &v); err != nil {
		t.Fatal(err)
	}
	if want := SchemaVersion(); n != want || v != want {
		t.Errorf("schema_migrations: %d rows up to version %d, want %d", n, v, want)
	}
}

// tableCounts are the rows of the tables replication fills.
func tableCounts(t *testing.T, db *sql.DB, d dialect) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, table := range []string{"runs", "events", "units", "measurements"} {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// indexRows are the index tables' rows, as text, in a fixed order: what
// must be the same on a station and centrally.
func indexRows(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	queries := map[string]string{
		"runs": `SELECT id || '|' || name || '|' || station || '|' || operator || '|' || config || '|' || started_ns || '|' ||
			coalesce(ended_ns, -1) || '|' || coalesce(outcome, '-') || '|' || stop_cause || '|' || recovered || '|' || last_seq FROM runs ORDER BY id`,
		"units": `SELECT run_id || '|' || dut || '|' || serial || '|' || part || '|' || revision || '|' || slot || '|' || metadata || '|' ||
			coalesce(outcome, '-') || '|' || coalesce(ended_ns, -1) FROM units ORDER BY run_id, dut`,
		"measurements": `SELECT run_id || '|' || seq || '|' || dut || '|' || phase || '|' || attempt || '|' || name || '|' ||
			coalesce(cast(cast(round(value * 1000000) AS BIGINT) AS TEXT), '-') || '|' || coalesce(points, -1) || '|' || unit || '|' || comparator || '|' || outcome || '|' || time_ns
			FROM measurements ORDER BY run_id, seq`,
		"events": `SELECT run_id || '|' || seq || '|' || time_ns || '|' || kind || '|' || dut || '|' || body FROM events ORDER BY run_id, seq`,
	}
	out := map[string][]string{}
	for table, q := range queries {
		rows, err := db.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		rows.Close()
	}
	return out
}

// writeRuns runs n small runs of two DUTs each into a new station store.
func writeRuns(t *testing.T, n int) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for i := range n {
		emitRun(t, s, i, 2, 3)
	}
	return s
}

// emitRun writes one run of duts DUTs with meas measurements each,
// DUT 0 failing its last one when i is odd.
func emitRun(t testing.TB, s *Store, i, duts, meas int) string {
	t.Helper()
	id, err := emitRunErr(s, i, duts, meas)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func emitRunErr(s *Store, i, duts, meas int) (string, error) {
	now := time.Unix(1_800_000_000+int64(i), 0)
	id := harness.NewRunID(now)
	var seq uint64
	next := func(e harness.Event) harness.Event {
		seq++
		e.Run, e.Seq, e.Time = id, seq, now.Add(time.Duration(seq)*time.Millisecond)
		return e
	}
	var acks []<-chan error
	acks = append(acks, s.Emit(next(harness.Event{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "burn-in", Station: "st", Config: map[string]string{"lot": "7"}}})))
	var end harness.RunEnd
	end.Outcome = harness.OutcomePass
	for d := range duts {
		dut := string(rune('a' + d))
		serial := harness.Unit{Serial: "SN" + dut, Part: "PSU-1", Revision: "B"}
		acks = append(acks, s.Emit(next(harness.Event{Kind: harness.EventDUTStarted, DUT: dut, Unit: &serial})))
		out := harness.OutcomePass
		for m := range meas {
			lo, hi := 4.9, 5.1
			v := 5.0
			o := harness.OutcomePass
			if i%2 == 1 && d == 0 && m == meas-1 {
				v, o, out, end.Outcome = 6, harness.OutcomeFail, harness.OutcomeFail, harness.OutcomeFail
			}
			acks = append(acks, s.Emit(next(harness.Event{Kind: harness.EventMeasurement, DUT: dut, Measurement: &harness.Measurement{
				Name: "vout", Phase: "load", Value: v, Unit: "V", Outcome: o,
				Limit: harness.LimitSpec{Comparator: harness.CompareBetween, Low: &lo, High: &hi}}})))
		}
		end.DUTs = append(end.DUTs, harness.DUTVerdict{Name: dut, Outcome: out})
	}
	acks = append(acks, s.Emit(next(harness.Event{Kind: harness.EventRunEnded, End: &end})))
	for _, a := range acks {
		if err := <-a; err != nil {
			return id, err
		}
	}
	return id, nil
}

// A station's events replicated to PostgreSQL make the same runs, units,
// measurements and events there, by the same fold; sending them all
// again (an acknowledgement lost after the commit) changes nothing.
func TestCentralMatchesStationAndResendChangesNothing(t *testing.T) {
	s := writeRuns(t, 6)
	c := openCentral(t)
	ctx := context.Background()
	r := s.NewReplicator(c, ReplicaOptions{Station: "st1", BatchSize: 9})
	st, err := r.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Inserted != int(s.Stats().Events) || st.Backlog != 0 {
		t.Fatalf("sync: %+v, want %d inserted", st, s.Stats().Events)
	}
	want := indexRows(t, s.db)
	if diff := cmp.Diff(want, indexRows(t, c.db)); diff != "" {
		t.Errorf("central differs from the station (-station +central):\n%s", diff)
	}
	// The cut between commit and acknowledgement: everything again.
	evs, _, err := s.outbox(ctx, 0, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Ingest(ctx, Batch{Station: "st1", Events: evs})
	if err != nil || n != 0 {
		t.Fatalf("resend: %d new, %v; want 0", n, err)
	}
	if diff := cmp.Diff(want, indexRows(t, c.db)); diff != "" {
		t.Errorf("a resend changed the central database (-before +after):\n%s", diff)
	}
	var seen, backlog, events int64
	if err := c.db.QueryRow(`SELECT last_seen_ns, backlog, events FROM stations WHERE id = 'st1'`).Scan(&seen, &backlog, &events); err != nil {
		t.Fatal(err)
	}
	if backlog != 0 || events != int64(s.Stats().Events) || seen == 0 {
		t.Errorf("stations row: seen %d backlog %d events %d", seen, backlog, events)
	}
}

// What PostgreSQL cannot store (a NUL byte in a name) is parked with
// PostgreSQL's reason, and the rest goes in.
func TestCentralRejectsDataErrorsWhichAreParked(t *testing.T) {
	s := writeRuns(t, 2)
	now := time.Unix(1_900_000_000, 0)
	id := harness.NewRunID(now)
	for _, err := range []error{
		<-s.Emit(harness.Event{Run: id, Seq: 1, Time: now, Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "bad\x00name"}}),
		<-s.Emit(harness.Event{Run: id, Seq: 2, Time: now, Kind: harness.EventRunEnded, End: &harness.RunEnd{Outcome: harness.OutcomePass}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	emitRun(t, s, 3, 1, 1)
	c := openCentral(t)
	ctx := context.Background()
	st, err := s.NewReplicator(c, ReplicaOptions{Station: "st1"}).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Parked != 1 || st.Inserted != int(s.Stats().Events)-1 {
		t.Errorf("sync: %+v, want 1 parked and the other %d in", st, s.Stats().Events-1)
	}
	out, err := s.Outbox(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 || len(out[0].Parked) != 1 || !cmp.Equal(out[0].Parked[0].Runs, []string{id}) ||
		!strings.Contains(out[0].Parked[0].Reason, "SQLSTATE 22") {
		t.Errorf("outbox: %+v", out)
	}
}

// Redact leaves no password in a URL (user info or parameter) or a
// libpq key=value string (bare, quoted, with escapes or spaces), and
// changes nothing else.
func TestRedact(t *testing.T) {
	want := map[string]string{
		"postgres://u:secret@db:5432/fleet?sslmode=disable":     "postgres://u:xxxxx@db:5432/fleet?sslmode=disable",
		"postgres://db/fleet?sslmode=disable":                   "postgres://db/fleet?sslmode=disable",
		"postgres://u@db/fleet?password=secret&sslmode=disable": "postgres://u@db/fleet?password=xxxxx&sslmode=disable",
		"host=db user=u password=secret dbname=fleet":           "host=db user=u password=xxxxx dbname=fleet",
		"host=db password = secret":                             "host=db password = xxxxx",
		"PASSWORD='se cret' host=db":                            "PASSWORD=xxxxx host=db",
		`host=db password='it\'s secret' dbname=fleet`:          "host=db password=xxxxx dbname=fleet",
		`password=sec\ ret host=db`:                             "password=xxxxx host=db",
		"host=db dbname=fleet sslmode=disable":                  "host=db dbname=fleet sslmode=disable",
		"host=db password":                                      "host=db password xxxxx",
		"host=db password='unterminated secret":                 "host=db password=xxxxx",
		"postgres://u:secret@db:5432/%zz":                       "(a database URL that does not parse)",
	}
	got := map[string]string{}
	for in := range want {
		got[in] = Redact(in)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Redact (-want +got):\n%s", diff)
	}
}
