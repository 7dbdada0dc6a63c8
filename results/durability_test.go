package results_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
)

// commitOne emits an event and waits until its transaction committed.
func commitOne(t testing.TB, s *results.Store, e harness.Event) {
	t.Helper()
	if err := <-s.Emit(e); err != nil {
		t.Fatal(err)
	}
}

func measurementEvent(run string, seq uint64, v float64) harness.Event {
	return harness.Event{Run: run, Seq: seq, Time: time.Now(), Kind: harness.EventMeasurement, DUT: "dut",
		Measurement: &harness.Measurement{Seq: seq, DUT: "dut", Name: "v", Value: v, Unit: "V", Limit: harness.LimitSpec{Comparator: harness.CompareNone}}}
}

// TestTornWAL cuts the write-ahead log at every byte offset of its last
// frame, as a crash in the middle of writing it would, and opens the
// copy: every transaction committed before the last is there, and the
// last is there whole or not at all.
func TestTornWAL(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "station.db")
	s := openStore(t, path)
	defer s.Close()
	run := harness.NewRunID(time.Now())
	commitOne(t, s, harness.Event{Run: run, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "torn"}})
	const commits = 20
	for i := 2; i <= commits; i++ {
		commitOne(t, s, measurementEvent(run, uint64(i), float64(i)))
	}
	// The files as a power cut would leave them: the store is still
	// open, nothing is checkpointed.
	db, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if len(wal) < 32 {
		t.Fatalf("the WAL is %d bytes: was the store checkpointed, or not in WAL mode?", len(wal))
	}
	pageSize := int(binary.BigEndian.Uint32(wal[8:12]))
	frame := 24 + pageSize
	frames := (len(wal) - 32) / frame
	if frames < commits || (len(wal)-32)%frame != 0 {
		t.Fatalf("WAL of %d bytes: %d frames of %d bytes for %d commits", len(wal), frames, frame, commits)
	}
	last := 32 + (frames-1)*frame
	if binary.BigEndian.Uint32(wal[last+4:last+8]) == 0 {
		t.Fatal("the WAL's last frame is not a commit frame")
	}

	copyDir := t.TempDir()
	cut := filepath.Join(copyDir, "station.db")
	count := func(walBytes []byte) int {
		for _, suffix := range []string{"-wal", "-shm"} {
			os.Remove(cut + suffix)
		}
		if err := os.WriteFile(cut, db, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cut+"-wal", walBytes, 0o644); err != nil {
			t.Fatal(err)
		}
		raw := rawDB(t, cut)
		defer raw.Close()
		var n, maxSeq int
		if err := raw.QueryRow(`SELECT count(*), coalesce(max(seq), 0) FROM events WHERE run_id = ?`, run).Scan(&n, &maxSeq); err != nil {
			t.Fatalf("WAL cut at %d: %v", len(walBytes), err)
		}
		if n != maxSeq {
			t.Fatalf("WAL cut at %d: events 1..%d, but %d of them: a transaction was kept in part", len(walBytes), maxSeq, n)
		}
		return n
	}
	// Every offset: each one is a different tear (in the frame's header,
	// its salt, its checksum, its page). -short (the loaded flake runs)
	// keeps the header's offsets, every 61st byte of the page and the ends.
	for off := last; off <= len(wal); off++ {
		if testing.Short() && off-last > 24 && off < len(wal)-1 && (off-last)%61 != 0 {
			continue
		}
		n := count(wal[:off])
		want := commits - 1 // the last transaction is lost whole
		if off == len(wal) {
			want = commits
		}
		if n != want {
			t.Fatalf("WAL cut at byte %d of %d (last frame from %d): %d of %d events, want %d", off, len(wal), last, n, commits, want)
		}
	}
	// And the store opens the torn copy as it opens any: the run is there.
	count(wal[:last+frame/2])
	again := openStore(t, cut)
	defer again.Close()
	rec, err := again.Record(context.Background(), run)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(rec.Measurements()); got != commits-2 {
		t.Fatalf("%d measurements in the torn store's record, want %d", got, commits-2)
	}
}

