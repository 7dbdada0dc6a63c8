package gpib

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scpikit/scpikit/internal/ctxlock"
	"github.com/scpikit/scpikit/internal/interrupt"
	"github.com/scpikit/scpikit/internal/msgframe"
	"github.com/scpikit/scpikit/transport"
	_ "github.com/scpikit/scpikit/transport/serial" // GPIB-USB adapters
	_ "github.com/scpikit/scpikit/transport/socket" // GPIB-ETHERNET adapters
)

func init() { transport.Register(transport.LinkGPIB, open) }

// EnvAdapter names the environment variable read for the adapter's
// resource when transport.WithGPIBAdapter is not given.
const EnvAdapter = "SCPIKIT_GPIB_ADAPTER"

// ErrNoAdapter is matched when a GPIB resource is opened without an
// adapter configured.
var ErrNoAdapter = errors.New("gpib: no Prologix adapter configured (transport.WithGPIBAdapter or " + EnvAdapter + ")")

// ErrNotPrologix is matched when the adapter does not answer ++ver as a
// Prologix controller does.
var ErrNotPrologix = errors.New("gpib: the adapter does not answer as a Prologix controller")

// ErrReplyTooLong is matched when a reply grows past MaxReply without
// ending.
var ErrReplyTooLong = errors.New("gpib: reply too long")

// MaxReply bounds one reply read through the adapter.
const MaxReply = 256 << 20

// eotChar is the byte the adapter is told to send after the byte that
// came with EOI (++eot_enable 1, ++eot_char 4): the host sees where the
// instrument's reply ended, not only its newline. ASCII EOT, which no
// IEEE 488.2 response message starts with; inside a block's payload,
// where it may occur, it is never looked for.
const eotChar = 4

func open(ctx context.Context, r transport.Resource, o transport.Options) (transport.Conn, error) {
	adapter := o.GPIBAdapter
	if adapter == "" {
		adapter = os.Getenv(EnvAdapter)
	}
	if adapter == "" {
		return nil, ErrNoAdapter
	}
	return Dial(ctx, adapter, r.PrimaryAddress, r.SecondaryAddress, o)
}

// adapters are the open Prologix controllers, shared by every Conn that
// goes through them: a registry. An adapter is in it from when its dial
// starts, so that one dial serves every caller; the lock is not held
// while it runs.
var adapters = struct {
	sync.Mutex
	m map[string]*adapter
}{m: map[string]*adapter{}}

// adapter is one open Prologix controller.
type adapter struct {
	key   string
	conn  transport.Conn
	refs  int           // guarded by adapters
	ready chan struct{} // closed when the dial and set-up are done, or failed

	bus      chan struct{} // held for a whole exchange
	selected string        // the ++addr in effect
	dirty    bool          // a read was cut short: resync before use
	rbuf     []byte
	scratch  []byte     // what one read of the adapter lands in
	om       sync.Mutex // owner
	owner    *Conn
}

func acquireAdapter(ctx context.Context, resource string, o transport.Options) (*adapter, error) {
	key := strings.ToUpper(resource)
	if r, err := transport.ParseResource(resource); err == nil {
		if r.Link() == transport.LinkGPIB {
			// It would open itself through itself, for ever.
			return nil, fmt.Errorf("%w: GPIB adapter %q is itself a GPIB resource", transport.ErrBadResource, resource)
		}
		key = r.String()
	}
	for {
		adapters.Lock()
		a := adapters.m[key]
		if a == nil {
			a = &adapter{key: key, refs: 1, bus: make(chan struct{}, 1), ready: make(chan struct{})}
			adapters.m[key] = a
			adapters.Unlock()
			if err := a.open(ctx, resource, o); err != nil {
				return nil, err
			}
			return a, nil
		}
		adapters.Unlock()
		select {
		case <-a.ready:
		case <-ctx.Done():
			return nil, fmt.Errorf("gpib: adapter: waiting for its dial: %w", ctx.Err())
		}
		adapters.Lock()
		if adapters.m[key] == a {
			a.refs++
			adapters.Unlock()
			return a, nil
		}
		// Its dial failed (perhaps only its caller's context ended), or
		// its last user closed it meanwhile: dial anew.
		adapters.Unlock()
	}
}

