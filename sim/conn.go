package sim

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scpikit/scpikit/internal/bytequeue"
	"github.com/scpikit/scpikit/transport"
)

// Conn returns a new in-process link to the instrument: a transport.Conn
// with no sockets and no goroutines. A write executes its complete
// messages at once, in the caller's goroutine, and queues their responses
// for reading (later, under injected latency). Each Conn is a client of
// its own, with its own buffers.
func (in *Instrument) Conn() transport.Conn {
	c := &conn{cl: in.NewClient(), in: in, out: bytequeue.New()}
	in.onDrop(c.drop)
	return c
}

type conn struct {
	in  *Instrument
	out *bytequeue.Queue
	dl  bytequeue.Deadline

	mu      sync.Mutex // serialises writes
	cl      *Client
	last    time.Time // when the latest delayed response is due: order is kept
	timers  []*time.Timer
	closed  atomic.Bool
	dropped atomic.Bool
}

func (c *conn) Write(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	if c.dropped.Load() {
		return 0, io.ErrClosedPipe
	}
	if c.dl.Expired() {
		return 0, os.ErrDeadlineExceeded
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	n, err := c.cl.Write(p)
	if resp := c.cl.TakeOutput(); len(resp) > 0 {
		c.deliver(resp)
	}
	if errors.Is(err, ErrLinkDropped) {
		c.drop()
		return n, nil // the command went out; the link failing shows on the next read
	}
	return n, err
}

// deliver queues a response, shaped by the instrument's faults.
func (c *conn) deliver(resp []byte) {
	if !c.in.faultsOn.Load() {
		c.out.Write(resp)
		return
	}
	delay, drop := c.in.shape(resp)
	if drop {
		return
	}
	now := time.Now()
	at := now.Add(delay)
	if at.Before(c.last) {
		at = c.last
	}
	if !at.After(now) {
		c.out.Write(resp)
		return
	}
	c.last = at
	data := slices.Clone(resp)
	c.timers = append(c.timers, time.AfterFunc(at.Sub(now), func() { c.out.Write(data) }))
}

func (c *conn) Read(p []byte) (int, error) {
	if c.closed.Load() {
		return 0, net.ErrClosed
	}
	n, err := c.out.Read(p, &c.dl)
	if errors.Is(err, io.EOF) && c.closed.Load() {
		return n, net.ErrClosed
	}
	return n, err
}

func (c *conn) SetDeadline(t time.Time) error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	c.dl.Set(t)
	return nil
}

// drop ends the link from the instrument's side: reads drain what was
// sent, then get io.EOF, as from a peer that closed.
func (c *conn) drop() {
	c.dropped.Store(true)
	c.out.Close()
}

func (c *conn) Close() error {
	if c.closed.Swap(true) {
		return net.ErrClosed
	}
	c.mu.Lock()
	for _, t := range c.timers {
		t.Stop()
	}
	c.timers = nil
	c.mu.Unlock()
	c.out.Close()
	return nil
}
