package vxi11

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/scpikit/scpikit/internal/ctxlock"
	"github.com/scpikit/scpikit/internal/interrupt"
	"github.com/scpikit/scpikit/internal/oncrpc"
	"github.com/scpikit/scpikit/internal/tcpdial"
	"github.com/scpikit/scpikit/internal/vxi11wire"
	"github.com/scpikit/scpikit/transport"
)

func init() { transport.Register(transport.LinkVXI11, open) }

func open(ctx context.Context, r transport.Resource, o transport.Options) (transport.Conn, error) {
	return Dial(ctx, r.Host, r.Device, o)
}

// DeviceError is a VXI-11 Device_ErrorCode the instrument returned.
type DeviceError struct {
	Op   string // "create_link", "device_write", ...
	Code vxi11wire.ErrorCode
}

func (e *DeviceError) Error() string {
	return fmt.Sprintf("vxi11: %s: %s (error %d)", e.Op, e.Code, int32(e.Code))
}

// Is lets a VXI-11 I/O timeout match os.ErrDeadlineExceeded, as every
// link's timeout does.
func (e *DeviceError) Is(target error) bool {
	return target == os.ErrDeadlineExceeded && e.Code == vxi11wire.ErrIOTimeout
}

// ErrLocked is matched when the device is locked by another link and the
// lock did not come free in time.
var ErrLocked = errors.New("vxi11: device locked by another link")

// ErrMalformed is matched by the error for a reply that is not valid ONC
// RPC or VXI-11 (a wrong transaction ID, a record that lies about its
// length); the link is closed.
var ErrMalformed = oncrpc.ErrMalformed

// ErrNoData is matched when the instrument answers device_read again and
// again at once (within 50 ms) with no data, no END and no error: a reply VXI-11 does not allow
// (device_read returns when requestSize bytes came, the term character or
// END, or with an error such as its io_timeout). Asking again at once
// would spin until the deadline; the link stays usable.
var ErrNoData = errors.New("vxi11: device_read returned no data and no END")

// ErrEarlyTimeout is matched when, with no deadline set, the instrument
// answers device_read with its io_timeout error again and again at once
// (within 50 ms), not after the io_timeout asked for: asking again at once would
// spin for ever. The error also matches os.ErrDeadlineExceeded and
// carries the instrument's *DeviceError; the link stays usable.
var ErrEarlyTimeout = errors.New("vxi11: device_read timed out long before its io_timeout")

const (
	maxReply      = vxi11wire.MaxData + 1024
	readChunk     = 1 << 20 // bytes asked for per device_read
	noDeadlineIO  = 10_000  // ms per device_read when no deadline is set
	lockTimeoutMS = 0       // do not wait for another link's lock unless asked
	// maxEmptyReads bounds the device_read replies in a row with no data
	// and no END, each back within spinReply, that Read asks past: see
	// ErrNoData.
	maxEmptyReads = 4
	// maxEarlyTimeouts bounds the io_timeout replies in a row, each back
	// within spinReply, that a Read with no deadline asks past: see
	// ErrEarlyTimeout.
	maxEarlyTimeouts = 4
	// spinReply: a reply back sooner came at once, without the wait the
	// call asked for, and asking again at once would spin. One that took
	// longer (an instrument that caps io_timeout at 500 ms, or waits and
	// then has nothing) is an instrument waiting, and is waited on.
	spinReply = 50 * time.Millisecond
)

// abortWait bounds sending device_abort and waiting for its reply (a
// variable for tests).
var abortWait = 2 * time.Second

// Conn is an open VXI-11 link. Its methods may be called from several
// goroutines; calls are sent one at a time.
type Conn struct {
	host   string
	device string
	core   net.Conn
	lid    int32
	// maxRecv is the largest device_write data the instrument accepts.
	maxRecv   int
	abortPort int

	mu   ctxlock.Mutex // one call at a time on the core channel
	xid  uint32
	owed []owedCall // calls whose replies a deadline cut off
	// abandoned is set when a late reply shows that a device_lock its
	// caller gave up on was granted after all: the next call releases it.
	abandoned bool
	rr        oncrpc.RecordReader // resumes a reply a deadline cut in two
	ebuf      []byte              // the last call's encoding, reused by the next
	pending   []byte              // device_read data not yet given to Read; aliases rr's record
	broken    error               // set when the core channel lost its framing
	closed    bool
	// closing is set (under dmu) as Close starts: calls that take the
	// link after it return at once, and no deadline set after it
	// replaces the past one that interrupts the call under way. Without
	// it a call queued for the link would run (up to its own deadline)
	// before Close got the link.
	closing bool
	// ctx bounds the out-of-band call under way (set by withCtx); Read
	// and Write are bounded by deadline instead.
	ctx      context.Context
	dmu      sync.Mutex
	deadline time.Time
	// stopAbort ends a device_abort under way: SetDeadline interrupts it
	// as it does the core channel.
	stopAbort context.CancelFunc
}

