package scpi

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// AppendFloat appends v in a form every SCPI instrument accepts: the
// shortest decimal that round-trips, with an upper-case exponent when one
// is needed ("5", "0.001", "1.5E-07"). NaN and ±Inf have no such form and
// are refused: sending 9.9E37 by accident would ask for the maximum.
func AppendFloat(dst []byte, v float64) ([]byte, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dst, fmt.Errorf("%w: %v has no SCPI numeric form", ErrInvalidCommand, v)
	}
	return strconv.AppendFloat(dst, v, 'G', -1, 64), nil
}

// FormatFloat returns v as AppendFloat writes it.
func FormatFloat(v float64) (string, error) {
	b, err := AppendFloat(nil, v)
	return string(b), err
}

// FormatBool returns "1" or "0", the boolean form every instrument accepts.
func FormatBool(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// Quote returns s as SCPI string program data: in double quotes, with
// each double quote inside doubled.
func Quote(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// Sprintf formats a command like fmt.Sprintf, but every argument takes a
// form instruments accept:
//
//   - floats: shortest round-trip decimal (%v) or fmt's %e/%f/%g with the
//     given precision; NaN and Inf are refused;
//   - integers: decimal; %x, %o and %b give IEEE 488.2 #H, #Q and #B forms;
//   - bools: 1 or 0, whatever the verb;
//   - strings: as they are with %s/%v, quoted SCPI-style with %q;
//   - time.Duration: seconds as a decimal number;
//   - slices of numbers: comma-separated lists;
//   - fmt.Stringer: its String with %s/%v.
//
// Any other type is refused, so Go-only syntax ("true", "{1 2}", "0x1p-2",
// "1s") never reaches an instrument. Errors match ErrInvalidCommand.
func Sprintf(format string, args ...any) (string, error) {
	var firstErr error
	wrapped := make([]any, len(args))
	for i, a := range args {
		wrapped[i] = &argFormatter{v: a, err: &firstErr}
	}
	s := fmt.Sprintf(format, wrapped...)
	if firstErr != nil {
		return "", firstErr
	}
	if strings.Contains(s, "%!") {
		return "", fmt.Errorf("%w: format %q does not match its arguments: %s", ErrInvalidCommand, format, s)
	}
	return s, nil
}

type argFormatter struct {
	v   any
	err *error
}

func (a *argFormatter) fail(format string, args ...any) {
	if *a.err == nil {
		*a.err = fmt.Errorf("%w: "+format, append([]any{ErrInvalidCommand}, args...)...)
	}
}

func (a *argFormatter) Format(f fmt.State, verb rune) {
	s, ok := a.format(f, verb, a.v)
	if !ok {
		return
	}
	f.Write([]byte(s))
}

func (a *argFormatter) format(f fmt.State, verb rune, v any) (string, bool) {
	switch x := v.(type) {
	case float64:
		return a.float(f, verb, x, 64)
	case float32:
		return a.float(f, verb, float64(x), 32)
	case int:
		return a.int(verb, int64(x))
	case int8:
		return a.int(verb, int64(x))
	case int16:
		return a.int(verb, int64(x))
	case int32:
		return a.int(verb, int64(x))
	case int64:
		return a.int(verb, x)
	case uint:
		return a.uint(verb, uint64(x))
	case uint8:
		return a.uint(verb, uint64(x))
	case uint16:
		return a.uint(verb, uint64(x))
	case uint32:
		return a.uint(verb, uint64(x))
	case uint64:
		return a.uint(verb, x)
	case bool:
		return FormatBool(x), true
	case string:
		if verb == 'q' {
			return Quote(x), true
		}
		return x, true
	case time.Duration:
		return a.float(f, verb, x.Seconds(), 64)
	case []float64:
		return joinFormatted(a, f, verb, x)
	case []float32:
		return joinFormatted(a, f, verb, x)
	case []int:
		return joinFormatted(a, f, verb, x)
	case []int64:
		return joinFormatted(a, f, verb, x)
	case fmt.Stringer:
		return x.String(), true
	}
	a.fail("argument of type %T has no SCPI form", v)
	return "", false
}

func joinFormatted[T any](a *argFormatter, f fmt.State, verb rune, xs []T) (string, bool) {
	parts := make([]string, len(xs))
	for i, x := range xs {
		s, ok := a.format(f, verb, x)
		if !ok {
			return "", false
		}
		parts[i] = s
	}
	return strings.Join(parts, ","), true
}

func (a *argFormatter) float(f fmt.State, verb rune, v float64, bits int) (string, bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		a.fail("%v has no SCPI numeric form", v)
		return "", false
	}
	prec, hasPrec := f.Precision()
	switch verb {
	case 'e', 'E', 'f', 'F':
		if !hasPrec {
			prec = 6 // fmt's default for these verbs
		}
		style := byte('f')
		if verb == 'e' || verb == 'E' {
			style = 'E'
		}
		return strconv.FormatFloat(v, style, prec, bits), true
	case 'g', 'G', 'v', 's', 'd':
		if !hasPrec {
			prec = -1 // shortest round-trip
		}
		return strconv.FormatFloat(v, 'G', prec, bits), true
	}
	a.fail("verb %%%c does not apply to a number", verb)
	return "", false
}

func (a *argFormatter) int(verb rune, v int64) (string, bool) {
	switch verb {
	case 'd', 'v', 's':
		return strconv.FormatInt(v, 10), true
	}
	if v < 0 {
		a.fail("%d: IEEE 488.2 non-decimal numbers are unsigned", v)
		return "", false
	}
	return a.uint(verb, uint64(v))
}

func (a *argFormatter) uint(verb rune, v uint64) (string, bool) {
	switch verb {
	case 'd', 'v', 's':
		return strconv.FormatUint(v, 10), true
	case 'x', 'X':
		return "#H" + strings.ToUpper(strconv.FormatUint(v, 16)), true
	case 'o':
		return "#Q" + strconv.FormatUint(v, 8), true
	case 'b':
		return "#B" + strconv.FormatUint(v, 2), true
	}
	a.fail("verb %%%c does not apply to an integer", verb)
	return "", false
}
