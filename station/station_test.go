package station_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/station"
	"github.com/scpikit/scpikit/units"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func openStore(t testing.TB, path string) *results.Store {
	t.Helper()
	s, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// serve starts a station server on a free loopback port, stopped (and
// waited for) at the end of the test.
func serve(t testing.TB, store *results.Store, opts ...station.Option) (*station.Server, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := station.Serve(ctx, store, "127.0.0.1:0", opts...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	stop := func() {
		cancel()
		if err := srv.Wait(); err != nil {
			t.Errorf("the server: %v", err)
		}
	}
	t.Cleanup(stop)
	return srv, stop
}

// do sends a request and returns the status and body.
func do(t testing.TB, method, url, contentType string, body io.Reader, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" { // net/http takes it from the request, not its header
			req.Host = header[i+1]
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// A run paced by the test: it measures n1 times, waits for resume1,
// measures n2 times, waits for resume2, measures n3 times and ends.
type pacedRun struct {
	id      chan string
	paused  chan int // receives 1, then 2, as it waits
	resume  [2]chan struct{}
	done    chan error
	records chan *harness.Record
}

func startPacedRun(store *results.Store, n [3]int) *pacedRun {
	p := &pacedRun{id: make(chan string, 1), paused: make(chan int, 2), resume: [2]chan struct{}{make(chan struct{}), make(chan struct{})},
		done: make(chan error, 1), records: make(chan *harness.Record, 1)}
	go func() {
		rec, err := harness.Run(context.Background(), "paced", func(t *harness.Test) error {
			p.id <- t.ID()
			t.DUT("slot-1", func(d *harness.DUTRun) error {
				return d.Phase("soak", func(ctx context.Context) error {
					for part := 0; part < 3; part++ {
						for i := 0; i < n[part]; i++ {
							if err := d.Measure("v", units.Value(float64(i), "V"), harness.AtMost(1e6)); err != nil {
								return err
							}
						}
						if part < 2 {
							p.paused <- part + 1
							select {
							case <-p.resume[part]:
							case <-ctx.Done():
								return ctx.Err()
							}
						}
					}
					return nil
				})
			}, harness.WithUnit(harness.Unit{Serial: "SN-1"}))
			return nil
		}, harness.WithoutSignals(), harness.WithSink(store))
		p.records <- rec
		p.done <- err
	}()
	return p
}

// The page's stream resumes by Last-Event-ID across a server restart in
// the middle of a run, served the second time from another store on the
// file (as station serve in another process would): every event of the
// run arrives once, in order, those committed while no server ran
// included.
func TestEventsResumeAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	store := openStore(t, path)
	defer store.Close()
	run := startPacedRun(store, [3]int{25, 15, 15})
	id := <-run.id

	srv1, stop1 := serve(t, store)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	<-run.paused // 25 measurements committed
	s1, err := openSSE(ctx, srv1.URL()+"events", "")
	if err != nil {
		t.Fatal(err)
	}
	var got []sseEvent
	measurements := 0
	for measurements < 25 {
		e, err := s1.next()
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got = append(got, e)
		if e.Event == string(harness.EventMeasurement) {
			measurements++
		}
	}
	stop1() // the server goes; the stream ends
	if _, err := s1.next(); err == nil {
		t.Fatal("the stream goes on after its server stopped")
	}
	s1.Close()

	close(run.resume[0]) // 15 measurements while no server runs
	<-run.paused
	other := openStore(t, path)
	defer other.Close()
	srv2, _ := serve(t, other)
	s2, err := openSSE(ctx, srv2.URL()+"events", got[len(got)-1].ID)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	close(run.resume[1]) // and 15 more with the new server
	for {
		e, err := s2.next()
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got = append(got, e)
		if e.Event == string(harness.EventRunEnded) {
			break
		}
	}
	if err := <-run.done; err != nil {
		t.Fatal(err)
	}

	stored, err := store.Events(ctx, id, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want, have []string
	for _, e := range stored {
		want = append(want, results.Cursor{Run: id, Seq: e.Seq}.String()+" "+string(e.Kind))
	}
	for _, e := range got {
		have = append(have, e.ID+" "+e.Event)
		var ev harness.Event
		if err := json.Unmarshal([]byte(e.Data), &ev); err != nil || ev.Run+"/"+itoa(ev.Seq) != e.ID || string(ev.Kind) != e.Event {
			t.Fatalf("event %s: data %.200s does not decode as itself: %v", e.ID, e.Data, err)
		}
	}
	if diff := cmp.Diff(want, have); diff != "" {
		t.Fatalf("the page's events (-stored +received):\n%s", diff)
	}
}

func itoa(n uint64) string {
	return strings.TrimPrefix(results.Cursor{Run: "x", Seq: n}.String(), "x/")
}

// runningRun opens a store with a run going on in it, paused after its
// first measurement. When the test ends (after the servers it started
// stop) the run ends and the store closes.
func runningRun(t *testing.T) (*results.Store, string) {
	t.Helper()
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	t.Cleanup(func() { store.Close() })
	run := startPacedRun(store, [3]int{1, 0, 0})
	id := <-run.id
	<-run.paused
	t.Cleanup(func() {
		close(run.resume[0])
		close(run.resume[1])
		<-run.done
	})
	return store, id
}

// Whatever a client sends, the server answers with a clear status and
// bounded work.
func TestHostileRequests(t *testing.T) {
	store, id := runningRun(t)
	srv, _ := serve(t, store, station.WithMaxStreams(1))
	base := strings.TrimSuffix(srv.URL(), "/")
	huge := `{"answer": "` + strings.Repeat("x", 1<<20) + `"}`
	for _, tc := range []struct {
		name, method, path, ctype, body string
		header                          []string
		want                            int
	}{
		{"bad cursor", "GET", "/events", "", "", []string{"Last-Event-ID", "not a cursor"}, 400},
		{"bad ?after", "GET", "/events?after=" + id + "/-1", "", "", nil, 400},
		{"bad limit", "GET", "/api/runs?limit=1000000", "", "", nil, 400},
		{"bad since", "GET", "/api/yield?since=yesterday-ish", "", "", nil, 400},
		{"unknown report", "GET", "/runs/NOSUCHRUN/report.html", "", "", nil, 404},
		{"unknown run's prompt", "POST", "/api/runs/NOSUCHRUN/prompts/p1", "application/json", `{"answer":"x"}`, nil, 404},
		{"unknown prompt", "POST", "/api/runs/" + id + "/prompts/p99", "application/json", `{"answer":"x"}`, nil, 404},
		{"unknown run's stop", "POST", "/api/runs/NOSUCHRUN/stop", "application/json", `{}`, nil, 404},
		{"huge body", "POST", "/api/runs/" + id + "/prompts/p1", "application/json", huge, nil, 413},
		{"not JSON", "POST", "/api/runs/" + id + "/stop", "application/json", `{"immediate": maybe}`, nil, 400},
		{"no answer", "POST", "/api/runs/" + id + "/prompts/p1", "application/json", `{}`, nil, 400},
		{"form post", "POST", "/api/runs/" + id + "/stop", "application/x-www-form-urlencoded", `immediate=true`, nil, 415},
		{"cross-origin", "POST", "/api/runs/" + id + "/stop", "application/json", `{}`, []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}, 403},
		{"wrong method", "DELETE", "/api/runs/" + id + "/stop", "", "", nil, 405},
		{"hidden file", "GET", "/.keep", "", "", nil, 404},
		{"unknown path", "GET", "/no/such/thing", "", "", nil, 404},
	} {
		code, body := do(t, tc.method, base+tc.path, tc.ctype, strings.NewReader(tc.body), tc.header...)
		if code != tc.want {
			t.Errorf("%s: %d %.200s, want %d", tc.name, code, body, tc.want)
		}
		if code >= 400 && code != 404 && code != 405 && code != 403 && !strings.Contains(body, `"error"`) {
			t.Errorf("%s: the error does not say what is wrong: %.200s", tc.name, body)
		}
	}
	// The run was not stopped by any of that.
	if n, _ := store.Runs(context.Background(), results.Filter{}); n[0].Outcome != "running" {
		t.Fatalf("the run is %s", n[0].Outcome)
	}

	// One stream at most (WithMaxStreams(1)): the second gets 503.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s1, err := openSSE(ctx, srv.URL()+"events", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	if code, body := do(t, "GET", base+"/events", "", nil); code != 503 || !strings.Contains(body, "too many") {
		t.Fatalf("a second stream: %d %s", code, body)
	}
}

// A request addressed to a name that is not this server's is refused:
// a web site whose name its owner made resolve to 127.0.0.1 (DNS
// rebinding) is same-origin to itself, so only its Host tells. IP
// addresses, localhost and names given with WithHosts are served.
func TestRequestsForOtherNamesRefused(t *testing.T) {
	store, id := runningRun(t)
	srv, _ := serve(t, store, station.WithHosts("Station-7.lab.example.com"))
	_, port, err := net.SplitHostPort(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, host, path, body string) (int, string) {
		t.Helper()
		return do(t, method, srv.URL()+strings.TrimPrefix(path, "/"), "application/json", strings.NewReader(body), "Host", host)
	}
	for _, host := range []string{"rebind.evil.example:" + port, "rebind.evil.example", "station-7.lab.example.com.evil.example:" + port, "localhost.evil.example:" + port} {
		for _, r := range []struct{ method, path, body string }{
			{"POST", "/api/runs/" + id + "/stop", `{"immediate": true}`},
			{"GET", "/", ""},
			{"GET", "/api/runs", ""},
			{"GET", "/events", ""},
		} {
			code, body := send(r.method, host, r.path, r.body)
			if code != http.StatusForbidden || !strings.Contains(body, "--host") {
				t.Errorf("%s %s addressed to %s: %d %.200s, want 403 saying how to allow the name", r.method, r.path, host, code, body)
			}
		}
	}
	if n, _ := store.Runs(context.Background(), results.Filter{}); n[0].Outcome != "running" {
		t.Fatalf("a refused request stopped the run: it is %s", n[0].Outcome)
	}
	for _, host := range []string{"127.0.0.1:" + port, "localhost:" + port, "[::1]:" + port, "station-7.LAB.example.com.:" + port, "ui.localhost:" + port} {
		if code, body := send("GET", host, "/api/runs", ""); code != http.StatusOK {
			t.Errorf("GET /api/runs addressed to %s: %d %.200s", host, code, body)
		}
	}
}

// The fleet's routes served beside the station page answer the names the
// station was given (WithHosts): before, the fleet checked names of its
// own and refused them, telling the user to pass the --host already given.
func TestFleetRoutesAnswerTheStationsNames(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	// A database that is not there: the fleet's API answers 503 then, and
	// a refused name 403 before it is asked.
	fleet := station.NewFleet("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	defer fleet.Close()
	srv, _ := serve(t, store, station.WithHosts("station-7.lab"), station.WithFleet(fleet))
	_, port, err := net.SplitHostPort(srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/fleet", "/fleet"} {
		code, body := do(t, "GET", srv.URL()+strings.TrimPrefix(path, "/"), "", nil, "Host", "station-7.lab:"+port)
		if code == http.StatusForbidden {
			t.Errorf("GET %s addressed to station-7.lab: %d %.200s", path, code, body)
		}
		if code, body := do(t, "GET", srv.URL()+strings.TrimPrefix(path, "/"), "", nil, "Host", "rebind.evil.example:"+port); code != http.StatusForbidden {
			t.Errorf("GET %s addressed to rebind.evil.example: %d %.200s, want 403", path, code, body)
		}
	}
}

// The API: recent runs with their units' verdicts and report links, the
// report, the yield, the instruments.
func TestAPI(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	rec, err := harness.Run(context.Background(), "api", func(tt *harness.Test) error {
		for _, u := range []struct {
			dut, serial string
			v           float64
		}{{"slot-1", "SN-1", 1}, {"slot-2", "SN-2", 5}} {
			tt.DUT(u.dut, func(d *harness.DUTRun) error {
				return d.Measure("v", units.Value(u.v, "V"), harness.AtMost(2))
			}, harness.WithUnit(harness.Unit{Serial: u.serial}))
		}
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store),
		harness.WithRunInfo(harness.RunInfo{Config: map[string]string{"instrument.psu-a": "SIM::DP832::INSTR", "limits": "rev B"}}))
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := serve(t, store)
	base := strings.TrimSuffix(srv.URL(), "/")

	code, body := do(t, "GET", base+"/api/runs?limit=5", "", nil)
	var runs []station.Run
	if code != 200 || json.Unmarshal([]byte(body), &runs) != nil || len(runs) != 1 {
		t.Fatalf("/api/runs: %d %s", code, body)
	}
	wantUnits := []station.Unit{{DUT: "slot-1", Serial: "SN-1", Outcome: "pass"}, {DUT: "slot-2", Serial: "SN-2", Outcome: "fail"}}
	if diff := cmp.Diff(wantUnits, runs[0].Units); diff != "" || runs[0].ID != rec.ID || runs[0].Outcome != "fail" {
		t.Fatalf("/api/runs: %s (-want +got units):\n%s", body, diff)
	}
	code, body = do(t, "GET", base+runs[0].Report, "", nil)
	if code != 200 || !strings.Contains(body, "SN-2") || !strings.Contains(body, "<html") {
		t.Fatalf("%s: %d %.300s", runs[0].Report, code, body)
	}
	code, body = do(t, "GET", base+"/api/yield?since=today", "", nil)
	var y struct {
		FirstPass results.Yield `json:"first_pass"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &y) != nil || y.FirstPass != (results.Yield{Units: 2, Passed: 1, Yield: 0.5}) {
		t.Fatalf("/api/yield: %d %s", code, body)
	}
	code, body = do(t, "GET", base+"/api/instruments", "", nil)
	var insts []station.Instrument
	if code != 200 || json.Unmarshal([]byte(body), &insts) != nil {
		t.Fatalf("/api/instruments: %d %s", code, body)
	}
	if diff := cmp.Diff([]station.Instrument{{Name: "psu-a", Resource: "SIM::DP832::INSTR", Run: rec.ID, Status: "idle"}}, insts); diff != "" {
		t.Fatalf("/api/instruments (-want +got):\n%s", diff)
	}
	// With no Last-Event-ID, a page starts with the recent run, whole.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := openSSE(ctx, srv.URL()+"events", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if e, err := s.next(); err != nil || e.ID != rec.ID+"/1" || e.Event != "run.started" {
		t.Fatalf("the first event: %+v %v", e, err)
	}
}
