package sim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// SetRange switches an output's range and clamps its settings into it.
func TestOutputSetRange(t *testing.T) {
	o := NewOutput(OutputRange{Name: "CH1", MaxV: 42, MaxI: 5.3})
	o.SetVoltage(30)
	o.SetCurrentLimit(5)
	o.SetRange(OutputRange{Name: "CH1", MaxV: 21, MaxI: 10.5})
	v, i := o.Settings()
	got := []float64{v, i, o.Range().MaxV, o.LevelSpec(false).Max}
	if diff := cmp.Diff([]float64{21, 5, 21, 10.5}, got); diff != "" {
		t.Errorf("after SetRange, V, I, range (-want +got):\n%s", diff)
	}
}
