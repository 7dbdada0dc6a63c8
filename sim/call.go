package sim

import (
	"bytes"
	"math"
	"strconv"
	"strings"
)

// Call is one received command as its handler sees it: the parameters,
// the header's numeric suffixes, and the response being built.
type Call struct {
	inst   *Instrument
	path   []pathElem
	params []param
	query  bool
	header []byte
	out    *[]byte // the client's output queue
	start  int     // where this unit's response begins in *out
	used   int     // parameters read so far, to report extra ones
	// limit bounds len(*out): a reply that would pass it is not added
	// and sets full, so no handler can grow a response without end.
	limit int
	full  bool
}

type pathElem struct {
	n      *node
	suffix int
	given  bool
}

// Instrument returns the instrument executing the call.
func (c *Call) Instrument() *Instrument { return c.inst }

// Header returns the command header as received, e.g. "SOUR2:VOLT".
func (c *Call) Header() string { return string(c.header) }

// IsQuery reports whether the command ended in '?'.
func (c *Call) IsQuery() bool { return c.query }

// Suffix returns the numeric suffix received with the mnemonic named by
// its short or long form (OUTP2 gives 2 for "OUTP"), or 1 when none was
// given or the node was omitted, as SCPI prescribes.
func (c *Call) Suffix(mnemonic string) int {
	m := strings.ToUpper(mnemonic)
	for _, p := range c.path {
		if p.n.short == m || p.n.long == m {
			if p.given {
				return p.suffix
			}
			return 1
		}
	}
	return 1
}

// SuffixGiven returns the numeric suffix received with the mnemonic and
// whether one was given at all: for models whose channel comes from a
// suffix when there is one (SOURce2:VOLT) and from the selected channel
// when not (VOLT), which Suffix's default of 1 cannot tell apart.
func (c *Call) SuffixGiven(mnemonic string) (n int, given bool) {
	m := strings.ToUpper(mnemonic)
	for _, p := range c.path {
		if (p.n.short == m || p.n.long == m) && p.given {
			return p.suffix, true
		}
	}
	return 0, false
}

// SuffixIn is Suffix, refused with -114 unless it lies in [lo, hi].
func (c *Call) SuffixIn(mnemonic string, lo, hi int) (int, error) {
	s := c.Suffix(mnemonic)
	if s < lo || s > hi {
		return s, ErrHeaderSuffix
	}
	return s, nil
}

// NumParams returns how many parameters were received.
func (c *Call) NumParams() int { return len(c.params) }

// Kind returns the type of parameter i, or 0 when it is absent.
func (c *Call) Kind(i int) ParamKind {
	if i >= len(c.params) {
		return 0
	}
	return c.params[i].kind
}

// Raw returns parameter i as received, or "" when absent.
func (c *Call) Raw(i int) string {
	if i >= len(c.params) {
		return ""
	}
	c.mark(i)
	return string(c.params[i].raw)
}

// Params checks the parameter count: -109 when fewer than min were
// received, -108 when more than max.
func (c *Call) Params(min, max int) error {
	switch {
	case len(c.params) < min:
		return ErrMissingParameter
	case len(c.params) > max:
		return ErrParameterNotAllowed
	}
	c.used = max
	return nil
}

// Discard marks every parameter as read, so a handler that drops a
// command (as an instrument busy with the previous one does) gets no -108
// for the parameters it ignored.
func (c *Call) Discard() { c.used = len(c.params) }

// NextError removes and returns the oldest error of the instrument's
// queue (0,"No error" when it is empty), for a model whose SYSTem:ERRor?
// answers in its own format; ErrorQueryHandler answers in SCPI's.
func (c *Call) NextError() Error { return c.inst.st.pop() }

// ErrorCount is how many errors the instrument's queue holds.
func (c *Call) ErrorCount() int { return len(c.inst.st.errs) }

func (c *Call) mark(i int) {
	if i+1 > c.used {
		c.used = i + 1
	}
}

func (c *Call) get(i int) (*param, error) {
	c.mark(i)
	if i >= len(c.params) {
		return nil, ErrMissingParameter
	}
	return &c.params[i], nil
}

// Number describes a numeric parameter: its unit (for suffixes such as mV
// or kHz), its range, and the values of MIN, MAX and DEF.
type Number struct {
	Unit     string // "V", "A", "HZ", "OHM", "S", "W"... or "" for none
	Min, Max float64
	Default  float64
}

