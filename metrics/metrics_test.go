package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
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
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
	"github.com/scpikit/scpikit/units"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

// scrape serves reg's /metrics and parses it as Prometheus does.
func scrape(t *testing.T, reg prometheus.Gatherer) map[string]*dto.MetricFamily {
	t.Helper()
	w := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("GET /metrics: %d %s", w.Code, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("content type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(w.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// values maps each series of a family, named by its label values joined
// with ",", to its counter, gauge or histogram sample count.
func values(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	f := fams[name]
	if f == nil {
		return out
	}
	for _, m := range f.Metric {
		var labels []string
		for _, l := range m.Label {
			labels = append(labels, l.GetValue())
		}
		key := strings.Join(labels, ",")
		switch {
		case m.Counter != nil:
			out[key] = m.Counter.GetValue()
		case m.Gauge != nil:
			out[key] = m.Gauge.GetValue()
		case m.Histogram != nil:
			out[key] = float64(m.Histogram.GetSampleCount())
		}
	}
	return out
}

// withoutZeros drops series that are 0 (pre-made, never counted).
func withoutZeros(m map[string]float64) map[string]float64 {
	for k, v := range m {
		if v == 0 {
			delete(m, k)
		}
	}
	return m
}

// captureSink keeps every event, durable at once.
type captureSink struct {
	mu     sync.Mutex
	events []harness.Event
}

func (s *captureSink) Emit(e harness.Event) <-chan error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, e)
	ack := make(chan error, 1)
	ack <- nil
	return ack
}

// answers is a Prompter answering in turn; past the last it waits.
type answers chan string

func (a answers) Answer(ctx context.Context, r harness.PromptRequest) (string, string, error) {
	select {
	case s := <-a:
		return s, "test", nil
	default:
	}
	<-ctx.Done()
	return "", "", context.Cause(ctx)
}

// burnIn is a run with something of everything the metrics count: passing
// and failing measurements, a retried phase, a fault, a safe-state action
// that fails, prompts answered, refused and timed out.
func burnIn(t *testing.T, opts ...harness.Option) (*harness.Record, error) {
	ans := make(answers, 4)
	ans <- "SN-1"
	ans <- "maybe" // refused
	ans <- "yes"
	opts = append([]harness.Option{harness.WithoutSignals(), harness.WithPrompter(ans)}, opts...)
	return harness.Run(bg, "burn-in", func(tt *harness.Test) error {
		tt.OnSafeState(harness.SafeState{Name: "supply off", Run: func(context.Context) error { return nil }})
		tt.OnSafeState(harness.SafeState{Name: "load off", Run: func(context.Context) error { return errors.New("load did not answer") }})
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			if _, err := d.Prompt(d.Context(), harness.Prompt{Text: "Scan", Input: harness.InputSerial}); err != nil {
				return err
			}
			if _, err := d.Prompt(d.Context(), harness.Prompt{Text: "LED on?"}); err != nil {
				return err
			}
			d.Prompt(d.Context(), harness.Prompt{Text: "Anyone?", Timeout: time.Millisecond})
			tries := 0
			d.Phase("rails", func(context.Context) error {
				tries++
				d.Measure("vout", units.Voltage(4.5+0.5*float64(tries)), harness.Between(4.9, 5.1))
				return d.Measure("iin", 0.2*units.Amp, harness.AtMost(0.5))
			}, harness.Retries(2))
			return d.Phase("ripple", func(context.Context) error {
				return d.Measure("ripple", 80*units.Millivolt, harness.AtMost(0.05))
			})
		})
		tt.DUT("dut-2", func(d *harness.DUTRun) error {
			d.Phase("rails", func(context.Context) error {
				return d.Measure("vout", 5*units.Volt, harness.Between(4.9, 5.1))
			})
			return errors.New("console dead") // a fault
		})
		return nil
	}, opts...)
}

