package harness_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
)

// TestMeasurementsKeepTheirOwnLimits measures in a loop against more
// limits than a DUT remembers specs for, some differing only in a
// nominal, the sign of a zero, the marginal band or the action, and
// checks each measurement's stored limit against the limit's own Spec.
func TestMeasurementsKeepTheirOwnLimits(t *testing.T) {
	limits := []harness.Limit{
		harness.Between(0, 1),
		harness.Between(math.Copysign(0, -1), 1),
		harness.Equals(0.5, 0.5),
		harness.Between(0, 1).WithMarginal(0.1),
		harness.AtLeast(0),
		harness.AtMost(1),
		harness.None(),
		harness.Custom("odd", func(float64) error { return nil }),
	}
	rl := harness.Between(0, 1)
	rl.Action = harness.RecordOnly
	limits = append(limits, rl)
	rec, err := harness.Run(bg, "limits", func(tt *harness.Test) error {
		tt.DUT("board", func(d *harness.DUTRun) error {
			for range 3 {
				for _, l := range limits {
					if err := d.Measure("m", units.Value(0.5, "V"), l); err != nil {
						return err
					}
				}
			}
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	got := rec.Measurements()
	if len(got) != 3*len(limits) {
		t.Fatalf("%d measurements, want %d", len(got), 3*len(limits))
	}
	for i, m := range got {
		want := limits[i%len(limits)].Spec()
		if diff := cmp.Diff(want, m.Limit); diff != "" {
			t.Errorf("measurement %d against %v: limit (-want +got):\n%s", i, limits[i%len(limits)], diff)
		}
		// cmp equates -0 and 0; the report must not.
		if want.String() != m.Limit.String() {
			t.Errorf("measurement %d: limit %q, want %q", i, m.Limit.String(), want.String())
		}
	}
}
