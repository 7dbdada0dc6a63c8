package sim_test

import (
	"strings"
	"testing"

	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// Every query path of a model's command tree is one its instrument knows
// (no -113 Undefined header), the tree holds the optional nodes' variants,
// and the common commands are there: what the scpi shell completes is
// what the instrument takes.
func TestCommandTreeIsWhatTheInstrumentTakes(t *testing.T) {
	for _, model := range []string{"DP832", "E36312A", "34465A"} {
		t.Run(model, func(t *testing.T) {
			in := sim.MustNew(model)
			defer in.Close()
			conn := in.Conn()
			defer conn.Close()
			undefined := func(msg string) bool {
				t.Helper()
				if _, err := conn.Write([]byte("*CLS;:" + msg + "\n")); err != nil {
					t.Fatal(err)
				}
				for _, e := range in.Errors() {
					if e.Code == -113 {
						return true
					}
				}
				return false
			}
			if !undefined("NOSUCH:HEADER?") {
				t.Fatal("an unknown header was not refused: the check below could not fail")
			}
			tree := in.CommandTree()
			var walk func(path string, nodes []sim.CommandNode) int
			walk = func(path string, nodes []sim.CommandNode) int {
				n := 0
				for _, c := range nodes {
					if strings.HasPrefix(c.Long, "*") {
						continue
					}
					p := path + c.Long
					if c.Suffix {
						p += "1"
					}
					if c.Query {
						n++
						if undefined(p + "?") {
							t.Errorf("%s? is in the tree but the instrument does not know it", p)
						}
					}
					n += walk(p+":", c.Children)
				}
				return n
			}
			if n := walk("", tree); n < 5 {
				t.Errorf("only %d queries in the tree", n)
			}
			have := map[string]bool{}
			for _, c := range tree {
				have[c.Long] = c.Query
			}
			if !have["*IDN"] || !have["*OPC"] {
				t.Errorf("common commands missing: %v", have)
			}
		})
	}
}
