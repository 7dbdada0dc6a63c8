package scpi_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
)

// A context passed to call after call keeps one cancellation hook across
// calls; cancelling it still interrupts a blocked read.
func TestReusedContextCancelInterruptsBlockedRead(t *testing.T) {
	fake := scpitest.NewConn(t, scpitest.Query("A?", "1"), scpitest.Query("B?", "2"),
		scpitest.Query("C?", "3"), scpitest.Silent("INIT;*OPC?"))
	nc := notifyConn{fake, make(chan string, 8)}
	s := scpi.NewSession(nc, scpi.WithTimeout(time.Hour), scpi.WithResyncTimeout(time.Millisecond))
	defer s.Close()
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	for _, q := range []string{"A?", "B?", "C?"} {
		if _, err := s.Query(ctx, q); err != nil {
			t.Fatal(q, err)
		}
		<-nc.wrote
	}
	errc := make(chan error)
	go func() { _, err := s.Query(ctx, "INIT;*OPC?"); errc <- err }()
	<-nc.wrote
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

// A context cancelled after its calls are done, while another call with a
// different context is blocked, does not cut that call short.
func TestCancellingAnEarlierContextLeavesTheCurrentCallAlone(t *testing.T) {
	release := make(chan struct{})
	fake := scpitest.NewConn(t, scpitest.Query("A?", "1"), scpitest.Query("B?", "2"),
		scpitest.Late("SLOW?", "slow", release))
	nc := notifyConn{fake, make(chan string, 8)}
	s := scpi.NewSession(nc, scpi.WithTimeout(time.Hour))
	defer s.Close()
	early, cancelEarly := context.WithCancel(bg)
	for _, q := range []string{"A?", "B?"} { // twice in a row: its hook is kept
		if _, err := s.Query(early, q); err != nil {
			t.Fatal(q, err)
		}
		<-nc.wrote
	}
	later, cancelLater := context.WithCancel(bg)
	defer cancelLater()
	type result struct {
		got string
		err error
	}
	done := make(chan result)
	go func() { got, err := s.Query(later, "SLOW?"); done <- result{got, err} }()
	<-nc.wrote
	cancelEarly()
	close(release)
	if r := <-done; r.err != nil || r.got != "slow" {
		t.Fatalf("got %q, %v; want the slow reply", r.got, r.err)
	}
}

// raceConn answers every query at once and, on the call it is told to,
// cancels the caller's context from inside SetDeadline, then lets the
// session's cancellation hook set its deadline to the past before the
// deadline being set lands: a cancellation that arrives while a call is
// arming its deadline.
type raceConn struct {
	cancel   context.CancelFunc
	ctx      context.Context
	armOn    int // the SetDeadline call (1-based, future deadlines only) that cancels
	arms     int
	silent   int           // writes whose reply never comes
	pastSet  chan struct{} // the hook set a past deadline
	pastOnce sync.Once
	mu       sync.Mutex
	deadline time.Time
	pending  int
	lost     bool // a read ran with the context cancelled and the hook's deadline overwritten
}

func (c *raceConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.silent > 0 {
		c.silent--
	} else {
		c.pending++
	}
	c.mu.Unlock()
	return len(p), nil
}

func (c *raceConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx.Err() != nil {
		if !c.deadline.Before(time.Unix(1000, 0)) {
			c.lost = true // a real link would block here until the late deadline
		}
		return 0, os.ErrDeadlineExceeded
	}
	if c.pending == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	c.pending--
	return copy(p, "1\n"), nil
}

func (c *raceConn) SetDeadline(t time.Time) error {
	if t.Before(time.Unix(1000, 0)) { // the cancellation hook
		c.mu.Lock()
		c.deadline = t
		c.mu.Unlock()
		c.pastOnce.Do(func() { close(c.pastSet) })
		return nil
	}
	c.arms++
	if c.arms == c.armOn {
		c.cancel()
		<-c.pastSet // the hook has run; now this call's deadline lands
	}
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return nil
}

func (c *raceConn) Close() error { return nil }

// A context cancelled while a call arms its deadline still ends the call:
// with a context that served the calls before (its cancellation hook kept
// across calls) and no deadline of its own (the session's default timeout
// is armed anew), the hook's past deadline used to be overwritten by the
// call's, and the call waited for the default timeout instead.
func TestCancelWhileArmingEndsTheCall(t *testing.T) {
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	c := &raceConn{ctx: ctx, cancel: cancel, armOn: 3, pastSet: make(chan struct{})}
	// A timeout so short that every call arms a new default deadline.
	s := scpi.NewSession(c, scpi.WithTimeout(time.Nanosecond))
	defer s.Close()
	for i := 1; i <= 2; i++ {
		if _, err := s.Query(ctx, "MEAS?"); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := s.Query(ctx, "MEAS?")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while arming: %v, want context.Canceled", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lost {
		t.Error("the call read with its context cancelled and the cancellation's deadline overwritten")
	}
}

// The same while the call resynchronises: a call that finds a reply owed
// by an earlier one waits for it with a deadline of its own (the resync
// window), which used to overwrite the interrupt of a cancellation that
// came after arm's check; the call then waited out the window.
func TestCancelWhileResynchronisingEndsTheCall(t *testing.T) {
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	// Future deadlines set: the first call's, the second call's, then the
	// resync window, where the cancellation comes.
	c := &raceConn{ctx: ctx, cancel: cancel, armOn: 3, silent: 1, pastSet: make(chan struct{})}
	s := scpi.NewSession(c, scpi.WithTimeout(time.Nanosecond), scpi.WithResyncTimeout(time.Hour))
	defer s.Close()
	if _, err := s.Query(bg, "LOST?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("the unanswered query: %v, want a timeout", err)
	}
	_, err := s.Query(ctx, "MEAS?")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled while resynchronising: %v, want context.Canceled", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.arms < 3 {
		t.Fatalf("only %d deadlines set: the call did not resynchronise", c.arms)
	}
	if c.lost {
		t.Error("the call read with its context cancelled and the cancellation's deadline overwritten")
	}
}
