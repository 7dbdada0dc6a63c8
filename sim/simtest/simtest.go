// Package simtest holds a model author's test helpers: a conversation with
// a fresh simulated instrument, compared line by line, as the programming
// guide's examples read.
//
//	simtest.Converse(t, "E36312A", []simtest.Exchange{
//		{Send: "VOLT 5,(@1)", Want: ""},
//		{Send: "VOLT? (@1)", Want: "+5.00000000E+00"},
//	})
package simtest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/sim"
)

// Exchange is one program message and the response it must get ("" for
// none).
type Exchange struct{ Send, Want string }

// Converse runs the exchanges in order on a fresh instrument of the
// registered model and reports every response that differs, in one diff
// of "send -> reply" lines.
func Converse(t testing.TB, model string, script []Exchange) {
	t.Helper()
	in, err := sim.New(model)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	ConverseWith(t, in, script)
}

// ConverseWith is Converse on an instrument the test has set up (wired
// to a load, with faults).
func ConverseWith(t testing.TB, in *sim.Instrument, script []Exchange) {
	t.Helper()
	cl := in.NewClient()
	var got, want []string
	for _, x := range script {
		cl.Write([]byte(x.Send + "\n"))
		got = append(got, x.Send+" -> "+strings.TrimSuffix(string(cl.TakeOutput()), "\n"))
		want = append(want, x.Send+" -> "+x.Want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", in.Model(), diff)
	}
}
