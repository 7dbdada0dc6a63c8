package harness

import (
	"bytes"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

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

func (c *Console) drawCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.draws
}

// waitUntil polls cond: what it waits for (redraws that did not draw)
// leaves no other trace. It reports an error, not a fatal one, so that
// it can be used from any goroutine.
func waitUntil(t *testing.T, what string, cond func() bool) bool {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("still waiting for %s after 30s", what)
			return false
		}
		time.Sleep(time.Millisecond)
	}
	return true
}

// While a prompt is asked on the terminal, the progress line is erased
// and not redrawn: a redraw (\r, the line, erase to the end) would wipe
// out the question and what the operator is typing. It comes back once
// the prompt is answered.
func TestProgressLineHoldsOffWhileAPromptIsAsked(t *testing.T) {
	screen := &lockedBuffer{}
	console := &Console{w: screen, terminal: true}
	in, typed := io.Pipe()
	defer typed.Close()
	prompter := newTerminalPrompter(in, screen, true)
	const question = "dut-1 asks (prompt p1): Is the LED green?"
	answered := make(chan string, 1)
	go func() {
		if waitUntil(t, "the question on the terminal", func() bool { return strings.Contains(screen.String(), question) }) {
			c0 := console.drawCount()
			waitUntil(t, "three redraws while the prompt waits", func() bool { return console.drawCount() >= c0+3 })
		}
		asked := screen.String()
		typed.Write([]byte("y\n"))
		answered <- asked
	}()
	rec, err := Run(context.Background(), "prompted", func(tt *Test) error {
		// The progress line is on the terminal before the prompt.
		waitUntil(t, "a first progress line", func() bool { return strings.Contains(screen.String(), "[prompted running") })
		tt.DUT("dut-1", func(d *DUTRun) error {
			_, err := d.Prompt(d.Context(), Prompt{Text: "Is the LED green?"})
			return err
		})
		return nil
	}, WithProgress(console), WithProgressInterval(time.Millisecond), WithPrompter(prompter), WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	if got := rec.DUTs[0].Outcome; got != OutcomePass {
		t.Errorf("dut-1 %v, want pass", got)
	}
	asked := <-answered
	i := strings.Index(asked, question)
	if i < 0 {
		t.Fatalf("the question never showed: %q", asked)
	}
	before, after := asked[:i], asked[i:]
	if !strings.HasSuffix(before, "\r\x1b[K\n") {
		t.Errorf("the progress line was not erased before the question: it ends %q", before[max(0, len(before)-80):])
	}
	if strings.Contains(after, "\r") {
		t.Errorf("the progress line was redrawn over the prompt:\n%q", after)
	}
	final := screen.String()
	if !strings.Contains(final[len(asked):], "[prompted ") {
		t.Errorf("the progress line did not come back after the answer: %q", final[len(asked):])
	}
}
