package scpi

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/scpikit/scpikit/transport"
)

// The Session methods lock, then run the exchange; the Tx methods run it
// under the lock Do already holds.

// Write sends a command that has no response.
func (s *Session) Write(ctx context.Context, cmd string) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	return s.write(ctx, cmd, nil)
}

// Write sends a command that has no response.
func (tx *Tx) Write(ctx context.Context, cmd string) error {
	if err := tx.check("write", cmd); err != nil {
		return err
	}
	return tx.s.write(ctx, cmd, nil)
}

// Query sends cmd and returns the response, without its terminator.
func (s *Session) Query(ctx context.Context, cmd string) (string, error) {
	pre, err := s.acquireQuery(ctx, cmd)
	if err != nil {
		return "", err
	}
	defer s.release()
	msg, err := s.queryAfter(ctx, cmd, pre)
	return s.text(msg), err
}

// Query sends cmd and returns the response, without its terminator.
func (tx *Tx) Query(ctx context.Context, cmd string) (string, error) {
	if err := tx.check("query", cmd); err != nil {
		return "", err
	}
	msg, err := tx.s.query(ctx, cmd)
	return tx.s.text(msg), err
}

// QueryAppend sends cmd and appends the response, without its
// terminator, to dst, returning the extended slice (dst as it was when
// nothing was read). A caller that reads reply after reply into the same
// slice (QueryAppend(ctx, buf[:0], cmd)) touches no fresh memory for
// them: a large text reply costs about what reading it into a reused
// buffer from the link does, where Query must return it in new memory.
func (s *Session) QueryAppend(ctx context.Context, dst []byte, cmd string) ([]byte, error) {
	pre, err := s.acquireQuery(ctx, cmd)
	if err != nil {
		return dst, err
	}
	defer s.release()
	s.appendTo, s.appendOn = dst, true
	msg, err := s.queryAfter(ctx, cmd, pre)
	return s.appended(dst, msg), err
}

// QueryAppend is Session.QueryAppend inside Do.
func (tx *Tx) QueryAppend(ctx context.Context, dst []byte, cmd string) ([]byte, error) {
	if err := tx.check("query", cmd); err != nil {
		return dst, err
	}
	tx.s.appendTo, tx.s.appendOn = dst, true
	msg, err := tx.s.query(ctx, cmd)
	return tx.s.appended(dst, msg), err
}

// Read reads the next response message without sending anything: the
// reply to a query sent with Write, as PyVISA's read does. When nothing
// comes before the deadline the error matches ErrTimeout and nothing is
// recorded as owed. When part of a message came, the next Read goes on
// with it, and any other call first discards the rest of it.
func (s *Session) Read(ctx context.Context) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	msg, err := s.read(ctx)
	return s.text(msg), err
}

// Read is Session.Read inside Do.
func (tx *Tx) Read(ctx context.Context) (string, error) {
	if err := tx.check("read", ""); err != nil {
		return "", err
	}
	msg, err := tx.s.read(ctx)
	return tx.s.text(msg), err
}

// WriteBlock sends cmd immediately followed by data as a definite-length
// block, then the terminator: WriteBlock(ctx, "DATA:ARB ", b) sends
// `DATA:ARB #41024<1024 bytes>`. Put any separator the instrument needs at
// the end of cmd. Large payloads go out without being copied.
func (s *Session) WriteBlock(ctx context.Context, cmd string, data []byte) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	return s.write(ctx, cmd, nonNil(data))
}