// Dial opens a link to device ("inst0" when empty) on host, through the
// portmapper at o.PortmapperPort.
func Dial(ctx context.Context, host, device string, o transport.Options) (*Conn, error) {
	if device == "" {
		device = "inst0"
	}
	o = withDefaults(o)
	ctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	pm := o.PortmapperPort
	if pm == 0 {
		pm = oncrpc.PortmapPort
	}
	port, err := GetPort(ctx, net.JoinHostPort(host, strconv.Itoa(pm)), vxi11wire.CoreProg, vxi11wire.Version)
	if err != nil {
		return nil, err
	}
	tc, err := tcpdial.Dial(ctx, net.JoinHostPort(host, strconv.Itoa(port)), o)
	if err != nil {
		return nil, fmt.Errorf("vxi11: core channel: %w", err)
	}
	c := &Conn{host: host, device: device, core: tc, xid: uint32(time.Now().UnixNano()), mu: ctxlock.New()}
	c.rr = oncrpc.RecordReader{R: tc, Max: maxReply}
	stop := context.AfterFunc(ctx, func() { tc.SetDeadline(time.Unix(1, 0)) })
	var resp vxi11wire.CreateLinkResp
	err = c.call(vxi11wire.ProcCreateLink, func(e *oncrpc.Encoder) {
		vxi11wire.CreateLinkParms{ClientID: int32(os.Getpid()), Device: device}.Encode(e)
	}, func(d *oncrpc.Decoder) { resp = vxi11wire.DecodeCreateLinkResp(d) })
	if !stop() {
		err = errors.Join(err, ctx.Err())
	}
	if err == nil && resp.Error != vxi11wire.ErrNone {
		err = &DeviceError{Op: "create_link " + device, Code: resp.Error}
	}
	if err != nil {
		tc.Close()
		return nil, err
	}
	tc.SetDeadline(time.Time{})
	c.lid, c.abortPort = resp.LinkID, int(resp.AbortPort)
	c.maxRecv = int(resp.MaxRecvSize)
	if c.maxRecv < 1024 { // VXI-11 B.6.1: at least 1024
		c.maxRecv = 1024
	}
	return c, nil
}

func withDefaults(o transport.Options) transport.Options {
	if o.DialTimeout <= 0 {
		o.DialTimeout = transport.NewOptions().DialTimeout
	}
	return o
}

