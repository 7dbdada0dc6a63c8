package scpitest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/bytequeue"
)

// TB is the part of testing.TB the fake needs.
type TB interface {
	Helper()
	Errorf(format string, args ...any)
	Cleanup(func())
}

// Exchange is one step of a script: a command the code under test must
// send, and what the instrument does in answer.
type Exchange struct {
	// Command is the exact message expected, without its terminator.
	Command string
	// Reply, when HasReply is set, is sent back followed by the
	// terminator. It may hold binary data (a block).
	Reply    string
	HasReply bool
	// Err, when set, is returned by the Write that completes Command (the
	// link failing as the command goes out): io.EOF for a pulled cable, for
	// instance. No reply is sent.
	Err error
	// After, when set, holds the reply back until it is closed: a reply
	// that arrives late, after the code under test may have timed out.
	After <-chan struct{}
}

// Write expects cmd and sends nothing back.
func Write(cmd string) Exchange { return Exchange{Command: cmd} }

// Query expects cmd and answers reply.
func Query(cmd, reply string) Exchange { return Exchange{Command: cmd, Reply: reply, HasReply: true} }

// Silent expects a query that the instrument never answers, so the code
// under test must time out. It is Write under another name, to say what
// the script means.
func Silent(cmd string) Exchange { return Exchange{Command: cmd} }

// Late expects cmd and answers reply only once release is closed.
func Late(cmd, reply string, release <-chan struct{}) Exchange {
	return Exchange{Command: cmd, Reply: reply, HasReply: true, After: release}
}

// Fail expects cmd and fails the link with err as it arrives.
func Fail(cmd string, err error) Exchange { return Exchange{Command: cmd, Err: err} }

// Conn is a scripted fake link; it implements transport.Conn.
type Conn struct {
	t    TB
	term string

	mu     sync.Mutex
	script []Exchange
	next   int
	in     []byte // bytes written, not yet matched
	failed bool
	out    *bytequeue.Queue
	dl     bytequeue.Deadline
	closed bool
	done   chan struct{} // closed by Close: ends late-reply goroutines
	late   sync.WaitGroup
}

// Option configures a fake Conn.
type Option func(*Conn)

// WithTerminator sets the terminator the fake expects after each command
// and appends to each reply ("\n" unless set).
func WithTerminator(term string) Option { return func(c *Conn) { c.term = term } }

// NewConn returns a fake link that plays script. At the end of the test it
// reports exchanges that were never made.
func NewConn(t TB, script ...Exchange) *Conn {
	return NewConnWith(t, nil, script...)
}

// NewConnWith is NewConn with options.
func NewConnWith(t TB, opts []Option, script ...Exchange) *Conn {
	t.Helper()
	c := &Conn{t: t, term: "\n", script: script, out: bytequeue.New(), done: make(chan struct{})}
	for _, o := range opts {
		o(c)
	}
	t.Cleanup(func() {
		c.Close()
		c.late.Wait()
		c.verifyUsed()
	})
	return c
}

func (c *Conn) verifyUsed() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed || c.next >= len(c.script) {
		return
	}
	var b strings.Builder
	for _, e := range c.script[c.next:] {
		fmt.Fprintf(&b, "\n\t%q", e.Command)
	}
	c.t.Errorf("scpitest: %d scripted exchange(s) never made:%s", len(c.script)-c.next, b.String())
}

// Remaining reports how many scripted exchanges have not been made yet.
func (c *Conn) Remaining() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.script) - c.next
}

// ErrUnexpected is returned to the code under test, and reported to the
// test, when it sends something the script does not expect.
var ErrUnexpected = errors.New("scpitest: unexpected command")

func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.dl.Expired() {
		return 0, os.ErrDeadlineExceeded
	}
	if c.failed {
		return 0, ErrUnexpected
	}
	c.in = append(c.in, p...)
	for len(c.in) > 0 {
		if c.next >= len(c.script) {
			line, ok := c.line()
			if !ok {
				return len(p), nil
			}
			return c.unexpected("", line)
		}
		e := c.script[c.next]
		want := e.Command + c.term
		switch {
		case bytes.HasPrefix(c.in, []byte(want)):
			c.in = c.in[len(want):]
			c.next++
			if e.Err != nil {
				return len(p), e.Err
			}
			if e.HasReply && e.After != nil {
				c.late.Add(1)
				go c.sendLate(e)
			} else if e.HasReply {
				c.out.Write([]byte(e.Reply + c.term))
			}
		case bytes.HasPrefix([]byte(want), c.in):
			return len(p), nil // a prefix of the command: wait for the rest
		default:
			line, ok := c.line()
			if !ok {
				return len(p), nil
			}
			return c.unexpected(e.Command, line)
		}
	}
	return len(p), nil
}

func (c *Conn) sendLate(e Exchange) {
	defer c.late.Done()
	select {
	case <-e.After:
		c.out.Write([]byte(e.Reply + c.term))
	case <-c.done:
	}
}

// line returns the first complete message written, without terminator.
func (c *Conn) line() (string, bool) {
	i := bytes.Index(c.in, []byte(c.term))
	if i < 0 {
		return "", false
	}
	return string(c.in[:i]), true
}

func (c *Conn) unexpected(want, got string) (int, error) {
	c.failed = true
	c.t.Helper()
	if want == "" {
		c.t.Errorf("scpitest: command %q sent after the script ended (%d exchanges made)", got, c.next)
	} else {
		c.t.Errorf("scpitest: exchange %d: unexpected command (-want +got):\n%s", c.next+1, cmp.Diff(want, got))
	}
	return 0, fmt.Errorf("%w %q", ErrUnexpected, got)
}

func (c *Conn) Read(p []byte) (int, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return 0, net.ErrClosed
	}
	n, err := c.out.Read(p, &c.dl)
	if errors.Is(err, io.EOF) {
		return n, net.ErrClosed
	}
	return n, err
}

// SetDeadline bounds reads and writes, as on a net.Conn.
func (c *Conn) SetDeadline(t time.Time) error {
	c.dl.Set(t)
	return nil
}

// Close closes the fake; blocked reads return net.ErrClosed.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	close(c.done)
	c.out.Close()
	return nil
}
