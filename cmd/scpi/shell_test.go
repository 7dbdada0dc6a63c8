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
// its exit code, replies and trace.
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
	code, out, trace := shellScript(t, res, strings.Join([]string{
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
	if len(lines) < len(want)+2 {
		t.Fatalf("output:\n%s", out)
	}
	if diff := cmp.Diff(want, lines[:len(want)]); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
	rest := strings.Join(lines[len(want):], "\n")
	for _, w := range []string{"error: ", "timeout", ":timeout wants a positive duration"} {
		if !strings.Contains(rest, w) {
			t.Errorf("output lacks %q:\n%s", w, rest)
		}
	}
	if strings.Count(trace, `-> "MEAS:VOLT?\n"`) != 1 {
		t.Errorf("trace shows other than the one traced exchange:\n%s", trace)
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
		sh, code := openShell(context.Background(), res, 5*time.Second, false, io.Discard, io.Discard)
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
	code, out, _ := shellScript(t, res, "*IDN?\n*IDN?\n*IDN?\n*IDN?\n", "--timeout", "200ms")
	if code != exitOK || strings.Count(out, "Acme,Bare,1,1.0") != 4 ||
		strings.Count(out, "note: the error queue is not read after each line") != 1 || strings.Contains(out, "error: ") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
