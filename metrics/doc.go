// Package metrics exports what a test station does for Prometheus: runs
// by outcome, run and phase durations, measurements out of limits,
// faults, safe-state actions and their failures, operator prompts (all
// counted from a run's events, the stream the record and the store are
// folds of), SCPI requests, latency and errors per instrument (through
// the session's observer hook), and the station store's commit latency
// and replication backlog.
//
//	reg := prometheus.NewRegistry()
//	m, err := metrics.New(reg)
//	...
//	m.ObserveStore(store)
//	psu, err := instruments.Open(ctx, resource,
//		instruments.WithSessionOptions(m.ObserveSession(resource)))
//	rec, err := harness.Run(ctx, "burn-in", body,
//		harness.WithSink(m.Sink(store)), harness.WithControl(store))
//	http.Handle("/metrics", metrics.Handler(reg))
//
// No label takes a serial number or any other value without bound: the
// labels are outcomes, reasons, event kinds, operations, and the phase,
// measurement and instrument names a test program uses, each capped at
// 100 values (further ones are counted as "other"). docs/metrics.md
// lists every metric.
package metrics
