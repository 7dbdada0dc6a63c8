package oncrpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge is matched by the error for a record longer than the
// reader's limit.
var ErrTooLarge = errors.New("oncrpc: record too large")

const lastFragment = 1 << 31

// WriteRecord writes msg as one record (a single last fragment), header
// and body in one write so a record is never split by a concurrent
// writer's bytes.
func WriteRecord(w io.Writer, msg []byte) error {
	buf := make([]byte, 4, 4+len(msg))
	binary.BigEndian.PutUint32(buf, lastFragment|uint32(len(msg)))
	_, err := w.Write(append(buf, msg...))
	return err
}

// AppendRecordMark returns msg with room for a record mark reserved by
// the caller: msg[0:4] is overwritten with the mark for msg[4:]. It lets
// encoders build a record without copying the body.
func AppendRecordMark(msg []byte) []byte {
	binary.BigEndian.PutUint32(msg, lastFragment|uint32(len(msg)-4))
	return msg
}

// ReadRecord reads one record, joining its fragments, into buf (grown as
// needed) and returns it. A record longer than max bytes fails with
// ErrTooLarge before anything is allocated for it.
func ReadRecord(r io.Reader, buf []byte, max int) ([]byte, error) {
	buf = buf[:0]
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if len(buf) > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
		mark := binary.BigEndian.Uint32(hdr[:])
		n := int(mark &^ lastFragment)
		if len(buf)+n > max {
			return buf, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(buf)+n, max)
		}
		start := len(buf)
		buf = append(buf, make([]byte, n)...)
		if _, err := io.ReadFull(r, buf[start:]); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
		if mark&lastFragment != 0 {
			return buf, nil
		}
	}
}
