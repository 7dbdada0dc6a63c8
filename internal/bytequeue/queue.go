package bytequeue

import (
	"io"
	"os"
	"sync"
	"time"
)

// Queue is a FIFO of bytes. Writes never block; reads block until data,
// Close, or the reader's Deadline.
type Queue struct {
	mu     sync.Mutex
	buf    []byte
	off    int
	closed bool
	wake   chan struct{} // closed and replaced when state changes and a reader waits
	waited bool          // a reader holds wake
}

// New returns an empty open queue.
func New() *Queue { return &Queue{wake: make(chan struct{})} }

// signalLocked wakes waiting readers. With none waiting it does nothing,
// so a write that nobody is blocked on costs no allocation.
func (q *Queue) signalLocked() {
	if !q.waited {
		return
	}
	close(q.wake)
	q.wake = make(chan struct{})
	q.waited = false
}

// Write appends p. It fails with io.ErrClosedPipe once the queue is closed.
func (q *Queue) Write(p []byte) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, io.ErrClosedPipe
	}
	if len(p) == 0 {
		return 0, nil
	}
	if q.off > 0 && q.off == len(q.buf) {
		q.buf, q.off = q.buf[:0], 0
	}
	q.buf = append(q.buf, p...)
	q.signalLocked()
	return len(p), nil
}

// Close marks the end of the stream: readers drain what is queued, then get
// io.EOF. Close is idempotent.
func (q *Queue) Close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.closed {
		q.closed = true
		q.signalLocked()
	}
}

// Len reports how many bytes are queued.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.buf) - q.off
}

// Reset discards everything queued.
func (q *Queue) Reset() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.buf, q.off = q.buf[:0], 0
}

// Read copies queued bytes into p, blocking until some are queued, the queue
// is closed (io.EOF) or d expires (os.ErrDeadlineExceeded). d may be nil.
func (q *Queue) Read(p []byte, d *Deadline) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		q.mu.Lock()
		if n := len(q.buf) - q.off; n > 0 {
			n = copy(p, q.buf[q.off:])
			q.off += n
			q.mu.Unlock()
			return n, nil
		}
		if q.closed {
			q.mu.Unlock()
			return 0, io.EOF
		}
		wake := q.wake
		q.waited = true
		q.mu.Unlock()
		if err := d.wait(wake); err != nil {
			return 0, err
		}
	}
}

// Deadline is a settable point in time that interrupts blocked reads when
// it passes or changes, with net.Conn semantics: the zero time means none,
// and a time in the past makes every blocked and future read fail at once.
type Deadline struct {
	mu      sync.Mutex
	t       time.Time
	changed chan struct{}
}

// Set moves the deadline and wakes blocked readers so they re-evaluate it.
func (d *Deadline) Set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.t = t
	if d.changed != nil {
		close(d.changed)
		d.changed = nil
	}
}

// Expired reports whether the deadline is set and has passed.
func (d *Deadline) Expired() bool {
	if d == nil {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return !d.t.IsZero() && !time.Now().Before(d.t)
}

func (d *Deadline) state() (time.Time, <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.changed == nil {
		d.changed = make(chan struct{})
	}
	return d.t, d.changed
}

// Wait blocks until wake is closed, the deadline passes or moves. It
// returns os.ErrDeadlineExceeded when the deadline has passed.
func (d *Deadline) Wait(wake <-chan struct{}) error { return d.wait(wake) }

func (d *Deadline) wait(wake <-chan struct{}) error {
	if d == nil {
		<-wake
		return nil
	}
	t, changed := d.state()
	if t.IsZero() {
		select {
		case <-wake:
		case <-changed:
		}
		return nil
	}
	left := time.Until(t)
	if left <= 0 {
		return os.ErrDeadlineExceeded
	}
	timer := time.NewTimer(left)
	defer timer.Stop()
	select {
	case <-wake:
	case <-changed:
	case <-timer.C:
		return os.ErrDeadlineExceeded
	}
	return nil
}