// WriteBlock is Session.WriteBlock inside Do.
func (tx *Tx) WriteBlock(ctx context.Context, cmd string, data []byte) error {
	if err := tx.check("write block", cmd); err != nil {
		return err
	}
	return tx.s.write(ctx, cmd, nonNil(data))
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// QueryBlock sends cmd and returns the payload of the block response.
// A header announcing more than the block limit (WithMaxBlockSize) is
// refused with ErrBlockTooLarge and the payload discarded.
func (s *Session) QueryBlock(ctx context.Context, cmd string) ([]byte, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	_, data, err := s.queryBlock(ctx, cmd, blockSink{alloc: true})
	return data, err
}

// QueryBlock is Session.QueryBlock inside Do.
func (tx *Tx) QueryBlock(ctx context.Context, cmd string) ([]byte, error) {
	if err := tx.check("query block", cmd); err != nil {
		return nil, err
	}
	_, data, err := tx.s.queryBlock(ctx, cmd, blockSink{alloc: true})
	return data, err
}

// QueryBlockInto sends cmd and reads the block payload into buf, straight
// from the link, returning its length. When buf is too small the payload
// is discarded and the error matches io.ErrShortBuffer; n is then the
// length buf would need.
func (s *Session) QueryBlockInto(ctx context.Context, cmd string, buf []byte) (n int, err error) {
	if err := s.acquire(ctx); err != nil {
		return 0, err
	}
	defer s.release()
	got, _, err := s.queryBlock(ctx, cmd, blockSink{buf: buf})
	return int(got), err
}

// QueryBlockInto is Session.QueryBlockInto inside Do.
func (tx *Tx) QueryBlockInto(ctx context.Context, cmd string, buf []byte) (int, error) {
	if err := tx.check("query block", cmd); err != nil {
		return 0, err
	}
	got, _, err := tx.s.queryBlock(ctx, cmd, blockSink{buf: buf})
	return int(got), err
}

// QueryBlockTo sends cmd and streams the block payload to w as it arrives,
// whatever its size, returning the bytes written. If w fails, the rest of
// the payload is discarded and the session stays in step. A w that is a
// BlockSizer is told the announced length first, and can refuse it.
func (s *Session) QueryBlockTo(ctx context.Context, cmd string, w io.Writer) (int64, error) {
	if err := s.acquire(ctx); err != nil {
		return 0, err
	}
	defer s.release()
	n, _, err := s.queryBlock(ctx, cmd, blockSink{w: w})
	return n, err
}

// QueryBlockTo is Session.QueryBlockTo inside Do.
func (tx *Tx) QueryBlockTo(ctx context.Context, cmd string, w io.Writer) (int64, error) {
	if err := tx.check("query block", cmd); err != nil {
		return 0, err
	}
	n, _, err := tx.s.queryBlock(ctx, cmd, blockSink{w: w})
	return n, err
}

// BlockQuerier is what QueryValues needs: a Session or a Tx.
type BlockQuerier interface {
	QueryBlock(ctx context.Context, cmd string) ([]byte, error)
}

// QueryValues sends cmd and decodes the binary block response into values
// of T in the given byte order, e.g. a scope trace as []int16 or a DMM's
// readings as []float64 (FORM REAL,64).
//
// From a Session or a Tx, with binary.LittleEndian or binary.BigEndian,
// the payload is read straight into the result, the one allocation of
// its size, and its bytes are swapped in place, piece by piece as they
// arrive, when the order is not the machine's own. A payload whose length is not a multiple of T's size is
// discarded unread and the session stays in step.
func QueryValues[T BlockValue](ctx context.Context, q BlockQuerier, cmd string, order binary.ByteOrder) ([]T, error) {
	if out, ok, err := queryValuesDirect[T](ctx, q, cmd, order); ok {
		return out, err
	}
	data, err := q.QueryBlock(ctx, cmd)
	if err != nil {
		return nil, err
	}
	v, err := DecodeBlock[T](data, order)
	if err != nil {
		return nil, &OpError{Op: "query block", Command: cmd, Err: err}
	}
	return v, nil
}

// queryValuesDirect is QueryValues reading straight into the result; ok
// is false when q or order does not allow it.
func queryValuesDirect[T BlockValue](ctx context.Context, q BlockQuerier, cmd string, order binary.ByteOrder) (out []T, ok bool, err error) {
	if order != binary.LittleEndian && order != binary.BigEndian {
		return nil, false, nil
	}
	sink := blockSink{make: func(n int) ([]byte, error) {
		var err error
		out, err = makeValues[T](n)
		return valueBytes(out), err
	}, filled: func(p []byte) { toNative[T](p, order) }}
	switch q := q.(type) {
	case *Session:
		if err := q.acquire(ctx); err != nil {
			return nil, true, err
		}
		defer q.release()
		_, _, err = q.queryBlock(ctx, cmd, sink)
	case *Tx:
		if err := q.check("query block", cmd); err != nil {
			return nil, true, err
		}
		_, _, err = q.s.queryBlock(ctx, cmd, sink)
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return out, true, nil
}

// Errors drains the instrument's error queue (the error query repeated
// until it answers code 0, at most WithMaxErrors times) and returns its
// entries, oldest first.
func (s *Session) Errors(ctx context.Context) ([]DeviceError, error) {
	if err := s.acquire(ctx); err != nil {
		return nil, err
	}
	defer s.release()
	return s.errors(ctx)
}

// Errors is Session.Errors inside Do.
func (tx *Tx) Errors(ctx context.Context) ([]DeviceError, error) {
	if err := tx.check("query", tx.s.cfg.errorQuery); err != nil {
		return nil, err
	}
	return tx.s.errors(ctx)
}

func (s *Session) errors(ctx context.Context) (_ []DeviceError, err error) {
	if s.cfg.observer != nil {
		defer s.observe("errors", s.cfg.errorQuery, time.Now(), &err)
	}
	if err := s.arm(ctx, "query", s.cfg.errorQuery); err != nil {
		return nil, err
	}
	defer s.disarm()
	if err := s.ready(ctx, "query", s.cfg.errorQuery); err != nil {
		return nil, err
	}
	return s.errorsLocked(ctx)
}

// CheckErrors drains the error queue and returns nil when it was empty,
// else the entries joined into one error: errors.As finds the first
// *DeviceError; Errors gives them all as values.
func (s *Session) CheckErrors(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	return s.checkErrorsCall(ctx)
}

// CheckErrors is Session.CheckErrors inside Do.
func (tx *Tx) CheckErrors(ctx context.Context) error {
	if err := tx.check("query", tx.s.cfg.errorQuery); err != nil {
		return err
	}
	return tx.s.checkErrorsCall(ctx)
}

func (s *Session) checkErrorsCall(ctx context.Context) (err error) {
	if s.cfg.observer != nil {
		defer s.observe("errors", s.cfg.errorQuery, time.Now(), &err)
	}
	if err := s.arm(ctx, "query", s.cfg.errorQuery); err != nil {
		return err
	}
	defer s.disarm()
	if err := s.ready(ctx, "query", s.cfg.errorQuery); err != nil {
		return err
	}
	return s.checkErrors(ctx)
}

// StatusByte reads the status byte: out of band where the link can
// (transport.StatusByteReader), else with *STB?.
func (s *Session) StatusByte(ctx context.Context) (byte, error) {
	if err := s.acquire(ctx); err != nil {
		return 0, err
	}
	defer s.release()
	return s.statusByte(ctx)
}

// StatusByte is Session.StatusByte inside Do.
func (tx *Tx) StatusByte(ctx context.Context) (byte, error) {
	if err := tx.check("read status byte", ""); err != nil {
		return 0, err
	}
	return tx.s.statusByte(ctx)
}

// HoldsReplies reports whether the link's instrument holds each reply
// until it is read (transport.ReplyHolder: VXI-11, GPIB, USBTMC). Then
// nothing may be sent after a query before its reply is read (a new
// message discards it, -410 Query INTERRUPTED), and StatusByte, read out
// of band, shows MAV while the reply waits and the error queue's bit once
// a refused command has queued an error.
func (s *Session) HoldsReplies() bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	h, ok := s.conn.(transport.ReplyHolder)
	return ok && h.HoldsReplies()
}

func (s *Session) statusByte(ctx context.Context) (byte, error) {
	if r, ok := s.conn.(transport.StatusByteReader); ok {
		b, err := r.ReadStatusByte(ctx)
		if err != nil {
			return 0, s.oobErr("read status byte", err)
		}
		return b, nil
	}
	msg, err := s.query(ctx, "*STB?")
	if err != nil {
		return 0, err
	}
	v, err := ParseInt(string(msg))
	if err != nil || v < 0 || v > 255 {
		return 0, s.opErr("query", "*STB?", parseErr("status byte", string(msg), "want 0-255"))
	}
	return byte(v), nil
}

// The IEEE 488.2 status byte's bits, as StatusByte and
// WaitServiceRequest return them. Bits 0-3 and 7 are the instrument's own
// (SCPI gives 2 to the error queue, 3 to questionable status and 7 to
// operation status).
const (
	StatusErrorQueue   byte = 1 << 2 // SCPI: the error queue is not empty
	StatusQuestionable byte = 1 << 3 // SCPI: questionable status summary
	StatusMAV          byte = 1 << 4 // a reply is waiting in the output queue
	StatusESB          byte = 1 << 5 // an event enabled by *ESE has happened
	StatusRQS          byte = 1 << 6 // the instrument requests service (MSS)
	StatusOperation    byte = 1 << 7 // SCPI: operation status summary
)

// WaitServiceRequest waits until the instrument requests service and
// returns its status byte, StatusRQS set. An instrument requests service
// when a status-byte bit enabled by *SRE is set: after "*ESE 1;*SRE 32",
// a "*OPC" sent behind a long operation sets it when the operation ends.
//
// It reads the status byte every poll interval (WithPollInterval), out of
// band where the link can (see StatusByte), and leaves the session free
// between reads, so other goroutines go on using it. A serial poll clears
// the request, so do not poll the same instrument from elsewhere while
// waiting. Without a deadline in ctx the session's timeout bounds the
// wait; running out of time matches ErrTimeout.
func (s *Session) WaitServiceRequest(ctx context.Context) (byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.timeout)
		defer cancel()
	}
	const op = "wait for service request"
	var poll *time.Timer
	for {
		stb, err := s.StatusByte(ctx)
		switch {
		case err == nil && stb&StatusRQS != 0:
			return stb, nil
		case err != nil && (ctx.Err() != nil || errors.Is(err, ErrTimeout)):
			// The link may see the deadline a moment before ctx does.
			cause := ErrTimeout
			if ctx.Err() != nil {
				cause = ctxCause(ctx)
			}
			return 0, s.opErr(op, "", cause)
		case err != nil:
			return 0, err
		}
		if poll == nil {
			poll = time.NewTimer(s.cfg.poll)
			defer poll.Stop()
		} else {
			poll.Reset(s.cfg.poll)
		}
		select {
		case <-poll.C:
		case <-ctx.Done():
			return 0, s.opErr(op, "", ctxCause(ctx))
		case <-s.done:
			return 0, s.opErr(op, "", ErrClosed)
		}
	}
}