// open dials and sets up a new adapter, already registered, and makes it
// ready; a failure takes it out of the registry.
func (a *adapter) open(ctx context.Context, resource string, o transport.Options) (err error) {
	defer func() {
		if err != nil {
			adapters.Lock()
			delete(adapters.m, a.key)
			adapters.Unlock()
		}
		close(a.ready)
	}()
	o.GPIBAdapter = ""
	a.conn, err = transport.Open(ctx, resource, func(x *transport.Options) { *x = o })
	if err != nil {
		return fmt.Errorf("gpib: adapter: %w", err)
	}
	if err := a.setup(ctx); err != nil {
		a.conn.Close()
		return err
	}
	return nil
}

func (a *adapter) release() error {
	adapters.Lock()
	defer adapters.Unlock()
	a.refs--
	if a.refs > 0 {
		return nil
	}
	if adapters.m[a.key] == a {
		delete(adapters.m, a.key)
	}
	return a.conn.Close()
}

// write sends p to the adapter; see broke.
func (a *adapter) write(p []byte) (int, error) {
	n, err := a.conn.Write(p)
	a.broke(err)
	return n, err
}

// broke takes an adapter whose link failed (an error that is not a
// timeout: the adapter rebooted, its cable or network went) out of the
// registry, so that the next Dial to it, a session reconnecting, dials it
// again instead of getting this dead link for as long as another address
// still uses it. Its present users keep it until they close.
func (a *adapter) broke(err error) {
	if err == nil || errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrReplyTooLong) {
		return
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return
	}
	adapters.Lock()
	if adapters.m[a.key] == a {
		delete(adapters.m, a.key)
	}
	adapters.Unlock()
}

// setup checks that a Prologix controller answers and configures it.
func (a *adapter) setup(ctx context.Context) error {
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(5 * time.Second)
	}
	a.conn.SetDeadline(dl)
	defer a.conn.SetDeadline(time.Time{})
	defer interrupt.OnDone(ctx, a.conn)() // lands before the restore
	if _, err := a.write([]byte("++ver\n")); err != nil {
		return fmt.Errorf("gpib: adapter: %w", err)
	}
	line, err := a.readLine()
	if err != nil {
		return fmt.Errorf("%w: ++ver: %w", ErrNotPrologix, err)
	}
	if !strings.HasPrefix(line, "Prologix") {
		return fmt.Errorf("%w: ++ver answered %q", ErrNotPrologix, line)
	}
	if _, err := a.write([]byte("++mode 1\n++auto 0\n++eoi 1\n++eos 2\n++eot_enable 1\n++eot_char " + strconv.Itoa(eotChar) + "\n++read_tmo_ms 3000\n")); err != nil {
		return fmt.Errorf("gpib: adapter set-up: %w", err)
	}
	return nil
}

// readLine reads one line the adapter says of its own (++ver, ++spoll),
// without its CR LF.
func (a *adapter) readLine() (string, error) {
	for {
		if i := bytes.IndexByte(a.rbuf, '\n'); i >= 0 {
			line := strings.TrimRight(string(a.rbuf[:i]), "\r")
			a.rbuf = a.rbuf[i+1:]
			return line, nil
		}
		if err := a.fill(); err != nil {
			return "", err
		}
	}
}

func (a *adapter) fill() error {
	if len(a.rbuf) > MaxReply {
		return ErrReplyTooLong
	}
	if a.scratch == nil {
		a.scratch = make([]byte, 32<<10)
	}
	n, err := a.conn.Read(a.scratch)
	a.rbuf = append(a.rbuf, a.scratch[:n]...)
	if n > 0 {
		return nil
	}
	if err == nil {
		return errors.New("gpib: adapter read returned nothing")
	}
	a.broke(err)
	return err
}

// resync aborts a read cut short (any input aborts the adapter's ++read)
// and drops what came before the answer to ++ver.
func (a *adapter) resync() error {
	if !a.dirty {
		return nil
	}
	if _, err := a.write([]byte("++ver\n")); err != nil {
		return err
	}
	for {
		i := bytes.Index(a.rbuf, []byte("Prologix"))
		if i >= 0 {
			if j := bytes.IndexByte(a.rbuf[i:], '\n'); j >= 0 {
				a.rbuf = a.rbuf[i+j+1:]
				a.dirty = false
				return nil
			}
		}
		if err := a.fill(); err != nil {
			return err
		}
	}
}