// GetPort asks the portmapper at address ("host:111") over TCP for the
// port of program prog, version vers, on TCP.
func GetPort(ctx context.Context, address string, prog, vers uint32) (int, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", address)
	if err != nil {
		return 0, fmt.Errorf("vxi11: portmapper: %w", err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	var e oncrpc.Encoder
	e.B = make([]byte, 4, 64)
	xid := uint32(time.Now().UnixNano())
	oncrpc.AppendGetPort(&e, xid, prog, vers)
	if _, err := nc.Write(oncrpc.AppendRecordMark(e.B)); err != nil {
		return 0, fmt.Errorf("vxi11: portmapper: %w", ctxErr(ctx, err))
	}
	rec, err := oncrpc.ReadRecord(nc, nil, 4096)
	if err != nil {
		return 0, fmt.Errorf("vxi11: portmapper: %w", ctxErr(ctx, err))
	}
	port, err := oncrpc.ParseGetPortReply(rec, xid)
	if err != nil {
		return 0, fmt.Errorf("vxi11: portmapper: %w", err)
	}
	if port == 0 || port > 65535 {
		return 0, fmt.Errorf("vxi11: portmapper at %s: no VXI-11 core channel registered (port %d)", address, port)
	}
	return int(port), nil
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.Join(ctx.Err(), err)
	}
	return err
}

// call sends one core channel call and decodes its reply, under c.mu.
// maxKeptCall bounds the encoding buffer a Conn keeps between calls: a
// large device_write's is let go.
const maxKeptCall = 16 << 10

func (c *Conn) call(proc uint32, args func(*oncrpc.Encoder), results func(*oncrpc.Decoder)) error {
	_, err := c.exchange(proc, args, results)
	return err
}

// exchange is call that also says whether the call's record went out
// whole: then the instrument may act on it, whatever the error.
func (c *Conn) exchange(proc uint32, args func(*oncrpc.Encoder), results func(*oncrpc.Decoder)) (sent bool, err error) {
	if c.broken != nil {
		return false, c.broken
	}
	if len(c.owed) > 0 {
		c.abort()
	}
	if len(c.pending) > 0 { // it aliases the record buffer, which this call reuses
		c.pending = append([]byte(nil), c.pending...)
	}
	c.xid++
	xid := c.xid
	if c.ebuf == nil {
		c.ebuf = make([]byte, 0, 256)
	}
	e := oncrpc.Encoder{B: append(c.ebuf[:0], 0, 0, 0, 0)} // the record mark's room
	oncrpc.AppendCall(&e, xid, vxi11wire.CoreProg, vxi11wire.Version, proc)
	args(&e)
	n, err := c.core.Write(oncrpc.AppendRecordMark(e.B))
	if cap(e.B) <= maxKeptCall {
		c.ebuf = e.B[:0]
	}
	if err != nil {
		if n > 0 { // part of a record went out: the stream is out of step
			c.broken = fmt.Errorf("vxi11: core channel broken by an interrupted call: %w", err)
		}
		return false, fmt.Errorf("vxi11: send: %w", err)
	}
	for {
		rec, err := c.rr.Next()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// The reply is late, or cut in two: the reader resumes it
				// and the next call drops it by its xid.
				c.owed = append(c.owed, owedCall{xid: xid, lock: proc == vxi11wire.ProcDeviceLock})
			} else {
				c.broken = fmt.Errorf("vxi11: core channel: %w", err)
			}
			return true, fmt.Errorf("vxi11: receive: %w", err)
		}
		d := oncrpc.NewDecoder(rec)
		got, err := oncrpc.DecodeReply(d)
		if err == nil && got != xid {
			if c.forgive(got, d) {
				continue
			}
			err = fmt.Errorf("%w: reply to call %#x, want %#x", oncrpc.ErrMalformed, got, xid)
		}
		if err != nil {
			c.broken = fmt.Errorf("vxi11: core channel: %w", err)
			return true, c.broken
		}
		c.owed = c.owed[:0]
		results(d)
		if err := d.Done(); err != nil {
			c.broken = fmt.Errorf("vxi11: core channel: %w", err)
			return true, c.broken
		}
		if proc != vxi11wire.ProcDeviceRead {
			// A device_read's data aliases the record buffer, which the
			// unlock would reuse: Read releases once it has the data.
			c.releaseAbandoned()
		}
		return true, nil
	}
}

// owedCall is a call whose reply a deadline cut off.
type owedCall struct {
	xid  uint32
	lock bool // a device_lock: granted late, it must be released
}

// forgive drops the late reply to a call a deadline cut off; d is the
// reply's results.
func (c *Conn) forgive(xid uint32, d *oncrpc.Decoder) bool {
	for i, o := range c.owed {
		if o.xid == xid {
			c.owed = append(c.owed[:i], c.owed[i+1:]...)
			if o.lock && vxi11wire.ErrorCode(d.Int32()) == vxi11wire.ErrNone {
				c.abandoned = true
			}
			return true
		}
	}
	return false
}

// releaseAbandoned unlocks a lock granted to a device_lock its caller
// gave up on: nobody knows they hold it, and it would hold off every
// other link.
func (c *Conn) releaseAbandoned() {
	if !c.abandoned {
		return
	}
	c.abandoned = false
	c.call(vxi11wire.ProcDeviceUnlock, func(e *oncrpc.Encoder) { e.Int32(c.lid) }, func(d *oncrpc.Decoder) { d.Int32() })
}

