package results_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

const childEnv = "SCPIKIT_RESULTS_KILL_CHILD" // the side file's path: this process is the child

// killChild is the program TestKill9 kills: four DUTs measuring as fast
// as the store commits. Each measurement's run and sequence number go to
// the side file (one write per line) only after Measure has returned,
// then to stdout, which the test reads to choose its moment.
func killChild() int {
	side, err := os.OpenFile(os.Getenv(childEnv), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	store, err := results.Open(os.Getenv(results.EnvStore))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer store.Close()
	// The hook runs on the measuring goroutine just before Measure
	// returns: it hands the sequence number over, and the line is written
	// once Measure has returned.
	var seqs sync.Map
	_, err = harness.Run(context.Background(), "kill -9", func(t *harness.Test) error {
		for i := range 4 {
			t.DUT(fmt.Sprintf("dut-%d", i), func(d *harness.DUTRun) error {
				for n := 0; ; n++ {
					if err := d.Measure("count", units.Value(float64(n), ""), harness.None()); err != nil {
						return err
					}
					seq, _ := seqs.Load(d.Name())
					line := fmt.Sprintf("%s %d %s %d\n", t.ID(), seq, d.Name(), n)
					if _, err := side.WriteString(line); err != nil {
						return err
					}
					os.Stdout.WriteString(line)
				}
			})
		}
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store), harness.WithMeasurementHook(func(m harness.Measurement, _ harness.LimitAction) {
		seqs.Store(m.DUT, m.Seq)
	}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestKill9: a station killed with SIGKILL at random moments, 200 times,
// loses no measurement whose call returned, stores none twice, and every
// run it was killed in is closed as aborted on the next open.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("200 kills: not in -short")
	}
	dir := t.TempDir()
	path, sideFile := filepath.Join(dir, "station.db"), filepath.Join(dir, "side.log")
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), 9))
	const kills = 200
	killedRuns := 0
	for i := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+sideFile, results.EnvStore+"="+path)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// The moment: after k measurements have returned (k = 0: while it
		// starts, opens the store, recovers the last run).
		k := rng.IntN(40)
		lines := bufio.NewScanner(stdout)
		for n := 0; n < k && lines.Scan(); n++ {
		}
		cmd.Process.Signal(syscall.SIGKILL)
		go func() { // drain, so the child never blocks on a full pipe before it dies
			for lines.Scan() {
			}
		}()
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() {
			t.Fatalf("kill %d: the child ended by itself before the kill: %v\n%s", i, err, stderr.String())
		}
		killedRuns++

		store := openStore(t, path) // recovers the run just killed
		check(t, i, store, path, sideFile)
		store.Close()
	}
	t.Logf("%d kills, every returned measurement stored once, every run closed as aborted", killedRuns)
}

// check compares the store with the side file after a kill.
func check(t *testing.T, kill int, store *results.Store, path, sideFile string) {
	t.Helper()
	logged := map[string]int{}
	b, err := os.ReadFile(sideFile)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 4 {
			continue // the last line, cut by the kill
		}
		logged[f[0]+" "+f[1]+" "+f[2]+" "+f[3]]++
	}
	db := rawDB(t, path)
	defer db.Close()
	rows, err := db.Query(`SELECT run_id, seq, dut, value FROM measurements`)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	perValue := map[string]int{}
	for rows.Next() {
		var run, dut string
		var seq int64
		var value float64
		if err := rows.Scan(&run, &seq, &dut, &value); err != nil {
			t.Fatal(err)
		}
		stored[run+" "+strconv.FormatInt(seq, 10)+" "+dut+" "+strconv.FormatFloat(value, 'f', -1, 64)] = true
		perValue[run+" "+dut+" "+strconv.FormatFloat(value, 'f', -1, 64)]++
	}
	rows.Close()
	for m := range logged {
		if !stored[m] {
			t.Fatalf("kill %d: measurement %q returned before the kill but is not in the store", kill, m)
		}
	}
	for m, n := range perValue {
		if n > 1 {
			t.Fatalf("kill %d: measurement %q stored %d times", kill, m, n)
		}
	}
	var open, notAborted, gaps int
	if err := db.QueryRow(`SELECT count(*) FROM runs WHERE ended_ns IS NULL`).Scan(&open); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT count(*) FROM runs WHERE outcome != 'aborted' OR recovered != 1 OR stop_cause != ?`, harness.StationStopped).Scan(&notAborted); err != nil {
		t.Fatal(err)
	}
	// Group commit keeps or loses whole transactions: a run's events
	// are 1..N with none missing.
	if err := db.QueryRow(`SELECT count(*) FROM (SELECT run_id FROM events GROUP BY run_id HAVING max(seq) != count(*))`).Scan(&gaps); err != nil {
		t.Fatal(err)
	}
	if open != 0 || notAborted != 0 || gaps != 0 {
		t.Fatalf("kill %d: %d runs left open, %d not closed as aborted by recovery, %d with gaps in their events", kill, open, notAborted, gaps)
	}
}
