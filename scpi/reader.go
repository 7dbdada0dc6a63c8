package scpi

import (
	"bytes"
	"errors"
	"io"
)

// reader frames response messages strictly: a message ends at the
// terminator, except inside a definite-length block, whose length is taken
// from its header. Nothing is ever guessed from a short read or a pause.
//
// Its buffer never grows: a message larger than the buffer is moved out of
// it, as it is scanned, into chunks that grow with the message, and joined
// once its end is found. So a lying or endless instrument costs about the
// response cap (the chunks) and no more, not a doubling buffer's 2x, and
// nothing big is kept once the message is done with.
type reader struct {
	src  io.Reader
	buf  []byte
	r, w int
	max  int  // largest text response kept in memory
	term byte // response terminator
	// owed counts payload bytes of an abandoned block still to come from
	// the link; they are dropped before the next message is framed.
	owed int64

	spill   [][]byte   // the start of a message larger than buf
	spilled int        // bytes in spill
	cont    msgScanner // where scanning stopped in a message cut short by an error
	resume  bool       // cont is valid: the next call continues that message
	fresh   bool       // the last message returned was joined from spill: the caller may keep it
}

const (
	initialBufSize = 16 << 10
	minSpillChunk  = 64 << 10
	maxSpillChunk  = 4 << 20
)

func newReader(src io.Reader, term byte, max int) reader {
	return reader{src: src, buf: make([]byte, initialBufSize), term: term, max: max}
}

func (rd *reader) reset() {
	rd.r, rd.w, rd.owed = 0, 0, 0
	rd.dropSpill()
	rd.resume = false
}

func (rd *reader) buffered() int { return rd.w - rd.r }

// held is how many bytes the reader keeps allocated.
func (rd *reader) held() int {
	n := len(rd.buf)
	for _, c := range rd.spill {
		n += cap(c)
	}
	return n
}

func (rd *reader) dropSpill() { rd.spill, rd.spilled = nil, 0 }

// spillOut moves the next n bytes of the buffer to the spill chunks.
func (rd *reader) spillOut(n int) {
	p := rd.buf[rd.r : rd.r+n]
	rd.r += n
	for len(p) > 0 {
		if k := len(rd.spill); k == 0 || len(rd.spill[k-1]) == cap(rd.spill[k-1]) {
			rd.spill = append(rd.spill, make([]byte, 0, min(max(rd.spilled, minSpillChunk), maxSpillChunk)))
		}
		last := &rd.spill[len(rd.spill)-1]
		m := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:m]...)
		p = p[m:]
		rd.spilled += m
	}
}

var errBufferFull = errors.New("buffer full")

