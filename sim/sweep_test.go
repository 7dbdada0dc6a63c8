package sim_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// Every command of every model, its parameters given as MIN, MAX or DEF
// (alone, or after a channel or a number for commands whose first
// parameter picks one): no handler panics. A panic is recovered by the
// engine and reported as a -300 "panic in ..." event, which fails the
// test; before the engine held MIN, MAX and DEF to the parameter's range,
// *RCL DEF indexed memory slot 0 and took the process down. Each model's
// state carries from one command to the next, so a value that a later
// command trips over (INST:NSEL DEF, then VOLT?) shows too.
func TestModelsTakeMinMaxDefault(t *testing.T) {
	bare := strings.NewReplacer("[", "", "]", "", "#", "")
	var shapes []string
	for _, kw := range []string{"DEF", "MIN", "MAX"} {
		shapes = append(shapes, kw, kw+","+kw, kw+","+kw+","+kw, kw+","+kw+","+kw+","+kw,
			"CH1,"+kw, "CH1,"+kw+","+kw, "1,"+kw, "1,"+kw+","+kw, "P6V,"+kw)
	}
	for _, m := range sim.Models() {
		t.Run(m.Name, func(t *testing.T) {
			in := m.New()
			defer in.Close()
			events := make(chan sim.Event, 64)
			defer in.Subscribe(events)()
			cl := in.NewClient()
			check := func(msg string) {
				t.Helper()
				for {
					select {
					case e := <-events:
						if e.Error != nil && strings.Contains(e.Error.Message, "panic") {
							t.Errorf("%s: %s", msg, e.Error)
						}
					default:
						return
					}
				}
			}
			send := func(msg string) {
				t.Helper()
				if _, err := cl.Write([]byte(msg + "\n")); err != nil {
					t.Fatalf("%s: %v", msg, err)
				}
				cl.TakeOutput()
				check(msg)
			}
			for _, p := range m.Patterns() {
				header := bare.Replace(p)
				send(header)
				for _, args := range shapes {
					send(header + " " + args)
				}
			}
		})
	}
}

// DEF for a parameter with no default (a memory slot numbered from 1)
// is -224, a keyword the parameter does not take; MIN and MAX give the
// range's ends.
func TestDefaultOutsideTheRangeIsRefused(t *testing.T) {
	for _, tt := range []struct{ model, cmd, want string }{
		{"DP832", "*RCL DEF", "-224"},
		{"E3631A", "*RCL DEF", "-224"},
		{"SPD3303X", "*RCL DEF", "-224"},
		{"SPD3303X-E", "*SAV DEF", "-224"},
		{"HMC8041", "ARB:SAVE DEF", "-224"},
		{"DP832", "INST:NSEL DEF", "-224"},
		{"DP832", "INST:NSEL MAX", ""},
		{"DP832", "*SAV MIN", ""},
	} {
		in := sim.MustNew(tt.model)
		cl := in.NewClient()
		cl.Write([]byte(tt.cmd + "\n"))
		var got string
		if errs := in.Errors(); len(errs) > 0 {
			got = strconv.Itoa(errs[0].Code)
		}
		if got != tt.want {
			t.Errorf("%s %s: error %q, want %q (%v)", tt.model, tt.cmd, got, tt.want, in.Errors())
		}
		in.Close()
	}
}
