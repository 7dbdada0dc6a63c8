package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/internal/pgtest"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"go.yaml.in/yaml/v3"
)

// The README's main command, in process: a DUT faults, is isolated, the
// others pass, every output ends off and verified, the reports are written.
func TestBurnInSimulated(t *testing.T) {
	bench, err := sim.ParseBench(defaultBench, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	var cfg config
	if err := yaml.Unmarshal(defaultStation, &cfg.station); err != nil {
		t.Fatal(err)
	}
	cfg.bench, cfg.duration, cfg.faultDUT, cfg.faultAt, cfg.reportsDir = bench, 1500*time.Millisecond, "dut-2", 500*time.Millisecond, t.TempDir()
	cfg.policy = harness.IsolateDUT // the program's default
	cfg.storePath = filepath.Join(t.TempDir(), "station.db")
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	// dut-2 did not pass: the program says so in its exit status, as go
	// test would.
	if code := burnIn(context.Background(), cfg, zerolog.Nop(), out); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	b, _ := os.ReadFile(out.Name())
	text := string(b)
	for _, want := range []string{"dut-1  SN24-0011  pass", "dut-2  SN24-0012  error", "stored: run ", "OVERTEMPERATURE", "6 of 6 actions verified", ".html", "exit status 1: a DUT did not pass"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	// The JUnit report says dut-2 errored, with its fault: CI must not go green.
	xmls, _ := filepath.Glob(filepath.Join(cfg.reportsDir, "*.xml"))
	if len(xmls) != 1 {
		t.Fatalf("JUnit reports: %v", xmls)
	}
	junit, _ := os.ReadFile(xmls[0])
	if !strings.Contains(string(junit), "<error") || !strings.Contains(string(junit), "OVERTEMPERATURE") {
		t.Errorf("the JUnit report does not carry dut-2's fault:\n%s", junit)
	}
	// The run is in the store, each DUT with the serial its console gave.
	store, err := results.Open(cfg.storePath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, err := store.Runs(context.Background(), results.Filter{Serial: "SN24-0013"})
	if err != nil || len(runs) != 1 || runs[0].Outcome != "error" || runs[0].Station != "burnin-sim" {
		t.Fatalf("the stored runs: %+v, %v", runs, err)
	}
	want := []results.UnitSummary{{DUT: "dut-1", Serial: "SN24-0011", Part: "DUT-1"}, {DUT: "dut-2", Serial: "SN24-0012", Part: "DUT-1"},
		{DUT: "dut-3", Serial: "SN24-0013", Part: "DUT-1"}, {DUT: "dut-4", Serial: "SN24-0014", Part: "DUT-1"}}
	if diff := cmp.Diff(want, runs[0].Units); diff != "" {
		t.Errorf("the stored units (-want +got):\n%s", diff)
	}
	for _, name := range []string{"rigol", "keysight"} {
		in, _ := bench.Named(name)
		in.Do(func(d sim.Device) {
			for ch := 1; ; ch++ {
				o, ok := d.(sim.Supply).Output(ch)
				if !ok {
					return
				}
				if o.On() {
					t.Errorf("%s CH%d on after the run", name, ch)
				}
			}
		})
	}
}

// Every signal that ends a program in a terminal, and a closed stdout, to
// a running burn-in on instruments served by scpisim in another process:
// the program exits 128+N and every output is off, read back from the
// simulator after it has exited. The last case has a DUT whose code
// blocks for ever, ignoring its context, and three signals in a row: the
// outputs still go off and the program still exits.
func TestSignalsLeaveOutputsOff(t *testing.T) {
	// A test run under nohup, or as a background job, has SIGHUP (or
	// SIGINT, SIGQUIT) ignored, and the programs it starts inherit that:
	// the burn-in then rightly goes on ignoring them (harness/signals.go),
	// and the case waits for a stop that never comes (seen in CI started
	// with nohup: the SIGHUP case ran on for minutes). Taking the ignored
	// ones in this process for the test's length gives its children the
	// default disposition back.
	var ignored []os.Signal
	for _, sig := range []os.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM} {
		if signal.Ignored(sig) {
			ignored = append(ignored, sig)
		}
	}
	if len(ignored) > 0 {
		taken := make(chan os.Signal, 1)
		signal.Notify(taken, ignored...)
		defer signal.Stop(taken)
	}
	dir := t.TempDir()
	build := func(pkg, name string) string {
		bin := filepath.Join(dir, name)
		if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", pkg, err, out)
		}
		return bin
	}
	scpisim, burnin := build("../../cmd/scpisim", "scpisim"), build(".", "burnin")

	srv := exec.Command(scpisim, "serve", "--json", "--listen", "127.0.0.1:0", "bench.yaml")
	srvOut, _ := srv.StdoutPipe()
	var srvLog testserver.Log // shown if a run is stuck
	srv.Stderr = &srvLog
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	served := map[string]string{} // bench resource -> served resource
	var listing struct {
		Resources []struct {
			Resource string   `json:"resource"`
			Bench    []string `json:"bench"`
		} `json:"resources"`
	}
	line, err := bufio.NewReader(srvOut).ReadString('\n')
	if err == nil {
		err = json.Unmarshal([]byte(line), &listing)
	}
	if err != nil {
		t.Fatalf("scpisim --json: %q: %v", line, err)
	}
	for _, r := range listing.Resources {
		for _, b := range r.Bench {
			served[b] = r.Resource
		}
	}
	go io.Copy(io.Discard, srvOut)
	// The station, pointed at the served resources.
	station := strings.NewReplacer(
		"TCPIP0::dp832.bench.example::5555::SOCKET", served["TCPIP0::dp832.bench.example::5555::SOCKET"],
		"TCPIP0::e36312a.bench.example::5025::SOCKET", served["TCPIP0::e36312a.bench.example::5025::SOCKET"],
		"ASRL/dev/ttyUSB0::INSTR", served["ASRL/dev/ttyUSB0::INSTR"], "ASRL/dev/ttyUSB1::INSTR", served["ASRL/dev/ttyUSB1::INSTR"],
		"ASRL/dev/ttyUSB2::INSTR", served["ASRL/dev/ttyUSB2::INSTR"], "ASRL/dev/ttyUSB3::INSTR", served["ASRL/dev/ttyUSB3::INSTR"],
	).Replace(string(defaultStation))
	stationFile := filepath.Join(dir, "station.yaml")
	os.WriteFile(stationFile, []byte(station), 0o644)
	supplies := []string{served["TCPIP0::dp832.bench.example::5555::SOCKET"], served["TCPIP0::e36312a.bench.example::5025::SOCKET"]}
	outputs := func() string {
		var states []string
		for i, res := range supplies {
			s, err := scpi.Open(context.Background(), res)
			if err != nil {
				t.Fatal(err)
			}
			q := []string{":OUTP? CH1;:OUTP? CH2", "OUTP? (@2,3)"}[i]
			r, err := s.Query(context.Background(), q)
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			states = append(states, r)
		}
		return strings.Join(states, " ")
	}

	for _, tc := range []struct {
		name    string
		signals []syscall.Signal // none: close stdout and stderr
		hang    bool
		exit    int
	}{
		{"SIGINT twice", []syscall.Signal{syscall.SIGINT, syscall.SIGINT}, false, 130},
		{"SIGTERM", []syscall.Signal{syscall.SIGTERM}, false, 143},
		{"SIGHUP", []syscall.Signal{syscall.SIGHUP}, false, 129},
		{"SIGQUIT", []syscall.Signal{syscall.SIGQUIT}, false, 131},
		{"closed stdout", nil, false, 141},
		{"stuck DUT, SIGINT SIGINT SIGTERM", []syscall.Signal{syscall.SIGINT, syscall.SIGINT, syscall.SIGTERM}, true, 130},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reports := t.TempDir()
			args := []string{"-sim=false", "-station", stationFile, "-duration", "10m", "-reports", reports, "-store", filepath.Join(reports, "station.db")}
			if tc.hang {
				args = append(args, "-hang", "dut-3")
			}
			run := exec.Command(burnin, args...)
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			run.Stdout, run.Stderr = pw, pw
			if err := run.Start(); err != nil {
				t.Fatal(err)
			}
			pw.Close()
			var logged strings.Builder
			copied := make(chan struct{})
			hung := make(chan struct{})     // the stuck DUT has said it now blocks
			stopping := make(chan struct{}) // the harness has taken the first signal
			if tc.signals != nil {
				go func() {
					defer close(copied)
					var once sync.Once
					sc := bufio.NewScanner(pr)
					for sc.Scan() {
						logged.WriteString(sc.Text() + "\n")
						if strings.Contains(sc.Text(), "now blocks, ignoring its context") {
							close(hung)
						}
						if strings.Contains(sc.Text(), "signal: stopping") {
							once.Do(func() { close(stopping) })
						}
					}
				}()
			} else {
				close(copied)
			}
			// Wait until all four DUTs are powered.
			for deadline := time.Now().Add(30 * time.Second); outputs() != "ON;ON 1,1"; {
				if time.Now().After(deadline) {
					run.Process.Kill()
					run.Wait()
					t.Fatalf("the DUTs were never all powered: %s", outputs())
				}
				time.Sleep(20 * time.Millisecond) // polling another process
			}
			if tc.signals == nil {
				pr.Close() // burnin | head: the reader goes away
			}
			if tc.hang {
				<-hung
			}
			for i, sig := range tc.signals {
				if i == 1 {
					// Signals sent together can reach the program in any
					// order (each to a thread of its own): the later ones go
					// once the first has been taken, as a person's would.
					select {
					case <-stopping:
					case <-copied: // it has ended: nothing more to wait for
					}
				}
				run.Process.Signal(sig)
			}
			waited := make(chan error, 1)
			go func() { waited <- run.Wait() }()
			select {
			case err = <-waited:
			case <-time.After(3 * time.Minute):
				// Not a judgement of speed: every stop ends well within this
				// (the grace period, the safe state's bounds), so a program
				// still running is stuck. SIGABRT makes the Go runtime dump
				// its goroutines into the log the failure shows.
				run.Process.Signal(syscall.SIGABRT)
				select {
				case <-waited:
				case <-time.After(30 * time.Second):
					run.Process.Kill()
					<-waited
				}
				<-copied
				t.Fatalf("burnin still running 3 min after %v: stuck\n%s\nscpisim's log:\n%s", tc.signals, logged.String(), srvLog.String())
			}
			<-copied // logged is complete
			pr.Close()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.exit {
				t.Fatalf("burnin exit: %v, want %d\n%s", err, tc.exit, logged.String())
			}
			if got := outputs(); got != "OFF;OFF 0,0" {
				t.Fatalf("outputs after the stop: %s\n%s", got, logged.String())
			}
			js, _ := filepath.Glob(filepath.Join(reports, "burn-in-*.json"))
			if len(js) != 1 {
				t.Fatalf("reports: %v", js)
			}
			// Every DUT was cut short: none may read as a pass.
			b, err := os.ReadFile(js[0])
			if err != nil {
				t.Fatal(err)
			}
			var rec harness.Record
			if err := json.Unmarshal(b, &rec); err != nil {
				t.Fatal(err)
			}
			for _, d := range rec.DUTs {
				if d.Outcome.Passed() {
					t.Errorf("%s is %s after the stop, in the JSON report", d.Name, d.Outcome)
				}
			}
			if tc.hang && !strings.Contains(logged.String(), "STUCK: DUT dut-3") {
				t.Errorf("the stuck DUT is not named:\n%s", logged.String())
			}
		})
	}
}

