package sim

import (
	"net"
	"sync/atomic"
	"time"
)

// watchAfter is how long a call waits before its connection is watched
// for the client going away (peerConn).
const watchAfter = time.Second

// watchAheadMax is how much a watch reads ahead unless peerConn.aheadMax
// says otherwise: far more than a client sends while a call of its waits
// (a VXI-11 client sends nothing on the core channel until it has the
// reply), little enough to hold for every connection.
const watchAheadMax = 64 << 10

// peerConn is a connection whose calls may wait long: a VXI-11
// device_read with VISA's infinite io_timeout waits 49 days, a lock wait
// as long. The connection is not read while a call is served, so a
// client that went away would go unnoticed for the whole wait, keeping
// its links and any lock from every other client. A wait longer than
// watchAfter watches the connection instead: a read that ends with the
// connection's end says the client has gone; bytes that come (a call
// sent ahead) are kept for the next read, and the watch goes on, so a
// client that sends a byte and then closes is still seen to go.
//
// Its methods other than those of net.Conn run on the connection's one
// serving goroutine.
type peerConn struct {
	net.Conn
	// aheadMax bounds what a watch reads ahead (watchAheadMax when 0).
	// A watch that fills it stops reading, and from then on asks the
	// kernel whether the client has closed its side or reset the
	// connection (awaitHangup): a close that has reached this host is
	// seen even behind bytes not read. Where the kernel cannot be asked
	// (awaitHangup reports false at once: not Linux, not a socket), the
	// client's going is seen only when the call ends.
	aheadMax int
	// fullIsGone makes a watch that fills aheadMax end the wait as a
	// client gone does: for a link whose client sends nothing while it
	// waits (VXI-11), so that sending bytes ahead and then closing
	// cannot keep the wait, and the links, for ever. The bytes are still
	// served, in order, once the call has answered.
	fullIsGone bool
	// hold counts ahead in a server's memory account (nil: none).
	hold *holding

	ahead    []byte        // read by a watch: the start of the next call
	watched  chan struct{} // closed once the watch's read has returned; nil when not watching
	gone     chan struct{} // closed when the watch saw the connection end
	stopping atomic.Bool
}

func (p *peerConn) Read(b []byte) (int, error) {
	if len(p.ahead) > 0 {
		n := copy(b, p.ahead)
		p.ahead = p.ahead[n:]
		if len(p.ahead) == 0 {
			p.ahead = nil // its room is not kept
			p.hold.set(0)
		}
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
	limit := p.aheadMax
	if limit <= 0 {
		limit = watchAheadMax
	}
	go func() {
		// ahead is the watch's alone until endWatch has seen watched
		// close.
		defer close(watched)
		var buf [4096]byte
		for {
			room := limit - len(p.ahead)
			if room <= 0 {
				// Full. What the client sends now waits in the kernel's
				// buffers and then in its own (TCP back-pressure), not
				// here; but the connection's end is still watched for.
				if (p.fullIsGone || awaitHangup(p.Conn)) && !p.stopping.Load() {
					close(gone)
				}
				return
			}
			n, err := p.Conn.Read(buf[:min(room, len(buf))])
			if n > 0 {
				p.ahead = append(p.ahead, buf[:n]...)
				p.hold.set(cap(p.ahead))
			}
			if err != nil {
				if !p.stopping.Load() {
					close(gone)
				}
				return
			}
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
