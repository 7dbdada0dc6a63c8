package msgframe

import "bytes"

// BlockStatus says what a '#' starts.
type BlockStatus int

const (
	BlockNone       BlockStatus = iota // not a block header (e.g. "#H1F")
	BlockIncomplete                    // could be one; more bytes needed
	BlockDefinite                      // #<d><len>: hdr and n are valid
	BlockIndefinite                    // #0: data runs to the terminator
)

// BlockHeader inspects b, which starts with '#'. For a definite block it
// returns the header length and the payload length.
func BlockHeader(b []byte) (hdr, n int, st BlockStatus) {
	if len(b) < 2 {
		return 0, 0, BlockIncomplete
	}
	d := b[1]
	if d == '0' {
		return 2, 0, BlockIndefinite
	}
	if d < '1' || d > '9' {
		return 0, 0, BlockNone
	}
	digits := int(d - '0')
	if len(b) < 2+digits {
		for _, c := range b[2:] {
			if c < '0' || c > '9' {
				return 0, 0, BlockNone
			}
		}
		return 0, 0, BlockIncomplete
	}
	for _, c := range b[2 : 2+digits] {
		if c < '0' || c > '9' {
			return 0, 0, BlockNone
		}
		n = n*10 + int(c-'0')
	}
	return 2 + digits, n, BlockDefinite
}

// MessageEnd returns the index of the terminator that ends the first
// message in b, or -1 when b does not hold a complete message yet. A
// terminator inside a definite-length block does not end the message. Both
// sides of a link use it: the session for responses, servers and recorders
// for commands.
func MessageEnd(b []byte, term byte) int {
	sc := NewScanner()
	if done, at := sc.Scan(b, term); done {
		return at
	}
	return -1
}

// Scanner finds the end of a message incrementally, as its bytes
// arrive: a message ends at the terminator, except inside a definite-length
// block, which starts a data element (after a separator or a space) and
// whose header gives its length.
type Scanner struct {
	Pos       int  // where scanning resumes; beyond the data while inside a block's payload
	elemStart bool // the next byte starts a data element
	quote     byte // the open quote character, or 0
	// raw is set after an indefinite block's header (#0): its payload
	// is any bytes up to the terminator, so quotes and '#' mean nothing.
	raw bool
}

// NewScanner starts scanning a message.
func NewScanner() Scanner { return Scanner{elemStart: true} }

// Indefinite reports whether the message scanned holds an indefinite
// block (#0): its end, which only the instrument's END marks, may lie past
// the terminator found, at any newline in its payload.
func (sc *Scanner) Indefinite() bool { return sc.raw }

// InString reports whether the scan stopped inside a quoted string: a
// terminator found there ends the message (an instrument never sends one
// inside a string), but a caller looking for another byte may take it as
// data.
func (sc *Scanner) InString() bool { return sc.quote != 0 }

// NewPayloadScanner starts scanning the payload of an indefinite block
// whose header (#0) has been read already: any bytes up to the terminator.
func NewPayloadScanner() Scanner { return Scanner{raw: true} }

// Scan advances over b from sc.Pos. It reports whether the terminator was
// found and where. When not, sc.Pos says how far the message is known to
// extend: everything before it may be dropped (shifting sc.Pos), and when
// sc.Pos > len(b) the bytes up to it are block payload.
//
// Only four bytes can change the state: the terminator, '#' and the two
// quotes. Scan jumps from one to the next with bytes.IndexByte (vector
// instructions) instead of looking at every byte, so a long text reply
// costs a few passes at memory speed. Each position found is kept until
// the scan passes it, so a message dense with such bytes is still scanned
// in linear time. Each search looks at most scanWindow bytes ahead: over a
// large piece (a read of megabytes) the first search brings a window into
// the CPU's cache and the other three find it there, where searching the
// whole piece four times would read it from main memory four times.
func (sc *Scanner) Scan(b []byte, term byte) (done bool, at int) {
	specials := [4]byte{term, '#', '"', '\''}
	// next[k] is where specials[k] next occurs at or after sc.Pos, or else
	// a bound it does not occur before (the end of the window searched, at
	// most len(b)); -1: not yet looked for.
	next := [4]int{-1, -1, -1, -1}
	is := func(k, p int) bool { return p < len(b) && b[p] == specials[k] }
	find := func(k int) int {
		if p := next[k]; p < sc.Pos || p == sc.Pos && p < len(b) && !is(k, p) {
			end := min(len(b), sc.Pos+scanWindow)
			next[k] = end
			if i := bytes.IndexByte(b[sc.Pos:end], specials[k]); i >= 0 {
				next[k] = sc.Pos + i
			}
		}
		return next[k]
	}
	for sc.Pos < len(b) {
		if sc.raw {
			sc.Pos = find(0)
			if is(0, sc.Pos) {
				return true, sc.Pos
			}
			continue // the end of a window: search on from there
		}
		if sc.quote != 0 {
			// Inside a string only the terminator and the closing quote
			// count; a terminator ends even an open string.
			q := 2
			if sc.quote == '\'' {
				q = 3
			}
			sc.Pos = min(find(0), find(q))
			switch {
			case sc.Pos == len(b):
				return false, 0
			case is(0, sc.Pos):
				return true, sc.Pos
			case is(q, sc.Pos):
				sc.quote = 0
				sc.Pos++
			}
			continue // else the end of a window: search on from there
		}
		stop := min(find(0), find(1), find(2), find(3))
		if stop > sc.Pos {
			// A space counts as a separator: a block follows a header
			// ("DATA #15abcde", or ":CURV #15abcde" from an instrument
			// with SYST:HEAD ON).
			sc.elemStart = isSeparator(b[stop-1])
			sc.Pos = stop
			if stop == len(b) {
				return false, 0
			}
		}
		switch c := b[sc.Pos]; {
		case c == term:
			return true, sc.Pos
		case c == '"' || c == '\'':
			sc.quote, sc.elemStart = c, false
		case c == '#':
			if sc.elemStart {
				hdr, n, st := BlockHeader(b[sc.Pos:])
				switch st {
				case BlockIncomplete:
					return false, 0
				case BlockDefinite:
					sc.Pos += hdr + n
					sc.elemStart = false
					continue
				case BlockIndefinite:
					sc.Pos += hdr
					sc.raw, sc.elemStart = true, false
					continue
				}
			}
			sc.elemStart = false
		default:
			continue // the end of a window: search on from there
		}
		sc.Pos++
	}
	return false, 0
}

// scanWindow is how far ahead Scan searches at a time: small enough that
// a window stays in the CPU's first-level cache between its searches,
// large enough that a search's fixed cost is nothing beside its bytes.
// A variable so that tests can make windows end everywhere.
var scanWindow = 16 << 10

func isSeparator(c byte) bool { return c == ',' || c == ';' || c == ' ' || c == '\t' }
