package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// binary is the scpi command, built once for the tests that drive it
// through a pseudo-terminal (pty_test.go): Ctrl-C must reach it as a
// terminal's signal, which needs a process of its own.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scpi-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "scpi")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		panic("building scpi: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// instrument is a small loopback instrument with an error queue.
func instrument(t *testing.T) string {
	var mu sync.Mutex
	var queue []string
	block := string(scpi.AppendBlock(nil, []byte("bin\ndata")))
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		switch line {
		case "*IDN?":
			return "Acme,Model1,SN1,1.0", true
		case "MEAS:VOLT?":
			return "+5.0E+00", true
		case "CURV?":
			return block, true
		case "EVIL?":
			return evilReply, true
		case "BIG?":
			return bigBlock, true
		case "LIE?": // the header claims 999,999,999 bytes; five follow
			return "#9999999999hello", true
		case "HANG?":
			return "", false
		case "SYST:ERR?":
			if len(queue) == 0 {
				return `+0,"No error"`, true
			}
			e := queue[0]
			queue = queue[1:]
			return e, true
		case "VOLT 5":
			return "", false
		}
		queue = append(queue, `-113,"Undefined header"`)
		return "", false
	}))
	return "TCPIP0::127.0.0.1::" + strconv.Itoa(srv.Port()) + "::SOCKET"
}

// evilReply is what a hostile instrument answers: it would clear the
// screen, set the window title and ring the bell.
const evilReply = "\x1b[2J\x1b]0;pwned\x07ok\xff"

// bigBlock is a 2 MiB binary block.
var bigBlock = string(scpi.AppendBlock(nil, bytes.Repeat([]byte{0, 1, '\n', 0x1b}, 512<<10)))

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestQueryPrintsReplies(t *testing.T) {
	res := instrument(t)
	code, out, errs := runCLI("query", res, "*IDN?", "MEAS:VOLT?")
	if code != exitOK || out != "Acme,Model1,SN1,1.0\n+5.0E+00\n" || errs != "" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
}