// DeviceClear clears the instrument's input and output buffers out of
// band, where the link can (transport.Clearer); otherwise the error
// matches ErrNotSupported. Replies owed to abandoned queries are dropped.
func (s *Session) DeviceClear(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	return s.deviceClear(ctx)
}

// DeviceClear is Session.DeviceClear inside Do.
func (tx *Tx) DeviceClear(ctx context.Context) error {
	if err := tx.check("device clear", ""); err != nil {
		return err
	}
	return tx.s.deviceClear(ctx)
}

func (s *Session) deviceClear(ctx context.Context) error {
	c, ok := s.conn.(transport.Clearer)
	if !ok {
		return s.opErr("device clear", "", ErrNotSupported)
	}
	if err := c.Clear(ctx); err != nil {
		return s.oobErr("device clear", err)
	}
	s.inStep()
	return nil
}

// Trigger triggers the instrument: out of band where the link can
// (transport.Triggerer), else with *TRG.
func (s *Session) Trigger(ctx context.Context) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	return s.trigger(ctx)
}

// Trigger is Session.Trigger inside Do.
func (tx *Tx) Trigger(ctx context.Context) error {
	if err := tx.check("trigger", ""); err != nil {
		return err
	}
	return tx.s.trigger(ctx)
}

func (s *Session) trigger(ctx context.Context) error {
	if t, ok := s.conn.(transport.Triggerer); ok {
		if err := t.Trigger(ctx); err != nil {
			return s.oobErr("trigger", err)
		}
		return nil
	}
	return s.write(ctx, "*TRG", nil)
}

