package sim

import (
	"context"
	"testing"
	"time"

	"github.com/scpikit/scpikit/internal/hislipwire"
	"github.com/scpikit/scpikit/transport"
)

// An AsyncLock that is served after its session has ended (the client
// closed the synchronous channel while the request was on its way) is
// refused: the session's locks were released when it ended, once, so a
// lock granted then would never be, and every later session's messages
// would wait on it. The race took about 750 attempts over the network;
// here the request is served, in order, after the session's end.
func TestHiSLIPLockAfterTheSessionEnded(t *testing.T) {
	logs, logger := newLogEvents()
	srv, err := ServeHiSLIP("", MustNew("SAMPLE"), ServerOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := transport.Open(ctx, srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	var stale *hislipSession
	for _, ss := range srv.sessions {
		stale = ss
	}
	srv.mu.Unlock()
	c.Close()
	logs.wait(t, ctx, "hislip session closed", 1)

	req := hislipwire.Header{Type: hislipwire.AsyncLock, Control: 1, Param: 0}
	if got := srv.lock(stale, req, nil); got != hislipwire.LockFailure {
		t.Errorf("an exclusive lock for an ended session: %d, want %d (failure)", got, hislipwire.LockFailure)
	}
	if got := srv.lock(stale, req, []byte("shared")); got != hislipwire.LockFailure {
		t.Errorf("a shared lock for an ended session: %d, want %d (failure)", got, hislipwire.LockFailure)
	}
	srv.mu.Lock()
	locker, shared := srv.locker, len(srv.shared)
	srv.mu.Unlock()
	if locker != 0 || shared != 0 {
		t.Fatalf("an ended session holds the lock (exclusive: session %d, shared: %d)", locker, shared)
	}

	// The next session is served.
	c, err = transport.Open(ctx, srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute))
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	if n, err := c.Read(buf); err != nil || n == 0 {
		t.Fatalf("*IDN? in the next session: %q, %v", buf[:n], err)
	}
}
