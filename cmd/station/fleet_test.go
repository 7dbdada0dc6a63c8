package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/internal/pgtest"
	"github.com/scpikit/scpikit/results"
)

// What station serve --fleet refuses, before it listens: no database, a
// database that is not PostgreSQL, a store (it serves none), an address
// beyond loopback without --allow-remote.
func TestServeFleetUsage(t *testing.T) {
	t.Setenv(results.EnvCentral, "")
	store := filepath.Join(t.TempDir(), "station.db")
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"serve", "--fleet"}, "--db postgres://"},
		{[]string{"serve", "--fleet", "--db", "mysql://u@h/db"}, "want a postgres:// URL"},
		{[]string{"serve", "--fleet", "--db", "postgres://u@127.0.0.1/db", "--store", store}, "--fleet serves no station store"},
		{[]string{"serve", "--fleet", "--db", "postgres://u@127.0.0.1/db", "--listen", "0.0.0.0:0"}, "--allow-remote"},
		// Beside the station's page too: before, it started, said it
		// replicated there, and failed only in its log.
		{[]string{"serve", "--db", "mysql://u:secret@h/db", "--store", store, "--listen", "127.0.0.1:0"}, "want a postgres:// URL"},
	} {
		code, out, errOut := runCmd(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.says) || strings.Contains(out, "ready") || strings.Contains(errOut, "secret") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %d saying %q", tc.args, code, out, errOut, exitUsage, tc.says)
		}
	}
}

// station serve --fleet in a process of its own serves the fleet page of
// a central database with no store; station serve --db serves it beside
// the station's page, and the station it replicates appears there, live.
func TestServeFleet(t *testing.T) {
	url := pgtest.New(t)
	path, _ := storeWithRun(t)
	code, _, errOut := runCmd(t, "sync", "--store", path, "--db", url, "--station", "line-3")
	if code != 0 {
		t.Fatalf("sync: exit %d: %s", code, errOut)
	}
	store, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// Its one run's events (Stats counts only those written since Open).
	runs, err := store.Runs(context.Background(), results.Filter{})
	store.Close()
	if err != nil || len(runs) != 1 {
		t.Fatalf("the store's runs: %v, %v", runs, err)
	}
	events := int64(runs[0].Events)

	base := startServe(t, "--fleet", "--db", url)
	for _, p := range []string{"fleet", "fleet.js", "style.css"} {
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("GET /%s: %s", p, resp.Status)
		}
	}
	resp, err := http.Get(base + "api/fleet")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Stations []struct {
			ID      string `json:"id"`
			Events  int64  `json:"events"`
			Backlog int64  `json:"backlog"`
		} `json:"stations"`
	}
	err = json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if err != nil || len(v.Stations) != 1 || v.Stations[0].ID != "line-3" || v.Stations[0].Events != events {
		t.Errorf("--fleet's /api/fleet: %+v, %v; want line-3 with %d events", v, err, events)
	}
	for _, p := range []string{"events", "api/runs"} { // no station store here
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 404 {
			t.Errorf("--fleet: GET /%s: %s, want 404", p, resp.Status)
		}
	}

	// Beside a station's page: the station replicates as line-4, and the
	// fleet page's stream shows it once it has caught up.
	path2, _ := storeWithRun(t)
	base = startServe(t, "--store", path2, "--db", url, "--station", "line-4")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"fleet/events", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(nil, 1<<20)
	for {
		if !lines.Scan() {
			t.Fatalf("the fleet stream ended before line-4 caught up: %v", lines.Err())
		}
		data, ok := strings.CutPrefix(lines.Text(), "data: ")
		if !ok {
			continue
		}
		v.Stations = nil
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			continue // an unavailable event
		}
		if len(v.Stations) == 2 && v.Stations[1].ID == "line-4" && v.Stations[1].Events == events && v.Stations[1].Backlog == 0 {
			break
		}
	}
}
