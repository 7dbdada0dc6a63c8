package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"

	"github.com/scpikit/scpikit/harness"
)

// batchWriter writes batches of events on the writer's connection.
type batchWriter struct {
	conn *sql.Conn
	indexer
	// pos is the last events.pos of the transaction being written.
	pos int64
	// lost holds the runs an event of which could not be stored: their
	// later events fail too, so the store never holds a run with a gap
	// that would pass for its whole record. Such a run stays unfinished,
	// and is closed as aborted once its program has gone. A run's entry
	// goes with its run.ended, stored or not.
	lost map[string]error
}

// forget drops what the writer holds of a run that has ended.
func (w *batchWriter) forget(run string) {
	delete(w.lost, run)
	for key := range w.units {
		if key[0] == run {
			delete(w.units, key)
		}
	}
}

// indexer writes the index rows an event makes (runs, units,
// measurements) in either dialect: the station store's writer and the
// central database's ingest are one fold, so the two cannot disagree.
type indexer struct {
	d     dialect
	owner string // runs.owner of the runs it starts
	// units holds each open run's units as identified so far, to write
	// the merged row; a run's entries go when it ends. Nil: read from
	// the database every time.
	units map[[2]string]harness.Unit
}

func newIndexer(d dialect, owner string) indexer {
	return indexer{d: d, owner: owner, units: map[[2]string]harness.Unit{}}
}

// encode is an event as the events table keeps it.
func encode(e *harness.Event) ([]byte, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("results: event %d of run %s: %w", e.Seq, e.Run, err)
	}
	return body, nil
}

// commit writes batch in one transaction. On failure nothing of it is
// kept (and the unit cache is rebuilt from the database next time).
func (w *batchWriter) commit(ctx context.Context, batch []item) (err error) {
	tx, err := w.conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("results: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
			clear(w.units) // it may hold what was rolled back
		}
	}()
	if err := w.startPos(ctx, tx); err != nil {
		return err
	}
	last := map[string]uint64{}
	for _, it := range batch {
		if err := w.write(ctx, tx, &it.e, it.body); err != nil {
			return err
		}
		last[it.e.Run] = max(last[it.e.Run], it.e.Seq)
	}
	if err := w.lastSeqs(ctx, tx, last); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("results: commit: %w", err)
	}
	return nil
}

// lastSeqs raises each run's last_seq to the last seq written of it.
func (x *indexer) lastSeqs(ctx context.Context, tx *sql.Tx, last map[string]uint64) error {
	q := x.d.rebind(`UPDATE runs SET last_seq = ` + x.d.greatest() + `(last_seq, ?) WHERE id = ?`)
	for run, seq := range last {
		if _, err := tx.ExecContext(ctx, q, int64(seq), run); err != nil {
			return fmt.Errorf("results: last event of run %s: %w", run, err)
		}
	}
	return nil
}

