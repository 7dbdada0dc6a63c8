package hislipwire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
)

// Message types (IVI-6.1 table 4).
const (
	Initialize                      = 0
	InitializeResponse              = 1
	FatalError                      = 2
	Error                           = 3
	AsyncLock                       = 4
	AsyncLockResponse               = 5
	Data                            = 6
	DataEnd                         = 7
	DeviceClearComplete             = 8
	DeviceClearAcknowledge          = 9
	AsyncRemoteLocalControl         = 10
	AsyncRemoteLocalResponse        = 11
	Trigger                         = 12
	Interrupted                     = 13
	AsyncInterrupted                = 14
	AsyncMaximumMessageSize         = 15
	AsyncMaximumMessageSizeResponse = 16
	AsyncInitialize                 = 17
	AsyncInitializeResponse         = 18
	AsyncDeviceClear                = 19
	AsyncServiceRequest             = 20
	AsyncStatusQuery                = 21
	AsyncStatusResponse             = 22
	AsyncDeviceClearAcknowledge     = 23
	AsyncLockInfo                   = 24
	AsyncLockInfoResponse           = 25
)

// Fatal error codes (control code of FatalError).
const (
	FatalUnidentified   = 0
	FatalBadHeader      = 1
	FatalNoChannels     = 2
	FatalBadInit        = 3
	FatalTooManyClients = 4
)

// Non-fatal error codes (control code of Error).
const (
	ErrUnidentified       = 0
	ErrUnrecognizedType   = 1
	ErrUnrecognizedCode   = 2
	ErrUnrecognizedVendor = 3
	ErrMessageTooLarge    = 4
)

// Lock response control codes.
const (
	LockFailure = 0 // request timed out; release: -
	LockSuccess = 1 // request granted; release: exclusive lock released
	LockShared  = 2 // release: shared lock released
	LockError   = 3 // invalid request or release
)

// Remote/local control codes of AsyncRemoteLocalControl.
const (
	RemoteDisable             = 0
	RemoteEnable              = 1
	RemoteDisableGoLocal      = 2
	RemoteEnableGoRemote      = 3
	RemoteEnableLockout       = 4
	RemoteEnableRemoteLockout = 5
	RemoteGoLocal             = 6
)

// Protocol constants.
const (
	HeaderSize = 16
	// FirstMessageID is the MessageID of a session's first message, and
	// of the first one after a device clear.
	FirstMessageID = 0xffffff00
	// Version is the protocol version this implementation speaks, 1.0
	// (major in the high byte).
	Version = 0x0100
	// DefaultPort is HiSLIP's registered TCP port.
	DefaultPort = 4880
	// RMTDelivered is the control code bit of Data, DataEnd, Trigger and
	// AsyncStatusQuery saying the previous response was read whole.
	RMTDelivered = 1
)

// ErrBadHeader is matched by the error for a header without the "HS"
// prologue: the peer is not speaking HiSLIP, or the stream is out of step.
var ErrBadHeader = errors.New("hislip: malformed message header")

// ErrTooLarge is matched when a payload is longer than the reader allows.
var ErrTooLarge = errors.New("hislip: message too large")

// Header is a message header.
type Header struct {
	Type    byte
	Control byte
	Param   uint32
	Length  uint64
}

// Append appends h's 16 bytes.
func (h Header) Append(b []byte) []byte {
	b = append(b, 'H', 'S', h.Type, h.Control)
	b = binary.BigEndian.AppendUint32(b, h.Param)
	return binary.BigEndian.AppendUint64(b, h.Length)
}

// ParseHeader decodes 16 bytes.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < HeaderSize {
		return Header{}, fmt.Errorf("%w: %d bytes", ErrBadHeader, len(b))
	}
	if b[0] != 'H' || b[1] != 'S' {
		return Header{}, fmt.Errorf("%w: prologue %q", ErrBadHeader, b[:2])
	}
	return Header{Type: b[2], Control: b[3], Param: binary.BigEndian.Uint32(b[4:]), Length: binary.BigEndian.Uint64(b[8:])}, nil
}

// Message appends a whole message: header and payload.
func Message(b []byte, typ, control byte, param uint32, payload []byte) []byte {
	b = Header{Type: typ, Control: control, Param: param, Length: uint64(len(payload))}.Append(b)
	return append(b, payload...)
}