// abort sends device_abort on the abort channel, so that a read the
// instrument is still waiting on ends now rather than at its io_timeout.
// Failure is not an error: the late reply is dropped by its xid anyway.
// It takes no longer than the call it runs for may (its ctx, else the
// Conn's deadline), and at most abortWait; with no time left it is
// skipped.
func (c *Conn) abort() {
	if c.abortPort == 0 {
		return
	}
	parent := c.ctx
	if parent == nil {
		parent = context.Background()
	}
	dl := time.Now().Add(abortWait)
	c.dmu.Lock()
	if c.ctx == nil && !c.deadline.IsZero() && c.deadline.Before(dl) {
		dl = c.deadline
	}
	ctx, cancel := context.WithDeadline(parent, dl)
	c.stopAbort = cancel // under dmu with the deadline read: no interrupt is missed
	c.dmu.Unlock()
	defer func() {
		c.dmu.Lock()
		c.stopAbort = nil
		c.dmu.Unlock()
		cancel()
	}()
	if ctx.Err() != nil {
		return
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(c.host, strconv.Itoa(c.abortPort)))
	if err != nil {
		return
	}
	defer nc.Close()
	nc.SetDeadline(dl)
	defer interrupt.OnDone(ctx, nc)()
	e := oncrpc.Encoder{B: make([]byte, 4, 64)}
	oncrpc.AppendCall(&e, 1, vxi11wire.AbortProg, vxi11wire.Version, vxi11wire.ProcDeviceAbort)
	e.Int32(c.lid)
	if _, err := nc.Write(oncrpc.AppendRecordMark(e.B)); err == nil {
		oncrpc.ReadRecord(nc, nil, 256)
	}
}

// ioTimeout is the io_timeout for a call now: what is left of the
// deadline, in milliseconds, or the no-deadline chunk.
func (c *Conn) ioTimeout() (uint32, bool) {
	c.dmu.Lock()
	dl := c.deadline
	c.dmu.Unlock()
	if dl.IsZero() {
		return noDeadlineIO, false
	}
	left := time.Until(dl)
	if left <= 0 {
		return 0, true
	}
	return uint32(min(left.Milliseconds()+1, 1<<31)), true
}

func (c *Conn) expired() bool {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return !c.deadline.IsZero() && !time.Now().Before(c.deadline)
}

// Write sends b with device_write, in pieces of the instrument's
// maxRecvSize. The last piece carries END when b ends with "\n".
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	sent := 0
	for sent < len(b) {
		if c.expired() {
			return sent, fmt.Errorf("vxi11: write: %w", os.ErrDeadlineExceeded)
		}
		piece := b[sent:min(len(b), sent+c.maxRecv)]
		var flags uint32
		if sent+len(piece) == len(b) && b[len(b)-1] == '\n' {
			flags |= vxi11wire.FlagEnd
		}
		io, _ := c.ioTimeout()
		var resp vxi11wire.WriteResp
		out, err := c.exchange(vxi11wire.ProcDeviceWrite, func(e *oncrpc.Encoder) {
			vxi11wire.WriteParms{LinkID: c.lid, IOTimeout: io, LockTimeout: lockTimeoutMS, Flags: flags, Data: piece}.Encode(e)
		}, func(d *oncrpc.Decoder) { resp = vxi11wire.DecodeWriteResp(d) })
		if err != nil {
			if out {
				// The piece went out and the instrument may run it though
				// its reply was lost: counted, so that the caller knows
				// the command may have been sent and resynchronises.
				return sent + len(piece), err
			}
			return sent, err
		}
		if resp.Error != vxi11wire.ErrNone {
			return sent + int(min(resp.Size, uint32(len(piece)))), c.deviceErr("device_write", resp.Error)
		}
		if resp.Size == 0 || int(resp.Size) > len(piece) {
			return sent, fmt.Errorf("vxi11: device_write: instrument took %d of %d bytes", resp.Size, len(piece))
		}
		sent += int(resp.Size)
	}
	return sent, nil
}

func (c *Conn) deviceErr(op string, code vxi11wire.ErrorCode) error {
	if code == vxi11wire.ErrLocked {
		return fmt.Errorf("%w: %w", ErrLocked, &DeviceError{Op: op, Code: code})
	}
	return &DeviceError{Op: op, Code: code}
}

