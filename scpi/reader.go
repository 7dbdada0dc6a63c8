package scpi

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"
	"sync"
	"unsafe"
)

// reader frames response messages strictly: a message ends at the
// terminator, except inside a definite-length block, whose length is taken
// from its header. Nothing is ever guessed from a short read or a pause.
//
// Its buffer stays small: a message larger than the buffer moves out of
// it into chunks that grow with the message (up to maxSpillChunk each),
// and the link is then read straight into the newest chunk, in reads as
// large as the chunk's free space, so a long reply costs few system calls
// and no copy through the buffer. The chunks are joined once the message's
// end is found (a message that fits in one chunk is returned as it is).
// When the session expects the message's size (see hint), the first chunk
// is new memory of that size, which is the result when the message fits.
// So a lying or endless instrument costs about the response cap (the
// chunks) and no more, and nothing big is kept once the message is done
// with.
type reader struct {
	src  io.Reader
	buf  []byte // home, or for a while an overflow: see spillDone
	home []byte // the reader's own buffer
	r, w int
	max  int  // largest text response kept in memory
	term byte // response terminator
	// owed counts payload bytes of an abandoned block still to come from
	// the link; they are dropped before the next message is framed.
	owed int64

	spill    [][]byte   // a message larger than buf; the link is read into the last chunk
	pool     *chunkPool // chunks of earlier large messages, for reuse
	spilled  int        // bytes in spill
	spillBuf bool       // the spilled message goes on in buf, not in the last chunk
	cont     msgScanner // where scanning stopped in a message cut short by an error
	resume   bool       // cont is valid: the next call continues that message
	fresh    bool       // the last message returned was joined from spill: the caller may keep it
	// into, while intoOn, is a caller's slice (QueryAppend) that the next
	// spilled message is appended to in place of a join into new memory;
	// intoOut is then that slice with the message, and intoOn is cleared.
	into, intoOut []byte
	intoOn        bool
	intoChunk     bool // spill[0] is the free room of into: never pooled

	// hint, when not 0, is the size the next message is expected to have
	// (the session's last reply to the same command was that large): a
	// message that spills is read straight into new memory of that size,
	// which becomes the result when the message fits (hinted is then set),
	// with no pooled chunk filled first and no join. spilledLen is the
	// length of the last message returned, when it spilled (else 0).
	hint       int
	hinted     bool
	spilledLen int

	// payload is set while the message read is an indefinite block's
	// payload, its header (#0) already consumed by blockStart: any bytes
	// up to the terminator, where '#' and quotes mean nothing and a CR
	// before the terminator is data.
	payload bool
}

const (
	initialBufSize = 16 << 10
	minSpillChunk  = 64 << 10
	maxSpillChunk  = 4 << 20
)

func newReader(src io.Reader, term byte, max int) reader {
	buf := make([]byte, initialBufSize)
	return reader{src: src, buf: buf, home: buf, term: term, max: max, pool: new(chunkPool)}
}

func (rd *reader) reset() {
	rd.r, rd.w, rd.owed = 0, 0, 0
	rd.buf = rd.home
	rd.dropSpill()
	rd.resume, rd.payload = false, false
}

func (rd *reader) buffered() int { return rd.w - rd.r }

// held is how many bytes the reader keeps allocated.
func (rd *reader) held() int {
	n := len(rd.home)
	if len(rd.buf) != len(rd.home) || unsafe.SliceData(rd.buf) != unsafe.SliceData(rd.home) {
		n += cap(rd.buf)
	}
	for _, c := range rd.spill {
		n += cap(c)
	}
	return n
}

// dropSpill lets the spill's chunks go, to the pool for the next large
// message.
func (rd *reader) dropSpill() {
	for i, c := range rd.spill {
		if i > 0 || !rd.intoChunk {
			rd.pool.put(c)
		}
	}
	clear(rd.spill)
	rd.spill, rd.spilled, rd.spillBuf, rd.intoChunk, rd.hinted = rd.spill[:0], 0, false, false, false
}

// detachInto moves a message cut short while being read into a caller's
// slice (QueryAppend) to a chunk of the reader's own, so that what comes
// of it later is never written to memory the caller has back.
func (rd *reader) detachInto() {
	if rd.intoChunk && len(rd.spill) > 0 {
		c := rd.spill[0]
		rd.spill[0] = append(rd.pool.get(cap(c)), c...)
		rd.intoChunk = false
	}
}

