package station

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/results"
)

// Fleet is the fleet page's server: every station replicating to one
// central database (results.Central), its current run as far as its
// events have arrived, today's first-pass yield per part and each
// station's replication backlog, live. It is an http.Handler serving
// /fleet (the page), /fleet/events (server-sent events), /api/fleet and
// /api/fleet/stations/{id}; alone (station serve --fleet) it also serves
// the page's files and sends / to /fleet. Beside a station's page, give
// it to New with WithFleet.
//
// It connects to the database when first asked, and again after a
// failed attempt: a station server starts and serves its own page while
// the central database is away.
type Fleet struct {
	url     string
	web     fs.FS
	mux     *http.ServeMux
	log     zerolog.Logger
	now     func() time.Time
	poll    time.Duration
	ping    time.Duration
	offline time.Duration
	streams chan struct{}
	hosts   hostPolicy

	mu        sync.Mutex
	c         *results.Central
	closed    bool
	cache     FleetView // the last snapshot of today read (view)
	connErr   error     // the last failed connection, answered with until connRetry
	connRetry time.Time
}

// FleetOption configures a Fleet.
type FleetOption func(*Fleet)

// WithFleetLogger logs what goes wrong serving the fleet page.
func WithFleetLogger(l zerolog.Logger) FleetOption { return func(f *Fleet) { f.log = l } }

// WithFleetPoll sets how often each live fleet page's stream reads the
// database's change counter (default FleetPoll).
func WithFleetPoll(d time.Duration) FleetOption {
	return func(f *Fleet) {
		if d > 0 {
			f.poll = d
		}
	}
}

// WithOfflineAfter sets how long after its last batch or heartbeat a
// station is shown offline (default OfflineAfter).
func WithOfflineAfter(d time.Duration) FleetOption {
	return func(f *Fleet) {
		if d > 0 {
			f.offline = d
		}
	}
}

// WithFleetMaxStreams bounds the live fleet pages served at once
// (default 16); beyond, a page gets 503 and retries.
func WithFleetMaxStreams(n int) FleetOption {
	return func(f *Fleet) {
		if n > 0 {
			f.streams = make(chan struct{}, n)
		}
	}
}

// WithFleetHosts is WithHosts for the fleet page served alone.
func WithFleetHosts(names ...string) FleetOption {
	return func(f *Fleet) {
		for _, n := range names {
			f.hosts.add(n)
		}
	}
}

// FleetPoll is how often a live fleet page's stream reads the central
// database's change counter (results.Central.FleetToken): one aggregate
// over a row per station, so cheap; a snapshot is read only when it
// changed.
const FleetPoll = time.Second

// OfflineAfter is how long after its last batch a station is shown
// offline: three of the replicator's heartbeats (30 s each) missed.
const OfflineAfter = 90 * time.Second

// maxStationID bounds a station ID in a request's path.
const maxStationID = 256

// fleetRoutes are the fleet's routes, which a station's Server hands to
// its Fleet.
var fleetRoutes = []string{"GET /fleet", "GET /fleet/events", "GET /api/fleet", "GET /api/fleet/stations/{id}"}

// NewFleet is the fleet page of the central database at url (a
// postgres:// URL). Close closes its connections.
func NewFleet(url string, opts ...FleetOption) *Fleet {
	web, _ := fs.Sub(webFiles, "web") // a valid name: never fails
	f := &Fleet{url: url, web: web, log: zerolog.Nop(), now: time.Now, poll: FleetPoll, ping: 15 * time.Second,
		offline: OfflineAfter, streams: make(chan struct{}, 16), hosts: newHostPolicy()}
	for _, o := range opts {
		o(f)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /fleet", f.page)
	mux.HandleFunc("GET /fleet/events", f.events)
	mux.HandleFunc("GET /api/fleet", f.snapshot)
	mux.HandleFunc("GET /api/fleet/stations/{id}", f.station)
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/fleet", http.StatusFound) })
	mux.HandleFunc("GET /", f.file)
	f.mux = mux
	return f
}

// ServeHTTP serves the fleet page, its stream and its API.
func (f *Fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	if f.hosts.refused(w, r) {
		return
	}
	f.mux.ServeHTTP(w, r)
}

// Serve serves the fleet page alone on ln until ctx ends, then stops and
// returns nil; ln is closed.
func (f *Fleet) Serve(ctx context.Context, ln net.Listener) error { return serveHTTP(ctx, ln, f) }

// Close closes the connections to the central database; requests after
// it fail.
func (f *Fleet) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	if f.c != nil {
		return f.c.Close()
	}
	return nil
}

// fleetConnectRetry is how long a failed connection to the central
// database answers for the next ones.
const fleetConnectRetry = 2 * time.Second

// errFleetClosed is the error of a request after Close.
var errFleetClosed = errors.New("station: the fleet page is closed")

