package hislip

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scpikit/scpikit/internal/ctxlock"
	"github.com/scpikit/scpikit/internal/hislipwire"
	"github.com/scpikit/scpikit/internal/interrupt"
	"github.com/scpikit/scpikit/internal/tcpdial"
	"github.com/scpikit/scpikit/transport"
)

func init() { transport.Register(transport.LinkHiSLIP, open) }

func open(ctx context.Context, r transport.Resource, o transport.Options) (transport.Conn, error) {
	sub, port, err := SplitDevice(r.Device)
	if err != nil {
		return nil, err
	}
	return Dial(ctx, net.JoinHostPort(r.Host, strconv.Itoa(port)), sub, o)
}

// SplitDevice splits a resource's LAN device name "hislip0[,port]" into
// the sub-address and the TCP port (4880 when absent).
func SplitDevice(device string) (sub string, port int, err error) {
	sub, p, found := strings.Cut(device, ",")
	if !found {
		return sub, hislipwire.DefaultPort, nil
	}
	port, err = strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("%w: HiSLIP port %q in %q is not 1-65535", transport.ErrBadResource, p, device)
	}
	return sub, port, nil
}

// ServerError is an Error or FatalError message from the instrument.
type ServerError struct {
	Fatal   bool
	Code    byte
	Message string
}

func (e *ServerError) Error() string {
	kind := "error"
	if e.Fatal {
		kind = "fatal error"
	}
	return fmt.Sprintf("hislip: instrument reports %s %d: %s", kind, e.Code, e.Message)
}

// ErrLocked is matched when the lock was not granted in time.
var ErrLocked = errors.New("hislip: lock not granted")

// ErrBadHeader is matched by the error for a message header without the
// "HS" prologue: the peer is not a HiSLIP server.
var ErrBadHeader = hislipwire.ErrBadHeader

// ErrProtocol is matched when the instrument sends something the protocol
// does not allow at that point.
var ErrProtocol = errors.New("hislip: protocol error")

const (
	vendorID     = 'S'<<8 | 'K' // scpikit
	maxAsyncLoad = 1 << 16
	// ourMaxMessage is the largest message we accept; the instrument
	// splits longer responses.
	ourMaxMessage = 1 << 20
)

// Conn is an open HiSLIP session. Read and Write use the synchronous
// channel and the out-of-band methods the asynchronous one; each side
// serialises its own callers.
type Conn struct {
	sync, async net.Conn
	sessionID   uint16
	version     uint16
	maxMsg      uint64 // largest message the instrument accepts

	mu        ctxlock.Mutex // the synchronous channel
	rd        hislipwire.Reader
	msgID     uint32
	inData    bool // a Data/DataEnd payload is being read
	dataEnd   bool // ... and it is a DataEnd
	lastByte  byte
	addNL     bool // a DataEnd ended without "\n": give one
	delivered bool // a whole response was read since the last message
	broken    error
	closed    atomic.Bool
	// deadline is the one SetDeadline set: an out-of-band call that bounds
	// the synchronous channel by its ctx puts it back after.
	dmu      sync.Mutex
	deadline time.Time

	amu ctxlock.Mutex // the asynchronous channel
	ard hislipwire.Reader
	// owed lists the responses still due to asynchronous calls that a
	// deadline or cancellation cut after their request went out; the next
	// call reads them first, so no call takes another's response.
	owed    []owedResponse
	abroken error // a request went out in part: the channel is out of step
}

// owedResponse is a response due to a cut asynchronous call.
type owedResponse struct {
	typ  byte
	lock bool // an AsyncLock request: a lock granted after all is released
}

// Dial opens a HiSLIP session to sub-address sub ("hislip0") at address
// ("host:4880").
func Dial(ctx context.Context, address, sub string, o transport.Options) (*Conn, error) {
	if o.DialTimeout <= 0 {
		o = transport.NewOptions()
	}
	ctx, cancel := context.WithTimeout(ctx, o.DialTimeout)
	defer cancel()
	if sub == "" {
		sub = "hislip0"
	}
	syncC, err := tcpdial.Dial(ctx, address, o)
	if err != nil {
		return nil, fmt.Errorf("hislip: synchronous channel: %w", err)
	}
	c := &Conn{sync: syncC, msgID: hislipwire.FirstMessageID, mu: ctxlock.New(), amu: ctxlock.New()}
	c.rd = hislipwire.Reader{R: syncC, Max: maxAsyncLoad}
	if err := c.handshake(ctx, address, sub, o); err != nil {
		syncC.Close()
		if c.async != nil {
			c.async.Close()
		}
		return nil, err
	}
	c.sync.SetDeadline(time.Time{})
	c.async.SetDeadline(time.Time{})
	return c, nil
}

