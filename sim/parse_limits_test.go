package sim

import (
	"strings"
	"testing"
)

// A unit of more than MaxParams parameters is refused with -108 as it is
// parsed, its slice never grown past the bound; a header deeper than any
// command tree with -113. Before, "FOO 1,1,1,..." up to MaxLine parsed
// into 4 million 64-byte parameters (about 290 MB held per client,
// uncounted by Memory) before anything refused it.
func TestParseBoundsParametersAndMnemonics(t *testing.T) {
	var u unit
	many := []byte("FOO " + strings.Repeat("1,", 4*MaxParams) + "1")
	ok, err := parseUnit(many, &u)
	if !ok || err != errTooManyParams {
		t.Errorf("%d parameters: %v, want %v", 4*MaxParams+1, err, errTooManyParams)
	}
	if c := cap(u.params); c > 2*MaxParams {
		t.Errorf("%d parameters refused after growing room for %d", 4*MaxParams+1, c)
	}
	deep := []byte(strings.Repeat(":A", 100000) + " 1")
	ok, err = parseUnit(deep, &u)
	if !ok || err != ErrUndefinedHeader {
		t.Errorf("a header of 100000 mnemonics: %v, want %v", err, ErrUndefinedHeader)
	}
	if c := cap(u.mnems); c > 2*maxMnemonics {
		t.Errorf("100000 mnemonics refused after growing room for %d", c)
	}
	// At the bound, the unit still parses.
	ok, err = parseUnit([]byte("FOO "+strings.Repeat("1,", MaxParams-1)+"1"), &u)
	if !ok || err != nil || len(u.params) != MaxParams {
		t.Errorf("%d parameters: %d parsed, %v", MaxParams, len(u.params), err)
	}
}

// A client keeps room for few parameters between messages: a unit that
// needed many (a 2048-entry table) has its slices dropped once its
// message has run, instead of their room staying for the connection's
// life.
func TestClientDropsLargeParseSlices(t *testing.T) {
	cmds := NewCommands[*sampleDevice]()
	got := 0
	cmds.Handle("LIST", func(_ *sampleDevice, c *Call) error { got = c.NumParams(); c.Discard(); return nil })
	m, err := NewModel("LISTER", "", cmds, func() *sampleDevice { return &sampleDevice{} })
	if err != nil {
		t.Fatal(err)
	}
	in := m.New()
	cl := in.NewClient()
	cl.Write([]byte("LIST " + strings.Repeat("1,", 2047) + "1\n"))
	if got != 2048 {
		t.Fatalf("the handler saw %d parameters, want 2048", got)
	}
	if c := max(cap(cl.u.params), cap(cl.call.params)); c > keepParams {
		t.Errorf("after the message the client keeps room for %d parameters", c)
	}
}
