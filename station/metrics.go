package station

import (
	"context"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/metrics"
	"github.com/scpikit/scpikit/results"
)

// CountStore counts every event of store into m, from the store's first
// event and then each one as it is committed, by any process, until ctx
// ends (it then returns nil) or the store fails: the counts a run's own
// process makes with m.Sink, made here from the store, so that station
// serve's /metrics are the store's counts whichever processes ran the
// tests. A sample counts by its kind alone, so it is not decoded; an
// event that does not decode counts by its kind too.
func CountStore(ctx context.Context, store *results.Store, m *metrics.Metrics) error {
	sink := m.Sink(nil)
	err := store.Tail(ctx, results.Cursor{}, func(batch []results.StoredEvent) error {
		for _, se := range batch {
			e := harness.Event{Run: se.Run, Seq: se.Seq, Kind: se.Kind, DUT: se.DUT}
			if se.Kind != harness.EventSample {
				if full, err := se.Event(); err == nil {
					e = full
				}
			}
			sink.Emit(e)
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