func (c *Conn) handshake(ctx context.Context, address, sub string, o transport.Options) error {
	// Each channel has its interrupt, armed once it is open; both have
	// landed when the handshake returns, so that Dial's clearing of the
	// deadlines stays.
	defer interrupt.OnDone(ctx, c.sync)()
	fail := func(step string, err error) error {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return fmt.Errorf("hislip: %s: %w", step, err)
	}
	if err := hislipwire.Write(c.sync, hislipwire.Initialize, 0, hislipwire.Version<<16|vendorID, []byte(sub)); err != nil {
		return fail("Initialize", err)
	}
	h, _, err := expect(&c.rd, hislipwire.InitializeResponse)
	if err != nil {
		return fail("Initialize", err)
	}
	c.version, c.sessionID = uint16(h.Param>>16), uint16(h.Param)
	async, err := tcpdial.Dial(ctx, address, o)
	if err != nil {
		return fail("asynchronous channel", err)
	}
	c.async = async
	defer interrupt.OnDone(ctx, async)()
	c.ard = hislipwire.Reader{R: async, Max: maxAsyncLoad}
	if err := hislipwire.Write(async, hislipwire.AsyncInitialize, 0, uint32(c.sessionID), nil); err != nil {
		return fail("AsyncInitialize", err)
	}
	if _, _, err := expect(&c.ard, hislipwire.AsyncInitializeResponse); err != nil {
		return fail("AsyncInitialize", err)
	}
	size := binary.BigEndian.AppendUint64(nil, ourMaxMessage)
	if err := hislipwire.Write(async, hislipwire.AsyncMaximumMessageSize, 0, 0, size); err != nil {
		return fail("AsyncMaximumMessageSize", err)
	}
	_, payload, err := expect(&c.ard, hislipwire.AsyncMaximumMessageSizeResponse)
	if err != nil {
		return fail("AsyncMaximumMessageSize", err)
	}
	if len(payload) != 8 {
		return fail("AsyncMaximumMessageSize", fmt.Errorf("%w: size of %d bytes", ErrProtocol, len(payload)))
	}
	c.maxMsg = binary.BigEndian.Uint64(payload)
	if c.maxMsg < 256 {
		c.maxMsg = 256
	}
	return nil
}

// expect reads messages until one of type want, returning its payload;
// Error and FatalError become *ServerError, and asynchronous notices
// (service requests, interrupted) are skipped.
func expect(r *hislipwire.Reader, want byte) (hislipwire.Header, []byte, error) {
	for {
		h, err := r.Next()
		if err != nil {
			return h, nil, err
		}
		payload, err := r.Payload()
		if err != nil {
			return h, nil, err
		}
		switch h.Type {
		case want:
			return h, payload, nil
		case hislipwire.Error, hislipwire.FatalError:
			return h, nil, &ServerError{Fatal: h.Type == hislipwire.FatalError, Code: h.Control, Message: string(payload)}
		case hislipwire.AsyncServiceRequest, hislipwire.AsyncInterrupted, hislipwire.Interrupted:
			continue
		}
		return h, nil, fmt.Errorf("%w: message type %d where %d was due", ErrProtocol, h.Type, want)
	}
}

// SessionID is the session's id, given by the instrument.
func (c *Conn) SessionID() uint16 { return c.sessionID }

// Version is the protocol version agreed in Initialize (major in the high
// byte): 0x0100 with an instrument that speaks 1.0 or later.
func (c *Conn) Version() uint16 { return c.version }

// MaxMessageSize is the largest message the instrument accepts.
func (c *Conn) MaxMessageSize() uint64 { return c.maxMsg }

// Write sends b as Data messages no longer than the instrument accepts,
// the last one DataEnd when b ends with "\n".
func (c *Conn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return 0, err
	}
	sent := 0
	for sent < len(b) || len(b) == 0 {
		piece := b[sent:min(uint64(len(b)), uint64(sent)+c.maxMsg)]
		typ := byte(hislipwire.Data)
		last := sent+len(piece) == len(b)
		if last && len(b) > 0 && b[len(b)-1] == '\n' {
			typ = hislipwire.DataEnd
		}
		var ctl byte
		if c.delivered {
			ctl = hislipwire.RMTDelivered
		}
		n, err := hislipwire.Send(c.sync, typ, ctl, c.msgID, piece)
		if err != nil {
			if n > 0 {
				c.broken = fmt.Errorf("hislip: synchronous channel broken by an interrupted write: %w", err)
			}
			return sent, fmt.Errorf("hislip: write: %w", err)
		}
		c.delivered = false
		sent += len(piece)
		if typ == hislipwire.DataEnd {
			c.msgID += 2
		}
		if len(b) == 0 {
			break
		}
	}
	return sent, nil
}

