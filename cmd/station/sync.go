package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/scpikit/scpikit/results"
)

// openExisting opens the station store a command reads, refusing to
// create one that is not there.
func openExisting(cmd, storePath string, stderr io.Writer) (*results.Store, int) {
	if file, err := results.FilePath(storePath); err != nil {
		fmt.Fprintf(stderr, "station %s: %v\n", cmd, err)
		return nil, exitStore
	} else if _, err := os.Stat(file); err != nil {
		fmt.Fprintf(stderr, "station %s: no station store at %s: run a test first, or name one with --store or $%s\n", cmd, storePath, results.EnvStore)
		return nil, exitStore
	}
	store, err := results.Open(storePath)
	if err != nil {
		fmt.Fprintf(stderr, "station %s: %v\n", cmd, err)
		return nil, exitStore
	}
	return store, exitOK
}

// syncCmd is station sync: send the central database what it lacks,
// once, and say whether the station is caught up.
func syncCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("station sync", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storePath := fs.String("store", results.DefaultPath(), "the station store")
	db := fs.String("db", os.Getenv(results.EnvCentral), "the central database, a postgres:// URL (default $"+results.EnvCentral+")")
	stationID := fs.String("station", "", "this station's ID in the central database (default: the host name)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	retry := fs.Bool("retry-parked", false, "first send again the events the database rejected (station status lists them), once their cause is fixed")
	forget := fs.String("forget", "", "stop replicating to this central database, named as station status lists it: it no longer counts in the backlog")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "station sync: unexpected %q\n", fs.Args())
		return exitUsage
	}
	if *forget != "" {
		var stray []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "db" || f.Name == "station" || f.Name == "retry-parked" || f.Name == "timeout" {
				stray = append(stray, "--"+f.Name)
			}
		})
		if len(stray) > 0 {
			fmt.Fprintf(stderr, "station sync: %s: --forget only drops a central database from the store's outbox and sends nothing: run station sync --forget alone, and station sync without it to send\n", strings.Join(stray, ", "))
			return exitUsage
		}
		return forgetTarget(ctx, *storePath, *forget, stdout, stderr)
	}
	if *db == "" {
		fmt.Fprintf(stderr, "station sync: name the central database with --db postgres://... or $%s\n", results.EnvCentral)
		return exitUsage
	}
	store, code := openExisting("sync", *storePath, stderr)
	if store == nil {
		return code
	}
	defer store.Close()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	started := time.Now()
	central, err := results.OpenCentral(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "station sync: %v\nnothing was sent; the station's events wait in its outbox: run station sync again once the database can be reached\n", err)
		return exitFailure
	}
	defer central.Close()
	repl := store.NewReplicator(central, results.ReplicaOptions{Station: *stationID})
	if *retry {
		rs, err := repl.RetryParked(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "station sync: retrying parked events: %v\n%d sent again before it; the rest stay parked: run station sync --retry-parked again once the database can be reached\n", err, rs.Retried)
			return exitFailure
		}
		fmt.Fprintf(stdout, "station sync: %d parked events sent again, %d new there", rs.Retried, rs.Inserted)
		if rs.StillParked > 0 {
			fmt.Fprintf(stdout, "; %d rejected again and still parked (station status shows why)", rs.StillParked)
		}
		fmt.Fprintln(stdout)
	}
	st, err := repl.Sync(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "station sync: %v\nsent %d events; %d still wait in the outbox: run station sync again once the database can be reached\n", err, st.Sent, st.Backlog)
		return exitFailure
	}
	fmt.Fprintf(stdout, "station sync: caught up with %s in %d ms: %d events sent, %d new there",
		central.Target(), time.Since(started).Milliseconds(), st.Sent, st.Inserted)
	if st.Parked > 0 {
		fmt.Fprintf(stdout, ", %d rejected and parked (station status shows why)", st.Parked)
	}
	fmt.Fprintln(stdout)
	if st.Conflict != nil {
		// Everything was taken: a warning, not a failure.
		fmt.Fprintf(stderr, "station sync: warning: %s\n", st.Conflict.Warning())
	}
	return exitOK
}

// forgetTarget is station sync --forget: drop a central database from
// the outbox.
func forgetTarget(ctx context.Context, storePath, name string, stdout, stderr io.Writer) int {
	store, code := openExisting("sync", storePath, stderr)
	if store == nil {
		return code
	}
	defer store.Close()
	if err := store.ForgetTarget(ctx, name); err != nil {
		fmt.Fprintf(stderr, "station sync: %v\n", err)
		if errors.Is(err, results.ErrUnknownTarget) {
			return exitUsage
		}
		return exitFailure
	}
	fmt.Fprintf(stdout, "station sync: forgot %s: it no longer counts in the backlog; the events stay in the store, and a later station sync to it sends them all again (it keeps no duplicates)\n", results.Redact(name))
	return exitOK
}

// staleAfter is how long without an acknowledgement before station
// status suggests forgetting a central database.
const staleAfter = 7 * 24 * time.Hour

// staleFor is how long a central database with a backlog has
// acknowledged nothing, when that is longer than staleAfter (else 0): since
// its last acknowledgement, or, one that never acknowledged anything (a
// mistyped URL, a test database never brought up), since it was first
// found unreachable.
func staleFor(o results.OutboxStatus) time.Duration {
	since := o.AckedAt
	if since.IsZero() && o.Error != "" {
		since = o.ErrorSince
	}
	if o.Backlog == 0 || since.IsZero() || time.Since(since) <= staleAfter {
		return 0
	}
	return time.Since(since)
}

// statusCmd is station status: what the station has still to send to
// each central database, and what they rejected.
func statusCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("station status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	storePath := fs.String("store", results.DefaultPath(), "the station store")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "station status: unexpected %q\n", fs.Args())
		return exitUsage
	}
	store, code := openExisting("status", *storePath, stderr)
	if store == nil {
		return code
	}
	defer store.Close()
	out, err := store.Outbox(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "station status: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "store %s\n", store.Path())
	if len(out) == 0 {
		fmt.Fprintf(stdout, "replication: never replicated (station sync --db URL, or station serve with $%s)\n", results.EnvCentral)
		return exitOK
	}
	for _, o := range out {
		fmt.Fprintf(stdout, "central database %s\n", o.Target)
		fmt.Fprintf(stdout, "  backlog: %d events to send (acknowledged up to position %d", o.Backlog, o.Acked)
		if !o.AckedAt.IsZero() {
			fmt.Fprintf(stdout, ", last at %s", o.AckedAt.UTC().Format(time.RFC3339))
		}
		fmt.Fprintln(stdout, ")")
		if o.Error != "" {
			fmt.Fprintf(stdout, "  unreachable since %s: %s\n", o.ErrorSince.UTC().Format(time.RFC3339), o.Error)
		}
		if silent := staleFor(o); silent > 0 {
			fmt.Fprintf(stdout, "  nothing acknowledged for %d days: if the station no longer replicates there, station sync --forget '%s' stops it holding up the backlog\n",
				int(silent/(24*time.Hour)), o.Target)
		}
		if len(o.Parked) == 0 {
			fmt.Fprintln(stdout, "  parked: none")
		}
		for _, p := range o.Parked {
			fmt.Fprintf(stdout, "  parked: positions %d-%d (%d events, runs %v) at %s: %s\n",
				p.First, p.Last, p.Events, p.Runs, p.At.UTC().Format(time.RFC3339), p.Reason)
		}
		if len(o.Parked) > 0 {
			fmt.Fprintln(stdout, "  once their cause is fixed: station sync --retry-parked sends them again (nothing is duplicated)")
		}
	}
	return exitOK
}
