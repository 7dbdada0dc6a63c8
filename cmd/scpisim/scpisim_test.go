package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
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
	cmd   *exec.Cmd
	lines []string // one per instrument: name model resource [pty resource]
	out   *bufio.Reader
}

func start(t *testing.T, args ...string) *served {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	for {
		line, err := s.out.ReadString('\n')
		if err != nil {
			t.Fatalf("scpisim ended before it was ready: %v", err)
		}
		line = strings.TrimSpace(line)
		if line == "ready" {
			return s
		}
		s.lines = append(s.lines, line)
	}
}

func (s *served) field(i, f int) string { return strings.Fields(s.lines[i])[f] }

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
	res := s.field(0, 2)
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

func TestServeBenchWithFaults(t *testing.T) {
	s := start(t, "--latency", "30ms", "--at", "1h:hang", "../../sim/testdata/bench.yaml")
	if len(s.lines) != 2 || !strings.Contains(s.lines[1], "(bench: TCPIP0::10.0.0.5::5025::SOCKET)") {
		t.Fatalf("served %q", s.lines)
	}
	sess, err := scpi.Open(context.Background(), s.field(1, 2), scpi.WithTimeout(5*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	if _, err := sess.Query(context.Background(), "*IDN?"); err == nil {
		t.Fatal("the --latency flag did not delay the reply")
	}
	s.stop(t)
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
	runPyVISA(t, python, s.field(0, 2))
	s.stop(t)
}

func TestPyVISAOverPTY(t *testing.T) {
	python := requirePyVISA(t)
	s := start(t, "--pty", "SAMPLE")
	res := s.field(0, 3)
	if !strings.HasPrefix(res, "ASRL/dev/pts/") {
		t.Fatalf("no pty resource in %q", s.lines[0])
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

// vxi11Resource is the VXI-11 resource on an instrument's line.
func (s *served) vxi11Resource(t *testing.T, i int) string {
	for _, f := range strings.Fields(s.lines[i]) {
		if strings.HasSuffix(f, "::inst0::INSTR") {
			return f
		}
	}
	t.Fatalf("no VXI-11 resource in %q", s.lines[i])
	return ""
}

func TestPyVISAOverVXI11(t *testing.T) {
	python := requirePyVISA(t)
	requirePort111(t)
	s := start(t, "--vxi11", "--portmapper", "127.0.0.1:111", "SAMPLE")
	runPyVISA(t, python, s.vxi11Resource(t, 0))
	s.stop(t)
}

// lxi-tools (liblxi, libtirpc) over VXI-11 and the raw socket.
func TestLXIToolsOverVXI11AndSocket(t *testing.T) {
	lxi := requireTool(t, "lxi", "lxi-tools")
	requirePort111(t)
	s := start(t, "--vxi11", "--portmapper", "127.0.0.1:111", "SAMPLE")
	socketPort := strings.Split(s.field(0, 2), "::")[2]
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
	s := start(t, "--vxi11", "--hislip", "--pty", "--announce", "127.0.0.1:0", "SAMPLE")
	if len(s.lines) != 2 || !strings.HasPrefix(s.lines[1], "announcing 3 services on 127.0.0.1:") {
		t.Fatalf("served %q", s.lines)
	}
	look, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	found, err := discover.MDNS(look, []string{strings.Fields(s.lines[1])[4]}, nil)
	if err != nil || len(found) != 3 {
		t.Fatalf("mDNS found %+v, %v; want the socket, VXI-11 and HiSLIP services", found, err)
	}
	fields := strings.Fields(s.lines[0])
	var resources []string
	pmPort := 0
	for _, f := range fields[2:] {
		if p, ok := strings.CutPrefix(f, "portmapper="); ok {
			pmPort, _ = strconv.Atoi(p)
			continue
		}
		resources = append(resources, f)
	}
	if len(resources) != 4 || pmPort == 0 {
		t.Fatalf("served %q", s.lines[0])
	}
	for _, res := range resources {
		sess, err := scpi.Open(context.Background(), res, scpi.WithTransportOptions(transport.WithPortmapperPort(pmPort)))
		if err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		id, err := sess.QueryIDN(context.Background())
		sess.Close()
		if err != nil || id.Model != "SAMPLE" {
			t.Fatalf("%s: %+v %v", res, id, err)
		}
	}
	s.stop(t)
}

func TestServePrologix(t *testing.T) {
	s := start(t, "--prologix", "127.0.0.1:0", "../../sim/testdata/bench.yaml")
	last := strings.Fields(s.lines[len(s.lines)-1])
	if last[0] != "prologix" || len(last) != 2+len(s.lines)-1 {
		t.Fatalf("served %q", s.lines)
	}
	for _, f := range last[2:] {
		res, name, _ := strings.Cut(f, "=")
		sess, err := scpi.Open(context.Background(), res, scpi.WithTransportOptions(transport.WithGPIBAdapter(last[1])))
		if err != nil {
			t.Fatalf("%s (%s): %v", res, name, err)
		}
		_, err = sess.QueryIDN(context.Background())
		sess.Close()
		if err != nil {
			t.Fatalf("%s (%s): %v", res, name, err)
		}
	}
	s.stop(t)
}

// PyVISA's out-of-band VXI-11 calls: device_readstb, device_clear,
// device_trigger, device_lock/unlock between two of its sessions.
func TestPyVISAOutOfBandOverVXI11(t *testing.T) {
	python := requirePyVISA(t)
	requirePort111(t)
	s := start(t, "--vxi11", "--portmapper", "127.0.0.1:111", "SAMPLE")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, "testdata/pyvisa_vxi11_oob.py", s.vxi11Resource(t, 0)).CombinedOutput()
	if err != nil {
		t.Fatalf("PyVISA: %v\n%s", err, out)
	}
	want := []string{"stb-with-reply 16", "stb-after-clear 0", "after-trigger 1", "locked refused", "unlocked SAMPLE"}
	if diff := cmp.Diff(want, strings.Split(strings.TrimSpace(string(out)), "\n")); diff != "" {
		t.Fatalf("PyVISA out-of-band calls (-want +got):\n%s", diff)
	}
	s.stop(t)
}
