package main

import (
	"context"
	"fmt"
	"io"
)

// envDB names the central database when --db does not.
const envDB = "SCPIKIT_DB"

// openAnalyst opens the central database when url is set, else the
// station store at storePath.
func openAnalyst(ctx context.Context, verb, storePath, url string, stderr io.Writer) (analyst, func(), int) {
	if url != "" {
		fmt.Fprintf(stderr, "station %s: --db: this build cannot read a central database yet; leave --db and $SCPIKIT_DB unset to read the station store\n", verb)
		return nil, nil, exitStore
	}
	store, code := openStoreAnalyst(verb, storePath, stderr)
	if code != exitOK {
		return nil, nil, code
	}
	return store, func() { store.Close() }, exitOK
}
