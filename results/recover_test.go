package results_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

const liveChildEnv = "SCPIKIT_RESULTS_LIVE_CHILD" // the store's path: this process starts a run and waits

// liveChild starts a run in the store, says so, and keeps the store open
// until its standard input closes.
func liveChild(path string) int {
	s, err := results.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer s.Close()
	run := harness.NewRunID(time.Now())
	if err := <-s.Emit(harness.Event{Run: run, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "live"}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println("STARTED", run)
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// A run another process is writing is never closed under it, whatever
// that process's pid looks like from here; once the process is killed,
// the next open closes it as aborted.
func TestRunOfALiveProcessNotRecovered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), liveChildEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if !strings.HasPrefix(line, "STARTED ") {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child: %q, %v", line, err)
	}
	run := strings.TrimSpace(strings.TrimPrefix(line, "STARTED "))

	s := openStore(t, path)
	if n := s.Stats().Recovered; n != 0 {
		t.Errorf("the live process's run was closed as aborted (%d)", n)
	}
	s.Close()

	cmd.Process.Kill()
	cmd.Wait()
	s = openStore(t, path)
	defer s.Close()
	if n := s.Stats().Recovered; n != 1 {
		t.Fatalf("after the kill, %d runs recovered, want 1", n)
	}
	rec, err := s.Record(context.Background(), run)
	if err != nil || rec.Outcome != harness.OutcomeAborted || !rec.Recovered {
		t.Fatalf("the killed run: %v %v", rec.Outcome, err)
	}
}

// A run whose writer has gone is recovered whatever host name it was
// written under: a container gets a new one when it restarts, and its
// store, on one host, shows its lock all the same.
func TestRunOfAnotherHostNameRecovered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	s := openStore(t, path)
	run := harness.NewRunID(time.Now())
	commitOne(t, s, harness.Event{Run: run, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "in a container"}})
	s.Close()
	setOwner(t, path, run, "3f9c2e1a7b4d/1/00112233aabbccdd") // the container before its restart
	s = openStore(t, path)
	defer s.Close()
	rec, err := s.Record(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		Recovered int
		Outcome   harness.Outcome
	}
	want := state{1, harness.OutcomeAborted}
	if diff := cmp.Diff(want, state{s.Stats().Recovered, rec.Outcome}); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// A program that names the store through a symlink sees the locks of
// those that name it by its file, and leaves their live runs alone.
func TestLiveRunNotRecoveredThroughASymlink(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "data", "station.db")
	writer := openStore(t, path)
	defer writer.Close()
	run := harness.NewRunID(time.Now())
	commitOne(t, writer, harness.Event{Run: run, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "live"}})
	link := filepath.Join(dir, "station.db")
	if err := os.Symlink(path, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	other := openStore(t, link)
	defer other.Close()
	runs, err := other.Runs(context.Background(), results.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	type state struct {
		Recovered int
		Outcome   string
	}
	got := state{Recovered: other.Stats().Recovered}
	if len(runs) == 1 {
		got.Outcome = runs[0].Outcome
	}
	if diff := cmp.Diff(state{0, "running"}, got); diff != "" {
		t.Fatalf("the live run, seen through the symlink (-want +got):\n%s", diff)
	}
}

// An event the store cannot keep fails every later event of its run, so
// that the store never holds a run with a hole in it that reads as its
// whole record; other runs go on.
func TestLostEventFailsTheRestOfItsRun(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer s.Close()
	run, other := harness.NewRunID(time.Now()), harness.NewRunID(time.Now())
	for _, r := range []string{run, other} {
		commitOne(t, s, harness.Event{Run: r, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "r"}})
		commitOne(t, s, measurementEvent(r, 2, 1))
	}
	// Sequence number 2 again: the store refuses it.
	if err := <-s.Emit(measurementEvent(run, 2, 2)); err == nil {
		t.Fatal("a second event 2 was stored")
	}
	err := <-s.Emit(measurementEvent(run, 3, 3))
	if err == nil || !strings.Contains(err.Error(), "an earlier event of the run was not stored") {
		t.Fatalf("the event after the lost one: %v", err)
	}
	commitOne(t, s, measurementEvent(other, 3, 3))
	events, err := s.Events(context.Background(), run, 0, 0)
	if err != nil || len(events) != 2 {
		t.Fatalf("%d events of the run stored, want 2 (%v)", len(events), err)
	}
	if s.Stats().Failed != 2 {
		t.Errorf("stats: %+v", s.Stats())
	}
}

// Limits with an open side (±Inf), NaN bounds, resolutions and axes
// survive the store like values do.
func TestNonFiniteLimitsStored(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer s.Close()
	rec, err := harness.Run(context.Background(), "open limits", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error {
			if err := d.Measure("leakage", 5*units.Microamp, harness.Between(negInf, 1e-5)); err != nil {
				return err
			}
			return d.MeasureWaveform("trace", harness.Waveform{Unit: "V", Values: []float64{1, 2},
				Axis: harness.Axis{Name: "time", Unit: "s", Start: negInf, Step: 1}}, harness.AtMost(posInf))
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(s))
	if err != nil || rec.Outcome != harness.OutcomePass {
		t.Fatalf("%v %v", rec.Outcome, err)
	}
	stored, err := s.Record(context.Background(), rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, stored, recordCmp...); diff != "" {
		t.Fatalf("the stored record differs (-live +stored):\n%s", diff)
	}
}

var negInf, posInf = math.Inf(-1), math.Inf(1)
