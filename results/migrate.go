package results

import (
	"context"
	"database/sql"
	"embed"
	"errors"
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
// A migration that a program of the versions before it can live with
// (an index, a table it never reads) says so with a line
// "-- scpikit: additive". Applying it records that in schema_migrations,
// and an older program goes on using the database, not refused as it
// is by a newer schema that changes what it reads or writes: a fleet's
// stations are upgraded one by one, and the first to reach the central
// database upgrades it for all.
//
//go:embed migrations/*.sql migrations/postgres/*.sql
var migrations embed.FS

type migration struct {
	version  int
	name     string
	sql      string
	additive bool // older programs may still use a database at this version
}

// additiveMark, a line of its own in a migration, marks it additive.
const additiveMark = "-- scpikit: additive"

func isAdditive(sql string) bool {
	for line := range strings.Lines(sql) {
		if strings.TrimSpace(line) == additiveMark {
			return true
		}
	}
	return false
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
		out = append(out, migration{version: v, name: name, sql: string(b), additive: isAdditive(string(b))})
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
	return applyMigrations(ctx, db, d, ms)
}

// applyMigrations applies those of ms the database lacks.
func applyMigrations(ctx context.Context, db *sql.DB, d dialect, ms []migration) error {
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
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ns BIGINT NOT NULL,
		additive INTEGER NOT NULL DEFAULT 0)`); err != nil {
		tx.Rollback()
		return fmt.Errorf("schema_migrations: %w", err)
	}
	// A database made before version 6 has the table without the column.
	if err := addAdditiveColumn(ctx, tx, d); err != nil {
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
			err := newerSchema(ctx, tx, d, have, len(ms))
			tx.Rollback()
			if err != nil {
				return err
			}
			return nil // every version past ours is additive: nothing of ours to apply
		}
		if have >= m.version {
			tx.Rollback()
			continue
		}
		if d == postgresDialect {
			// An ingest reads the version in its transaction
			// (Central.schemaUnchanged) and holds that read lock to its
			// end: the migration waits for it, and an ingest that comes
			// later waits for the migration and sees its version.
			if _, err := tx.ExecContext(ctx, `LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE`); err != nil {
				tx.Rollback()
				return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
			}
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
		additive := 0
		if m.additive {
			additive = 1
		}
		if _, err := tx.ExecContext(ctx, d.rebind(`INSERT INTO schema_migrations (version, name, applied_ns, additive) VALUES (?, ?, ?, ?)`),
			m.version, m.name, time.Now().UnixNano(), additive); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}

// addAdditiveColumn adds schema_migrations.additive to a table made
// without it: the versions recorded before it are not additive.
func addAdditiveColumn(ctx context.Context, tx *sql.Tx, d dialect) error {
	// Looked up first: an ALTER TABLE, even one that changes nothing,
	// would lock the table against every station's ingest.
	q := `SELECT count(*) FROM pragma_table_info('schema_migrations') WHERE name = 'additive'`
	if d == postgresDialect {
		q = `SELECT count(*) FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = 'schema_migrations' AND column_name = 'additive'`
	}
	var has int
	if err := tx.QueryRowContext(ctx, q).Scan(&has); err != nil {
		return err
	}
	if has > 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, `ALTER TABLE schema_migrations ADD COLUMN additive INTEGER NOT NULL DEFAULT 0`)
	return err
}

// newerSchema returns an error matching ErrSchemaTooNew when a version
// past known (the last this program knows) is not additive: that
// version changed what this program reads or writes. It returns nil
// when every such version is additive.
func newerSchema(ctx context.Context, tx *sql.Tx, d dialect, have, known int) error {
	var v int
	var name string
	err := tx.QueryRowContext(ctx, d.rebind(`SELECT version, name FROM schema_migrations WHERE version > ? AND additive = 0 ORDER BY version LIMIT 1`), known).Scan(&v, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	return fmt.Errorf("%w: it is at version %d, this program knows %d, and version %d (%s) changed what this program reads or writes: upgrade this program",
		ErrSchemaTooNew, have, known, v, name)
}
