package results

import (
	"context"
	"database/sql"
	"time"
)

// backlogTimeout bounds Backlog's reads: a scrape must not hang on a
// store that is busy checkpointing.
const backlogTimeout = 2 * time.Second

// Backlog is how many events wait to be replicated to the central
// database furthest behind, and when the oldest of them was emitted:
// (0, zero time) when none waits, or when the store has never
// replicated (no target in its outbox). It is what /metrics exports as
// the replication backlog (metrics.Backlogger). An error reading the
// store reports (0, zero time): the store's own errors are logged where
// it is written; a metric must not fail a scrape.
func (s *Store) Backlog() (events int, oldest time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), backlogTimeout)
	defer cancel()
	// The target furthest behind: the smallest acknowledged position.
	var acked sql.NullInt64
	if err := s.db.QueryRowContext(ctx, `SELECT min(acked_pos) FROM outbox_state`).Scan(&acked); err != nil || !acked.Valid {
		return 0, time.Time{}
	}
	// Positions have no gaps (each writer numbers its events on from the
	// last, inside its write transaction; events are never deleted), so
	// the count is the last position less the acknowledged one: an index
	// seek, where count(*) would read the whole backlog, and a long one
	// (the database away for hours, a monitor at 1 kHz) past the timeout.
	var last int64
	var first sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(pos), 0), (SELECT time_ns FROM events WHERE pos > ?1 ORDER BY pos LIMIT 1)
		FROM events`, acked.Int64).Scan(&last, &first)
	if err != nil || last <= acked.Int64 || !first.Valid {
		return 0, time.Time{}
	}
	return int(last - acked.Int64), time.Unix(0, first.Int64)
}
