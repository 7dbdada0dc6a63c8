package scpi_test

import (
	"context"
	"errors"
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