// The counts in the exposition are those of the run: every measurement
// by outcome, every phase attempt, the fault, the safe-state actions and
// failures, the prompts, every event by kind, and the histograms' counts.
func TestSinkCountsEqualTheRun(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	capture := &captureSink{}
	rec, _ := burnIn(t, harness.WithSink(m.Sink(capture)))
	fams := scrape(t, reg)

	// What the run emitted, counted from its record and events.
	want := map[string]map[string]float64{
		"scpikit_runs_total":                       {rec.Outcome.String(): 1},
		"scpikit_run_duration_seconds":             {"": 1},
		"scpikit_runs_active":                      {},
		"scpikit_units_total":                      {},
		"scpikit_phases_total":                     {},
		"scpikit_phase_duration_seconds":           {},
		"scpikit_measurements_total":               {},
		"scpikit_measurements_out_of_limits_total": {},
		"scpikit_faults_total":                     {"": float64(len(rec.Faults))},
		"scpikit_safe_state_actions_total":         {"": float64(len(rec.SafeState))},
		"scpikit_safe_state_failures_total":        {},
		"scpikit_prompts_total":                    {"": float64(len(rec.Prompts))},
		"scpikit_prompts_answered_total":           {},
		"scpikit_prompts_cancelled_total":          {},
		"scpikit_prompt_wait_seconds":              {},
		"scpikit_events_total":                     {},
	}
	for _, d := range rec.DUTs {
		want["scpikit_units_total"][d.Outcome.String()]++
		for _, p := range d.Phases {
			want["scpikit_phases_total"][p.Outcome.String()+","+p.Name]++ // labels in name order: outcome, phase
			want["scpikit_phase_duration_seconds"][p.Name]++
		}
	}
	for _, ms := range rec.Measurements() {
		want["scpikit_measurements_total"][ms.Outcome.String()]++
		if ms.Outcome == harness.OutcomeFail {
			want["scpikit_measurements_out_of_limits_total"][ms.Name]++
		}
	}
	for _, s := range rec.SafeState {
		if !s.Verified {
			want["scpikit_safe_state_failures_total"][""]++
		}
	}
	for _, p := range rec.Prompts {
		if p.State == harness.PromptAnswered {
			want["scpikit_prompts_answered_total"][""]++
			want["scpikit_prompt_wait_seconds"][""]++
		} else {
			want["scpikit_prompts_cancelled_total"][p.Reason]++
		}
	}
	for _, e := range capture.events {
		want["scpikit_events_total"][string(e.Kind)]++
	}
	for name, w := range want {
		got := withoutZeros(values(fams, name))
		if diff := cmp.Diff(withoutZeros(w), got); diff != "" {
			t.Errorf("%s (-run +exposition):\n%s", name, diff)
		}
	}
	// The run has some of each, or the comparison above proves little.
	for _, name := range []string{"scpikit_measurements_out_of_limits_total", "scpikit_faults_total",
		"scpikit_safe_state_failures_total", "scpikit_prompts_cancelled_total", "scpikit_prompts_answered_total"} {
		if len(withoutZeros(values(fams, name))) == 0 {
			t.Errorf("the run made no %s", name)
		}
	}
	if got := values(fams, "scpikit_prompts_cancelled_total"); got["refused"] != 1 || got["timeout"] != 1 {
		t.Errorf("cancelled %v", got)
	}
	// The run's duration is the histogram's sum.
	h := fams["scpikit_run_duration_seconds"].Metric[0].Histogram
	if took := rec.Ended.Sub(rec.Started).Seconds(); math.Abs(h.GetSampleSum()-took) > 1e-9 {
		t.Errorf("run duration sum %v, the run took %v", h.GetSampleSum(), took)
	}
	// Every captured event went through to the next sink.
	if uint64(len(capture.events)) != rec.Events {
		t.Errorf("%d events passed on, the run emitted %d", len(capture.events), rec.Events)
	}
}

// With the station store as the next sink, the exposition's counts equal
// the store's, and the store's commit latency is exported over as many
// measurements as it committed.
// The station store reports its replication backlog to /metrics.
var _ metrics.Backlogger = (*results.Store)(nil)

