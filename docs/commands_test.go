// Package docs_test runs the shell commands of README.md and docs/*.md, so
// that what a new user types from the docs keeps working: each command
// has an entry in the table below that says how it is exercised, and a
// command in the docs without one (or an entry no doc has any more) fails
// the test.
package docs_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// How a documented command is exercised.
type how struct {
	// skip says why the command cannot run here (real hardware, the
	// network, a placeholder for the reader's own program): it is
	// skipped visibly, as its own subtest.
	skip string
	// ci: the command is the one CI runs (.ci/run must contain it).
	ci bool
	// background: the command serves until stopped; the test waits for
	// its "ready" line and keeps the first resource it prints for the
	// commands after it ($SERVED).
	background bool
	// as replaces the command as written by what runs, when it must be
	// bounded (a benchmark's count, a server's port): say why in a
	// comment. Empty: the command as written.
	as string
	// exit is the status the command must end with.
	exit int
	// want are lines or parts of lines its output must hold.
	want []string
	// inRepo runs it in the repository (go test of a package), not in the
	// scratch directory.
	inRepo bool
}

// Every command of every doc, as written (its comment removed).
var commands = map[string]how{
	// README.md: the two set-up commands.
	"go run ./examples/burnin": {exit: 1, want: []string{"dut-2", "error", "stored: run ", "exit status 1: a DUT did not pass"}},
	"go test -race ./...":      {ci: true},

	// README.md: simulated instruments. Servers in tests listen on port
	// 0 of the loopback: the test adds --listen and uses the resource the
	// server prints where the docs name the default port.
	"go run ./cmd/scpisim serve SAMPLE &": {background: true, as: "scpisim serve --listen 127.0.0.1:0 SAMPLE"},
	"go run ./cmd/scpi query TCPIP0::127.0.0.1::5025::SOCKET '*IDN?' 'VOLT 500 mV;VOLT?'": {
		as: "scpi query $SERVED '*IDN?' 'VOLT 500 mV;VOLT?'", want: []string{"scpikit,SAMPLE", "0.5"}},
	"go run ./cmd/scpisim serve --pty --latency 5ms examples/burnin/bench.yaml": {
		background: true, as: "scpisim serve --listen 127.0.0.1:0 --pty --latency 5ms examples/burnin/bench.yaml"},
	"SCPIKIT_SIM=examples/burnin/bench.yaml ./my-test-program": {skip: "the reader's own program"},

	// README.md: the command line, against a simulated E36312A.
	"go install ./cmd/scpi ./cmd/scpisim": {inRepo: true},
	"scpisim serve E36312A &":             {background: true, as: "scpisim serve --listen 127.0.0.1:0 E36312A"},
	"scpi query TCPIP0::127.0.0.1::5025::SOCKET '*IDN?'": {
		as: "scpi query $SERVED '*IDN?'", want: []string{"Keysight Technologies,E36312A"}},
	"scpi write --check TCPIP0::127.0.0.1::5025::SOCKET 'VOLT 5,(@1)' 'OUTP ON,(@1)'": {
		as: "scpi write --check $SERVED 'VOLT 5,(@1)' 'OUTP ON,(@1)'"},
	"scpi query --trace --timeout 10s TCPIP0::127.0.0.1::5025::SOCKET 'MEAS:VOLT? (@1)'": {
		as: "scpi query --trace --timeout 10s $SERVED 'MEAS:VOLT? (@1)'", want: []string{"MEAS:VOLT? (@1)", "+5.0"}},
	"scpi query --block readings.bin SIM::34465A::INSTR 'FORM REAL,64;:SAMP:COUN 10;:INIT;:R?'": {},
	"scpi shell SIM::DP832::INSTR": {as: "printf '*IDN?\\nVOLT 5\\nVOLT?\\n' | scpi shell SIM::DP832::INSTR",
		want: []string{"RIGOL TECHNOLOGIES,DP832", "5.000"}},
	"scpi shell ASRL/dev/ttyUSB0::INSTR": {skip: "a real instrument on a serial port"},
	"scpi list --idn":                    {skip: "broadcasts to the network (VXI-11, mDNS): tests send only to the loopback"},

	// docs/getting-started.md
	"git clone https://github.com/scpikit/scpikit && cd scpikit": {skip: "fetches from the network"},
	"go mod edit -replace github.com/scpikit/scpikit=../scpikit": {skip: "edits the reader's own module"},
	"go get github.com/scpikit/scpikit":                          {skip: "in the reader's own module, after the replace above"},

	// docs/go-test.md
	"go test ./examples/gotest/ -v": {inRepo: true, want: []string{"--- PASS: TestBurnIn/dut-1", "ok "}},
	"SCPIKIT_GOTEST_FAULT=dut-2 go test ./examples/gotest/": {inRepo: true, exit: 1,
		want: []string{"--- FAIL: TestBurnIn/dut-2", "FAIL"}},
	// SCPIKIT_REPORTS=reports would write into examples/gotest/ of the
	// repository: a directory of the test's instead, and the paths printed
	// are absolute.
	"SCPIKIT_REPORTS=reports go test ./examples/gotest/": {inRepo: true, as: "SCPIKIT_REPORTS=$SCRATCH/reports go test -count=1 -v ./examples/gotest/",
		want: []string{"hwtest: reports:", "$SCRATCH/reports/"}},
	"SCPIKIT_HARDWARE=1 go test ./examples/gotest/": {skip: "the real instruments"},

	// docs/harness.md
	// A benchmark's run, shortened: one iteration, once.
	"go test ./harness -run '^$' -bench 'BenchmarkFaultToOutputOff' -count 6": {inRepo: true,
		as: "go test ./harness -run '^$' -bench 'BenchmarkFaultToOutputOff$' -benchtime 10x -count 1", want: []string{"p99-µs", "ok "}},

	"go test ./harness -run '^$' -bench 'BenchmarkMeasurement' -benchtime 200x -count 8": {inRepo: true,
		as: "go test ./harness -run '^$' -bench 'BenchmarkMeasurement/duts-8$' -benchtime 1x -count 1", want: []string{"measure/read", "ok "}},
	"go test ./harness -run '^$' -bench 'BenchmarkMeasurement' -benchtime 400x -count 8": {inRepo: true,
		as: "go test ./harness -run '^$' -bench 'BenchmarkMeasurement/duts-1$' -benchtime 1x -count 1", want: []string{"measure/read", "ok "}},
	"go test ./harness -run '^$' -bench 'BenchmarkSeriesSamples' -benchtime 1000000x -count 6": {inRepo: true,
		as: "go test ./harness -run '^$' -bench 'BenchmarkSeriesSamples' -benchtime 100x -count 1", want: []string{"kept-B/sample", "ok "}},
	"go test ./harness -run '^$' -bench 'BenchmarkHTMLReport' -benchtime 2x -count 8": {inRepo: true,
		as: "go test ./harness -run '^$' -bench 'BenchmarkHTMLReport' -benchtime 1x -count 1", want: []string{"html-ns/measurement", "ok "}},

	// docs/session.md: the speed benchmarks, shortened to one small case,
	// one iteration, once.
	"go test ./scpi -run '^$' -bench 'BenchmarkReplySize|BenchmarkQueryBlockVsRaw|BenchmarkFreshMemory' -benchtime 1s -count 8": {inRepo: true,
		as: "go test ./scpi -run '^$' -bench 'BenchmarkReplySize/text/1KiB$|BenchmarkFreshMemory/text/100KiB$' -benchtime 1x -count 1", want: []string{"session/raw-cold", "session/raw", "ok "}},
	"go test ./scpi -run '^$' -bench 'BenchmarkSharedSession|BenchmarkCancellableContext' -benchtime 50x -count 8 -cpu 2,1": {inRepo: true,
		as:   "go test ./scpi -run '^$' -bench 'BenchmarkSharedSession/goroutines-8$|BenchmarkCancellableContext/instant$' -benchtime 1x -count 1",
		want: []string{"shared/one", "cancellable/background", "extra-allocs/call", "ok "}},

	// docs/simulator.md and docs/links/vxi11.md: shortened likewise (the
	// liblxi comparison skips, saying why, where lxi or root is missing).
	"go test ./sim -run '^$' -bench 'BenchmarkInProcessQuery|BenchmarkTCPServer|BenchmarkIdleInstrumentMemory' -benchtime 0.3s -count 8": {inRepo: true,
		as: "go test ./sim -run '^$' -bench 'BenchmarkInProcessQuery/\\*IDN|BenchmarkIdleInstrumentMemory' -benchtime 1x -count 1", want: []string{"x-loopback", "bytes/instrument", "ok "}},
	"go test ./sim -run '^$' -bench 'BenchmarkLargeMessage' -benchtime 2x -count 8": {inRepo: true,
		as: "go test ./sim -run '^$' -bench 'BenchmarkLargeMessage' -benchtime 1x -count 1", want: []string{"largest/smallest", "ok "}},
	"go test ./scpi -run '^$' -bench 'BenchmarkLink' -benchtime 0.5s -count 8": {inRepo: true,
		as: "go test ./scpi -run '^$' -bench 'BenchmarkLinkQuery/hislip$' -benchtime 1x -count 1", want: []string{"x-socket", "ok "}},
	"go test ./transport/vxi11 -run '^$' -bench 'BenchmarkIDNVsLiblxi' -benchtime 2x -count 8": {inRepo: true,
		as: "go test ./transport/vxi11 -run '^$' -bench 'BenchmarkIDNVsLiblxi' -benchtime 1x -count 1", want: []string{"ok "}},

	// docs/analytics.md: the store the burn-in above wrote (its supply
	// voltage is measured over a hundred times: enough for a Cpk).
	"go run ./cmd/station yield --since 24h":            {want: []string{"yield (since ", "units first tested in it"}},
	"go run ./cmd/station pareto --csv":                 {want: []string{"name,failed_units,tested_units,failures,share,cumulative"}},
	"go run ./cmd/station cpk 'supply voltage' --json":  {want: []string{`"name": "supply voltage"`, `"enough": true`, `"cpk": `}},
	"go run ./cmd/station durations --units --every 20": {want: []string{"durations of DUTs (all results), in groups of 20", "P90", " ms"}},
	"station durations --since 168h --part PCB-7":       {skip: "the reader's own part and a week of runs: cmd/station's TestDurations runs the same flags"},
	"station durations --units --every 50 --csv":        {skip: "the reader's own runs: cmd/station's TestDurations runs the same flags"},
	"station durations --tz Europe/Berlin --json":       {skip: "the reader's own runs: cmd/station's TestDurations runs the same flags"},
	"station yield --db postgres://scpikit@db.example/scpikit --part PCB-7 --since 2026-12-01": {
		skip: "the reader's own central database: the golden test runs the same on PostgreSQL"},

	// docs/results.md: the store the burn-in above wrote.
	"go run ./cmd/station runs":                                       {want: []string{"burn-in", "SN24-0012"}},
	"go run ./cmd/station runs --since 24h --serial SN24-0012 --json": {want: []string{`"name": "burn-in"`}},
	"go run ./cmd/station show last":                                  {want: []string{"run ", "dut-2", "safe state: 6 of 6 actions verified"}},
	"go run ./cmd/station report last --dir reports":                  {want: []string{".json", ".xml", ".html"}},
	"go run ./cmd/station export --csv > measurements.csv":            {},
	// The load benchmark, for one second instead of thirty.
	"go test -run '^$' -bench BenchmarkStationLoad -benchtime 1x ./results": {inRepo: true,
		as: "SCPIKIT_LOAD_SECONDS=1 go test -run '^$' -bench BenchmarkStationLoad -benchtime 1x ./results", want: []string{"commit-p50/fsync-p50", "ok "}},

	// docs/fleet.md: a PostgreSQL server is not there for the docs test;
	// the same steps run in .ci/run and the tests (internal/pgtest).
	"apt-get install -y postgresql":                         {skip: "installs a package as root"},
	"pg_ctlcluster --skip-systemctl-redirect 15 main start": {skip: "starts a PostgreSQL server as root"},
	`runuser -u postgres -- psql -c "CREATE ROLE scpikit LOGIN CREATEDB PASSWORD 'scpikit'" -c "CREATE DATABASE scpikit OWNER scpikit"`: {skip: "needs a PostgreSQL server"},
	"SCPIKIT_DB='postgres://scpikit:scpikit@127.0.0.1:5432/scpikit?sslmode=disable' go run ./cmd/station sync --station line-3":         {skip: "needs a PostgreSQL server"},
	"SCPIKIT_DB='postgres://scpikit:scpikit@127.0.0.1:5432/scpikit?sslmode=disable' go run ./cmd/station serve --station line-3":        {skip: "needs a PostgreSQL server"},
	"SCPIKIT_DB='postgres://scpikit:scpikit@127.0.0.1:5432/scpikit?sslmode=disable' go run ./cmd/station sync --retry-parked":           {skip: "needs a PostgreSQL server; cmd/station's TestSyncRetryParked runs it"},
	"SCPIKIT_DB='postgres://scpikit:scpikit@127.0.0.1:5432/scpikit?sslmode=disable' go run ./cmd/station serve --fleet":                 {skip: "needs a PostgreSQL server; cmd/station's TestServeFleet runs it"},
	// The fleet page's tests (they skip without SCPIKIT_TEST_POSTGRES or
	// chromium), its picture written to the scratch directory.
	"go test ./station -run 'TestFleet'": {inRepo: true, want: []string{"ok "}},
	"SCPIKIT_SCREENSHOTS=docs/station go test ./station -run TestFleetPageLive": {inRepo: true,
		as: "SCPIKIT_SCREENSHOTS=$SCRATCH/shots go test -count=1 ./station -run TestFleetPageLive", want: []string{"ok "}},
	"go run ./cmd/station sync --forget 'postgres://scpikit:xxxxx@old-db.example:5432/scpikit'": {skip: "the reader's own retired database: cmd/station's TestSyncForget runs the same"},
	"go run ./cmd/station status": {want: []string{"store ", "replication: never replicated"}},
	"SCPIKIT_TEST_POSTGRES='postgres://scpikit:scpikit@127.0.0.1:5432/scpikit?sslmode=disable' SCPIKIT_TEST_POSTGRES_CLUSTER='15 main' go test ./results -run 'TestFleetUnderFaults' -v": {skip: "stops a PostgreSQL cluster; go test runs it in CI"},
	"go test ./results -run '^$' -bench 'BenchmarkIngest|BenchmarkCommitLatencyWhileReplicating' -benchtime 3x":                                                                          {skip: "needs SCPIKIT_TEST_POSTGRES; without it the benchmarks skip"},

	// docs/station.md: the page on a free loopback port, in the background;
	// the burn-in serving its own page; the API of the first.
	"go run ./cmd/station serve": {background: true, as: "station serve --listen 127.0.0.1:0"},
	"go run ./examples/burnin -serve 127.0.0.1:8080": {as: "burnin -serve 127.0.0.1:0", exit: 1,
		want: []string{"station page: http://127.0.0.1:", "exit status 1: a DUT did not pass"}},
	"go run ./cmd/station serve --listen 0.0.0.0:8080 --allow-remote": {skip: "listens beyond loopback: tests listen on loopback only"},
	"curl -s 'http://127.0.0.1:8080/api/yield?since=today'": {as: "curl -s '$SERVEDapi/yield?since=today'",
		want: []string{`"first_pass":{"units":`}},
	// The page's benchmark, one pair of short runs.
	"go test -run '^$' -bench BenchmarkPageAttached -benchtime 3x ./station": {inRepo: true,
		as: "SCPIKIT_PAGE_SECONDS=0.5 go test -run '^$' -bench BenchmarkPageAttached -benchtime 1x ./station", want: []string{"samples/s-page/alone", "ok "}},
	"curl -sN -H 'Last-Event-ID: 01KBP8S7ZK3Q4M1V0Y9J5T6WXA/42' http://127.0.0.1:8080/events": {skip: "streams until interrupted"},

	// docs/station-page.md: the page's browser tests (they skip without
	// chromium), its screenshots written to the scratch directory instead
	// of the repository's docs, and its benchmark, shortened.
	"go test ./station -run 'TestPage|TestLive'": {inRepo: true, want: []string{"ok "}},
	"SCPIKIT_SCREENSHOTS=docs/station go test ./station -run TestLiveEightSlots": {inRepo: true,
		as: "SCPIKIT_SCREENSHOTS=$SCRATCH/shots go test -count=1 ./station -run TestLiveEightSlots", want: []string{"ok "}},
	"go test ./station -run '^$' -bench BenchmarkPageRedraw64DUTs -benchtime 10x": {inRepo: true,
		as: "go test ./station -run '^$' -bench BenchmarkPageRedraw64DUTs -benchtime 2x", want: []string{"ok "}},
	"go test ./station -run '^$' -bench BenchmarkMeasurementToPage -benchtime 1x": {inRepo: true, want: []string{"ok "}},

	// docs/simulator.md
	"go run ./cmd/scpisim models": {want: []string{"DP832", "E36312A", "34465A", "SAMPLE"}},
	// It serves until Ctrl-C: in the background here, stopped at the end.
	"go run ./cmd/scpisim serve SAMPLE":        {background: true, as: "scpisim serve --listen 127.0.0.1:0 SAMPLE"},
	"SCPIKIT_SIM=bench.yaml ./my-test-program": {skip: "the reader's own program"},
}