// Number reads parameter i as a number in spec's unit: decimal or #H/#Q/#B,
// with an optional suffix (500 mV, 2k, 1.5 kHz), or MIN, MAX, DEF. Outside
// [Min, Max] it is refused with -222. MIN, MAX and DEF are held to the
// range too (see special), so a handler never gets a value outside it.
func (c *Call) Number(i int, spec Number) (float64, error) {
	p, err := c.get(i)
	if err != nil {
		return 0, err
	}
	switch p.kind {
	case ParamCharacter:
		return spec.special(p.raw)
	case ParamNumber:
		mult, ok := suffixMultiplier(p.suffix, spec.Unit)
		if !ok {
			return 0, ErrInvalidSuffix
		}
		v := p.num * mult
		if v < spec.Min || v > spec.Max || math.IsNaN(v) {
			return 0, ErrDataOutOfRange
		}
		return v, nil
	}
	return 0, ErrDataType
}

// Limit reads parameter i of a query as MIN, MAX or DEF and returns
// spec's value for it, as in "VOLT? MAX"; anything else is -224.
func (c *Call) Limit(i int, spec Number) (float64, error) {
	p, err := c.get(i)
	if err != nil {
		return 0, err
	}
	if p.kind != ParamCharacter {
		return 0, ErrIllegalParameterValue
	}
	return spec.special(p.raw)
}

// special resolves MIN, MAX and DEF (short or long form); any other word
// is -224. A spec whose Default lies outside [Min, Max] has no default
// (its Default was left at zero, as for a memory slot numbered from 1):
// DEF is then -224, a keyword the parameter does not take, rather than
// a value its handler never expects (*RCL DEF indexing slot 0). A range
// with nothing in it (Min > Max: a memory that holds no reading yet) has
// no MIN or MAX either: -222.
func (n Number) special(w []byte) (float64, error) {
	var v float64
	def := false
	switch {
	case equalFold(w, "MIN") || equalFold(w, "MINIMUM"):
		v = n.Min
	case equalFold(w, "MAX") || equalFold(w, "MAXIMUM"):
		v = n.Max
	case equalFold(w, "DEF") || equalFold(w, "DEFAULT"):
		v, def = n.Default, true
	default:
		return 0, ErrIllegalParameterValue
	}
	if v < n.Min || v > n.Max || math.IsNaN(v) {
		if def {
			return 0, ErrIllegalParameterValue
		}
		return 0, ErrDataOutOfRange
	}
	return v, nil
}

// Int reads parameter i as Number does and rounds it to an integer, as
// IEEE 488.2 does for integer parameters.
func (c *Call) Int(i int, spec Number) (int, error) {
	v, err := c.Number(i, spec)
	return int(math.Round(v)), err
}

// Bool reads parameter i as a boolean: ON, OFF, or a number (non-zero is
// ON, after rounding).
func (c *Call) Bool(i int) (bool, error) {
	p, err := c.get(i)
	if err != nil {
		return false, err
	}
	switch p.kind {
	case ParamCharacter:
		switch {
		case equalFold(p.raw, "ON"):
			return true, nil
		case equalFold(p.raw, "OFF"):
			return false, nil
		}
		return false, ErrIllegalParameterValue
	case ParamNumber:
		if len(p.suffix) > 0 {
			return false, ErrSuffixNotAllowed
		}
		return math.Round(p.num) != 0, nil
	}
	return false, ErrDataType
}

// Choice reads parameter i as character data that must be one of choices,
// each written in manual notation ("NORMal", "SWAPped", "P6V"); the short
// or long form is accepted in any case. It returns the index chosen.
func (c *Call) Choice(i int, choices ...string) (int, error) {
	p, err := c.get(i)
	if err != nil {
		return 0, err
	}
	if p.kind != ParamCharacter {
		if p.kind == ParamString {
			return 0, ErrStringNotAllowed
		}
		return 0, ErrDataType
	}
	for k, ch := range choices {
		if matchChoice(p.raw, ch) {
			return k, nil
		}
	}
	return 0, ErrIllegalParameterValue
}

