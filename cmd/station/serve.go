package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/internal/loopback"
	"github.com/scpikit/scpikit/metrics"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/station"
)

// DefaultListen is where station serve listens unless told: loopback
// only, since the page has no authentication.
const DefaultListen = "127.0.0.1:8080"

// pagePolicy is the station page's: anyone who reaches it can answer
// prompts and stop runs.
var pagePolicy = loopback.Policy{Program: "station", Serves: "serves the station page (prompts, stop buttons)",
	Risk: "answer prompts and stop runs", What: "the station page"}

// fleetPolicy is the fleet page's alone (--fleet): it changes nothing,
// but shows every station's runs, serial numbers and operators.
var fleetPolicy = loopback.Policy{Program: "station", Serves: "serves the fleet page (every station's runs)",
	Risk: "read every station's runs, serial numbers and operators", What: "the fleet page"}

// serve is station serve: the page of the store's runs, until ctx ends
// (Ctrl-C, SIGTERM).
// replayBatch and replayHook, when a test sets them, are the batch size
// and the progress callback of /metrics' replay of the store
// (station.StoreCounts).
var (
	replayBatch int
	replayHook  func(counted int, caughtUp bool)
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("station serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", DefaultListen, "the address to serve on (host:port); beyond loopback only with --allow-remote")
	allowRemote := fs.Bool("allow-remote", false, "allow --listen beyond loopback (0.0.0.0:8080, a LAN address): anyone who reaches it can answer prompts and stop runs")
	storePath := fs.String("store", results.DefaultPath(), "the station store (created if it does not exist)")
	db := fs.String("db", os.Getenv(results.EnvCentral), "replicate the store to this central database meanwhile, a postgres:// URL (default $"+results.EnvCentral+")")
	stationID := fs.String("station", "", "this station's ID in the central database (default: the host name)")
	var hosts []string
	fs.Func("host", "a name browsers reach this server by, beside its IP addresses, localhost and this machine's name (repeat for more; requests addressed to other names are refused, against DNS rebinding)", func(v string) error {
		if v == "" || strings.ContainsAny(v, "/ ") {
			return fmt.Errorf("want a host name, such as station-7.lab.example.com")
		}
		hosts = append(hosts, v)
		return nil
	})
	fleetOnly := fs.Bool("fleet", false, "serve only the fleet page of the central database (--db), with no station store: for a supervisor's PC")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "station serve: unexpected %q\n", fs.Args())
		return exitUsage
	}
	if *fleetOnly {
		var stray []string
		fs.Visit(func(f *flag.Flag) {
			if f.Name == "store" || f.Name == "station" {
				stray = append(stray, "--"+f.Name)
			}
		})
		if len(stray) > 0 {
			fmt.Fprintf(stderr, "station serve: %s: --fleet serves no station store\n", strings.Join(stray, ", "))
			return exitUsage
		}
		return serveFleet(ctx, *listen, *allowRemote, *db, hosts, stdout, stderr)
	}
	// Checked before anything listens or the store is opened.
	if *db != "" && notPostgres(*db, stderr) {
		return exitUsage
	}
	if *db == "" && *stationID != "" {
		fmt.Fprintf(stderr, "station serve: --station: it names this station in the central database, and none is given: name it with --db postgres://... (or $%s), or leave --station out\n", results.EnvCentral)
		return exitUsage
	}
	warning, err := pagePolicy.Check("--listen", *listen, *allowRemote)
	if err != nil {
		fmt.Fprintf(stderr, "station serve: %v\n", err)
		return exitUsage
	}
	if warning != "" {
		fmt.Fprintln(stderr, warning)
	}
	store, err := results.Open(*storePath)
	if err != nil {
		fmt.Fprintf(stderr, "station serve: %v\n", err)
		return exitStore
	}
	defer store.Close()
	if n := store.Stats().Recovered; n > 0 {
		fmt.Fprintf(stderr, "station: %d run(s) the station stopped during were closed as aborted\n", n)
	}
	ln, code := listenOn(*listen, stderr)
	if ln == nil {
		return code
	}
	log := harness.NewConsole(stderr).Logger()
	opts := []station.Option{station.WithLogger(log), station.WithHosts(hosts...)}
	if *db != "" {
		// In the background, stopped by store.Close: the page never
		// waits for the network.
		store.ReplicateTo(*db, results.ReplicaOptions{Station: *stationID, Log: log})
		fmt.Fprintf(stdout, "station: replicating to %s\n", results.Redact(*db))
		// The fleet page beside the station's: it connects when first
		// opened, so a database that is away delays nothing here.
		fleet := station.NewFleet(*db, station.WithFleetLogger(log), station.WithFleetHosts(hosts...))
		defer fleet.Close()
		opts = append(opts, station.WithFleet(fleet))
		fmt.Fprintf(stdout, "station: the fleet page is at http://%s/fleet\n", ln.Addr())
	}
	// /metrics: the store's events counted as they are committed, by
	// whichever process runs the tests; served once the replay of those
	// committed before has counted them all (503 until then).
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err == nil {
		err = m.ObserveStore(store)
	}
	if err != nil {
		ln.Close()
		fmt.Fprintf(stderr, "station serve: %v\n", err)
		return exitFailure
	}
	ctx, cancel := context.WithCancel(ctx)
	counted := make(chan error, 1)
	counts := station.NewStoreCounts(m, metrics.Handler(reg))
	counts.Batch, counts.OnBatch = replayBatch, replayHook
	go func() { counted <- counts.Count(ctx, store) }()
	srv := station.New(store, append(opts, station.WithMetrics(counts))...)
	fmt.Fprintf(stdout, "station: the station page is at http://%s/ (store %s)\n", ln.Addr(), store.Path())
	fmt.Fprintln(stdout, "ready")
	serr := srv.Serve(ctx, ln)
	cancel()
	if cerr := <-counted; cerr != nil {
		fmt.Fprintf(stderr, "station serve: counting the store's events for /metrics: %v\n", cerr)
	}
	if serr != nil {
		fmt.Fprintf(stderr, "station serve: %v\n", serr)
		return exitFailure
	}
	return exitOK
}

