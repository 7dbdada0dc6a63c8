package scpi

import (
	"math"
	"strconv"
	"strings"
)

// SCPI's numeric stand-ins for values a number cannot hold (SCPI-99 vol. 1,
// 7.2.1.5): 9.9E37 is infinity, 9.91E37 is not-a-number.
const (
	scpiInf = 9.9e37
	scpiNaN = 9.91e37
)

// ParseFloat parses a numeric response: NR1 ("42"), NR2 ("-3.5"), NR3
// ("+1.234E-03"). SCPI's 9.9E37 and -9.9E37 become ±Inf and 9.91E37 NaN;
// the words INF, NINF and NAN are accepted too. Surrounding white space is
// ignored; Go-only syntax (hex floats, underscores, "Infinity") is refused.
func ParseFloat(s string) (float64, error) {
	t := trimSpace(s)
	if !isDecimal(t) {
		switch strings.ToUpper(t) {
		case "INF", "+INF":
			return math.Inf(1), nil
		case "NINF", "-INF":
			return math.Inf(-1), nil
		case "NAN":
			return math.NaN(), nil
		}
		return 0, parseErr("number", s, "not an NR1, NR2 or NR3 number")
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, parseErr("number", s, "out of range")
	}
	switch v {
	case scpiInf:
		return math.Inf(1), nil
	case -scpiInf:
		return math.Inf(-1), nil
	case scpiNaN, -scpiNaN:
		return math.NaN(), nil
	}
	return v, nil
}

// isDecimal reports whether s is [sign] digits [. digits] [E [sign] digits]
// with at least one mantissa digit: the decimal numeric forms of IEEE 488.2.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

// ParseInt parses an integer response: NR1, the non-decimal forms #H, #Q
// and #B of IEEE 488.2, or an NR2/NR3 number with an integral value
// ("+1.00000E+01" is 10), as many instruments answer counts that way.
func ParseInt(s string) (int64, error) {
	t := trimSpace(s)
	if len(t) > 2 && t[0] == '#' {
		base := 0
		switch t[1] | 0x20 {
		case 'h':
			base = 16
		case 'q':
			base = 8
		case 'b':
			base = 2
		}
		if base != 0 {
			v, err := strconv.ParseUint(t[2:], base, 64)
			if err != nil || strings.ContainsAny(t[2:], "+-_") {
				return 0, parseErr("integer", s, "bad non-decimal number")
			}
			return int64(v), nil
		}
	}
	if v, err := strconv.ParseInt(t, 10, 64); err == nil && !strings.Contains(t, "_") {
		return v, nil
	}
	f, err := ParseFloat(t)
	if err != nil {
		return 0, parseErr("integer", s, "not a number")
	}
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, parseErr("integer", s, "not an integral value in range")
	}
	return int64(f), nil
}

// ParseBool parses a boolean response: 1/0, ON/OFF (any case), or a number
// (non-zero is true, as IEEE 488.2 rounds boolean numbers).
func ParseBool(s string) (bool, error) {
	t := trimSpace(s)
	switch {
	case t == "1" || strings.EqualFold(t, "ON"):
		return true, nil
	case t == "0" || strings.EqualFold(t, "OFF"):
		return false, nil
	}
	f, err := ParseFloat(t)
	if err != nil || math.IsNaN(f) {
		return false, parseErr("boolean", s, "want 1, 0, ON or OFF")
	}
	return math.Round(f) != 0, nil
}

// ParseString parses string response data: a double- or single-quoted
// string with the quote doubled inside ("say ""hi""" is `say "hi"`), or
// unquoted character data, returned as it is after trimming white space.
func ParseString(s string) (string, error) {
	t := trimSpace(s)
	if t == "" || (t[0] != '"' && t[0] != '\'') {
		return t, nil
	}
	q := t[0]
	if len(t) < 2 || t[len(t)-1] != q {
		return "", parseErr("quoted string", s, "no closing quote")
	}
	inner := t[1 : len(t)-1]
	if strings.IndexByte(inner, q) < 0 {
		return inner, nil
	}
	var b strings.Builder
	b.Grow(len(inner))
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if c == q {
			if i+1 >= len(inner) || inner[i+1] != q {
				return "", parseErr("quoted string", s, "lone quote inside the string")
			}
			i++
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// SplitList splits a response into its elements, trimmed of white space:
// data elements are separated by commas, response message units (the
// answers of a compound query) by semicolons. Separators inside quoted
// strings and definite-length blocks do not split. An empty response has
// no elements.
func SplitList(s string) []string {
	if trimSpace(s) == "" {
		return nil
	}
	var out []string
	start, elemStart := 0, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'':
			elemStart = false
			for i++; i < len(s) && s[i] != c; i++ {
			}
		case '#':
			if elemStart {
				if hdr, n, st := blockHeader([]byte(s[i:min(len(s), i+11)])); st == blockDefinite && i+hdr+n <= len(s) {
					i += hdr + n - 1
				}
			}
			elemStart = false
		case ',', ';':
			out = append(out, trimSpace(s[start:i]))
			start, elemStart = i+1, true
		case ' ', '\t':
		default:
			elemStart = false
		}
	}
	return append(out, trimSpace(s[start:]))
}