// Is reports whether parameter i is the character data choice, in its
// short or long form, in any case ("UP", "INFinity"): for a parameter
// that is either a number or a keyword. A match counts as read.
func (c *Call) Is(i int, choice string) bool {
	if i < len(c.params) && c.params[i].kind == ParamCharacter && matchChoice(c.params[i].raw, choice) {
		c.mark(i)
		return true
	}
	return false
}

func matchChoice(w []byte, choice string) bool {
	short := ShortForm(choice)
	return equalFold(w, short) || equalFold(w, strings.ToUpper(choice))
}

// ShortForm is the upper-case part of a mnemonic in manual notation:
// "VOLTage" gives "VOLT", as instruments answer an enumerated query.
func ShortForm(m string) string {
	i := 0
	for i < len(m) && !(m[i] >= 'a' && m[i] <= 'z') {
		i++
	}
	return m[:i]
}

// String reads parameter i as string data, quotes removed and doubled
// quotes undone.
func (c *Call) String(i int) (string, error) {
	p, err := c.get(i)
	if err != nil {
		return "", err
	}
	if p.kind != ParamString {
		return "", ErrDataType
	}
	q := p.raw[0]
	inner := p.raw[1 : len(p.raw)-1]
	var b strings.Builder
	for k := 0; k < len(inner); k++ {
		b.WriteByte(inner[k])
		if inner[k] == q {
			k++
		}
	}
	return b.String(), nil
}

// Block reads parameter i as block data. The slice is valid only during
// the call: copy what you keep.
func (c *Call) Block(i int) ([]byte, error) {
	p, err := c.get(i)
	if err != nil {
		return nil, err
	}
	if p.kind != ParamBlock {
		return nil, ErrDataType
	}
	return p.raw, nil
}

// Channels reads parameter i as a channel list, (@1,3:5) giving
// [1 3 4 5]. A descending range (@5:3) is expanded as written. A list
// that expands to more than MaxChannelList channels is refused with -223
// Too much data, whatever its ranges' bounds.
func (c *Call) Channels(i int) ([]int, error) {
	p, err := c.get(i)
	if err != nil {
		return nil, err
	}
	if p.kind != ParamExpression {
		return nil, ErrDataType
	}
	return parseChannelList(p.raw)
}

// MaxChannelList bounds how many channels one channel list expands to.
// Real lists are short (a Keysight DAQ970A scans at most 120 channels, an
// E36312A has 3 outputs); the bound only has to keep a hostile
// (@-9223372036854775808:9223372036854775807) from expanding into
// exabytes.
const MaxChannelList = 10000

// parseChannelList expands a channel list expression "(@1,3:5)". It
// checks and counts the list before expanding it, so it allocates the
// result once, never more than MaxChannelList entries, whatever the
// input.
func parseChannelList(raw []byte) ([]int, error) {
	if len(raw) < 2 || raw[0] != '(' || raw[len(raw)-1] != ')' {
		return nil, ErrInvalidExpression
	}
	s := bytes.TrimSpace(raw[1 : len(raw)-1])
	if len(s) == 0 || s[0] != '@' {
		return nil, ErrInvalidExpression
	}
	s = s[1:]
	total := uint64(0)
	if err := channelRanges(s, func(a, b int, span uint64) error {
		if span >= MaxChannelList || total+span+1 > MaxChannelList {
			return ErrTooMuchData
		}
		total += span + 1
		return nil
	}); err != nil {
		return nil, err
	}
	out := make([]int, 0, total)
	channelRanges(s, func(a, b int, _ uint64) error {
		step := 1
		if b < a {
			step = -1
		}
		for v := a; ; v += step {
			out = append(out, v)
			if v == b {
				break
			}
		}
		return nil
	})
	return out, nil
}

// channelRanges calls fn for each entry of a channel list (without its
// "(@" and ")"): a single channel is the range a:a. span is the range's
// length less one, computed in unsigned arithmetic: b-a overflows int for
// bounds of opposite signs, uint64(b)-uint64(a) never does.
func channelRanges(s []byte, fn func(a, b int, span uint64) error) error {
	for {
		part, rest, more := bytes.Cut(s, []byte{','})
		lo, hi, isRange := bytes.Cut(part, []byte{':'})
		a, ok := atoi(bytes.TrimSpace(lo))
		if !ok {
			return ErrInvalidExpression
		}
		b := a
		if isRange {
			if b, ok = atoi(bytes.TrimSpace(hi)); !ok {
				return ErrInvalidExpression
			}
		}
		span := uint64(b) - uint64(a)
		if b < a {
			span = uint64(a) - uint64(b)
		}
		if err := fn(a, b, span); err != nil {
			return err
		}
		if !more {
			return nil
		}
		s = rest
	}
}