// LockDevice takes the instrument's exclusive lock where the link has
// device locks (transport.DeviceLocker: VXI-11, HiSLIP), waiting for
// another controller's lock as long as ctx allows; otherwise the error
// matches ErrNotSupported. Other controllers' links wait or fail until
// UnlockDevice; the session lock, which orders this program's
// goroutines, is separate and not held.
func (s *Session) LockDevice(ctx context.Context) error {
	return s.linkOp(ctx, "lock device", func(c transport.Conn) (bool, error) {
		l, ok := c.(transport.DeviceLocker)
		if !ok {
			return false, nil
		}
		return true, l.LockDevice(ctx)
	})
}

// UnlockDevice releases the lock LockDevice took.
func (s *Session) UnlockDevice(ctx context.Context) error {
	return s.linkOp(ctx, "unlock device", func(c transport.Conn) (bool, error) {
		l, ok := c.(transport.DeviceLocker)
		if !ok {
			return false, nil
		}
		return true, l.UnlockDevice(ctx)
	})
}

// Remote puts the instrument in remote state where the link can
// (transport.RemoteLocal); otherwise the error matches ErrNotSupported.
func (s *Session) Remote(ctx context.Context) error {
	return s.linkOp(ctx, "remote", func(c transport.Conn) (bool, error) {
		rl, ok := c.(transport.RemoteLocal)
		if !ok {
			return false, nil
		}
		return true, rl.Remote(ctx)
	})
}

// Local returns the instrument to local (front panel) control where the
// link can (transport.RemoteLocal); otherwise the error matches
// ErrNotSupported.
func (s *Session) Local(ctx context.Context) error {
	return s.linkOp(ctx, "local", func(c transport.Conn) (bool, error) {
		rl, ok := c.(transport.RemoteLocal)
		if !ok {
			return false, nil
		}
		return true, rl.Local(ctx)
	})
}

// linkOp runs an out-of-band operation of the link under the session
// lock. fn reports false when the link lacks the capability.
func (s *Session) linkOp(ctx context.Context, op string, fn func(transport.Conn) (bool, error)) error {
	if err := s.acquire(ctx); err != nil {
		return err
	}
	defer s.release()
	ok, err := fn(s.conn)
	if !ok {
		return s.opErr(op, "", ErrNotSupported)
	}
	if err != nil {
		return s.oobErr(op, err)
	}
	return nil
}

// oobErr is the session's error for a failed out-of-band operation: one
// that ran out of time matches ErrTimeout, as a query's does, whether the
// link saw the deadline or the context did.
func (s *Session) oobErr(op string, err error) error {
	if !errors.Is(err, ErrTimeout) && (isTimeout(err) || errors.Is(err, context.DeadlineExceeded)) {
		err = fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return s.opErr(op, "", err)
}
