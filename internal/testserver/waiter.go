package testserver

import (
	"bytes"
	"runtime"
	"testing"
	"time"
)

// WaitForWaiter returns once some goroutine is blocked (on a channel or
// a select) in a function whose name contains fn: a call queued for a
// lock, say, which gives no other sign that it has got there. It paces
// its look at the goroutines' stacks with a short sleep (no event says
// that a goroutine blocked) and fails tb after 10 s.
func WaitForWaiter(tb testing.TB, fn string) {
	tb.Helper()
	buf := make([]byte, 1<<20)
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.Stack(buf, true)
		for g := range bytes.SplitSeq(buf[:n], []byte("\n\n")) {
			blocked := bytes.Contains(g, []byte("[chan send")) || bytes.Contains(g, []byte("[chan receive")) || bytes.Contains(g, []byte("[select"))
			if blocked && bytes.Contains(g, []byte(fn)) {
				return
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no goroutine came to wait in %s", fn)
		}
		time.Sleep(100 * time.Microsecond)
	}
}
