package sim

import (
	"math"
	"strconv"

	"github.com/scpikit/scpikit/scpi"
)

// ParamKind is the IEEE 488.2 type of a received parameter.
type ParamKind int

const (
	ParamNumber     ParamKind = iota + 1 // decimal or #H/#Q/#B numeric, maybe with a suffix: 500 mV
	ParamCharacter                       // character data: MIN, ON, P6V, CH1
	ParamString                          // "quoted" or 'quoted'
	ParamBlock                           // #<d><len><data> or #0<data>
	ParamExpression                      // (...), including channel lists (@1,3:5)
)

func (k ParamKind) String() string {
	switch k {
	case ParamNumber:
		return "number"
	case ParamCharacter:
		return "character data"
	case ParamString:
		return "string"
	case ParamBlock:
		return "block"
	case ParamExpression:
		return "expression"
	}
	return "unknown"
}

// param is one received parameter. Its slices point into the message.
type param struct {
	kind   ParamKind
	raw    []byte  // as received: the number without suffix, the word, the string with quotes, the block payload, the expression with parens
	num    float64 // ParamNumber
	suffix []byte  // ParamNumber: the unit suffix, if any ("mV")
}

// unit is one program message unit: a header and its parameters.
type unit struct {
	common   bool     // *IDN?
	absolute bool     // a leading ':' resets the path
	query    bool     // ends in ?
	header   []byte   // the header as received, without ':' prefix or '?'
	mnems    [][]byte // the header's mnemonics (compound headers)
	params   []param
}

// MaxParams bounds the parameters of one program message unit; more are
// refused with -108 Parameter not allowed, and the rest of the message
// is discarded. The longest lists the models take are an HMC804x
// arbitrary table (512 points of 4: 2048 parameters) and a DP800 list;
// the bound keeps "FOO 1,1,1,..." up to MaxLine (4 million parameters of
// 64 bytes each, parsed before any handler can refuse them) from costing
// a client hundreds of megabytes.
const MaxParams = 4096

// maxMnemonics bounds the mnemonics of one header: no command tree is
// nearly this deep (SOURce:VOLTage:LEVel:IMMediate:AMPLitude is five), so
// a longer header is undefined whatever it says, and ":A:A:A:..." up to
// MaxLine is refused before it costs 24 bytes a mnemonic.
const maxMnemonics = 32

// keepParams is the most parameters a client keeps room for between
// messages: a unit that needed more (a 2048-parameter table)
// gets its slices dropped once its message has run, so a connection does
// not keep its largest unit's room for its whole life.
const keepParams = 64

var errTooManyParams = ErrParameterNotAllowed.WithInfo("more than " + strconv.Itoa(MaxParams) + " parameters")

