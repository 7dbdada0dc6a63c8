package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/harness"
)

// ErrBadCursor is matched by the error for a cursor that is not
// "<run ID>/<seq>".
var ErrBadCursor = errors.New("results: bad event cursor")

// Cursor names one stored event, the last one a follower has seen: its
// run and its Seq. Its text, "<run ID>/<seq>", is what a live page gets
// as an SSE event's id and sends back as Last-Event-ID. The zero Cursor
// is before the first event of the store.
type Cursor struct {
	Run string
	Seq uint64
}

// String is the cursor as "<run ID>/<seq>" ("" for the zero Cursor).
func (c Cursor) String() string {
	if c.Run == "" {
		return ""
	}
	return c.Run + "/" + strconv.FormatUint(c.Seq, 10)
}

// maxRunID bounds a run ID in a cursor: harness.NewRunID makes 26
// characters; a program may name runs itself, but not at any length.
const maxRunID = 128

// ParseCursor reads a cursor's text, "<run ID>/<seq>"; "" is the zero
// Cursor. A run ID holds letters, digits, '-', '_' and '.'.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	run, seq, ok := strings.Cut(s, "/")
	if !ok || run == "" || len(run) > maxRunID {
		return Cursor{}, fmt.Errorf("%w: %s: want <run ID>/<seq>", ErrBadCursor, quoteCursor(s))
	}
	for _, r := range run {
		if !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' || r == '_' || r == '.') {
			return Cursor{}, fmt.Errorf("%w: %s: the run ID holds %q", ErrBadCursor, quoteCursor(s), r)
		}
	}
	n, err := strconv.ParseUint(seq, 10, 63)
	if err != nil || seq[0] == '+' {
		return Cursor{}, fmt.Errorf("%w: %s: the seq is not a whole number", ErrBadCursor, quoteCursor(s))
	}
	return Cursor{Run: run, Seq: n}, nil
}

// quoteCursor quotes a bad cursor for an error message, clipped to its
// first 40 bytes: a hostile client's cursor must not make a long error
// (%.80q would clip to 80 runes, each quoted as up to ten bytes).
func quoteCursor(s string) string {
	const most = 40
	if len(s) <= most {
		return strconv.Quote(s)
	}
	return strconv.Quote(s[:most]) + "..."
}

// StoredEvent is an event as the store keeps it: what a live page or a
// replicator passes on without decoding it.
type StoredEvent struct {
	Run  string
	Seq  uint64
	Kind harness.EventKind
	DUT  string
	Body json.RawMessage // the harness.Event as JSON, one line
	pos  int64
}

// Cursor names the event.
func (e StoredEvent) Cursor() Cursor { return Cursor{Run: e.Run, Seq: e.Seq} }

// Event decodes the event.
func (e StoredEvent) Event() (harness.Event, error) {
	var ev harness.Event
	if err := json.Unmarshal(e.Body, &ev); err != nil {
		return ev, fmt.Errorf("results: event %d of run %s does not decode: %w", e.Seq, e.Run, err)
	}
	return ev, nil
}

// position is where a cursor stands in the order of commits: the
// events.pos of its event. A cursor the store has not (LiveStart's,
// before a run's first event; a hand-made one; one of a store since
// replaced) stands before the first committed of the events that sort
// after it by run ID and seq, or at the end when none does.
func (s *Store) position(ctx context.Context, c Cursor) (int64, error) {
	return position(ctx, s.db, c)
}

// position finds that first event with index lookups, never a walk of
// the events: a run's events are committed in the order of their seq
// (harness.Sink: Emit is called in the order of Seq; the writer commits
// in the order it is given), so the first committed of a run's events
// after a seq is the next by seq, and of a whole run its run.started
// (seq 1, which made its row in runs). So the cost is a lookup for
// c.Run and one for each run with an ID after it: for LiveStart's
// cursor, the runs whose events the page is about to be sent.
func position(ctx context.Context, q querier, c Cursor) (int64, error) {
	if c.Run == "" {
		return 0, nil
	}
	var pos sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT pos FROM events WHERE run_id = ? AND seq = ?`, c.Run, c.Seq).Scan(&pos)
	if err == nil && pos.Valid {
		return pos.Int64, nil
	}
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("results: cursor %s: %w", c, err)
	}
	err = q.QueryRowContext(ctx, `SELECT coalesce(min(first) - 1, (SELECT coalesce(max(pos), 0) FROM events)) FROM (
			SELECT (SELECT pos FROM events WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT 1) AS first
			UNION ALL
			SELECT (SELECT e.pos FROM events e WHERE e.run_id = r.id AND e.seq = 1) FROM runs r WHERE r.id > ?1
		)`, c.Run, c.Seq).Scan(&pos)
	if err != nil {
		return 0, fmt.Errorf("results: cursor %s: %w", c, err)
	}
	return pos.Int64, nil
}

// eventsFrom reads up to limit events committed after position pos, in
// commit order, and fewer once their bodies pass tailBytes in all (one
// at least, however large): a batch of events that carry attachments
// must not take a page's stream hundreds of megabytes.
func (s *Store) eventsFrom(ctx context.Context, pos int64, limit int) ([]StoredEvent, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT run_id, seq, kind, dut, body, pos FROM events WHERE pos > ? ORDER BY pos LIMIT ?`, pos, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StoredEvent
	size := 0
	for rows.Next() {
		var e StoredEvent
		var kind, body string
		if err := rows.Scan(&e.Run, &e.Seq, &kind, &e.DUT, &body, &e.pos); err != nil {
			return nil, err
		}
		e.Kind, e.Body = harness.EventKind(kind), json.RawMessage(body)
		out = append(out, e)
		if size += len(body); size >= tailBytes {
			break
		}
	}
	return out, rows.Err()
}

