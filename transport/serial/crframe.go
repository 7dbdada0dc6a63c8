package serial

import "github.com/scpikit/scpikit/internal/msgframe"

// crFrames serves ReadTermination "\r", where the session ends each reply
// at its CR (Port.ReadTerminator): it drops an LF right after the CR that
// ends a reply (an instrument that sends CR LF), so it never starts the
// next reply. It finds those CRs by IEEE 488.2 framing, as the session
// does: a definite-length block's payload is data, and its CRs and LFs
// pass unchanged, as does any other LF.
type crFrames struct {
	sc msgframe.Scanner // the reply under way
	// head is a block header cut off at the end of the last piece (at
	// most 11 bytes, already given to the caller): the next piece is
	// scanned after it, so the header is read whole.
	head    []byte
	scratch []byte // head and the next piece
	afterCR bool   // the last piece ended with a reply's CR
	drops   []int  // the LFs of CR LF pairs in the piece, to drop
}

func newCRFrames() *crFrames { return &crFrames{sc: msgframe.NewScanner()} }

// rewrite rewrites the piece b, read after the pieces before it, in place
// and returns how many of its bytes to keep.
func (f *crFrames) rewrite(b []byte) int {
	f.drops = f.drops[:0]
	buf, off := b, 0 // b is buf[off:]
	if len(f.head) > 0 {
		f.scratch = append(append(f.scratch[:0], f.head...), b...)
		buf, off = f.scratch, len(f.head)
	}
	if f.afterCR && len(b) > 0 {
		f.afterCR = false // (head is empty: a reply had just ended)
		if b[0] == '\n' {
			f.drops = append(f.drops, 0)
			f.sc.Pos = 1
		}
	}
	for {
		done, at := f.sc.Scan(buf, '\r')
		if !done {
			break
		}
		f.sc = msgframe.NewScanner()
		f.sc.Pos = at + 1
		if at+1 == len(buf) {
			f.afterCR = true
			break
		}
		if buf[at+1] == '\n' {
			f.drops = append(f.drops, at+1-off)
			f.sc.Pos = at + 2
		}
	}
	if f.sc.Pos < len(buf) { // a block header not yet whole
		f.head = append(f.head[:0], buf[f.sc.Pos:]...)
		f.sc.Pos = 0
	} else { // scanned to the end, or into a block's payload beyond it
		f.head = f.head[:0]
		f.sc.Pos -= len(buf)
	}
	if len(f.drops) == 0 {
		return len(b)
	}
	j, from := 0, 0
	for _, d := range f.drops {
		j += copy(b[j:], b[from:d])
		from = d + 1
	}
	j += copy(b[j:], b[from:])
	return j
}