func (c *Conn) usable() error {
	if c.closed.Load() {
		return net.ErrClosed
	}
	return c.broken
}

// Read gives the payload bytes of the instrument's Data and DataEnd
// messages.
func (c *Conn) Read(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return 0, err
	}
	if len(b) == 0 {
		return 0, nil
	}
	for {
		if c.addNL {
			c.addNL = false
			b[0] = '\n'
			return 1, nil
		}
		if c.inData && c.rd.Left() > 0 {
			n, err := c.rd.ReadPayload(b)
			if n > 0 {
				c.lastByte = b[n-1]
				if c.rd.Left() == 0 {
					c.endData()
				}
				return n, nil
			}
			if err != nil {
				return 0, c.readErr(err)
			}
		}
		if c.inData && c.rd.Left() == 0 {
			c.endData()
			continue
		}
		h, err := c.rd.Next()
		if err != nil {
			return 0, c.readErr(err)
		}
		switch h.Type {
		case hislipwire.Data, hislipwire.DataEnd:
			c.inData, c.dataEnd = true, h.Type == hislipwire.DataEnd
			if h.Length == 0 {
				c.endData()
			}
		case hislipwire.Interrupted:
			// synchronized mode: the instrument dropped a response for a
			// newer message; nothing of it is owed.
		case hislipwire.Error, hislipwire.FatalError:
			payload, perr := c.rd.Payload()
			if perr != nil {
				return 0, c.readErr(perr)
			}
			err := &ServerError{Fatal: h.Type == hislipwire.FatalError, Code: h.Control, Message: string(payload)}
			if err.Fatal {
				c.broken = err
			}
			return 0, err
		default:
			c.broken = fmt.Errorf("%w: message type %d on the synchronous channel", ErrProtocol, h.Type)
			return 0, c.broken
		}
	}
}

// endData closes a Data or DataEnd payload; a DataEnd completes a
// response.
func (c *Conn) endData() {
	if !c.inData {
		return
	}
	c.inData = false
	if c.dataEnd {
		c.delivered = true
		if c.lastByte != '\n' {
			c.addNL = true
		}
		c.lastByte = 0
	}
}

func (c *Conn) readErr(err error) error {
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		c.broken = fmt.Errorf("hislip: synchronous channel: %w", err)
		return c.broken
	}
	return fmt.Errorf("hislip: read: %w", err)
}

// SetDeadline bounds reads and writes on the synchronous channel.
func (c *Conn) SetDeadline(t time.Time) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.deadline = t
	return c.sync.SetDeadline(t)
}

// restoreDeadline puts back the deadline SetDeadline set, after an
// out-of-band call bounded the synchronous channel by its own ctx: the
// caller's read that follows must keep its bound.
func (c *Conn) restoreDeadline() {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	c.sync.SetDeadline(c.deadline)
}

// lockSync takes the synchronous channel for an out-of-band call, waiting
// no longer than ctx allows: a Read can hold it until its own deadline.
func (c *Conn) lockSync(ctx context.Context, op string) error {
	if err := c.mu.LockCtx(ctx); err != nil {
		return fmt.Errorf("hislip: %s: waiting for the synchronous channel: %w", op, err)
	}
	return nil
}

// asyncCall sends one message on the asynchronous channel and waits for
// the response of type want, bounded by ctx, which bounds the wait for
// another asynchronous call to end too.
//
// A ctx without a deadline waits defaultAsyncWait.
func (c *Conn) asyncCall(ctx context.Context, typ, control byte, param uint32, payload []byte, want byte) (hislipwire.Header, []byte, error) {
	if err := c.amu.LockCtx(ctx); err != nil {
		return hislipwire.Header{}, nil, fmt.Errorf("hislip: asynchronous channel: waiting for another call: %w", err)
	}
	defer c.amu.Unlock()
	if c.closed.Load() {
		return hislipwire.Header{}, nil, net.ErrClosed
	}
	if c.abroken != nil {
		return hislipwire.Header{}, nil, c.abroken
	}
	if err := ctx.Err(); err != nil {
		return hislipwire.Header{}, nil, err
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(defaultAsyncWait)
	}
	c.async.SetDeadline(dl)
	defer interrupt.OnDone(ctx, c.async)()
	wrap := func(err error) error {
		if ctx.Err() != nil {
			err = errors.Join(ctx.Err(), err)
		}
		return fmt.Errorf("hislip: asynchronous channel: %w", err)
	}
	if err := c.settleOwed(); err != nil {
		return hislipwire.Header{}, nil, wrap(err)
	}
	if err := c.asyncSend(typ, control, param, payload); err != nil {
		return hislipwire.Header{}, nil, wrap(err)
	}
	h, p, err := expect(&c.ard, want)
	if err != nil {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.owed = append(c.owed, owedResponse{typ: want, lock: typ == hislipwire.AsyncLock && control == 1})
		}
		return h, nil, wrap(err)
	}
	return h, p, nil
}

