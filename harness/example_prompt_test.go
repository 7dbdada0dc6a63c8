package harness_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/scpikit/scpikit/harness"
)

// A phase asks the operator to scan the unit, then to check its LED. The
// answers come from the station page (harness.WithControl(store)) or a
// terminal; here a TerminalPrompter reads them from a string, as if
// typed. The serial identifies the unit; a "no" is an answer, and the
// phase decides what it means.
func ExampleDUTRun_Prompt() {
	typed := strings.NewReader("SN-0042\nmaybe\nn\n")
	var screen strings.Builder
	rec, err := harness.Run(context.Background(), "bring-up", func(t *harness.Test) error {
		t.DUT("slot-1", func(d *harness.DUTRun) error {
			return d.Phase("visual", func(ctx context.Context) error {
				if _, err := d.Prompt(ctx, harness.Prompt{Text: "Scan the unit's label", Input: harness.InputSerial}); err != nil {
					return err
				}
				green, err := d.Prompt(ctx, harness.Prompt{Text: "Is the power LED green?"})
				if err != nil {
					return err
				}
				if green == "no" {
					return fmt.Errorf("power LED not green")
				}
				return nil
			})
		})
		return nil
	}, harness.WithoutSignals(), harness.WithPrompter(harness.TerminalPrompter(typed, &screen)))
	fmt.Println("error:", err)
	d := rec.DUTs[0]
	fmt.Println(d.Unit.Serial, d.Outcome)
	for _, p := range rec.Prompts {
		fmt.Printf("%s %q: %s by %s\n", p.ID, p.Text, p.Answer, p.By)
	}
	fmt.Print(screen.String())
	// Output:
	// error: <nil>
	// SN-0042 error
	// p1 "Scan the unit's label": SN-0042 by terminal
	// p2 "Is the power LED green?": no by terminal
	//
	// slot-1 asks (prompt p1): Scan the unit's label
	//   scan or type the unit's serial number, then Enter
	// > SN-0042
	//
	// slot-1 asks (prompt p2): Is the power LED green?
	//   type y or n, then Enter
	// > maybe
	// slot-1: answer refused: "maybe" is neither yes nor no; try again
	//
	// slot-1 asks (prompt p2): Is the power LED green?
	//   type y or n, then Enter
	// > n
}