// Read gives what the instrument sent, fetching it with device_read when
// nothing is waiting. A reply ended by END without "\n" gets one, so the
// session's framing sees the end of the message.
func (c *Conn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.isClosed() {
		return 0, net.ErrClosed
	}
	empty, early := 0, 0
	for len(c.pending) == 0 {
		if c.expired() {
			return 0, fmt.Errorf("vxi11: read: %w", os.ErrDeadlineExceeded)
		}
		io, bounded := c.ioTimeout()
		var resp vxi11wire.ReadResp
		start := time.Now()
		err := c.call(vxi11wire.ProcDeviceRead, func(e *oncrpc.Encoder) {
			vxi11wire.ReadParms{LinkID: c.lid, RequestSize: uint32(max(len(b), readChunk)), IOTimeout: io, LockTimeout: lockTimeoutMS}.Encode(e)
		}, func(d *oncrpc.Decoder) { resp = vxi11wire.DecodeReadResp(d) })
		if err != nil {
			return 0, err
		}
		quick := time.Since(start) < spinReply
		if !quick {
			empty, early = 0, 0 // not in a row
		}
		if resp.Error == vxi11wire.ErrIOTimeout && !bounded {
			// No deadline: keep waiting, a chunk at a time, unless the
			// instrument does not wait at all.
			if !quick {
				continue
			}
			if early++; early < maxEarlyTimeouts {
				continue
			}
			return 0, fmt.Errorf("%w (%d replies in a row, io_timeout %d ms asked): %w",
				ErrEarlyTimeout, early, io, c.deviceErr("device_read", resp.Error))
		}
		if resp.Error != vxi11wire.ErrNone {
			return 0, c.deviceErr("device_read", resp.Error)
		}
		c.pending = resp.Data
		if resp.Reason&vxi11wire.ReasonEnd != 0 && (len(resp.Data) == 0 || resp.Data[len(resp.Data)-1] != '\n') {
			c.pending = append(c.pending, '\n')
		}
		if c.abandoned {
			c.pending = append([]byte(nil), c.pending...)
			c.releaseAbandoned()
		}
		if len(c.pending) == 0 && quick { // no data and no END, whatever the reason bits
			if empty++; empty >= maxEmptyReads {
				return 0, fmt.Errorf("%w (reason %#x, %d replies in a row)", ErrNoData, resp.Reason, empty)
			}
		}
	}
	n := copy(b, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// SetDeadline bounds calls under way and to come; a time in the past
// interrupts a call at once.
func (c *Conn) SetDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if c.closing {
		return net.ErrClosed // the past deadline Close set stays
	}
	c.deadline = t
	err := c.core.SetDeadline(t)
	// After the core channel's: the call an abort ends must not send.
	if c.stopAbort != nil && !t.IsZero() && !t.After(time.Now()) {
		c.stopAbort()
	}
	return err
}

// generic runs one of the calls that take Device_GenericParms, bounded by
// ctx; more reads what follows the error code in the reply.
func (c *Conn) generic(ctx context.Context, op string, proc uint32, more func(*oncrpc.Decoder)) error {
	if err := c.lock(ctx, op); err != nil {
		return err
	}
	defer c.mu.Unlock()
	return c.genericLocked(ctx, op, proc, more)
}

// genericLocked is generic under c.mu.
func (c *Conn) genericLocked(ctx context.Context, op string, proc uint32, more func(*oncrpc.Decoder)) error {
	return c.errorCallLocked(ctx, op, proc, func(e *oncrpc.Encoder, io uint32) {
		vxi11wire.GenericParms{LinkID: c.lid, LockTimeout: lockTimeoutMS, IOTimeout: io}.Encode(e)
	}, more)
}

// errorCall runs a call whose reply starts with a Device_ErrorCode,
// bounded by ctx: args get the io_timeout left, more (when set) reads the
// rest of the reply.
func (c *Conn) errorCall(ctx context.Context, op string, proc uint32, args func(e *oncrpc.Encoder, io uint32), more func(*oncrpc.Decoder)) error {
	if err := c.lock(ctx, op); err != nil {
		return err
	}
	defer c.mu.Unlock()
	return c.errorCallLocked(ctx, op, proc, args, more)
}

// lock takes the core channel for an out-of-band call, waiting no longer
// than ctx allows: a Read can hold it until its own deadline.
func (c *Conn) lock(ctx context.Context, op string) error {
	if err := c.mu.LockCtx(ctx); err != nil {
		return fmt.Errorf("vxi11: %s: waiting for the link: %w", op, err)
	}
	return nil
}

// errorCallLocked is errorCall under c.mu.
func (c *Conn) errorCallLocked(ctx context.Context, op string, proc uint32, args func(e *oncrpc.Encoder, io uint32), more func(*oncrpc.Decoder)) error {
	if c.isClosed() {
		return net.ErrClosed
	}
	return c.withCtx(ctx, func(io uint32) error {
		var code vxi11wire.ErrorCode
		err := c.call(proc, func(e *oncrpc.Encoder) { args(e, io) }, func(d *oncrpc.Decoder) {
			code = vxi11wire.ErrorCode(d.Int32())
			if more != nil {
				more(d)
			}
		})
		if err == nil && code != vxi11wire.ErrNone {
			err = c.deviceErr(op, code)
		}
		return err
	})
}

// withCtx runs fn with the core channel's deadline taken from ctx (10 s
// when ctx has none) and restores the Conn's own deadline after.
func (c *Conn) withCtx(ctx context.Context, fn func(io uint32) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(noDeadlineIO * time.Millisecond)
	}
	if !c.setCoreDeadline(dl) {
		return net.ErrClosed
	}
	stop := interrupt.OnDone(ctx, c.core)
	c.ctx = ctx
	err := fn(uint32(max(time.Until(dl).Milliseconds(), 0)))
	c.ctx = nil
	if stop() { // an interrupt under way has landed: the restore below stays
		err = errors.Join(ctx.Err(), err)
	}
	c.restoreCoreDeadline()
	return err
}

