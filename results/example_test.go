package results_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

// A run kept in the station store as it goes, and read back: the record
// the store rebuilds is the one the run returned.
func ExampleOpen() {
	dir, _ := os.MkdirTemp("", "station")
	defer os.RemoveAll(dir)
	store, err := results.Open(filepath.Join(dir, "station.db")) // results.DefaultPath() on a station
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()

	rec, err := harness.Run(context.Background(), "rails", func(t *harness.Test) error {
		t.DUT("slot-1", func(d *harness.DUTRun) error {
			// Measure returns once the measurement is committed, fsync included.
			return d.Measure("3V3", 3.29*units.Volt, harness.Equals(3.3, 0.1))
		}, harness.WithUnit(harness.Unit{Serial: "SN-1001"}))
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store))
	if err != nil {
		fmt.Println(err)
		return
	}

	stored, err := store.Record(context.Background(), rec.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range stored.Measurements() {
		fmt.Println(stored.DUTs[0].Unit.Serial, m.Name, m.Format(), m.Limit.Format(m.Unit), m.Outcome)
	}
	// Output:
	// SN-1001 3V3 3.29 V 3.3 V ± 0.1 V pass
}