// write inserts one event, encoded as body, and the index rows it makes.
func (w *batchWriter) write(ctx context.Context, tx *sql.Tx, e *harness.Event, body []byte) error {
	if err := w.index(ctx, tx, e); err != nil {
		return err
	}
	w.pos++
	if _, err := tx.ExecContext(ctx, `INSERT INTO events (run_id, seq, time_ns, kind, dut, body, pos) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.Run, e.Seq, e.Time.UnixNano(), string(e.Kind), e.DUT, string(body), w.pos); err != nil {
		return fmt.Errorf("results: %s event %d of run %s: %w", e.Kind, e.Seq, e.Run, err)
	}
	return nil
}

// index writes the index rows event e makes, in x's dialect.
func (x *indexer) index(ctx context.Context, tx *sql.Tx, e *harness.Event) (err error) {
	owner := x.owner
	exec := func(q string, args ...any) error {
		if _, err := tx.ExecContext(ctx, x.d.rebind(q), args...); err != nil {
			return fmt.Errorf("results: %s event %d of run %s: %w", e.Kind, e.Seq, e.Run, err)
		}
		return nil
	}
	switch e.Kind {
	case harness.EventRunStarted:
		info := harness.RunInfo{}
		if e.Info != nil {
			info = *e.Info
		}
		config, _ := json.Marshal(info.Config) // a map of strings always encodes
		if info.Config == nil {
			config = []byte("{}")
		}
		if err := exec(`INSERT INTO runs (id, name, station, operator, batch, software, config, started_ns, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.Run, info.Name, info.Station, info.Operator, info.Batch, info.Software, string(config), e.Time.UnixNano(), owner); err != nil {
			return err
		}
	case harness.EventDUTStarted, harness.EventUnit:
		if e.Unit != nil {
			key := [2]string{e.Run, e.DUT}
			u, ok := x.units[key]
			if !ok {
				u, err = x.loadUnit(ctx, tx, e.Run, e.DUT)
				if err != nil {
					return err
				}
			}
			u = u.Merge(*e.Unit)
			if x.units != nil {
				x.units[key] = u
			}
			meta, _ := json.Marshal(u.Metadata)
			if u.Metadata == nil {
				meta = []byte("{}")
			}
			if err := exec(`INSERT INTO units (run_id, dut, serial, part, revision, slot, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT (run_id, dut) DO UPDATE SET serial = excluded.serial, part = excluded.part,
					revision = excluded.revision, slot = excluded.slot, metadata = excluded.metadata`,
				e.Run, e.DUT, u.Serial, u.Part, u.Revision, u.Slot, string(meta)); err != nil {
				return err
			}
		}
	case harness.EventMeasurement:
		if m := e.Measurement; m != nil {
			var points any
			if m.Values != nil {
				points = len(m.Values)
			}
			if err := exec(`INSERT INTO measurements (run_id, seq, dut, phase, attempt, name, value, points, unit, comparator, low, high, nominal, outcome, time_ns)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				e.Run, e.Seq, e.DUT, m.Phase, m.Attempt, m.Name, real(m.Value), points, m.Unit, string(m.Limit.Comparator),
				realPtr(m.Limit.Low), realPtr(m.Limit.High), realPtr(m.Limit.Nominal), m.Outcome.String(), e.Time.UnixNano()); err != nil {
				return err
			}
		}
	case harness.EventRunEnded:
		if end := e.End; end != nil {
			if err := exec(`UPDATE runs SET ended_ns = ?, outcome = ?, stop_cause = ?, recovered = ? WHERE id = ?`,
				e.Time.UnixNano(), end.Outcome.String(), end.StopCause, boolInt(end.Recovered), e.Run); err != nil {
				return err
			}
			// Every DUT gets its verdict in units, identified or not:
			// yield counts units, and reads no event bodies.
			for _, d := range end.DUTs {
				if err := exec(`INSERT INTO units (run_id, dut, outcome, ended_ns) VALUES (?, ?, ?, ?)
					ON CONFLICT (run_id, dut) DO UPDATE SET outcome = excluded.outcome, ended_ns = excluded.ended_ns`,
					e.Run, d.Name, d.Outcome.String(), e.Time.UnixNano()); err != nil {
					return err
				}
			}
		}
		for key := range x.units {
			if key[0] == e.Run {
				delete(x.units, key)
			}
		}
	}
	return nil
}

// boolInt is a flag as both dialects' INTEGER columns hold it.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// startPos reads the last position committed, inside the write
// transaction: no other process can commit until it ends, so the
// positions this one gives follow on without a gap or a clash.
func (w *batchWriter) startPos(ctx context.Context, tx *sql.Tx) error {
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(pos), 0) FROM events`).Scan(&w.pos); err != nil {
		return fmt.Errorf("results: the last event position: %w", err)
	}
	return nil
}

// real is a value as SQLite stores it: NaN, which it has not, as NULL
// (the event's JSON keeps it).
func real(v float64) any {
	if math.IsNaN(v) {
		return nil
	}
	return v
}

func realPtr(v *float64) any {
	if v == nil {
		return nil
	}
	return real(*v)
}

func (x *indexer) loadUnit(ctx context.Context, tx *sql.Tx, run, dut string) (harness.Unit, error) {
	var u harness.Unit
	var meta string
	err := tx.QueryRowContext(ctx, x.d.rebind(`SELECT serial, part, revision, slot, metadata FROM units WHERE run_id = ? AND dut = ?`), run, dut).
		Scan(&u.Serial, &u.Part, &u.Revision, &u.Slot, &meta)
	switch {
	case err == sql.ErrNoRows:
		return harness.Unit{}, nil
	case err != nil:
		return u, fmt.Errorf("results: %w", err)
	}
	if err := json.Unmarshal([]byte(meta), &u.Metadata); err != nil {
		return u, fmt.Errorf("results: unit %s of run %s: metadata: %w", dut, run, err)
	}
	return u, nil
}
