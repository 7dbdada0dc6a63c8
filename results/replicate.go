package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
)

// Target is where a Replicator sends a station's events: a *Central, or
// a test's fake. Ingest must be idempotent by (run, seq), and return a
// *RejectedError for a batch it can never take.
type Target interface {
	Ingest(ctx context.Context, b Batch) (inserted int, err error)
	Target() string // its name in the station's outbox: a URL without password
}

// ReceiptTarget is a Target that answers each batch with a Receipt (a
// *Central does, and CentralTarget's): the replicator learns from it
// that another store replicates under its station ID too, and warns.
// The database/sql way: an optional capability, found by assertion.
type ReceiptTarget interface {
	Target
	IngestWithReceipt(ctx context.Context, b Batch) (Receipt, error)
}

// ReplicaOptions tune a Replicator; the zero value is fine.
type ReplicaOptions struct {
	Station    string        // the station's ID; default: the host name
	BatchSize  int           // events per transaction; default 500
	MinBackoff time.Duration // the first wait after a failure; default 100 ms
	MaxBackoff time.Duration // the longest; default 30 s
	Heartbeat  time.Duration // how often Run tells the database it is there while idle; default 30 s
	// FinalSync is how long ReplicateTo goes on sending, when the store
	// closes, what the central database still lacks: a test program that
	// ends a second after its last measurement still reaches the fleet's
	// dashboards. 0 stops at once; either way what is left waits in the
	// outbox for the next sync, nothing is lost.
	FinalSync time.Duration
	Log       zerolog.Logger

	// batchBytes bounds a batch's event bodies (replicaBytes; smaller
	// in tests).
	batchBytes int
	// after replaces time.After in tests: the backoff's waits, recorded.
	after func(time.Duration) <-chan time.Time
	// finalCtx marks the final sync's context, for a test's target.
	finalCtx func(context.Context) context.Context
}

// Replicator sends a station store's events to a central database:
// store and forward. Its outbox is every event after the position the
// target last acknowledged (outbox_state), sent in batches in the order
// of their positions; a batch is acknowledged only after the target
// committed it, so a cut between the two means a resend, which the
// target's (run, seq) key makes harmless.
type Replicator struct {
	s   *Store
	t   Target
	o   ReplicaOptions
	key string // outbox_state.target

	mu     sync.Mutex
	warned time.Time // the Since of the store conflict last warned of
}

// NewReplicator replicates s to t.
func (s *Store) NewReplicator(t Target, o ReplicaOptions) *Replicator {
	if o.Station == "" {
		o.Station, _ = os.Hostname()
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 500
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(30*time.Second, o.MinBackoff)
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 30 * time.Second
	}
	if o.batchBytes <= 0 {
		o.batchBytes = replicaBytes
	}
	if o.after == nil {
		o.after = time.After
	}
	return &Replicator{s: s, t: t, o: o, key: t.Target()}
}

// SyncStats says what one Sync did.
type SyncStats struct {
	Sent     int   // events sent (resends included)
	Inserted int   // events the target did not have
	Parked   int   // events the target rejected, parked
	Backlog  int64 // events left to send
	// Conflict is not nil when the target said, at the last batch, that
	// another store replicates under this station's ID too (a target
	// that is a ReceiptTarget; Run logs it as a warning).
	Conflict *StoreConflict
}

// ErrUnreachable is matched by Sync's error when the target could not
// take a batch for a reason that may pass (the network, a restart).
var ErrUnreachable = errors.New("results: the central database cannot be reached")

// Sync sends every event the target lacks, then returns: caught up
// (nil), or at the first failure that may pass (an error matching
// ErrUnreachable, with what was sent before it acknowledged). A batch the
// target rejects is parked, and Sync goes on past it. When there is
// nothing to send it still reaches the target once, to say the station
// is there and caught up.
func (r *Replicator) Sync(ctx context.Context) (SyncStats, error) {
	var st SyncStats
	acked, err := r.s.ackedPos(ctx, r.key)
	if err != nil {
		return st, err
	}
	for first := true; ; first = false {
		evs, last, err := r.s.outbox(ctx, acked, r.o.BatchSize, r.o.batchBytes)
		if err != nil {
			return st, err
		}
		st.Backlog = last - acked
		if len(evs) == 0 && !first {
			return st, nil
		}
		if err := r.send(ctx, evs, last, &st); err != nil {
			return st, err
		}
		if len(evs) == 0 {
			return st, nil
		}
		acked = evs[len(evs)-1].Pos
		st.Backlog = last - acked
	}
}

