package simtest_test

import (
	"testing"

	"github.com/scpikit/scpikit/sim/simtest"
)

// recorder is a testing.TB that records failures instead of failing.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
func (r *recorder) Fatal(...any)          { r.failed = true }

func TestConverse(t *testing.T) {
	simtest.Converse(t, "SAMPLE", []simtest.Exchange{
		{Send: "*IDN?", Want: "scpikit,SAMPLE,SIM000001,1.0"},
		{Send: "SOUR2:VOLT 2.5", Want: ""},
	})
	r := &recorder{TB: t}
	simtest.Converse(r, "SAMPLE", []simtest.Exchange{{Send: "*IDN?", Want: "someone else"}})
	if !r.failed {
		t.Error("Converse did not report a wrong reply")
	}
}