// Conn is a link to one GPIB address through a shared adapter.
type Conn struct {
	a      *adapter
	addr   string // "5" or "5 96"
	pad    int
	wbuf   []byte // a program message not yet ended
	rbuf   []byte // a reply read, not yet given to Read
	mu     ctxlock.Mutex
	dmu    sync.Mutex
	dl     time.Time
	kick   chan struct{} // SetDeadline wakes a wait for the bus
	closed bool
	// closing is set (under dmu) as Close starts: calls that take this
	// Conn after it return at once, and no deadline set after it
	// replaces the past one that interrupts the call under way. Without
	// it a call queued for the Conn would run (up to its own deadline)
	// before Close got it.
	closing bool
}

// Dial opens GPIB address pad (sad: transport.NoAddress, or 0-30) through
// the Prologix adapter at adapterResource.
func Dial(ctx context.Context, adapterResource string, pad, sad int, o transport.Options) (*Conn, error) {
	if pad < 0 || pad > 30 {
		return nil, fmt.Errorf("%w: GPIB primary address %d is not 0-30", transport.ErrBadResource, pad)
	}
	addr := strconv.Itoa(pad)
	if sad != transport.NoAddress {
		if sad < 0 || sad > 30 {
			return nil, fmt.Errorf("%w: GPIB secondary address %d is not 0-30", transport.ErrBadResource, sad)
		}
		addr += " " + strconv.Itoa(96+sad) // Prologix takes 96-126
	}
	a, err := acquireAdapter(ctx, adapterResource, o)
	if err != nil {
		return nil, err
	}
	return &Conn{a: a, addr: addr, pad: pad, kick: make(chan struct{}, 1), mu: ctxlock.New()}, nil
}

// Adapter is the resource of the adapter this Conn goes through.
func (c *Conn) Adapter() string { return c.a.key }

// TerminatesAtEnd reports that every reply read through the link ends
// with a newline: one is added to a reply the instrument ended with EOI
// alone, so a session's framing must read it, bare blocks included.
func (c *Conn) TerminatesAtEnd() bool { return true }

func (c *Conn) deadline() time.Time {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.dl
}

// SetDeadline bounds calls under way and to come, including the wait for
// the bus.
func (c *Conn) SetDeadline(t time.Time) error {
	c.dmu.Lock()
	if c.closing {
		c.dmu.Unlock()
		return net.ErrClosed // the past deadline Close set stays
	}
	c.dl = t
	c.dmu.Unlock()
	return c.applyDeadline()
}

// applyDeadline wakes a wait for the bus and bounds the adapter's I/O
// under way with the deadline as it is now (read under om, so of two
// racing setters the last to apply applies the newest).
func (c *Conn) applyDeadline() error {
	select {
	case c.kick <- struct{}{}:
	default:
	}
	c.a.om.Lock()
	defer c.a.om.Unlock()
	if c.a.owner == c {
		return c.a.conn.SetDeadline(c.deadline())
	}
	return nil
}

// isClosed reports whether Close has begun.
func (c *Conn) isClosed() bool {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.closing
}

// hold takes the bus for one exchange, waiting as long as the deadline
// allows, and selects this Conn's address.
func (c *Conn) hold() error {
	for {
		dl := c.deadline()
		var timeout <-chan time.Time
		var t *time.Timer
		if !dl.IsZero() {
			left := time.Until(dl)
			if left <= 0 {
				return fmt.Errorf("gpib: waiting for the bus: %w", os.ErrDeadlineExceeded)
			}
			t = time.NewTimer(left)
			timeout = t.C
		}
		select {
		case c.a.bus <- struct{}{}:
			if t != nil {
				t.Stop()
			}
			return c.selectAddress()
		case <-timeout:
			return fmt.Errorf("gpib: waiting for the bus: %w", os.ErrDeadlineExceeded)
		case <-c.kick:
			if t != nil {
				t.Stop()
			}
			// the deadline moved: wait again with the new one
		}
	}
}

