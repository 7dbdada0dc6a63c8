// Package pgtest gives each test a PostgreSQL database of its own.
//
// The server is named by SCPIKIT_TEST_POSTGRES, a postgres:// URL of a
// role that may create databases (CI starts a cluster and sets it; see
// docs/fleet.md for a developer's machine). Without it, tests skip
// saying how to set it, unless SCPIKIT_REQUIRE_INTEROP is set (CI),
// when they fail.
//
//	url := pgtest.New(t) // a fresh database, dropped at cleanup
//	central, err := results.OpenCentral(ctx, url)
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registered as "pgx"
)

// Env names the test server.
const Env = "SCPIKIT_TEST_POSTGRES"

// Server is the URL of the test server, skipping (or failing, in CI) t
// without one.
func Server(t testing.TB) string {
	t.Helper()
	u := os.Getenv(Env)
	if u == "" {
		msg := "no PostgreSQL for tests: set " + Env + "=postgres://USER:PASSWORD@127.0.0.1:5432/DB?sslmode=disable (a role with CREATEDB; docs/fleet.md says how)"
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
			t.Fatal(msg + ", which SCPIKIT_REQUIRE_INTEROP requires")
		}
		t.Skip(msg)
	}
	return u
}

// New creates a database for t alone and returns its URL; it is dropped
// (with any connection left to it) when t ends. Until then t shares the
// server with other tests, in this process and others (go test runs
// packages at once), and a test that stops it (NewStopping) waits.
func New(t testing.TB) string {
	t.Helper()
	return newDB(t, false)
}

// NewStopping is New for a test that stops and starts the server: it
// waits until no other test (of any package) has a database of New's,
// and keeps them from taking one until it ends.
func NewStopping(t testing.TB) string {
	t.Helper()
	return newDB(t, true)
}

func newDB(t testing.TB, alone bool) string {
	t.Helper()
	server := Server(t)
	base, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	holdServer(t, base.Host, alone)
	var b [6]byte
	rand.Read(b[:])
	name := "test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatalf("%s: %v", Env, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("pgtest: creating a database on %s: %v", base.Redacted(), err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := drop(ctx, admin, name); err != nil {
			t.Errorf("pgtest: dropping %s: %v", name, err)
		}
		admin.Close()
	})
	u := *base
	u.Path = "/" + name
	return u.String()
}

// drop drops the database, ending the connections left to it. An
// autovacuum worker that started on it after a test's writes can only be
// ended by a role with pg_signal_backend (CI grants it; .ci/run): without
// it, PostgreSQL refuses (42501), and drop waits for the worker to finish,
// which it does within moments on a test's small tables.
func drop(ctx context.Context, admin *sql.DB, name string) error {
	for {
		_, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		var pgErr *pgconn.PgError
		if err == nil || !errors.As(err, &pgErr) || pgErr.Code != "42501" {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (an autovacuum worker on it did not finish; GRANT pg_signal_backend TO the test role lets the drop end it)", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
