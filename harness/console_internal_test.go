package harness

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal: the terminal end (what a program
// writes to) and the other end (what the terminal emulator reads).
func openPTY(t *testing.T) (term, emulator *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	return s, m
}

// On a terminal, a log line erases the progress line, and the progress
// line is drawn again below it: never glued to its end.
func TestConsoleOnATerminal(t *testing.T) {
	term, emulator := openPTY(t)
	defer emulator.Close()
	screen := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(emulator) // until the terminal end closes (EIO)
		screen <- b
	}()
	c := NewConsole(term)
	if !c.Terminal() {
		t.Fatal("a pseudo-terminal not taken for a terminal")
	}
	c.drawProgress("[run running 1s]", false)
	c.Write([]byte("12:00:00.123 INF a log line\n"))
	c.drawProgress("[run running 2s]", false)
	c.drawProgress("[run stopping 2s]", true)
	term.Close()
	got := <-screen
	// The terminal turns each \n into \r\n (onlcr).
	want := "\r[run running 1s]\x1b[K" +
		"\r\x1b[K12:00:00.123 INF a log line\r\n[run running 1s]" +
		"\r[run running 2s]\x1b[K" +
		"\r[run stopping 2s]\x1b[K\r\n"
	if !bytes.Equal(got, []byte(want)) {
		t.Errorf("the terminal got\n%q\nwant\n%q", got, want)
	}
	// And its logger is coloured there.
	var buf bytes.Buffer
	colour := NewConsole(&buf)
	colour.terminal = true
	l := colour.Logger()
	l.Info().Msg("hello")
	if !bytes.Contains(buf.Bytes(), []byte("\x1b[")) {
		t.Errorf("no colour on a terminal: %q", buf.String())
	}
}