// selectAddress makes the bus this Conn's, cleaning up after a cut read
// and sending ++addr when another address was selected. It lets the bus
// go again when that fails.
func (c *Conn) selectAddress() error {
	c.a.om.Lock()
	c.a.owner = c
	c.a.conn.SetDeadline(c.deadline())
	c.a.om.Unlock()
	if err := c.a.resync(); err != nil {
		c.letGo()
		return fmt.Errorf("gpib: adapter resync: %w", err)
	}
	if c.a.selected != c.addr {
		if _, err := c.a.write([]byte("++addr " + c.addr + "\n")); err != nil {
			c.a.dirty = true
			c.letGo()
			return fmt.Errorf("gpib: select address %s: %w", c.addr, err)
		}
		c.a.selected = c.addr
	}
	return nil
}

func (c *Conn) letGo() {
	if len(c.a.rbuf) > 0 {
		// Bytes after the reply (a reply with more than one line before
		// its EOI, an answer with more than asked) are this exchange's
		// and may still be coming: never another exchange's reply, so
		// the next one, whatever its address, drops them first.
		c.a.dirty = true
	}
	c.a.om.Lock()
	c.a.owner = nil
	c.a.conn.SetDeadline(time.Time{})
	c.a.om.Unlock()
	<-c.a.bus
}

// escape escapes the bytes the adapter would take for its own.
func escape(dst, data []byte) []byte {
	for _, b := range data {
		switch b {
		case '\r', '\n', 27, '+':
			dst = append(dst, 27)
		}
		dst = append(dst, b)
	}
	return dst
}

// Write sends each complete program message (ended by "\n") to the
// instrument; a message's beginning is kept until its end arrives, so the
// bus is held for whole messages only.
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	c.wbuf = append(c.wbuf, b...)
	if len(c.wbuf) == 0 || c.wbuf[len(c.wbuf)-1] != '\n' {
		return len(b), nil
	}
	if err := c.hold(); err != nil {
		c.wbuf = c.wbuf[:len(c.wbuf)-len(b)]
		return 0, err
	}
	defer c.letGo()
	msg := c.wbuf[:len(c.wbuf)-1] // the adapter ends it with LF and EOI (++eos 2, ++eoi 1)
	out := escape(make([]byte, 0, len(msg)+len(msg)/16+1), msg)
	out = append(out, '\n')
	n, err := c.a.write(out)
	if err != nil {
		if n > 0 {
			c.a.dirty = true // the adapter holds part of a message
		}
		c.wbuf = c.wbuf[:len(c.wbuf)-len(b)]
		return 0, fmt.Errorf("gpib: write to %s: %w", c.addr, err)
	}
	c.wbuf = c.wbuf[:0]
	return len(b), nil
}

// Read gives the instrument's reply, read whole with ++read eoi while the
// bus is held.
func (c *Conn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	if len(c.rbuf) == 0 {
		if err := c.readReply(); err != nil {
			return 0, err
		}
	}
	n := copy(b, c.rbuf)
	c.rbuf = c.rbuf[n:]
	return n, nil
}

func (c *Conn) readReply() error {
	if err := c.hold(); err != nil {
		return err
	}
	defer c.letGo()
	a := c.a
	if _, err := a.write([]byte("++read eoi\n")); err != nil {
		return fmt.Errorf("gpib: read from %s: %w", c.addr, err)
	}
	sc := msgframe.NewScanner()
	// end looks for the end mark alone: a reply the instrument ended with
	// EOI and no newline (488.1 instruments, or one set to terminate with
	// EOI only) ends there, as a VISA read ends at END.
	end := msgframe.NewScanner()
	for {
		if done, at := sc.Scan(a.rbuf, '\n'); done {
			c.rbuf = append(c.rbuf[:0], a.rbuf[:at+1]...)
			a.rbuf = a.rbuf[at+1:]
			if len(a.rbuf) > 0 && a.rbuf[0] == eotChar && !sc.Indefinite() {
				a.rbuf = a.rbuf[1:] // EOI came with the newline: the reply is whole
			} else {
				// (After an indefinite block's header, the newline may
				// be its payload's and the end mark a data byte after
				// it: such a reply is never taken for whole either.)
				// The adapter's read has not been seen to end: more
				// lines of this reply (*LRN?, a catalog) may be on their
				// way, or only its end mark. The next exchange, whatever
				// its address, resyncs first, so they are never taken
				// for its reply.
				a.dirty = true
			}
			return nil
		}
		// No newline outside a block so far: the end mark, outside a
		// block or string, and the last byte read, is the reply's end
		// (the adapter sends nothing after it). (An indefinite block's
		// payload may hold the mark's byte as data, and 488.2 ends the
		// block with a newline: it is waited for.)
		for {
			done, at := end.Scan(a.rbuf, eotChar)
			if !done || end.Indefinite() {
				break
			}
			if at < len(a.rbuf)-1 || end.InString() {
				if at == len(a.rbuf)-1 {
					break // in a string: wait for what follows
				}
				end.Pos = at + 1 // bytes came after it: a data byte
				continue
			}
			// The session's framing ends a message at its newline: one is
			// added, as the VXI-11 link does for a reply ended by END.
			c.rbuf = append(append(c.rbuf[:0], a.rbuf[:at]...), '\n')
			a.rbuf = a.rbuf[at+1:]
			// A data byte 4 that a read happened to end with looks the
			// same: should more of the reply come, the next exchange,
			// whatever its address, drops it first.
			a.dirty = true
			return nil
		}
		if err := a.fill(); err != nil {
			a.dirty = true
			return fmt.Errorf("gpib: read from %s: %w", c.addr, err)
		}
	}
}