// splitUnits calls fn for each program message unit of msg: split at ';'
// outside strings, blocks and expressions. It stops at fn's first error.
func splitUnits(msg []byte, fn func(u []byte) error) error {
	start := 0
	for i := 0; i < len(msg); i++ {
		switch c := msg[i]; c {
		case '"', '\'':
			for i++; i < len(msg) && msg[i] != c; i++ {
			}
		case '(':
			depth := 1
			for i++; i < len(msg) && depth > 0; i++ {
				switch msg[i] {
				case '(':
					depth++
				case ')':
					depth--
				}
			}
			i--
		case '#':
			if i+1 < len(msg) && msg[i+1] == '0' {
				i = len(msg) - 1 // an indefinite block runs to the end
				continue
			}
			if hdr, n, ok := scpi.DefiniteBlockHeader(msg[i:]); ok && i+hdr+n <= len(msg) {
				i += hdr + n - 1
			}
		case ';':
			if err := fn(msg[start:i]); err != nil {
				return err
			}
			start = i + 1
		}
	}
	return fn(msg[start:])
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseUnit reads one program message unit into u, reusing its slices.
// It returns false with an empty unit (a stray ';').
func parseUnit(b []byte, u *unit) (bool, error) {
	u.common, u.absolute, u.query = false, false, false
	u.mnems, u.params = u.mnems[:0], u.params[:0]
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i == len(b) {
		return false, nil
	}
	start := i
	switch {
	case b[i] == '*':
		u.common = true
		i++
		for i < len(b) && isAlpha(b[i]) {
			i++
		}
		if i == start+1 {
			return true, ErrCommandHeader
		}
		u.header = b[start:i]
	default:
		if b[i] == ':' {
			u.absolute = true
			i++
			start = i
		}
		for {
			m := i
			for i < len(b) && (isAlpha(b[i]) || isDigit(b[i]) || b[i] == '_') {
				i++
			}
			if i == m || !isAlpha(b[m]) {
				if i < len(b) && !isSpace(b[i]) && b[i] != ':' && b[i] != '?' {
					return true, ErrInvalidCharacter
				}
				return true, ErrCommandHeader
			}
			if i-m > 12 {
				return true, ErrMnemonicTooLong
			}
			if len(u.mnems) == maxMnemonics {
				return true, ErrUndefinedHeader // deeper than any command tree
			}
			u.mnems = append(u.mnems, b[m:i])
			if i < len(b) && b[i] == ':' {
				i++
				continue
			}
			break
		}
		u.header = b[start:i]
	}
	if i < len(b) && b[i] == '?' {
		u.query = true
		i++
	}
	if i == len(b) {
		return true, nil
	}
	if !isSpace(b[i]) {
		switch b[i] {
		case ',', ';', '"', '\'', '#', '(':
			return true, ErrHeaderSeparator // data where white space must be
		}
		return true, ErrInvalidCharacter
	}
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	if i == len(b) {
		return true, nil
	}
	for {
		var p param
		var err error
		p, i, err = parseParam(b, i)
		if err != nil {
			return true, err
		}
		if len(u.params) == MaxParams {
			return true, errTooManyParams
		}
		u.params = append(u.params, p)
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			return true, nil
		}
		if b[i] != ',' {
			return true, ErrInvalidSeparator
		}
		i++
		for i < len(b) && isSpace(b[i]) {
			i++
		}
		if i == len(b) {
			return true, ErrMissingParameter
		}
	}
}

// parseParam reads the parameter starting at b[i].
func parseParam(b []byte, i int) (param, int, error) {
	c := b[i]
	switch {
	case c == ',':
		return param{}, i, ErrMissingParameter
	case c == '"' || c == '\'':
		j := i + 1
		for {
			for j < len(b) && b[j] != c {
				j++
			}
			if j >= len(b) {
				return param{}, i, ErrInvalidStringData
			}
			if j+1 < len(b) && b[j+1] == c { // a doubled quote
				j += 2
				continue
			}
			return param{kind: ParamString, raw: b[i : j+1]}, j + 1, nil
		}
	case c == '(':
		depth, j := 0, i
		for ; j < len(b); j++ {
			if b[j] == '(' {
				depth++
			} else if b[j] == ')' {
				depth--
				if depth == 0 {
					return param{kind: ParamExpression, raw: b[i : j+1]}, j + 1, nil
				}
			}
		}
		return param{}, i, ErrExpression
	case c == '#':
		if i+1 >= len(b) {
			return param{}, i, ErrInvalidBlockData
		}
		switch b[i+1] | 0x20 {
		case 'h', 'q', 'b':
			return parseNonDecimal(b, i)
		}
		if b[i+1] == '0' {
			return param{kind: ParamBlock, raw: b[i+2:]}, len(b), nil
		}
		hdr, n, ok := scpi.DefiniteBlockHeader(b[i:])
		if !ok || i+hdr+n > len(b) {
			return param{}, i, ErrInvalidBlockData
		}
		return param{kind: ParamBlock, raw: b[i+hdr : i+hdr+n]}, i + hdr + n, nil
	case isDigit(c) || c == '+' || c == '-' || c == '.':
		return parseDecimal(b, i)
	case isAlpha(c) || (c == '<' || c == '>' || c == '=') && i+1 < len(b) && isAlpha(b[i+1]):
		// A leading comparison sign is a vendor form of character data:
		// Rigol's ">V", "<C", "=P" (DP800 :MONItor, :DELAY:STOP,
		// :TRIGger:OUT:CONDition). IEEE 488.2 has no such token; only a
		// sign directly before a letter is taken.
		j := i + 1
		for j < len(b) && (isAlpha(b[j]) || isDigit(b[j]) || b[j] == '_') {
			j++
		}
		if j-i > 12 {
			return param{}, i, ErrCharacterDataTooLong
		}
		if j < len(b) && !isSpace(b[j]) && b[j] != ',' {
			return param{}, i, ErrInvalidCharacterData
		}
		return param{kind: ParamCharacter, raw: b[i:j]}, j, nil
	}
	return param{}, i, ErrSyntax
}

