package station_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/internal/pgtest"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/results/resultstest"
	"github.com/scpikit/scpikit/station"
)

// fleetUnit is a DUT of a scripted run; outcome 0 (unknown) while the
// run goes on.
type fleetUnit = resultstest.Unit

// scriptFleetRun writes a run of station software v2.0.1 into s
// (resultstest.WriteRun) and returns its ID.
func scriptFleetRun(t testing.TB, s *results.Store, at time.Time, name string, units []fleetUnit, open bool) string {
	t.Helper()
	return resultstest.WriteRun(t, s, at, harness.RunInfo{Name: name, Operator: "ada", Software: "v2.0.1"}, units, open)
}

// fleetDB is a central database of the test's own, with a connection
// to replicate into it.
func fleetDB(t testing.TB) (string, *results.Central) {
	t.Helper()
	u := pgtest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := results.OpenCentral(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return u, c
}

// replicate sends store's events to c as station id, all of them.
func replicate(t testing.TB, store *results.Store, c *results.Central, id string) {
	t.Helper()
	if _, err := store.NewReplicator(c, results.ReplicaOptions{Station: id}).Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// serveFleet serves f alone on a free loopback port until the test ends.
func serveFleet(t testing.TB, f *station.Fleet) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the fleet server: %v", err)
		}
		f.Close()
	})
	return "http://" + ln.Addr().String()
}

func getJSON[T any](t *testing.T, url string, wantStatus int) T {
	t.Helper()
	code, body := do(t, "GET", url, "", nil)
	if code != wantStatus {
		t.Fatalf("GET %s: %d %s, want %d", url, code, body, wantStatus)
	}
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
	return v
}

