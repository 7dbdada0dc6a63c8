package station

import (
	"context"
	"fmt"
	"net/http"
	"sync"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/metrics"
	"github.com/scpikit/scpikit/results"
)

// StoreCounts counts a store's events into a Metrics and serves its
// handler (WithMetrics) once every event the store held is counted:
// station serve's /metrics, the counts a run's own process makes with
// Metrics.Sink, made here from the store, whichever processes ran the
// tests. Until the replay of the store's history is done, counters
// rising from 0 would read to Prometheus as a reset followed by the
// whole history happening at once (a rate() spike, a failure-rate
// alert), so it answers 503 with a Retry-After meanwhile: a failed
// scrape, not a reset.
type StoreCounts struct {
	m       *metrics.Metrics
	handler http.Handler

	// Batch is how many events the replay reads at a time (10,000, the
	// most results.Store.EventsAfter gives, unless set).
	Batch int
	// OnBatch, when set, is called after each batch of the replay with
	// the events counted so far, and once more with caughtUp true when
	// the counts are served: progress for a log. It runs on Count's
	// goroutine, which waits for it.
	OnBatch func(counted int, caughtUp bool)

	mu      sync.Mutex
	counted int   // events counted by the replay so far
	ready   bool  // the replay reached the store's end
	err     error // counting stopped on this
}

// NewStoreCounts counts into m, whose registry handler serves the counts.
func NewStoreCounts(m *metrics.Metrics, handler http.Handler) *StoreCounts {
	return &StoreCounts{m: m, handler: handler}
}

// ServeHTTP serves the counts once the replay has reached the store's
// end, else 503 with a body saying why.
func (c *StoreCounts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	ready, counted, err := c.ready, c.counted, c.err
	c.mu.Unlock()
	if ready && err == nil {
		c.handler.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "station serve counts the store's events no more: %v\nthe counters are not served, since they miss what was committed since: restart station serve\n", err)
		return
	}
	w.Header().Set("Retry-After", "5")
	w.WriteHeader(http.StatusServiceUnavailable)
	fmt.Fprintf(w, "station serve is rebuilding the counters from the store: %d events counted so far; they are served once the whole store is counted (counters part-way would read as a reset): try again in a few seconds\n", counted)
}

// fail notes that counting stopped on err.
func (c *StoreCounts) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

// Count counts every event of store, from the store's first, and then
// each one as it is committed, by any process, until ctx ends (it then
// returns nil) or the store fails. The counts are served once the replay
// has read the store to its end (at least as far as it was when Count
// began), never part-way. A sample counts by its kind alone, so it is
// not decoded; an event that does not decode counts by its kind too.
func (c *StoreCounts) Count(ctx context.Context, store *results.Store) error {
	sink := c.m.Sink(nil)
	count := func(batch []results.StoredEvent) {
		for _, se := range batch {
			e := harness.Event{Run: se.Run, Seq: se.Seq, Kind: se.Kind, DUT: se.DUT}
			if se.Kind != harness.EventSample {
				if full, err := se.Event(); err == nil {
					e = full
				}
			}
			sink.Emit(e)
		}
	}
	size := c.Batch
	if size <= 0 {
		size = 10000
	}
	// The replay: batches until one is empty, which is the store's end at
	// that moment, so at or past where it was when the replay began.
	var cur results.Cursor
	for {
		batch, err := store.EventsAfter(ctx, cur, size)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			err = fmt.Errorf("replaying the store: %w", err)
			c.fail(err)
			return err
		}
		if len(batch) == 0 {
			break
		}
		count(batch)
		cur = batch[len(batch)-1].Cursor()
		c.mu.Lock()
		c.counted += len(batch)
		counted := c.counted
		c.mu.Unlock()
		if c.OnBatch != nil {
			c.OnBatch(counted, false)
		}
	}
	c.mu.Lock()
	c.ready = true
	counted := c.counted
	c.mu.Unlock()
	if c.OnBatch != nil {
		c.OnBatch(counted, true)
	}
	// Then what is committed after the last event replayed.
	err := store.Tail(ctx, cur, func(batch []results.StoredEvent) error {
		count(batch)
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	c.fail(err)
	return err
}
