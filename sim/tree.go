package sim

import (
	"fmt"
	"strings"
)

// node is one mnemonic of the command tree, shared by every model instance.
type node struct {
	short, long string // upper case: "VOLT", "VOLTAGE"
	suffix      bool   // takes a numeric suffix: OUTPut#
	children    []*node
	set, query  int    // handler indices, -1 for none
	setPat      string // the pattern that registered set, for messages
	queryPat    string
}

func newNode(short, long string, suffix bool) *node {
	return &node{short: short, long: long, suffix: suffix, set: -1, query: -1}
}

// element is one mnemonic of a pattern.
type element struct {
	short, long string
	suffix      bool
	optional    bool
}

// parsePattern reads a command as programming manuals write it:
//
//	[SOURce#:]VOLTage[:LEVel][:IMMediate][:AMPLitude]
//	MEASure[:SCALar]:CURRent[:DC]?
//	OUTPut#[:STATe]
//
// Upper-case letters are the short form, the whole word the long form, #
// a numeric suffix, brackets an optional node and a final ? a query.
func parsePattern(p string) (elems []element, query bool, err error) {
	s := strings.TrimSpace(p)
	if strings.HasSuffix(s, "?") {
		query, s = true, s[:len(s)-1]
	}
	if s == "" {
		return nil, false, fmt.Errorf("sim: empty command pattern %q", p)
	}
	for len(s) > 0 {
		optional := false
		var word string
		switch s[0] {
		case '[':
			end := strings.IndexByte(s, ']')
			if end < 0 {
				return nil, false, fmt.Errorf("sim: pattern %q: unclosed '['", p)
			}
			word, s = s[1:end], s[end+1:]
			if strings.ContainsAny(word, "[") {
				return nil, false, fmt.Errorf("sim: pattern %q: nested brackets", p)
			}
			optional = true
		case ':':
			s = s[1:]
			continue
		default:
			end := strings.IndexAny(s, ":[")
			if end < 0 {
				end = len(s)
			}
			word, s = s[:end], s[end:]
		}
		word = strings.Trim(word, ":")
		if strings.Contains(word, ":") {
			return nil, false, fmt.Errorf("sim: pattern %q: one mnemonic per optional node", p)
		}
		e, err := parseMnemonic(word)
		if err != nil {
			return nil, false, fmt.Errorf("sim: pattern %q: %w", p, err)
		}
		e.optional = optional
		elems = append(elems, e)
	}
	required := false
	for _, e := range elems {
		required = required || !e.optional
	}
	if !required {
		return nil, false, fmt.Errorf("sim: pattern %q has no required mnemonic", p)
	}
	return elems, query, nil
}

func parseMnemonic(w string) (element, error) {
	e := element{}
	if strings.HasSuffix(w, "#") {
		e.suffix, w = true, w[:len(w)-1]
	}
	if w == "" {
		return e, fmt.Errorf("empty mnemonic")
	}
	if len(w) > 12 {
		return e, fmt.Errorf("mnemonic %q longer than 12 characters", w)
	}
	var short strings.Builder
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9' && short.Len() == i:
			short.WriteByte(c)
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		default:
			return e, fmt.Errorf("bad character %q in mnemonic %q", c, w)
		}
	}
	if short.Len() == 0 || !isAlpha(w[0]) {
		return e, fmt.Errorf("mnemonic %q needs a leading upper-case short form", w)
	}
	e.short, e.long = short.String(), strings.ToUpper(w)
	return e, nil
}

func isAlpha(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

// variants lists every path a pattern accepts: each optional node present
// or absent.
func variants(elems []element) [][]element {
	var opt []int
	for i, e := range elems {
		if e.optional {
			opt = append(opt, i)
		}
	}
	out := make([][]element, 0, 1<<len(opt))
	for mask := 0; mask < 1<<len(opt); mask++ {
		var path []element
		for i, e := range elems {
			if e.optional {
				k := 0
				for k < len(opt) && opt[k] != i {
					k++
				}
				if mask&(1<<k) == 0 {
					continue
				}
			}
			path = append(path, e)
		}
		out = append(out, path)
	}
	return out
}

// insert adds one path to the tree under root, with handler h as its set
// or query. It refuses a path that another pattern already registered and
// a mnemonic whose short or long form another node at the same level
// claims differently.
func (root *node) insert(pattern string, path []element, query bool, h int) error {
	n := root
	for _, e := range path {
		var next *node
		for _, c := range n.children {
			same := c.short == e.short && c.long == e.long
			if same && c.suffix == e.suffix {
				next = c
				break
			}
			if same || c.short == e.short || c.long == e.long || c.short == e.long || c.long == e.short {
				return fmt.Errorf("sim: pattern %q: mnemonic %s is ambiguous with %s (suffix %v vs %v)",
					pattern, e.long, c.long, e.suffix, c.suffix)
			}
		}
		if next == nil {
			next = newNode(e.short, e.long, e.suffix)
			n.children = append(n.children, next)
		}
		n = next
	}
	slot, pat := &n.set, &n.setPat
	if query {
		slot, pat = &n.query, &n.queryPat
	}
	if *slot >= 0 {
		if *slot == h {
			return nil // one registration reaching a path twice
		}
		return fmt.Errorf("sim: pattern %q duplicates %q", pattern, *pat)
	}
	*slot, *pat = h, pattern
	return nil
}

// matches reports whether the received mnemonic selects n, and the suffix
// it carries (0 when none was given).
func (n *node) matches(m []byte) (suffix int, given bool, ok bool) {
	if equalFold(m, n.short) || equalFold(m, n.long) {
		return 0, false, true
	}
	if !n.suffix {
		return 0, false, false
	}
	i := len(m)
	for i > 0 && m[i-1] >= '0' && m[i-1] <= '9' {
		i--
	}
	if i == len(m) || i == 0 {
		return 0, false, false
	}
	if !equalFold(m[:i], n.short) && !equalFold(m[:i], n.long) {
		return 0, false, false
	}
	v := 0
	for _, c := range m[i:] {
		v = v*10 + int(c-'0')
		if v > 1<<20 {
			return v, true, true // reported as out of range by the handler
		}
	}
	return v, true, true
}

// equalFold compares ASCII bytes with an upper-case string, ignoring case.
func equalFold(b []byte, upper string) bool {
	if len(b) != len(upper) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != upper[i] {
			return false
		}
	}
	return true
}