// Reports asked for in a relative folder are printed as absolute paths
// (go run and go test run in different folders: a relative path printed
// would not open from the user's shell), and are there.
func TestBurnInPrintsAbsoluteReportPaths(t *testing.T) {
	bench, err := sim.ParseBench(defaultBench, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	var cfg config
	if err := yaml.Unmarshal(defaultStation, &cfg.station); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	cfg.bench, cfg.duration, cfg.reportsDir, cfg.policy = bench, 200*time.Millisecond, "reports", harness.IsolateDUT
	b := runBurnIn(t, cfg)
	_, listed, ok := strings.Cut(string(b), "\nreports:\n")
	if !ok {
		t.Fatalf("no reports listed:\n%s", b)
	}
	var paths []string
	for _, line := range strings.Split(listed, "\n") {
		if !strings.HasPrefix(line, "  ") {
			break
		}
		paths = append(paths, strings.TrimSpace(line))
	}
	if len(paths) != 3 {
		t.Fatalf("reports %q, want JSON, JUnit and HTML:\n%s", paths, b)
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) || filepath.Dir(p) != filepath.Join(dir, "reports") {
			t.Errorf("report printed as %q, want an absolute path in %s", p, filepath.Join(dir, "reports"))
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a printed report is not there: %v", err)
		}
	}
}