func TestCountsEqualTheStore(t *testing.T) {
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ObserveStore(store); err != nil {
		t.Fatal(err)
	}
	rec, _ := burnIn(t, harness.WithSink(m.Sink(store)))
	stored, err := store.Record(bg, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, reg)
	byOutcome := map[string]float64{}
	for _, ms := range stored.Measurements() {
		byOutcome[ms.Outcome.String()]++
	}
	if diff := cmp.Diff(byOutcome, withoutZeros(values(fams, "scpikit_measurements_total"))); diff != "" {
		t.Errorf("measurements (-store +exposition):\n%s", diff)
	}
	events, err := store.Events(bg, rec.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	byKind := map[string]float64{}
	for _, e := range events {
		byKind[string(e.Kind)]++
	}
	if diff := cmp.Diff(byKind, withoutZeros(values(fams, "scpikit_events_total"))); diff != "" {
		t.Errorf("events (-store +exposition):\n%s", diff)
	}
	if got := values(fams, "scpikit_faults_total")[""]; got != float64(len(stored.Faults)) {
		t.Errorf("faults %v, stored %d", got, len(stored.Faults))
	}
	if got := values(fams, "scpikit_store_commit_latency_window")[""]; got != float64(len(store.Latencies())) || got == 0 {
		t.Errorf("latency window %v, the store has %d", got, len(store.Latencies()))
	}
	lat := values(fams, "scpikit_store_commit_latency_seconds")
	if !(lat["0.5"] > 0 && lat["0.5"] <= lat["0.99"] && lat["0.99"] <= lat["1"]) {
		t.Errorf("latency quantiles %v", lat)
	}
	if got := values(fams, "scpikit_replication_backlog_events")[""]; got != 0 {
		t.Errorf("backlog %v from a store that does not replicate", got)
	}
}

// fakeStore has known latencies and a backlog.
type fakeStore struct {
	lat    []time.Duration
	events int
	oldest time.Time
}

func (f *fakeStore) Latencies() []time.Duration { return append([]time.Duration(nil), f.lat...) }
func (f *fakeStore) Backlog() (int, time.Time)  { return f.events, f.oldest }

// Commit latency quantiles are nearest ranks of what the store reports;
// the backlog's age is counted from its oldest event.
func TestStoreGauges(t *testing.T) {
	fs := &fakeStore{events: 42, oldest: time.Now().Add(-90 * time.Second)}
	for i := 100; i >= 1; i-- {
		fs.lat = append(fs.lat, time.Duration(i)*time.Millisecond)
	}
	reg := prometheus.NewRegistry()
	m, _ := metrics.New(reg)
	if err := m.ObserveStore(fs); err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, reg)
	want := map[string]float64{"0.5": 0.05, "0.9": 0.09, "0.99": 0.099, "1": 0.1}
	if diff := cmp.Diff(want, values(fams, "scpikit_store_commit_latency_seconds")); diff != "" {
		t.Errorf("quantiles (-want +got):\n%s", diff)
	}
	if got := values(fams, "scpikit_replication_backlog_events")[""]; got != 42 {
		t.Errorf("backlog %v", got)
	}
	if age := values(fams, "scpikit_replication_backlog_oldest_seconds")[""]; age < 90 || age > 3600 {
		t.Errorf("oldest %v s, want about 90", age)
	}
	// A second store on the same Metrics clashes, and says so.
	if err := m.ObserveStore(fs); err == nil {
		t.Error("a second store was registered")
	}
}

// SCPI calls are counted per instrument and operation, timed, and their
// errors sorted by kind.
func TestSessionObserver(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, _ := metrics.New(reg)
	conn := scpitest.NewConn(t,
		scpitest.Query("*IDN?", "RIGOL TECHNOLOGIES,DP832,DP8C0001,00.01.16"),
		scpitest.Write("OUTP CH1,ON"),
		scpitest.Query("SYST:ERR?", `-222,"Data out of range"`),
		scpitest.Query("SYST:ERR?", `0,"No error"`),
		scpitest.Silent("MEAS:CURR?"),
	)
	s := scpi.NewSession(conn, m.ObserveSession("DP832"), scpi.WithTimeout(10*time.Millisecond))
	defer s.Close()
	s.Query(bg, "*IDN?")
	s.Write(bg, "OUTP CH1,ON")
	s.CheckErrors(bg)
	if _, err := s.Query(bg, "MEAS:CURR?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	fams := scrape(t, reg)
	if diff := cmp.Diff(map[string]float64{"DP832,query": 2, "DP832,write": 1, "DP832,errors": 1},
		withoutZeros(values(fams, "scpikit_scpi_requests_total"))); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]float64{"DP832,device": 1, "DP832,timeout": 1},
		withoutZeros(values(fams, "scpikit_scpi_errors_total"))); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if got := values(fams, "scpikit_scpi_request_duration_seconds")["DP832"]; got != 4 {
		t.Errorf("latency samples %v, want 4", got)
	}
}