// chunkPool keeps the chunks of large messages for the next ones, until
// the garbage collector takes them: memory fresh from the system costs a
// page fault per page on first use, several times the cost of reading
// into memory already in use, so a session reading one large reply after
// another reuses the same chunks. Chunk sizes are powers of two from
// minSpillChunk to maxSpillChunk.
type chunkPool struct {
	classes [chunkClasses]sync.Pool // of *[]byte
}

const chunkClasses = 7 // minSpillChunk << 0 .. 6 == maxSpillChunk

// get returns an empty chunk of at least n bytes' capacity (at most
// maxSpillChunk).
func (p *chunkPool) get(n int) []byte {
	i := 0
	for i < chunkClasses-1 && minSpillChunk<<i < n {
		i++
	}
	if c, ok := p.classes[i].Get().(*[]byte); ok {
		return (*c)[:0]
	}
	return make([]byte, 0, minSpillChunk<<i)
}

func (p *chunkPool) put(c []byte) {
	for i := range chunkClasses {
		if cap(c) == minSpillChunk<<i {
			c = c[:0]
			p.classes[i].Put(&c)
			return
		}
	}
}

// uninitialized returns an empty slice with room for n bytes, for a
// message or block that will overwrite all of it. A large one's memory is
// not zeroed first: make zeroes it, a pass over memory as long as the read
// itself (a tenth of a 10 MiB reply's time). strings.Builder allocates
// without zeroing; its one byte is overwritten too. An allocation this
// large is page-aligned, so it may hold values of any BlockValue type.
func uninitialized(n int) []byte {
	if n < minUninitialized {
		return make([]byte, 0, n)
	}
	var sb strings.Builder
	sb.Grow(n)
	sb.WriteByte(0)
	s := sb.String()
	return unsafe.Slice(unsafe.StringData(s), n)[:0]
}

// minUninitialized is where the Go runtime's large objects start: each
// its own pages.
const minUninitialized = 32 << 10

var errBufferFull = errors.New("buffer full")

// fill reads at least one byte more, compacting the buffer first.
func (rd *reader) fill() error {
	rd.drained()
	if rd.w == len(rd.buf) && rd.r > 0 {
		rd.w = copy(rd.buf, rd.buf[rd.r:rd.w])
		rd.r = 0
	}
	if rd.w == len(rd.buf) {
		return errBufferFull
	}
	n, err := rd.readInto(rd.buf[rd.w:])
	rd.w += n
	return err
}

// drained starts the buffer afresh when all of it has been read: the next
// read fills all of it, and an overflow buffer (see spillDone) is let go.
func (rd *reader) drained() {
	if rd.r == rd.w {
		rd.r, rd.w, rd.buf = 0, 0, rd.home
	}
}