// ParseFloats parses a list of numbers, as ParseFloat parses each:
// data elements separated by commas and response message units by
// semicolons, so "MEAS:VOLT?;CURR?" answered "+5.0E+00;+1.2E-01" gives
// both. It is written for long replies (a trace of a million points): one
// allocation for the result, none per element.
func ParseFloats(s string) ([]float64, error) {
	return parseList(s, "list of numbers", ParseFloat)
}

// ParseInts parses a list of integers, separated as ParseFloats reads
// them, as ParseInt parses each.
func ParseInts(s string) ([]int64, error) {
	return parseList(s, "list of integers", ParseInt)
}

func parseList[T any](s, what string, parse func(string) (T, error)) ([]T, error) {
	if trimSpace(s) == "" {
		return nil, nil
	}
	semicolons := strings.Count(s, ";")
	next := listSeparator
	if semicolons == 0 {
		next = func(s string) int { return strings.IndexByte(s, ',') } // vectorised
	}
	out := make([]T, 0, strings.Count(s, ",")+semicolons+1)
	for len(s) > 0 {
		elem := s
		if i := next(s); i >= 0 {
			elem, s = s[:i], s[i+1:]
			if s == "" {
				return nil, parseErr(what, elem+",", "trailing separator")
			}
		} else {
			s = ""
		}
		v, err := parse(elem)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// listSeparator returns the index of the first ',' or ';' in s, or -1.
func listSeparator(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == ',' || s[i] == ';' {
			return i
		}
	}
	return -1
}

// IDN is the identification an instrument gives in answer to *IDN?
// (IEEE 488.2 10.14): four comma-separated fields.
type IDN struct {
	Manufacturer string
	Model        string
	Serial       string // "0" when the instrument does not report one
	Firmware     string
}

func (id IDN) String() string {
	return id.Manufacturer + "," + id.Model + "," + id.Serial + "," + id.Firmware
}

// ParseIDN parses an *IDN? response. It needs the four fields IEEE 488.2
// prescribes; extra fields, which some vendors add, are kept in Firmware.
func ParseIDN(s string) (IDN, error) {
	f := strings.SplitN(trimSpace(s), ",", 4)
	if len(f) < 4 {
		return IDN{}, parseErr("*IDN? response", s, "want manufacturer,model,serial,firmware")
	}
	for i := range f {
		f[i] = trimSpace(f[i])
	}
	if f[0] == "" || f[1] == "" {
		return IDN{}, parseErr("*IDN? response", s, "empty manufacturer or model")
	}
	return IDN{Manufacturer: f[0], Model: f[1], Serial: f[2], Firmware: f[3]}, nil
}

// ParseDeviceError parses one SYST:ERR? response: `-113,"Undefined
// header"`, `+0,"No error"`, or the unquoted, space-separated form some
// vendors use (Siglent SPD3303X: `0  No Error`). A code of 0 means the
// queue is empty.
func ParseDeviceError(s string) (DeviceError, error) {
	t := trimSpace(s)
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	code, err := strconv.Atoi(t[:i])
	if err != nil {
		return DeviceError{}, parseErr("error queue entry", s, "want code,\"message\"")
	}
	rest := trimSpace(t[i:])
	if strings.HasPrefix(rest, ",") {
		rest = trimSpace(rest[1:])
	} else if rest != "" && i < len(t) && t[i] != ' ' && t[i] != '\t' {
		return DeviceError{}, parseErr("error queue entry", s, "want code,\"message\"")
	}
	msg, err := ParseString(rest)
	if err != nil {
		msg = rest
	}
	return DeviceError{Code: code, Message: msg}, nil
}

func trimSpace(s string) string {
	for len(s) > 0 && isSpace(s[0]) {
		s = s[1:]
	}
	for len(s) > 0 && isSpace(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
