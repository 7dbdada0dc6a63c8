package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// editor reads lines from a terminal in raw mode, as bash and python do:
// the line is edited in place (arrows, Home/End, Ctrl-A/E/K/U/W, Delete,
// Backspace), earlier lines are recalled (Up/Down, Ctrl-P/N) and searched
// (Ctrl-R), Tab completes, Ctrl-C abandons the line and starts a fresh
// one, Ctrl-D on an empty line ends the input (io.EOF). It is ours, not
// x/term's Terminal: that one takes Ctrl-C for the end of input and has no
// history search.
//
// A line that does not fit the terminal's width scrolls sideways within
// one row, so the editor never needs to know where the terminal wrapped.
type editor struct {
	in      *bufio.Reader
	out     io.Writer
	prompt  string
	width   func() int // the terminal's columns now (0: unknown)
	history *fileHistory
	// complete returns, for the text before the cursor, where the word
	// being completed starts (a rune index) and what it may become.
	complete func(before string) (start int, options []completion)

	line []rune
	pos  int // the cursor, an index into line
}

// completion is one way to finish a word: text replaces the word, show is
// how a list of them names it.
type completion struct{ text, show string }

// Keys that arrive as escape sequences, outside the runes' range.
const (
	keyUp rune = -1 - iota
	keyDown
	keyRight
	keyLeft
	keyHome
	keyEnd
	keyDelete
	keyWordLeft
	keyWordRight
	keyIgnored
)

const (
	ctrlA     = 1
	ctrlB     = 2
	ctrlC     = 3
	ctrlD     = 4
	ctrlE     = 5
	ctrlF     = 6
	ctrlG     = 7
	ctrlH     = 8
	tab       = 9
	ctrlJ     = 10
	ctrlK     = 11
	ctrlL     = 12
	ctrlM     = 13
	ctrlN     = 14
	ctrlP     = 16
	ctrlR     = 18
	ctrlU     = 21
	ctrlW     = 23
	esc       = 27
	backspace = 127
)

func newEditor(in io.Reader, out io.Writer, prompt string, history *fileHistory) *editor {
	return &editor{in: bufio.NewReader(in), out: out, prompt: prompt, history: history, width: func() int { return 0 }}
}

// readKey reads one key: a rune, a control character, or one of the key*
// constants for an escape sequence.
func (e *editor) readKey() (rune, error) {
	r, _, err := e.in.ReadRune()
	if err != nil || r != esc {
		return r, err
	}
	r, _, err = e.in.ReadRune()
	if err != nil {
		return 0, err
	}
	switch r {
	case 'b', 'B':
		return keyWordLeft, nil // Alt-b
	case 'f', 'F':
		return keyWordRight, nil // Alt-f
	case 'O': // SS3: ESC O H, ESC O F, application-mode arrows
		r, _, err = e.in.ReadRune()
		if err != nil {
			return 0, err
		}
		return finalKey(r, ""), nil
	case '[':
	default:
		return keyIgnored, nil
	}
	// CSI: parameters (digits, ;) then one final byte.
	var params strings.Builder
	for {
		r, _, err = e.in.ReadRune()
		if err != nil {
			return 0, err
		}
		if r >= 0x40 && r <= 0x7e {
			return finalKey(r, params.String()), nil
		}
		if params.Len() > 16 {
			return keyIgnored, nil // not a sequence we know: do not read on for ever
		}
		params.WriteRune(r)
	}
}

func finalKey(final rune, params string) rune {
	switch final {
	case 'A':
		return keyUp
	case 'B':
		return keyDown
	case 'C':
		if strings.HasSuffix(params, ";5") || strings.HasSuffix(params, ";3") {
			return keyWordRight // Ctrl- or Alt-right
		}
		return keyRight
	case 'D':
		if strings.HasSuffix(params, ";5") || strings.HasSuffix(params, ";3") {
			return keyWordLeft
		}
		return keyLeft
	case 'H':
		return keyHome
	case 'F':
		return keyEnd
	case '~':
		switch params {
		case "1", "7":
			return keyHome
		case "4", "8":
			return keyEnd
		case "3":
			return keyDelete
		}
	}
	return keyIgnored // bracketed paste marks, function keys...
}