// The fleet API over a real PostgreSQL with two stations replicated into
// it: every station with its exact event count and backlog, its newest
// run with its slots, today's yield per part; clear errors for an
// unknown station and hostile parameters.
func TestFleetAPI(t *testing.T) {
	dbURL, c := fleetDB(t)
	// Today's runs, at least two minutes after midnight so that the
	// earlier one is today too.
	today := time.Now()
	if y, m, d := today.Date(); today.Before(time.Date(y, m, d, 0, 2, 0, 0, today.Location())) {
		today = time.Date(y, m, d, 0, 2, 0, 0, today.Location())
	}
	pass, fail := harness.OutcomePass, harness.OutcomeFail
	a := openStore(t, filepath.Join(t.TempDir(), "a.db"))
	defer a.Close()
	scriptFleetRun(t, a, today.Add(-time.Minute), "burn-in", []fleetUnit{{DUT: "dut-1", Serial: "A1", Part: "PSU-12", Outcome: pass}, {DUT: "dut-2", Serial: "A2", Part: "PSU-12", Outcome: fail}}, false)
	openRun := scriptFleetRun(t, a, today, "burn-in", []fleetUnit{{DUT: "dut-1", Serial: "A3", Part: "PSU-12", Outcome: 0}}, true)
	replicate(t, a, c, "line-1")
	b := openStore(t, filepath.Join(t.TempDir(), "b.db"))
	defer b.Close()
	scriptFleetRun(t, b, today.Add(-30*time.Second), "final", []fleetUnit{{DUT: "dut-1", Serial: "B1", Part: "PSU-5", Outcome: pass}}, false)
	replicate(t, b, c, "line-2")
	// Line 2's heartbeat says 5 events wait on it.
	if _, err := c.Ingest(context.Background(), results.Batch{Station: "line-2", Backlog: 5}); err != nil {
		t.Fatal(err)
	}

	base := serveFleet(t, station.NewFleet(dbURL))
	v := getJSON[station.FleetView](t, base+"/api/fleet", 200)
	type row struct {
		ID             string
		Online         bool
		Events, Backlg int64
		Software, Run  string
		Serials        string
	}
	var got []row
	for _, s := range v.Stations {
		r := row{ID: s.ID, Online: s.Online, Events: s.Events, Backlg: s.Backlog, Software: s.Software}
		if s.Run != nil {
			r.Run = s.Run.Name + "/" + s.Run.Outcome
			for _, u := range s.Run.Slots {
				r.Serials += u.Serial + ":" + u.Phase + ":" + u.Latest.Outcome + " "
			}
		}
		got = append(got, r)
	}
	want := []row{
		{ID: "line-1", Online: true, Events: int64(a.Stats().Events), Backlg: 0, Software: "v2.0.1", Run: "burn-in/running", Serials: "A3:load:pass "},
		{ID: "line-2", Online: true, Events: int64(b.Stats().Events), Backlg: 5, Software: "v2.0.1", Run: "final/pass", Serials: "B1:load:pass "},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/api/fleet's stations (-want +got):\n%s", diff)
	}
	if v.Stations[0].Run.ID != openRun {
		t.Errorf("line 1's run is %s, want its newest, %s", v.Stations[0].Run.ID, openRun)
	}
	wantYield := []results.PartYield{{Part: "PSU-12", Yield: results.Yield{Units: 2, Passed: 1, Yield: 0.5}}, {Part: "PSU-5", Yield: results.Yield{Units: 1, Passed: 1, Yield: 1}}}
	if diff := cmp.Diff(wantYield, v.Yield); diff != "" {
		t.Errorf("/api/fleet's yield (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(v.Token, time.Now().Format("20060102")+".") {
		t.Errorf("token %q: want it to start with today's date", v.Token)
	}

	one := getJSON[station.FleetStationView](t, base+"/api/fleet/stations/line-2", 200)
	if one.ID != "line-2" || one.Backlog != 5 || one.Run == nil || one.Run.Name != "final" {
		t.Errorf("/api/fleet/stations/line-2: %+v", one)
	}
	for _, tc := range []struct {
		path   string
		code   int
		header []string
		says   string
	}{
		{path: "/api/fleet/stations/line-9", code: 404, says: `no station \"line-9\"`},
		{path: "/api/fleet/stations/" + strings.Repeat("x", 300), code: 400, says: "at most 256 bytes"},
		{path: "/api/fleet/stations/a%00b", code: 400, says: "without NUL bytes"},
		{path: "/api/fleet/stations/a%ffb", code: 400, says: "without NUL bytes"},
		{path: "/api/fleet?since=" + url.QueryEscape("1 OR 1=1"), code: 400, says: "since: want"},
		{path: "/fleet/events", header: []string{"Last-Event-ID", "<script>"}, code: 400, says: "not a fleet token"},
		{path: "/fleet/events?after=" + strings.Repeat("1", 200), code: 400, says: "not a fleet token"},
		{path: "/nothing", code: 404},
	} {
		code, body := do(t, "GET", base+tc.path, "", nil, tc.header...)
		if code != tc.code || !strings.Contains(body, tc.says) {
			t.Errorf("GET %.60s: %d %s, want %d saying %q", tc.path, code, body, tc.code, tc.says)
		}
	}
	if code, _ := do(t, "GET", base+"/", "", nil); code != 200 { // redirected to the page
		t.Errorf("GET /: %d, want the fleet page", code)
	}
}

// The stream: a snapshot at once, then one each time the database
// changes; a stream resumed with the last token gets only what changed
// after it; a database that goes away is said, and the snapshot comes
// again when it is back.
func TestFleetStream(t *testing.T) {
	dbURL, c := fleetDB(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a := openStore(t, filepath.Join(t.TempDir(), "a.db"))
	defer a.Close()
	scriptFleetRun(t, a, time.Now(), "burn-in", []fleetUnit{{DUT: "dut-1", Serial: "A1", Part: "P", Outcome: harness.OutcomePass}}, false)
	replicate(t, a, c, "line-1")
	base := serveFleet(t, station.NewFleet(dbURL, station.WithFleetPoll(20*time.Millisecond)))

	s, err := openSSE(ctx, base+"/fleet/events", "")
	if err != nil {
		t.Fatal(err)
	}
	first := nextFleet(t, s)
	s.Close()
	if len(first.view.Stations) != 1 || first.view.Stations[0].Backlog != 0 {
		t.Fatalf("the first snapshot: %+v", first.view)
	}
	// Resumed after it: the next snapshot is the change, not a resend.
	s, err = openSSE(ctx, base+"/fleet/events", first.id)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := c.Ingest(ctx, results.Batch{Station: "line-1", Backlog: 42}); err != nil {
		t.Fatal(err)
	}
	second := nextFleet(t, s)
	if second.id == first.id || second.view.Stations[0].Backlog != 42 {
		t.Errorf("after the change: id %s (before %s), backlog %d, want 42", second.id, first.id, second.view.Stations[0].Backlog)
	}

	// The database goes away: no new connection, the old ones cut
	// (from the server's own database: one cannot bar its own).
	admin, err := sql.Open("pgx", pgtest.Server(t))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	if _, err := admin.ExecContext(ctx, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS false`); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
		t.Fatal(err)
	}
	e, err := s.next()
	if err != nil {
		t.Fatal(err)
	}
	if e.Event != "unavailable" || !strings.Contains(e.Data, "the central database cannot be read") {
		t.Errorf("with the database away: %+v, want an unavailable event", e)
	}
	code, body := do(t, "GET", base+"/api/fleet", "", nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "the central database cannot be read") {
		t.Errorf("/api/fleet with the database away: %d %s, want 503", code, body)
	}
	// Back: the snapshot again, as it was.
	if _, err := admin.ExecContext(ctx, `ALTER DATABASE `+name+` ALLOW_CONNECTIONS true`); err != nil {
		t.Fatal(err)
	}
	third := nextFleet(t, s)
	if third.id != second.id || third.view.Stations[0].Backlog != 42 {
		t.Errorf("back: id %s (before %s), backlog %d", third.id, second.id, third.view.Stations[0].Backlog)
	}
}

type fleetEvent struct {
	id   string
	view station.FleetView
}

// nextFleet reads the stream to its next snapshot, skipping
// unavailable events.
func nextFleet(t *testing.T, s *sseStream) fleetEvent {
	t.Helper()
	for {
		e, err := s.next()
		if err != nil {
			t.Fatalf("reading the fleet stream: %v", err)
		}
		if e.Event != "fleet" {
			continue
		}
		var v station.FleetView
		if err := json.Unmarshal([]byte(e.Data), &v); err != nil {
			t.Fatalf("a fleet event: %v: %s", err, e.Data)
		}
		if v.Token != e.ID {
			t.Errorf("a fleet event's id %s and token %s differ", e.ID, v.Token)
		}
		return fleetEvent{e.ID, v}
	}
}

// A central database that cannot be reached from the start: the API
// says so (503, with the reason), the stream says so and stays open, and
// nothing hangs past the request.
func TestFleetDatabaseAway(t *testing.T) {
	base := serveFleet(t, station.NewFleet("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2", station.WithFleetPoll(50*time.Millisecond)))
	code, body := do(t, "GET", base+"/api/fleet", "", nil)
	if code != http.StatusServiceUnavailable || !strings.Contains(body, "the central database cannot be read") || !strings.Contains(body, "127.0.0.1") {
		t.Errorf("/api/fleet: %d %s, want 503 naming the database", code, body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := openSSE(ctx, base+"/fleet/events", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e, err := s.next()
	if err != nil || e.Event != "unavailable" || !strings.Contains(e.Data, "the central database cannot be read") {
		t.Errorf("the stream: %+v, %v; want an unavailable event", e, err)
	}
}