// The binaries the docs run with go run or install, built once.
var binaries = map[string]string{
	"scpi":       "./cmd/scpi",
	"scpisim":    "./cmd/scpisim",
	"station":    "./cmd/station",
	"burnin":     "./examples/burnin",
	"quickstart": "./examples/quickstart",
}

type documented struct {
	file string
	line int
	cmd  string
}

var fence = regexp.MustCompile("^```(sh|bash|shell)\\s*$")

// docCommands are the commands of the shell blocks of README.md and
// docs/**/*.md, their comments removed.
func docCommands(t *testing.T, root string) []documented {
	t.Helper()
	files := []string{filepath.Join(root, "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []documented
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		in := false
		for i, line := range strings.Split(string(b), "\n") {
			switch {
			case !in && fence.MatchString(line):
				in = true
			case in && strings.HasPrefix(line, "```"):
				in = false
			case in:
				if cmd := stripComment(line); cmd != "" {
					rel, _ := filepath.Rel(root, f)
					out = append(out, documented{rel, i + 1, cmd})
				}
			}
		}
	}
	return out
}

// stripComment removes a trailing "# comment" (a # after a space, outside
// quotes) and collapses the spaces.
func stripComment(line string) string {
	quote := byte(0)
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '#' && (i == 0 || line[i-1] == ' '):
			return strings.Join(strings.Fields(line[:i]), " ")
		}
	}
	return strings.Join(strings.Fields(line), " ")
}

