package transport

import (
	"errors"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/scpikit/scpikit/internal/bytequeue"
)

// Pipe returns the two ends of an in-memory link. Bytes written to one end
// are read from the other, in order; writes never block (the buffers grow),
// reads honour SetDeadline like a net.Conn. Closing one end makes the other
// read io.EOF once it has drained what was sent, and fail its writes with
// io.ErrClosedPipe.
//
// Unlike net.Pipe, a write does not wait for the reader: an instrument may
// answer before the controller starts reading, as on a real link.
func Pipe() (Conn, Conn) {
	ab, ba := bytequeue.New(), bytequeue.New()
	return &pipeEnd{in: ba, out: ab}, &pipeEnd{in: ab, out: ba}
}

type pipeEnd struct {
	in, out  *bytequeue.Queue
	deadline bytequeue.Deadline
	closed   atomic.Bool
}

func (p *pipeEnd) Read(b []byte) (int, error) {
	if p.closed.Load() {
		return 0, net.ErrClosed
	}
	n, err := p.in.Read(b, &p.deadline)
	if errors.Is(err, io.EOF) && p.closed.Load() {
		return n, net.ErrClosed
	}
	return n, err
}

func (p *pipeEnd) Write(b []byte) (int, error) {
	if p.closed.Load() {
		return 0, net.ErrClosed
	}
	if p.deadline.Expired() {
		return 0, os.ErrDeadlineExceeded
	}
	return p.out.Write(b)
}

func (p *pipeEnd) SetDeadline(t time.Time) error {
	if p.closed.Load() {
		return net.ErrClosed
	}
	p.deadline.Set(t)
	return nil
}

// Close ends both directions: the peer reads io.EOF after draining, this
// end's blocked reads return net.ErrClosed.
func (p *pipeEnd) Close() error {
	if p.closed.Swap(true) {
		return net.ErrClosed
	}
	p.out.Close()
	p.in.Close()
	return nil
}
