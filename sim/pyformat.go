package sim

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// pyFormat renders value into a Python str.format template with one
// positional field ("{:.2f}", "{:+.8E}", "{:d}", "{}"), as pyvisa-sim's
// getters do. It implements the format-spec mini-language:
// [[fill]align][sign][#][0][width][,|_][.precision][type].
func pyFormat(tmpl string, value any) (string, error) {
	var out strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		switch {
		case c == '{' && i+1 < len(tmpl) && tmpl[i+1] == '{':
			out.WriteByte('{')
			i++
		case c == '}' && i+1 < len(tmpl) && tmpl[i+1] == '}':
			out.WriteByte('}')
			i++
		case c == '{':
			end := strings.IndexByte(tmpl[i:], '}')
			if end < 0 {
				return "", fmt.Errorf("unclosed '{' in %q", tmpl)
			}
			field := tmpl[i+1 : i+end]
			name, spec, _ := strings.Cut(field, ":")
			if name != "" && name != "0" {
				return "", fmt.Errorf("field %q in %q: only the value's field is known", name, tmpl)
			}
			s, err := pyFormatValue(value, spec)
			if err != nil {
				return "", fmt.Errorf("%q: %w", tmpl, err)
			}
			out.WriteString(s)
			i += end
		default:
			out.WriteByte(c)
		}
	}
	return out.String(), nil
}

// maxFormatWidth bounds a field's width: a definition file cannot make a
// reply allocate without limit.
const maxFormatWidth = 4096

var specRE = regexp.MustCompile(`^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$`)

func pyFormatValue(v any, spec string) (string, error) {
	m := specRE.FindStringSubmatch(spec)
	if m == nil {
		return "", fmt.Errorf("bad format spec %q", spec)
	}
	fill, align, sign, zero, width, group, prec, typ := m[1], m[2], m[3], m[5], m[6], m[7], m[8], m[9]
	precision := -1
	if prec != "" {
		if len(prec) > 3 {
			return "", fmt.Errorf("precision %s is beyond what this reader allows", prec)
		}
		precision, _ = strconv.Atoi(prec)
	}
	var body string
	numeric := false
	neg := false
	switch typ {
	case "d", "n", "b", "o", "x", "X", "c":
		n, ok := v.(int64)
		if !ok {
			return "", fmt.Errorf("format %q needs an integer, have %T", typ, v)
		}
		numeric, neg = true, n < 0
		u := uint64(n)
		if neg {
			u = uint64(-n)
		}
		base := map[string]int{"d": 10, "n": 10, "b": 2, "o": 8, "x": 16, "X": 16}[typ]
		if typ == "c" {
			body = string(rune(n))
			numeric = false
			break
		}
		body = strconv.FormatUint(u, base)
		if typ == "X" {
			body = strings.ToUpper(body)
		}
	case "e", "E", "f", "F", "g", "G", "%":
		f, ok := toFloat(v)
		if !ok {
			return "", fmt.Errorf("format %q needs a number, have %T", typ, v)
		}
		numeric, neg = true, math.Signbit(f) && !math.IsNaN(f)
		f = math.Abs(f)
		if precision < 0 {
			precision = 6
		}
		switch typ {
		case "%":
			body = strconv.FormatFloat(f*100, 'f', precision, 64) + "%"
		case "g", "G":
			body = strconv.FormatFloat(f, 'g', max(precision, 1), 64)
		default:
			body = strconv.FormatFloat(f, typ[0]|0x20, precision, 64)
		}
		if typ == "E" || typ == "F" || typ == "G" {
			body = strings.ToUpper(body)
		}
	case "s":
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("format 's' needs a string, have %T", v)
		}
		body = s
		if precision >= 0 && precision < len(body) {
			body = body[:precision]
		}
	default: // no type: str(value)
		switch x := v.(type) {
		case string:
			body = x
			if precision >= 0 && precision < len(body) {
				body = body[:precision]
			}
		case int64:
			numeric, neg = true, x < 0
			body = strconv.FormatInt(x, 10)
			body = strings.TrimPrefix(body, "-")
		case float64:
			numeric, neg = true, math.Signbit(x)
			if precision >= 0 {
				body = strconv.FormatFloat(math.Abs(x), 'g', max(precision, 1), 64)
			} else {
				body = pyRepr(math.Abs(x))
			}
		default:
			body = fmt.Sprint(x)
		}
	}
	if group != "" && numeric {
		body = groupDigits(body, group)
	}
	prefix := ""
	if numeric {
		switch {
		case neg:
			prefix = "-"
		case sign == "+":
			prefix = "+"
		case sign == " ":
			prefix = " "
		}
	}
	w, _ := strconv.Atoi(width)
	if w > maxFormatWidth || len(width) > 5 {
		return "", fmt.Errorf("width %s is beyond the %d this reader allows", width, maxFormatWidth)
	}
	if zero != "" && align == "" {
		fill, align = "0", "="
	}
	if fill == "" {
		fill = " "
	}
	if align == "" {
		align = "<"
		if numeric {
			align = ">"
		}
	}
	pad := w - len(prefix) - len(body)
	if pad <= 0 {
		return prefix + body, nil
	}
	p := strings.Repeat(fill, pad)
	switch align {
	case "<":
		return prefix + body + p, nil
	case "^":
		return p[:pad/2] + prefix + body + p[pad/2:], nil
	case "=":
		return prefix + p + body, nil
	}
	return p + prefix + body, nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// pyRepr is Python's repr of a non-negative float: the shortest digits,
