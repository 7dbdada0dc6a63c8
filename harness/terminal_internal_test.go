package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// queued waits until n prompts are in tp's queue.
func (tp *terminalPrompter) queued(n int) {
	for {
		tp.mu.Lock()
		k := len(tp.queue)
		tp.mu.Unlock()
		if k >= n {
			return
		}
		runtime.Gosched()
	}
}

// waiting waits until the head prompt waits for a line.
func (tp *terminalPrompter) waiting() {
	for {
		tp.mu.Lock()
		c := tp.cur
		tp.mu.Unlock()
		if c != nil {
			return
		}
		runtime.Gosched()
	}
}

// On a terminal, prompts from many DUTs are asked strictly in the order
// they came, each answered by the line typed while it showed; a line
// typed while none waits is dropped, so it cannot answer a later prompt.
func TestTerminalPrompterFIFO(t *testing.T) {
	inR, inW := io.Pipe()
	out := &lockedBuffer{}
	tp := newTerminalPrompter(inR, out, true)
	defer inW.Close()
	type res struct{ dut, answer string }
	results := make(chan res, 5)
	duts := []string{"a", "b", "c", "d", "e"}
	for i, dut := range duts {
		go func() {
			a, _, err := tp.Answer(context.Background(), PromptRequest{DUT: dut, ID: dut, Prompt: Prompt{Text: "serial?", Input: InputSerial}})
			if err != nil {
				t.Error(err)
			}
			results <- res{dut, a}
		}()
		tp.queued(i + 1) // the next comes after this one
	}
	tp.waiting()
	inW.Write([]byte("stray-is-answer-of-a\n"))
	for i, want := range duts {
		r := <-results
		if r.dut != want {
			t.Fatalf("prompt %d answered for %s, want %s", i, r.dut, want)
		}
		if i+1 < len(duts) {
			tp.waiting()
			inW.Write([]byte("SN-" + duts[i+1] + "\n"))
		}
	}
	// Nobody waits now: this line is dropped, not kept for the next prompt.
	inW.Write([]byte("late\n"))
	out.shows("(no prompt is waiting: line ignored)")
	done := make(chan string)
	go func() {
		a, _, _ := tp.Answer(context.Background(), PromptRequest{DUT: "f", ID: "f", Prompt: Prompt{Text: "x", Input: InputText}})
		done <- a
	}()
	tp.waiting()
	inW.Write([]byte("fresh\n"))
	if a := <-done; a != "fresh" {
		t.Fatalf("answer %q, want the line typed while it showed", a)
	}
}

// lockedBuffer is a writer a test can read while others write to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// shows waits until s is in the buffer.
func (l *lockedBuffer) shows(s string) {
	for !strings.Contains(l.String(), s) {
		runtime.Gosched()
	}
}

// FuzzPromptAnswer checks answers a page, a scanner or a terminal might
// send against every kind of prompt, and reads them as terminal lines:
// nothing panics, an accepted answer is what its kind allows (a choice
// one of the choices, a confirm yes or no, a serial not empty) and within
// MaxAnswer, and a line never comes back with its terminator or longer
// than the bound.
func FuzzPromptAnswer(f *testing.F) {
	for _, s := range []string{"yes", "N", " SN-0042 \r", "GREEN", "2", "", "\x00", "a\nb", strings.Repeat("x", MaxAnswer+1), "\xff\xfe"} {
		f.Add(s)
	}
	prompts := []Prompt{{Input: InputConfirm}, {Input: InputSerial}, {Input: InputText},
		{Input: InputChoice, Choices: []string{"red", "Green", " blue "}}}
	f.Fuzz(func(t *testing.T, answer string) {
		for _, p := range prompts {
			a, err := p.accept(answer)
			if err != nil {
				if !errors.Is(err, ErrInvalidAnswer) {
					t.Fatalf("%s: untyped error %v", p.Input, err)
				}
				continue
			}
			switch {
			case len(a) > MaxAnswer:
				t.Fatalf("%s: accepted %d bytes", p.Input, len(a))
			case p.Input == InputConfirm && a != "yes" && a != "no":
				t.Fatalf("confirm answered %q", a)
			case p.Input == InputSerial && a == "":
				t.Fatal("empty serial accepted")
			case p.Input == InputChoice && !slices.Contains(p.Choices, a):
				t.Fatalf("choice %q not offered", a)
			}
		}
		br := bufio.NewReaderSize(strings.NewReader(answer), 16)
		for {
			line, long, err := readLine(br)
			if !long && line != nil && (bytes.HasSuffix(line, []byte("\n")) || len(line) > 16) {
				t.Fatalf("line %q", line)
			}
			if err != nil {
				break
			}
		}
	})
}