func TestDocumentedCommands(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the documented commands are for a POSIX shell")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not found")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	docs := docCommands(t, root)
	seen := map[string]bool{}
	for _, d := range docs {
		seen[d.cmd] = true
		if _, ok := commands[d.cmd]; !ok {
			t.Errorf("%s:%d: %q is not in docs/commands_test.go: say how it is exercised", d.file, d.line, d.cmd)
		}
	}
	for cmd := range commands {
		if !seen[cmd] {
			t.Errorf("docs/commands_test.go has %q, which no doc has any more", cmd)
		}
	}
	if t.Failed() {
		return
	}

	// A scratch directory that sees the repository's example files, a
	// store of its own, and the binaries on its PATH.
	scratch := t.TempDir()
	bin := filepath.Join(scratch, "bin")
	for name, pkg := range binaries {
		build := exec.Command("go", "build", "-o", filepath.Join(bin, name), pkg)
		build.Dir = root
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	if err := os.Symlink(filepath.Join(root, "examples"), filepath.Join(scratch, "examples")); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SCPIKIT_STORE="+filepath.Join(scratch, "station.db"),
		"GOBIN="+bin,
		"SCRATCH="+scratch,
		"SCPIKIT_SIM=", "SCPIKIT_HARDWARE=", "SCPIKIT_REPORTS=")
	served := ""
	var servers []*exec.Cmd
	var wg sync.WaitGroup
	defer func() {
		for _, s := range servers {
			s.Process.Signal(os.Interrupt)
		}
		wg.Wait()
	}()
	for _, d := range docs {
		h := commands[d.cmd]
		t.Run(d.file+":"+d.cmd, func(t *testing.T) {
			switch {
			case h.skip != "":
				t.Skipf("not run here: %s", h.skip)
			case h.ci:
				ci, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
				if err != nil || !strings.Contains(string(ci), "\n"+d.cmd+"\n") {
					t.Errorf(".ci/run does not run %q", d.cmd)
				}
				return
			}
			line := d.cmd
			if h.as != "" {
				line = h.as
			}
			line = goRun(line)
			line = strings.ReplaceAll(line, "$SERVED", served)
			if h.background {
				// Run directly, not through bash, so that the interrupt
				// at the end reaches the server itself.
				args := strings.Fields(line)
				cmd := exec.Command(filepath.Join(bin, args[0]), args[1:]...)
				cmd.Env, cmd.Dir = env, scratch
				dieWithTest(cmd)
				res, err := serve(cmd, &wg)
				if cmd.Process != nil {
					servers = append(servers, cmd)
				}
				if err != nil {
					t.Fatalf("%s: %v", line, err)
				}
				served = res
				return
			}
			// Bounded, so a command that hangs fails the test instead of
			// blocking it until go test's own -timeout.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bash, "-c", line)
			cmd.Env, cmd.Dir = env, scratch
			if h.inRepo {
				cmd.Dir = root
			}
			out, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			if code != h.exit {
				t.Errorf("%s: exit %d, want %d:\n%s", line, code, h.exit, out)
			}
			for _, w := range h.want {
				w = strings.ReplaceAll(w, "$SCRATCH", scratch)
				if !bytes.Contains(out, []byte(w)) {
					t.Errorf("%s: the output lacks %q:\n%s", line, w, out)
				}
			}
		})
	}
}

