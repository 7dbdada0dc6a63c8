package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/testserver"
)

// shellScript runs lines through the shell as a piped script and returns
// its exit code, stdout (replies) and stderr (errors, notes, the trace).
func shellScript(t *testing.T, res string, script string, args ...string) (int, string, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		io.WriteString(w, script)
		w.Close()
	}()
	defer r.Close()
	var out, errb bytes.Buffer
	code := runShell(context.Background(), append(args, res), r, &out, &errb)
	return code, out.String(), errb.String()
}

func TestShellScript(t *testing.T) {
	res := instrument(t)
	saved := filepath.Join(t.TempDir(), "curve.bin")
	code, out, errs := shellScript(t, res, strings.Join([]string{
		"*IDN?",
		"",
		"VOLT 5",
		"MEAS:VOLT?",
		":trace on",
		"MEAS:VOLT?",
		":trace off",
		"CURV?",
		":save " + saved,
		"BOGUS",
		":errors",
		":timeout 100ms",
		"HANG?",
		":timeout nope",
		":quit",
		"*IDN?", // after :quit: never sent
	}, "\n"))
	// A script whose lines failed says so in its status: the first failure
	// was BOGUS's error (issue 18, item 7).
	if code != exitInstrument {
		t.Fatalf("exit %d\n%s", code, out)
	}
	// stdout holds the replies, and what the shell's commands were asked
	// for (:errors lists the errors), nothing else: the errors of HANG?
	// and :timeout nope are on stderr, as doc.go says.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	want := []string{
		"Acme,Model1,SN1,1.0",
		"+5.0E+00",
		"+5.0E+00",
		"<block: 8 bytes: 62696e0a64617461> (:save FILE writes it)",
		"8 bytes written to " + saved,
		`scpi: device error -113, "Undefined header" after "BOGUS"`,
		"timeout 100ms",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("stdout (-want +got):\n%s", diff)
	}
	for _, w := range []string{"error: ", "timeout", ":timeout wants a positive duration"} {
		if !strings.Contains(errs, w) {
			t.Errorf("stderr lacks %q:\n%s", w, errs)
		}
	}
	if strings.Count(errs, `-> "MEAS:VOLT?\n"`) != 1 {
		t.Errorf("trace shows other than the one traced exchange:\n%s", errs)
	}
	if b, err := os.ReadFile(saved); err != nil || string(b) != "bin\ndata" {
		t.Errorf("saved block: %q, %v", b, err)
	}
}

// A leading colon is SCPI unless the line is one of the shell's own
// commands: Rigol's manuals write every command so.
func TestShellSendsColonCommands(t *testing.T) {
	code, out, _ := shellScript(t, "SIM::DP832::INSTR", ":SOUR1:VOLT 5\n:SOUR1:VOLT?\n:errors\n")
	if code != exitOK || !strings.Contains(out, "5.000") || !strings.Contains(out, "no errors") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestShellUsage(t *testing.T) {
	for _, args := range [][]string{{}, {"a", "b"}, {"--timeout", "0", "x"}} {
		var errb bytes.Buffer
		if code := runShell(context.Background(), args, nil, io.Discard, &errb); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
	var errb bytes.Buffer
	if code := runShell(context.Background(), []string{"--timeout", "1s", "TCPIP0::127.0.0.1::1::SOCKET"}, nil, io.Discard, &errb); code != exitOpen {
		t.Errorf("unreachable instrument: exit %d, want %d (%s)", code, exitOpen, errb.String())
	}
}

func TestIsQuery(t *testing.T) {
	for line, want := range map[string]bool{
		"*IDN?":                    true,
		"MEAS:VOLT? (@1)":          true,
		"VOLT 1;VOLT?":             true,
		`DISP:TEXT "Ready?"`:       false,
		`DISP:TEXT 'it''s ok?'`:    false,
		"VOLT 5":                   false,
		`DISP:TEXT "a";:SYST:ERR?`: true,
	} {
		if got := isQuery(line); got != want {
			t.Errorf("isQuery(%q) = %v", line, got)
		}
	}
}

// The terminal: lines are edited (backspace), and the up arrow recalls a
// line from an earlier shell's history file.
func TestShellTerminalHistory(t *testing.T) {
	res := instrument(t)
	histFile := filepath.Join(t.TempDir(), "history")
	session := func(keys string) string {
		sh, code := openShell(context.Background(), res, 5*time.Second, 0, false, io.Discard, io.Discard)
		if sh == nil {
			t.Fatalf("open: %d", code)
		}
		defer sh.s.Close()
		var out bytes.Buffer
		sh.out = &out
		ed := newEditor(strings.NewReader(keys), io.Discard, "scpi> ", loadHistory(histFile))
		if code := sh.run(context.Background(), ed, nil); code != exitOK {
			t.Fatalf("exit %d", code)
		}
		return out.String()
	}
	// "*IDN!" corrected to "*IDN?" with backspace, then ENTER.
	if got := session("*IDN!\x7f?\r"); got != "Acme,Model1,SN1,1.0\n" {
		t.Fatalf("first shell: %q", got)
	}
	// A new shell: up arrow, ENTER runs the last line of the first.
	if got := session("\x1b[A\r"); got != "Acme,Model1,SN1,1.0\n" {
		t.Fatalf("recalled line: %q", got)
	}
	b, _ := os.ReadFile(histFile)
	if string(b) != "*IDN?\n" {
		t.Errorf("history file: %q (a repeated line is kept once)", b)
	}
}

// isQuery never sees a ? that is not there, and a ? outside any quote
// (here: before the first quote) always makes a query.
func FuzzIsQuery(f *testing.F) {
	for _, s := range []string{"*IDN?", `DISP:TEXT "a?"`, `X 'b?';Y?`, `"unterminated ?`, ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := isQuery(s)
		if q && !strings.Contains(s, "?") {
			t.Fatalf("isQuery(%q) without a ?", s)
		}
		before, _, _ := strings.Cut(s, `"`)
		before, _, _ = strings.Cut(before, "'")
		if strings.Contains(before, "?") && !q {
			t.Fatalf("isQuery(%q) = false with a ? outside quotes", s)
		}
	})
}

// An instrument without the error query (a pyvisa-sim device, say) costs
// one timeout, once: the shell then stops asking before every line.
func TestShellWithoutAnErrorQuery(t *testing.T) {
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		if line == "*IDN?" {
			return "Acme,Bare,1,1.0", true
		}
		return "", false
	}))
	res := "TCPIP0::127.0.0.1::" + strconv.Itoa(srv.Port()) + "::SOCKET"
	code, out, errs := shellScript(t, res, "*IDN?\n*IDN?\n*IDN?\n*IDN?\n", "--timeout", "200ms")
	if code != exitOK || out != strings.Repeat("Acme,Bare,1,1.0\n", 4) ||
		strings.Count(errs, "note: the error queue is not read after each line") != 1 || strings.Contains(errs, "error: ") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// stalledInput is a stdin from which no line comes (a FIFO or a socket