// readInto reads at least one byte into p, or fails.
func (rd *reader) readInto(p []byte) (int, error) {
	for range 100 {
		n, err := rd.src.Read(p)
		if n > 0 {
			return n, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return 0, io.ErrNoProgress
}

// skipOwed drops the rest of an abandoned block.
func (rd *reader) skipOwed() error {
	for rd.owed > 0 {
		if rd.buffered() == 0 {
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
	rd.drained()
	return rd.trimCR(msg)
}

// trimCR drops a carriage return before the terminator (CR LF
// instruments), except from a block's payload, whose bytes are all data;
// the message is complete.
func (rd *reader) trimCR(msg []byte) []byte {
	payload := rd.payload
	rd.payload = false
	if !payload && len(msg) > 0 && msg[len(msg)-1] == '\r' {
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
	rd.fresh, rd.spilledLen = false, 0
	sc := newScanner()
	if rd.payload {
		sc = newPayloadScanner()
	}
	first := true
	if rd.resume {
		sc, rd.resume, first = rd.cont, false, false
	}
	if len(rd.spill) > 0 {
		if !discard {
			return rd.nextSpilled(sc)
		}
		rd.leaveSpill(&sc)
	}
	for ; ; first = false {
		if rd.owed > 0 {
			if err := rd.skipOwed(); err != nil {
				return nil, rd.suspend(sc, err)
			}
		}
		b := rd.buf[rd.r:rd.w]
		// Fast path: a plain reply already buffered in full. (Scan, which
		// runs on every fill, is nearly as fast: it too jumps from one
		// byte that matters to the next with IndexByte.)
		if first && !discard {
			if i := bytes.IndexByte(b, rd.term); i >= 0 && (rd.payload || bytes.IndexByte(b[:i], '#') < 0) {
				return rd.take(i), nil
			}
		}
		if done, at := sc.Scan(b, rd.term); done {
			return rd.result(at, discard), nil
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
		case sc.Pos >= rd.max:
			// Too large: what is scanned is dropped, and the rest is
			// skipped from here when the session discards it.
			n := min(sc.Pos, len(b))
			rd.r += n
			sc.Pos -= n
			return nil, rd.suspend(sc, ErrResponseTooLarge)
		case rd.r == 0 && rd.w == len(rd.buf):
			// The message fills the buffer: it moves out to the spill,
			// and the link is read straight into the spill from now on.
			rd.spillStart(b)
			rd.r, rd.w = 0, 0
			return rd.nextSpilled(sc)
		}
		if err := rd.fill(); err != nil {
			return nil, rd.suspend(sc, err)
		}
	}
}

// spillStart moves the start of a large message, b, to a first chunk.
//
// For a QueryAppend whose slice has room, the first chunk is that room:
// a reply that fits is read straight into the caller's memory, as a
// hand-written loop into a reused buffer does.
func (rd *reader) spillStart(b []byte) {
	var c []byte
	if free := rd.into[len(rd.into):cap(rd.into)]; rd.intoOn && len(free) >= 2*len(b) {
		c, rd.intoChunk = append(free[:0], b...), true
	} else if !rd.intoOn && rd.hint >= 2*len(b) {
		// Most likely as large as the last reply to the same command: read
		// straight into memory of that size, the result if it fits.
		c, rd.hinted = append(uninitialized(rd.hint), b...), true
	} else {
		c = append(rd.pool.get(2*len(b)), b...)
	}
	rd.spill, rd.spilled, rd.spillBuf = append(rd.spill[:0], c), len(b), false
}

// nextSpilled goes on with a message being read into the spill: into the
// last chunk while it has room, then into the buffer, so that a reply that
// ends just past a chunk costs no new chunk; when the buffer fills too, its
// bytes start the next chunk. sc scans where the message goes on: its
// positions are relative to the last chunk's start, or the buffer's.
func (rd *reader) nextSpilled(sc msgScanner) ([]byte, error) {
	for {
		last := &rd.spill[len(rd.spill)-1]
		b, before := *last, rd.spilled-len(*last)
		if rd.spillBuf {
			b, before = rd.buf[rd.r:rd.w], rd.spilled
		}
		if done, at := sc.Scan(b, rd.term); done {
			return rd.spillDone(at), nil
		}
		if before+sc.Pos >= rd.max {
			rd.leaveSpill(&sc)
			return nil, rd.suspend(sc, ErrResponseTooLarge)
		}
		switch {
		case !rd.spillBuf && len(*last) == cap(*last):
			// The chunk is full: on into the (empty) buffer. A block
			// header cut by the chunk's end moves with it, to be read whole.
			rd.r, rd.w, rd.buf = 0, 0, rd.home
			if sc.Pos < len(*last) {
				rd.w = copy(rd.buf, (*last)[sc.Pos:])
				rd.spilled -= rd.w
				*last = (*last)[:sc.Pos:sc.Pos]
				sc.Pos = 0
			} else {
				sc.Pos -= len(*last)
			}
			rd.spillBuf = true
		case rd.spillBuf && rd.w == len(rd.buf):
			// The buffer is full: its bytes start a new chunk, which the
			// link is read into from here on.
			c := append(rd.pool.get(rd.spilled), rd.buf[:rd.w]...)
			rd.spill = append(rd.spill, c)
			rd.spilled += rd.w
			rd.r, rd.w, rd.spillBuf = 0, 0, false
		}
		if rd.spillBuf {
			if err := rd.fill(); err != nil {
				return nil, rd.suspend(sc, err)
			}
			continue
		}
		last = &rd.spill[len(rd.spill)-1]
		n, err := rd.readInto((*last)[len(*last):cap(*last)])
		*last = (*last)[:len(*last)+n]
		rd.spilled += n
		if err != nil {
			return nil, rd.suspend(sc, err)
		}
	}
}

// leaveSpill lets the spill go and puts the scanner back onto the buffer.
// The buffer is empty while a message is read into a chunk: the bytes of
// the chunk not yet scanned (at most a block header) return to it.
func (rd *reader) leaveSpill(sc *msgScanner) {
	if !rd.spillBuf {
		last := rd.spill[len(rd.spill)-1]
		rd.r, rd.w, rd.buf = 0, 0, rd.home
		if sc.Pos < len(last) {
			rd.w = copy(rd.buf, last[sc.Pos:])
			sc.Pos = 0
		} else {
			sc.Pos -= len(last)
		}
	}
	rd.dropSpill()
}

// spillDone returns the spilled message that ends at pos (in the last
// chunk, or in the buffer) as a slice the caller may keep, and lets the
// spill go. Bytes read past the terminator into a chunk (the start of a
// later reply) return to the buffer, or to an overflow buffer in the rare
// case they do not fit, which fill drops once it is read.
func (rd *reader) spillDone(pos int) []byte {
	var tail, after []byte // the message's end in the buffer; bytes past it in the last chunk
	if rd.spillBuf {
		tail = rd.buf[rd.r : rd.r+pos]
		rd.r += pos + 1
		defer rd.drained() // after the join: tail is in buf
	} else {
		k := len(rd.spill) - 1
		after = rd.spill[k][pos+1:]
		rd.spill[k] = rd.spill[k][:pos]
		rd.spilled -= len(after) + 1
	}
	var msg []byte
	if rd.intoOn {
		// Appended to the caller's slice: the chunks go back to the pool,
		// and a caller that reuses its slice touches no fresh memory.
		start := len(rd.into)
		d, rest := rd.into, rd.spill
		if rd.intoChunk {
			// The first chunk is in place already.
			d, rest = rd.into[:start+len(rd.spill[0])], rd.spill[1:]
		}
		d = slices.Grow(d, rd.spilled+len(tail)-(len(d)-start))
		for _, c := range rest {
			d = append(d, c...)
		}
		d = append(d, tail...)
		msg, rd.intoOut, rd.into, rd.intoOn = d[start:], d, nil, false
	} else if len(rd.spill) == 1 && tail == nil && (!rd.hinted || 2*len(rd.spill[0]) >= cap(rd.spill[0])) {
		// In one chunk (not one more than twice the message's size, when a
		// hint made it): the result as it is.
		msg = rd.spill[0]
		rd.spill = rd.spill[:0] // the caller's now: not for the pool
	} else {
		// Joined through a strings.Builder, whose buffer is not zeroed
		// before the copy overwrites it: one pass over the message, not
		// two. Nothing writes to a message once it is returned.
		var sb strings.Builder
		sb.Grow(rd.spilled + len(tail))
		for _, c := range rd.spill {
			sb.Write(c)
		}
		sb.Write(tail)
		str := sb.String()
		msg = unsafe.Slice(unsafe.StringData(str), len(str))
	}
	if !rd.spillBuf {
		rd.r, rd.buf = 0, rd.home
		if len(after) > len(rd.buf) {
			rd.buf = bytes.Clone(after)
		}
		rd.w = copy(rd.buf, after)
	}
	rd.dropSpill()
	rd.spilledLen = len(msg)
	msg = rd.trimCR(msg)
	rd.fresh = true
	return msg
}

// partial reports whether a call cut short left part of a message read
// (buffered, spilled or scanned): the rest of it is still to come.
func (rd *reader) partial() bool {
	return rd.resume && (rd.w > rd.r || len(rd.spill) > 0 || rd.cont.Pos > 0)
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

// blockStart reads up to and including a definite block header at the
// start of the next message (white space before it allowed) and returns
// the payload length; the header (with the white space before it) is the
// last hdr bytes consumed from buf. The header is consumed only when it
// parses.
func (rd *reader) blockStart() (n, hdr int, err error) {
	// A block starts a message: nothing of an earlier one goes on here.
	rd.resume, rd.payload = false, false
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
				return 0, 0, rd.notBlock(b[i:])
			}
			h, n, st := blockHeader(b[i:])
			switch st {
			case blockDefinite:
				rd.r += i + h
				return n, i + h, nil
			case blockIndefinite:
				rd.r += i + h
				rd.payload = true
				return -1, i + h, nil
			case blockNone:
				return 0, 0, rd.notBlock(b[i:])
			}
		}
		if err := rd.fill(); err != nil {
			return 0, 0, err
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
