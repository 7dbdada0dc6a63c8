package scpi

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"unsafe"

	"github.com/scpikit/scpikit/internal/msgframe"
)

// The block and message framing live in internal/msgframe, shared with
// links that must find a reply's end themselves (Prologix GPIB).
type blockStatus = msgframe.BlockStatus

const (
	blockNone       = msgframe.BlockNone
	blockIncomplete = msgframe.BlockIncomplete
	blockDefinite   = msgframe.BlockDefinite
	blockIndefinite = msgframe.BlockIndefinite
)

func blockHeader(b []byte) (hdr, n int, st blockStatus) { return msgframe.BlockHeader(b) }

// DefiniteBlockHeader parses a definite-length block header "#<d><len>"
// at the start of b: the header's length and the payload's. ok is false
// when b does not start with a complete header.
func DefiniteBlockHeader(b []byte) (hdr, n int, ok bool) {
	if len(b) == 0 || b[0] != '#' {
		return 0, 0, false
	}
	hdr, n, st := blockHeader(b)
	return hdr, n, st == blockDefinite
}

// ParseBlock parses an IEEE 488.2 arbitrary block at the start of b
// (leading white space allowed): definite "#<d><len><data>" or indefinite
// "#0<data>", whose data runs to the end of b less one trailing newline.
// It returns the payload and what follows it. A header that announces more
// bytes than b holds is an error, never a read past the end.
func ParseBlock(b []byte) (data, rest []byte, err error) {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	if len(b) == 0 || b[0] != '#' {
		return nil, nil, parseErr("block", string(b[:min(len(b), 16)]), "does not start with #")
	}
	hdr, n, st := blockHeader(b)
	switch st {
	case blockIndefinite:
		data = b[2:]
		if len(data) > 0 && data[len(data)-1] == '\n' {
			data = data[:len(data)-1]
		}
		return data, nil, nil
	case blockDefinite:
		if len(b)-hdr < n {
			return nil, nil, parseErr("block", string(b[:hdr]), fmt.Sprintf("header announces %d bytes, only %d follow", n, len(b)-hdr))
		}
		return b[hdr : hdr+n], b[hdr+n:], nil
	}
	return nil, nil, parseErr("block", string(b[:min(len(b), 16)]), "bad header, want #<digits><length>")
}

// AppendBlockHeader appends the definite-length header for n payload bytes.
func AppendBlockHeader(dst []byte, n int) []byte {
	var num [20]byte
	digits := strconv.AppendInt(num[:0], int64(n), 10)
	dst = append(dst, '#', byte('0'+len(digits)))
	return append(dst, digits...)
}

// AppendBlock appends data as a definite-length block.
func AppendBlock(dst, data []byte) []byte {
	return append(AppendBlockHeader(dst, len(data)), data...)
}

// BlockValue is an element type a block payload can be decoded into.
type BlockValue interface {
	int8 | uint8 | int16 | uint16 | int32 | uint32 | int64 | uint64 | float32 | float64
}

// DecodeBlock decodes a block payload into values of T in the given byte
// order (instruments differ: check FORM:BORD or the manual). The payload
// length must be a multiple of T's size.
func DecodeBlock[T BlockValue](data []byte, order binary.ByteOrder) ([]T, error) {
	out, err := makeValues[T](len(data))
	if err != nil {
		return nil, err
	}
	if order == binary.LittleEndian || order == binary.BigEndian {
		// The bytes as they are, then swapped in place where the order is
		// not the machine's: a copy and a pass at memory speed, not a call
		// through the ByteOrder interface per value.
		copy(valueBytes(out), data)
		toNative[T](valueBytes(out), order)
		return out, nil
	}
	switch v := any(out).(type) {
	case []int8:
		for i := range v {
			v[i] = int8(data[i])
		}
	case []uint8:
		copy(v, data)
	case []int16:
		for i := range v {
			v[i] = int16(order.Uint16(data[2*i:]))
		}
	case []uint16:
		for i := range v {
			v[i] = order.Uint16(data[2*i:])
		}
	case []int32:
		for i := range v {
			v[i] = int32(order.Uint32(data[4*i:]))
		}
	case []uint32:
		for i := range v {
			v[i] = order.Uint32(data[4*i:])
		}
	case []int64:
		for i := range v {
			v[i] = int64(order.Uint64(data[8*i:]))
		}
	case []uint64:
		for i := range v {
			v[i] = order.Uint64(data[8*i:])
		}
	case []float32:
		for i := range v {
			v[i] = math.Float32frombits(order.Uint32(data[4*i:]))
		}
	case []float64:
		for i := range v {
			v[i] = math.Float64frombits(order.Uint64(data[8*i:]))
		}
	}
	return out, nil
}