// ReadLine edits one line and returns it when ENTER is pressed.
func (e *editor) ReadLine() (string, error) {
	e.line, e.pos = e.line[:0], 0
	hist := -1 // the history entry shown; -1: the line being typed
	var typed []rune
	e.refresh(e.prompt)
	for {
		key, err := e.readKey()
		if err != nil {
			// The input ended or the wait for it was given up (SIGTERM):
			// what follows starts on a row of its own.
			io.WriteString(e.out, "\r\n")
			return "", err
		}
		if key == ctrlR {
			var done bool
			if key, done = e.search(); done {
				return e.enter(), nil
			}
			if key == 0 {
				continue
			}
			hist = -1
		}
		switch key {
		case ctrlM, ctrlJ:
			return e.enter(), nil
		case ctrlC:
			// The line is abandoned, as in bash: ^C, a new line, a fresh prompt.
			io.WriteString(e.out, "^C\r\n")
			e.line, e.pos, hist = e.line[:0], 0, -1
		case ctrlD:
			if len(e.line) == 0 {
				io.WriteString(e.out, "\r\n")
				return "", io.EOF
			}
			e.deleteAt(e.pos)
		case keyDelete:
			e.deleteAt(e.pos)
		case backspace, ctrlH:
			if e.pos > 0 {
				e.pos--
				e.deleteAt(e.pos)
			}
		case keyLeft, ctrlB:
			e.pos = max(e.pos-1, 0)
		case keyRight, ctrlF:
			e.pos = min(e.pos+1, len(e.line))
		case keyHome, ctrlA:
			e.pos = 0
		case keyEnd, ctrlE:
			e.pos = len(e.line)
		case keyWordLeft:
			e.pos = e.wordStart(e.pos)
		case keyWordRight:
			for e.pos < len(e.line) && unicode.IsSpace(e.line[e.pos]) {
				e.pos++
			}
			for e.pos < len(e.line) && !unicode.IsSpace(e.line[e.pos]) {
				e.pos++
			}
		case ctrlK:
			e.line = e.line[:e.pos]
		case ctrlU:
			e.line = append(e.line[:0], e.line[e.pos:]...)
			e.pos = 0
		case ctrlW:
			start := e.wordStart(e.pos)
			e.line = append(e.line[:start], e.line[e.pos:]...)
			e.pos = start
		case ctrlL:
			io.WriteString(e.out, "\x1b[H\x1b[2J")
		case keyUp, ctrlP:
			if e.history != nil && hist+1 < e.history.Len() {
				if hist == -1 {
					typed = append(typed[:0], e.line...)
				}
				hist++
				e.show(e.history.At(hist))
			}
		case keyDown, ctrlN:
			switch {
			case hist > 0:
				hist--
				e.show(e.history.At(hist))
			case hist == 0:
				hist = -1
				e.show(string(typed))
			}
		case tab:
			e.completeWord()
		default:
			if key >= ' ' && key != backspace && unicode.IsPrint(key) {
				e.insert(key)
			}
		}
		e.refresh(e.prompt)
	}
}

// enter ends the line: the cursor goes to the next row and the line into
// the history.
func (e *editor) enter() string {
	io.WriteString(e.out, "\r\n")
	l := string(e.line)
	if e.history != nil && strings.TrimSpace(l) != "" {
		e.history.Add(l)
	}
	return l
}

func (e *editor) insert(r rune) {
	e.line = append(e.line, 0)
	copy(e.line[e.pos+1:], e.line[e.pos:])
	e.line[e.pos] = r
	e.pos++
}

func (e *editor) deleteAt(i int) {
	if i < len(e.line) {
		e.line = append(e.line[:i], e.line[i+1:]...)
	}
}

// show replaces the line, the cursor at its end.
func (e *editor) show(s string) {
	e.line = append(e.line[:0], []rune(s)...)
	e.pos = len(e.line)
}

// wordStart is where the word before i starts (spaces before it skipped).
func (e *editor) wordStart(i int) int {
	for i > 0 && unicode.IsSpace(e.line[i-1]) {
		i--
	}
	for i > 0 && !unicode.IsSpace(e.line[i-1]) {
		i--
	}
	return i
}

// refresh redraws the row: the prompt, as much of the line around the
// cursor as fits, the rest of the row cleared, the cursor in its place.
// Columns are counted as the terminal draws them: two for a wide (CJK)
// character, none for a combining mark (runeWidth).
func (e *editor) refresh(prompt string) {
	width := e.width()
	if width <= 0 {
		width = 80
	}
	pw := stringWidth(prompt)
	room := max(width-pw-1, 8)
	// The first rune shown: as far left as lets the cursor fit.
	first, cols := 0, runesWidth(e.line[:e.pos])
	for cols > room && first < e.pos {
		cols -= runeWidth(e.line[first])
		first++
	}
	// Then as much after the cursor as fits.
	last := e.pos
	for last < len(e.line) && cols+runeWidth(e.line[last]) <= room {
		cols += runeWidth(e.line[last])
		last++
	}
	var b strings.Builder
	b.WriteString("\r")
	b.WriteString(prompt)
	b.WriteString(string(e.line[first:last]))
	b.WriteString("\x1b[K\r")
	if col := pw + runesWidth(e.line[first:e.pos]); col > 0 {
		fmt.Fprintf(&b, "\x1b[%dC", col)
	}
	io.WriteString(e.out, b.String())
}

