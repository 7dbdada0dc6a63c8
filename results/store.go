package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/scpikit/scpikit/harness"
	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// EnvStore is the environment variable that names the station store
// (a file path) in place of DefaultPath's default.
const EnvStore = "SCPIKIT_STORE"

// ErrClosed is the error of an event emitted to a closed store.
var ErrClosed = errors.New("results: store closed")

// ErrNotFound is matched by the error for a run the store does not hold.
var ErrNotFound = errors.New("results: no such run")

// ErrAmbiguous is matched by the error for a run ID prefix that more
// than one run has.
var ErrAmbiguous = errors.New("results: run ID prefix is ambiguous")

// ErrInUse is matched by Open's error for a store whose schema must be
// upgraded while another program has it open: that program writes with
// the schema it opened, and would go on writing rows the new one
// misreads (and wait on the upgrade's write lock). Close it, then open
// the store again.
var ErrInUse = errors.New("results: the store's schema must be upgraded, and another program has it open")

// errNoLocks is lockHeld's error on a system without file locks, where
// whether an owner is alive cannot be told.
var errNoLocks = errors.New("results: no file locks on this system")

// ErrSchemaTooNew is matched by Open's (and OpenCentral's) error for a
// database upgraded by a newer scpikit to a schema that changes what
// this one reads or writes. A newer schema that only adds (an index, a
// table this one never reads) is used as it is.
var ErrSchemaTooNew = errors.New("results: store schema is newer than this program")

// DefaultPath is the station store every program of a station shares
// unless told otherwise: $SCPIKIT_STORE, else station.db in the user's
// data directory ($XDG_DATA_HOME/scpikit, ~/.local/share/scpikit;
// ~/Library/Application Support/scpikit on macOS; %LocalAppData%\scpikit
// on Windows).
func DefaultPath() string {
	if p := os.Getenv(EnvStore); p != "" {
		return p
	}
	return filepath.Join(dataDir(), "scpikit", "station.db")
}

func dataDir() string {
	switch runtime.GOOS {
	case "windows":
		if d := os.Getenv("LocalAppData"); d != "" {
			return d
		}
	case "darwin":
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, "Library", "Application Support")
		}
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share")
	}
	return os.TempDir()
}

// Store is the station store: a SQLite database of runs and their
// events. It is a harness.Sink; it is safe for concurrent use, and
// several processes may share one file.
type Store struct {
	path  string
	real  string // path with symlinks resolved: the owners' locks are beside it
	db    *sql.DB
	owner string
	id    string   // the store's identity (ID), read once when opened
	lock  *os.File // held while open (see newOwner)

	mu      sync.Mutex
	pending []item
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	stats   Stats

	watcher *watcher // wakes tails and controls' waiters (watch.go)

	w *batchWriter // the writer goroutine's own

	replicas []func() // stop each background replication (ReplicateTo), and wait

	latMu     sync.Mutex
	latencies []time.Duration // of measurements, from Emit to commit: a ring
	latNext   int
}

// item is an event waiting for the writer, and whom to tell.
type item struct {
	e    harness.Event
	body []byte // e encoded, by the writer before its transaction
	ack  chan error
	when time.Time
}

// Stats says what the writer has done.
type Stats struct {
	Commits   uint64 // transactions committed
	Events    uint64 // events committed
	Failed    uint64 // events whose transaction failed
	MaxBatch  int    // the most events one transaction held
	MaxQueue  int    // the most events ever waiting for the writer
	Recovered int    // runs closed as aborted when the store was opened
}

// Open opens (creating it and its directory if need be) the station store
// at path, brings its schema up to date, and closes as aborted every run
// a stopped station left unfinished. "sqlite:" or "file:" before the path
// is allowed.
func Open(path string) (*Store, error) {
	path, err := FilePath(path)
	if err != nil {
		return nil, err
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("results: %w", err)
		}
	}
	real, err := realPath(path)
	if err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	// WAL with synchronous=FULL: a commit is on disk (the WAL fsynced)
	// before it returns. Every connection of the pool gets the pragmas.
	dsn := "file:" + strings.ReplaceAll(path, "%", "%25") +
		"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	s := &Store{path: path, real: real, db: db, owner: newOwner(), wake: make(chan struct{}, 1), done: make(chan struct{}), watcher: newWatcher()}
	ctx := context.Background()
	// Held while the store is open: how other processes know its runs
	// are live.
	if err := os.MkdirAll(ownersDir(real), 0o755); err != nil {
		db.Close()
		return nil, fmt.Errorf("results: %w", err)
	}
	// One program at a time checks and upgrades the schema; one waiting
	// here holds no lock of its own yet, so the one upgrading does not
	// take it for a program of the old schema.
	schemaLock, err := waitLock(filepath.Join(ownersDir(real), schemaLockFile), schemaLockWait)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("results: %s: waiting for another program to finish upgrading the store's schema: %w", path, err)
	}
	defer schemaLock.Close()
	if err := s.checkPragmas(ctx); err != nil {
		s.release()
		return nil, err
	}
	if err := s.refuseUpgradeInUse(ctx); err != nil {
		s.release()
		return nil, err
	}
	if err := migrate(ctx, db, sqliteDialect); err != nil {
		s.release()
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	if err := s.db.QueryRowContext(ctx, `SELECT id FROM store_identity`).Scan(&s.id); err != nil {
		s.release()
		return nil, fmt.Errorf("results: %s: the store's identity: %w", path, err)
	}
	if err := s.redactTargets(ctx); err != nil {
		s.release()
		return nil, fmt.Errorf("results: %s: masking passwords in the outbox: %w", path, err)
	}
	if s.lock, err = holdLock(ownerFile(real, s.owner)); err != nil {
		s.release()
		return nil, fmt.Errorf("results: %s: the store's lock file: %w", path, err)
	}
	schemaLock.Close()
	n, err := s.recover(ctx)
	if err != nil {
		s.release()
		return nil, fmt.Errorf("results: %s: recovering unfinished runs: %w", path, err)
	}
	s.stats.Recovered = n
	conn, err := db.Conn(ctx)
	if err != nil {
		s.release()
		return nil, fmt.Errorf("results: %s: %w", path, err)
	}
	s.w = &batchWriter{conn: conn, indexer: newIndexer(sqliteDialect, s.owner), lost: map[string]error{}}
	go s.writer()
	return s, nil
}

