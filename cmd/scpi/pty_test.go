package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/scpikit/scpikit/internal/testserver"
	"golang.org/x/sys/unix"
)

// ptyShell is `scpi shell` running on a pseudo-terminal, as a person runs
// it: keys go in as a terminal sends them (Ctrl-C as the byte 0x03, which
// the terminal turns into SIGINT while the shell is not reading a line),
// and what it draws comes out.
type ptyShell struct {
	t    *testing.T
	cmd  *exec.Cmd
	tty  *os.File // the terminal's master side
	mu   sync.Mutex
	out  []byte        // everything drawn so far
	seen int           // out[:seen] has been matched by expect
	more chan struct{} // a read added to out (capacity 1)
	done chan struct{} // the reader has ended: the shell closed the terminal
}

// startShell runs `scpi shell ARGS...` on a fresh 100x24 terminal, with
// its history file in a directory of the test's (env may add variables),
// and waits for its first prompt.
func startShell(t *testing.T, env []string, args ...string) *ptyShell {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"shell"}, args...)...)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+t.TempDir(), "TERM=xterm")
	cmd.Env = append(cmd.Env, env...)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	p := &ptyShell{t: t, cmd: cmd, tty: tty, more: make(chan struct{}, 1), done: make(chan struct{})}
	go p.read()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		tty.Close()
		<-p.done
	})
	p.expect(drawn(""))
	return p
}

func (p *ptyShell) read() {
	defer close(p.done)
	b := make([]byte, 4096)
	for {
		n, err := p.tty.Read(b)
		p.mu.Lock()
		p.out = append(p.out, b[:n]...)
		p.mu.Unlock()
		select {
		case p.more <- struct{}{}:
		default:
		}
		if err != nil {
			return // EIO once the shell has exited and closed its side
		}
	}
}

// send types keys.
func (p *ptyShell) send(keys string) {
	p.t.Helper()
	if _, err := p.tty.WriteString(keys); err != nil {
		p.t.Fatal(err)
	}
}

// expect waits until want has been drawn after what earlier expects
// matched, and returns what was drawn up to and including it. It waits on
// the shell's output, with a generous limit so that a shell that never
// draws it fails the test instead of hanging it.
func (p *ptyShell) expect(want string) string {
	p.t.Helper()
	limit := time.NewTimer(20 * time.Second)
	defer limit.Stop()
	for {
		p.mu.Lock()
		i := bytes.Index(p.out[p.seen:], []byte(want))
		if i >= 0 {
			got := string(p.out[p.seen : p.seen+i+len(want)])
			p.seen += i + len(want)
			p.mu.Unlock()
			return got
		}
		p.mu.Unlock()
		select {
		case <-p.more:
		case <-p.done:
			p.mu.Lock()
			defer p.mu.Unlock()
			if !bytes.Contains(p.out[p.seen:], []byte(want)) {
				p.t.Fatalf("the shell ended without drawing %q; it drew:\n%q", want, p.out[p.seen:])
			}
		case <-limit.C:
			p.mu.Lock()
			defer p.mu.Unlock()
			p.t.Fatalf("the shell did not draw %q; it drew:\n%q", want, p.out[p.seen:])
		}
	}
}

// enter presses ENTER on the line as drawn, and returns what the shell
// drew up to its next prompt.
func (p *ptyShell) enter() string {
	p.t.Helper()
	p.send("\r")
	p.expect("\r\n")
	return p.expect(drawn(""))
}

// drawn is the row the line editor draws for line, the cursor at its end:
// the prompt, the line, the rest of the row cleared, the cursor put back.
func drawn(line string) string {
	return fmt.Sprintf("\rscpi> %s\x1b[K\r\x1b[%dC", line, len("scpi> ")+len(line))
}

