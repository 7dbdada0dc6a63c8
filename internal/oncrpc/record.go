package oncrpc

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
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
		if n > max-len(buf) { // not len(buf)+n: that can wrap where int is 32 bits
			return buf, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, int64(len(buf))+int64(n), max)
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

// RecordReader reads records from a stream like ReadRecord, but a read
// error in the middle of a record (a deadline) leaves it where it was: the
// next Next carries on with the same record, so the stream never falls
// out of step.
//
// It reads ahead into a small buffer, so that a short record (a VXI-11
// reply to a query) costs one read system call, not one for its mark and
// another for its body; a long body goes straight into the record. The
// record grows as its bytes arrive, not to the length a mark announces,
// so a lying mark costs only the bytes actually sent.
type RecordReader struct {
	R   io.Reader
	Max int // longest record accepted

	ahead []byte // read from R, not yet used: ahead[ar:aw]
	ar    int
	aw    int
	hdr   [4]byte
	hn    int    // header bytes read
	rec   []byte // the record so far
	left  int    // bytes of the current fragment still to read
	last  bool   // the current fragment is the record's last
	inFrg bool   // a fragment's body is being read
	done  bool   // rec holds a whole record given out by the last Next
}

// readAheadSize holds a typical reply whole: VXI-11 replies to queries
// are tens to hundreds of bytes.
const readAheadSize = 4 << 10

// read fills p from what was read ahead, else from R: straight into p
// when p is at least as large as the read-ahead buffer, else through it.
func (rr *RecordReader) read(p []byte) (int, error) {
	if rr.ar == rr.aw {
		if len(p) >= readAheadSize {
			return rr.R.Read(p)
		}
		if rr.ahead == nil {
			rr.ahead = make([]byte, readAheadSize)
		}
		n, err := rr.R.Read(rr.ahead)
		rr.ar, rr.aw = 0, n
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, rr.ahead[rr.ar:rr.aw])
	rr.ar += n
	return n, nil
}

// Next returns the next whole record. The slice is valid until the next
// call.
func (rr *RecordReader) Next() ([]byte, error) {
	if rr.done {
		rr.rec, rr.done = rr.rec[:0], false
	}
	for {
		if !rr.inFrg {
			for rr.hn < 4 {
				n, err := rr.read(rr.hdr[rr.hn:])
				rr.hn += n
				if err != nil && rr.hn < 4 {
					if errors.Is(err, io.EOF) && (rr.hn > 0 || len(rr.rec) > 0) {
						err = io.ErrUnexpectedEOF
					}
					return nil, err
				}
			}
			rr.hn = 0
			mark := binary.BigEndian.Uint32(rr.hdr[:])
			n := int(mark &^ lastFragment)
			if n > rr.Max-len(rr.rec) { // not len+n: that can wrap where int is 32 bits
				return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, int64(len(rr.rec))+int64(n), rr.Max)
			}
			rr.left, rr.last, rr.inFrg = n, mark&lastFragment != 0, true
		}
		for rr.left > 0 {
			if len(rr.rec) == cap(rr.rec) {
				// Room for what is read ahead, or for the rest of the
				// fragment up to what is already held: doubling as the
				// data arrives.
				grow := min(rr.left, max(rr.aw-rr.ar, len(rr.rec), 512))
				rr.rec = slices.Grow(rr.rec, grow)
			}
			room := rr.rec[len(rr.rec):min(cap(rr.rec), len(rr.rec)+rr.left)]
			n, err := rr.read(room)
			rr.rec = rr.rec[:len(rr.rec)+n]
			rr.left -= n
			if err != nil && rr.left > 0 {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return nil, err
			}
		}
		rr.inFrg = false
		if rr.last {
			rr.done = true
			return rr.rec, nil
		}
	}
}

// Partial reports whether a record has been started and not finished.
func (rr *RecordReader) Partial() bool { return rr.hn > 0 || rr.inFrg || (len(rr.rec) > 0 && !rr.done) }
