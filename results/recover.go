package results

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/scpikit/scpikit/harness"
)

// An owner names the process writing a run: host, boot, pid and the
// process's start time, so that neither a pid reused after a reboot nor
// one reused by another program passes for the writer.
func currentOwner() string {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return strings.Join([]string{host, bootID(), strconv.Itoa(pid), processStart(pid)}, "/")
}

func bootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// processStart is a process's start time in clock ticks since boot (the
// 22nd field of /proc/PID/stat), or "" where there is no /proc.
func processStart(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	// The command name, in parentheses, may hold spaces: count after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return ""
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return ""
	}
	return fields[19] // field 22 of the whole line
}

// alive reports whether the process an owner names may still be writing
// its run. Unsure (another host, a malformed owner) counts as alive: a
// live run must never be closed under its writer.
func alive(owner string) bool {
	parts := strings.Split(owner, "/")
	if len(parts) != 4 {
		return owner != "" // written by something else: leave it
	}
	host, _ := os.Hostname()
	if parts[0] != host {
		return true
	}
	if b := bootID(); b != "" && parts[1] != "" && b != parts[1] {
		return false // the machine has rebooted since
	}
	pid, err := strconv.Atoi(parts[2])
	if err != nil || pid <= 0 {
		return true
	}
	if pid == os.Getpid() {
		return parts[3] == processStart(pid) // this process: its own runs are live
	}
	if start := processStart(pid); start != "" || parts[3] != "" {
		return start != "" && start == parts[3]
	}
	// No /proc: whether the pid exists at all.
	err = syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// recover closes as aborted each run left unfinished by a process that is
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
		if !alive(owner) {
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

// closeAborted writes the run.ended of an unfinished run, in one
// transaction that checks it is still unfinished (two processes may
// open the store at once).
func (s *Store) closeAborted(ctx context.Context, id string) (bool, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	w := &batchWriter{conn: conn, owner: s.owner, units: map[[2]string]harness.Unit{}}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	var open bool
	err = tx.QueryRowContext(ctx, `SELECT ended_ns IS NULL FROM runs WHERE id = ?`, id).Scan(&open)
	if err == nil && open {
		var events []harness.Event
		events, err = loadEvents(ctx, tx, id, 0, 0)
		if err == nil && len(events) > 0 {
			end := harness.AbortedEnd(events)
			err = w.write(ctx, tx, &end, s.owner)
			if err == nil {
				_, err = tx.ExecContext(ctx, `UPDATE runs SET last_seq = ? WHERE id = ?`, end.Seq, id)
			}
		}
	}
	if err != nil {
		tx.Rollback()
		return false, err
	}
	return open, tx.Commit()
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error)
}
