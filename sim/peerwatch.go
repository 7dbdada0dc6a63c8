package sim

import (
	"net"
	"sync/atomic"
	"time"
)

// watchAfter is how long a call waits before its connection is watched
// for the client going away (peerConn).
const watchAfter = time.Second

// peerConn is a connection whose calls may wait long: a VXI-11
// device_read with VISA's infinite io_timeout waits 49 days, a lock wait
// as long. The connection is not read while a call is served, so a
// client that went away would go unnoticed for the whole wait, keeping
// its links and any lock from every other client. A wait longer than
// watchAfter watches the connection instead: a one-byte read that ends
// with the connection's end says the client has gone; a byte that comes
// (a call sent ahead) is kept for the next read.
//
// Its methods other than those of net.Conn run on the connection's one
// serving goroutine.
type peerConn struct {
	net.Conn
	ahead    []byte        // read by a watch: the start of the next call
	watched  chan struct{} // closed once the watch's read has returned; nil when not watching
	gone     chan struct{} // closed when the watch saw the connection end
	stopping atomic.Bool
}

func (p *peerConn) Read(b []byte) (int, error) {
	if len(p.ahead) > 0 {
		n := copy(b, p.ahead)
		p.ahead = p.ahead[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// goneSignal starts watching the connection (once per call) and returns
// a channel closed if the client goes away.
func (p *peerConn) goneSignal() <-chan struct{} {
	if p.watched != nil {
		return p.gone
	}
	watched, gone := make(chan struct{}), make(chan struct{})
	p.watched, p.gone = watched, gone
	p.stopping.Store(false)
	p.Conn.SetReadDeadline(time.Time{})
	go func() {
		defer close(watched)
		var b [1]byte
		n, err := p.Conn.Read(b[:])
		switch {
		case n > 0:
			p.ahead = append(p.ahead, b[0]) // read once endWatch has seen watched close
		case err != nil && !p.stopping.Load():
			close(gone)
		}
	}()
	return gone
}

// endWatch ends the call's watch, if it started one, before the
// connection is read or its deadline set again.
func (p *peerConn) endWatch() {
	if p.watched == nil {
		return
	}
	p.stopping.Store(true)
	p.Conn.SetReadDeadline(time.Unix(1, 0)) // ends the watch's read
	<-p.watched
	p.Conn.SetReadDeadline(time.Time{})
	p.watched, p.gone = nil, nil
}
