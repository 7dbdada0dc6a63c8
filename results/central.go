package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL through database/sql, registered as "pgx"
	"github.com/scpikit/scpikit/harness"
)

// EnvCentral is the environment variable that names the central
// database (a postgres:// URL) that station sync, station serve and
// Store.ReplicateTo's callers replicate to unless told otherwise.
const EnvCentral = "SCPIKIT_DB"

// Central is the central database: PostgreSQL, where every station's
// events arrive (store-and-forward, see Replicator) and are folded into
// the same runs, units and measurements tables a station store has. It
// is safe for concurrent use.
type Central struct {
	db     *sql.DB
	d      dialect
	target string // the URL without its password
	known  int    // the last schema version this program knows
}

// OpenCentral connects to the PostgreSQL database at url (postgres:// or
// postgresql://, or a libpq key=value string) and brings its schema up to
// date. The database must exist; the role needs CREATE on it the first
// time (the migrations create tables).
func OpenCentral(ctx context.Context, url string) (*Central, error) {
	if url == "" {
		return nil, fmt.Errorf("results: no central database: name one with a postgres:// URL (or $%s)", EnvCentral)
	}
	if strings.Contains(url, "://") && !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return nil, fmt.Errorf("results: %s: the central database is PostgreSQL: want a postgres:// URL", Redact(url))
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("results: central database %s: %w", Redact(url), err)
	}
	// A few connections: ingest is one transaction at a time per
	// station, and analytics read alongside.
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	c := &Central{db: db, d: postgresDialect, target: Redact(url), known: SchemaVersion()}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("results: central database %s: %w", c.target, err)
	}
	if err := migrate(ctx, db, postgresDialect); err != nil {
		db.Close()
		return nil, fmt.Errorf("results: central database %s: %w", c.target, err)
	}
	return c, nil
}

// Close closes the connections to the database.
func (c *Central) Close() error { return c.db.Close() }

// Target is the database's URL without its password: how a station's
// outbox names it.
func (c *Central) Target() string { return c.target }

// Redact is a database URL or libpq key=value string with its password
// replaced by "xxxxx", fit for logs, messages and the station's outbox.
func Redact(raw string) string {
	if !strings.Contains(raw, "://") {
		return redactKeywords(raw)
	}
	u, err := url.Parse(raw)
	if err != nil {
		// Unparsed, it might show the password in an error message too.
		return unparsedURL
	}
	// libpq takes the password as a parameter too.
	q := u.Query()
	if !q.Has("password") {
		if u.User == nil {
			return raw // as it was: the station's outbox is keyed by it
		}
		return u.Redacted()
	}
	q.Set("password", "xxxxx")
	u.RawQuery = q.Encode()
	return u.Redacted()
}

// unparsedURL is what Redact makes of a URL that does not parse.
const unparsedURL = "(a database URL that does not parse)"

// redactKeywords masks the password of a libpq key=value string
// ("host=db password='a b' dbname=fleet"): keys, optional spaces around
// "=", values bare or single-quoted, with backslash escapes in either.
func redactKeywords(s string) string {
	space := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' }
	var b strings.Builder
	i := 0
	skip := func(j int) int {
		for j < len(s) && space(s[j]) {
			j++
		}
		return j
	}
	for i < len(s) {
		j := skip(i)
		b.WriteString(s[i:j])
		if i = j; i == len(s) {
			break
		}
		for j < len(s) && s[j] != '=' && !space(s[j]) {
			j++
		}
		key := s[i:j]
		password := strings.EqualFold(key, "password")
		b.WriteString(key)
		i, j = j, skip(j)
		if j == len(s) || s[j] != '=' {
			if password { // not key=value: hide all that follows
				b.WriteString(" xxxxx")
				break
			}
			continue
		}
		j = skip(j + 1)
		b.WriteString(s[i:j])
		i = j
		if j < len(s) && s[j] == '\'' {
			for j++; j < len(s) && s[j] != '\''; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			j++ // the closing quote
		} else {
			for ; j < len(s) && !space(s[j]); j++ {
				if s[j] == '\\' {
					j++
				}
			}
		}
		j = min(j, len(s))
		if password {
			b.WriteString("xxxxx")
		} else {
			b.WriteString(s[i:j])
		}
		i = j
	}
	return b.String()
}

// OutboxEvent is an event as a station sends it: the row of its store.
type OutboxEvent struct {
	Pos    int64 // its position in the station's store
	Run    string
	Seq    uint64
	TimeNS int64
	Kind   string
	DUT    string
	Body   string // the harness.Event as JSON
}

// Batch is what a station sends at once.
type Batch struct {
	Station string // the station's ID
	// Store is the ID of the station store the events come from
	// (Store.ID): "" from a program older than schema version 7, which
	// is taken as before and never counted as another store.
	Store   string
	Events  []OutboxEvent // in the order of their positions
	Backlog int64         // events the station has still to send after these
}

// RejectedError is the error of a batch the central database refused
// for what it holds (a data error, not a network one): sending it again
// would fail again, so the station parks it and goes on.
type RejectedError struct {
	Reason string
	Err    error
}

func (e *RejectedError) Error() string {
	return "results: the central database rejected the batch: " + e.Reason
}
func (e *RejectedError) Unwrap() error { return e.Err }

