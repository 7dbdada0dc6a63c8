package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/discover"
	"go.uber.org/goleak"
)

var binary string // scpisim, built once for the tests

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scpisim-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "scpisim")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("building scpisim: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			panic(err)
		}
	}
	os.Exit(code)
}

// served is a running scpisim process.
type served struct {
	cmd    *exec.Cmd
	lines  []string // what it printed before "ready": resource strings
	out    *bufio.Reader
	stderr strings.Builder // its log, complete once it has exited
}

func launch(t *testing.T, args ...string) *served {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, out: bufio.NewReader(stdout)}
	cmd.Stderr = &s.stderr // a pipe, as in a CI log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return s
}

// start runs scpisim serve and reads the lines it prints up to "ready".
func start(t *testing.T, args ...string) *served {
	t.Helper()
	s := launch(t, args...)
	for {
		line, err := s.out.ReadString('\n')
		if err != nil {
			t.Fatalf("scpisim ended before it was ready: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "ready" {
			return s
		}
		s.lines = append(s.lines, line)
	}
}

// startJSON runs scpisim serve --json and decodes the object it prints.
func startJSON(t *testing.T, args ...string) (*served, servedJSON) {
	t.Helper()
	s := launch(t, append([]string{"--json"}, args...)...)
	line, err := s.out.ReadString('\n')
	if err != nil {
		t.Fatalf("scpisim ended before it was ready: %v", err)
	}
	var got servedJSON
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("--json printed %q: %v", line, err)
	}
	return s, got
}

// link returns the resources of one link, in the order served.
func (j servedJSON) link(name string) []servedResource {
	var out []servedResource
	for _, r := range j.Resources {
		if r.Link == name {
			out = append(out, r)
		}
	}
	return out
}

// stopJSON stops a --json server: nothing more on stdout, exit 0.
func (s *served) stopJSON(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(s.out)
	if err := s.cmd.Wait(); err != nil || len(rest) != 0 {
		t.Fatalf("scpisim exit: %v, then stdout %q", err, rest)
	}
}

// stop sends SIGINT and checks the clean shutdown.
func (s *served) stop(t *testing.T) {
	t.Helper()
	s.cmd.Process.Signal(syscall.SIGINT)
	rest, _ := io.ReadAll(s.out)
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("scpisim exit: %v", err)
	}
	if !strings.Contains(string(rest), "stopped") {
		t.Fatalf("no clean shutdown: %q", rest)
	}
}

func TestServeModelAndStopCleanly(t *testing.T) {
	s := start(t, "SAMPLE")
	res := s.lines[0]
	sess, err := scpi.Open(context.Background(), res)
	if err != nil {
		t.Fatal(err)
	}
	id, err := sess.QueryIDN(context.Background())
	sess.Close()
	if err != nil || id.Model != "SAMPLE" {
		t.Fatalf("%+v %v", id, err)
	}
	s.stop(t)
}