// central is the central database, connecting to it (within 10 s) if
// not yet connected. The lock is not held while connecting: a request
// must not wait for another's attempt beyond its own.
func (f *Fleet) central(ctx context.Context) (*results.Central, error) {
	f.mu.Lock()
	c, closed := f.c, f.closed
	lastErr, retry := f.connErr, f.connRetry
	f.mu.Unlock()
	if closed {
		return nil, errFleetClosed
	}
	if c != nil {
		return c, nil
	}
	// While the database is away, its last failure answers for a
	// moment: every page polls once a second, and a connection attempt
	// (which also checks the schema) per poll would hammer a database
	// that is starting.
	if lastErr != nil && f.now().Before(retry) {
		return nil, lastErr
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c, err := results.OpenCentral(ctx, f.url)
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			f.connErr, f.connRetry = err, f.now().Add(fleetConnectRetry)
		}
		return nil, err
	}
	f.connErr = nil
	switch {
	case f.closed:
		c.Close()
		return nil, errFleetClosed
	case f.c != nil: // another request connected meanwhile
		c.Close()
	default:
		f.c = c
	}
	return f.c, nil
}

// FleetView is a snapshot of the fleet as /api/fleet and /fleet/events
// send it.
type FleetView struct {
	// Token is the snapshot's change counter (the day, then the
	// database's results.Central.FleetToken): the stream's event ID.
	Token string    `json:"token"`
	Now   time.Time `json:"now"` // the server's clock, for the page's "seen 5 s ago"
	// OfflineAfter: a station not heard from for this long is offline.
	OfflineAfter float64             `json:"offline_after_s"`
	Stations     []FleetStationView  `json:"stations"`
	More         int                 `json:"more,omitempty"` // stations not listed (results.MaxFleetStations)
	Yield        []results.PartYield `json:"yield"`          // first-pass yield per part since Since
	Since        time.Time           `json:"since"`
}

// FleetStationView is a station with whether it is online.
type FleetStationView struct {
	results.FleetStation
	Online bool `json:"online"`
}

// token is the change counter of the fleet as a page sees it: the
// database's, and the day (today's yield changes at midnight).
func (f *Fleet) token(ctx context.Context, c *results.Central, since time.Time) (string, error) {
	t, err := c.FleetToken(ctx)
	if err != nil {
		return "", err
	}
	return since.Format("20060102") + "." + t, nil
}

// view reads a snapshot of the fleet: from the database when its token
// moved since the last one read, else that one again (every open page
// polls, and all of them want the same snapshot), with the clock and who
// is online brought up to date.
func (f *Fleet) view(ctx context.Context, c *results.Central, since time.Time) (FleetView, error) {
	token, err := f.token(ctx, c, since)
	if err != nil {
		return FleetView{}, err
	}
	f.mu.Lock()
	cached, ok := f.cache, f.cache.Token == token && f.cache.Since.Equal(since)
	f.mu.Unlock()
	if !ok {
		fl, err := c.Fleet(ctx, since)
		if err != nil {
			return FleetView{}, err
		}
		cached = FleetView{Token: token, Stations: make([]FleetStationView, len(fl.Stations)), More: fl.More, Yield: fl.Yield, Since: fl.Since}
		for i, s := range fl.Stations {
			cached.Stations[i].FleetStation = s
		}
		if since.Equal(f.today()) {
			// Only today's is shared: every open page streams it, while
			// another ?since= is a one-off request that would otherwise
			// push it out and make every stream read the database again.
			f.mu.Lock()
			f.cache = cached
			f.mu.Unlock()
		}
	}
	// A copy: the cached snapshot is shared, read only.
	now := f.now()
	v := cached
	v.Now, v.OfflineAfter = now, f.offline.Seconds()
	v.Stations = make([]FleetStationView, len(cached.Stations))
	for i, s := range cached.Stations {
		v.Stations[i] = FleetStationView{FleetStation: s.FleetStation, Online: now.Sub(s.LastSeen) < f.offline}
	}
	return v, nil
}

// today is local midnight: the yield the page shows is today's.
func (f *Fleet) today() time.Time {
	since, _ := parseSince("today", f.now())
	return since
}