// roundTrip types line and ENTER and returns how long the shell took to
// draw its next prompt, and what it drew in between.
func (p *ptyShell) roundTrip(line string) (time.Duration, string) {
	p.t.Helper()
	start := time.Now()
	p.send(line + "\r")
	p.expect(drawn(line) + "\r\n")
	got := p.expect(drawn(""))
	return time.Since(start), got
}

// exit waits for the shell to end and returns its exit status.
func (p *ptyShell) exit() int {
	p.t.Helper()
	err := p.cmd.Wait()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	p.t.Fatal(err)
	return -1
}

// After a query that gets no answer, the next line is answered at once:
// the shell gives the lost reply up instead of spending the next line's
// time waiting for it (issue 18, item 5). "At once" is measured against
// the same line's round trip on the same session before the lost query.
func TestShellAnswersAtOnceAfterALostReply(t *testing.T) {
	res := instrument(t)
	const timeout = time.Second
	p := startShell(t, nil, "--timeout", timeout.String(), res)
	var before time.Duration
	for range 3 { // the slowest of three: the first pays for warming up
		d, got := p.roundTrip("*IDN?")
		if !strings.Contains(got, "Acme,Model1,SN1,1.0\r\n") {
			t.Fatalf("*IDN?:\n%q", got)
		}
		before = max(before, d)
	}
	d, got := p.roundTrip("BOGUS?")
	if !strings.Contains(got, "error: ") || !strings.Contains(got, "timeout") {
		t.Fatalf("BOGUS? got no timeout error:\n%q", got)
	}
	if d < timeout {
		t.Fatalf("BOGUS? failed after %v, before its %v timeout:\n%q", d, timeout, got)
	}
	after, got := p.roundTrip("*IDN?")
	if !strings.Contains(got, "Acme,Model1,SN1,1.0\r\n") {
		t.Fatalf("*IDN? after the lost reply:\n%q", got)
	}
	if after > before+100*time.Millisecond {
		t.Errorf("*IDN? after a lost reply took %v, its round trip before was %v: the next line waited for the lost reply", after, before)
	}
	t.Logf("*IDN? round trip %v before, %v after a lost reply", before, after)
	p.send("\x04")
	if code := p.exit(); code != exitOK {
		t.Errorf("Ctrl-D: exit %d", code)
	}
}

// Ctrl-C while a query waits cancels that query, and the shell goes on:
// the next line is answered; the timeout (a minute) is not waited out
// (issue 18, item 7).
func TestShellCtrlCCancelsTheQuery(t *testing.T) {
	hung := make(chan struct{}, 1)
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		switch line {
		case "*IDN?":
			return "Acme,Model1,SN1,1.0", true
		case "SYST:ERR?":
			return `+0,"No error"`, true
		case "HANG?":
			hung <- struct{}{}
		}
		return "", false
	}))
	p := startShell(t, nil, "--timeout", "1m", "TCPIP0::127.0.0.1::"+strconv.Itoa(srv.Port())+"::SOCKET")
	p.send("HANG?\r")
	<-hung // the query is out: the shell waits for its reply, the terminal is not in raw mode
	p.send("\x03")
	got := p.expect(drawn(""))
	if !strings.Contains(got, "interrupted: HANG?") {
		t.Fatalf("Ctrl-C during the query drew:\n%q", got)
	}
	_, got = p.roundTrip("*IDN?")
	if !strings.Contains(got, "Acme,Model1,SN1,1.0\r\n") {
		t.Fatalf("*IDN? after the interrupted query:\n%q", got)
	}
	p.send("\x04")
	if code := p.exit(); code != exitOK {
		t.Errorf("Ctrl-D: exit %d", code)
	}
}

