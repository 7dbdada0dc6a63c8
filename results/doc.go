// Package results keeps test runs: the station store, an embedded SQLite
// database (pure Go, no cgo, no set-up) that a harness run writes every
// event to as it happens, and reads back as records, reports and
// exports.
//
//	store, err := results.Open(results.DefaultPath())
//	if err != nil { ... }
//	defer store.Close()
//	rec, err := harness.Run(ctx, "burn-in", body, harness.WithSink(store))
//
// Durability: the database is in WAL mode with synchronous=FULL, and one
// writer goroutine commits whatever events are waiting in one transaction
// (group commit). A measurement's call returns only after the transaction
// holding its event has committed, fsync included. Monitor samples are
// not waited for one by one (harness.SampleWindow bounds how many may
// wait), so a crash can lose the samples of the last commit, never a
// measurement.
//
// Recovery: a run the station stopped during (a crash, kill -9, a power
// cut) is closed as aborted, with the cause harness.StationStopped and the
// time of its last event, the next time the store is opened by any
// process, once the process that wrote it is gone.
//
// The central database (Central, PostgreSQL) receives every station's
// events (Replicator) and answers the same analytics; Central.Fleet is
// what the fleet page shows of it: every station, its newest run as far
// as it has arrived, its backlog, and the first-pass yield per part
// (docs/fleet.md).
//
// The schema is in migrations/, applied in order and recorded in the
// schema_migrations table; docs/results.md describes it.
package results