// goRun runs the binaries built for the test where the docs say go run.
func goRun(line string) string {
	for name, pkg := range binaries {
		line = strings.ReplaceAll(line, "go run "+pkg+" ", name+" ")
		if strings.HasSuffix(line, "go run "+pkg) {
			line = strings.TrimSuffix(line, "go run "+pkg) + name
		}
	}
	return line
}

var resource = regexp.MustCompile(`TCPIP0::127\.0\.0\.1::\d+::SOCKET|http://127\.0\.0\.1:\d+/`)

// serve starts a server and waits for its "ready" line; it returns the
// first resource it printed. The server is stopped at the end of the test.
func serve(cmd *exec.Cmd, wg *sync.WaitGroup) (string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", err
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return "", err
	}
	wg.Add(1)
	lines := bufio.NewScanner(out)
	first := ""
	var printed []string
	for lines.Scan() {
		printed = append(printed, lines.Text())
		if m := resource.FindString(lines.Text()); m != "" && first == "" {
			first = m
		}
		if lines.Text() == "ready" {
			go func() {
				defer wg.Done()
				io.Copy(io.Discard, out)
				cmd.Wait()
			}()
			if first == "" {
				return "", fmt.Errorf("no resource printed: %q", printed)
			}
			return first, nil
		}
	}
	wg.Done()
	cmd.Wait()
	return "", fmt.Errorf("ended before it was ready: %q", printed)
}
