package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
	"go.uber.org/goleak"
)

// serveChildEnv makes the test binary run as the station command, for a
// station serve in a process of its own.
const serveChildEnv = "SCPIKIT_TEST_STATION_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(serveChildEnv) != "" {
		main()
	}
	goleak.VerifyTestMain(m)
}

var pageURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// startServe runs station serve in another process and returns its
// page's URL; it is interrupted and waited for at the end of the test.
func startServe(t *testing.T, args ...string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), serveChildEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	lines := bufio.NewScanner(out)
	url := ""
	for lines.Scan() {
		if m := pageURL.FindString(lines.Text()); m != "" {
			url = m
		}
		if lines.Text() == "ready" {
			break
		}
	}
	go func() {
		io.Copy(io.Discard, out)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("station serve ended with %v after an interrupt, want exit 0", err)
			}
		case <-time.After(30 * time.Second):
			cmd.Process.Kill()
			t.Error("station serve did not end after an interrupt")
		}
	})
	if url == "" {
		t.Fatal("station serve printed no page URL before ready")
	}
	return url
}

func post(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// A run in this process and station serve in another on the same store:
// the prompt shown by the other process's /events is answered there and
// the run gets the answer; its stop button stops the run immediately,
// as a second Ctrl-C would.
func TestServeInAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	store, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	base := startServe(t, "--store", path)

	type result struct {
		rec *harness.Record
		err error
	}
	done := make(chan result, 1)
	go func() {
		rec, err := harness.Run(context.Background(), "two processes", func(tt *harness.Test) error {
			tt.DUT("slot-1", func(d *harness.DUTRun) error {
				ok, err := d.Prompt(d.Context(), harness.Prompt{Text: "Is the LED green?", Input: harness.InputConfirm})
				if err != nil {
					return err
				}
				if err := d.Measure("led", units.Value(map[bool]float64{true: 1}[ok == "yes"], ""), harness.AtLeast(1)); err != nil {
					return err
				}
				<-d.Context().Done() // until stopped
				return context.Cause(d.Context())
			})
			return nil
		}, harness.WithoutSignals(), harness.WithSink(store), harness.WithControl(store))
		done <- result{rec, err}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewScanner(resp.Body)
	events.Buffer(make([]byte, 1<<20), 1<<20)
	next := func(kind harness.EventKind) harness.Event {
		t.Helper()
		for events.Scan() {
			data, ok := strings.CutPrefix(events.Text(), "data: ")
			if !ok {
				continue
			}
			var e harness.Event
			if err := json.Unmarshal([]byte(data), &e); err != nil {
				t.Fatal(err)
			}
			if e.Kind == kind {
				return e
			}
		}
		t.Fatalf("the stream ended before a %s event: %v", kind, events.Err())
		return harness.Event{}
	}
	p := next(harness.EventPrompt)
	if code := post(t, base+"api/runs/"+p.Run+"/prompts/"+p.Prompt.ID, `{"answer":"yes"}`); code != 204 {
		t.Fatalf("answer: %d", code)
	}
	m := next(harness.EventMeasurement)
	if m.Measurement.Value != 1 {
		t.Fatalf("the run measured %v: the answer did not reach it", m.Measurement.Value)
	}
	if code := post(t, base+"api/runs/"+p.Run+"/stop", `{"immediate":true}`); code != 202 {
		t.Fatalf("stop: %d", code)
	}
	r := <-done
	var stopped *harness.StopRequestError
	if !errors.As(r.err, &stopped) || !stopped.Immediate || r.rec.Outcome != harness.OutcomeAborted {
		t.Fatalf("the run: %v, outcome %v", r.err, r.rec.Outcome)
	}
	if r.rec.Prompts[0].Answer != "yes" || r.rec.Prompts[0].By != "page" {
		t.Fatalf("prompt record %+v", r.rec.Prompts[0])
	}
	// The other process's /metrics counted the run from the store (its
	// counting follows the store: a scrape may come a commit early).
	want := []string{`scpikit_runs_total{outcome="aborted"} 1`, `scpikit_prompts_answered_total 1`}
	for deadline := time.Now().Add(30 * time.Second); ; {
		resp, err := http.Get(base + "metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		missing := ""
		for _, w := range want {
			if !strings.Contains(string(b), w) {
				missing = w
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/metrics lacks %q:\n%s", missing, b)
		}
		select {
		case <-time.After(20 * time.Millisecond):
		case <-ctx.Done():
		}
	}
}

// Beyond loopback, station serve refuses before listening or opening
// the store, unless --allow-remote.
func TestServeBeyondLoopbackRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.1:0"} {
		code, out, errOut := runCmd(t, "serve", "--listen", addr, "--store", path)
		if code != exitUsage || !strings.Contains(errOut, "--allow-remote") || strings.Contains(out, "ready") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", addr, code, out, errOut)
		}
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused serve created the store: %v", err)
	}
	// Allowed, it warns (internal/loopback's test): not bound here, since
	// tests listen on loopback only.
}

// station serve answers requests addressed to its IP address, localhost
// and each --host name, and refuses other names (DNS rebinding) with 403
// saying which flag allows them.
func TestServeHostNames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	if code, _, errOut := runCmd(t, "serve", "--store", path, "--host", "not a name"); code != exitUsage || !strings.Contains(errOut, "want a host name") {
		t.Fatalf("--host with a space: exit %d, %q", code, errOut)
	}
	base := startServe(t, "--store", path, "--host", "station-7.lab.example.com")
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	for host, want := range map[string]int{
		u.Host:                                  http.StatusOK,
		"localhost:" + u.Port():                 http.StatusOK,
		"station-7.lab.example.com:" + u.Port(): http.StatusOK,
		"rebind.evil.example:" + u.Port():       http.StatusForbidden,
	} {
		req, err := http.NewRequest("GET", base+"api/runs", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want || want == http.StatusForbidden && !strings.Contains(string(body), "--host") {
			t.Errorf("addressed to %s: %d %.200s, want %d", host, resp.StatusCode, body, want)
		}
	}
}

// station serve --station names the station in the central database:
// without one (--db, $SCPIKIT_DB) it would be ignored, so it is refused,
// naming the flag, before the store is opened.
func TestServeStationWithoutDatabaseRefused(t *testing.T) {
	t.Setenv(results.EnvCentral, "")
	path := filepath.Join(t.TempDir(), "station.db")
	// Cancelled already: a serve that started anyway ends at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut lockedBuffer
	code := run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--store", path, "--station", "line-3"}, &out, &errOut)
	if code != exitUsage || !strings.Contains(errOut.String(), "--station") || !strings.Contains(errOut.String(), "--db postgres://") {
		t.Errorf("serve --station without a database: exit %d, stdout %q, stderr %q; want %d", code, out.String(), errOut.String(), exitUsage)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused serve created the store: %v", err)
	}
}