// asyncSend sends one request on the asynchronous channel, under amu. A
// request that went out in part leaves the channel out of step for good.
func (c *Conn) asyncSend(typ, control byte, param uint32, payload []byte) error {
	n, err := hislipwire.Send(c.async, typ, control, param, payload)
	if err != nil && n > 0 {
		c.abroken = fmt.Errorf("hislip: asynchronous channel out of step after a request sent in part: %w", err)
	}
	return err
}

// settleOwed reads the responses due to cut calls. A lock granted to a
// request its caller gave up on is released at once: nobody knows they
// hold it.
func (c *Conn) settleOwed() error {
	for len(c.owed) > 0 {
		o := c.owed[0]
		h, _, err := expect(&c.ard, o.typ)
		var se *ServerError
		if err != nil && !errors.As(err, &se) {
			return err // still owed: the Reader resumes where it stopped
		}
		c.owed = c.owed[1:]
		if err == nil && o.lock && (h.Control == hislipwire.LockSuccess || h.Control == hislipwire.LockShared) {
			if err := c.asyncSend(hislipwire.AsyncLock, 0, 0, nil); err != nil {
				return err
			}
			c.owed = append(c.owed, owedResponse{typ: hislipwire.AsyncLockResponse})
		}
	}
	return nil
}

// lastMessageID is the MessageID of the most recent message sent.
func (c *Conn) lastMessageID(ctx context.Context, op string) (uint32, error) {
	if err := c.lockSync(ctx, op); err != nil {
		return 0, err
	}
	defer c.mu.Unlock()
	return c.msgID - 2, nil
}

// ReadStatusByte asks for the status byte on the asynchronous channel.
func (c *Conn) ReadStatusByte(ctx context.Context) (byte, error) {
	if err := c.lockSync(ctx, "status query"); err != nil {
		return 0, err
	}
	var ctl byte
	if c.delivered {
		ctl = hislipwire.RMTDelivered
	}
	id := c.msgID - 2
	c.mu.Unlock()
	h, _, err := c.asyncCall(ctx, hislipwire.AsyncStatusQuery, ctl, id, nil, hislipwire.AsyncStatusResponse)
	return h.Control, err
}