// Ctrl-C at the prompt abandons the line (bash's ^C and a fresh line),
// empty or not, and does not leave; Ctrl-D on an empty line leaves.
func TestShellCtrlCAtThePromptAndCtrlD(t *testing.T) {
	p := startShell(t, nil, "SIM::DP832::INSTR")
	p.send("VOLT")
	p.expect(drawn("VOLT"))
	p.send("\x03")
	p.expect("^C\r\n" + drawn(""))
	p.send("\x03") // at an empty prompt: a new line, a clear one
	p.expect("^C\r\n" + drawn(""))
	// The abandoned VOLT is gone: the line is *IDN? alone.
	if _, got := p.roundTrip("*IDN?"); !strings.Contains(got, "RIGOL TECHNOLOGIES,DP832") {
		t.Fatalf("*IDN?:\n%q", got)
	}
	// Ctrl-D on a line that is not empty deletes under the cursor (the X)
	// and does not leave.
	p.send("*IDN?X\x02\x04\r")
	p.expect(drawn("*IDN?") + "\r\n")
	if got := p.expect(drawn("")); !strings.Contains(got, "RIGOL TECHNOLOGIES,DP832") {
		t.Fatalf("*IDN?X, Ctrl-B, Ctrl-D:\n%q", got)
	}
	p.send("\x04")
	if code := p.exit(); code != exitOK {
		t.Errorf("Ctrl-D: exit %d", code)
	}
}

// Tab completes the shell's commands always and, the instrument being
// simulated, its model's command tree: a unique completion is taken,
// several are listed.
func TestShellTabCompletion(t *testing.T) {
	p := startShell(t, nil, "SIM::DP832::INSTR")
	// A common command, from the model's tree.
	p.send("*ID\t")
	p.expect(drawn("*IDN?"))
	if got := p.enter(); !strings.Contains(got, "RIGOL TECHNOLOGIES,DP832") {
		t.Fatalf("*IDN? completed:\n%q", got)
	}
	// A header, level by level, a numeric suffix typed in between.
	p.send("sour1:vo\t")
	p.expect(drawn("sour1:VOLTage"))
	p.send(" 5\r")
	p.expect(drawn("sour1:VOLTage 5") + "\r\n")
	p.expect(drawn(""))
	if _, got := p.roundTrip("SOUR1:VOLT?"); !strings.Contains(got, "5.000") {
		t.Fatalf("SOUR1:VOLT? after the completed setting:\n%q", got)
	}
	// A shell command.
	p.send(":erro\t")
	p.expect(drawn(":errors"))
	if got := p.enter(); !strings.Contains(got, "no errors") {
		t.Fatalf(":errors completed:\n%q", got)
	}
	// Several: listed under the line, which is drawn again.
	p.send(":t\t")
	got := p.expect("\r\n" + drawn(":t"))
	for _, want := range []string{":timeout", ":trace"} {
		if !strings.Contains(got, want) {
			t.Errorf("Tab after :t listed\n%q\nwithout %s", got, want)
		}
	}
	t.Logf("Tab after :t: %q", got)
	p.send("ra\t") // :tr would still be :trace or the DP832's :TRIGger
	p.expect(drawn(":trace"))
	p.send("\x03sour1:\t") // a header's children, in the manual's notation
	got = p.expect("\r\n" + drawn("sour1:"))
	for _, want := range []string{"VOLTage", "CURRent"} {
		if !strings.Contains(got, want) {
			t.Errorf("Tab after sour1: listed\n%q\nwithout %s", got, want)
		}
	}
	p.send("\x03\x04")
	if code := p.exit(); code != exitOK {
		t.Errorf("exit %d", code)
	}
}