// rejected classifies err: PostgreSQL's SQLSTATE classes 22 (data
// exception: a NUL byte or invalid UTF-8 in a name), 23 (integrity
// constraint) and 54 (program limit: a value too big to index) are the
// data's fault and come back on every resend; anything else (a dropped
// connection, a shutdown, a serialization failure) is the network's or
// the server's, and passes.
func rejected(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code[:2] {
		case "22", "23", "54":
			return &RejectedError{Reason: fmt.Sprintf("%s (SQLSTATE %s)", pg.Message, pg.Code), Err: err}
		}
	}
	return err
}

// Ingest inserts b's events and the index rows they make, and notes the
// station's backlog and store, in one transaction. Events the database
// already holds (a resend after an acknowledgement was lost) are skipped
// by (run_id, seq) and make no index rows, so a resend changes nothing.
// It returns how many events were new. A *RejectedError says the batch
// can never go in; any other error, that it may later.
func (c *Central) Ingest(ctx context.Context, b Batch) (inserted int, err error) {
	r, err := c.IngestWithReceipt(ctx, b)
	return r.Inserted, err
}

// IngestWithReceipt is Ingest, answering with a Receipt: how many events
// were new, and whether another store replicates under b.Station too
// (never a reason to refuse the batch: nothing may be lost, and a
// re-imaged station must go on).
func (c *Central) IngestWithReceipt(ctx context.Context, b Batch) (r Receipt, err error) {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return r, fmt.Errorf("results: central database: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
			err = rejected(err)
			r = Receipt{}
		}
	}()
	if err := c.schemaUnchanged(ctx, tx); err != nil {
		return r, err
	}
	var lastPos int64
	if n := len(b.Events); n > 0 {
		lastPos = b.Events[n-1].Pos
		r.Inserted, err = c.insertEvents(ctx, tx, b)
		if err != nil {
			return r, err
		}
	}
	// The stations row and its store, in the one statement it always
	// took: the conflict comes back with it, no round trip added.
	var st stationStores
	if err := tx.QueryRowContext(ctx, upsertStation, b.Station, time.Now().UnixNano(), b.Backlog, lastPos, r.Inserted, b.Store, StoreConflictWindow.Nanoseconds()).
		Scan(st.dest()...); err != nil {
		return r, fmt.Errorf("results: central database: station %s: %w", b.Station, err)
	}
	if err := tx.Commit(); err != nil {
		return r, fmt.Errorf("results: central database: commit: %w", err)
	}
	if b.Store != "" {
		// A batch of no store has none to be told of.
		r.Conflict = st.conflict(b.Station)
	}
	return r, nil
}

// schemaUnchanged returns an error matching ErrSchemaTooNew when another
// program has migrated the database, since this one connected, to a
// version that changes what this one writes (a station of a newer
// version, reaching it first). Checked in each batch's transaction,
// which a migration's table locks order against: the batch goes in
// under the schema it was written for, or not at all.
func (c *Central) schemaUnchanged(ctx context.Context, tx *sql.Tx) error {
	var have int
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("results: central database: schema_migrations: %w", err)
	}
	if have <= c.known {
		return nil
	}
	if err := newerSchema(ctx, tx, c.d, have, c.known); err != nil {
		return fmt.Errorf("results: central database %s: %w", c.target, err)
	}
	return nil
}

// insertEvents inserts the events of b the database has not, in one
// statement (arrays unnested: one round trip and one plan whatever the
// batch's size, where a multi-row VALUES would need eight parameters an
// event and a new plan per size), then folds the new ones, in the
// station's order, into the index rows.
func (c *Central) insertEvents(ctx context.Context, tx *sql.Tx, b Batch) (int, error) {
	n := len(b.Events)
	runs, kinds, duts, bodies := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	seqs, times, poss := make([]int64, n), make([]int64, n), make([]int64, n)
	for i, e := range b.Events {
		runs[i], seqs[i], times[i], kinds[i], duts[i], bodies[i], poss[i] = e.Run, int64(e.Seq), e.TimeNS, e.Kind, e.DUT, e.Body, e.Pos
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO events (run_id, seq, time_ns, kind, dut, body, pos, station)
		SELECT r, s, t, k, d, b, p, $8 FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[]) AS u(r, s, t, k, d, b, p)
		ON CONFLICT (run_id, seq) DO NOTHING
		RETURNING pos`, runs, seqs, times, kinds, duts, bodies, poss, b.Station)
	if err != nil {
		return 0, fmt.Errorf("results: central database: events: %w", err)
	}
	var fresh []int64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return 0, err
		}
		fresh = append(fresh, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("results: central database: events: %w", err)
	}
	slices.Sort(fresh)
	x := indexer{d: c.d, owner: b.Station} // no unit cache: each batch reads what it merges
	last := map[string]uint64{}
	i := 0
	for _, e := range b.Events {
		if i == len(fresh) {
			break
		}
		if e.Pos != fresh[i] {
			continue
		}
		i++
		var ev harness.Event
		if err := json.Unmarshal([]byte(e.Body), &ev); err != nil {
			return 0, &RejectedError{Reason: fmt.Sprintf("event %d of run %s (position %d): its body is not an event: %v", e.Seq, e.Run, e.Pos, err), Err: err}
		}
		if ev.Run != e.Run || ev.Seq != e.Seq {
			return 0, &RejectedError{Reason: fmt.Sprintf("event %d of run %s (position %d): its body says event %d of run %s", e.Seq, e.Run, e.Pos, ev.Seq, ev.Run)}
		}
		if err := x.index(ctx, tx, &ev); err != nil {
			return 0, err
		}
		last[e.Run] = max(last[e.Run], e.Seq)
	}
	if err := x.lastSeqs(ctx, tx, last); err != nil {
		return 0, err
	}
	return len(fresh), nil
}
