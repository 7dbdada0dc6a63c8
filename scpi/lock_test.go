package scpi_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
)

// holdLock holds s's lock in Do until the returned release is called.
func holdLock(t *testing.T, s *scpi.Session) (release func()) {
	t.Helper()
	holding, free, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- s.Do(bg, func(*scpi.Tx) error {
			close(holding)
			<-free
			return nil
		})
	}()
	<-holding
	return func() {
		close(free)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// waitQueued waits until n calls are queued for s's lock.
func waitQueued(s *scpi.Session, n int) {
	for scpi.Waiting(s) != n {
		runtime.Gosched()
	}
}

// TestLockIsFirstComeFirstServed queues queries, writes and a Do behind a
// held lock one at a time, with a waiter that gives up and one whose
// default timeout passes in between, and checks that the instrument sees
// the rest in arrival order, each query getting its own reply (a queued
// query is sent by the call before it as it hands the lock over).
func TestLockIsFirstComeFirstServed(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		mu.Lock()
		seen = append(seen, line)
		mu.Unlock()
		tag, ok := strings.CutPrefix(line, "TAG? ")
		return tag, ok
	}))
	s := openTCP(t, srv, scpi.WithTimeout(time.Minute))
	release := holdLock(t, s)

	var wg sync.WaitGroup
	var want []string
	errs := make(chan error, 16)
	queue := func(cmd string, call func() error) {
		want = append(want, cmd)
		n := scpi.Waiting(s)
		wg.Go(func() { errs <- call() })
		waitQueued(s, n+1)
	}
	query := func(tag string) {
		queue("TAG? "+tag, func() error {
			got, err := s.Query(bg, "TAG? "+tag)
			if err == nil && got != tag {
				err = fmt.Errorf("query %s got %q", tag, got)
			}
			return err
		})
	}
	query("a")
	queue("*CLS", func() error { return s.Write(bg, "*CLS") })
	query("b")

	// A waiter that gives up leaves the queue, and the rest keep their order.
	ctx, cancel := context.WithCancel(bg)
	n := scpi.Waiting(s)
	gaveUp := make(chan error)
	go func() {
		_, err := s.Query(ctx, "TAG? cancelled")
		gaveUp <- err
	}()
	waitQueued(s, n+1)
	query("c")
	cancel()
	if err := <-gaveUp; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled waiter: %v", err)
	}

	queue("TAG? in-do", func() error {
		return s.Do(bg, func(tx *scpi.Tx) error {
			got, err := tx.Query(bg, "TAG? in-do")
			if err == nil && got != "in-do" {
				err = fmt.Errorf("query in Do got %q", got)
			}
			return err
		})
	})
	query("d")

	waitQueued(s, len(want))
	release()
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("commands reached the instrument out of arrival order (-want +got):\n%s", diff)
	}
}

// TestLockWaitDefaultTimeout: a waiter whose context has no deadline gives
// up after the session's default timeout, and leaves the queue; a waiter
// behind it with a longer deadline still gets the lock.
func TestLockWaitDefaultTimeout(t *testing.T) {
	srv := tagServer(t)
	s := openTCP(t, srv, scpi.WithTimeout(20*time.Millisecond))
	release := holdLock(t, s)
	first := make(chan error)
	go func() {
		_, err := s.Query(bg, "TAG? x")
		first <- err
	}()
	waitQueued(s, 1)
	later := make(chan error)
	ctx, cancel := context.WithTimeout(bg, time.Minute)
	defer cancel()
	go func() {
		got, err := s.Query(ctx, "TAG? y")
		if err == nil && got != "y" {
			err = fmt.Errorf("got %q", got)
		}
		later <- err
	}()
	waitQueued(s, 2)
	err := <-first
	var oe *scpi.OpError
	if !errors.Is(err, scpi.ErrTimeout) || !errors.As(err, &oe) || oe.Op != "lock" {
		t.Fatalf("waiter without a deadline: %v, want a lock timeout", err)
	}
	if n := scpi.Waiting(s); n != 1 {
		t.Fatalf("%d waiting after the timeout, want 1", n)
	}
	release()
	if err := <-later; err != nil {
		t.Fatal(err)
	}
}

// spyConn is one end of a pipe that records the link's deadline at each
// write of the command stuck; with fail set, it fails the first such write
// as a link that took no byte by then would: a timeout, nothing written.
type spyConn struct {
	net.Conn
	stuck string
	fail  bool

	mu       sync.Mutex
	deadline time.Time
	seen     []time.Time // the deadline at each write of stuck
}

