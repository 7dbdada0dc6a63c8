package main

import (
	"io"
	"strings"
	"testing"
	"unicode"

	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// The editor on any keys: it never panics, ends at the end of its input,
// and every line it returns holds printable characters only (control
// keys edit, they are never typed into the line).
func FuzzEditor(f *testing.F) {
	for _, s := range []string{
		"*IDN?\r", "VOLT\x03\r", "\x04", "ab\x1b[D\x1b[Dc\x7f\r", "\x1b[1;5D\x1b[3~\x1bOH\x1b[200~x\x1b[201~\r",
		"\x12vo\x12\x12\x7f\x07\r", "sour1:vo\t\t:t\t\r", "\x1b[99999999999999999999", "\x10\x0e\x0b\x15\x17\x01\x05\r",
		"\xff\xfe\r", "\x1b", "\x12\x1b[A\r", "\x12volt\r", "\x12\u023a\r", "\x12\u2c65\x12\r",
	} {
		f.Add(s)
	}
	tree := sim.MustNew("DP832").CommandTree()
	f.Fuzz(func(t *testing.T, keys string) {
		h := &fileHistory{lines: []string{"SOUR1:VOLT 1", `DISP:TEXT "ȺȺȺȺȺȺȺȺȺȺ";VOLT 5`, "*IDN?", "SOUR1:VOLT?"}}
		e := newEditor(strings.NewReader(keys), io.Discard, "scpi> ", h)
		e.complete = completer{tree: tree}.complete
		for range len(keys) + 1 {
			line, err := e.ReadLine()
			if err != nil {
				return
			}
			for _, r := range line {
				if !unicode.IsPrint(r) {
					t.Fatalf("line %q from keys %q holds %q", line, keys, r)
				}
			}
		}
		t.Fatalf("more lines than keys from %q", keys)
	})
}

// Completion of what is typed before the cursor, against the DP832's tree.
func TestComplete(t *testing.T) {
	c := completer{tree: sim.MustNew("DP832").CommandTree()}
	for _, tc := range []struct {
		before string
		start  int
		texts  []string
	}{
		{"*ID", 0, []string{"*IDN?"}},
		{":erro", 0, []string{":errors"}},
		{":trace o", 7, []string{"on", "off"}},
		{"VOLT 5;*RS", 7, []string{"*RST"}},
		{`DISP:TEXT "*RS`, 0, nil}, // inside a string
		{"SOUR1:VOLT 5", 0, nil},   // a parameter
		{"NOSUCH:VO", 0, nil},      // no such node
	} {
		start, got := c.complete(tc.before)
		var texts []string
		for _, o := range got {
			texts = append(texts, o.text)
		}
		if len(texts) != len(tc.texts) || (len(texts) > 0 && start != tc.start) {
			t.Errorf("%q: start %d, %q; want %d, %q", tc.before, start, texts, tc.start, tc.texts)
			continue
		}
		for i := range texts {
			if texts[i] != tc.texts[i] {
				t.Errorf("%q: %q, want %q", tc.before, texts, tc.texts)
			}
		}
	}
	// Without a simulated instrument, shell commands only.
	if _, got := (completer{}).complete("*ID"); len(got) != 0 {
		t.Errorf("a real instrument's *ID completed: %v", got)
	}
}

// Ctrl-R matches case-insensitively rune by rune: a line whose lower case
// is longer in UTF-8 (Ⱥ, 2 bytes, lower-cases to ⱥ, 3 bytes) is found,
// with the cursor on the match, and the search does not panic.
func TestReverseSearchFoldsRuneWise(t *testing.T) {
	const text = `DISP:TEXT "ȺȺȺȺȺȺȺȺȺȺ";VOLT 5`
	for _, tc := range []struct {
		keys string
		pos  int // the cursor, in runes, while the match is shown
	}{
		{"\x12volt", 23},
		{"\x12ⱥⱥ", 11},       // lower case of Ⱥ matches it
		{"\x12TEXT \"ȺȺ", 5}, // as typed
	} {
		h := &fileHistory{lines: []string{text}}
		var out strings.Builder
		e := newEditor(strings.NewReader(tc.keys), &out, "scpi> ", h)
		if _, err := e.ReadLine(); err != io.EOF {
			t.Errorf("%q: %v, want the end of input", tc.keys, err)
		}
		if string(e.line) != text || e.pos != tc.pos {
			t.Errorf("%q: line %q, cursor %d; want %q, cursor %d", tc.keys, string(e.line), e.pos, text, tc.pos)
		}
	}
	if got := indexFold([]rune("aȺb"), []rune("ⱥB")); got != 1 {
		t.Errorf("indexFold: %d, want 1", got)
	}
}

// The editor counts columns as the terminal draws them: a wide (CJK)
// character takes two, a combining mark or a zero-width joiner none. The
// cursor is put after what is drawn, and a line that does not fit scrolls
// by columns, not runes.
func TestEditorDisplayWidth(t *testing.T) {
	lastDraw := func(keys string, width int) string {
		var out strings.Builder
		e := newEditor(strings.NewReader(keys), &out, "scpi> ", nil)
		e.width = func() int { return width }
		e.ReadLine()
		all := out.String()
		// The last row drawn before the input ended (and its "\r\n").
		all = strings.TrimSuffix(all, "\r\n")
		return all[strings.LastIndex(all, "\rscpi> "):]
	}
	for _, tc := range []struct{ keys, want string }{
		{"TEXT 电压", "\rscpi> TEXT 电压\x1b[K\r\x1b[15C"},                                      // 6 + 5 + 2×2
		{"e\u0301e\u0301", "\rscpi> e\u0301e\u0301\x1b[K\r\x1b[8C"},                         // 6 + 2: the accents take none
		{"a\u20ddb", "\rscpi> a\u20ddb\x1b[K\r\x1b[8C"},                                     // an enclosing mark takes none
		{"电压\x1b[D", "\rscpi> 电压\x1b[K\r\x1b[8C"},                                           // Left: back over a wide character
		{"ＡＢ\x01", "\rscpi> ＡＢ\x1b[K\r\x1b[6C"},                                             // fullwidth, Ctrl-A
		{strings.Repeat("电", 10), "\rscpi> " + strings.Repeat("电", 6) + "\x1b[K\r\x1b[18C"}, // 13 columns of room: 6 fit
	} {
		if got := lastDraw(tc.keys, 20); got != tc.want {
			t.Errorf("%q: drew %q, want %q", tc.keys, got, tc.want)
		}
	}
	for r, w := range map[rune]int{'a': 1, '电': 2, 'Ａ': 2, '\u0301': 0, '\u20dd': 0, '\u200d': 0, 'Ⱥ': 1, 'µ': 1} {
		if got := runeWidth(r); got != w {
			t.Errorf("runeWidth(%U) = %d, want %d", r, got, w)
		}
	}
}