// ".0" on integral values, scientific outside [1e-4, 1e16).
func pyRepr(f float64) string {
	switch {
	case math.IsInf(f, 0):
		return "inf"
	case math.IsNaN(f):
		return "nan"
	}
	if f != 0 && (f < 1e-4 || f >= 1e16) {
		return strconv.FormatFloat(f, 'e', -1, 64) // "1e-05", "1e+16", as Python writes them
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

func groupDigits(s, sep string) string {
	intPart, rest := s, ""
	if i := strings.IndexAny(s, ".eE%"); i >= 0 {
		intPart, rest = s[:i], s[i:]
	}
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String() + rest
}

// template parses commands against a pyvisa-sim setter template such as
// "!FREQ {:.2f}" or "CH {ch_id}:VOLT {:f}", as the stringparser package
// does: literal text must match exactly, each field matches its type.
type template struct {
	re     *regexp.Regexp
	fields []templateField
}

type templateField struct {
	name string // "" for the value, else e.g. "ch_id"
	typ  byte   // 'd', 'f' (any float type), 's' or 0 (untyped)
}

var fieldRE = regexp.MustCompile(`\{([A-Za-z_0-9]*)(?::([^}]*))?\}`)

func newTemplate(t string) (*template, error) {
	var pat strings.Builder
	pat.WriteString("^")
	tp := &template{}
	last := 0
	for _, loc := range fieldRE.FindAllStringSubmatchIndex(t, -1) {
		pat.WriteString(regexp.QuoteMeta(t[last:loc[0]]))
		last = loc[1]
		name := t[loc[2]:loc[3]]
		spec := ""
		if loc[4] >= 0 {
			spec = t[loc[4]:loc[5]]
		}
		f := templateField{name: name}
		if name == "0" {
			f.name = ""
		}
		if spec != "" {
			switch spec[len(spec)-1] {
			case 'd', 'n', 'x', 'X', 'o', 'b':
				f.typ = 'd'
			case 'f', 'F', 'e', 'E', 'g', 'G', '%':
				f.typ = 'f'
			case 's':
				f.typ = 's'
			}
		}
		switch f.typ {
		case 'd':
			pat.WriteString(`\s*([+-]?\d+)\s*`)
		case 'f':
			pat.WriteString(`\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|[+-]?(?:inf|nan))\s*`)
		default:
			pat.WriteString(`(.*?)`)
		}
		tp.fields = append(tp.fields, f)
	}
	pat.WriteString(regexp.QuoteMeta(t[last:]))
	pat.WriteString("$")
	re, err := regexp.Compile(pat.String())
	if err != nil {
		return nil, fmt.Errorf("template %q: %w", t, err)
	}
	tp.re = re
	return tp, nil
}

// match returns the value field and the named fields of a matching
// command.
func (t *template) match(s string) (value any, named map[string]string, ok bool) {
	m := t.re.FindStringSubmatch(s)
	if m == nil {
		return nil, nil, false
	}
	for i, f := range t.fields {
		text := m[i+1]
		if f.name != "" {
			if named == nil {
				named = map[string]string{}
			}
			named[f.name] = text
			continue
		}
		switch f.typ {
		case 'd':
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return nil, nil, false
			}
			value = n
		case 'f':
			x, err := strconv.ParseFloat(text, 64)
			if err != nil {
				return nil, nil, false
			}
			value = x
		default:
			value = text
		}
	}
	return value, named, true
}