// atoi reads an optionally signed decimal integer that fits an int.
func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	v, err := strconv.ParseInt(string(b), 10, 0) // short: the conversion does not escape
	return int(v), err == nil
}

// ----- responses -----

// sep starts a new response data element of up to n bytes: a comma
// after the previous one of this unit. It reports false, and marks the
// response full, when the element would take the output queue past its
// limit: the element is then dropped.
func (c *Call) sep(n int) bool {
	if c.full || (c.limit > 0 && len(*c.out)+1+n > c.limit) {
		c.full = true
		return false
	}
	if len(*c.out) > c.start {
		*c.out = append(*c.out, ',')
	}
	return true
}

// maxNumberLen is the longest number a Reply method writes
// ("-1.7976931348623157E+308" and its kin, with room to spare).
const maxNumberLen = 40

// Reply appends character response data (or any pre-formatted element).
func (c *Call) Reply(s string) {
	if !c.sep(len(s)) {
		return
	}
	*c.out = append(*c.out, s...)
}

// ReplyFloat appends v in the shortest form that round-trips ("5",
// "1.5E-07"); ±Inf and NaN as SCPI's 9.9E+37, -9.9E+37 and 9.91E+37.
func (c *Call) ReplyFloat(v float64) {
	if !c.sep(maxNumberLen) {
		return
	}
	*c.out = AppendFloat(*c.out, v, 'G', -1)
}

// ReplyNR3 appends v as NR3 with the given digits after the point and a
// sign, as Keysight instruments answer: "+5.00000000E+00".
func (c *Call) ReplyNR3(v float64, digits int) {
	if !c.sep(maxNumberLen + max(digits, 0)) {
		return
	}
	if v >= 0 && !math.IsNaN(v) {
		*c.out = append(*c.out, '+')
	}
	*c.out = AppendFloat(*c.out, v, 'E', digits)
}

// ReplyFixed appends v with a fixed number of decimals, as Rigol and
// Siglent instruments answer: "5.000".
func (c *Call) ReplyFixed(v float64, decimals int) {
	if !c.sep(maxNumberLen + 310 + max(decimals, 0)) { // %f of 1E308 has 309 digits
		return
	}
	*c.out = AppendFloat(*c.out, v, 'f', decimals)
}

// AppendFloat appends v as strconv.AppendFloat does with format and prec,
// but with SCPI's 9.9E+37, -9.9E+37 and 9.91E+37 for ±Inf and NaN: for a
// reply the Reply methods do not shape (a quoted pair, a unit after the
// number).
func AppendFloat(b []byte, v float64, format byte, prec int) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "9.91E+37"...)
	case math.IsInf(v, 1):
		return append(b, "9.9E+37"...)
	case math.IsInf(v, -1):
		return append(b, "-9.9E+37"...)
	}
	return strconv.AppendFloat(b, v, format, prec, 64)
}

// ReplyInt appends an NR1 integer.
func (c *Call) ReplyInt(v int64) {
	if !c.sep(maxNumberLen) {
		return
	}
	*c.out = strconv.AppendInt(*c.out, v, 10)
}

// ReplyBool appends 1 or 0.
func (c *Call) ReplyBool(b bool) {
	if !c.sep(1) {
		return
	}
	if b {
		*c.out = append(*c.out, '1')
	} else {
		*c.out = append(*c.out, '0')
	}
}

// ReplyString appends s as quoted string response data.
func (c *Call) ReplyString(s string) {
	if !c.sep(2*len(s) + 2) {
		return
	}
	*c.out = append(*c.out, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			*c.out = append(*c.out, '"')
		}
		*c.out = append(*c.out, s[i])
	}
	*c.out = append(*c.out, '"')
}

// ReplyBlock appends data as a definite-length block.
func (c *Call) ReplyBlock(data []byte) {
	if !c.sep(len(data) + 2 + 20) {
		return
	}
	*c.out = append(*c.out, '#')
	n := strconv.Itoa(len(data))
	*c.out = append(*c.out, byte('0'+len(n)))
	*c.out = append(*c.out, n...)
	*c.out = append(*c.out, data...)
}
