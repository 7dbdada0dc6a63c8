package metrics

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/scpikit/scpikit/harness"
)

// Namespace prefixes every metric's name.
const Namespace = "scpikit"

// maxLabelValues bounds the values one label takes (phase and
// measurement names, instruments): past it, new values are counted as
// "other". Names come from test programs and are few; the bound keeps a
// program that makes them up (a serial in a phase name) from growing the
// exposition without end.
const maxLabelValues = 100

// Other is the label value that stands for every value past the bound.
const Other = "other"

// Buckets. Run and phase durations span a second to a day; an SCPI
// exchange, 50 µs (in-process simulator) to 10 s (a slow measurement); a
// prompt's wait, a second to an hour.
var (
	runBuckets    = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 28800, 86400}
	phaseBuckets  = []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600}
	scpiBuckets   = []float64{50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 50e-3, 100e-3, 250e-3, 500e-3, 1, 2.5, 5, 10}
	promptBuckets = []float64{1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600}
)

// Metrics counts what runs do, what instruments are asked and how the
// station store keeps up, for Prometheus. One Metrics serves any number
// of runs and sessions; it is safe for concurrent use.
type Metrics struct {
	reg prometheus.Registerer

	runsActive   prometheus.Gauge
	runs         *prometheus.CounterVec // outcome
	runDuration  prometheus.Histogram
	units        *prometheus.CounterVec // outcome
	phases       *prometheus.CounterVec // phase, outcome
	phaseDur     *prometheus.HistogramVec
	measurements *prometheus.CounterVec // outcome
	outOfLimits  *prometheus.CounterVec // measurement
	faults       prometheus.Counter
	safeActions  prometheus.Counter
	safeFailures prometheus.Counter
	prompts      prometheus.Counter
	answered     prometheus.Counter
	cancelled    *prometheus.CounterVec // reason
	promptWait   prometheus.Histogram
	events       *prometheus.CounterVec // kind

	scpiRequests *prometheus.CounterVec // instrument, op
	scpiErrors   *prometheus.CounterVec // instrument, kind
	scpiLatency  *prometheus.HistogramVec

	phaseNames, measNames, instruments, kinds labelSet

	mu      sync.Mutex
	started map[string]time.Time // run ID -> its start
	phaseAt map[phaseKey]time.Time
	asked   map[promptKey]time.Time
	kindCtr map[harness.EventKind]prometheus.Counter
}

type phaseKey struct {
	run, dut, name string
	attempt        int
}

type promptKey struct{ run, id string }

// New makes the metrics and registers them with reg (a
// *prometheus.Registry; prometheus.DefaultRegisterer for the process's
// own). On a registry that has them already, the ones there are used: two
// Metrics on one registry count together. The error is a registration
// that clashes with another collector of the same name.
func New(reg prometheus.Registerer) (*Metrics, error) {
	if reg == nil {
		return nil, errors.New("metrics: no registerer: give a prometheus.Registry or prometheus.DefaultRegisterer")
	}
	m := &Metrics{reg: reg, started: map[string]time.Time{}, phaseAt: map[phaseKey]time.Time{},
		asked: map[promptKey]time.Time{}, kindCtr: map[harness.EventKind]prometheus.Counter{}}
	r := registrar{reg: reg}
	m.runsActive = register(&r, prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: "runs_active",
		Help: "Runs started and not yet ended."}))
	m.runs = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "runs_total",
		Help: "Runs ended, by outcome (pass, marginal, fail, error, aborted)."}, []string{"outcome"}))
	m.runDuration = register(&r, prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "run_duration_seconds",
		Help: "How long runs took, from run.started to run.ended.", Buckets: runBuckets}))
	m.units = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "units_total",
		Help: "DUT verdicts at the end of runs, by outcome."}, []string{"outcome"}))
	m.phases = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "phases_total",
		Help: "Phase attempts ended, by phase name and outcome."}, []string{"phase", "outcome"}))
	m.phaseDur = register(&r, prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "phase_duration_seconds",
		Help: "How long phase attempts took, by phase name.", Buckets: phaseBuckets}, []string{"phase"}))
	m.measurements = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "measurements_total",
		Help: "Measurements recorded, by outcome."}, []string{"outcome"}))
	m.outOfLimits = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "measurements_out_of_limits_total",
		Help: "Measurements outside their limits (outcome fail), by measurement name."}, []string{"measurement"}))
	m.faults = register(&r, prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "faults_total",
		Help: "Faults raised: monitors, panics, failed DUT functions, the store."}))
	m.safeActions = register(&r, prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "safe_state_actions_total",
		Help: "Safe-state actions run."}))
	m.safeFailures = register(&r, prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "safe_state_failures_total",
		Help: "Safe-state actions that failed or could not verify their outputs off."}))
	m.prompts = register(&r, prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "prompts_total",
		Help: "Prompts put to the operator."}))
	m.answered = register(&r, prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "prompts_answered_total",
		Help: "Prompts answered."}))
	m.cancelled = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "prompts_cancelled_total",
		Help: "Prompts ended without an answer, by reason (stop, timeout, refused, error)."}, []string{"reason"}))
	m.promptWait = register(&r, prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "prompt_wait_seconds",
		Help: "How long answered prompts waited for the operator.", Buckets: promptBuckets}))
	m.events = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "events_total",
		Help: "Events runs emitted, by kind."}, []string{"kind"}))
	m.scpiRequests = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "scpi_requests_total",
		Help: "SCPI calls, by instrument and operation (write, query, read, query block, write block, errors)."}, []string{"instrument", "op"}))
	m.scpiErrors = register(&r, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "scpi_errors_total",
		Help: "SCPI calls that failed, by instrument and kind (timeout, device, cancelled, closed, link)."}, []string{"instrument", "kind"}))
	m.scpiLatency = register(&r, prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "scpi_request_duration_seconds",
		Help: "How long SCPI calls took, by instrument.", Buckets: scpiBuckets}, []string{"instrument"}))
	if r.err != nil {
		return nil, r.err
	}
	for _, ls := range []*labelSet{&m.phaseNames, &m.measNames, &m.instruments, &m.kinds} {
		ls.max = maxLabelValues
	}
	return m, nil
}

// Handler serves g's metrics in the Prometheus text format: /metrics.
func Handler(g prometheus.Gatherer) http.Handler {
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorLog: nil})
}

// registrar registers collectors, keeping the first error.
type registrar struct {
	reg prometheus.Registerer
	err error
}

// register registers c, or returns the collector of the same description
// already registered.
func register[C prometheus.Collector](r *registrar, c C) C {
	if err := r.reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		if r.err == nil {
			r.err = fmt.Errorf("metrics: %w", err)
		}
	}
	return c
}

// labelSet bounds the values of a label.
type labelSet struct {
	mu   sync.Mutex
	seen map[string]struct{}
	max  int
}

// bound is v, or Other once max other values have been seen.
func (l *labelSet) bound(v string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.seen[v]; ok {
		return v
	}
	if len(l.seen) >= l.max {
		return Other
	}
	if l.seen == nil {
		l.seen = map[string]struct{}{}
	}
	l.seen[v] = struct{}{}
	return v
}
