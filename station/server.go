package station

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/results"
)

// The page: our own HTML, CSS and JavaScript, built into the binary (no
// CDN, no build step for a go install user).
//
//go:embed all:web
var webFiles embed.FS

// Server is the station's web server: the page, its live events and its
// API over one station store. It is an http.Handler.
type Server struct {
	store   *results.Store
	mux     http.Handler
	web     fs.FS
	metrics http.Handler
	log     zerolog.Logger
	now     func() time.Time
	recent  time.Duration
	streams chan struct{} // a slot per live event stream
	ping    time.Duration
	fleet   *Fleet // the fleet page, when the station replicates (WithFleet)
	hosts   hostPolicy
	reports chan struct{} // a slot per report being built
	body    time.Duration // how long a POST's body may take to come
	stall   time.Duration // how long a client may take nothing of a reply (stallTimeout)
	// reportWaits, when set (by a test), is called as a report request
	// starts waiting for a slot.
	reportWaits func()

	// Set by the package's Serve.
	addr net.Addr
	done chan struct{}
	err  error
}

// Option configures a Server.
type Option func(*Server)

// WithMetrics serves h (a Prometheus handler) at /metrics.
func WithMetrics(h http.Handler) Option { return func(s *Server) { s.metrics = h } }

// WithFleet serves f, the fleet page of the central database the
// station replicates to, at /fleet beside the station's page (which
// links to it). f stays the caller's to close.
func WithFleet(f *Fleet) Option { return func(s *Server) { s.fleet = f } }

// WithHosts lets the server answer requests addressed to these host
// names too (a station reached by name from other machines, served
// with --allow-remote); "*" allows any name. Without it, the server
// answers requests addressed to an IP address, to localhost or to this
// machine's name (os.Hostname), and refuses others with 403: a web page
// of another site, whose name its owner made resolve to this machine
// (DNS rebinding), must not answer prompts or stop runs.
func WithHosts(names ...string) Option {
	return func(s *Server) {
		for _, n := range names {
			s.hosts.add(n)
		}
	}
}

// WithLogger logs what goes wrong serving (a store that fails, a client
// that goes away mid-stream is not logged).
func WithLogger(l zerolog.Logger) Option { return func(s *Server) { s.log = l } }

// WithMaxStreams bounds the live event streams served at once (default
// 64): each reads the store; a page beyond the bound gets 503 and its
// browser retries.
func WithMaxStreams(n int) Option {
	return func(s *Server) {
		if n > 0 {
			s.streams = make(chan struct{}, n)
		}
	}
}

// LiveWindow is how long after its last event a run is still shown to a
// page that opens without naming an event (Last-Event-ID): it starts
// with the oldest such run, whole. A run still going on (its writer at
// work) is shown however long it has been quiet: one waiting on a prompt
// emits nothing (results.Store.LiveStart).
const LiveWindow = 10 * time.Minute

// New is a server of store's runs. The store stays the caller's to close,
// after the server has stopped.
func New(store *results.Store, opts ...Option) *Server {
	web, _ := fs.Sub(webFiles, "web") // a valid name: never fails
	s := &Server{store: store, web: web, log: zerolog.Nop(), now: time.Now, recent: LiveWindow,
		streams: make(chan struct{}, 64), ping: 15 * time.Second, hosts: newHostPolicy(),
		reports: make(chan struct{}, maxReports), body: bodyTimeout, stall: stallTimeout}
	for _, o := range opts {
		o(s)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("GET /api/runs", s.runs)
	mux.HandleFunc("GET /api/yield", s.yield)
	mux.HandleFunc("GET /api/instruments", s.instruments)
	mux.HandleFunc("GET /runs/{id}/report.html", s.report)
	mux.HandleFunc("POST /api/runs/{id}/prompts/{pid}", s.answer)
	mux.HandleFunc("POST /api/runs/{id}/stop", s.stop)
	if s.metrics != nil {
		mux.Handle("GET /metrics", s.metrics)
	}
	if s.fleet != nil {
		// The fleet's routes without the fleet's own host check: served
		// beside the station page, they answer the names the station
		// does (WithHosts); WithFleetHosts is for the fleet served alone.
		for _, p := range fleetRoutes {
			mux.Handle(p, s.fleet.mux)
		}
	}
	mux.HandleFunc("GET /", s.page)
	// A web page elsewhere in the operator's browser must not answer
	// prompts or stop runs by posting here (the server has no
	// authentication): cross-origin POSTs are refused.
	s.mux = http.NewCrossOriginProtection().Handler(mux)
	return s
}

// ServeHTTP serves the page, /events, /api/... and /metrics.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if s.hosts.refused(w, r) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// ListenAndServe listens on addr and serves until ctx ends, then stops
// (ending the live event streams) and returns nil; or returns why it
// could not listen or serve.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("station: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends, then stops and returns nil; ln is
// closed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error { return serveHTTP(ctx, ln, s) }

// serveHTTP serves h on ln until ctx ends, then stops and returns nil.
func serveHTTP(ctx context.Context, ln net.Listener, h http.Handler) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		// The streams' requests end with ctx: Shutdown waits only for
		// requests that end, and a stream would not.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("station: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(shut)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		hs.Close()
		return fmt.Errorf("station: stopping: %w", err)
	}
	return nil
}

// Serve starts a station server of store on addr ("127.0.0.1:0" for any
// free port) in the background, for a harness run to show its page while
// it runs: it returns once listening (Addr says where), and serves until
// ctx ends; Wait waits until it has stopped. The harness never waits for
// the page: the page reads what the store has committed.
//
// Serve listens where it is told: a program that takes the address from
// its user should check it first (cmd/station refuses addresses beyond
// loopback without --allow-remote).
func Serve(ctx context.Context, store *results.Store, addr string, opts ...Option) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("station: %w", err)
	}
	s := New(store, opts...)
	s.addr, s.done = ln.Addr(), make(chan struct{})
	go func() {
		defer close(s.done)
		s.err = s.Serve(ctx, ln)
	}()
	return s, nil
}

// Addr is the address a server started by Serve listens on (nil for one
// made by New).
func (s *Server) Addr() net.Addr { return s.addr }

// URL is the page's address, http://host:port/, of a server started by
// Serve ("" for one made by New).
func (s *Server) URL() string {
	if s.addr == nil {
		return ""
	}
	return "http://" + s.addr.String() + "/"
}

// Wait waits until a server started by Serve has stopped (its ctx ended)
// and returns why it failed, if it did. For one made by New it returns
// at once.
func (s *Server) Wait() error {
	if s.done == nil {
		return nil
	}
	<-s.done
	return s.err
}
