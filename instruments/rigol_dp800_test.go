package instruments_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/units"
)

// Every DP800 model the simulator has, A variants included, opens as a
// DP800 with its channels (an A variant has its sibling's), and a level
// set on its last channel reads back: not a generic supply guessing.
func TestDP800Models(t *testing.T) {
	ch := func(n int, name string, minV, maxV units.Voltage, maxI units.Current) instruments.Channel {
		return instruments.Channel{Number: n, Name: name, MinVoltage: minV, MaxVoltage: maxV, MaxCurrent: maxI}
	}
	dp832 := []instruments.Channel{ch(1, "CH1", 0, 32, 3.2), ch(2, "CH2", 0, 32, 3.2), ch(3, "CH3", 0, 5.3, 3.2)}
	dp831 := []instruments.Channel{ch(1, "CH1", 0, 8.4, 5.3), ch(2, "CH2", 0, 32, 2.1), ch(3, "CH3", -32, 0, 2.1)}
	dp821 := []instruments.Channel{ch(1, "CH1", 0, 63, 1.05), ch(2, "CH2", 0, 8.4, 10.5)}
	dp811 := []instruments.Channel{ch(1, "CH1", 0, 21, 10.5)}
	for _, tc := range []struct {
		model    string
		channels []instruments.Channel
	}{
		{"DP832", dp832}, {"DP832A", dp832},
		{"DP831", dp831}, {"DP831A", dp831},
		{"DP821", dp821}, {"DP821A", dp821},
		{"DP811", dp811}, {"DP811A", dp811},
	} {
		t.Run(tc.model, func(t *testing.T) {
			ctx := context.Background()
			inst, err := instruments.Open(ctx, "SIM::"+tc.model+"::INSTR")
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close()
			p, ok := inst.(*instruments.DP800)
			if !ok {
				t.Fatalf("%s opened as %T, want *instruments.DP800", tc.model, inst)
			}
			if diff := cmp.Diff(tc.channels, p.Channels()); diff != "" {
				t.Errorf("channels (-want +got):\n%s", diff)
			}
			last := tc.channels[len(tc.channels)-1]
			v := last.MaxVoltage / 2
			if last.MaxVoltage == 0 {
				v = last.MinVoltage / 2
			}
			if err := p.SetVoltage(ctx, last.Number, v); err != nil {
				t.Fatal(err)
			}
			if got, err := p.Voltage(ctx, last.Number); err != nil || got != v {
				t.Errorf("%s voltage %v, %v; want %v", last.Name, got, err, v)
			}
		})
	}
}
