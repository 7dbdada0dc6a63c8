package results

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/scpikit/scpikit/harness"
)

// The store answers a run's prompts and stops it when asked.
var _ harness.Control = (*Store)(nil)

// The station page's controls of a run, through the store: the web
// server (in the run's process or in another, such as station serve)
// inserts a row in the controls table; the run's process, waiting in
// Answer or StopRequests (harness.WithControl(store)), takes it: at once in the same process,
// within 50 ms from another. So the page works the same wherever it is
// served, and a restarted server loses nothing.

// ErrPromptClosed is matched by AnswerPrompt's error for a prompt that
// was answered already (the first answer wins), cancelled, or whose run
// has ended.
var ErrPromptClosed = errors.New("results: the prompt is no longer open")

// ErrRunEnded is matched by RequestStop's error for a run that has ended.
var ErrRunEnded = errors.New("results: the run has ended")

// ErrBadAnswer is matched by AnswerPrompt's error for an answer that is
// not text or too long.
var ErrBadAnswer = errors.New("results: bad answer")

// MaxAnswer is the longest answer a prompt takes, in bytes: a serial
// number, a line of text, a choice.
const MaxAnswer = 4096

// maxAuthor bounds who answered or stopped ("page", "terminal", ...).
const maxAuthor = 64

// AnswerPrompt answers prompt promptID of run: the run's AwaitAnswer for
// it returns answer. It fails, matching ErrNotFound, for a run or a
// prompt the store does not hold (yet: the prompt's event is committed
// before it is shown), and matching ErrPromptClosed when the prompt was
// answered already or its run has ended.
//
// What can be refused is refused before the store's write lock is taken,
// which the run's writer needs for every event: a page (or a client in a
// loop) posting answers to prompts that do not exist, or again to one
// answered, never holds up the run.
func (s *Store) AnswerPrompt(ctx context.Context, run, promptID, answer, by string) error {
	if !utf8.ValidString(answer) || len(answer) > MaxAnswer {
		return fmt.Errorf("%w: want UTF-8 text of at most %d bytes", ErrBadAnswer, MaxAnswer)
	}
	by = clip(by, maxAuthor)
	if err := answerable(ctx, s.db, run, promptID, true); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("results: answering prompt %s of run %s: %w", promptID, run, err)
	}
	defer tx.Rollback()
	// Again under the lock, but only what can have changed since: a
	// prompt once asked stays asked, and its event (an image, maybe) is
	// not read again here.
	if err := answerable(ctx, tx, run, promptID, false); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO controls (run_id, kind, prompt_id, answer, author, created_ns) VALUES (?, 'answer', ?, ?, ?, ?)`,
		run, promptID, answer, by, time.Now().UnixNano())
	if isConstraint(err) {
		return fmt.Errorf("%w: prompt %s of run %s was answered already", ErrPromptClosed, promptID, run)
	}
	if err != nil {
		return fmt.Errorf("results: answering prompt %s of run %s: %w", promptID, run, err)
	}
	if err := tx.Commit(); err != nil {
		if isConstraint(err) {
			return fmt.Errorf("%w: prompt %s of run %s was answered already", ErrPromptClosed, promptID, run)
		}
		return fmt.Errorf("results: answering prompt %s of run %s: %w", promptID, run, err)
	}
	s.watcher.notify()
	return nil
}

// answerable checks that run is going on and its prompt promptID open:
// asked (checked only with asked set), not answered on the page yet, not
// closed by the run.
func answerable(ctx context.Context, q querier, run, promptID string, asked bool) error {
	ended, err := runEnded(ctx, q, run)
	if err != nil {
		return err
	}
	if asked {
		ok, err := promptEvent(ctx, q, run, promptID, "prompt")
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: run %s has no prompt %q", ErrNotFound, run, promptID)
		}
	}
	var answered bool
	err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM controls WHERE run_id = ? AND prompt_id = ? AND kind = 'answer')`, run, promptID).Scan(&answered)
	if err != nil {
		return fmt.Errorf("results: run %s: %w", run, err)
	}
	closed := answered
	if !closed {
		if closed, err = promptEvent(ctx, q, run, promptID, "prompt.answered", "prompt.cancelled"); err != nil {
			return err
		}
	}
	switch {
	case closed:
		return fmt.Errorf("%w: prompt %s of run %s was answered already", ErrPromptClosed, promptID, run)
	case ended:
		return fmt.Errorf("%w: run %s has ended", ErrPromptClosed, run)
	}
	return nil
}