// send sends evs (last: the store's last position, for the backlog);
// when the target rejects them it halves the batch until the rejected
// events alone are parked.
func (r *Replicator) send(ctx context.Context, evs []OutboxEvent, last int64, st *SyncStats) error {
	// Nothing to send (a heartbeat): everything up to last is acknowledged.
	lastPos := last
	if len(evs) > 0 {
		lastPos = evs[len(evs)-1].Pos
	}
	rc, err := r.ingest(ctx, Batch{Station: r.o.Station, Store: r.s.ID(), Events: evs, Backlog: last - lastPos})
	var rej *RejectedError
	switch {
	case err == nil:
		st.Sent += len(evs)
		st.Inserted += rc.Inserted
		st.Conflict = rc.Conflict
		if len(evs) == 0 {
			return nil
		}
		return r.s.ack(ctx, r.key, lastPos)
	case errors.As(err, &rej) && len(evs) > 1:
		half := len(evs) / 2
		if err := r.send(ctx, evs[:half], last, st); err != nil {
			return err
		}
		return r.send(ctx, evs[half:], last, st)
	case errors.As(err, &rej) && len(evs) == 1:
		st.Parked++
		r.o.Log.Error().Int64("pos", evs[0].Pos).Str("run", evs[0].Run).Uint64("seq", evs[0].Seq).Str("reason", rej.Reason).
			Msg("replication: the central database rejected an event; it is parked (station status shows it) and replication goes on")
		return r.s.park(ctx, r.key, evs, rej.Reason)
	case ctx.Err() != nil:
		return ctx.Err()
	default:
		return fmt.Errorf("%w: %s: %w", ErrUnreachable, r.key, err)
	}
}

// ingest sends b, and warns (once a conflict) when the target says that
// another store replicates under the station's ID too.
func (r *Replicator) ingest(ctx context.Context, b Batch) (Receipt, error) {
	rt, ok := r.t.(ReceiptTarget)
	if !ok {
		n, err := r.t.Ingest(ctx, b)
		return Receipt{Inserted: n}, err
	}
	rc, err := rt.IngestWithReceipt(ctx, b)
	if err != nil {
		return rc, err
	}
	r.noteConflict(rc.Conflict)
	return rc, nil
}

// noteConflict logs c, a warning, unless it was logged already; once it
// has cleared (c nil), the next one is logged again.
func (r *Replicator) noteConflict(c *StoreConflict) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c == nil {
		r.warned = time.Time{}
		return
	}
	if r.warned.Equal(c.Since) {
		return
	}
	r.warned = c.Since
	r.o.Log.Warn().Str("station", c.Station).Str("store", r.s.ID()).Strs("stores", c.Stores).Time("since", c.Since).
		Msgf("replication to %s: %s", r.key, c.Warning())
}

// Run replicates until ctx ends: Sync, then wait for the store's next
// commit (or the heartbeat); while the target cannot be reached, wait
// with exponential backoff (doubling from MinBackoff up to MaxBackoff,
// each wait jittered between half and all of it, so stations that lost
// the database together do not come back together). It logs one line
// when the database goes away and one when it is back, with the backlog.
func (r *Replicator) Run(ctx context.Context) error {
	release := r.s.watch() // commits of other processes wake it too
	defer release()
	backoff := r.o.MinBackoff
	var awaySince time.Time
	for {
		changed := r.s.watcher.changed()
		st, err := r.Sync(ctx)
		if (err == nil || st.Sent > 0) && !awaySince.IsZero() {
			// Said even when ctx ends now, or ended in the middle of
			// the catch-up: the database did take what was sent.
			r.o.Log.Info().Int64("backlog", st.Backlog).Int("sent", st.Sent).
				Msgf("replication: central database %s is back after %d ms; %d events that waited were sent, %d wait",
					r.key, time.Since(awaySince).Milliseconds(), st.Sent, st.Backlog)
			awaySince = time.Time{}
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			// The database away, or the station store busy: either may
			// pass, and nothing is lost while waiting.
			if awaySince.IsZero() {
				awaySince = time.Now()
				r.o.Log.Warn().Err(err).Int64("backlog", st.Backlog).
					Msgf("replication: cannot send to central database %s; %d events wait in the station's outbox, nothing is lost; retrying from %d ms up to every %d ms",
						r.key, st.Backlog, backoff.Milliseconds(), r.o.MaxBackoff.Milliseconds())
				r.s.noteTargetError(ctx, r.key, err.Error())
			}
			wait := backoff/2 + rand.N(backoff/2+1)
			backoff = min(2*backoff, r.o.MaxBackoff)
			select {
			case <-ctx.Done():
				return nil
			case <-r.o.after(wait):
			}
			continue
		}
		backoff = r.o.MinBackoff
		if st.Backlog > 0 {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-r.o.after(r.o.Heartbeat):
		}
	}
}