// snapshot serves a snapshot of the fleet: ?since= as /api/yield takes
// it (default today).
func (f *Fleet) snapshot(w http.ResponseWriter, r *http.Request) {
	since, err := parseSince(r.URL.Query().Get("since"), f.now())
	if err != nil {
		httpError(w, http.StatusBadRequest, "since: "+err.Error())
		return
	}
	c, err := f.central(r.Context())
	if err != nil {
		f.fail(w, r, err)
		return
	}
	v, err := f.view(r.Context(), c, since)
	if err != nil {
		f.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// station serves one station as the snapshot shows it; 404 for one the
// database has not heard from.
func (f *Fleet) station(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if len(id) > maxStationID {
		httpError(w, http.StatusBadRequest, fmt.Sprintf("a station ID is at most %d bytes", maxStationID))
		return
	}
	if !utf8.ValidString(id) || strings.ContainsRune(id, 0) {
		// PostgreSQL cannot hold it: no station has it.
		httpError(w, http.StatusBadRequest, "a station ID is UTF-8 text without NUL bytes")
		return
	}
	c, err := f.central(r.Context())
	if err != nil {
		f.fail(w, r, err)
		return
	}
	s, err := c.FleetStation(r.Context(), id)
	if err != nil {
		f.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, FleetStationView{FleetStation: s, Online: f.now().Sub(s.LastSeen) < f.offline})
}

// fail answers with the HTTP status err calls for: 404 for what the
// database does not hold, 503 while it cannot be reached or read.
func (f *Fleet) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, results.ErrNotFound):
		httpError(w, http.StatusNotFound, err.Error())
	case r.Context().Err() != nil:
		// The client went away or the server is stopping: answered all
		// the same, since an empty 200 would read as an answer.
		httpError(w, http.StatusServiceUnavailable, "the request was cancelled (the station is stopping, or the client went away): try again")
	default:
		f.log.Error().Err(err).Str("path", r.URL.Path).Msg("station: the fleet page's database failed")
		w.Header().Set("Retry-After", "5")
		httpError(w, http.StatusServiceUnavailable, "the central database cannot be read: "+err.Error())
	}
}

// validToken reports whether s may be a token of ours: digits, dots and
// dashes, not too long. Anything else in Last-Event-ID is refused.
func validToken(s string) bool {
	if len(s) > 128 {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' && r != '-' {
			return false
		}
	}
	return true
}

// events serves the fleet live: a snapshot ("fleet" events, id the
// token) whenever the database's change counter moves, polled every
// FleetPoll; "unavailable" events (data {"error": ...}) while the
// database cannot be read, the snapshot again once it can. A page that
// reconnects with Last-Event-ID (or ?after=) gets a snapshot only if the
// fleet changed since the one it has: nothing is missed, nothing sent
// twice.
//
// Why polling and not LISTEN/NOTIFY: docs/fleet.md, "Fleet page".
func (f *Fleet) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("after")
	}
	if !validToken(last) {
		httpError(w, http.StatusBadRequest, "Last-Event-ID or ?after=: not a fleet token (digits, '.' and '-', at most 128 bytes)")
		return
	}
	select {
	case f.streams <- struct{}{}:
		defer func() { <-f.streams }()
	default:
		w.Header().Set("Retry-After", "5")
		httpError(w, http.StatusServiceUnavailable, "too many live fleet pages are open on this server; close one")
		return
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	// One goroutine writes (this one): the pings are written between
	// polls, so no lock is needed and none outlives the request.
	wrote := time.Now()
	write := func(b []byte) error {
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write(b); err != nil {
			return err
		}
		wrote = time.Now()
		return rc.Flush()
	}
	if write([]byte("retry: 1000\n\n")) != nil {
		return
	}
	var buf bytes.Buffer
	failing := "" // the error last sent, while the database fails
	t := time.NewTicker(f.poll)
	defer t.Stop()
	for {
		err := func() error {
			// Each poll is bounded: a database that hangs is a failure
			// the page is told of, not a stream that stops.
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			c, err := f.central(pctx)
			if err != nil {
				return err
			}
			since := f.today()
			token, err := f.token(pctx, c, since)
			if err != nil || (token == last && failing == "") {
				return err
			}
			v, err := f.view(pctx, c, since)
			if err != nil {
				return err
			}
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			buf.Reset()
			fmt.Fprintf(&buf, "id: %s\nevent: fleet\ndata: %s\n\n", v.Token, b)
			last, failing = v.Token, ""
			return errWrite(write(buf.Bytes()))
		}()
		var we writeError
		switch {
		case errors.As(err, &we):
			return // the client went away
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			if msg := err.Error(); msg != failing {
				if failing == "" {
					f.log.Warn().Err(err).Msg("station: the fleet page cannot read the central database")
				}
				failing = msg
				b, _ := json.Marshal(map[string]string{"error": "the central database cannot be read: " + msg})
				buf.Reset()
				fmt.Fprintf(&buf, "event: unavailable\ndata: %s\n\n", b)
				if write(buf.Bytes()) != nil {
					return
				}
			}
		}
		if time.Since(wrote) >= f.ping && write([]byte(": ping\n\n")) != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// writeError marks a failure to write to the client, as opposed to one
// reading the database.
type writeError struct{ err error }

func (e writeError) Error() string { return e.err.Error() }

func errWrite(err error) error {
	if err == nil {
		return nil
	}
	return writeError{err}
}

// page serves the fleet page.
func (f *Fleet) page(w http.ResponseWriter, r *http.Request) { f.serveFile(w, r, "fleet.html") }

// file serves the page's other files when the fleet is served alone.
func (f *Fleet) file(w http.ResponseWriter, r *http.Request) {
	switch name := r.URL.Path; name {
	case "/fleet.js", "/style.css":
		f.serveFile(w, r, name[1:])
	default:
		http.NotFound(w, r)
	}
}

func (f *Fleet) serveFile(w http.ResponseWriter, r *http.Request, name string) {
	if _, err := fs.Stat(f.web, name); err != nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, f.web, name)
}