// -db: the run reaches the central database before the program exits,
// every event of it, and the station's outbox is empty.
func TestBurnInReplicatesToTheCentralDatabase(t *testing.T) {
	url := pgtest.New(t)
	bench, err := sim.ParseBench(defaultBench, ".")
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	var cfg config
	if err := yaml.Unmarshal(defaultStation, &cfg.station); err != nil {
		t.Fatal(err)
	}
	cfg.bench, cfg.duration, cfg.reportsDir, cfg.policy = bench, 500*time.Millisecond, t.TempDir(), harness.IsolateDUT
	cfg.storePath = filepath.Join(t.TempDir(), "station.db")
	cfg.db = url
	if out := string(runBurnIn(t, cfg)); !strings.Contains(out, "central database: replicating to ") || strings.Contains(out, ":scpikit@") {
		t.Errorf("the output should name the database without its password:\n%s", out)
	}

	store, err := results.Open(cfg.storePath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	runs, err := store.Runs(ctx, results.Filter{})
	if err != nil || len(runs) != 1 {
		t.Fatalf("the stored runs: %+v, %v", runs, err)
	}
	local, err := store.Events(ctx, runs[0].ID, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	backlog, _ := store.Backlog()
	if backlog != 0 {
		t.Errorf("%d events still wait in the outbox after the program ended", backlog)
	}
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var central int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM events WHERE run_id = $1", runs[0].ID).Scan(&central); err != nil {
		t.Fatal(err)
	}
	if central != len(local) {
		t.Errorf("the central database has %d events of run %s, the station store %d", central, runs[0].ID, len(local))
	}
}

// runBurnIn runs the burn-in in process, wants exit status 0, and returns
// what it printed.
func runBurnIn(t *testing.T, cfg config) []byte {
	t.Helper()
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	code := burnIn(context.Background(), cfg, zerolog.Nop(), out)
	b, _ := os.ReadFile(out.Name())
	if code != 0 {
		t.Fatalf("exit %d, want 0:\n%s", code, b)
	}
	return b
}