// listenOn listens on addr, or says why it cannot and returns the exit
// status.
func listenOn(addr string, stderr io.Writer) (net.Listener, int) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintf(stderr, "station serve: %s is in use (another station serve?): give another with --listen\n", addr)
		} else {
			fmt.Fprintf(stderr, "station serve: %v\n", err)
		}
		return nil, exitFailure
	}
	return ln, exitOK
}

// serveFleet is station serve --fleet: the fleet page of the central
// database at db alone, no station store, until ctx ends.
func serveFleet(ctx context.Context, listen string, allowRemote bool, db string, hosts []string, stdout, stderr io.Writer) int {
	if db == "" {
		fmt.Fprintf(stderr, "station serve: --fleet shows a central database: name it with --db postgres://... (or $%s)\n", results.EnvCentral)
		return exitUsage
	}
	if notPostgres(db, stderr) {
		return exitUsage
	}
	warning, err := fleetPolicy.Check("--listen", listen, allowRemote)
	if err != nil {
		fmt.Fprintf(stderr, "station serve: %v\n", err)
		return exitUsage
	}
	if warning != "" {
		fmt.Fprintln(stderr, warning)
	}
	ln, code := listenOn(listen, stderr)
	if ln == nil {
		return code
	}
	log := harness.NewConsole(stderr).Logger()
	fleet := station.NewFleet(db, station.WithFleetLogger(log), station.WithFleetHosts(hosts...))
	defer fleet.Close()
	fmt.Fprintf(stdout, "station: the fleet page is at http://%s/fleet (central database %s)\n", ln.Addr(), results.Redact(db))
	fmt.Fprintln(stdout, "ready")
	if err := fleet.Serve(ctx, ln); err != nil {
		fmt.Fprintf(stderr, "station serve: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// notPostgres says so on stderr when db is a URL of some other database
// than PostgreSQL (a libpq key=value string has no scheme, and passes).
func notPostgres(db string, stderr io.Writer) bool {
	if strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://") || !strings.Contains(db, "://") {
		return false
	}
	fmt.Fprintf(stderr, "station serve: --db %s: the central database is PostgreSQL: want a postgres:// URL\n", results.Redact(db))
	return true
}
