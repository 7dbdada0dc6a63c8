// Command station reads the station store: the runs a station has made,
// each run's units and verdicts, its reports rebuilt from the stored
// events, and every measurement as CSV.
//
//	station runs [--since D] [--serial S] [--limit N] [--json]
//	station show RUN [--json]
//	station report RUN --dir DIR
//	station export --csv [--since D] [--serial S] [--run RUN]
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
