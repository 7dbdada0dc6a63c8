package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"go.yaml.in/yaml/v3"
)

// With -serve, the station page is served while the burn-in runs: its
// live events show the measurements, and its stop button stops the run
// as Ctrl-C does: every output off and verified, the cause in the
// record.
func TestBurnInServed(t *testing.T) {
	bench, err := sim.ParseBench(defaultBench, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	var cfg config
	if err := yaml.Unmarshal(defaultStation, &cfg.station); err != nil {
		t.Fatal(err)
	}
	cfg.bench, cfg.duration, cfg.reportsDir = bench, 10*time.Minute, t.TempDir() // until stopped
	cfg.policy = harness.IsolateDUT
	cfg.storePath = filepath.Join(t.TempDir(), "station.db")
	cfg.serve = "127.0.0.1:0"
	served := make(chan string, 1)
	cfg.onServe = func(url string) { served <- url }
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	code := make(chan int, 1)
	go func() { code <- burnIn(context.Background(), cfg, zerolog.Nop(), out) }()

	url := <-served
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	lines.Buffer(make([]byte, 1<<20), 1<<20)
	run := ""
	for lines.Scan() {
		line := lines.Text()
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			run, _, _ = strings.Cut(id, "/")
		}
		if line == "event: measurement" {
			break
		}
	}
	if run == "" {
		t.Fatalf("no measurement on the page: %v", lines.Err())
	}
	// Its /metrics count the run's events and its instruments' SCPI calls.
	mresp, err := http.Get(url + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	mb, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{`scpikit_events_total{kind="measurement"}`, `scpikit_scpi_requests_total{instrument="`, "scpikit_runs_active 1"} {
		if !strings.Contains(string(mb), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	stop, err := http.Post(url+"api/runs/"+run+"/stop", "application/json", strings.NewReader(`{"immediate":false}`))
	if err != nil {
		t.Fatal(err)
	}
	stop.Body.Close()
	if stop.StatusCode != 202 {
		t.Fatalf("stop: %s", stop.Status)
	}
	select {
	case c := <-code:
		if c != 1 {
			t.Errorf("exit %d, want 1 (stopped)", c)
		}
	case <-ctx.Done():
		t.Fatal("the burn-in did not stop")
	}
	b, _ := os.ReadFile(out.Name())
	for _, want := range []string{"station page: http://127.0.0.1:", "stopped: harness: stop requested on the page", "6 of 6 actions verified"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("output lacks %q:\n%s", want, b)
		}
	}
	for _, name := range []string{"rigol", "keysight"} {
		in, _ := bench.Named(name)
		in.Do(func(d sim.Device) {
			for ch := 1; ; ch++ {
				o, ok := d.(sim.Supply).Output(ch)
				if !ok {
					return
				}
				if o.On() {
					t.Errorf("%s CH%d on after the stop", name, ch)
				}
			}
		})
	}
}