// Write sends one message: in one write when it is small, header and
// payload gathered (writev on a TCP connection) when it is large, so a
// waveform is not copied on its way out.
func Write(w io.Writer, typ, control byte, param uint32, payload []byte) error {
	_, err := Send(w, typ, control, param, payload)
	return err
}

// Send is Write, also reporting how many bytes went out: a sender that
// sent part of a message knows its stream is out of step.
func Send(w io.Writer, typ, control byte, param uint32, payload []byte) (int64, error) {
	if len(payload) <= 4096 {
		n, err := w.Write(Message(make([]byte, 0, HeaderSize+len(payload)), typ, control, param, payload))
		return int64(n), err
	}
	hdr := Header{Type: typ, Control: control, Param: param, Length: uint64(len(payload))}.Append(make([]byte, 0, HeaderSize))
	bufs := net.Buffers{hdr, payload}
	return bufs.WriteTo(w)
}

// Reader reads messages from a stream. A read error (a deadline) in the
// middle of a message leaves the Reader where it was, so the next call
// carries on: the stream never falls out of step.
type Reader struct {
	R   io.Reader
	Max uint64 // longest payload ReadMessage accepts

	hdr  [HeaderSize]byte
	hn   int
	cur  Header
	have bool   // cur is read, its payload is under way
	left uint64 // payload bytes not yet read
	buf  []byte
}

// Next reads up to the next header (finishing a payload the caller left
// unread by discarding it) and returns it; the payload follows with
// Payload or ReadPayload.
func (r *Reader) Next() (Header, error) {
	if r.have && r.left > 0 {
		if _, err := r.discard(); err != nil {
			return Header{}, err
		}
	}
	r.have = false
	for r.hn < HeaderSize {
		n, err := r.R.Read(r.hdr[r.hn:])
		r.hn += n
		if err != nil && r.hn < HeaderSize {
			if errors.Is(err, io.EOF) && r.hn > 0 {
				err = io.ErrUnexpectedEOF
			}
			return Header{}, err
		}
	}
	r.hn = 0
	h, err := ParseHeader(r.hdr[:])
	if err != nil {
		return h, err
	}
	r.cur, r.have, r.left = h, true, h.Length
	return h, nil
}

func (r *Reader) discard() (int64, error) {
	var scratch [4096]byte
	var total int64
	for r.left > 0 {
		n, err := r.R.Read(scratch[:min(uint64(len(scratch)), r.left)])
		r.left -= uint64(n)
		total += int64(n)
		if err != nil {
			return total, eofInMessage(err)
		}
	}
	return total, nil
}

func eofInMessage(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Left is how much of the current payload is unread.
func (r *Reader) Left() uint64 { return r.left }

// ReadPayload reads at most len(b) bytes of the current payload; it
// returns 0, nil when the payload is done.
func (r *Reader) ReadPayload(b []byte) (int, error) {
	if r.left == 0 {
		return 0, nil
	}
	n, err := r.R.Read(b[:min(uint64(len(b)), r.left)])
	r.left -= uint64(n)
	if err != nil {
		return n, eofInMessage(err)
	}
	return n, nil
}

// Payload reads the rest of the current payload whole, refusing one
// longer than Max. The slice is valid until the next call.
func (r *Reader) Payload() ([]byte, error) {
	if r.left > r.Max {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, r.left, r.Max)
	}
	// What an earlier call read before a deadline cut it is kept: the
	// call goes on from there.
	r.buf = r.buf[:r.cur.Length-r.left]
	for r.left > 0 {
		if len(r.buf) == cap(r.buf) {
			// Grown as the bytes come, not to the declared length at
			// once: a peer that declares a large payload and sends
			// little costs little. A buffer as large as an earlier
			// payload is read into straight.
			r.buf = slices.Grow(r.buf, int(min(r.left, uint64(max(cap(r.buf), payloadChunk)))))
		}
		end := len(r.buf) + int(min(r.left, uint64(cap(r.buf)-len(r.buf))))
		n, err := r.R.Read(r.buf[len(r.buf):end])
		r.buf = r.buf[:len(r.buf)+n]
		r.left -= uint64(n)
		if err != nil && r.left > 0 {
			return nil, eofInMessage(err)
		}
	}
	return r.buf, nil
}

// payloadChunk is the least a payload buffer grows by while the bytes
// come.
const payloadChunk = 64 << 10

// Skip discards the rest of the current payload.
func (r *Reader) Skip() error {
	_, err := r.discard()
	return err
}