func (c *spyConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *spyConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if string(p) == c.stuck {
		c.seen = append(c.seen, c.deadline)
		if c.fail && len(c.seen) == 1 {
			c.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// A call that hands the lock to a queued query sends that query's command
// for it, but never under a deadline later than its own: the link keeps
// the releasing call's deadline while it writes, unless the waiter's is
// earlier. A write that times out under the releasing call's deadline is
// the waiter's to do again, and both calls get their own replies.
func TestHandOffWritesWithinTheReleasingCallsDeadline(t *testing.T) {
	soon := time.Now().Add(time.Hour).Round(0)
	later := soon.Add(time.Hour)
	for _, tc := range []struct {
		name         string
		holder, next time.Time
		fail         bool
		want         []time.Time // deadlines of B's writes
	}{
		{"waiter's deadline later", soon, later, false, []time.Time{soon}},
		{"waiter's deadline later, write stuck", soon, later, true, []time.Time{soon, later}},
		{"waiter's deadline earlier", later, soon, false, []time.Time{soon}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, instr := net.Pipe()
			conn := &spyConn{Conn: client, stuck: "B?\n", fail: tc.fail}
			s := scpi.NewSession(conn)
			defer s.Close()
			gotA, served := make(chan struct{}), make(chan error, 1)
			go func() {
				defer instr.Close()
				r := bufio.NewReader(instr)
				for _, want := range []string{"A?\n", "B?\n"} {
					line, err := r.ReadString('\n')
					if err != nil || line != want {
						served <- fmt.Errorf("instrument read %q, %v; want %q", line, err, want)
						return
					}
					if want == "A?\n" {
						close(gotA)
						waitQueued(s, 1) // B waits behind A: A hands it the lock
					}
					if _, err := instr.Write([]byte(strings.ToLower(line[:1]) + "\n")); err != nil {
						served <- err
						return
					}
				}
				served <- nil
			}()
			ctxA, cancelA := context.WithDeadline(bg, tc.holder)
			defer cancelA()
			ctxB, cancelB := context.WithDeadline(bg, tc.next)
			defer cancelB()
			a := make(chan string, 1)
			go func() {
				got, err := s.Query(ctxA, "A?")
				a <- fmt.Sprint(got, " ", err)
			}()
			<-gotA
			b, err := s.Query(ctxB, "B?")
			if err != nil || b != "b" {
				t.Fatalf("B: %q, %v", b, err)
			}
			if got := <-a; got != "a <nil>" {
				t.Fatalf("A: %s", got)
			}
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			conn.mu.Lock()
			defer conn.mu.Unlock()
			if diff := cmp.Diff(tc.want, conn.seen); diff != "" {
				t.Fatalf("deadlines of B's writes (-want +got):\n%s", diff)
			}
		})
	}
}

// A hand-off from a hold that never used the link (a Do that only
// computed) sends nothing for the waiter, which writes its own command
// under its own deadline: the link has no deadline of the releasing
// call's, only none (a new link) or an older call's, which says nothing
// of the releasing call's and may be hours away.
func TestHandOffFromACallThatNeverUsedTheLink(t *testing.T) {
	for _, tc := range []struct {
		name   string
		before bool // a query armed the link, for an hour, before the hold
	}{{"new link", false}, {"armed by an earlier call", true}} {
		t.Run(tc.name, func(t *testing.T) {
			client, instr := net.Pipe()
			conn := &spyConn{Conn: client, stuck: "B?\n"}
			s := scpi.NewSession(conn)
			defer s.Close()
			go func() {
				defer instr.Close()
				r := bufio.NewReader(instr)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					instr.Write([]byte(strings.ToLower(strings.TrimSuffix(line, "?\n")) + "\n"))
				}
			}()
			if tc.before {
				ctx, cancel := context.WithTimeout(bg, time.Hour)
				got, err := s.Query(ctx, "A?")
				cancel()
				if got != "a" || err != nil {
					t.Fatalf("A: %q %v", got, err)
				}
			}
			due := time.Now().Add(2 * time.Hour).Round(0)
			ctx, cancel := context.WithDeadline(bg, due)
			defer cancel()
			release := holdLock(t, s)
			b := make(chan string, 1)
			go func() {
				got, err := s.Query(ctx, "B?")
				b <- fmt.Sprint(got, " ", err)
			}()
			waitQueued(s, 1)
			release()
			if got := <-b; got != "b <nil>" {
				t.Fatalf("B: %s", got)
			}
			conn.mu.Lock()
			defer conn.mu.Unlock()
			if diff := cmp.Diff([]time.Time{due}, conn.seen); diff != "" {
				t.Fatalf("deadline of B's write (-want +got):\n%s", diff)
			}
		})
	}
}
