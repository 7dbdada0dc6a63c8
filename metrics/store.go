package metrics

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StoreStats is what the metrics read of the station store:
// *results.Store is one.
type StoreStats interface {
	// Latencies are the times from Emit to commit of the last
	// measurements committed, oldest first.
	Latencies() []time.Duration
}

// Backlogger is a store that replicates its events elsewhere (the fleet's
// database): ObserveStore reports its backlog when the store is one, and
// zeros until then.
type Backlogger interface {
	// Backlog is how many events wait to be replicated and when the
	// oldest of them was stored (zero when none waits).
	Backlog() (events int, oldest time.Time)
}

// quantiles of the commit latency that are exported; 1 is the maximum.
var quantiles = []float64{0.5, 0.9, 0.99, 1}

// ObserveStore exports the store's commit latency (quantiles over the
// measurements it last committed, read at each scrape) and its
// replication backlog (count and age of the oldest event; 0 for a store
// that does not replicate). One store per Metrics.
func (m *Metrics) ObserveStore(s StoreStats) error {
	c := &storeCollector{s: s, now: time.Now,
		latency: prometheus.NewDesc(Namespace+"_store_commit_latency_seconds",
			"Time from an event's emission to its commit in the station store, over the last measurements committed (up to 65,536), by quantile (1 is the maximum).",
			[]string{"quantile"}, nil),
		window: prometheus.NewDesc(Namespace+"_store_commit_latency_window",
			"How many measurements the commit latency quantiles are taken over.", nil, nil),
		backlog: prometheus.NewDesc(Namespace+"_replication_backlog_events",
			"Events stored and not yet replicated (0 while the store does not replicate).", nil, nil),
		oldest: prometheus.NewDesc(Namespace+"_replication_backlog_oldest_seconds",
			"Age of the oldest event not yet replicated (0 when none waits).", nil, nil),
	}
	if err := m.reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			return errors.New("metrics: a store is observed already on this registry: one store per station")
		}
		return fmt.Errorf("metrics: %w", err)
	}
	return nil
}

type storeCollector struct {
	s                                StoreStats
	now                              func() time.Time
	latency, window, backlog, oldest *prometheus.Desc
}

func (c *storeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.latency
	ch <- c.window
	ch <- c.backlog
	ch <- c.oldest
}

func (c *storeCollector) Collect(ch chan<- prometheus.Metric) {
	lat := c.s.Latencies()
	slices.Sort(lat)
	ch <- prometheus.MustNewConstMetric(c.window, prometheus.GaugeValue, float64(len(lat)))
	for _, q := range quantiles {
		v := 0.0
		if n := len(lat); n > 0 {
			// The nearest rank: the smallest value at or above q of them.
			i := int(q*float64(n)+0.999999) - 1
			v = lat[min(max(i, 0), n-1)].Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.latency, prometheus.GaugeValue, v, strconv.FormatFloat(q, 'g', -1, 64))
	}
	var events int
	var age float64
	if b, ok := c.s.(Backlogger); ok {
		var oldest time.Time
		events, oldest = b.Backlog()
		if events > 0 && !oldest.IsZero() {
			age = max(c.now().Sub(oldest).Seconds(), 0)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.backlog, prometheus.GaugeValue, float64(events))
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
