// Command station reads the station store: the runs a station has made,
// each run's units and verdicts, its reports rebuilt from the stored
// events, and every measurement as CSV; it replicates the store to a
// central PostgreSQL database and computes yield analytics on either.
//
//	station runs [--since D] [--serial S] [--limit N] [--json]
//	station show RUN [--json]
//	station report RUN --dir DIR
//	station export --csv [--since D] [--serial S] [--run RUN]
//	station serve [--listen 127.0.0.1:8080] [--allow-remote] [--host NAME] [--db URL]
//	station serve --fleet [--db URL] [--listen 127.0.0.1:8080] [--allow-remote] [--host NAME]
//	station sync [--db URL] [--station ID]
//	station status
//	station yield [SCOPE] [--csv|--json]
//	station pareto [SCOPE] [--csv|--json]
//	station cpk NAME [SCOPE] [--csv|--json]
//
// station sync sends the central database (--db or $SCPIKIT_DB, a
// postgres:// URL) the events it lacks, once; station serve does so
// continuously when one is named. yield, pareto and cpk read the store,
// or the central database with --db; SCOPE is any of --part, --station,
// --since, --until (docs/fleet.md, docs/analytics.md).
//
// station serve serves the station's live page (package station): every
// DUT of the runs going on, prompts answered and runs stopped from the
// page, the history of runs, /metrics. It follows the store, so it may run
// in its own process beside the test programs. It listens on loopback
// unless --allow-remote (the page has no authentication), answers only
// requests addressed to its IP addresses, localhost, this machine's name
// or a --host NAME (a web page elsewhere whose name resolves to this
// machine must not stop runs: DNS rebinding), and prints the
// page's address, then "ready". With a central database (--db or
// $SCPIKIT_DB) it also serves that database's fleet page at /fleet, linked
// from the station page: every station, its current run as far as it has
// replicated, today's first-pass yield per part and each station's
// backlog, live. station serve --fleet serves the fleet page alone, with
// no station store, for a supervisor's PC (docs/fleet.md, "Fleet page").
//
// RUN is a run ID, a unique prefix of one, or "last". The store is the
// one the harness writes by default (results.DefaultPath): $SCPIKIT_STORE,
// else station.db in the user's data directory (~/.local/share/scpikit on
// Linux); --store FILE names another. Opening the store closes as aborted
// any run a stopped station left unfinished.
//
// Exit status: 0 ok, 1 failure, 2 usage, 3 cannot open the store, 4 no
// such run.
package main
