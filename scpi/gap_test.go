package scpi_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
)

// timedConn notes when each write to the link begins.
type timedConn struct {
	net.Conn
	mu sync.Mutex
	at []time.Time
}

func (c *timedConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.at = append(c.at, time.Now())
	c.mu.Unlock()
	return c.Conn.Write(b)
}

// gapServer answers TAG? x with x and SYST:ERR? with no error, and
// tells each line it reads on lines.
func gapServer(t *testing.T, lines chan<- string) *testserver.Server {
	return testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		if lines != nil {
			lines <- line
		}
		if tag, ok := strings.CutPrefix(line, "TAG? "); ok {
			return tag, true
		}
		if line == "SYST:ERR?" {
			return `+0,"No error"`, true
		}
		return "", false
	}))
}

func dialTimed(t *testing.T, srv *testserver.Server, opts ...scpi.Option) (*scpi.Session, *timedConn) {
	t.Helper()
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := &timedConn{Conn: nc}
	s := scpi.NewSession(c, opts...)
	t.Cleanup(func() { s.Close() })
	return s, c
}

// With a command gap, every command goes out at least the gap after the
// one before it, the session's own error queries included. (A lower
// bound: a slow machine only widens the gaps.)
func TestCommandGapPacesEveryCommand(t *testing.T) {
	const gap = 20 * time.Millisecond
	s, c := dialTimed(t, gapServer(t, nil), scpi.WithCommandGap(gap), scpi.WithErrorCheck(scpi.CheckAfterWrite))
	if err := s.Write(bg, "A"); err != nil {
		t.Fatal(err)
	}
	if r, err := s.Query(bg, "TAG? 1"); err != nil || r != "1" {
		t.Fatalf("query: %q, %v", r, err)
	}
	if err := s.Write(bg, "B"); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	at := c.at
	c.mu.Unlock()
	if len(at) != 5 { // A, SYST:ERR?, TAG? 1, B, SYST:ERR?
		t.Fatalf("%d commands sent, want 5", len(at))
	}
	for i := 1; i < len(at); i++ {
		if d := at[i].Sub(at[i-1]); d < gap {
			t.Errorf("command %d went out %v after the one before, under the %v gap", i+1, d, gap)
		}
	}
}

// The wait for the gap ends with the call's deadline or its context,
// with nothing sent, and the session stays in step.
func TestCommandGapWaitEndsWithTheCall(t *testing.T) {
	lines := make(chan string, 16)
	s, _ := dialTimed(t, gapServer(t, lines), scpi.WithCommandGap(time.Hour))
	if err := s.Write(bg, "A"); err != nil {
		t.Fatal(err)
	}
	if got := <-lines; got != "A" {
		t.Fatalf("the server read %q, want A", got)
	}
	ctx, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	if err := s.Write(ctx, "B"); !errors.Is(err, scpi.ErrTimeout) {
		t.Errorf("a write past its deadline waiting for the gap: %v, want ErrTimeout", err)
	}
	ctx, cancel = context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { _, err := s.Query(ctx, "TAG? 2"); done <- err }()
	testserver.WaitForWaiter(t, "scpi.(*Session).waitGap")
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a query cancelled waiting for the gap: %v, want context.Canceled", err)
	}
	s.SetCommandGap(0)
	if r, err := s.Query(bg, "TAG? 3"); err != nil || r != "3" {
		t.Errorf("a query after: %q, %v; want 3", r, err)
	}
	if got := <-lines; got != "TAG? 3" {
		t.Errorf("the server read %q after A, want TAG? 3: nothing of the calls cut short", got)
	}
}

// The gap counts from a reply too: a command after a slow query's reply
// waits the gap from when the reply came in, since the instrument is
// busy until it has sent it. Before, it went out at once when the reply
// had taken longer than the gap.
func TestCommandGapCountsFromTheReply(t *testing.T) {
	const gap = 20 * time.Millisecond
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		if line == "SLOW?" {
			time.Sleep(3 * gap) // the instrument measuring
			return "1", true
		}
		return "", false
	}))
	nc, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	c := &timedConn{Conn: nc}
	var replied time.Time
	s := scpi.NewSession(readNoter{c, &replied}, scpi.WithCommandGap(gap))
	defer s.Close()
	if r, err := s.Query(bg, "SLOW?"); err != nil || r != "1" {
		t.Fatalf("query: %q, %v", r, err)
	}
	if err := s.Write(bg, "NEXT"); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	next := c.at[len(c.at)-1]
	c.mu.Unlock()
	if d := next.Sub(replied); d < gap {
		t.Errorf("the next command went out %v after the reply came in, under the %v gap", d, gap)
	}
}

// readNoter notes when the last read of the link returned bytes.
type readNoter struct {
	*timedConn
	at *time.Time
}

func (r readNoter) Read(b []byte) (int, error) {
	n, err := r.timedConn.Read(b)
	if n > 0 {
		*r.at = time.Now()
	}
	return n, err
}
