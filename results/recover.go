package results

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/harness"
)

// An owner names the store that writes a run: the host, the process and
// a random part (two stores of one process are two owners). Whether it
// still writes is not read from its pid, which a container's PID
// namespace, a hidden /proc or a reused pid can mislead, but from a lock
// it holds on a file of its own beside the database for as long as the
// store is open: the kernel drops the lock when the process dies.
func newOwner() string {
	host, _ := os.Hostname()
	var b [8]byte
	rand.Read(b[:]) // never fails (crypto/rand's documented contract)
	return strings.Join([]string{host, strconv.Itoa(os.Getpid()), hex.EncodeToString(b[:])}, "/")
}

// ownersDir holds one lock file per open store of path.
func ownersDir(path string) string { return path + "-owners" }

func ownerFile(path, owner string) string {
	return filepath.Join(ownersDir(path), strings.NewReplacer("/", "_", "\\", "_", ":", "_").Replace(owner))
}

// alive reports whether the store an owner names may still be writing
// its run. Its lock says so whatever host name the owner has: a WAL
// store is only ever shared on one host (it needs shared memory), where
// the lock is seen, and a container's host name changes when it
// restarts. Unsure (no owner, no file locks on this system, a lock file
// this user cannot read) counts as alive: a live run must never be
// closed under its writer.
func (s *Store) alive(owner string) bool {
	if owner == "" || owner == s.owner {
		return true
	}
	held, err := lockHeld(ownerFile(s.real, owner))
	return err != nil || held
}

// recover closes as aborted each run left unfinished by a store that is
// gone, with a run.ended event after its last, and reports how many.
func (s *Store) recover(ctx context.Context) (int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, owner FROM runs WHERE ended_ns IS NULL`)
	if err != nil {
		return 0, err
	}
	var dead []string
	for rows.Next() {
		var id, owner string
		if err := rows.Scan(&id, &owner); err != nil {
			rows.Close()
			return 0, err
		}
		if !s.alive(owner) {
			dead = append(dead, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range dead {
		closed, err := s.closeAborted(ctx, id)
		if err != nil {
			return n, fmt.Errorf("run %s: %w", id, err)
		}
		if closed {
			n++
		}
	}
	return n, nil
}

// closeAborted writes the run.ended of an unfinished run. The verdicts
// are settled from its events without its samples and attachments (a
// long run has millions of samples; the verdicts do not need them), read
// before the write lock is taken, so other stations' writers wait only
// for a short transaction, which checks the run is still unfinished and
// unchanged (two processes may open the store at once).
func (s *Store) closeAborted(ctx context.Context, id string) (bool, error) {
	var lastSeq uint64
	var lastTime int64
	err := s.db.QueryRowContext(ctx, `SELECT r.last_seq, coalesce((SELECT e.time_ns FROM events e WHERE e.run_id = r.id ORDER BY e.seq DESC LIMIT 1), r.started_ns)
		FROM runs r WHERE r.id = ? AND r.ended_ns IS NULL`, id).Scan(&lastSeq, &lastTime)
	if err == sql.ErrNoRows {
		return false, nil // closed by another process meanwhile
	}
	if err != nil {
		return false, err
	}
	var rp harness.Replayer
	if err := replay(ctx, s.db, id, &rp, string(harness.EventSample), string(harness.EventAttachment)); err != nil {
		return false, err
	}
	if rp.Events() == 0 {
		return false, nil
	}
	end := rp.AbortedEnd()
	end.Seq, end.Time = lastSeq+1, time.Unix(0, lastTime)

	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	w := &batchWriter{conn: conn, indexer: newIndexer(sqliteDialect, s.owner)}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	var unchanged bool
	err = tx.QueryRowContext(ctx, `SELECT count(*) = 1 FROM runs WHERE id = ? AND ended_ns IS NULL AND last_seq = ?`, id, lastSeq).Scan(&unchanged)
	if err == nil && unchanged {
		err = w.startPos(ctx, tx)
	}
	if err == nil && unchanged {
		var body []byte
		if body, err = encode(&end); err == nil {
			err = w.write(ctx, tx, &end, body)
		}
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE runs SET last_seq = ? WHERE id = ?`, end.Seq, id)
		}
	}
	if err != nil {
		tx.Rollback()
		return false, err
	}
	return unchanged, tx.Commit()
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}
