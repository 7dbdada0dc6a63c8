package results

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/harness"
)

// loadEvents reads a run's events after seq after, at most limit of them
// (0: all), in order.
func loadEvents(ctx context.Context, q querier, run string, after uint64, limit int) ([]harness.Event, error) {
	query := `SELECT body, seq FROM events WHERE run_id = ? AND seq > ? ORDER BY seq`
	args := []any{run, after}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	return queryEvents(ctx, q, run, query, args...)
}

// queryEvents decodes the events bodies a query selects.
func queryEvents(ctx context.Context, q querier, run, query string, args ...any) ([]harness.Event, error) {
	var out []harness.Event
	err := eachEvent(ctx, q, run, query, args, func(e *harness.Event, _ uint64) { out = append(out, *e) })
	return out, err
}

// eachEvent decodes the events a query selects (body, seq), one at a time,
// each into an Event of its own that fn may keep.
func eachEvent(ctx context.Context, q querier, run, query string, args []any, fn func(e *harness.Event, seq uint64)) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var body []byte
		var seq uint64
		if err := rows.Scan(&body, &seq); err != nil {
			return err
		}
		e := new(harness.Event)
		if err := json.Unmarshal(body, e); err != nil {
			return fmt.Errorf("results: run %s: an event does not decode: %w", run, err)
		}
		fn(e, seq)
	}
	return rows.Err()
}

// replayPage is how many events a replay reads per query: a long run's
// events (a monitor's samples: millions) are never all in memory at once,
// and no read holds the database for the whole replay, which would keep a
// live run's writes from being checkpointed.
var replayPage = 4096

// replay folds a run's events, but those of the kinds given, into rp a
// page at a time, in order.
func replay(ctx context.Context, q querier, run string, rp *harness.Replayer, except ...string) error {
	query := `SELECT body, seq FROM events WHERE run_id = ? AND seq > ?`
	for range except {
		query += ` AND kind != ?`
	}
	query += ` ORDER BY seq LIMIT ?`
	var after uint64
	for {
		args := []any{run, after}
		for _, k := range except {
			args = append(args, k)
		}
		args = append(args, replayPage)
		n := 0
		err := eachEvent(ctx, q, run, query, args, func(e *harness.Event, seq uint64) {
			rp.Add(e)
			after = seq
			n++
		})
		if err != nil || n < replayPage {
			return err
		}
	}
}

// Events are a run's events with Seq above after, in order, at most limit
// of them (0: all): what a live page or a replicator follows.
func (s *Store) Events(ctx context.Context, run string, after uint64, limit int) ([]harness.Event, error) {
	return loadEvents(ctx, s.db, run, after, limit)
}

// Record rebuilds a run's record from its events: the same record the
// harness returned, and the reports written from it are the same. A run
// still going has a zero Ended. The events are read a page at a time, so
// what it holds is the record, not the events too.
func (s *Store) Record(ctx context.Context, run string) (*harness.Record, error) {
	var rp harness.Replayer
	if err := replay(ctx, s.db, run, &rp); err != nil {
		return nil, err
	}
	if rp.Events() == 0 {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, run)
	}
	return rp.Record(), nil
}

