package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

// lockedBuffer is a bytes.Buffer safe for the goroutines of an
// in-process station serve.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// serveHere runs station serve in this process (so that a test's hooks
// reach it) and returns its page's URL once it is ready; it is stopped,
// and must end with status 0, at the end of the test.
func serveHere(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, stdout := io.Pipe()
	var stderr lockedBuffer
	code := make(chan int, 1)
	go func() {
		c := serve(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), stdout, &stderr)
		stdout.Close()
		code <- c
	}()
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
	drained := make(chan struct{})
	go func() {
		io.Copy(io.Discard, out)
		close(drained)
	}()
	t.Cleanup(func() {
		cancel()
		if c := <-code; c != exitOK {
			t.Errorf("station serve ended with status %d: %s", c, stderr.String())
		}
		<-drained
	})
	if url == "" {
		t.Fatalf("station serve printed no page URL before ready: %s", stderr.String())
	}
	return url
}

// scrapeCounts gets /metrics: its status, its Retry-After, its body, and
// (when it served metrics) runs_total summed over outcomes and
// events_total of kind sample.
func scrapeCounts(t *testing.T, client *http.Client, base string) (code int, retryAfter, body string, runs, samples float64) {
	t.Helper()
	resp, err := client.Get(base + "metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, resp.Header.Get("Retry-After"), string(b), 0, 0
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, b)
	}
	sum := func(name string, keep func(*dto.Metric) bool) (v float64) {
		if f := fams[name]; f != nil {
			for _, m := range f.Metric {
				if keep(m) {
					v += m.GetCounter().GetValue()
				}
			}
		}
		return v
	}
	runs = sum("scpikit_runs_total", func(*dto.Metric) bool { return true })
	samples = sum("scpikit_events_total", func(m *dto.Metric) bool {
		for _, l := range m.Label {
			if l.GetName() == "kind" && l.GetValue() == string(harness.EventSample) {
				return true
			}
		}
		return false
	})
	return resp.StatusCode, "", string(b), runs, samples
}

// After station serve starts on a store with a history, its /metrics
// never shows counters part-way through the replay of that history
// (Prometheus would read them as a reset, then the whole history as
// new): it answers 503, with a Retry-After and a body saying the
// counters are being rebuilt, until every stored event is counted, and
// then the store's counts. The replay is paused after each batch
// (replayHook) while the test scrapes.
func TestServeMetricsNeverPartWayThroughReplay(t *testing.T) {
	const runs, samplesPerRun = 20, 2000
	path := filepath.Join(t.TempDir(), "station.db")
	store, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for range runs {
		_, err := harness.Run(context.Background(), "burn-in", func(tt *harness.Test) error {
			return tt.DUT("slot-1", func(d *harness.DUTRun) error {
				s := tt.Sampler("slot-1", "v", harness.AtMost(10))
				for i := range samplesPerRun {
					s.Add(d.Context(), units.Value(float64(i%7), "V"))
				}
				return d.Measure("12V", 12*units.Volt, harness.Equals(12, 0.6))
			})
		}, harness.WithoutSignals(), harness.WithSink(store))
		if err != nil {
			t.Fatal(err)
		}
	}
	store.Close()

	type pause struct {
		counted  int
		caughtUp bool
	}
	paused, resume, stop := make(chan pause), make(chan struct{}), make(chan struct{})
	replayHook = func(counted int, caughtUp bool) {
		select {
		case paused <- pause{counted, caughtUp}:
		case <-stop: // the test is over
			return
		}
		select {
		case <-resume:
		case <-stop:
		}
	}
	t.Cleanup(func(n int) func() {
		return func() { replayHook, replayBatch = nil, n } // once station serve has ended
	}(replayBatch))
	replayBatch = 1000

	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	base := serveHere(t, "--store", path)
	t.Cleanup(func() { close(stop) }) // before station serve is stopped
	partWay := func(when string) {
		t.Helper()
		code, retry, body, r, s := scrapeCounts(t, client, base)
		if code != http.StatusServiceUnavailable || retry == "" || !strings.Contains(body, "rebuilding the counters from the store") {
			t.Fatalf("%s: /metrics answered %d (Retry-After %q; runs_total %v, samples %v): want 503 with a Retry-After until the store is counted:\n%.300s",
				when, code, retry, r, s, body)
		}
	}
	// The replay cannot have ended: it waits for this test at its first
	// batch.
	partWay("as soon as station serve is ready")
	batches := 0
	for p := range paused {
		if p.caughtUp {
			close(resume)
			break
		}
		batches++
		partWay("after a batch of the replay")
		resume <- struct{}{}
	}
	if batches < 2 {
		t.Fatalf("the replay took %d batch(es): the test saw no replay part-way", batches)
	}
	code, _, body, r, s := scrapeCounts(t, client, base)
	if code != http.StatusOK || r != runs || s == 0 {
		t.Fatalf("once the store is counted, /metrics answered %d with runs_total %v, samples %v; want 200, %d runs:\n%.300s", code, r, s, runs, body)
	}
	t.Logf("%d batches replayed; runs_total %v, samples %v", batches, r, s)
}
