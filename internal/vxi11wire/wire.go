package vxi11wire

import (
	"fmt"

	"github.com/scpikit/scpikit/internal/oncrpc"
)

// Programs of the three channels, all version 1.
const (
	CoreProg  = 0x0607AF
	AbortProg = 0x0607B0
	IntrProg  = 0x0607B1
	Version   = 1
)

// Core channel procedures (VXI-11 B.6) and the abort channel's one.
const (
	ProcCreateLink      = 10
	ProcDeviceWrite     = 11
	ProcDeviceRead      = 12
	ProcDeviceReadStb   = 13
	ProcDeviceTrigger   = 14
	ProcDeviceClear     = 15
	ProcDeviceRemote    = 16
	ProcDeviceLocal     = 17
	ProcDeviceLock      = 18
	ProcDeviceUnlock    = 19
	ProcDeviceEnableSRQ = 20
	ProcDeviceDoCmd     = 22
	ProcDestroyLink     = 23
	ProcCreateIntrChan  = 25
	ProcDestroyIntrChan = 26

	ProcDeviceAbort = 1 // on the abort channel
)

// Device_Flags bits.
const (
	FlagWaitLock   = 1 << 0
	FlagEnd        = 1 << 3
	FlagTermChrSet = 1 << 7
)

// device_read reasons: why the read ended.
const (
	ReasonReqCnt = 1 << 0 // requestSize bytes given
	ReasonChr    = 1 << 1 // the term character was read
	ReasonEnd    = 1 << 2 // the message ended
)

// MaxData bounds the opaque data a decoder accepts in one message: far
// above any maxRecvSize in use, far below an allocation that hurts.
const MaxData = 64 << 20

// ErrorCode is a Device_ErrorCode.
type ErrorCode int32

// The Device_ErrorCode values (VXI-11 B.5.2).
const (
	ErrNone               ErrorCode = 0
	ErrSyntax             ErrorCode = 1
	ErrNotAccessible      ErrorCode = 3
	ErrInvalidLink        ErrorCode = 4
	ErrParameter          ErrorCode = 5
	ErrNoChannel          ErrorCode = 6
	ErrNotSupported       ErrorCode = 8
	ErrOutOfResources     ErrorCode = 9
	ErrLocked             ErrorCode = 11
	ErrNoLock             ErrorCode = 12
	ErrIOTimeout          ErrorCode = 15
	ErrIO                 ErrorCode = 17
	ErrInvalidAddress     ErrorCode = 21
	ErrAbort              ErrorCode = 23
	ErrChannelEstablished ErrorCode = 29
)

var errorText = map[ErrorCode]string{
	ErrSyntax:             "syntax error",
	ErrNotAccessible:      "device not accessible",
	ErrInvalidLink:        "invalid link identifier",
	ErrParameter:          "parameter error",
	ErrNoChannel:          "channel not established",
	ErrNotSupported:       "operation not supported",
	ErrOutOfResources:     "out of resources",
	ErrLocked:             "device locked by another link",
	ErrNoLock:             "no lock held by this link",
	ErrIOTimeout:          "I/O timeout",
	ErrIO:                 "I/O error",
	ErrInvalidAddress:     "invalid address",
	ErrAbort:              "abort",
	ErrChannelEstablished: "channel already established",
}

func (c ErrorCode) String() string {
	if s, ok := errorText[c]; ok {
		return s
	}
	return fmt.Sprintf("error %d", int32(c))
}

// CreateLinkParms are create_link's arguments.
type CreateLinkParms struct {
	ClientID    int32
	LockDevice  bool
	LockTimeout uint32 // ms
	Device      string
}

func (p CreateLinkParms) Encode(e *oncrpc.Encoder) {
	e.Int32(p.ClientID)
	e.Bool(p.LockDevice)
	e.Uint32(p.LockTimeout)
	e.String(p.Device)
}

func DecodeCreateLinkParms(d *oncrpc.Decoder) CreateLinkParms {
	return CreateLinkParms{ClientID: d.Int32(), LockDevice: d.Bool(), LockTimeout: d.Uint32(), Device: d.String(256)}
}

// CreateLinkResp is create_link's result.
type CreateLinkResp struct {
	Error       ErrorCode
	LinkID      int32
	AbortPort   uint16 // an unsigned short, sent as an XDR unsigned int
	MaxRecvSize uint32
}

func (r CreateLinkResp) Encode(e *oncrpc.Encoder) {
	e.Int32(int32(r.Error))
	e.Int32(r.LinkID)
	e.Uint32(uint32(r.AbortPort))
	e.Uint32(r.MaxRecvSize)
}