// A label never takes more than 100 values: a program that puts serials
// in its phase names grows one "other" series, not thousands.
func TestLabelsAreBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, _ := metrics.New(reg)
	sink := m.Sink(nil)
	now := time.Now()
	for i := range 250 {
		name := fmt.Sprintf("flash SN-%04d", i)
		sink.Emit(harness.Event{Run: "R", Kind: harness.EventPhaseStarted, DUT: "d", Time: now, Phase: &harness.PhaseEvent{Name: name, Attempt: 1}})
		sink.Emit(harness.Event{Run: "R", Kind: harness.EventPhaseEnded, DUT: "d", Time: now.Add(time.Second),
			Phase: &harness.PhaseEvent{Name: name, Attempt: 1, Outcome: harness.OutcomePass}})
	}
	for i := range 150 {
		m.SessionObserver(fmt.Sprintf("USB0::0x2A8D::0x1002::MY%04d::INSTR", i))
	}
	fams := scrape(t, reg)
	phases := values(fams, "scpikit_phases_total")
	if len(phases) != 101 || phases["pass,other"] != 150 {
		t.Errorf("%d phase series, other %v", len(phases), phases["pass,other"])
	}
	inst := map[string]bool{}
	for k := range values(fams, "scpikit_scpi_request_duration_seconds") {
		inst[k] = true
	}
	if len(inst) != 101 || !inst["other"] {
		t.Errorf("%d instrument series", len(inst))
	}
}

// Two Metrics on one registry count together; a registry holding a
// different metric of the same name is an error, not a panic.
func TestNewOnOneRegistry(t *testing.T) {
	reg := prometheus.NewRegistry()
	a, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	a.Sink(nil).Emit(harness.Event{Run: "R", Kind: harness.EventFault, Time: now, Fault: &harness.Fault{Source: "x"}})
	b.Sink(nil).Emit(harness.Event{Run: "S", Kind: harness.EventFault, Time: now, Fault: &harness.Fault{Source: "x"}})
	if got := values(scrape(t, reg), "scpikit_faults_total")[""]; got != 2 {
		t.Errorf("faults %v", got)
	}
	clash := prometheus.NewRegistry()
	clash.MustRegister(prometheus.NewGauge(prometheus.GaugeOpts{Name: "scpikit_faults_total", Help: "not ours"}))
	if _, err := metrics.New(clash); err == nil {
		t.Error("no error for a clashing registry")
	}
	if _, err := metrics.New(nil); err == nil {
		t.Error("no error for a nil registerer")
	}
}

// A measurement the store refuses (closed here; a lost run alike) is in
// no record, so it is not counted as measured: only what was stored is.
func TestRefusedMeasurementNotCounted(t *testing.T) {
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		t.Fatal(err)
	}
	sink := m.Sink(store)
	run := harness.NewRunID(time.Now())
	measurement := func(seq uint64, name string) harness.Event {
		return harness.Event{Run: run, Seq: seq, Time: time.Now(), Kind: harness.EventMeasurement, DUT: "d",
			Measurement: &harness.Measurement{DUT: "d", Name: name, Value: 9, Outcome: harness.OutcomeFail}}
	}
	for _, e := range []harness.Event{
		{Run: run, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "r"}},
		measurement(2, "stored"),
	} {
		if err := <-sink.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	if err := <-sink.Emit(measurement(3, "refused")); !errors.Is(err, results.ErrClosed) {
		t.Fatalf("a measurement to a closed store: %v", err)
	}
	fams := scrape(t, reg)
	got := map[string]map[string]float64{
		"measurements":  withoutZeros(values(fams, "scpikit_measurements_total")),
		"out of limits": withoutZeros(values(fams, "scpikit_measurements_out_of_limits_total")),
	}
	want := map[string]map[string]float64{
		"measurements":  {"fail": 1},
		"out of limits": {"stored": 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
