package scpi_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
)

// crLink is a link whose replies end with CR, and says so, as a serial
// link set for CR-terminated replies does.
type crLink struct{ *scpitest.Conn }

func (crLink) ReadTerminator() byte { return '\r' }

// A session frames replies with the link's own terminator when the link
// has one and WithTermination does not say otherwise, so an LF in a reply
// is data; WithTermination's read byte still wins.
func TestSessionUsesTheLinksReadTerminator(t *testing.T) {
	conn := scpitest.NewConnWith(t, []scpitest.Option{scpitest.WithTerminator("\r")},
		scpitest.Query("HELP?", "line 1\nline 2"), scpitest.Query("*IDN?", "x"))
	s := scpi.NewSession(crLink{conn}, scpi.WithTermination("\r", 0))
	var got []string
	for _, q := range []string{"HELP?", "*IDN?"} {
		r, err := s.Query(bg, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if diff := cmp.Diff([]string{"line 1\nline 2", "x"}, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}

	// Told LF, the session ends the reply at the LF.
	conn = scpitest.NewConnWith(t, []scpitest.Option{scpitest.WithTerminator("\r")}, scpitest.Query("HELP?", "line 1\nline 2"))
	s = scpi.NewSession(crLink{conn}, scpi.WithTermination("\r", '\n'))
	if r, err := s.Query(bg, "HELP?"); err != nil || r != "line 1" {
		t.Errorf("told LF: %q, %v", r, err)
	}
}
