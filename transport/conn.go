package transport

import (
	"context"
	"io"
	"time"
)

// Conn is one open link to one instrument.
//
// Read and Write are those of a byte stream. SetDeadline bounds every
// Read and Write that is under way or starts later, with the semantics of
// net.Conn: the zero time means no deadline, and once it passes, blocked and
// future calls fail with an error for which errors.Is(err,
// os.ErrDeadlineExceeded) holds. SetDeadline may be called from another
// goroutine while a Read is blocked; a time in the past must interrupt that
// Read within milliseconds. That is how callers cancel I/O with a context.
type Conn interface {
	io.Reader
	io.Writer
	io.Closer
	SetDeadline(t time.Time) error
}

// Clearer is a link that can send an IEEE 488.1 device clear out of band
// (GPIB SDC, VXI-11 device_clear, HiSLIP DeviceClear, USBTMC
// INITIATE_CLEAR): the instrument empties its input and output buffers, so a
// session can resynchronise without guessing.
type Clearer interface {
	Clear(ctx context.Context) error
}

// StatusByteReader is a link that reads the status byte without using the
// message channel (GPIB serial poll, VXI-11 device_readstb, HiSLIP
// AsyncStatusQuery, USBTMC READ_STATUS_BYTE).
type StatusByteReader interface {
	ReadStatusByte(ctx context.Context) (byte, error)
}

// ReplyHolder is a link whose instrument holds each reply until the
// controller asks for it (VXI-11 device_read, GPIB's read with the bus,
// USBTMC REQUEST_DEV_DEP_MSG_IN), where a HiSLIP, socket or serial
// instrument sends it unasked. IEEE 488.2 then has a message sent before
// a reply is read discard it (-410 Query INTERRUPTED), and the status
// byte's MAV, read out of band, says whether a reply waits.
type ReplyHolder interface {
	HoldsReplies() bool
}

// Triggerer is a link that sends a device trigger out of band (GPIB GET,
// VXI-11 device_trigger, HiSLIP Trigger, USBTMC TRIGGER).
type Triggerer interface {
	Trigger(ctx context.Context) error
}

// DeviceLocker is a link that takes the instrument's exclusive lock
// (VXI-11 device_lock, HiSLIP AsyncLock): other controllers' links wait or
// fail until UnlockDevice. LockDevice waits for the lock as long as ctx
// allows.
type DeviceLocker interface {
	LockDevice(ctx context.Context) error
	UnlockDevice(ctx context.Context) error
}

// LockWait is how long a link lets the instrument wait for a device lock
// when the caller has left of its deadline: a quarter of that, at most
// 250 ms, is kept for the instrument's "locked" answer to come back, so
// a lock that stays taken is reported as such rather than lost in a race
// with the caller's own deadline.
func LockWait(left time.Duration) time.Duration {
	left = max(left, 0)
	return left - min(left/4, 250*time.Millisecond)
}

// RemoteLocal is a link that puts the instrument in remote state (front
// panel locked out) or returns it to local (VXI-11 device_remote and
// device_local, HiSLIP AsyncRemoteLocalControl, GPIB REN/GTL, USBTMC
// REN_CONTROL/GOTO_LOCAL).
type RemoteLocal interface {
	Remote(ctx context.Context) error
	Local(ctx context.Context) error
}
