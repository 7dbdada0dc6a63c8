package hwtest_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/harness/hwtest"
	"github.com/scpikit/scpikit/internal/pgtest"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
	"go.uber.org/goleak"
)

// The supply the inner tests drive: 24 Ω on each output, 0.5 A at 12 V.
const benchYAML = `
instruments:
  psu: {model: DP832, resource: "TCPIP0::psu.example::5555::SOCKET"}
wiring:
  - {supply: psu, channel: 1, resistor: 24}
  - {supply: psu, channel: 2, resistor: 24}
`

var (
	buildOnce sync.Once
	innerBin  string
	buildErr  error
)

// innerTest builds the inner test binary once for the package's tests.
func innerTest(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hwtest-inner")
		if err != nil {
			buildErr = err
			return
		}
		innerBin = filepath.Join(dir, "inner.test")
		out, err := exec.Command("go", "test", "-c", "-o", innerBin, "./testdata/inner").CombinedOutput()
		if err != nil {
			buildErr = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("building the inner test: %v", buildErr)
	}
	return innerBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	if innerBin != "" {
		os.RemoveAll(filepath.Dir(innerBin))
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// station is a simulated supply served over TCP, as real hardware would
// be, so it outlives the inner test's process.
type station struct {
	bench    *sim.Bench
	resource string
}

func newStation(t *testing.T) *station {
	t.Helper()
	b, err := sim.ParseBench([]byte(benchYAML), ".")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	in, _ := b.Named("psu")
	srv, err := sim.ServeTCP("", in, sim.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &station{bench: b, resource: srv.Resource()}
}

// outputs reads both outputs back from the simulated supply.
func (s *station) outputs(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	sess, err := scpi.Open(ctx, "TCPIP0::psu.example::5555::SOCKET", scpi.WithTransportOptions(s.bench.TransportOption()))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	r, err := sess.Query(ctx, ":OUTP? CH1;:OUTP? CH2")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *station) command(t *testing.T, scenario string, args ...string) *exec.Cmd {
	cmd := exec.Command(innerTest(t), append([]string{"-test.v"}, args...)...)
	cmd.Env = append(os.Environ(), "HWTEST_SUPPLY="+s.resource, "HWTEST_SCENARIO="+scenario,
		hwtestEnvHardware+"=1", sim.EnvBench+"=")
	return cmd
}

const hwtestEnvHardware = "SCPIKIT_HARDWARE"

// run runs the inner test to its end and returns its output and exit code.
func (s *station) run(t *testing.T, scenario string, args ...string) (string, int) {
	t.Helper()
	out, err := s.command(t, scenario, args...).CombinedOutput()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

// runFailing runs the inner test, which must fail (exit 1), and returns
// its output.
func (s *station) runFailing(t *testing.T, scenario string, args ...string) string {
	t.Helper()
	out, code := s.run(t, scenario, args...)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	return out
}

// requireOff checks that both outputs ended off.
func (s *station) requireOff(t *testing.T, after string) {
	t.Helper()
	if got := s.outputs(t); got != "OFF;OFF" {
		t.Errorf("outputs after %s: %s", after, got)
	}
}

func mustContain(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func TestPass(t *testing.T) {
	s := newStation(t)
	reports := t.TempDir()
	storePath := filepath.Join(t.TempDir(), "station.db")
	cmd := s.command(t, "pass")
	cmd.Env = append(cmd.Env, "SCPIKIT_REPORTS="+reports, results.EnvStore+"="+storePath)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	mustContain(t, string(out), "--- PASS: TestBench/dut-1/current", "--- PASS: TestBench/dut-2/current", "hwtest: reports:",
		"stored: run ")
	// SCPIKIT_STORE kept the run, every measurement in it.
	store, err := results.Open(storePath)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	runs, err := store.Runs(context.Background(), results.Filter{})
	if err != nil || len(runs) != 1 || runs[0].Name != "TestBench" || runs[0].Outcome != "pass" {
		t.Fatalf("stored runs: %+v, %v", runs, err)
	}
	stored, err := store.Record(context.Background(), runs[0].ID)
	if err != nil || len(stored.Measurements()) != 2 {
		t.Fatalf("the stored record: %v", err)
	}
	s.requireOff(t, "the test")
	var kinds []string
	for _, ext := range []string{"*.json", "*.xml", "*.html"} {
		m, _ := filepath.Glob(filepath.Join(reports, ext))
		kinds = append(kinds, strings.Repeat("x", len(m)))
	}
	if diff := cmp.Diff([]string{"x", "x", "x"}, kinds); diff != "" {
		t.Errorf("one report of each kind for the package (-want +got):\n%s", diff)
	}
	js, _ := filepath.Glob(filepath.Join(reports, "*.json"))
	b, _ := os.ReadFile(js[0])
	var rec harness.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	var duts []string
	for _, d := range rec.DUTs {
		duts = append(duts, d.Name+" "+d.Outcome.String())
	}
	if diff := cmp.Diff([]string{"TestBench/dut-1 pass", "TestBench/dut-2 pass"}, duts); diff != "" {
		t.Errorf("DUTs in the report (-want +got):\n%s", diff)
	}
}

// A measurement out of its limits fails the phase's subtest, naming the
// DUT, the value, the unit and the limits; the other DUT passes.
func TestLimitFailure(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "limit")
	mustContain(t, out, "dut-2: current/current = 0.5 A outside its limits [0.6 A, 0.8 A]",
		"--- FAIL: TestBench/dut-2/current", "--- PASS: TestBench/dut-1/current")
	s.requireOff(t, "the test")
}

// go test -failfast: the first failing DUT stops the run, so a DUT that
// would otherwise run on (here, until the -timeout) ends at once.
func TestFailFast(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "failfast", "-test.failfast", "-test.timeout=2m")
	mustContain(t, out, "hwtest: -failfast: TestBench/dut-2 failed", "--- FAIL: TestBench/dut-2/current")
	if strings.Contains(out, "-timeout margin") {
		t.Errorf("dut-1 ran on to the timeout:\n%s", out)
	}
	s.requireOff(t, "the test")
}

// go test -json carries every measurement as an attr event of the subtest
// that took it.
func TestJSONCarriesMeasurements(t *testing.T) {
	s := newStation(t)
	cmd := exec.Command("go", "tool", "test2json", "-p", "inner", innerTest(t), "-test.v=test2json")
	cmd.Env = s.command(t, "pass").Env
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var got []harness.Measurement
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var ev struct{ Action, Test, Key, Value string }
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("%v: %s", err, sc.Text())
		}
		if ev.Action == "attr" && ev.Key == "measurement" {
			var m harness.Measurement
			if err := json.Unmarshal([]byte(ev.Value), &m); err != nil {
				t.Fatal(err)
			}
			if ev.Test != "TestBench/"+m.DUT+"/current" {
				t.Errorf("measurement of %s in the events of %s", m.DUT, ev.Test)
			}
			got = append(got, m)
		}
	}
	if len(got) != 2 {
		t.Fatalf("%d measurement events, want 2:\n%s", len(got), out)
	}
	for _, m := range got {
		if m.Name != "current" || m.Unit != "A" || m.Limit.String() != "[0.2, 0.8]" || m.Value < 0.45 || m.Value > 0.55 {
			t.Errorf("measurement %+v", m)
		}
	}
}

// go test -run selects DUTs and phases.
func TestRunSelects(t *testing.T) {
	s := newStation(t)
	out, code := s.run(t, "pass", "-test.run=TestBench/dut-1/current")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	mustContain(t, out, "--- PASS: TestBench/dut-1/current")
	if strings.Contains(out, "dut-2") {
		t.Errorf("dut-2 ran:\n%s", out)
	}
}

// The DUTs run at once even with -parallel 1 (each waits until the other
// is powered: one at a time, both would wait until the -timeout), the
// test's time is the run's, and hwtest's own lines are attributed to the
// test that called it, not to hwtest.go.
func TestDUTsRunTogether(t *testing.T) {
	s := newStation(t)
	out, code := s.run(t, "together", "-test.parallel=1", "-test.timeout=2m")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	took := func(name string) float64 {
		m := regexp.MustCompile(`--- PASS: ` + regexp.QuoteMeta(name) + ` \(([0-9.]+)s\)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("no PASS line for %s:\n%s", name, out)
		}
		f, _ := strconv.ParseFloat(m[1], 64)
		return f
	}
	test, dut1, dut2 := took("TestBench"), took("TestBench/dut-1"), took("TestBench/dut-2")
	if test < 0.15 || test < dut1 || test < dut2 {
		t.Errorf("TestBench took %.2fs by go test's count, its DUTs %.2fs and %.2fs: the run is not in the test's time\n%s", test, dut1, dut2, out)
	}
	mustContain(t, out, "safe state: ", "(verified, ")
	checkSafeStateDurations(t, out)
	if strings.Contains(out, "hwtest.go:") {
		t.Errorf("a line is attributed to hwtest.go, not to the test:\n%s", out)
	}
	s.requireOff(t, "the test")
}

// A monitor's fault isolates its DUT: its subtest fails with the cause,
// the other DUT passes, and every output ends off.
func TestFault(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "fault")
	mustContain(t, out, "DUT dut-2 stopped", "DUT reports overtemperature", "--- FAIL: TestBench/dut-2 ", "--- PASS: TestBench/dut-1 ")
	s.requireOff(t, "the test")
}

// A panic in a DUT's test fails it, and does not kill the binary before
// the safe state.
func TestPanic(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "panic")
	mustContain(t, out, "panic in DUT dut-2: the fixture fell over", "--- PASS: TestBench/dut-1 ")
	s.requireOff(t, "the test")
}

// A panic in setup, with an output already on, is a fault of the run: the
// test fails with it and the output goes off.
func TestSetupPanic(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "setup-panic")
	mustContain(t, out, "panic: the station file is wrong", "--- FAIL: TestBench ")
	s.requireOff(t, "the test")
}

// t.Fatal called in setup (on the harness's goroutine, not the test's)
// is a fault of the run: the test fails and ends, the output goes off.
func TestSetupFatal(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "setup-fatal")
	mustContain(t, out, "the fixture is not closed", "runtime.Goexit", "--- FAIL: TestBench ")
	s.requireOff(t, "the test")
}

// A DUT declared twice is refused by the harness: its subtest fails at
// once, saying why, and the run ends as soon as the other DUTs have, not
// at the -timeout margin.
func TestDuplicateDUT(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "duplicate", "-test.timeout=2m")
	mustContain(t, out, "hwtest: DUT dut-1 not started: harness: a DUT of this name was already started",
		"--- PASS: TestBench/dut-2 ", "--- FAIL: TestBench ")
	if strings.Contains(out, "-timeout margin") {
		t.Errorf("the refused DUT held the run to the timeout:\n%s", out)
	}
	s.requireOff(t, "the test")
}

// t.Fatal in a monitor's check is that monitor's fault: its DUT is
// isolated and fails, the other passes.
func TestMonitorFatal(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "monitor-fatal")
	mustContain(t, out, "the lid is open", "DUT dut-2 stopped", "runtime.Goexit", "--- FAIL: TestBench/dut-2 ", "--- PASS: TestBench/dut-1 ")
	s.requireOff(t, "the test")
}

// -count runs the whole test again, DUT subtests and safe state included.
func TestCount(t *testing.T) {
	s := newStation(t)
	out, code := s.run(t, "pass", "-test.count=3")
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, dut := range []string{"dut-1", "dut-2"} {
		if n := strings.Count(out, "--- PASS: TestBench/"+dut+"/current "); n != 3 {
			t.Errorf("%s passed %d times, want 3:\n%s", dut, n, out)
		}
	}
	s.requireOff(t, "the test")
}

// A test that would outlast go test -timeout stops ahead of it, so the
// safe state runs before the testing package kills the binary.
func TestTimeout(t *testing.T) {
	s := newStation(t)
	out := s.runFailing(t, "hang", "-test.timeout=6s")
	mustContain(t, out, "stopped at the go test -timeout margin")
	if strings.Contains(out, "panic: test timed out") {
		t.Errorf("the binary was killed by its timeout:\n%s", out)
	}
	s.requireOff(t, "the test")
}

// Ctrl-C stops the run; the outputs still go off. Twice: to the test
// binary alone, and as a terminal sends it, to the process group of a
// go test command (which then waits for its test binary).
func TestSIGINT(t *testing.T) {
	for _, viaGo := range []bool{false, true} {
		name := map[bool]string{false: "binary", true: "go test"}[viaGo]
		t.Run(name, func(t *testing.T) {
			s := newStation(t)
			cmd := s.command(t, "hang")
			if viaGo {
				env := cmd.Env
				cmd = exec.Command("go", "test", "-count=1", "-v", "./testdata/inner")
				cmd.Env = env
			}
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(2 * time.Minute); s.outputs(t) != "ON;ON"; {
				if time.Now().After(deadline) {
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					cmd.Wait()
					t.Fatalf("the DUTs were never powered:\n%s", out.String())
				}
				time.Sleep(20 * time.Millisecond) // polling another process
			}
			syscall.Kill(-cmd.Process.Pid, syscall.SIGINT) // the whole group, as Ctrl-C does
			err := cmd.Wait()
			if err == nil {
				t.Fatalf("the interrupted test passed:\n%s", out.String())
			}
			mustContain(t, out.String(), "interrupt received")
			s.requireOff(t, "SIGINT")
		})
	}
}

// In process (and so under the race detector): two DUTs on a station's
// own simulated bench, measured as subtests; after the run every output
// is off and both measurements are in the record's DUTs.
func TestInProcess(t *testing.T) {
	st := hwtest.NewStation(t, []byte(benchYAML))
	if st.Bench() == nil {
		t.Skip("SCPIKIT_SIM or SCPIKIT_HARDWARE chose another station")
	}
	var measured sync.Map
	t.Cleanup(func() { // runs after Run's cleanup: the safe state has run
		ctx := context.Background()
		sess, err := scpi.Open(ctx, "TCPIP0::psu.example::5555::SOCKET", scpi.WithTransportOptions(st.Bench().TransportOption()))
		if err != nil {
			t.Fatal(err)
		}
		defer sess.Close()
		if got, err := sess.Query(ctx, ":OUTP? CH1;:OUTP? CH2"); err != nil || got != "OFF;OFF" {
			t.Errorf("outputs after the run: %q, %v", got, err)
		}
		for _, dut := range []string{"dut-1", "dut-2"} {
			if v, ok := measured.Load(dut); !ok || v.(float64) < 0.45 || v.(float64) > 0.55 {
				t.Errorf("%s current: %v", dut, v)
			}
		}
	})
	hwtest.Run(t, st, func(r *hwtest.R) error {
		psu, err := r.Supply("TCPIP0::psu.example::5555::SOCKET")
		if err != nil {
			return err
		}
		for ch := 1; ch <= 2; ch++ {
			r.DUT(fmt.Sprintf("dut-%d", ch), func(t *testing.T, d *hwtest.DUT) {
				if err := d.PowerOn(d.Context(), psu, ch, 12*units.Volt, units.Amp); err != nil {
					t.Fatal(err)
				}
				d.Phase("current", func(ctx context.Context) error {
					i, err := psu.MeasureCurrent(ctx, ch)
					if err != nil {
						return err
					}
					measured.Store(d.Name(), float64(i))
					return d.Measure("current", i, harness.Between(0.2, 0.8))
				})
			})
		}
		return nil
	})
}

// checkSafeStateDurations checks that each "safe state: ... (verified, d)"
// line shows the action's real duration with its unit, to four
// significant figures (312.5µs, 1.204ms): a sub-millisecond action
// rounded to the millisecond printed "(verified, 0s)".
func checkSafeStateDurations(t *testing.T, out string) {
	t.Helper()
	lines := regexp.MustCompile(`safe state: .* \(verified, ([^)]*)\)`).FindAllStringSubmatch(out, -1)
	if len(lines) == 0 {
		t.Fatalf("no verified safe state line:\n%s", out)
	}
	for _, m := range lines {
		d, err := time.ParseDuration(m[1])
		if err != nil || d <= 0 || harness.FormatDuration(d) != m[1] {
			t.Errorf("safe state line %q: the duration %q is not a real one with its unit (parsed %v, %v)", m[0], m[1], d, err)
		}
	}
}

// SCPIKIT_REPORTS given relative (as the docs write it) lands under the
// test binary's working directory, and the line hwtest prints names the
// reports by absolute paths that open from anywhere.
func TestReportsRelativePrintedAbsolute(t *testing.T) {
	s := newStation(t)
	dir := t.TempDir()
	cmd := s.command(t, "pass")
	cmd.Dir = dir
	cmd.Env = append(cmd.Env, "SCPIKIT_REPORTS=reports", results.EnvStore+"=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	m := regexp.MustCompile(`(?m)^hwtest: reports: (.*)$`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("no reports line:\n%s", out)
	}
	paths := strings.Fields(m[1])
	if len(paths) != 3 {
		t.Fatalf("reports %q, want JSON, JUnit and HTML", paths)
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) || filepath.Dir(p) != filepath.Join(dir, "reports") {
			t.Errorf("report printed as %q, want an absolute path in %s", p, filepath.Join(dir, "reports"))
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a printed report is not there: %v", err)
		}
	}
	s.requireOff(t, "the test")
}

// With SCPIKIT_DB too, the run reaches the central database by the time
// the test binary exits: every measurement, replicated as it went.
func TestPassReplicatesToTheCentralDatabase(t *testing.T) {
	db := pgtest.New(t)
	s := newStation(t)
	storePath := filepath.Join(t.TempDir(), "station.db")
	cmd := s.command(t, "pass")
	cmd.Env = append(cmd.Env, results.EnvStore+"="+storePath, results.EnvCentral+"="+db)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	central, err := sql.Open("pgx", db)
	if err != nil {
		t.Fatal(err)
	}
	defer central.Close()
	var runs, measurements int
	if err := central.QueryRow("SELECT count(*) FROM runs WHERE name = 'TestBench' AND outcome = 'pass'").Scan(&runs); err != nil {
		t.Fatal(err)
	}
	if err := central.QueryRow("SELECT count(*) FROM measurements").Scan(&measurements); err != nil {
		t.Fatal(err)
	}
	if runs != 1 || measurements != 2 {
		t.Errorf("the central database has %d passed runs and %d measurements, want 1 and 2", runs, measurements)
	}
}

// endSink confirms every event at once and closes ended at run.ended.
type endSink struct {
	mu    sync.Mutex
	end   *harness.RunEnd
	ended chan struct{}
}

func (s *endSink) Emit(e harness.Event) <-chan error {
	if e.Kind == harness.EventRunEnded {
		s.mu.Lock()
		s.end = e.End
		s.mu.Unlock()
		close(s.ended)
	}
	ack := make(chan error, 1)
	ack <- nil
	return ack
}

// A DUT subtest that finishes late (here its cleanup waits for the run's
// end, standing for one the scheduler runs late) is not the run body's
// doing: once its DUT has ended in the harness, nothing of the run waits
// for it. Before, the body held the run open until every subtest had
// returned, so an immediate stop (here a stop without a cause: the run is
// not failed by it) had the harness wait AbandonAfter and then report the
// body, whose setup had returned, as a stuck goroutine.
func TestLateDUTSubtestIsNoStuckBody(t *testing.T) {
	if os.Getenv(results.EnvStore) != "" {
		t.Skip("SCPIKIT_STORE replaces the test's sink")
	}
	st := hwtest.NewStation(t, []byte(benchYAML))
	sink := &endSink{ended: make(chan struct{})}
	hwtest.Run(t, st, func(r *hwtest.R) error {
		r.DUT("dut-1", func(t *testing.T, d *hwtest.DUT) {
			t.Cleanup(func() {
				r.Test().Stop(nil)
				<-sink.ended
			})
		})
		return nil
	}, harness.WithSink(sink))
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if diff := cmp.Diff([]harness.StuckGoroutine(nil), sink.end.Stuck); diff != "" {
		t.Errorf("goroutines reported stuck (-want +got):\n%s", diff)
	}
}
