package keysight_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/keysight"
)

// TestE36300ChannelListBounds: a channel list on the E36312A that would
// expand beyond sim.MaxChannelList (one range whose length overflows int,
// or many small ranges) is refused with -223 Too much data and changes
// nothing.
func TestE36300ChannelListBounds(t *testing.T) {
	many := "(@" + strings.Repeat("1:3,", sim.MaxChannelList/3+1) + "1)"
	for _, msg := range []string{
		"OUTP ON,(@-9223372036854775808:9223372036854775807)",
		"OUTP ON," + many,
	} {
		in := sim.MustNew("E36312A")
		cl := in.NewClient()
		cl.Write([]byte(msg + "\n"))
		cl.Write([]byte("OUTP? (@1:3)\n"))
		var codes []int
		for _, e := range in.Errors() {
			codes = append(codes, e.Code)
		}
		if diff := cmp.Diff([]int{-223}, codes); diff != "" {
			t.Errorf("%.60s: codes (-want +got):\n%s", msg, diff)
		}
		if got := strings.TrimSpace(string(cl.TakeOutput())); got != "0,0,0" {
			t.Errorf("%.60s: outputs %q after the refused list, want 0,0,0", msg, got)
		}
		in.Close()
	}
}
