package oncrpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// ErrMalformed is matched by every error for bytes that are not a valid
// XDR encoding of what was expected.
var ErrMalformed = errors.New("oncrpc: malformed message")

// Encoder appends XDR items to a buffer.
type Encoder struct{ B []byte }

// Uint32 appends an unsigned int.
func (e *Encoder) Uint32(v uint32) { e.B = binary.BigEndian.AppendUint32(e.B, v) }

// Int32 appends an int.
func (e *Encoder) Int32(v int32) { e.Uint32(uint32(v)) }

// Bool appends a bool (an int 0 or 1).
func (e *Encoder) Bool(v bool) {
	if v {
		e.Uint32(1)
	} else {
		e.Uint32(0)
	}
}

// Opaque appends variable-length opaque data: its length, the bytes, and
// zero padding to a multiple of four.
func (e *Encoder) Opaque(b []byte) {
	e.B = slices.Grow(e.B, 8+len(b))
	e.Uint32(uint32(len(b)))
	e.B = append(e.B, b...)
	e.B = append(e.B, make([]byte, pad(len(b)))...)
}

// String appends a string, encoded as opaque data.
func (e *Encoder) String(s string) {
	e.Uint32(uint32(len(s)))
	e.B = append(e.B, s...)
	e.B = append(e.B, make([]byte, pad(len(s)))...)
}

func pad(n int) int { return (4 - n%4) % 4 }

// Decoder reads XDR items from a buffer. The first error sticks: later
// reads return zero values, and Err reports it, so a message is decoded
// field by field and checked once.
type Decoder struct {
	B   []byte
	err error
}

// NewDecoder decodes b.
func NewDecoder(b []byte) *Decoder { return &Decoder{B: b} }

// Err is the first decoding error, or nil.
func (d *Decoder) Err() error { return d.err }

func (d *Decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
	}
}

// Uint32 reads an unsigned int.
func (d *Decoder) Uint32() uint32 {
	if d.err != nil {
		return 0
	}
	if len(d.B) < 4 {
		d.fail("truncated: %d bytes where an int was due", len(d.B))
		return 0
	}
	v := binary.BigEndian.Uint32(d.B)
	d.B = d.B[4:]
	return v
}

// Int32 reads an int.
func (d *Decoder) Int32() int32 { return int32(d.Uint32()) }

// Bool reads a bool; values other than 0 and 1 are malformed.
func (d *Decoder) Bool() bool {
	v := d.Uint32()
	if v > 1 {
		d.fail("bool %d", v)
	}
	return v == 1
}

// Opaque reads variable-length opaque data of at most max bytes. The
// result aliases the decoder's buffer.
func (d *Decoder) Opaque(max int) []byte {
	n := d.Uint32()
	if d.err != nil {
		return nil
	}
	if uint64(n) > uint64(max) {
		d.fail("opaque of %d bytes, limit %d", n, max)
		return nil
	}
	total := int(n) + pad(int(n))
	if total > len(d.B) {
		d.fail("opaque of %d bytes, %d left", n, len(d.B))
		return nil
	}
	b := d.B[:n:n]
	d.B = d.B[total:]
	return b
}

// String reads a string of at most max bytes.
func (d *Decoder) String(max int) string { return string(d.Opaque(max)) }

// Done fails when bytes are left over: a message must be read whole.
func (d *Decoder) Done() error {
	if d.err == nil && len(d.B) != 0 {
		d.fail("%d bytes left over", len(d.B))
	}
	return d.err
}