// RetryStats says what RetryParked did.
type RetryStats struct {
	Retried     int // parked events sent again
	Inserted    int // of them, events the target did not have
	StillParked int // events the target rejected again: still parked, with the new reason
}

// RetryParked sends the target again the events it rejected, once the
// cause is fixed (a constraint changed, a column widened): those it
// takes are no longer parked; those it rejects again stay parked with
// its new reason. The target ignores an event it already holds (run id,
// seq), so a retry duplicates nothing. The error matches ErrUnreachable
// when the target cannot be reached; what was retried before stays
// done.
func (r *Replicator) RetryParked(ctx context.Context) (RetryStats, error) {
	var st RetryStats
	type span struct{ first, last int64 }
	rows, err := r.s.db.QueryContext(ctx, `SELECT first_pos, last_pos FROM outbox_parked WHERE target = ? ORDER BY first_pos`, r.key)
	if err != nil {
		return st, fmt.Errorf("results: parked events of %s: %w", r.key, err)
	}
	var spans []span
	for rows.Next() {
		var sp span
		if err := rows.Scan(&sp.first, &sp.last); err != nil {
			rows.Close()
			return st, fmt.Errorf("results: parked events of %s: %w", r.key, err)
		}
		spans = append(spans, sp)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("results: parked events of %s: %w", r.key, err)
	}
	for _, sp := range spans {
		// A span is taken or refused whole (one event, as send parks them).
		evs, last, err := r.s.outbox(ctx, sp.first-1, int(sp.last-sp.first+1), 0)
		if err != nil {
			return st, err
		}
		if len(evs) == 0 {
			continue // cannot be: events are never deleted; nothing to send
		}
		rc, err := r.ingest(ctx, Batch{Station: r.o.Station, Store: r.s.ID(), Events: evs, Backlog: last - sp.last})
		var rej *RejectedError
		switch {
		case err == nil:
			st.Retried += len(evs)
			st.Inserted += rc.Inserted
			if _, err := r.s.db.ExecContext(ctx, `DELETE FROM outbox_parked WHERE target = ? AND first_pos = ?`, r.key, sp.first); err != nil {
				return st, fmt.Errorf("results: unparking positions %d-%d: %w", sp.first, sp.last, err)
			}
			r.o.Log.Info().Int64("first", sp.first).Int64("last", sp.last).
				Msgf("replication: parked events %d-%d were taken by central database %s on retry", sp.first, sp.last, r.key)
		case errors.As(err, &rej):
			st.StillParked += len(evs)
			if _, err := r.s.db.ExecContext(ctx, `UPDATE outbox_parked SET reason = ?, parked_ns = ? WHERE target = ? AND first_pos = ?`,
				rej.Reason, time.Now().UnixNano(), r.key, sp.first); err != nil {
				return st, fmt.Errorf("results: parked positions %d-%d: %w", sp.first, sp.last, err)
			}
		case ctx.Err() != nil:
			return st, ctx.Err()
		default:
			return st, fmt.Errorf("%w: %s: %w", ErrUnreachable, r.key, err)
		}
	}
	return st, nil
}