// A command without a ? is written, not waited on, whichever verb sends
// it; a query is read, whichever verb sends it, so no reply is left for
// the next command.
func TestSettingsAreNotWaitedOn(t *testing.T) {
	res := instrument(t)
	code, out, errs := runCLI("query", "--timeout", "10s", res, "VOLT 5", "MEAS:VOLT?")
	if code != exitOK || out != "+5.0E+00\n" || errs != "" {
		t.Fatalf("query with a setting: code %d, stdout %q, stderr %q", code, out, errs)
	}
	code, out, errs = runCLI("write", "--timeout", "10s", res, "VOLT 5", "*IDN?", "MEAS:VOLT?")
	if code != exitOK || out != "Acme,Model1,SN1,1.0\n+5.0E+00\n" || errs != "" {
		t.Fatalf("write with queries: code %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestWriteAndCheck(t *testing.T) {
	res := instrument(t)
	if code, _, errs := runCLI("write", "--check", res, "VOLT 5"); code != exitOK {
		t.Fatalf("good write: code %d, %s", code, errs)
	}
	code, _, errs := runCLI("write", "--check", res, "VOLT:BOGUS 5")
	if code != exitInstrument || !strings.Contains(errs, "-113") {
		t.Fatalf("bad write: code %d, stderr %q", code, errs)
	}
}

func TestTrace(t *testing.T) {
	res := instrument(t)
	code, _, errs := runCLI("query", "--trace", res, "*IDN?")
	if code != exitOK || !strings.Contains(errs, `-> "*IDN?\n"`) || !strings.Contains(errs, `<- "Acme,Model1,SN1,1.0"`) {
		t.Fatalf("code %d, stderr:\n%s", code, errs)
	}
}

func TestTimeoutExitCode(t *testing.T) {
	res := instrument(t)
	code, _, errs := runCLI("query", "--timeout", "30ms", res, "HANG?")
	if code != exitTimeout || !strings.Contains(errs, "timeout") {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
}

// --check after a query that timed out reads the error queue (briefly)
// and says what it held: an instrument that rejects a query does not
// answer it, and the timeout alone does not say why.
func TestCheckAfterATimeoutShowsTheQueue(t *testing.T) {
	res := instrument(t)
	code, _, errs := runCLI("query", "--check", "--timeout", "300ms", res, "BOGUS?")
	if code != exitTimeout || !strings.Contains(errs, "timeout") ||
		!strings.Contains(errs, `"BOGUS?" timed out: -113, "Undefined header"`) {
		t.Fatalf("exit %d, stderr %q; want %d, the timeout and the -113 the queue held", code, errs, exitTimeout)
	}
	// Without --check the queue is not read.
	code, _, errs = runCLI("query", "--timeout", "300ms", res, "BOGUS?")
	if code != exitTimeout || strings.Contains(errs, "-113") {
		t.Fatalf("without --check: exit %d, stderr %q", code, errs)
	}
}

func TestBlockToFile(t *testing.T) {
	res := instrument(t)
	path := filepath.Join(t.TempDir(), "curve.bin")
	if code, _, errs := runCLI("query", "--block", path, res, "CURV?"); code != exitOK {
		t.Fatalf("code %d: %s", code, errs)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "bin\ndata" {
		t.Fatalf("file holds %q, %v", got, err)
	}
	code, out, _ := runCLI("query", "--block", "-", res, "CURV?")
	if code != exitOK || out != "bin\ndata" {
		t.Fatalf("stdout block: %d %q", code, out)
	}
}

func TestUsageAndOpenErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"query"}, {"query", "TCPIP::h::1::SOCKET"}, {"query", "--nope", "x", "y"},
		{"write", "--block", "f", "r", "c"}, {"query", "--timeout", "0s", "r", "c"},
	} {
		if code, _, errs := runCLI(args...); code != exitUsage || !strings.Contains(errs, "usage") && !strings.Contains(errs, "--") {
			t.Errorf("%q: code %d, stderr %q", args, code, errs)
		}
	}
	code, _, errs := runCLI("query", "TCPIP::host::port::SOCKET", "*IDN?")
	if code != exitOpen || !strings.Contains(errs, `port "port"`) {
		t.Errorf("bad resource: %d %q", code, errs)
	}
	code, _, errs = runCLI("query", "USB0::1::2::SN::INSTR", "*IDN?")
	if code != exitOpen || !strings.Contains(errs, "usbtmc: no such device") {
		t.Errorf("absent USB instrument: %d %q", code, errs)
	}
	if code, _, _ := runCLI("help"); code != exitOK {
		t.Errorf("help: %d", code)
	}
}

// -h and --help after a verb ask for the usage: it is printed alone, no
// error line, and the status is 0, as for scpi help.
func TestHelpFlagAfterAVerb(t *testing.T) {
	for _, verb := range []string{"query", "write", "list", "shell"} {
		for _, help := range []string{"--help", "-h"} {
			code, out, errs := runCLI(verb, help)
			if code != exitOK || out != "" || errs != usage {
				first, _, _ := strings.Cut(errs, "\n")
				t.Errorf("scpi %s %s: exit %d, stdout %q, stderr starting %q; want 0 and the usage alone on stderr",
					verb, help, code, out, first)
			}
		}
	}
}

// Issue 16, item 3: an instrument's bytes reach the terminal escaped, as
// %q shows them, unless --raw asks for them as they came.
func TestRepliesAreEscapedUnlessRaw(t *testing.T) {
	res := instrument(t)
	code, out, errs := runCLI("query", res, "EVIL?", "*IDN?")
	if want := strconv.Quote(evilReply) + "\nAcme,Model1,SN1,1.0\n"; code != exitOK || out != want {
		t.Fatalf("code %d, stdout %q (want %q), stderr %q", code, out, want, errs)
	}
	code, out, errs = runCLI("query", "--raw", res, "EVIL?")
	if code != exitOK || out != evilReply+"\n" {
		t.Fatalf("--raw: code %d, stdout %q, stderr %q", code, out, errs)
	}
	_, out, _ = shellScript(t, res, "EVIL?\n")
	if !strings.Contains(out, strconv.Quote(evilReply)) || strings.ContainsRune(out, 0x1b) {
		t.Fatalf("shell: %q", out)
	}
	_, out, _ = shellScript(t, res, "EVIL?\n", "--raw")
	if !strings.Contains(out, evilReply) {
		t.Fatalf("shell --raw: %q", out)
	}
}

func TestPrintable(t *testing.T) {
	got := map[string]string{}
	for _, in := range []string{"+5.0E+00", `+0,"No error"`, "C:\\DATA", "10 µA, 5 Ω", "a\tb", "\x1b[31m", "\x9b2J", "\u202eevil", "bad\xffutf8", ""} {
		got[in] = printable(in)
	}
	want := map[string]string{
		"+5.0E+00": "+5.0E+00", `+0,"No error"`: `+0,"No error"`, "C:\\DATA": "C:\\DATA", "10 µA, 5 Ω": "10 µA, 5 Ω",
		"a\tb": `"a\tb"`, "\x1b[31m": `"\x1b[31m"`, "\x9b2J": `"\x9b2J"`, "\u202eevil": `"\u202eevil"`,
		"bad\xffutf8": `"bad\xffutf8"`, "": "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
}

// Issue 16, item 3: --block FILE honours a size cap. A block beyond it is
// refused and leaves no file (nor a partial one); the session stays in
// step for the next command.
func TestBlockFileHonoursTheCap(t *testing.T) {
	res := instrument(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "big.bin")
	code, _, errs := runCLI("query", "--block", path, "--max-block", "1M", res, "BIG?")
	if code != exitFailure || !strings.Contains(errs, "--max-block") {
		t.Fatalf("over the cap: code %d, stderr %q", code, errs)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
		t.Fatalf("over the cap, the directory holds %v (%v); want nothing", entries, err)
	}
	code, out, errs := runCLI("query", "--block", "-", "--max-block", "1M", res, "BIG?")
	if code != exitFailure || len(out) > 1<<20 {
		t.Fatalf("over the cap to stdout: code %d, %d bytes out, stderr %q", code, len(out), errs)
	}
	if code, _, errs := runCLI("query", "--block", path, "--max-block", "2M", res, "BIG?"); code != exitOK {
		t.Fatalf("within the cap: code %d, %s", code, errs)
	}
	want, _, _ := scpi.ParseBlock([]byte(bigBlock))
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("file holds %d bytes (want %d), %v", len(got), len(want), err)
	}
	// A lying header is refused from the header, with the default cap,
	// before anything is written or waited for.
	lie := filepath.Join(dir, "lie.bin")
	code, _, errs = runCLI("query", "--timeout", "30s", "--block", lie, res, "LIE?")
	if code != exitFailure || !strings.Contains(errs, "999999999") {
		t.Fatalf("lying header: code %d, stderr %q", code, errs)
	}
	if _, err := os.Stat(lie); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("lying header left a file: %v", err)
	}
	code, _, errs = runCLI("query", "--max-block", "lots", res, "BIG?")
	if code != exitUsage || !strings.Contains(errs, "--max-block") {
		t.Fatalf("bad --max-block: code %d, stderr %q", code, errs)
	}
}

