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
	c.unregister = in.onDrop(c.drop)
	return c
}

type conn struct {
	in  *Instrument
	out *bytequeue.Queue
	dl  bytequeue.Deadline

	mu         sync.Mutex // serialises writes
	cl         *Client
	closed     atomic.Bool
	dropped    atomic.Bool
	unregister func()

	// Delayed responses, in order; one timer delivers them, so a later
	// response can never overtake an earlier one.
	qmu   sync.Mutex
	queue []delayed
	timer *time.Timer
}

type delayed struct {
	at   time.Time
	data []byte
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
	var delay time.Duration
	if c.in.faultsOn.Load() {
		var drop bool
		if delay, drop = c.in.shape(resp); drop {
			return
		}
	}
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if delay == 0 && len(c.queue) == 0 {
		c.out.Write(resp) // the fast path: no faults, nothing pending
		return
	}
	at := time.Now().Add(delay)
	if n := len(c.queue); n > 0 && at.Before(c.queue[n-1].at) {
		at = c.queue[n-1].at
	}
	c.queue = append(c.queue, delayed{at: at, data: slices.Clone(resp)})
	if len(c.queue) == 1 {
		c.timer = time.AfterFunc(time.Until(at), c.flush)
	}
}

// flush delivers the responses that are due, in order, and waits for the
// next.
func (c *conn) flush() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	now := time.Now()
	i := 0
	for i < len(c.queue) && !c.queue[i].at.After(now) {
		c.out.Write(c.queue[i].data)
		i++
	}
	c.queue = c.queue[i:]
	if len(c.queue) > 0 && !c.closed.Load() {
		c.timer = time.AfterFunc(time.Until(c.queue[0].at), c.flush)
	}
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
	c.unregister()
	c.qmu.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.queue = nil
	c.qmu.Unlock()
	c.out.Close()
	return nil
}
