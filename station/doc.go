// Package station is the operator's station on the web: a page that
// shows every DUT of the runs going on, live; operator prompts answered
// on it; stop buttons; and /metrics for Prometheus. Everything goes
// through the station store (results.Store): the page follows the
// store's events over server-sent events, resumable by Last-Event-ID, and
// its answers and stops are rows the run's process takes. So the page
// works the same whether it is served in the run's process or by
// station serve in another, and a reloaded page or a restarted server
// misses nothing.
//
// In the run's process:
//
//	srv, err := station.Serve(ctx, store, "127.0.0.1:8080")
//	if err != nil { ... }
//	fmt.Println("the station page:", srv.URL())
//	rec, err := harness.Run(ctx, "burn-in", body, harness.WithSink(store), harness.WithControl(store))
//
// Or as its own program: station serve --listen 127.0.0.1:8080.
//
// Endpoints: / (the page, built into the binary), /events (SSE: id
// "<run ID>/<seq>", event the harness.EventKind, data the event's JSON as
// the store keeps it), /api/runs, /api/yield, /api/instruments,
// /runs/{id}/report.html, POST /api/runs/{id}/prompts/{pid} and
// /api/runs/{id}/stop, and /metrics when given (WithMetrics).
//
// The fleet page (Fleet) shows every station replicating to a central
// database: its current run as far as its events have arrived, its
// replication backlog, online or not, and today's first-pass yield per
// part, live. It is served beside a station's page (WithFleet: /fleet,
// /fleet/events, /api/fleet, /api/fleet/stations/{id}) or alone
// (Fleet.Serve, station serve --fleet, with no station store). The server
// has no authentication: keep it on loopback, or on a network only the
// line's people reach; cross-origin POSTs are refused.
package station