const fsyncChildEnv = "SCPIKIT_RESULTS_FSYNC_CHILD" // the store's path: this process commits one event and says so

// fsyncChild commits one measurement and, once its call has returned,
// writes "ACKED" to stdout: the trace shows what happened before that.
func fsyncChild(path string) int {
	s, err := results.Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer s.Close()
	run := harness.NewRunID(time.Now())
	if err := <-s.Emit(harness.Event{Run: run, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "fsync"}}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	os.Stdout.WriteString("STARTED\n")
	if err := <-s.Emit(measurementEvent(run, 2, 1)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	os.Stdout.WriteString("ACKED\n")
	return 0
}

// TestFsyncBeforeAcknowledgement traces the store's system calls with
// strace: between the measurement's write to the WAL and the program
// learning it is committed, the WAL is fsynced (fsync or fdatasync).
func TestFsyncBeforeAcknowledgement(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
			t.Fatal("strace is required (SCPIKIT_REQUIRE_INTEROP): apt-get install strace")
		}
		t.Skip("strace not installed (apt-get install strace): the fsync check needs it")
	}
	dir := t.TempDir()
	trace := filepath.Join(dir, "trace.txt")
	cmd := exec.Command(strace, "-f", "-qq", "-o", trace, "-e", "trace=open,openat,pwrite64,write,fsync,fdatasync", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fsyncChildEnv+"="+filepath.Join(dir, "station.db"))
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "ACKED") {
		if strings.Contains(string(out), "ptrace") && os.Getenv("SCPIKIT_REQUIRE_INTEROP") == "" {
			t.Skipf("strace cannot trace here: %s", out)
		}
		t.Fatalf("strace: %v\n%s", err, out)
	}
	calls, err := completedCalls(trace)
	if err != nil {
		t.Fatal(err)
	}
	walFD := ""
	state := "before" // then: started, written (the measurement's WAL write), synced
	for _, c := range calls {
		switch {
		case (c.name == "open" || c.name == "openat") && strings.Contains(c.args, "station.db-wal\""):
			walFD = c.result
		case c.name == "write" && strings.HasPrefix(c.args, `1, "STARTED`):
			state = "started"
		case state != "before" && c.name == "pwrite64" && walFD != "" && strings.HasPrefix(c.args, walFD+","):
			state = "written"
		case state == "written" && (c.name == "fsync" || c.name == "fdatasync") && c.args == walFD:
			state = "synced"
		case c.name == "write" && strings.HasPrefix(c.args, `1, "ACKED`):
			if state != "synced" {
				t.Fatalf("the measurement was acknowledged with the WAL %s (fd %q), not synced", state, walFD)
			}
			return
		}
	}
	t.Fatalf("no acknowledgement in the trace (WAL fd %q, state %s)", walFD, state)
}

type syscallLine struct{ name, args, result string }

// completedCalls reads an strace -f log into its calls in the order they
// completed, joining "<unfinished ...>" with "<... resumed>".
func completedCalls(path string) ([]syscallLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	whole := regexp.MustCompile(`^(\d+)\s+(\w+)\((.*)\)\s+=\s+(-?\d+)`)
	unfinished := regexp.MustCompile(`^(\d+)\s+(\w+)\((.*) <unfinished \.\.\.>$`)
	resumed := regexp.MustCompile(`^(\d+)\s+<\.\.\. (\w+) resumed>(.*)\)\s+=\s+(-?\d+)`)
	open := map[string]syscallLine{}
	var out []syscallLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		if m := whole.FindStringSubmatch(line); m != nil {
			out = append(out, syscallLine{m[2], m[3], m[4]})
		} else if m := unfinished.FindStringSubmatch(line); m != nil {
			open[m[1]] = syscallLine{name: m[2], args: m[3]}
		} else if m := resumed.FindStringSubmatch(line); m != nil {
			c := open[m[1]]
			delete(open, m[1])
			out = append(out, syscallLine{m[2], c.args + m[3], m[4]})
		}
	}
	return out, sc.Err()
}
