package sim

import (
	"bytes"
	"sync"
	"time"
)

// msgClient is a client of a message-based link (VXI-11, HiSLIP, GPIB):
// responses wait to be read, reads come in pieces of a requested size,
// and injected latency delays a response's first piece, once.
type msgClient struct {
	mu      sync.Mutex
	cl      *Client
	in      *Instrument
	shaped  bool      // faults were applied to the response waiting
	readyAt time.Time // when the delayed response may be read
	// off is how much of cl.out has been read: the buffer keeps its
	// capacity across responses (a 64 MiB waveform is not reallocated
	// for every query).
	off int
	// gone and stop are the write running's: what gives up a long
	// message (see Client.interrupt).
	gone func() <-chan struct{}
	stop []<-chan struct{}
}

// compact drops the part of the response already read, before the
// client sees a new message (which may discard the rest with -410).
func (m *msgClient) compact() {
	if m.off > 0 {
		n := copy(m.cl.out, m.cl.out[m.off:])
		m.cl.out = m.cl.out[:n]
		m.off = 0
	}
}

func newMsgClient(in *Instrument, opts ServerOptions) *msgClient {
	cl := in.NewClient()
	cl.Buffered = true
	opts = opts.withDefaults()
	cl.MaxInput, cl.MaxOutput = opts.MaxLine, opts.MaxOutput
	cl.hold, cl.log = opts.hold(), opts.Logger
	m := &msgClient{cl: cl, in: in}
	cl.interrupt = func() bool { // m.mu is held: it runs within write
		return closedAny(m.stop...) || m.gone != nil && closedAny(m.gone())
	}
	return m
}

// release gives the client's buffers back to the server's account: the
// link is gone.
func (m *msgClient) release() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cl.hold.release()
}

// write takes program message bytes; end marks the end of a message (the
// link's END indicator), which terminates it like a newline. It returns
// ErrLinkDropped when a fault drops the link. A message that runs long is
// given up (errInterrupted) when one of the stop channels closes or,
// when gone is not nil, the channel it returns does: gone is called only
// then, so a link that must start watching its client for it (a
// peerConn) does so only for a long message.
func (m *msgClient) write(data []byte, end bool, gone func() <-chan struct{}, stop ...<-chan struct{}) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gone, m.stop = gone, stop
	defer func() { m.gone, m.stop = nil, nil }()
	m.compact()
	if _, err := m.cl.Write(data); err != nil {
		return err
	}
	if end && len(data) > 0 && data[len(data)-1] != '\n' {
		if _, err := m.cl.Write([]byte{'\n'}); err != nil {
			return err
		}
	}
	return nil
}

// readResult is how a piece of response read ended: zero when more of
// the response waits, else a set of flags.
type readResult int

const (
	readEnd     readResult = 1 << iota // the response was read to its end
	readTerm                           // the term character ended the piece
	readTimeout                        // nothing to read within the wait
	readAborted                        // the wait was aborted
)

// read takes up to max bytes of the waiting response (up to and including
// term when term >= 0), waiting up to wait for one; stop channels end the
// wait early. The piece aliases the client's buffer: it is valid until
// the next call on m, so the caller sends it before anything else. Nothing to read within wait records -420 Query
// UNTERMINATED, as IEEE 488.2 says of reading with no query sent. A wait
// longer than watchAfter also ends on the channel gone returns (when
// gone is not nil): the client went away.
//
// With into set, the piece is written to into instead, under m's lock,
// and nil returned: for a link whose devices other clients share
// (Prologix: hosts on one bus), whose next call on m may come from
// another goroutine at any time.
func (m *msgClient) read(into *bytes.Buffer, max, term int, wait time.Duration, gone func() <-chan struct{}, stop ...<-chan struct{}) ([]byte, readResult) {
	m.mu.Lock()
	m.compact()
	if len(m.cl.out) > 0 && !m.shaped && m.in.faultsOn.Load() {
		delay, drop := m.in.shape(m.cl.out)
		if drop {
			m.cl.out = m.cl.out[:0]
		} else {
			m.shaped, m.readyAt = true, time.Now().Add(delay)
		}
	}
	var until time.Duration
	switch {
	case len(m.cl.out) == 0:
		until = wait
	case m.shaped && time.Until(m.readyAt) > 0:
		until = min(time.Until(m.readyAt), wait)
	}
	m.mu.Unlock()
	if until > watchAfter && gone != nil {
		stop = append(stop[:len(stop):len(stop)], gone())
	}
	if until > 0 && !sleepUnless(until, stop...) {
		return nil, readAborted
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.cl.out) == 0 {
		m.in.PushError(ErrQueryUnterminated)
		return nil, readTimeout
	}
	if m.shaped && time.Until(m.readyAt) > 0 {
		return nil, readTimeout
	}
	out := m.cl.out[m.off:]
	n := min(max, len(out))
	var res readResult
	if term >= 0 {
		for i, c := range out[:n] {
			if int(c) == term {
				n, res = i+1, readTerm
				break
			}
		}
	}
	piece := out[:n:n]
	m.off += n
	if m.off == len(m.cl.out) {
		m.cl.out, m.off = m.cl.out[:0], 0
		m.shaped = false
		res |= readEnd
	}
	if into != nil {
		into.Write(piece)
		piece = nil
	}
	return piece, res
}

// sleepUnless waits d, or less when one of the (up to four) stop
// channels closes or receives; it reports whether d passed.
func sleepUnless(d time.Duration, stop ...<-chan struct{}) bool {
	if len(stop) > 4 {
		panic("sim: sleepUnless takes four stop channels at most")
	}
	t := time.NewTimer(d)
	defer t.Stop()
	var s0, s1, s2, s3 <-chan struct{}
	if len(stop) > 0 {
		s0 = stop[0]
	}
	if len(stop) > 1 {
		s1 = stop[1]
	}
	if len(stop) > 2 {
		s2 = stop[2]
	}
	if len(stop) > 3 {
		s3 = stop[3]
	}
	select {
	case <-t.C:
		return true
	case <-s0:
	case <-s1:
	case <-s2:
	case <-s3:
	}
	return false
}

// statusByte is the status byte, MAV set while a response waits.
func (m *msgClient) statusByte() byte {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.compact()
	return m.cl.StatusByte()
}

// clear is a device clear: input and output discarded.
func (m *msgClient) clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cl.Clear()
	m.shaped, m.off = false, 0
}

// trigger is a device trigger (GPIB GET): *TRG.
func (m *msgClient) trigger() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.compact()
	return m.cl.Execute([]byte("*TRG"))
}
