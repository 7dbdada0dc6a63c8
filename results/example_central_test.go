package results_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

// The fleet's questions, asked of the central database every station
// replicates to. (It needs a PostgreSQL server, so it is compiled, not
// run, by go test; docs/fleet.md says how to set one up.)
func ExampleOpenCentral() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	central, err := results.OpenCentral(ctx, os.Getenv(results.EnvCentral)) // postgres://user:pass@host/db
	if err != nil {
		fmt.Println(err)
		return
	}
	defer central.Close()
	today := results.Scope{Part: "PCB-7", Since: time.Now().Truncate(24 * time.Hour)}
	y, err := central.Yield(ctx, today)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("first-pass yield of %d units today: %.1f %%\n", y.Units, 100*y.FirstPass.Yield)
	c, err := central.Capability(ctx, "12V", today)
	if err != nil {
		fmt.Println(err)
		return
	}
	if c.Cpk != nil {
		fmt.Printf("Cpk of the 12 V rail: %.2f (n = %d)\n", *c.Cpk, c.N)
	}
}

// A station whose store replicates, in the background, to the central
// database named by $SCPIKIT_DB: the test waits for its station store
// only, never for the network; the events wait in the store's outbox
// while the database is away. (Compiled, not run: it needs PostgreSQL.)
func ExampleStore_ReplicateTo() {
	dir, _ := os.MkdirTemp("", "station")
	defer os.RemoveAll(dir)
	store, err := results.Open(filepath.Join(dir, "station.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close() // stops the replication too
	store.ReplicateTo(os.Getenv(results.EnvCentral), results.ReplicaOptions{Station: "line-3"})

	_, err = harness.Run(context.Background(), "rails", func(t *harness.Test) error {
		t.DUT("slot-1", func(d *harness.DUTRun) error {
			return d.Measure("3V3", 3.29*units.Volt, harness.Equals(3.3, 0.1))
		}, harness.WithUnit(harness.Unit{Serial: "SN-1001"}))
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store))
	if err != nil {
		fmt.Println(err)
	}
}

// printTarget is a central database that prints what it is sent: what
// a Replicator needs of one is Ingest and a name.
type printTarget struct{ held map[string]bool }

func (p printTarget) Target() string { return "print://" }

func (p printTarget) Ingest(ctx context.Context, b results.Batch) (int, error) {
	n := 0
	for _, e := range b.Events {
		key := fmt.Sprint(e.Run, e.Seq)
		if !p.held[key] { // what the target holds already it ignores: a resend changes nothing
			p.held[key] = true
			n++
		}
	}
	fmt.Printf("batch from %s: %d events, %d new, %d still to come\n", b.Station, len(b.Events), n, b.Backlog)
	return n, nil
}

// The replicator that Store.ReplicateTo runs, driven by hand: Sync sends
// what the target lacks and returns; a second Sync has nothing to send
// but still says the station is there.
func ExampleStore_NewReplicator() {
	dir, _ := os.MkdirTemp("", "station")
	defer os.RemoveAll(dir)
	store, err := results.Open(filepath.Join(dir, "station.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	_, err = harness.Run(context.Background(), "rails", func(t *harness.Test) error {
		t.DUT("slot-1", func(d *harness.DUTRun) error {
			return d.Measure("3V3", 3.29*units.Volt, harness.Equals(3.3, 0.1))
		}, harness.WithUnit(harness.Unit{Serial: "SN-1001"}))
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store))
	if err != nil {
		fmt.Println(err)
		return
	}

	repl := store.NewReplicator(printTarget{held: map[string]bool{}}, results.ReplicaOptions{Station: "line-3", BatchSize: 4})
	for range 2 {
		st, err := repl.Sync(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("sent %d, new %d, backlog %d\n", st.Sent, st.Inserted, st.Backlog)
	}
	// Output:
	// batch from line-3: 4 events, 4 new, 1 still to come
	// batch from line-3: 1 events, 1 new, 0 still to come
	// sent 5, new 5, backlog 0
	// batch from line-3: 0 events, 0 new, 0 still to come
	// sent 0, new 0, backlog 0
}