func parseDecimal(b []byte, i int) (param, int, error) {
	start, j := i, i
	if b[j] == '+' || b[j] == '-' {
		j++
	}
	digits := 0
	for j < len(b) && isDigit(b[j]) {
		j++
		digits++
	}
	if j < len(b) && b[j] == '.' {
		j++
		for j < len(b) && isDigit(b[j]) {
			j++
			digits++
		}
	}
	if digits == 0 {
		return param{}, i, ErrNumericData
	}
	if digits > 255 {
		return param{}, i, ErrTooManyDigits
	}
	// An exponent: E, optional space, sign, digits (IEEE 488.2 7.7.2.2).
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		k := j + 1
		for k < len(b) && b[k] == ' ' {
			k++
		}
		if k < len(b) && (b[k] == '+' || b[k] == '-') {
			k++
		}
		if k < len(b) && isDigit(b[k]) {
			for k < len(b) && isDigit(b[k]) {
				k++
			}
			j = k
		}
		// Otherwise the E starts a suffix ("5 EV"?) and is read below.
	}
	text := b[start:j]
	v, err := strconv.ParseFloat(compactNumber(text), 64)
	if err != nil {
		if math.IsInf(v, 0) {
			return param{}, i, ErrExponentTooLarge
		}
		return param{}, i, ErrInvalidCharInNumber
	}
	p := param{kind: ParamNumber, raw: text, num: v}
	// A suffix: optional white space, then letters (and / for V/S).
	k := j
	for k < len(b) && b[k] == ' ' {
		k++
	}
	s := k
	for k < len(b) && (isAlpha(b[k]) || b[k] == '/' || (k > s && isDigit(b[k]))) {
		k++
	}
	if k > s {
		if k-s > 12 {
			return param{}, i, ErrSuffixTooLong
		}
		p.suffix = b[s:k]
		j = k
	}
	if j < len(b) && !isSpace(b[j]) && b[j] != ',' {
		return param{}, i, ErrInvalidCharInNumber
	}
	return p, j, nil
}

// compactNumber drops the space IEEE 488.2 allows between E and the
// exponent. Numbers are short, so the copy stays on the stack.
func compactNumber(b []byte) string {
	for _, c := range b {
		if c == ' ' {
			out := make([]byte, 0, len(b))
			for _, c := range b {
				if c != ' ' {
					out = append(out, c)
				}
			}
			return string(out)
		}
	}
	return string(b)
}

func parseNonDecimal(b []byte, i int) (param, int, error) {
	base := 16
	switch b[i+1] | 0x20 {
	case 'q':
		base = 8
	case 'b':
		base = 2
	}
	j := i + 2
	for j < len(b) && (isDigit(b[j]) || isAlpha(b[j])) {
		j++
	}
	v, err := strconv.ParseUint(string(b[i+2:j]), base, 64)
	if err != nil || j == i+2 {
		return param{}, i, ErrInvalidCharInNumber
	}
	return param{kind: ParamNumber, raw: b[i:j], num: float64(v)}, j, nil
}