// command sends one adapter command for this address under the bus,
// bounded by ctx, and reads its one-line answer when answer is set.
func (c *Conn) command(ctx context.Context, cmd string, answer bool) (string, error) {
	if err := c.lock(ctx, cmd); err != nil {
		return "", err
	}
	defer c.mu.Unlock()
	return c.commandLocked(ctx, cmd, answer)
}

// lock takes this Conn for an out-of-band call, waiting no longer than
// ctx allows: a Read can hold it until its own deadline.
func (c *Conn) lock(ctx context.Context, cmd string) error {
	if err := c.mu.LockCtx(ctx); err != nil {
		return fmt.Errorf("gpib: %s: waiting for the link to %s: %w", cmd, c.addr, err)
	}
	return nil
}

// commandLocked is command under c.mu.
func (c *Conn) commandLocked(ctx context.Context, cmd string, answer bool) (string, error) {
	if c.isClosed() {
		return "", net.ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	saved := c.deadline()
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(10 * time.Second)
	}
	c.SetDeadline(dl)
	defer c.SetDeadline(saved)
	// An interrupt under way lands before the restore, or its past
	// deadline would be the Conn's from then on.
	defer interrupt.OnDone(ctx, c)()
	if err := c.hold(); err != nil {
		return "", errors.Join(ctx.Err(), err)
	}
	defer c.letGo()
	if _, err := c.a.write([]byte(cmd + "\n")); err != nil {
		return "", errors.Join(ctx.Err(), fmt.Errorf("gpib: %s: %w", cmd, err))
	}
	if !answer {
		return "", nil
	}
	line, err := c.a.readLine()
	if err != nil {
		c.a.dirty = true
		return "", errors.Join(ctx.Err(), fmt.Errorf("gpib: %s: %w", cmd, err))
	}
	return line, nil
}

// Clear sends Selected Device Clear (++clr) and drops a reply not yet read.
func (c *Conn) Clear(ctx context.Context) error {
	if err := c.lock(ctx, "++clr"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	_, err := c.commandLocked(ctx, "++clr", false)
	c.rbuf, c.wbuf = c.rbuf[:0], c.wbuf[:0]
	return err
}

// Trigger sends Group Execute Trigger to this address (++trg).
func (c *Conn) Trigger(ctx context.Context) error {
	_, err := c.command(ctx, "++trg", false)
	return err
}

// HoldsReplies is true (transport.ReplyHolder): the adapter reads a reply only on ++read.
func (c *Conn) HoldsReplies() bool { return true }

// ReadStatusByte serial-polls this address (++spoll).
func (c *Conn) ReadStatusByte(ctx context.Context) (byte, error) {
	line, err := c.command(ctx, "++spoll "+c.addr, true)
	if err != nil {
		return 0, err
	}
	v, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || v < 0 || v > 255 {
		return 0, fmt.Errorf("gpib: ++spoll answered %q, not a status byte", line)
	}
	return byte(v), nil
}

// Close releases this address (interrupting an exchange under way); the
// adapter closes with its last user.
func (c *Conn) Close() error {
	c.dmu.Lock()
	c.closing, c.dl = true, time.Unix(1, 0)
	c.dmu.Unlock()
	c.applyDeadline()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	return c.a.release()
}