// RequestStop asks run to stop: gracefully (as a first Ctrl-C: phases
// end, the safe state runs) or, immediate, as a second one. It fails,
// matching ErrNotFound, for a run the store does not hold, and matching
// ErrRunEnded for one that has ended. A request the run has had already
// (a graceful stop after any stop, an immediate one after an immediate
// one) succeeds and changes nothing: the store keeps at most two per
// run, however often the button is pressed.
func (s *Store) RequestStop(ctx context.Context, run string, immediate bool, by string) error {
	by = clip(by, maxAuthor)
	// Checked before the write lock too, for the reason AnswerPrompt
	// gives.
	if asked, err := stopAsked(ctx, s.db, run, immediate); err != nil || asked {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("results: stopping run %s: %w", run, err)
	}
	defer tx.Rollback()
	if asked, err := stopAsked(ctx, tx, run, immediate); err != nil || asked {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO controls (run_id, kind, author, immediate, created_ns) VALUES (?, 'stop', ?, ?, ?)`,
		run, by, immediate, time.Now().UnixNano()); err != nil {
		return fmt.Errorf("results: stopping run %s: %w", run, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("results: stopping run %s: %w", run, err)
	}
	s.watcher.notify()
	return nil
}

// stopAsked reports whether run has been asked to stop already as
// immediate asks (or more firmly); it fails for a run that is not held
// or has ended.
func stopAsked(ctx context.Context, q querier, run string, immediate bool) (bool, error) {
	ended, err := runEnded(ctx, q, run)
	if err != nil {
		return false, err
	}
	if ended {
		return false, fmt.Errorf("%w: run %s", ErrRunEnded, run)
	}
	var asked bool
	err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM controls WHERE run_id = ? AND kind = 'stop' AND immediate >= ?)`, run, immediate).Scan(&asked)
	if err != nil {
		return false, fmt.Errorf("results: stopping run %s: %w", run, err)
	}
	return asked, nil
}

// AwaitAnswer waits until prompt promptID of run is answered
// (AnswerPrompt, in any process), marks the answer taken, and returns it
// and who gave it. It returns ctx's error when ctx ends first, and
// ErrClosed when the store closes.
func (s *Store) AwaitAnswer(ctx context.Context, run, promptID string) (answer, by string, err error) {
	release := s.watch()
	defer release()
	for {
		changed := s.watcher.changed()
		var id int64
		err := s.db.QueryRowContext(ctx, `SELECT id, answer, author FROM controls WHERE run_id = ? AND kind = 'answer' AND prompt_id = ?`,
			run, promptID).Scan(&id, &answer, &by)
		switch {
		case err == nil:
			if _, err := s.db.ExecContext(ctx, `UPDATE controls SET taken_ns = ? WHERE id = ? AND taken_ns IS NULL`, time.Now().UnixNano(), id); err != nil {
				return "", "", fmt.Errorf("results: prompt %s of run %s: %w", promptID, run, err)
			}
			return answer, by, nil
		case !errors.Is(err, sql.ErrNoRows):
			if ctx.Err() != nil {
				return "", "", ctx.Err()
			}
			if s.isClosed() {
				return "", "", ErrClosed
			}
			return "", "", fmt.Errorf("results: waiting for the answer to prompt %s of run %s: %w", promptID, run, err)
		}
		select {
		case <-ctx.Done():
			return "", "", ctx.Err()
		case <-s.watcher.quit:
			return "", "", ErrClosed
		case <-changed:
		}
	}
}

// Answer waits for the answer to a run's prompt given on the station
// page (AnswerPrompt, in any process): the store is the run's
// harness.Prompter (WithControl). It returns context.Cause(ctx) when ctx
// ends first: a stop, the prompt's timeout.
func (s *Store) Answer(ctx context.Context, r harness.PromptRequest) (answer, by string, err error) {
	answer, by, err = s.AwaitAnswer(ctx, r.Run, r.ID)
	if err != nil && ctx.Err() != nil {
		return "", "", context.Cause(ctx)
	}
	return answer, by, err
}