// setCoreDeadline sets the core channel's deadline unless Close has
// begun, whose past deadline stays; it reports whether it did.
func (c *Conn) setCoreDeadline(t time.Time) bool {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if c.closing {
		return false
	}
	c.core.SetDeadline(t)
	return true
}

// restoreCoreDeadline sets the core channel's deadline back to the
// Conn's own, read under the same lock, so that a SetDeadline racing the
// restore is never undone; after Close has begun it leaves Close's.
func (c *Conn) restoreCoreDeadline() {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if !c.closing {
		c.core.SetDeadline(c.deadline)
	}
}

// isClosed reports whether Close has begun.
func (c *Conn) isClosed() bool {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.closing
}

// Clear sends device_clear: the instrument empties its input and output
// buffers. Data already fetched and not yet read is dropped too.
func (c *Conn) Clear(ctx context.Context) error {
	if err := c.lock(ctx, "device_clear"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	err := c.genericLocked(ctx, "device_clear", vxi11wire.ProcDeviceClear, nil)
	c.pending = nil
	return err
}

// HoldsReplies is true (transport.ReplyHolder): a reply comes only in answer to device_read.
func (c *Conn) HoldsReplies() bool { return true }

// ReadStatusByte reads the status byte with device_readstb.
func (c *Conn) ReadStatusByte(ctx context.Context) (byte, error) {
	var stb byte
	err := c.generic(ctx, "device_readstb", vxi11wire.ProcDeviceReadStb, func(d *oncrpc.Decoder) { stb = byte(d.Uint32()) })
	return stb, err
}

// Trigger sends device_trigger.
func (c *Conn) Trigger(ctx context.Context) error {
	return c.generic(ctx, "device_trigger", vxi11wire.ProcDeviceTrigger, nil)
}

// Remote sends device_remote.
func (c *Conn) Remote(ctx context.Context) error {
	return c.generic(ctx, "device_remote", vxi11wire.ProcDeviceRemote, nil)
}

// Local sends device_local.
func (c *Conn) Local(ctx context.Context) error {
	return c.generic(ctx, "device_local", vxi11wire.ProcDeviceLocal, nil)
}

// LockDevice takes the device's exclusive lock, waiting for another
// link's lock as long as ctx allows. The error matches ErrLocked when it
// did not come free.
func (c *Conn) LockDevice(ctx context.Context) error {
	return c.errorCall(ctx, "device_lock", vxi11wire.ProcDeviceLock, func(e *oncrpc.Encoder, io uint32) {
		vxi11wire.LockParms{LinkID: c.lid, Flags: vxi11wire.FlagWaitLock, LockTimeout: uint32(transport.LockWait(time.Duration(io) * time.Millisecond).Milliseconds())}.Encode(e)
	}, nil)
}

// UnlockDevice releases the lock LockDevice took.
func (c *Conn) UnlockDevice(ctx context.Context) error {
	return c.errorCall(ctx, "device_unlock", vxi11wire.ProcDeviceUnlock, func(e *oncrpc.Encoder, _ uint32) { e.Int32(c.lid) }, nil)
}

// Close destroys the link (briefly bounded: the instrument may be gone)
// and closes the core channel.
func (c *Conn) Close() error {
	c.dmu.Lock()
	c.closing = true
	c.core.SetDeadline(time.Unix(1, 0)) // interrupt a call under way
	if c.stopAbort != nil {             // ... and its device_abort
		c.stopAbort()
	}
	c.dmu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return net.ErrClosed
	}
	c.closed = true
	if c.broken == nil {
		c.core.SetDeadline(time.Now().Add(abortWait))
		c.call(vxi11wire.ProcDestroyLink, func(e *oncrpc.Encoder) { e.Int32(c.lid) }, func(d *oncrpc.Decoder) { d.Int32() })
	}
	return c.core.Close()
}

var _ io.ReadWriteCloser = (*Conn)(nil)