// A flag after the resource is not a flag to Go's flag package, which
// stops at the first non-flag: it would be sent to the instrument as SCPI
// and the status would be 0. No SCPI message starts with '-': it is a
// usage error that names it and says where flags go.
func TestFlagAfterTheResourceIsAUsageError(t *testing.T) {
	res := instrument(t)
	for _, args := range [][]string{
		{"query", res, "*IDN?", "--check"},
		{"query", res, "*IDN?", "--timeout", "1s"},
		{"write", "--trace", res, "VOLT 5", "-check"},
		{"query", "--", res, "--raw"},
	} {
		code, out, errs := runCLI(args...)
		var flag string
		for _, a := range args[1:] {
			if strings.HasPrefix(a, "-") && a != "--" && a != "--trace" {
				flag = a
				break
			}
		}
		if code != exitUsage || out != "" || !strings.Contains(errs, strconv.Quote(flag)) || !strings.Contains(errs, "before") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d naming %q and saying flags go before the resource",
				args, code, out, errs, exitUsage, flag)
		}
	}
	code, out, errs := shellScript(t, "--check", "*IDN?\n", res)
	if code != exitUsage || out != "" || !strings.Contains(errs, `"--check"`) || !strings.Contains(errs, "before") {
		t.Errorf("shell RES --check: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = shellScript(t, "--raw", "*IDN?\n", res)
	if code != exitUsage || !strings.Contains(errs, `"--raw"`) {
		t.Errorf("shell RES --raw: exit %d, stderr %q", code, errs)
	}
}

// --block FILE replaces only a regular file (or none), through a rename:
// a symbolic link keeps pointing where it did and its target gets the
// block; a FIFO (or /dev/null, /dev/stdout) is written through, not
// replaced. A replaced file keeps its mode; a new one gets 0666 less the
// umask, as os.Create gives. An error names FILE, not a hidden file.
func TestBlockFileWritesThroughWhatIsThere(t *testing.T) {
	res := instrument(t)
	dir := t.TempDir()
	block := func(path string) {
		t.Helper()
		if code, _, errs := runCLI("query", "--block", path, res, "CURV?"); code != exitOK {
			t.Fatalf("--block %s: exit %d, %s", path, code, errs)
		}
	}
	holds := func(path, want string) {
		t.Helper()
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s holds %q, %v; want %q", path, got, err, want)
		}
	}

	// A symbolic link to a regular file, with a mode of its own.
	target := filepath.Join(dir, "target.bin")
	if err := os.WriteFile(target, []byte("old"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(target, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.bin")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	block(link)
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", fi.Mode(), err)
	}
	holds(target, "bin\ndata")
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("target.bin's mode is %v (%v), want -rw-r-----", fi.Mode(), err)
	}

	// A FIFO: written through, still a FIFO.
	fifo := filepath.Join(dir, "fifo.bin")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	// The reader's end is open before scpi runs (read and write, so
	// opening does not wait for a writer) and polled: closing it ends
	// its read if the FIFO was replaced and nothing comes.
	r, err := os.OpenFile(fifo, os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	read := make(chan string, 1)
	go func() {
		b := make([]byte, len("bin\ndata"))
		n, _ := io.ReadFull(r, b)
		read <- string(b[:n])
	}()
	block(fifo)
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&fs.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", fi.Mode(), err)
		r.Close()
	}
	if got := <-read; got != "bin\ndata" {
		t.Errorf("the FIFO's reader got %q", got)
	}
	r.Close()

	// A new file: 0666 less the umask.
	old := unix.Umask(0o027)
	defer unix.Umask(old)
	fresh := filepath.Join(dir, "new.bin")
	block(fresh)
	holds(fresh, "bin\ndata")
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("a new file's mode is %v (%v) under umask 027, want -rw-r-----", fi.Mode(), err)
	}
	unix.Umask(old)

	// A folder that is not there: the error names FILE.
	missing := filepath.Join(dir, "nosuch", "curve.bin")
	code, _, errs := runCLI("query", "--block", missing, res, "CURV?")
	if code != exitFailure || !strings.Contains(errs, missing) || strings.Contains(errs, ".part") {
		t.Errorf("--block into a missing folder: exit %d, stderr %q; want FILE named, no temporary file", code, errs)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 4 {
		t.Errorf("the folder holds %v; want target.bin, link.bin, fifo.bin, new.bin", entries)
	}
}

// A VXI-11 instrument whose portmapper is not on port 111 (scpisim's) is
// opened with --portmapper PORT, by query and shell; without it the error
// says so.
func TestPortmapperFlag(t *testing.T) {
	v, err := sim.ServeVXI11("127.0.0.1:0", sim.MustNew("DP832"), sim.VXI11Options{Portmapper: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	res, port := v.Resource(), strconv.Itoa(v.PortmapperPort())
	code, out, errs := runCLI("query", "--portmapper", port, res, "*IDN?")
	if code != exitOK || !strings.Contains(out, "DP832") {
		t.Fatalf("query --portmapper %s %s: exit %d, stdout %q, stderr %q", port, res, code, out, errs)
	}
	code, out, errs = shellScript(t, res, "*IDN?\n", "--portmapper", port)
	if code != exitOK || !strings.Contains(out, "DP832") {
		t.Fatalf("shell --portmapper %s %s: exit %d, stdout %q, stderr %q", port, res, code, out, errs)
	}
	// Without it, port 111 is asked, and nothing is there: the error says
	// what to do. (Asked at 127.0.0.2: cmd/scpisim's interop tests, which
	// go test ./... may run at the same time, serve a portmapper on
	// 127.0.0.1:111.)
	res = strings.Replace(res, "127.0.0.1", "127.0.0.2", 1)
	code, _, errs = runCLI("query", "--timeout", "2s", res, "*IDN?")
	if code != exitOpen || !strings.Contains(errs, "--portmapper PORT") {
		t.Errorf("query without --portmapper: exit %d, stderr %q", code, errs)
	}
	code, _, errs = shellScript(t, res, "*IDN?\n", "--timeout", "2s")
	if code != exitOpen || !strings.Contains(errs, "--portmapper PORT") {
		t.Errorf("shell without --portmapper: exit %d, stderr %q", code, errs)
	}
	if code, _, errs := runCLI("query", "--portmapper", "70000", res, "*IDN?"); code != exitUsage {
		t.Errorf("--portmapper 70000: exit %d, stderr %q", code, errs)
	}
}