// StopRequests delivers the requests to stop run (RequestStop, in any
// process), each once (it marks them taken), as they are stored, until
// ctx ends; then the channel is closed. Requests made before the call and
// not yet taken come first. With Answer, the store is a harness.Control.
func (s *Store) StopRequests(ctx context.Context, run string) <-chan harness.StopRequest {
	out := make(chan harness.StopRequest)
	release := s.watch()
	go func() {
		defer close(out)
		defer release()
		for {
			changed := s.watcher.changed()
			reqs, err := s.takeStops(ctx, run)
			var retry <-chan time.Time
			if err != nil {
				// A busy or failing database: the requests stay stored, to
				// be taken at the next try.
				retry = time.After(pollInterval)
			}
			for _, r := range reqs {
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			}
			if len(reqs) > 0 {
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-s.watcher.quit:
				return
			case <-changed:
			case <-retry:
			}
		}
	}()
	return out
}

// takeStops marks run's untaken stop requests taken and returns them, in
// the order they were made.
func (s *Store) takeStops(ctx context.Context, run string) ([]harness.StopRequest, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, immediate, author FROM controls WHERE run_id = ? AND kind = 'stop' AND taken_ns IS NULL ORDER BY id`, run)
	if err != nil {
		return nil, err
	}
	type row struct {
		id int64
		r  harness.StopRequest
	}
	var found []row
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.r.Immediate, &x.r.By); err != nil {
			rows.Close()
			return nil, err
		}
		found = append(found, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []harness.StopRequest
	for _, x := range found {
		res, err := s.db.ExecContext(ctx, `UPDATE controls SET taken_ns = ? WHERE id = ? AND taken_ns IS NULL`, time.Now().UnixNano(), x.id)
		if err != nil {
			return out, err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			out = append(out, x.r)
		}
	}
	return out, nil
}

// runEnded reports whether run has ended; ErrNotFound when the store
// does not hold it.
func runEnded(ctx context.Context, q querier, run string) (bool, error) {
	var ended bool
	err := q.QueryRowContext(ctx, `SELECT ended_ns IS NOT NULL FROM runs WHERE id = ?`, run).Scan(&ended)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("%w: %s", ErrNotFound, run)
	}
	if err != nil {
		return false, fmt.Errorf("results: run %s: %w", run, err)
	}
	return ended, nil
}

// promptEventsSQL reads a run's prompt events through events_prompts,
// the partial index of the run's prompts and their ends, so that the
// cost is the run's prompts, not its events (a long run with fast
// monitors holds millions), as AnswerPrompt holds the write lock. The
// index's own condition is repeated word for word, which is what lets
// SQLite use a partial index; INDEXED BY makes it (the planner, without
// statistics, prefers the primary key's run_id = ?, every event of the
// run) and fails the query should the index ever go, rather than let it
// scan. The caller adds the kinds it wants.
const promptEventsSQL = `SELECT body FROM events INDEXED BY events_prompts
	WHERE run_id = ? AND kind IN ('prompt', 'prompt.answered', 'prompt.cancelled')`

// promptEvent reports whether run has an event of one of kinds (prompt
// kinds: the events events_prompts indexes) about prompt promptID.
func promptEvent(ctx context.Context, q querier, run, promptID string, kinds ...string) (bool, error) {
	query := promptEventsSQL + ` AND kind IN (?` + strings.Repeat(", ?", len(kinds)-1) + `)`
	args := []any{run}
	for _, k := range kinds {
		args = append(args, k)
	}
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return false, fmt.Errorf("results: run %s: %w", run, err)
	}
	defer rows.Close()
	for rows.Next() {
		var body string
		if err := rows.Scan(&body); err != nil {
			return false, fmt.Errorf("results: run %s: %w", run, err)
		}
		var e struct {
			Prompt *struct {
				ID string `json:"id"`
			} `json:"prompt"`
		}
		if json.Unmarshal([]byte(body), &e) == nil && e.Prompt != nil && e.Prompt.ID == promptID {
			return true, nil
		}
	}
	return false, rows.Err()
}

// isConstraint reports whether err is SQLite's SQLITE_CONSTRAINT.
func isConstraint(err error) bool {
	var coded interface{ Code() int }
	return err != nil && errors.As(err, &coded) && coded.Code()&0xff == 19
}

// clip cuts s to at most n bytes, on a rune boundary, and drops what is
// not valid UTF-8.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