// Ctrl-R searches the history backwards: typing narrows it, Ctrl-R again
// finds an older match, ENTER runs the one found.
func TestShellReverseHistorySearch(t *testing.T) {
	p := startShell(t, nil, "SIM::DP832::INSTR")
	for _, l := range []string{"SOUR1:VOLT 1", "SOUR1:VOLT 2", "*IDN?", "SOUR1:VOLT?"} {
		p.roundTrip(l)
	}
	p.send("\x12volt 1")
	p.expect("(reverse-i-search)`volt 1': SOUR1:VOLT 1")
	p.enter()
	if _, got := p.roundTrip("SOUR1:VOLT?"); !strings.Contains(got, "1.000") {
		t.Fatalf("the line Ctrl-R found did not run:\n%q", got)
	}
	// volt matches SOUR1:VOLT? first, then with Ctrl-R again SOUR1:VOLT 1,
	// then SOUR1:VOLT 2 (newest first; a line already found is skipped).
	p.send("\x12volt")
	p.expect("(reverse-i-search)`volt': SOUR1:VOLT?")
	p.send("\x12")
	p.expect("(reverse-i-search)`volt': SOUR1:VOLT 1")
	p.send("\x12")
	p.expect("(reverse-i-search)`volt': SOUR1:VOLT 2")
	p.send("\x12zzz")
	p.expect("(failed reverse-i-search)`voltzzz'")
	p.send("\x07") // Ctrl-G: give up, the line as it was (empty)
	p.expect(drawn(""))
	p.send("\x04")
	if code := p.exit(); code != exitOK {
		t.Errorf("exit %d", code)
	}
}

// :errors says which line each error followed, although the queue is
// read only when asked (issue 18, item 7).
func TestShellErrorsSayWhichLine(t *testing.T) {
	p := startShell(t, nil, "SIM::DP832::INSTR")
	for _, l := range []string{"SOUR1:VOLT 99", "*IDN?", "BOGUS", "SOUR1:VOLT 1"} {
		p.roundTrip(l)
	}
	_, got := p.roundTrip(":errors")
	for _, want := range []string{
		`scpi: device error -222, "Data out of range" after "SOUR1:VOLT 99"`,
		`scpi: device error -113, "Undefined header" after "BOGUS"`,
	} {
		if !strings.Contains(got, want+"\r\n") {
			t.Errorf(":errors drew\n%q\nwithout %q", got, want)
		}
	}
	if _, got := p.roundTrip(":errors"); !strings.Contains(got, "no errors") {
		t.Errorf("the second :errors:\n%q", got)
	}
	p.send("\x04")
	if code := p.exit(); code != exitOK {
		t.Errorf("exit %d", code)
	}
}

// A script (stdin not a terminal) ends with a status other than 0 when a
// line failed: an error the instrument reported (5), a timeout (4); and
// says the errors :errors did not show.
func TestShellScriptExitStatus(t *testing.T) {
	for _, tc := range []struct {
		script string
		code   int
		out    string
	}{
		{"*IDN?\nSOUR1:VOLT 1\nSOUR1:VOLT?\n", exitOK, "1.000"},
		{"SOUR1:VOLT 99\n*IDN?\n", exitInstrument, `-222, "Data out of range" after "SOUR1:VOLT 99"`},
		{":timeout nope\n*IDN?\n", exitFailure, ":timeout wants a positive duration"},
	} {
		cmd := exec.Command(binary, "shell", "SIM::DP832::INSTR")
		cmd.Stdin = strings.NewReader(tc.script)
		out, err := cmd.CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(string(out), tc.out) {
			t.Errorf("%q: exit %d, want %d; output:\n%s", tc.script, code, tc.code, out)
		}
	}
}

// exitStatus is a finished command's exit status (-1: it did not run).
func exitStatus(err error) int {
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	return -1
}

// waitExit waits for cmd to end by itself and returns its exit status.
// One still running after a generous limit is killed, and fails the test
// instead of hanging it.
func waitExit(t *testing.T, cmd *exec.Cmd, after string) int {
	t.Helper()
	status := make(chan int, 1)
	go func() { status <- exitStatus(cmd.Wait()) }()
	limit := time.NewTimer(20 * time.Second)
	defer limit.Stop()
	select {
	case code := <-status:
		return code
	case <-limit.C:
		cmd.Process.Kill()
		<-status
		t.Fatalf("the shell was still running 20s after %s", after)
		return -1
	}
}