// makeValues allocates the values an n-byte payload holds, or fails when n
// is not a multiple of T's size.
func makeValues[T BlockValue](n int) ([]T, error) {
	var zero T
	size := int(unsafe.Sizeof(zero))
	if n%size != 0 {
		return nil, parseErr("block of "+fmt.Sprintf("%T", zero), fmt.Sprintf("%d bytes", n),
			fmt.Sprintf("length is not a multiple of %d", size))
	}
	if n >= minUninitialized {
		// Every byte is read or copied into before the values are returned.
		b := uninitialized(n)[:n]
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), n/size), nil
	}
	return make([]T, n/size), nil
}

// valueBytes is the memory of v as bytes, to be read or copied into.
func valueBytes[T BlockValue](v []T) []byte {
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(zero)))
}

// littleEndianMachine: binary.NativeEndian is one of the two orders.
var littleEndianMachine = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// toNative turns values in b, read in the given order (LittleEndian or
// BigEndian), into the machine's order, in place.
func toNative[T BlockValue](b []byte, order binary.ByteOrder) {
	var zero T
	if (order == binary.LittleEndian) == littleEndianMachine || len(b) == 0 {
		return
	}
	p := unsafe.Pointer(unsafe.SliceData(b))
	switch unsafe.Sizeof(zero) {
	case 2:
		u := unsafe.Slice((*uint16)(p), len(b)/2)
		for i, v := range u {
			u[i] = bits.ReverseBytes16(v)
		}
	case 4:
		// Two values per step where the memory is 8-aligned (reversing 8
		// bytes swaps the two values' places as well, which the rotation
		// undoes), then one at a time for what is left.
		done := 0
		if uintptr(p)%8 == 0 && len(b) >= 8 {
			u := unsafe.Slice((*uint64)(p), len(b)/8)
			for i, v := range u {
				u[i] = bits.RotateLeft64(bits.ReverseBytes64(v), 32)
			}
			done = len(u) * 8
		}
		if rest := len(b) - done; rest > 0 {
			u := unsafe.Slice((*uint32)(unsafe.Add(p, done)), rest/4)
			for i, v := range u {
				u[i] = bits.ReverseBytes32(v)
			}
		}
	case 8:
		u := unsafe.Slice((*uint64)(p), len(b)/8)
		for i, v := range u {
			u[i] = bits.ReverseBytes64(v)
		}
	}
}

// EncodeBlock encodes values as a block payload in the given byte order;
// pass the result to WriteBlock.
func EncodeBlock[T BlockValue](values []T, order binary.ByteOrder) []byte {
	out, err := binary.Append(nil, order, values)
	if err != nil { // cannot happen: every BlockValue has a fixed size
		panic("scpi: EncodeBlock: " + err.Error())
	}
	return out
}

// MessageEnd returns the index of the terminator that ends the first
// message in b, or -1 when b does not hold a complete message yet. A
// terminator inside a definite-length block does not end the message. Both
// sides of a link use it: the session for responses, servers and recorders
// for commands.
func MessageEnd(b []byte, term byte) int { return msgframe.MessageEnd(b, term) }

type msgScanner = msgframe.Scanner

func newScanner() msgScanner { return msgframe.NewScanner() }

func newPayloadScanner() msgScanner { return msgframe.NewPayloadScanner() }
