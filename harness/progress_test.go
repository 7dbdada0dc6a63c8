package harness_test

import (
	"bytes"
	"fmt"
	"regexp"
	"testing"

	"github.com/scpikit/scpikit/harness"
)

// The progress summary counts in English: "1 fault", "2 faults" (and
// so for DUTs), never "1 faults".
func TestProgressSummaryPlurals(t *testing.T) {
	for _, tc := range []struct {
		faults     int
		duts, want string
	}{
		{1, "1 DUT (1 ended by faults)", "1 fault"},
		{2, "2 DUTs (2 ended by faults)", "2 faults"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			var out bytes.Buffer // a file as the harness sees it: plain summary lines
			_, _ = harness.Run(bg, "plurals", func(tt *harness.Test) error {
				for i := range tc.faults {
					name := fmt.Sprintf("dut-%d", i+1)
					tt.DUT(name, func(d *harness.DUTRun) error {
						tt.Fault(&harness.Fault{Source: "monitor", DUT: name, Message: "overtemperature"}, harness.IsolateDUT)
						<-d.Context().Done()
						return nil
					})
				}
				return nil
			}, harness.WithoutSignals(), harness.WithLogger(discard()), harness.WithProgress(&out))
			// The last line is the summary drawn once the run has ended.
			lines := regexp.MustCompile(`(?m)^\[plurals .*$`).FindAllString(out.String(), -1)
			if len(lines) == 0 {
				t.Fatalf("no progress summary:\n%s", out.String())
			}
			last := lines[len(lines)-1]
			want := regexp.MustCompile(`\] ` + regexp.QuoteMeta(tc.duts) + ` \| 0 measurements, 0 out of limits \| ` + regexp.QuoteMeta(tc.want) + `$`)
			if !want.MatchString(last) {
				t.Errorf("summary %q, want it to end %q", last, tc.duts+" | 0 measurements, 0 out of limits | "+tc.want)
			}
		})
	}
}