// termios is the terminal's mode, asked of the pseudo-terminal's master
// (which answers for its terminal) without putting it in blocking mode.
func termios(t *testing.T, tty *os.File) *unix.Termios {
	t.Helper()
	rc, err := tty.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var tio *unix.Termios
	if cerr := rc.Control(func(fd uintptr) { tio, err = unix.IoctlGetTermios(int(fd), unix.TCGETS) }); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil {
		t.Fatal(err)
	}
	return tio
}

// SIGTERM (kill, timeout(1)) at an idle prompt ends the shell at once,
// with the status of an interrupted command (1), and leaves the terminal
// in the mode it had, not in the raw mode of the line editor.
func TestShellSIGTERMAtThePrompt(t *testing.T) {
	p := startShell(t, nil, "SIM::DP832::INSTR")
	if tio := termios(t, p.tty); tio.Lflag&unix.ICANON != 0 {
		t.Fatalf("at the prompt the terminal is not in raw mode (lflag %#x)", tio.Lflag)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, p.cmd, "SIGTERM at the prompt"); code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	p.expect("\r\ninterrupted\r\n")
	tio := termios(t, p.tty)
	if tio.Lflag&(unix.ICANON|unix.ECHO|unix.ISIG) != unix.ICANON|unix.ECHO|unix.ISIG ||
		tio.Iflag&unix.ICRNL == 0 || tio.Oflag&unix.OPOST == 0 {
		t.Errorf("the shell left the terminal in raw mode: iflag %#x oflag %#x lflag %#x", tio.Iflag, tio.Oflag, tio.Lflag)
	}
}

// scpi shell RES > replies.txt at a terminal: the file gets the replies
// alone, plain (no prompt, no line editor's escape sequences); errors go
// to stderr; the terminal is left in its own mode, which echoes and edits
// what is typed.
func TestShellStdoutToAFile(t *testing.T) {
	res := instrument(t)
	tty, pts, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	drained := make(chan struct{})
	go func() { // the terminal's echo
		io.Copy(io.Discard, tty)
		close(drained)
	}()
	t.Cleanup(func() {
		tty.Close()
		<-drained
	})
	replies := filepath.Join(t.TempDir(), "replies.txt")
	stdout, err := os.Create(replies)
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(binary, "shell", res)
	cmd.Env = append(os.Environ(), "XDG_STATE_HOME="+t.TempDir(), "TERM=xterm")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true} // the terminal is its own, as a login's
	err = cmd.Start()
	pts.Close()
	stdout.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Typed ahead: the terminal keeps the lines until the shell reads them.
	if _, err := tty.WriteString("*IDN?\rBOGUS\r:timeout nope\r:quit\r"); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, cmd, ":quit"); code != exitOK {
		t.Errorf("exit %d, want %d (a person's session)", code, exitOK)
	}
	got, err := os.ReadFile(replies)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "Acme,Model1,SN1,1.0\n" {
		t.Errorf("replies.txt holds %q; want the reply to *IDN? alone", got)
	}
	for _, want := range []string{`scpi: device error -113, "Undefined header" after "BOGUS"`, ":timeout wants a positive duration"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
}

// On a terminal a wide (CJK) character takes two columns and a combining
// accent none: the cursor is drawn after the line, not inside it.
func TestShellWideCharacters(t *testing.T) {
	p := startShell(t, nil, "SIM::DP832::INSTR")
	p.send(`DISP:TEXT "电压`)
	p.expect("\rscpi> DISP:TEXT \"电压\x1b[K\r\x1b[21C") // 6 + 11 + 2×2
	p.send("e\u0301\"")
	p.expect("\rscpi> DISP:TEXT \"电压e\u0301\"\x1b[K\r\x1b[23C")
	p.send("\x03\x04")
	if code := p.exit(); code != exitOK {
		t.Errorf("exit %d", code)
	}
}