// replicaBytes is how many bytes of event bodies a batch holds, about:
// it stops once they pass it (one event at least, however large). Events
// with attachments are up to about 21 MiB each as JSON; 500 of them in
// one batch would pass PostgreSQL's 1 GiB message limit, which drops the
// connection, so the same batch would fail as "unreachable" forever, and
// hold gigabytes in memory meanwhile.
const replicaBytes = 32 << 20

// outbox reads up to limit events after position acked, fewer once their
// bodies pass maxBytes (0: no bound; one event at least), and the store's
// last position.
func (s *Store) outbox(ctx context.Context, acked int64, limit, maxBytes int) ([]OutboxEvent, int64, error) {
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(pos), 0) FROM events`).Scan(&last); err != nil {
		return nil, 0, fmt.Errorf("results: outbox: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT pos, run_id, seq, time_ns, kind, dut, body FROM events WHERE pos > ? ORDER BY pos LIMIT ?`, acked, limit)
	if err != nil {
		return nil, 0, fmt.Errorf("results: outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxEvent
	size := 0
	for rows.Next() {
		var e OutboxEvent
		var seq int64
		if err := rows.Scan(&e.Pos, &e.Run, &seq, &e.TimeNS, &e.Kind, &e.DUT, &e.Body); err != nil {
			return nil, 0, fmt.Errorf("results: outbox: %w", err)
		}
		e.Seq = uint64(seq)
		out = append(out, e)
		if size += len(e.Body); maxBytes > 0 && size >= maxBytes {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("results: outbox: %w", err)
	}
	return out, max(last, acked), nil
}

func (s *Store) ackedPos(ctx context.Context, target string) (int64, error) {
	var acked int64
	err := s.db.QueryRowContext(ctx, `SELECT acked_pos FROM outbox_state WHERE target = ?`, target).Scan(&acked)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("results: outbox of %s: %w", target, err)
	}
	return acked, nil
}

// ack records that target holds every event up to pos (never moving
// back: two replicators of one store may race).
func (s *Store) ack(ctx context.Context, target string, pos int64) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO outbox_state (target, acked_pos, acked_ns) VALUES (?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET acked_pos = max(acked_pos, excluded.acked_pos), acked_ns = excluded.acked_ns, error = '', error_ns = 0`,
		target, pos, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("results: acknowledging position %d of %s: %w", pos, target, err)
	}
	return nil
}

// park records evs as rejected by target, with the reason, and moves
// the acknowledged position past them, in one transaction.
func (s *Store) park(ctx context.Context, target string, evs []OutboxEvent, reason string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("results: parking: %w", err)
	}
	defer tx.Rollback()
	first, last := evs[0].Pos, evs[len(evs)-1].Pos
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_parked (target, first_pos, last_pos, events, reason, parked_ns) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (target, first_pos) DO NOTHING`, target, first, last, len(evs), reason, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("results: parking positions %d-%d: %w", first, last, err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_state (target, acked_pos) VALUES (?, ?)
		ON CONFLICT (target) DO UPDATE SET acked_pos = max(acked_pos, excluded.acked_pos)`, target, last); err != nil {
		return fmt.Errorf("results: parking positions %d-%d: %w", first, last, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("results: parking positions %d-%d: %w", first, last, err)
	}
	return nil
}

// redactTargets renames the outbox rows of a target kept under a name
// that shows its password (written before Redact masked the password of
// key=value strings and of ?password= URLs) to the name Redact gives it
// now, keeping what the target acknowledged: the password leaves the
// store (station status lists these names), and the replicator, which
// looks its position up by the new name, sends nothing twice. A name that
// does not parse is left alone: Redact gives every such name one text,
// and rows of different databases must not be merged.
func (s *Store) redactTargets(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT target FROM outbox_state UNION SELECT target FROM outbox_parked`)
	if err != nil {
		return err
	}
	renames := map[string]string{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		if red := Redact(name); red != name && red != unparsedURL {
			renames[name] = red
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(renames) == 0 {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for old, name := range renames {
		// Two names of one database (the password changed): it holds what
		// either acknowledged.
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox_state (target, acked_pos, acked_ns, error, error_ns)
			SELECT ?, acked_pos, acked_ns, '', 0 FROM outbox_state WHERE target = ?
			ON CONFLICT (target) DO UPDATE SET acked_pos = max(acked_pos, excluded.acked_pos), acked_ns = max(acked_ns, excluded.acked_ns)`, name, old); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE OR IGNORE outbox_parked SET target = ? WHERE target = ?`, name, old); err != nil {
			return err
		}
		for _, table := range []string{"outbox_state", "outbox_parked"} {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE target = ?`, old); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// ErrUnknownTarget is matched by ForgetTarget's error when the outbox has
// no central database of that name.
var ErrUnknownTarget = errors.New("results: the outbox has no such central database")

// ForgetTarget drops a central database from the outbox: its
// acknowledged position and parked batches. The backlog (Backlog, station
// status, the metric) counts the database furthest behind, so one the
// station no longer replicates to (a test database, a retired server)
// would otherwise hold it up for good. The events stay in the store; a
// later replication to that database starts from the first event again,
// which the database's (run, seq) key makes harmless. name is as Outbox
// lists it, or the URL it masks.
func (s *Store) ForgetTarget(ctx context.Context, name string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("results: forgetting %s: %w", Redact(name), err)
	}
	defer tx.Rollback()
	var n int64
	for _, table := range []string{"outbox_state", "outbox_parked"} {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE target IN (?, ?)`, name, Redact(name))
		if err != nil {
			return fmt.Errorf("results: forgetting %s: %w", Redact(name), err)
		}
		k, _ := res.RowsAffected()
		n += k
	}
	if n == 0 {
		return fmt.Errorf("%w: %s (station status lists those it has)", ErrUnknownTarget, Redact(name))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("results: forgetting %s: %w", Redact(name), err)
	}
	return nil
}

// noteTargetError records why target cannot be reached, for station
// status; the next acknowledgement clears it. Best effort: the log has
// it too.
func (s *Store) noteTargetError(ctx context.Context, target, msg string) {
	s.db.ExecContext(ctx, `INSERT INTO outbox_state (target, error, error_ns) VALUES (?, ?, ?)
		ON CONFLICT (target) DO UPDATE SET error = excluded.error, error_ns = excluded.error_ns`, target, msg, time.Now().UnixNano())
}

// OutboxStatus is what a station has still to send to one central
// database, and what it rejected.
type OutboxStatus struct {
	Target     string
	Acked      int64     // the last position the target acknowledged
	Backlog    int64     // events after it
	AckedAt    time.Time // zero: never
	Error      string    // why the target cannot be reached, "" if it could last time
	ErrorSince time.Time
	Parked     []Parked
}

// Parked is a run of events a central database rejected.
type Parked struct {
	First, Last int64 // positions
	Events      int
	Reason      string
	At          time.Time
	Runs        []string // the runs they belong to
}

// Outbox is the replication state of every central database the store
// has replicated to, by target.
func (s *Store) Outbox(ctx context.Context) ([]OutboxStatus, error) {
	var last int64
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(pos), 0) FROM events`).Scan(&last); err != nil {
		return nil, fmt.Errorf("results: outbox: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT target, acked_pos, acked_ns, error, error_ns FROM outbox_state ORDER BY target`)
	if err != nil {
		return nil, fmt.Errorf("results: outbox: %w", err)
	}
	var out []OutboxStatus
	for rows.Next() {
		var o OutboxStatus
		var ackedNS, errNS int64
		if err := rows.Scan(&o.Target, &o.Acked, &ackedNS, &o.Error, &errNS); err != nil {
			rows.Close()
			return nil, fmt.Errorf("results: outbox: %w", err)
		}
		o.Backlog = max(0, last-o.Acked)
		if ackedNS != 0 {
			o.AckedAt = time.Unix(0, ackedNS)
		}
		if errNS != 0 {
			o.ErrorSince = time.Unix(0, errNS)
		}
		out = append(out, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("results: outbox: %w", err)
	}
	for i := range out {
		prow, err := s.db.QueryContext(ctx, `SELECT first_pos, last_pos, events, reason, parked_ns,
			(SELECT group_concat(DISTINCT run_id) FROM events WHERE pos BETWEEN first_pos AND last_pos)
			FROM outbox_parked WHERE target = ? ORDER BY first_pos`, out[i].Target)
		if err != nil {
			return nil, fmt.Errorf("results: outbox: %w", err)
		}
		for prow.Next() {
			var p Parked
			var ns int64
			var runs sql.NullString
			if err := prow.Scan(&p.First, &p.Last, &p.Events, &p.Reason, &ns, &runs); err != nil {
				prow.Close()
				return nil, fmt.Errorf("results: outbox: %w", err)
			}
			p.At = time.Unix(0, ns)
			if runs.Valid {
				p.Runs = splitComma(runs.String)
			}
			out[i].Parked = append(out[i].Parked, p)
		}
		prow.Close()
		if err := prow.Err(); err != nil {
			return nil, fmt.Errorf("results: outbox: %w", err)
		}
	}
	return out, nil
}

func splitComma(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ',' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}

// CentralTarget is the central database at url as a Target that
// connects (and migrates) at its first batch, and again after a failed
// connection: a station that starts while the database is away
// replicates once it is back.
func CentralTarget(url string) Target { return &lazyCentral{url: url, name: Redact(url)} }

type lazyCentral struct {
	url, name string
	mu        sync.Mutex
	c         *Central
}

func (l *lazyCentral) Target() string { return l.name }

func (l *lazyCentral) Ingest(ctx context.Context, b Batch) (int, error) {
	r, err := l.IngestWithReceipt(ctx, b)
	return r.Inserted, err
}

func (l *lazyCentral) IngestWithReceipt(ctx context.Context, b Batch) (Receipt, error) {
	l.mu.Lock()
	c := l.c
	if c == nil {
		var err error
		if c, err = OpenCentral(ctx, l.url); err != nil {
			l.mu.Unlock()
			return Receipt{}, err
		}
		l.c = c
	}
	l.mu.Unlock()
	rc, err := c.IngestWithReceipt(ctx, b)
	if errors.Is(err, ErrSchemaTooNew) {
		// Connect afresh next time, which says the same until this
		// program is upgraded.
		l.mu.Lock()
		if l.c == c {
			l.c = nil
			c.Close()
		}
		l.mu.Unlock()
	}
	return rc, err
}

// Close closes the connection if one was made.
func (l *lazyCentral) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.c == nil {
		return nil
	}
	err := l.c.Close()
	l.c = nil
	return err
}

// ReplicateTo replicates the store to the central database at url in the
// background (Run, with CentralTarget) until the store is closed, and
// then for up to o.FinalSync more. The harness never waits for it: a
// measurement waits for the station store's commit only.
func (s *Store) ReplicateTo(url string, o ReplicaOptions) {
	t := CentralTarget(url)
	s.replicate(t, o, func() { t.(*lazyCentral).Close() })
}

// replicate runs s.NewReplicator(t, o) in the background until the store
// closes, then its final sync; closeTarget, when not nil, runs last.
func (s *Store) replicate(t Target, o ReplicaOptions, closeTarget func()) {
	r := s.NewReplicator(t, o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(ctx); err != nil {
			r.o.Log.Error().Err(err).Msg("replication stopped")
		}
	}()
	s.mu.Lock()
	s.replicas = append(s.replicas, func() {
		cancel()
		<-done
		r.finalSync()
		if closeTarget != nil {
			closeTarget()
		}
	})
	s.mu.Unlock()
}

// finalSync sends what is left, for up to FinalSync, and says how it went.
func (r *Replicator) finalSync() {
	if r.o.FinalSync <= 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.o.FinalSync)
	defer cancel()
	if r.o.finalCtx != nil {
		ctx = r.o.finalCtx(ctx)
	}
	start := time.Now()
	st, err := r.Sync(ctx)
	took := time.Since(start).Round(time.Millisecond)
	switch {
	case err != nil:
		r.o.Log.Warn().Err(err).Int64("backlog", st.Backlog).Str("took", harness.FormatDuration(took)).
			Msgf("replication: %d events could not be sent to %s before the store closed; they wait in the station's outbox, nothing is lost: station sync sends them", st.Backlog, r.key)
	default:
		r.o.Log.Info().Int("sent", st.Sent).Str("took", harness.FormatDuration(took)).
			Msgf("replication: %s has every event of this store (%d sent as it closed)", r.key, st.Sent)
	}
}