// runeWidth is how many columns a terminal gives r: none for a combining
// mark or a zero-width character (it joins the one before), two for an
// East Asian wide or fullwidth one, one otherwise.
func runeWidth(r rune) int {
	switch {
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF: // zero-width space, (non-)joiner, word joiner, BOM
		return 0
	case unicode.In(r, unicode.Mn, unicode.Me):
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}

func runesWidth(rs []rune) int {
	n := 0
	for _, r := range rs {
		n += runeWidth(r)
	}
	return n
}

func stringWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// search is Ctrl-R, reverse incremental search of the history, as in
// bash: typed characters narrow the search (case-insensitive, SCPI is),
// Ctrl-R again finds an older match (a line it has shown is not shown
// again), Backspace widens it, ENTER runs the
// match (done), Ctrl-G gives up and restores the line; any other key
// takes the match into the line to edit and is returned to be handled.
func (e *editor) search() (next rune, done bool) {
	saved, savedPos := append([]rune(nil), e.line...), e.pos
	var query []rune
	match := -1 // the history entry found
	failed := false
	found := map[string]bool{} // lines Ctrl-R has shown: not shown again
	find := func(from int) {
		for i := from; e.history != nil && i < e.history.Len(); i++ {
			h := e.history.At(i)
			if i != match && found[h] {
				continue
			}
			if at := indexFold([]rune(h), query); at >= 0 {
				match, failed = i, false
				found[h] = true
				e.show(h)
				e.pos = at
				return
			}
		}
		failed = true
	}
	for {
		label := "(reverse-i-search)`"
		if failed {
			label = "(failed reverse-i-search)`"
		}
		e.refresh(label + string(query) + "': ")
		key, err := e.readKey()
		if err != nil {
			return 0, false
		}
		switch {
		case key == ctrlR:
			if len(query) > 0 {
				find(match + 1)
			}
		case key == ctrlG:
			e.line, e.pos = append(e.line[:0], saved...), savedPos
			e.refresh(e.prompt)
			return 0, false
		case key == backspace || key == ctrlH:
			if len(query) > 0 {
				query = query[:len(query)-1]
				match = -1
				clear(found)
				if len(query) == 0 {
					e.line, e.pos, failed = append(e.line[:0], saved...), savedPos, false
				} else {
					find(0)
				}
			}
		case key == ctrlM || key == ctrlJ:
			return 0, true
		case key >= ' ' && unicode.IsPrint(key):
			query = append(query, key)
			find(max(match, 0))
		default:
			e.pos = len(e.line)
			return key, false
		}
	}
}

// completeWord is Tab: the one way to finish the word is taken; of
// several, what they share is, and when nothing is shared beyond the word
// they are listed under the line.
func (e *editor) completeWord() {
	if e.complete == nil {
		return
	}
	start, options := e.complete(string(e.line[:e.pos]))
	if len(options) == 0 {
		io.WriteString(e.out, "\a")
		return
	}
	word := string(e.line[start:e.pos])
	text := options[0].text
	for _, o := range options[1:] {
		text = commonPrefixFold(text, o.text)
	}
	if len(options) == 1 || utf8.RuneCountInString(text) > utf8.RuneCountInString(word) {
		rest := append([]rune(text), e.line[e.pos:]...)
		e.line = append(e.line[:start], rest...)
		e.pos = start + utf8.RuneCountInString(text)
		return
	}
	width := e.width()
	if width <= 0 {
		width = 80
	}
	var b strings.Builder
	b.WriteString("\r\n")
	col := 0
	for _, o := range options {
		if col > 0 && col+2+len(o.show) > width {
			b.WriteString("\r\n")
			col = 0
		}
		if col > 0 {
			b.WriteString("  ")
			col += 2
		}
		b.WriteString(o.show)
		col += len(o.show)
	}
	b.WriteString("\r\n")
	io.WriteString(e.out, b.String())
}

// commonPrefixFold is the longest prefix of a that b shares, ignoring
// case (SCPI's mnemonics are case-insensitive).
func commonPrefixFold(a, b string) string {
	ra, rb := []rune(a), []rune(b)
	n := 0
	for n < len(ra) && n < len(rb) && unicode.ToUpper(ra[n]) == unicode.ToUpper(rb[n]) {
		n++
	}
	return string(ra[:n])
}

// indexFold is where q first occurs in line, ignoring case, as a rune
// index (-1: nowhere). It compares rune by rune: lower-casing the strings
// and taking a byte index from one to the other goes wrong where a
// character's lower case has another length in UTF-8 (Ⱥ, 2 bytes, is ⱥ,
// 3 bytes).
func indexFold(line, q []rune) int {
	for i := 0; i+len(q) <= len(line); i++ {
		j := 0
		for j < len(q) && equalFoldRune(line[i+j], q[j]) {
			j++
		}
		if j == len(q) {
			return i
		}
	}
	return -1
}

// equalFoldRune reports whether a and b are the same letter under Unicode
// case folding, as strings.EqualFold compares them.
func equalFoldRune(a, b rune) bool {
	if a == b {
		return true
	}
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}
