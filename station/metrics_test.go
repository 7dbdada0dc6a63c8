package station_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/metrics"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/station"
	"github.com/scpikit/scpikit/units"
)

// yes answers every prompt "yes".
type yes struct{}

func (yes) Answer(context.Context, harness.PromptRequest) (string, string, error) {
	return "yes", "script", nil
}

// scrapeHTTP gets url (/metrics) and parses it as Prometheus does.
func scrapeHTTP(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// series maps a family's series, named by their label values joined with
// ",", to their values (counters and gauges), leaving out zeros.
func series(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	if f := fams[name]; f != nil {
		for _, m := range f.Metric {
			var labels []string
			for _, l := range m.Label {
				labels = append(labels, l.GetValue())
			}
			v := m.GetCounter().GetValue() + m.GetGauge().GetValue()
			if v != 0 {
				out[strings.Join(labels, ",")] = v
			}
		}
	}
	return out
}

// metricsRun is a run with a pass, a fail, a DUT whose function fails, a
// prompt and a safe-state action.
func metricsRun(t *testing.T, store *results.Store) {
	t.Helper()
	_, err := harness.Run(context.Background(), "metrics", func(tt *harness.Test) error {
		tt.OnSafeState(harness.SafeState{Name: "fixture released", Run: func(context.Context) error { return nil }})
		tt.DUT("slot-1", func(d *harness.DUTRun) error {
			if _, err := d.Prompt(d.Context(), harness.Prompt{Text: "Fixture closed?"}); err != nil {
				return err
			}
			return d.Phase("rails", func(context.Context) error {
				if err := d.Measure("3V3", 3.3*units.Volt, harness.Equals(3.3, 0.1)); err != nil {
					return err
				}
				return d.Measure("5V", 5.6*units.Volt, harness.Equals(5, 0.25))
			})
		})
		tt.DUT("slot-2", func(d *harness.DUTRun) error {
			if err := d.Measure("3V3", 3.31*units.Volt, harness.Equals(3.3, 0.1)); err != nil {
				return err
			}
			return errors.New("console: no answer")
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store), harness.WithPrompter(yes{}))
	if err != nil && !strings.Contains(err.Error(), "no answer") {
		t.Fatal(err)
	}
}

// station serve's /metrics, counted from the store (StoreCounts), parsed
// with expfmt: its counts equal what the store holds, for a run stored
// before the server started and one stored while it ran.
func TestMetricsEqualTheStore(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	metricsRun(t, store)

	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ObserveStore(store); err != nil {
		t.Fatal(err)
	}
	counts := station.NewStoreCounts(m, metrics.Handler(reg))
	caughtUp := make(chan struct{})
	counts.OnBatch = func(_ int, done bool) {
		if done {
			close(caughtUp)
		}
	}
	defer countInBackground(t, counts, store)()
	srv, _ := serve(t, store, station.WithMetrics(counts))
	metricsRun(t, store)
	ctx := context.Background()

	// What the store holds.
	want := map[string]map[string]float64{"scpikit_runs_total": {}, "scpikit_units_total": {}, "scpikit_measurements_total": {},
		"scpikit_faults_total": {}, "scpikit_safe_state_actions_total": {}, "scpikit_prompts_total": {},
		"scpikit_prompts_answered_total": {}, "scpikit_events_total": {}}
	runs, err := store.Runs(ctx, results.Filter{})
	if err != nil || len(runs) != 2 {
		t.Fatalf("runs %v %v", runs, err)
	}
	total := 0.0
	for _, r := range runs {
		rec, err := store.Record(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		want["scpikit_runs_total"][rec.Outcome.String()]++
		for _, d := range rec.DUTs {
			want["scpikit_units_total"][d.Outcome.String()]++
		}
		for _, ms := range rec.Measurements() {
			want["scpikit_measurements_total"][ms.Outcome.String()]++
		}
		want["scpikit_faults_total"][""] += float64(len(rec.Faults))
		want["scpikit_safe_state_actions_total"][""] += float64(len(rec.SafeState))
		want["scpikit_prompts_total"][""] += float64(len(rec.Prompts))
		for _, p := range rec.Prompts {
			if p.State == harness.PromptAnswered {
				want["scpikit_prompts_answered_total"][""]++
			}
		}
		events, err := store.Events(ctx, r.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			want["scpikit_events_total"][string(e.Kind)]++
		}
		total += float64(len(events))
	}
	if want["scpikit_faults_total"][""] == 0 || want["scpikit_measurements_total"]["fail"] == 0 || want["scpikit_prompts_total"][""] == 0 {
		t.Fatalf("the runs lack what the test counts: %v", want)
	}

	// Scraped once the replay of the store's history is done (503
	// before: TestMetricsWaitForTheReplay), until the server has counted
	// every stored event.
	<-caughtUp
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(30 * time.Second)
	for {
		fams = scrapeHTTP(t, srv.URL()+"metrics")
		sum := 0.0
		for _, v := range series(fams, "scpikit_events_total") {
			sum += v
		}
		if sum == total {
			break
		}
		if sum > total || time.Now().After(deadline) {
			t.Fatalf("/metrics counted %v events, the store holds %v", sum, total)
		}
		select {
		case <-time.After(20 * time.Millisecond): // StoreCounts follows the store: a scrape may be a batch early
		case <-ctx.Done():
		}
	}
	for name, w := range want {
		if diff := cmp.Diff(w, series(fams, name)); diff != "" {
			t.Errorf("%s (-store +metrics):\n%s", name, diff)
		}
	}
	if got := series(fams, "scpikit_runs_active"); len(got) != 0 {
		t.Errorf("runs active: %v", got)
	}
}

// Until StoreCounts has counted the store's history, /metrics answers
// 503 with a Retry-After and says why, never counters part-way (which
// Prometheus would read as a reset); once it has, the counts.
func TestMetricsWaitForTheReplay(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	metricsRun(t, store)
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	counts := station.NewStoreCounts(m, metrics.Handler(reg))
	counts.Batch = 1
	paused, resume := make(chan bool), make(chan struct{})
	counts.OnBatch = func(_ int, done bool) {
		paused <- done
		<-resume
	}
	srv, _ := serve(t, store, station.WithMetrics(counts))
	defer countInBackground(t, counts, store)()
	for done := <-paused; ; done = <-paused {
		resp, err := http.Get(srv.URL() + "metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !done && (resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "rebuilding the counters")) {
			t.Fatalf("/metrics part-way through the replay: %s, Retry-After %q, %q", resp.Status, resp.Header.Get("Retry-After"), body)
		}
		if done {
			if resp.StatusCode != 200 || !strings.Contains(string(body), "scpikit_runs_total") {
				t.Fatalf("/metrics once the store is counted: %s, %q", resp.Status, body)
			}
			close(resume)
			return
		}
		resume <- struct{}{}
	}
}

// countInBackground runs counts.Count on store until the returned stop,
// deferred before the store is closed, ends it and checks its error.
func countInBackground(t *testing.T, counts *station.StoreCounts, store *results.Store) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	counted := make(chan error, 1)
	go func() { counted <- counts.Count(ctx, store) }()
	return func() {
		cancel()
		if err := <-counted; err != nil {
			t.Errorf("StoreCounts.Count: %v", err)
		}
	}
}