// EventsAfter are the events committed after the one c names, in the
// order they were committed (runs going on at once interleave), at most
// limit of them (1 to 10,000; out of range: 1,000), and fewer when their
// bodies pass 4 MiB in all: ask again after the last one for more.
func (s *Store) EventsAfter(ctx context.Context, c Cursor, limit int) ([]StoredEvent, error) {
	if limit <= 0 || limit > 10000 {
		limit = tailBatch
	}
	pos, err := s.position(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.eventsFrom(ctx, pos, limit)
}

// tailBatch is how many events a tail reads at a time, at most; it
// stops early once the events' bodies pass tailBytes.
const (
	tailBatch = 1000
	tailBytes = 4 << 20
)

// Tail follows the store: it calls fn with the events committed after
// the one c names, in commit order and in batches, then with each new
// batch as it is committed, by this process (at once) or another (seen
// within 50 ms), until ctx ends (its error is returned) or fn returns an
// error (returned as it is). The harness never waits for a tail: it
// reads what is committed, at its own pace.
func (s *Store) Tail(ctx context.Context, c Cursor, fn func([]StoredEvent) error) error {
	release := s.watch()
	defer release()
	pos, err := s.position(ctx, c)
	if err != nil {
		return err
	}
	for {
		changed := s.watcher.changed()
		batch, err := s.eventsFrom(ctx, pos, tailBatch)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if s.isClosed() {
				return ErrClosed
			}
			return fmt.Errorf("results: following the store: %w", err)
		}
		if len(batch) > 0 {
			pos = batch[len(batch)-1].pos
			if err := fn(batch); err != nil {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.watcher.quit:
			return ErrClosed
		case <-changed:
		}
	}
}

// isClosed reports whether Close has been called.
func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// LiveStart is where a page that names no event starts: before the
// first event of the oldest live run, so that every run on the station's
// screen is seen whole; else before the first event of the newest run;
// the zero Cursor for an empty store. A run is live if it ended within
// recent of now, or if it is unfinished and its writer is known to be
// still at work (this store, or another whose lock is held: see alive),
// however long it has been quiet (a run waiting on an operator's prompt
// emits nothing), or, its writer gone or unknown, committed an event
// within recent of now (a run whose station died without a trace is not
// live for ever).
func (s *Store) LiveStart(ctx context.Context, now time.Time, recent time.Duration) (Cursor, error) {
	type run struct {
		id      string
		started int64
	}
	var first run
	err := s.db.QueryRowContext(ctx, `SELECT r.id, r.started_ns FROM runs r WHERE r.ended_ns >= ?1
		OR (r.ended_ns IS NULL AND (SELECT e.time_ns FROM events e WHERE e.run_id = r.id AND e.seq = r.last_seq) >= ?1)
		ORDER BY r.started_ns, r.id LIMIT 1`, now.Add(-recent).UnixNano()).Scan(&first.id, &first.started)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Cursor{}, fmt.Errorf("results: %w", err)
	}
	// The unfinished runs (few: a dead store's are closed when the store
	// is next opened), oldest first: the first whose writer is at work is
	// live, however quiet.
	rows, err := s.db.QueryContext(ctx, `SELECT id, owner, started_ns FROM runs WHERE ended_ns IS NULL ORDER BY started_ns, id`)
	if err != nil {
		return Cursor{}, fmt.Errorf("results: %w", err)
	}
	for rows.Next() {
		var r run
		var owner string
		if err := rows.Scan(&r.id, &owner, &r.started); err != nil {
			rows.Close()
			return Cursor{}, fmt.Errorf("results: %w", err)
		}
		if first.id != "" && (r.started > first.started || r.started == first.started && r.id >= first.id) {
			break // no older than the oldest live run found already
		}
		if s.writing(owner) {
			first = r
			break
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Cursor{}, fmt.Errorf("results: %w", err)
	}
	if first.id != "" {
		return Cursor{Run: first.id}, nil
	}
	var newest string
	err = s.db.QueryRowContext(ctx, `SELECT id FROM runs ORDER BY started_ns DESC, id DESC LIMIT 1`).Scan(&newest)
	if errors.Is(err, sql.ErrNoRows) {
		return Cursor{}, nil
	}
	if err != nil {
		return Cursor{}, fmt.Errorf("results: %w", err)
	}
	return Cursor{Run: newest, Seq: 0}, nil
}

// writing reports whether the store an owner names is known to be still
// writing its run: this store, or one whose lock is held. Unlike alive,
// unsure (no owner, no file locks on this system, a lock file that
// cannot be read) is not: a crashed run is never recovered on a system
// without file locks, and must not hold every page's start for ever.
func (s *Store) writing(owner string) bool {
	if owner == "" {
		return false
	}
	if owner == s.owner {
		return true
	}
	held, err := lockHeld(ownerFile(s.real, owner))
	return err == nil && held
}
