//go:build linux

package results

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/pgtest"
	"go.uber.org/goleak"
)

// EnvTestCluster names the PostgreSQL cluster the fleet test may stop
// hard and start again ("15 main", as pg_ctlcluster takes it).
const envTestCluster = "SCPIKIT_TEST_POSTGRES_CLUSTER"

func pgCtl(ctx context.Context, cluster []string, args ...string) error {
	// The server pg_ctlcluster starts outlives the test: it must not
	// inherit what the test inherited (a lock file held by flock around
	// go test, which the restarted server would hold forever).
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, f := range fds {
			if fd, err := strconv.Atoi(f.Name()); err == nil && fd > 2 {
				syscall.CloseOnExec(fd)
			}
		}
	}
	cmd := exec.CommandContext(ctx, "pg_ctlcluster", append(append([]string{"--skip-systemctl-redirect"}, cluster...), args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctlcluster %s %v: %w: %s", strings.Join(cluster, " "), args, err, out)
	}
	return nil
}

// Fleet under faults: 10 stations (each its own store) x 8 DUTs x 100
// runs replicate at once into one PostgreSQL, which is stopped hard
// (-m immediate) mid-way and started again. At the end the central row
// counts are exact, every outbox is empty, and replicating again
// changes nothing.
func TestFleetUnderFaults(t *testing.T) {
	cluster := strings.Fields(os.Getenv(envTestCluster))
	if len(cluster) != 2 {
		msg := fmt.Sprintf("the fleet test stops the PostgreSQL cluster hard: set %s=\"15 main\" (VERSION NAME, as pg_ctlcluster takes them) to allow it", envTestCluster)
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
			t.Fatal(msg + "; SCPIKIT_REQUIRE_INTEROP requires this test to run")
		}
		t.Skip(msg)
	}
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after pgtest's cleanup, which closes its pool
	url := pgtest.NewStopping(t)
	const stations, duts, runsEach, meas = 10, 8, 100, 3
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c, err := OpenCentral(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	started := time.Now()

	stores := make([]*Store, stations)
	for i := range stores {
		if stores[i], err = Open(filepath.Join(t.TempDir(), "station.db")); err != nil {
			t.Fatal(err)
		}
		defer stores[i].Close()
	}
	var logs syncBuffer
	replCtx, stopRepl := context.WithCancel(ctx)
	var repl sync.WaitGroup
	for i, s := range stores {
		target := CentralTarget(url)
		defer target.(*lazyCentral).Close()
		r := s.NewReplicator(target, ReplicaOptions{Station: fmt.Sprintf("station-%02d", i), BatchSize: 500,
			MinBackoff: 50 * time.Millisecond, MaxBackoff: time.Second, Log: zerologTo(&logs)})
		repl.Add(1)
		go func() {
			defer repl.Done()
			if err := r.Run(replCtx); err != nil {
				t.Error(err)
			}
		}()
	}

	// The fault: stop at 40% of the runs, start again at 70%.
	var done atomic.Int64
	stopAt, startAt := int64(stations*runsEach*4/10), int64(stations*runsEach*7/10)
	stopNow, startNow := make(chan struct{}), make(chan struct{})
	var once1, once2 sync.Once
	faultErr := make(chan error, 1)
	var downFor time.Duration
	go func() {
		select {
		case <-stopNow:
		case <-ctx.Done():
			faultErr <- ctx.Err()
			return
		}
		if err := pgCtl(ctx, cluster, "stop", "-m", "immediate"); err != nil {
			faultErr <- err
			return
		}
		down := time.Now()
		select {
		case <-startNow:
		case <-ctx.Done():
		}
		err := pgCtl(context.Background(), cluster, "start")
		downFor = time.Since(down)
		faultErr <- err
	}()
	var writers sync.WaitGroup
	for _, s := range stores {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range runsEach {
				if _, err := emitRunErr(s, i, duts, meas); err != nil {
					t.Error(err)
					return
				}
				switch n := done.Add(1); {
				case n >= startAt:
					once2.Do(func() { close(startNow) })
				case n >= stopAt:
					once1.Do(func() { close(stopNow) })
				}
			}
		}()
	}
	writers.Wait()
	once1.Do(func() { close(stopNow) })
	once2.Do(func() { close(startNow) })
	if err := <-faultErr; err != nil {
		t.Fatal(err)
	}
	written := time.Since(started)

	// Every outbox empties by itself (Run, after its backoff).
	var total int64
	for _, s := range stores {
		total += int64(s.Stats().Events)
	}
	for _, s := range stores {
		for {
			out, err := s.Outbox(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) == 1 && out[0].Backlog == 0 {
				if len(out[0].Parked) != 0 {
					t.Errorf("%s parked %+v", s.Path(), out[0].Parked)
				}
				break
			}
			select {
			case <-ctx.Done():
				t.Fatalf("%s never caught up: %+v\n%s", s.Path(), out, logs.String())
			case <-time.After(20 * time.Millisecond): // acknowledgements wake no one: look again
			}
		}
	}
	caughtUp := time.Since(started)
	stopRepl()
	repl.Wait()

	want := map[string]int{"runs": stations * runsEach, "events": int(total),
		"units": stations * runsEach * duts, "measurements": stations * runsEach * duts * meas}
	if total != int64(stations*runsEach*(2+duts*(1+meas))) {
		t.Errorf("the stations hold %d events, want %d", total, stations*runsEach*(2+duts*(1+meas)))
	}
	got := tableCounts(t, c.db, postgresDialect)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("central row counts (-want +got):\n%s", diff)
	}
	var ended, failed int
	if err := c.db.QueryRow(`SELECT count(*) FILTER (WHERE ended_ns IS NOT NULL), count(*) FILTER (WHERE outcome = 'fail') FROM runs`).Scan(&ended, &failed); err != nil {
		t.Fatal(err)
	}
	if ended != stations*runsEach || failed != stations*runsEach/2 {
		t.Errorf("central runs: %d ended, %d failed; want %d and %d", ended, failed, stations*runsEach, stations*runsEach/2)
	}

	// Replicating again changes nothing: a fresh Sync per station, and
	// every event sent once more, as after lost acknowledgements.
	for i, s := range stores {
		st, err := s.NewReplicator(c, ReplicaOptions{Station: fmt.Sprintf("station-%02d", i)}).Sync(ctx)
		if err != nil || st.Inserted != 0 || st.Backlog != 0 {
			t.Errorf("sync again: %+v, %v", st, err)
		}
		evs, _, err := s.outbox(ctx, 0, 1<<20, 0)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := c.Ingest(ctx, Batch{Station: fmt.Sprintf("station-%02d", i), Events: evs}); err != nil || n != 0 {
			t.Errorf("resend of all %d events: %d new, %v", len(evs), n, err)
		}
	}
	if diff := cmp.Diff(want, tableCounts(t, c.db, postgresDialect)); diff != "" {
		t.Errorf("after replicating again (-want +got):\n%s", diff)
	}
	var stationRows int
	var backlog sql.NullInt64
	if err := c.db.QueryRow(`SELECT count(*), sum(backlog) FROM stations`).Scan(&stationRows, &backlog); err != nil {
		t.Fatal(err)
	}
	if stationRows != stations || backlog.Int64 != 0 {
		t.Errorf("stations: %d rows, backlog %d", stationRows, backlog.Int64)
	}
	text := logs.String()
	t.Logf("fleet: %d stations x %d DUTs x %d runs: %d runs, %d events, %d measurements, %d units; written in %d ms, caught up at %d ms; database down %d ms",
		stations, duts, runsEach, got["runs"], got["events"], got["measurements"], got["units"], written.Milliseconds(), caughtUp.Milliseconds(), downFor.Milliseconds())
	t.Logf("replication logged %d away and %d back lines", strings.Count(text, "cannot send"), strings.Count(text, "is back after"))
	if strings.Count(text, "cannot send") == 0 {
		t.Errorf("no station saw the database go away: the fault did not happen mid-replication")
	}
}