// In a pipe (a CI log) the server's log is plain lines, no colour or other
// escape sequences, each stamped to the millisecond (issue 18, items 1-2).
func TestServeLogIsPlainInAPipe(t *testing.T) {
	s := start(t, "SAMPLE")
	sess, err := scpi.Open(context.Background(), s.lines[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.QueryIDN(context.Background()); err != nil {
		t.Fatal(err)
	}
	sess.Close()
	s.stop(t)
	log := s.stderr.String()
	if !strings.Contains(log, "client connected") || !strings.Contains(log, "shutting down") {
		t.Fatalf("the log lacks the connection or the shutdown:\n%s", log)
	}
	if strings.ContainsRune(log, '\x1b') {
		t.Errorf("escape sequences in a pipe: %q", log)
	}
	// Log lines (level INF, WRN...), not the lines that list what is served.
	stamp := regexp.MustCompile(`^\d\d:\d\d:\d\d\.\d{3} [A-Z]{3} `)
	logged := 0
	for line := range strings.Lines(log) {
		if strings.HasPrefix(line, "scpisim: ") {
			continue
		}
		logged++
		if !stamp.MatchString(line) {
			t.Errorf("a log line without a time to the millisecond: %q", line)
		}
	}
	if logged < 2 {
		t.Errorf("want at least the connection and the shutdown logged:\n%s", log)
	}
}

func TestServeBenchWithFaults(t *testing.T) {
	s, j := startJSON(t, "--latency", "30ms", "--at", "1h:hang", "../../sim/testdata/bench.yaml")
	i := slices.IndexFunc(j.Resources, func(r servedResource) bool { return r.Name == "source" })
	if len(j.Resources) != 2 || i < 0 || !slices.Equal(j.Resources[i].Bench, []string{"TCPIP0::10.0.0.5::5025::SOCKET"}) {
		t.Fatalf("served %+v", j)
	}
	sess, err := scpi.Open(context.Background(), j.Resources[i].Resource, scpi.WithTimeout(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Query(context.Background(), "*IDN?"); err == nil {
		t.Fatal("the --latency flag did not delay the reply")
	}
	s.stopJSON(t)
}

// The plain output is resource strings, one a line, then "ready", whatever
// the instruments are named: a pyvisa-sim device may be named "bench
// supply 1", and every served resource opens (issue 18, item 9).
func TestServePrintsOneResourcePerLine(t *testing.T) {
	s := start(t, "--pty", "--hislip", "testdata/spaced-names.yaml")
	if len(s.lines) != 3 {
		t.Fatalf("want the socket, pty and HiSLIP resources, one a line:\n%s", strings.Join(s.lines, "\n"))
	}
	for _, line := range s.lines {
		r, err := transport.ParseResource(line)
		if err != nil || r.String() == "" {
			t.Fatalf("line %q is not a resource string: %v", line, err)
		}
		sess, err := scpi.Open(context.Background(), line)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		id, err := sess.Query(context.Background(), "*IDN?")
		sess.Close()
		if err != nil || id != "Acme,Bench Supply,7,1.0" {
			t.Fatalf("%s: %q, %v", line, id, err)
		}
	}
	s.stop(t)
}

// --json: one object naming each resource's instrument, model, link and
// address, the VXI-11 portmapper, the bench resources and the Prologix
// adapter, from which each resource opens.
func TestServeJSON(t *testing.T) {
	s, j := startJSON(t, "--vxi11", "--prologix", "127.0.0.1:0", "testdata/spaced-names.yaml")
	if len(j.Resources) != 3 {
		t.Fatalf("served %+v", j)
	}
	name, model := "TCPIP0::10.0.0.9::5025::SOCKET", "pyvisa-sim:bench supply 1"
	bench := []string{name}
	sock, vxi, gpib := j.link("socket"), j.link("vxi11"), j.link("prologix")
	if len(sock) != 1 || len(vxi) != 1 || len(gpib) != 1 {
		t.Fatalf("served %+v", j)
	}
	want := []servedResource{
		{Name: name, Model: model, Link: "socket", Resource: "TCPIP0::" + strings.ReplaceAll(sock[0].Address, ":", "::") + "::SOCKET", Address: sock[0].Address, Bench: bench},
		{Name: name, Model: model, Link: "vxi11", Resource: "TCPIP0::127.0.0.1::inst0::INSTR", Address: vxi[0].Address, Portmapper: vxi[0].Portmapper, Bench: bench},
		{Name: name, Model: model, Link: "prologix", Resource: "GPIB0::1::INSTR", Address: gpib[0].Address, Adapter: "TCPIP0::" + strings.ReplaceAll(gpib[0].Address, ":", "::") + "::SOCKET", Bench: bench},
	}
	if diff := cmp.Diff(want, j.Resources); diff != "" {
		t.Fatalf("--json (-want +got):\n%s", diff)
	}
	_, pm, _ := strings.Cut(vxi[0].Portmapper, "127.0.0.1:")
	pmPort, _ := strconv.Atoi(pm)
	for _, r := range j.Resources {
		sess, err := scpi.Open(context.Background(), r.Resource,
			scpi.WithTransportOptions(transport.WithPortmapperPort(pmPort), transport.WithGPIBAdapter(gpib[0].Adapter)))
		if err != nil {
			t.Fatalf("%s: %v", r.Resource, err)
		}
		id, err := sess.Query(context.Background(), "*IDN?")
		sess.Close()
		if err != nil || id != "Acme,Bench Supply,7,1.0" {
			t.Fatalf("%s: %q, %v", r.Resource, id, err)
		}
	}
	s.stopJSON(t)
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"frob"}, {"serve"}, {"serve", "--drop", "x", "SAMPLE"}, {"serve", "--at", "soon:hang", "SAMPLE"}, {"serve", "--at", "1s:explode", "SAMPLE"}} {
		var out, errb strings.Builder
		if code := run(context.Background(), args, &out, &errb); code != 2 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
	var out, errb strings.Builder
	if code := run(context.Background(), []string{"serve", "NOSUCHMODEL"}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "SAMPLE") {
		t.Errorf("unknown model: %d %q", code, errb.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"models"}, &out, &errb); code != 0 || !strings.Contains(out.String(), "SAMPLE") {
		t.Errorf("models: %d %q", code, out.String())
	}
}

// requirePyVISA skips without Debian's PyVISA and pyvisa-py, unless the
// environment (CI, through .ci/run) says they must be there.
func requirePyVISA(t *testing.T) string {
	const python = "/usr/bin/python3"
	err := exec.Command(python, "-c", "import pyvisa, pyvisa_py, serial").Run()
	if err == nil {
		return python
	}
	msg := "PyVISA interop needs Debian's python3-pyvisa, python3-pyvisa-py and python3-serial (apt-get install -y python3-pyvisa-py python3-serial): " + err.Error()
	if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

var wantPyVISA = []string{
	"idn scpikit,SAMPLE,SIM000001,1.0",
	"ascii [2.5, 0.0]",
	"binary-le 16 1.0000",
	"binary-be 16 1.0000",
	"block-roundtrip [0, 10, 13, 59, 255]",
	`error -222,"Data out of range"`,
}

func runPyVISA(t *testing.T, python, resource string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "testdata/pyvisa_client.py", resource).CombinedOutput()
	if err != nil {
		t.Fatalf("PyVISA against %s: %v\n%s", resource, err, out)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	if diff := cmp.Diff(wantPyVISA, got); diff != "" {
		t.Fatalf("PyVISA against %s (-want +got):\n%s", resource, diff)
	}
}

func TestPyVISAOverTCPSocket(t *testing.T) {
	python := requirePyVISA(t)
	s := start(t, "SAMPLE")
	runPyVISA(t, python, s.lines[0])
	s.stop(t)
}

func TestPyVISAOverPTY(t *testing.T) {
	python := requirePyVISA(t)
	s := start(t, "--pty", "SAMPLE")
	res := s.lines[1]
	if !strings.HasPrefix(res, "ASRL/dev/pts/") {
		t.Fatalf("no pty resource in %q", s.lines)
	}
	runPyVISA(t, python, res)
	s.stop(t)
}

// requireTool skips without a command-line tool, unless the environment
// (CI, through .ci/run) says it must be there.
func requireTool(t *testing.T, name, pkg string) string {
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " is missing (apt-get install -y " + pkg + ")"
	if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// requirePort111 skips unless this process may serve the standard
// portmapper port, which PyVISA-py and lxi-tools always ask: root (CI is)
// and nothing else on it.
func requirePort111(t *testing.T) {
	if os.Geteuid() != 0 {
		msg := "VXI-11 interop needs the portmapper on port 111, which needs root"
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" && os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// vxi11Resource is the VXI-11 resource among the lines.
func (s *served) vxi11Resource(t *testing.T) string {
	for _, l := range s.lines {
		if strings.HasSuffix(l, "::inst0::INSTR") {
			return l
		}
	}
	t.Fatalf("no VXI-11 resource in %q", s.lines)
	return ""
}

func TestPyVISAOverVXI11(t *testing.T) {
	python := requirePyVISA(t)
	requirePort111(t)
	s := start(t, "--vxi11", "--portmapper", "127.0.0.1:111", "SAMPLE")
	runPyVISA(t, python, s.vxi11Resource(t))
	s.stop(t)
}

// lxi-tools (liblxi, libtirpc) over VXI-11 and the raw socket.
func TestLXIToolsOverVXI11AndSocket(t *testing.T) {
	lxi := requireTool(t, "lxi", "lxi-tools")
	requirePort111(t)
	s := start(t, "--vxi11", "--portmapper", "127.0.0.1:111", "SAMPLE")
	socketPort := strings.Split(s.lines[0], "::")[2]
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, lxi, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("lxi %q: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	var got []string
	got = append(got, run("scpi", "-a", "127.0.0.1", "*IDN?"))
	run("scpi", "-a", "127.0.0.1", "VOLT 1.25")
	got = append(got, run("scpi", "-a", "127.0.0.1", "VOLT?"))
	got = append(got, run("scpi", "-a", "127.0.0.1", "-r", "-p", socketPort, "*IDN?"))
	got = append(got, run("scpi", "-a", "127.0.0.1", "-r", "-p", socketPort, "VOLT?"))
	want := []string{"scpikit,SAMPLE,SIM000001,1.0", "1.25", "scpikit,SAMPLE,SIM000001,1.0", "1.25"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("lxi scpi (-want +got):\n%s", diff)
	}
	s.stop(t)
}

// Our own clients reach every server scpisim starts.
func TestServeEveryLink(t *testing.T) {
	s, j := startJSON(t, "--vxi11", "--hislip", "--pty", "--announce", "127.0.0.1:0", "SAMPLE")
	if len(j.Resources) != 4 || j.Announce == "" {
		t.Fatalf("served %+v", j)
	}
	look, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	found, err := discover.MDNS(look, []string{j.Announce}, nil)
	if err != nil || len(found) != 3 {
		t.Fatalf("mDNS found %+v, %v; want the socket, VXI-11 and HiSLIP services", found, err)
	}
	_, pm, _ := strings.Cut(j.link("vxi11")[0].Portmapper, "127.0.0.1:")
	pmPort, _ := strconv.Atoi(pm)
	for _, r := range j.Resources {
		if r.Name != "SAMPLE" || r.Model != "SAMPLE" || r.Address == "" {
			t.Errorf("%+v", r)
		}
		sess, err := scpi.Open(context.Background(), r.Resource, scpi.WithTransportOptions(transport.WithPortmapperPort(pmPort)))
		if err != nil {
			t.Fatalf("%s: %v", r.Resource, err)
		}
		id, err := sess.QueryIDN(context.Background())
		sess.Close()
		if err != nil || id.Model != "SAMPLE" {
			t.Fatalf("%s: %+v %v", r.Resource, id, err)
		}
	}
	s.stopJSON(t)
}

func TestServePrologix(t *testing.T) {
	s, j := startJSON(t, "--prologix", "127.0.0.1:0", "../../sim/testdata/bench.yaml")
	gpib := j.link("prologix")
	if len(gpib) != 2 {
		t.Fatalf("served %+v", j)
	}
	for _, r := range gpib {
		sess, err := scpi.Open(context.Background(), r.Resource, scpi.WithTransportOptions(transport.WithGPIBAdapter(r.Adapter)))
		if err != nil {
			t.Fatalf("%s (%s): %v", r.Resource, r.Name, err)
		}
		_, err = sess.QueryIDN(context.Background())
		sess.Close()
		if err != nil {
			t.Fatalf("%s (%s): %v", r.Resource, r.Name, err)
		}
	}
	// slow-source's bench resource GPIB0::7 puts it at 7.
	if gpib[1].Resource != "GPIB0::7::INSTR" && gpib[0].Resource != "GPIB0::7::INSTR" {
		t.Errorf("no instrument at its bench's GPIB address 7: %+v", gpib)
	}
	s.stopJSON(t)
}

// PyVISA's out-of-band VXI-11 calls: device_readstb, device_clear,
// device_trigger, device_lock/unlock between two of its sessions.
func TestPyVISAOutOfBandOverVXI11(t *testing.T) {
	python := requirePyVISA(t)
	requirePort111(t)
	s := start(t, "--vxi11", "--portmapper", "127.0.0.1:111", "SAMPLE")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "testdata/pyvisa_vxi11_oob.py", s.vxi11Resource(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("PyVISA: %v\n%s", err, out)
	}
	want := []string{"stb-with-reply 16", "stb-after-clear 0", "after-trigger 1", "locked refused", "unlocked SAMPLE"}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(string(out)), "\n")); diff != "" {
		t.Fatalf("PyVISA out-of-band calls (-want +got):\n%s", diff)
	}
	s.stop(t)
}

// scpisim serve -h and --help print the usage on stdout and exit 0, as
// scpisim help does (and scpi does), not "flag: help requested", 2.
func TestServeHelp(t *testing.T) {
	for _, help := range []string{"-h", "--help"} {
		var out, errb strings.Builder
		code := run(context.Background(), []string{"serve", help}, &out, &errb)
		if code != 0 || out.String() != usage || errb.String() != "" {
			t.Errorf("serve %s: exit %d, stdout starting %.40q, stderr %q; want 0 and the usage", help, code, out.String(), errb.String())
		}
	}
}

// A bench file is known by its extension in any case: bench.YAML is a
// file to load, not a model's name.
func TestBenchFileExtensionAnyCase(t *testing.T) {
	b, err := os.ReadFile("testdata/spaced-names.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want, err := instruments("testdata/spaced-names.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"bench.YAML", "bench.Yml"} {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := instruments(path)
		if err != nil || len(got) != len(want) {
			t.Errorf("%s: %d instruments, %v; want the bench's %d", name, len(got), err, len(want))
		}
	}
}
