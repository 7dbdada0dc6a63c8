package testserver

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"
)

// Call is an out-of-band call of a link (a status byte, a clear), run
// with the context given.
type Call struct {
	Name string
	Do   func(ctx context.Context) error
}

// CallsGiveUpWhileHeld checks that each call, while another call
// (holder) holds the link and waits, returns an error matching
// context.DeadlineExceeded once its own short context ends, not when the
// holder lets go. Then release ends the holder, whose error (from
// holderDone) must match want. Should a call outlast the test's bound,
// release frees it and t fails.
func CallsGiveUpWhileHeld(t testing.TB, holder string, holderDone <-chan error, release func(), want error, calls []Call) {
	t.Helper()
	for _, c := range calls {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		errc := make(chan error, 1)
		go func() { errc <- c.Do(ctx) }()
		select {
		case err := <-errc:
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s while %s: %v, want a context deadline error", c.Name, holder, err)
			}
		case <-time.After(10 * time.Second): // the test's bound
			release()
			<-errc
			cancel()
			<-holderDone
			t.Fatalf("%s waited past its context while %s", c.Name, holder)
		}
	}
	select {
	case err := <-holderDone:
		t.Fatalf("%s ended before it was let go: %v", holder, err)
	default:
	}
	release()
	if err := <-holderDone; !errors.Is(err, want) {
		t.Fatalf("%s, let go: %v, want %v", holder, err, want)
	}
}

// CloseSkipsQueuedCalls checks that Close does not wait behind a call
// queued for the link: while a read holds the link (its error comes on
// readDone), readStatusByte is started and waits for the link, then
// Close must return within the test's bound (5 s, below a queued call's
// own 10 s), the read must fail and the queued call return net.ErrClosed.
func CloseSkipsQueuedCalls(t testing.TB, readStatusByte func(ctx context.Context) error, close func() error, readDone <-chan error) {
	t.Helper()
	stbDone := make(chan error, 1)
	go func() { stbDone <- readStatusByte(context.Background()) }()
	WaitForWaiter(t, "ctxlock.Mutex.LockCtx") // in line before Close
	closed := make(chan error, 1)
	go func() { closed <- close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Errorf("Close: %v", err)
		}
	case <-time.After(5 * time.Second): // the test's bound
		t.Fatal("Close waited behind a queued call")
	}
	if err := <-readDone; err == nil {
		t.Error("the read Close interrupted returned no error")
	}
	if err := <-stbDone; !errors.Is(err, net.ErrClosed) {
		t.Errorf("the queued ReadStatusByte: %v, want net.ErrClosed", err)
	}
}
