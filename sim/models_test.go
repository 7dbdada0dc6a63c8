package sim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// Bad values sent straight to each model, in its own command forms, and
// the error each answers with, as its manual lists it.
func TestModelsRefuseBadValues(t *testing.T) {
	tests := []struct {
		model string
		cmds  []string
		want  []string // SYST:ERR? answers, in order
	}{
		{"E36312A", []string{"VOLT 7,(@1)", "CURR -1,(@2)", "OUTP ON,(@4)", "VOLT:PROT 100,(@1)"},
			[]string{`-222,"Data out of range"`, `-222,"Data out of range"`, `-222,"Data out of range;no channel 4"`, `-222,"Data out of range"`}},
		{"E3631A", []string{"INST:SEL P6V", "VOLT 7", "INST:SEL N25V", "VOLT 5", "INST:SEL P12V"},
			[]string{`-222,"Data out of range"`, `-222,"Data out of range"`, `-224,"Illegal parameter value"`}},
		{"DP832", []string{":SOUR3:VOLT 6", ":SOUR1:CURR -1", ":OUTP CH4,ON", ":SOUR4:VOLT 1"},
			[]string{`-222,"Data out of range"`, `-222,"Data out of range"`, `-224,"Illegal parameter value"`, `-114,"Header suffix out of range"`}},
		{"DP811", []string{":OUTP CH2,ON"},
			[]string{`-224,"Illegal parameter value;no CH2 on the DP811"`}},
		{"HMC8043", []string{"INST:NSEL 4", "INST:NSEL 1", "VOLT 40", "CURR 4"},
			[]string{`-222,"Data out of range"`, `-222,"Data out of range"`, `-222,"Data out of range"`}},
		{"34465A", []string{"CONF:VOLT:DC 5000", "FORM REAL,32"},
			[]string{`-222,"Data out of range"`, `-224,"Illegal parameter value"`}},
		{"34461A", []string{"FORM REAL,64"},
			[]string{`-113,"Undefined header;REAL format needs a 34465A or 34470A"`}},
	}
	for _, tt := range tests {
		t.Run(tt.model, func(t *testing.T) {
			in := sim.MustNew(tt.model)
			cl := in.NewClient()
			for _, c := range tt.cmds {
				cl.Write([]byte(c + "\n"))
			}
			var got []string
			for range len(tt.want) + 1 {
				cl.Write([]byte("SYST:ERR?\n"))
				got = append(got, strings.TrimSpace(string(cl.TakeOutput())))
			}
			want := append(append([]string{}, tt.want...), `0,"No error"`)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// The SPD3303X keeps its errors in its own unquoted form.
func TestSPD3303XErrorForm(t *testing.T) {
	in := sim.MustNew("SPD3303X")
	cl := in.NewClient()
	send := func(cmd string) string {
		time.Sleep(10 * time.Millisecond) // the model drops back-to-back commands
		cl.Write([]byte(cmd + "\n"))
		return strings.TrimSpace(string(cl.TakeOutput()))
	}
	send("CH1:VOLT 40")
	if got := send("SYST:ERR?"); got != "-222  Data out of range" {
		t.Fatalf("got %q", got)
	}
	if got := send("SYST:ERR?"); got != "0  No Error" {
		t.Fatalf("got %q", got)
	}
}