// Clear runs the device clear handshake: AsyncDeviceClear and its
// acknowledgement, then DeviceClearComplete on the synchronous channel,
// dropping what arrives there before DeviceClearAcknowledge. MessageIDs
// start again.
//
// It takes the synchronous channel first (as long as ctx allows), so that
// a clear that cannot have it sends nothing, rather than leave the
// instrument waiting for a DeviceClearComplete.
func (c *Conn) Clear(ctx context.Context) error {
	if err := c.lockSync(ctx, "device clear"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	// The acknowledgement carries the instrument's overlap preference; we
	// stay synchronized and say so in DeviceClearComplete (control 0).
	if _, _, err := c.asyncCall(ctx, hislipwire.AsyncDeviceClear, 0, 0, nil, hislipwire.AsyncDeviceClearAcknowledge); err != nil {
		return err
	}
	if err := c.usable(); err != nil {
		return err
	}
	dl, ok := ctx.Deadline()
	if !ok {
		dl = time.Now().Add(10 * time.Second)
	}
	c.sync.SetDeadline(dl)
	stop := interrupt.OnDone(ctx, c.sync)
	defer func() {
		stop()
		c.restoreDeadline()
	}()
	if err := hislipwire.Write(c.sync, hislipwire.DeviceClearComplete, 0, 0, nil); err != nil {
		c.broken = fmt.Errorf("hislip: device clear: %w", err)
		return c.broken
	}
	c.inData, c.addNL, c.delivered = false, false, false
	for {
		h, err := c.rd.Next()
		if err != nil {
			if ctx.Err() != nil {
				err = errors.Join(ctx.Err(), err)
			}
			return fmt.Errorf("hislip: device clear: %w", err)
		}
		if h.Type == hislipwire.DeviceClearAcknowledge {
			if err := c.rd.Skip(); err != nil {
				return fmt.Errorf("hislip: device clear: %w", err)
			}
			c.msgID = hislipwire.FirstMessageID
			return nil
		}
		// Data for abandoned queries, Interrupted: dropped.
	}
}

// Trigger sends Trigger on the synchronous channel.
func (c *Conn) Trigger(ctx context.Context) error {
	if err := c.lockSync(ctx, "trigger"); err != nil {
		return err
	}
	defer c.mu.Unlock()
	if err := c.usable(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	var ctl byte
	if c.delivered {
		ctl = hislipwire.RMTDelivered
	}
	if dl, ok := ctx.Deadline(); ok {
		c.sync.SetDeadline(dl)
		defer c.restoreDeadline()
	}
	if err := hislipwire.Write(c.sync, hislipwire.Trigger, ctl, c.msgID, nil); err != nil {
		return fmt.Errorf("hislip: trigger: %w", err)
	}
	c.delivered = false
	c.msgID += 2
	return nil
}

// LockDevice requests the exclusive lock, waiting for it as long as ctx
// allows (the wait is the request's timeout, so the instrument does the
// waiting). The error matches ErrLocked when it was not granted.
func (c *Conn) LockDevice(ctx context.Context) error { return c.lock(ctx, "") }

// LockShared requests a shared lock under key: sessions (of any
// controller) that use the same key share the instrument, others wait.
func (c *Conn) LockShared(ctx context.Context, key string) error {
	if key == "" {
		return fmt.Errorf("%w: a shared lock needs a key", ErrLocked)
	}
	return c.lock(ctx, key)
}

// defaultAsyncWait bounds an asynchronous-channel call whose context has
// no deadline.
const defaultAsyncWait = 10 * time.Second

func (c *Conn) lock(ctx context.Context, key string) error {
	// Without a deadline the request is bounded as asyncCall bounds the
	// answer's wait (defaultAsyncWait), less LockWait's margin for the
	// instrument's "not granted" to come back.
	left := defaultAsyncWait
	if dl, ok := ctx.Deadline(); ok {
		left = time.Until(dl)
	}
	timeout := uint32(transport.LockWait(left).Milliseconds())
	h, _, err := c.asyncCall(ctx, hislipwire.AsyncLock, 1, timeout, []byte(key), hislipwire.AsyncLockResponse)
	if err != nil {
		return err
	}
	switch h.Control {
	case hislipwire.LockSuccess:
		return nil
	case hislipwire.LockFailure:
		return fmt.Errorf("%w within %d ms", ErrLocked, timeout)
	}
	return fmt.Errorf("%w: lock request refused (code %d)", ErrLocked, h.Control)
}

// UnlockDevice releases the exclusive lock if this session holds it,
// else its shared lock.
func (c *Conn) UnlockDevice(ctx context.Context) error {
	id, err := c.lastMessageID(ctx, "unlock")
	if err != nil {
		return err
	}
	h, _, err := c.asyncCall(ctx, hislipwire.AsyncLock, 0, id, nil, hislipwire.AsyncLockResponse)
	if err != nil {
		return err
	}
	if h.Control != hislipwire.LockSuccess && h.Control != hislipwire.LockShared {
		return fmt.Errorf("hislip: unlock: no lock held (code %d)", h.Control)
	}
	return nil
}

// RemoteLocal sends AsyncRemoteLocalControl with one of the
// hislipwire.Remote* requests.
func (c *Conn) RemoteLocal(ctx context.Context, request byte) error {
	id, err := c.lastMessageID(ctx, "remote/local control")
	if err != nil {
		return err
	}
	_, _, err = c.asyncCall(ctx, hislipwire.AsyncRemoteLocalControl, request, id, nil, hislipwire.AsyncRemoteLocalResponse)
	return err
}

// Remote enables remote and puts the instrument in remote state.
func (c *Conn) Remote(ctx context.Context) error {
	return c.RemoteLocal(ctx, hislipwire.RemoteEnableGoRemote)
}

// Local returns the instrument to local state.
func (c *Conn) Local(ctx context.Context) error {
	return c.RemoteLocal(ctx, hislipwire.RemoteDisableGoLocal)
}

// Close closes both channels, interrupting calls under way.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return net.ErrClosed
	}
	return errors.Join(c.sync.Close(), c.async.Close())
}