// schemaLockFile, in the owners directory, is locked by a program
// checking and upgrading the schema (never an owner's name: those have
// no dot first); schemaLockWait is how long another waits for it.
const (
	schemaLockFile = ".schema"
	schemaLockWait = time.Minute
)

// refuseUpgradeInUse returns an error matching ErrInUse when the schema
// is older than this program's and another program holds its lock on
// the store, leaving the store as it is.
func (s *Store) refuseUpgradeInUse(ctx context.Context) error {
	var tables, have int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return fmt.Errorf("results: %s: %w", s.path, err)
	}
	if tables > 0 {
		if err := s.db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			return fmt.Errorf("results: %s: %w", s.path, err)
		}
	}
	// Even an additive version waits: building an index over a store of
	// millions of events holds the write lock for as long, and the other
	// program's measurements would fail their commits meanwhile.
	want := SchemaVersion()
	if have >= want {
		return nil
	}
	dir := ownersDir(s.real)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("results: %s: %w", s.path, err)
	}
	for _, e := range entries {
		if e.Name() == schemaLockFile {
			continue
		}
		held, err := lockHeld(filepath.Join(dir, e.Name()))
		if errors.Is(err, errNoLocks) {
			return nil // cannot be told here: upgraded as before
		}
		if err != nil || held {
			why := ""
			if err != nil {
				why = fmt.Sprintf(" (whether it still runs cannot be told: %v; if it does not, remove the file)", err)
			}
			return fmt.Errorf("%w: %s is at schema version %d, this program writes %d, and program %s has it open%s: close that program, then open the store again (lock file %s)",
				ErrInUse, s.path, have, want, e.Name(), why, filepath.Join(dir, e.Name()))
		}
	}
	return nil
}

// realPath is path absolute, with symlinks resolved (of its directory
// only, when the file is not there yet): programs that name one store
// differently (through a symlink) must find each other's locks, or one
// would close the other's live run as abandoned.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return real, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	dir, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, filepath.Base(abs)), nil
}

// FilePath is the file a station store's name points at: the path
// itself, or PATH of sqlite:PATH or file:PATH. Any other URL is refused.
func FilePath(name string) (string, error) {
	path := name
	for _, scheme := range []string{"sqlite://", "sqlite:", "file://", "file:"} {
		path = strings.TrimPrefix(path, scheme)
	}
	if i := strings.Index(path, "://"); i > 0 {
		return "", fmt.Errorf("results: %s: only a SQLite file is supported as a station store (a path, or sqlite:PATH)", name)
	}
	if path == "" {
		return "", errors.New("results: no store path")
	}
	if strings.ContainsAny(path, "?#") {
		return "", fmt.Errorf("results: store path %q: ? and # are not allowed in it", path)
	}
	return path, nil
}

// checkPragmas makes sure the durability the package promises is the one
// the database has: a driver that ignored a pragma would break it
// silently.
func (s *Store) checkPragmas(ctx context.Context) error {
	var mode string
	var sync int
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("results: %s: %w", s.path, err)
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("results: %s: %w", s.path, err)
	}
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync); err != nil {
		return fmt.Errorf("results: %s: %w", s.path, err)
	}
	if mode != "wal" || sync != 2 {
		return fmt.Errorf("results: %s: journal_mode=%s synchronous=%d, want wal and 2 (FULL): is it on a file system without shared memory?", s.path, mode, sync)
	}
	return nil
}

// ID is the store's identity: a random ID (32 hex digits) made once,
// when the store was made or first opened by a program of schema version
// 7 or later, and kept in it. Each batch it replicates carries it
// (Batch.Store), so that the central database can tell two stores
// replicating under one station ID from one store that replaced another.
// A copy of the store's file has the same ID.
func (s *Store) ID() string { return s.id }