// fill reads at least one byte more, compacting the buffer first.
func (rd *reader) fill() error {
	if rd.w == len(rd.buf) && rd.r > 0 {
		rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.r = 0
	}
	if rd.w == len(rd.buf) {
		return errBufferFull
	}
	for range 100 {
		n, err := rd.src.Read(rd.buf[rd.w:])
		rd.w += n
		if n > 0 {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// skipOwed drops the rest of an abandoned block.
func (rd *reader) skipOwed() error {
	for rd.owed > 0 {
		if rd.buffered() == 0 {
			rd.r, rd.w = 0, 0
			if err := rd.fill(); err != nil {
				return err
			}
		}
		n := int(min(int64(rd.buffered()), rd.owed))
		rd.r += n
		rd.owed -= int64(n)
	}
	return nil
}

// take returns the message of length n at the read position and consumes
// it with its terminator; a carriage return before the terminator (CR LF
// instruments) is dropped.
func (rd *reader) take(n int) []byte {
	msg := rd.buf[rd.r : rd.r+n]
	rd.r += n + 1
	if len(msg) > 0 && msg[len(msg)-1] == '\r' {
		msg = msg[:len(msg)-1]
	}
	return msg
}

// next returns the next complete response message, without its
// terminator. The slice is valid until the next call, unless fresh is set
// after it returns. With discard set, the message is passed over as it
// streams in, however large, and the result is nil. A call that fails in
// the middle of a message leaves where it stopped, and the next call goes
// on from there.
func (rd *reader) next(discard bool) ([]byte, error) {
	rd.fresh = false
	sc := newScanner()
	first := true
	if rd.resume {
		sc, rd.resume, first = rd.cont, false, false
	}
	if discard {
		rd.dropSpill()
	}
	for ; ; first = false {
		if rd.owed > 0 {
			if err := rd.skipOwed(); err != nil {
				return nil, rd.suspend(sc, err)
			}
		}
		b := rd.buf[rd.r:rd.w]
		// Fast path: a plain reply already buffered in full.
		if first && !discard {
			if i := bytes.IndexByte(b, rd.term); i >= 0 && bytes.IndexByte(b[:i], '#') < 0 {
				return rd.take(i), nil
			}
		}
		if done, at := sc.Scan(b, rd.term); done {
			if discard || rd.spilled == 0 {
				return rd.result(at, discard), nil
			}
			return rd.join(at), nil
		}
		switch {
		case discard && sc.Pos > len(b):
			// Inside a block's payload: drop what is here, owe the rest,
			// and never buffer it.
			rd.owed = int64(sc.Pos - len(b))
			rd.r, sc.Pos = rd.w, 0
			continue
		case discard:
			rd.r += sc.Pos
			sc.Pos = 0
		case rd.spilled+sc.Pos >= rd.max:
			// Too large: what is scanned is dropped, and the rest is
			// skipped from here when the session discards it.
			n := min(sc.Pos, len(b))
			rd.r += n
			sc.Pos -= n
			rd.dropSpill()
			return nil, rd.suspend(sc, ErrResponseTooLarge)
		case rd.w == len(rd.buf):
			// Make room: the scanned part moves out to the spill.
			n := min(sc.Pos, len(b))
			rd.spillOut(n)
			sc.Pos -= n
		}
		if err := rd.fill(); err != nil {
			return nil, rd.suspend(sc, err)
		}
	}
}

// suspend keeps the scanner of a message cut short by err, so that the
// next call (a discard, or a Read that waits longer) goes on with it.
func (rd *reader) suspend(sc msgScanner, err error) error {
	rd.cont, rd.resume = sc, true
	return err
}

func (rd *reader) result(pos int, discard bool) []byte {
	msg := rd.take(pos)
	if discard {
		return nil
	}
	return msg
}

// join returns a message that began in the spill and ends at pos, as one
// new slice, and lets the spill go.
func (rd *reader) join(pos int) []byte {
	msg := make([]byte, 0, rd.spilled+pos)
	for _, c := range rd.spill {
		msg = append(msg, c...)
	}
	msg = append(msg, rd.buf[rd.r:rd.r+pos]...)
	rd.r += pos + 1
	rd.dropSpill()
	if len(msg) > 0 && msg[len(msg)-1] == '\r' {
		msg = msg[:len(msg)-1]
	}
	rd.fresh = true
	return msg
}

// blockStart reads up to and including a definite block header at the
// start of the next message (white space before it allowed) and returns
// the payload length. The header is consumed only when it parses.
func (rd *reader) blockStart() (int, error) {
	// A block starts a message: nothing of an earlier one goes on here.
	rd.resume = false
	rd.dropSpill()
	for {
		b := rd.buf[rd.r:rd.w]
		i := 0
		for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
			i++
		}
		if i == len(b) {
			// Only white space so far: let it go, so that an endless run of
			// it cannot fill the buffer.
			rd.r += i
		} else {
			if b[i] != '#' {
				return 0, rd.notBlock(b[i:])
			}
			hdr, n, st := blockHeader(b[i:])
			switch st {
			case blockDefinite:
				rd.r += i + hdr
				return n, nil
			case blockIndefinite:
				rd.r += i + hdr
				return -1, nil
			case blockNone:
				return 0, rd.notBlock(b[i:])
			}
		}
		if err := rd.fill(); err != nil {
			return 0, err
		}
	}
}

func (rd *reader) notBlock(b []byte) error {
	end := bytes.IndexByte(b, rd.term)
	if end < 0 || end > 32 {
		end = min(len(b), 32)
	}
	return parseErr("block", string(b[:end]), "does not start with #<digit>")
}

// readFull fills p with block payload: what is buffered first, then
// straight from the link into p, with no copy through the buffer.
func (rd *reader) readFull(p []byte) (int, error) {
	n := copy(p, rd.buf[rd.r:rd.w])
	rd.r += n
	if n == len(p) {
		return n, nil
	}
	m, err := io.ReadFull(rd.src, p[n:])
	return n + m, err
}

// copyN streams n payload bytes to w through the buffer. When w fails, the
// rest of the payload is left owed, so the session stays in step.
func (rd *reader) copyN(w io.Writer, n int64) (int64, error) {
	var written int64
	for written < n {
		if rd.buffered() == 0 {
			rd.r, rd.w = 0, 0
			if err := rd.fill(); err != nil {
				rd.owed = n - written
				return written, err
			}
		}
		chunk := rd.buf[rd.r : rd.r+int(min(int64(rd.buffered()), n-written))]
		rd.r += len(chunk)
		m, err := w.Write(chunk)
		written += int64(m)
		if err == nil && m < len(chunk) {
			err = io.ErrShortWrite
		}
		if err != nil {
			rd.owed = n - int64(len(chunk)) - (written - int64(m))
			return written, err
		}
	}
	return written, nil
}
