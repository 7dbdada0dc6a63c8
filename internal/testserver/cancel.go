package testserver

import (
	"context"
	"testing"
)

// StatusReader is a link with an out-of-band status-byte read.
type StatusReader interface {
	ReadStatusByte(ctx context.Context) (byte, error)
}

// CancelRace races a cancellation against each of n status-byte reads
// and checks that the read after each still succeeds, and so does each
// of also: a link's context interrupt (a past deadline, set on a
// goroutine of its own) must never land on the calls after the one it
// was for.
func CancelRace(tb testing.TB, c StatusReader, n int, also ...func() error) {
	tb.Helper()
	bg := context.Background()
	for i := range n {
		ctx, cancel := context.WithCancel(bg)
		go cancel()
		c.ReadStatusByte(ctx) // may fail: it is cancelled
		if _, err := c.ReadStatusByte(bg); err != nil {
			tb.Fatalf("call %d after a cancelled one: %v", i, err)
		}
		for _, f := range also {
			if err := f(); err != nil {
				tb.Fatalf("call %d after a cancelled one: %v", i, err)
			}
		}
	}
}