// Resolve finds the run an ID, a unique prefix of one, or "last" (the
// newest run) names.
func (s *Store) Resolve(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", fmt.Errorf("%w: no run ID given", ErrNotFound)
	}
	if ref == "last" || ref == "latest" {
		var id string
		err := s.db.QueryRowContext(ctx, `SELECT id FROM runs ORDER BY started_ns DESC, id DESC LIMIT 1`).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("%w: the store holds no runs", ErrNotFound)
		}
		return id, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 3`,
		strings.ToUpper(ref), strings.ToUpper(ref)+"\x7f")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("%w: %s", ErrNotFound, ref)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("%w: %q matches several runs (%s, %s, ...); give more of the run ID", ErrAmbiguous, ref, ids[0], ids[1])
}

// unixNanos is t in nanoseconds since 1970, as times are stored, with
// times beyond what that counts (before 1678, after 2262) taken as its
// ends: UnixNano's result is undefined there, and a filter "since 2300"
// then selected every run instead of none.
func unixNanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// Filter selects runs.
type Filter struct {
	Since  time.Time // runs started at or after it
	Serial string    // runs that tested this unit
	Run    string    // this run only
	Limit  int       // at most this many (newest first); 0: no limit
}

func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	if !f.Since.IsZero() {
		conds = append(conds, "r.started_ns >= ?")
		args = append(args, unixNanos(f.Since))
	}
	if f.Serial != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM units u WHERE u.run_id = r.id AND u.serial = ?)")
		args = append(args, f.Serial)
	}
	if f.Run != "" {
		conds = append(conds, "r.id = ?")
		args = append(args, f.Run)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// RunSummary is one run as a list shows it.
type RunSummary struct {
	ID        string        `json:"id"`
	Name      string        `json:"name"`
	Station   string        `json:"station,omitempty"`
	Operator  string        `json:"operator,omitempty"`
	Batch     string        `json:"batch,omitempty"`
	Software  string        `json:"software,omitempty"`
	Started   time.Time     `json:"started"`
	Ended     *time.Time    `json:"ended,omitempty"` // nil while it runs
	Outcome   string        `json:"outcome"`         // "running" while it runs
	StopCause string        `json:"stop_cause,omitempty"`
	Recovered bool          `json:"recovered,omitempty"`
	Events    uint64        `json:"events"`
	Units     []UnitSummary `json:"units"`
}

// UnitSummary is one DUT slot of a run and the unit it held.
type UnitSummary struct {
	DUT    string `json:"dut"`
	Serial string `json:"serial,omitempty"`
	Part   string `json:"part,omitempty"`
}

// Runs lists the runs f selects, newest first.
func (s *Store) Runs(ctx context.Context, f Filter) ([]RunSummary, error) {
	where, args := f.where()
	q := `SELECT r.id, r.name, r.station, r.operator, r.batch, r.software, r.started_ns, r.ended_ns, coalesce(r.outcome, ''),
		r.stop_cause, r.recovered, r.last_seq FROM runs r` + where + ` ORDER BY r.started_ns DESC, r.id DESC`
	if f.Limit > 0 {
		q += ` LIMIT ` + strconv.Itoa(f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []RunSummary
	for rows.Next() {
		var r RunSummary
		var started int64
		var ended sql.NullInt64
		if err := rows.Scan(&r.ID, &r.Name, &r.Station, &r.Operator, &r.Batch, &r.Software, &started, &ended, &r.Outcome,
			&r.StopCause, &r.Recovered, &r.Events); err != nil {
			rows.Close()
			return nil, err
		}
		r.Started = time.Unix(0, started)
		if ended.Valid {
			t := time.Unix(0, ended.Int64)
			r.Ended = &t
		} else {
			r.Outcome = "running"
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		units, err := runUnits(ctx, s.db, out[i].ID)
		if err != nil {
			return nil, err
		}
		out[i].Units = units
	}
	return out, nil
}

// runUnits are run's DUTs in the order they started, with the units
// identified. The DUTs come from events_dut_starts (schema version 6),
// which holds the run's dut.started events alone: a listing reads a few
// index rows per run, however many events the run has.
func runUnits(ctx context.Context, q querier, run string) ([]UnitSummary, error) {
	rows, err := q.QueryContext(ctx, `SELECT e.dut, coalesce(u.serial, ''), coalesce(u.part, '') FROM events e INDEXED BY events_dut_starts
		LEFT JOIN units u ON u.run_id = e.run_id AND u.dut = e.dut
		WHERE e.run_id = ? AND e.kind = 'dut.started' ORDER BY e.seq`, run)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []UnitSummary{}
	for rows.Next() {
		var u UnitSummary
		if err := rows.Scan(&u.DUT, &u.Serial, &u.Part); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CSVHeader is the header row of ExportCSV.
var CSVHeader = []string{"run_id", "run", "station", "operator", "batch", "software", "dut", "serial", "part", "revision", "slot",
	"phase", "attempt", "measurement", "value", "points", "unit", "comparator", "low", "high", "nominal", "outcome", "time"}

// ExportCSV writes one row per measurement of the runs f selects, oldest
// first, with the run's and the unit's identity on each: a spreadsheet's
// or a yield script's input. A NaN value is written as NaN; an array's
// value is its worst point and points its length.
func (s *Store) ExportCSV(ctx context.Context, w io.Writer, f Filter) error {
	where, args := f.where()
	q := `SELECT r.id, r.name, r.station, r.operator, r.batch, r.software, m.dut, coalesce(u.serial, ''), coalesce(u.part, ''),
		coalesce(u.revision, ''), coalesce(u.slot, ''), m.phase, m.attempt, m.name, m.value, m.points, m.unit, m.comparator,
		m.low, m.high, m.nominal, m.outcome, m.time_ns
		FROM measurements m JOIN runs r ON r.id = m.run_id LEFT JOIN units u ON u.run_id = m.run_id AND u.dut = m.dut` +
		where + ` ORDER BY r.started_ns, r.id, m.seq`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	num := func(v sql.NullFloat64) string {
		if !v.Valid {
			return ""
		}
		return strconv.FormatFloat(v.Float64, 'g', -1, 64)
	}
	for rows.Next() {
		var rec [23]string
		var attempt, timeNS int64
		var value, low, high, nominal sql.NullFloat64
		var points sql.NullInt64
		if err := rows.Scan(&rec[0], &rec[1], &rec[2], &rec[3], &rec[4], &rec[5], &rec[6], &rec[7], &rec[8], &rec[9], &rec[10],
			&rec[11], &attempt, &rec[13], &value, &points, &rec[16], &rec[17], &low, &high, &nominal, &rec[21], &timeNS); err != nil {
			return err
		}
		rec[12] = strconv.FormatInt(attempt, 10)
		rec[14] = num(value)
		if !value.Valid {
			rec[14] = "NaN"
		}
		if points.Valid {
			rec[15] = strconv.FormatInt(points.Int64, 10)
		}
		rec[18], rec[19], rec[20] = num(low), num(high), num(nominal)
		rec[22] = time.Unix(0, timeNS).UTC().Format(time.RFC3339Nano)
		for i, field := range rec {
			rec[i] = csvSafe(field)
		}
		if err := cw.Write(rec[:]); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from running a field as a formula (a
// serial number or a DUT name beginning with =, +, - or @): such a field
// gets a leading apostrophe, as OWASP advises. Numbers are left alone.
func csvSafe(s string) string {
	if s == "" || !strings.ContainsAny(s[:1], "=+-@\t\r") {
		return s
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s
	}
	return "'" + s
}
