package main

import (
	"context"
	"fmt"
	"io"

	"github.com/scpikit/scpikit/results"
)

// openAnalyst opens the central database when url is set (--db, or
// $SCPIKIT_DB unless --store was given), else the station store at
// storePath.
func openAnalyst(ctx context.Context, verb, storePath, url string, stderr io.Writer) (analyst, func(), int) {
	if url != "" {
		central, err := results.OpenCentral(ctx, url)
		if err != nil {
			fmt.Fprintf(stderr, "station %s: %v\n", verb, err)
			return nil, nil, exitStore
		}
		return central, func() { central.Close() }, exitOK
	}
	store, code := openStoreAnalyst(verb, storePath, stderr)
	if code != exitOK {
		return nil, nil, code
	}
	return store, func() { store.Close() }, exitOK
}
