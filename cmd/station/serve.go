package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"
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

// serve is station serve: the page of the store's runs, until ctx ends
// (Ctrl-C, SIGTERM).
func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("station serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", DefaultListen, "the address to serve on (host:port); beyond loopback only with --allow-remote")
	allowRemote := fs.Bool("allow-remote", false, "allow --listen beyond loopback (0.0.0.0:8080, a LAN address): anyone who reaches it can answer prompts and stop runs")
	storePath := fs.String("store", results.DefaultPath(), "the station store (created if it does not exist)")
	db := fs.String("db", os.Getenv(results.EnvCentral), "replicate the store to this central database meanwhile, a postgres:// URL (default $"+results.EnvCentral+")")
	stationID := fs.String("station", "", "this station's ID in the central database (default: the host name)")
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
	// Checked before anything listens or the store is opened.
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
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			fmt.Fprintf(stderr, "station serve: %s is in use (another station serve?): give another with --listen\n", *listen)
		} else {
			fmt.Fprintf(stderr, "station serve: %v\n", err)
		}
		return exitFailure
	}
	log := zerolog.New(zerolog.ConsoleWriter{Out: stderr, NoColor: true}).With().Timestamp().Logger()
	if *db != "" {
		// In the background, stopped by store.Close: the page never
		// waits for the network.
		store.ReplicateTo(*db, results.ReplicaOptions{Station: *stationID, Log: log})
		fmt.Fprintf(stdout, "station: replicating to %s\n", results.Redact(*db))
	}
	// /metrics: the store's events counted as they are committed, by
	// whichever process runs the tests.
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
	go func() { counted <- station.CountStore(ctx, store, m) }()
	srv := station.New(store, station.WithLogger(log), station.WithMetrics(metrics.Handler(reg)))
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