// Path is the store's file.
func (s *Store) Path() string { return s.path }

// Emit queues e for the writer and returns at once; the channel receives
// nil once the transaction holding e has committed (harness.Sink).
func (s *Store) Emit(e harness.Event) <-chan error {
	ack := make(chan error, 1)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ack <- ErrClosed
		return ack
	}
	s.pending = append(s.pending, item{e: e, ack: ack, when: time.Now()})
	s.stats.MaxQueue = max(s.stats.MaxQueue, len(s.pending))
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // the writer is awake already
	}
	return ack
}

// Stats is what the writer has done so far.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// Latencies are the times, from Emit to commit, of the last measurements
// committed (up to 65,536 of them), oldest first.
func (s *Store) Latencies() []time.Duration {
	s.latMu.Lock()
	defer s.latMu.Unlock()
	out := make([]time.Duration, 0, len(s.latencies))
	if len(s.latencies) == cap(s.latencies) && s.latNext > 0 {
		out = append(out, s.latencies[s.latNext:]...)
		return append(out, s.latencies[:s.latNext]...)
	}
	return append(out, s.latencies...)
}

const latencyRing = 1 << 16

func (s *Store) noteLatency(d time.Duration) {
	s.latMu.Lock()
	defer s.latMu.Unlock()
	if s.latencies == nil {
		s.latencies = make([]time.Duration, 0, latencyRing)
	}
	if len(s.latencies) < latencyRing {
		s.latencies = append(s.latencies, d)
		return
	}
	s.latencies[s.latNext] = d
	s.latNext = (s.latNext + 1) % latencyRing
}

// Close commits what is waiting, then closes the database. Events
// emitted after Close get ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return nil
	}
	// Tails and waiters end; the writer commits what is queued (a run's
	// last events, its run.ended) and ends.
	s.stopWatching()
	select {
	case s.wake <- struct{}{}:
	default:
	}
	<-s.done
	// Only then does replication stop, with its final sync: it has every
	// event the store will hold. What it could not send waits in the
	// outbox for the next time.
	s.mu.Lock()
	replicas := s.replicas
	s.replicas = nil
	s.mu.Unlock()
	for _, stop := range replicas {
		stop()
	}
	return s.release()
}

// release closes the database and lets go of the store's lock.
func (s *Store) release() error {
	err := s.db.Close()
	if s.lock != nil {
		os.Remove(s.lock.Name())
		s.lock.Close()
	}
	return err
}

// writer is the one goroutine that writes events: each pass commits all
// that are waiting in one transaction, then tells their callers.
func (s *Store) writer() {
	defer close(s.done)
	w := s.w
	defer w.conn.Close()
	lost := w.lost
	for {
		s.mu.Lock()
		all := s.pending
		s.pending = nil
		closed := s.closed
		s.mu.Unlock()
		if len(all) == 0 {
			if closed {
				return
			}
			<-s.wake
			continue
		}
		batch := all[:0]
		for _, it := range all {
			err := lost[it.e.Run]
			if err == nil {
				it.body, err = encode(&it.e)
				if err != nil {
					lost[it.e.Run] = err
				}
			} else {
				err = fmt.Errorf("results: event %d of run %s: an earlier event of the run was not stored: %w", it.e.Seq, it.e.Run, err)
			}
			if err != nil {
				if it.e.Kind == harness.EventRunEnded {
					w.forget(it.e.Run) // nothing more of it comes
				}
				it.ack <- err
				s.mu.Lock()
				s.stats.Failed++
				s.mu.Unlock()
				continue
			}
			batch = append(batch, it)
		}
		if len(batch) == 0 {
			continue
		}
		err := w.commit(context.Background(), batch)
		// Another process holding the write lock past busy_timeout:
		// nothing was committed, so the same batch may be tried again.
		for try := 1; err != nil && isBusy(err) && try < busyRetries; try++ {
			err = w.commit(context.Background(), batch)
		}
		if err != nil {
			for _, it := range batch {
				lost[it.e.Run] = err
			}
		}
		now := time.Now()
		s.mu.Lock()
		if err == nil {
			s.stats.Commits++
			s.stats.Events += uint64(len(batch))
		} else {
			s.stats.Failed += uint64(len(batch))
		}
		s.stats.MaxBatch = max(s.stats.MaxBatch, len(batch))
		s.mu.Unlock()
		if err == nil {
			s.watcher.notify()
		}
		for _, it := range batch {
			if err == nil && it.e.Kind == harness.EventMeasurement {
				s.noteLatency(now.Sub(it.when))
			}
			if it.e.Kind == harness.EventRunEnded {
				delete(lost, it.e.Run)
			}
			it.ack <- err
		}
	}
}

// busyRetries is how many times a batch is tried while another process
// holds the database's write lock (each try waits busy_timeout, 10 s).
const busyRetries = 3

// isBusy reports whether err is SQLite's SQLITE_BUSY or SQLITE_LOCKED
// (primary codes 5 and 6, whatever the extended code).
func isBusy(err error) bool {
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	c := coded.Code() & 0xff
	return c == 5 || c == 6
}
