package results

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The schema's migrations, applied in the order of their numbers: a
// migration is never edited once released, only followed by another.
//
// Our own small runner rather than a migration library: the store has
// one database, one engine and forward-only steps, which need a table of
// applied versions and a transaction, about fifty lines; the libraries
// bring drivers, CLIs and down-migrations we would not use.
//
// PostgreSQL's (the central database) are under migrations/postgres with
// the same numbers and names: a version may be a comment-only no-op in
// one dialect (the station's controls mean nothing centrally), so
// "schema version N" names the same step on both.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(d dialect) ([]migration, error) {
	files, err := fs.Glob(migrations, d.migrationsDir()+"/*.sql")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, f := range files {
		base := strings.TrimSuffix(path.Base(f), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration %s: want NNNN_name.sql", f)
		}
		b, err := migrations.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %d (%s): versions must run 1, 2, 3... without gaps", m.version, m.name)
		}
	}
	return out, nil
}

// SchemaVersion is the version of the schema this package writes.
func SchemaVersion() int {
	ms, _ := loadMigrations(sqliteDialect)
	return len(ms)
}

// migrationLock is the PostgreSQL advisory lock migrations take, so
// that stations opening a new central database at once apply each step
// once (any constant; "scpi" in ASCII).
const migrationLock = 0x73637069

// migrate applies the migrations the database lacks, each in a
// transaction of its own (SQLite's IMMEDIATE, PostgreSQL's advisory
// lock: two processes opening a new database at once apply each step
// once).
func migrate(ctx context.Context, db *sql.DB, d dialect) error {
	ms, err := loadMigrations(d)
	if err != nil {
		return err
	}
	begin := func() (*sql.Tx, error) {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		if d == postgresDialect {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				tx.Rollback()
				return nil, fmt.Errorf("the migrations' lock: %w", err)
			}
		}
		return tx, nil
	}
	tx, err := begin()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ns BIGINT NOT NULL)`); err != nil {
		tx.Rollback()
		return fmt.Errorf("schema_migrations: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	for _, m := range ms {
		tx, err := begin()
		if err != nil {
			return err
		}
		var have int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
			tx.Rollback()
			return err
		}
		if have > len(ms) {
			tx.Rollback()
			return fmt.Errorf("%w: it is at version %d, this program knows %d", ErrSchemaTooNew, have, len(ms))
		}
		if have >= m.version {
			tx.Rollback()
			continue
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, name, applied_ns) VALUES (?, ?, ?)`),
			m.version, m.name, time.Now().UnixNano()); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}
