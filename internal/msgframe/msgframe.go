package msgframe

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
}

// NewScanner starts scanning a message.
func NewScanner() Scanner { return Scanner{elemStart: true} }

// Scan advances over b from sc.Pos. It reports whether the terminator was
// found and where. When not, sc.Pos says how far the message is known to
// extend: everything before it may be dropped (shifting sc.Pos), and when
// sc.Pos > len(b) the bytes up to it are block payload.
func (sc *Scanner) Scan(b []byte, term byte) (done bool, at int) {
	for sc.Pos < len(b) {
		c := b[sc.Pos]
		if sc.quote != 0 {
			if c == term {
				return true, sc.Pos
			}
			if c == sc.quote {
				sc.quote = 0
			}
			sc.Pos++
			continue
		}
		switch c {
		case term:
			return true, sc.Pos
		case ',', ';', ' ', '\t':
			// A space counts: a block follows a header ("DATA #15abcde",
			// or ":CURV #15abcde" from an instrument with SYST:HEAD ON).
			sc.elemStart = true
		case '"', '\'':
			sc.quote, sc.elemStart = c, false
		case '#':
			if sc.elemStart {
				hdr, n, st := BlockHeader(b[sc.Pos:])
				switch st {
				case BlockIncomplete:
					return false, 0
				case BlockDefinite:
					sc.Pos += hdr + n
					sc.elemStart = false
					continue
				}
			}
			sc.elemStart = false
		default:
			sc.elemStart = false
		}
		sc.Pos++
	}
	return false, 0
}