func DecodeCreateLinkResp(d *oncrpc.Decoder) CreateLinkResp {
	r := CreateLinkResp{Error: ErrorCode(d.Int32()), LinkID: d.Int32()}
	r.AbortPort = uint16(d.Uint32())
	r.MaxRecvSize = d.Uint32()
	return r
}

// WriteParms are device_write's arguments.
type WriteParms struct {
	LinkID      int32
	IOTimeout   uint32 // ms
	LockTimeout uint32 // ms
	Flags       uint32
	Data        []byte
}

func (p WriteParms) Encode(e *oncrpc.Encoder) {
	e.Int32(p.LinkID)
	e.Uint32(p.IOTimeout)
	e.Uint32(p.LockTimeout)
	e.Uint32(p.Flags)
	e.Opaque(p.Data)
}

func DecodeWriteParms(d *oncrpc.Decoder) WriteParms {
	return WriteParms{LinkID: d.Int32(), IOTimeout: d.Uint32(), LockTimeout: d.Uint32(), Flags: d.Uint32(), Data: d.Opaque(MaxData)}
}

// WriteResp is device_write's result.
type WriteResp struct {
	Error ErrorCode
	Size  uint32
}

func (r WriteResp) Encode(e *oncrpc.Encoder) { e.Int32(int32(r.Error)); e.Uint32(r.Size) }

func DecodeWriteResp(d *oncrpc.Decoder) WriteResp {
	return WriteResp{Error: ErrorCode(d.Int32()), Size: d.Uint32()}
}

// ReadParms are device_read's arguments.
type ReadParms struct {
	LinkID      int32
	RequestSize uint32
	IOTimeout   uint32 // ms
	LockTimeout uint32 // ms
	Flags       uint32
	TermChar    byte // a char, sent as an XDR int
}

func (p ReadParms) Encode(e *oncrpc.Encoder) {
	e.Int32(p.LinkID)
	e.Uint32(p.RequestSize)
	e.Uint32(p.IOTimeout)
	e.Uint32(p.LockTimeout)
	e.Uint32(p.Flags)
	e.Uint32(uint32(p.TermChar))
}

func DecodeReadParms(d *oncrpc.Decoder) ReadParms {
	p := ReadParms{LinkID: d.Int32(), RequestSize: d.Uint32(), IOTimeout: d.Uint32(), LockTimeout: d.Uint32(), Flags: d.Uint32()}
	p.TermChar = byte(d.Uint32())
	return p
}

// ReadResp is device_read's result.
type ReadResp struct {
	Error  ErrorCode
	Reason int32
	Data   []byte
}

func (r ReadResp) Encode(e *oncrpc.Encoder) {
	e.Int32(int32(r.Error))
	e.Int32(r.Reason)
	e.Opaque(r.Data)
}

func DecodeReadResp(d *oncrpc.Decoder) ReadResp {
	return ReadResp{Error: ErrorCode(d.Int32()), Reason: d.Int32(), Data: d.Opaque(MaxData)}
}

// GenericParms are the arguments of readstb, trigger, clear, remote and
// local.
type GenericParms struct {
	LinkID      int32
	Flags       uint32
	LockTimeout uint32 // ms
	IOTimeout   uint32 // ms
}

func (p GenericParms) Encode(e *oncrpc.Encoder) {
	e.Int32(p.LinkID)
	e.Uint32(p.Flags)
	e.Uint32(p.LockTimeout)
	e.Uint32(p.IOTimeout)
}

func DecodeGenericParms(d *oncrpc.Decoder) GenericParms {
	return GenericParms{LinkID: d.Int32(), Flags: d.Uint32(), LockTimeout: d.Uint32(), IOTimeout: d.Uint32()}
}

// ReadStbResp is device_readstb's result.
type ReadStbResp struct {
	Error ErrorCode
	STB   byte // an unsigned char, sent as an XDR unsigned int
}

func (r ReadStbResp) Encode(e *oncrpc.Encoder) { e.Int32(int32(r.Error)); e.Uint32(uint32(r.STB)) }

func DecodeReadStbResp(d *oncrpc.Decoder) ReadStbResp {
	r := ReadStbResp{Error: ErrorCode(d.Int32())}
	r.STB = byte(d.Uint32())
	return r
}

// LockParms are device_lock's arguments.
type LockParms struct {
	LinkID      int32
	Flags       uint32
	LockTimeout uint32 // ms
}

func (p LockParms) Encode(e *oncrpc.Encoder) {
	e.Int32(p.LinkID)
	e.Uint32(p.Flags)
	e.Uint32(p.LockTimeout)
}

func DecodeLockParms(d *oncrpc.Decoder) LockParms {
	return LockParms{LinkID: d.Int32(), Flags: d.Uint32(), LockTimeout: d.Uint32()}
}
