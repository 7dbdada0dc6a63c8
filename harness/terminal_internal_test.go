package harness

import (
	"context"
	"io"
	"runtime"
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