// whose writer is idle) until release is closed; reading says that a Read
// has begun.
type stalledInput struct {
	reading chan struct{} // capacity 1
	release chan struct{}
}

func (s *stalledInput) Read([]byte) (int, error) {
	select {
	case s.reading <- struct{}{}:
	default:
	}
	<-s.release
	return 0, io.EOF
}

// Cancelled while it waits for a line (SIGTERM, or Ctrl-C in a script, on
// a stdin that is a FIFO or a socket), the shell leaves at once, as an
// interrupted command does (status 1), without waiting for the input.
func TestShellLeavesWhenCancelledWaitingForALine(t *testing.T) {
	res := instrument(t)
	stdin := &stalledInput{reading: make(chan struct{}, 1), release: make(chan struct{})}
	// Then the read the shell gave up on ends, and with it its goroutine.
	defer close(stdin.release)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- runShell(ctx, []string{res}, stdin, &out, &errb) }()
	select {
	case <-stdin.reading:
	case code := <-done:
		t.Fatalf("the shell ended (%d) before reading a line: %s", code, errb.String())
	}
	cancel() // what main does on SIGTERM
	limit := time.NewTimer(20 * time.Second)
	defer limit.Stop()
	select {
	case code := <-done:
		if code != exitFailure || out.String() != "" || errb.String() != "interrupted\n" {
			t.Fatalf("exit %d, stdout %q, stderr %q; want %d, nothing, \"interrupted\"", code, out.String(), errb.String(), exitFailure)
		}
	case <-limit.C:
		t.Fatal("the shell still waits for a line 20s after its context was cancelled")
	}
}

// A piped line longer than 64 KiB (bufio.Scanner's default) runs, as it
// does with scpi query; a line beyond the shell's limit is named, with its
// length limit and what to do.
func TestShellLongLine(t *testing.T) {
	long := strings.Repeat("*CLS;", 30000) + "*IDN?" // 150 KB
	code, out, errs := shellScript(t, "SIM::DP832::INSTR", "*IDN?\n"+long+"\n")
	if code != exitOK || strings.Count(out, "RIGOL TECHNOLOGIES,DP832") != 2 {
		t.Fatalf("a %d-byte line: exit %d, stdout %q, stderr %q", len(long), code, out, errs)
	}
	r := newScanLinesMax(strings.NewReader("*IDN?\n"+long+"\n"), 1000)
	if l, err := r.ReadLine(); l != "*IDN?" || err != nil {
		t.Fatalf("line 1: %q, %v", l, err)
	}
	_, err := r.ReadLine()
	if err == nil || !strings.Contains(err.Error(), "line 2 ") || !strings.Contains(err.Error(), "1000 bytes") || !strings.Contains(err.Error(), "scpi query") {
		t.Fatalf("a line over the limit: %v", err)
	}
}
