package instruments

// The guide's worked example (docs/instruments/adding-an-instrument.md):
// the driver of sim/models/example's EX-1, a single-output supply with
// Keysight's command forms. A real driver is this file without _test in
// its name; here it registers only in the instruments tests, which import
// the example model, so TestSupplyBehaviour and TestFencedOutputsRefuseOn
// drive it through every channel with no list touched.

import (
	"context"

	"github.com/scpikit/scpikit/scpi"
	_ "github.com/scpikit/scpikit/sim/models/example"
	"github.com/scpikit/scpikit/units"
)

// guide begin

// EX1 drives the example single-output supply.
type EX1 struct{ supply }

func init() {
	Register(Driver{
		Name:   "Example EX-1",
		Models: []string{"EX-1"},
		Match:  func(id scpi.IDN) bool { return isModel(id, "EX-1") },
		New: func(s *scpi.Session, id scpi.IDN) (Instrument, error) {
			return &EX1{supply{base: base{s, id}, channels: []Channel{{1, "OUT1", 0, 20.6, 5.15}}}}, nil
		},
	})
}

func (p *EX1) SetVoltage(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkVoltage(ch, v); err != nil {
		return err
	}
	return p.s.Writef(ctx, "VOLT %v", volts(v))
}

func (p *EX1) Voltage(ctx context.Context, ch int) (units.Voltage, error) {
	v, err := p.queryFloat(ctx, ch, "VOLT?")
	return units.Voltage(v), err
}

func (p *EX1) SetCurrentLimit(ctx context.Context, ch int, i units.Current) error {
	if err := p.checkCurrent(ch, i); err != nil {
		return err
	}
	return p.s.Writef(ctx, "CURR %v", amps(i))
}

func (p *EX1) CurrentLimit(ctx context.Context, ch int) (units.Current, error) {
	i, err := p.queryFloat(ctx, ch, "CURR?")
	return units.Current(i), err
}

func (p *EX1) SetOutput(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.SetAllOutputs(ctx, on)
}

func (p *EX1) Output(ctx context.Context, ch int) (bool, error) {
	return p.queryBool(ctx, ch, "OUTP?")
}

func (p *EX1) SetAllOutputs(ctx context.Context, on bool) error {
	return p.switchOutputs(ctx, 1, on, func(tx *scpi.Tx) error { return tx.Writef(ctx, "OUTP %s", onOff(on)) })
}

func (p *EX1) MeasureVoltage(ctx context.Context, ch int) (units.Voltage, error) {
	v, err := p.queryFloat(ctx, ch, "MEAS:VOLT?")
	return units.Voltage(v), err
}

func (p *EX1) MeasureCurrent(ctx context.Context, ch int) (units.Current, error) {
	i, err := p.queryFloat(ctx, ch, "MEAS:CURR?")
	return units.Current(i), err
}

func (p *EX1) Mode(ctx context.Context, ch int) (Mode, error) { return p.isumMode(ctx, ch) }

func (p *EX1) SafeState(ctx context.Context) error {
	if err := p.SetAllOutputs(ctx, false); err != nil {
		return err
	}
	return p.verifyOff(ctx, p.Output)
}

// guide end
