package instruments

import (
	"context"
	"fmt"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// E3631A drives the Keysight (Agilent, HP) E3631A, after its user's guide.
// Levels apply to the output selected with INSTrument, so each set or
// read selects first, in one locked sequence. Its quirks are its own and
// the driver keeps them visible: one OUTPut switch serves all three
// outputs, so SetOutput refuses (use SetAllOutputs); *IDN? reports serial
// 0; there is no OVP or OCP.
type E3631A struct{ supply }

var e3631aOutputs = []string{"P6V", "P25V", "N25V"}

func init() {
	Register(Driver{
		Name:   "Keysight E3631A",
		Models: []string{"E3631A"},
		Match:  func(id scpi.IDN) bool { return isModel(id, "E3631A") },
		New: func(s *scpi.Session, id scpi.IDN) (Instrument, error) {
			chans := []Channel{{1, "P6V", 0, 6.18, 5.15}, {2, "P25V", 0, 25.75, 1.03}, {3, "N25V", -25.75, 0, 1.03}}
			return &E3631A{supply{base: base{s, id}, channels: chans}}, nil
		},
	})
}

// selected runs fn after INSTrument selects the output, in one sequence.
func (p *E3631A) selected(ctx context.Context, ch int, fn func(tx *scpi.Tx) error) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Do(ctx, func(tx *scpi.Tx) error {
		if err := tx.Writef(ctx, "INST:SEL %s", e3631aOutputs[ch-1]); err != nil {
			return err
		}
		return fn(tx)
	})
}

func (p *E3631A) SetVoltage(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkVoltage(ch, v); err != nil {
		return err
	}
	return p.selected(ctx, ch, func(tx *scpi.Tx) error { return tx.Writef(ctx, "VOLT %v", volts(v)) })
}

func (p *E3631A) Voltage(ctx context.Context, ch int) (v units.Voltage, err error) {
	err = p.selected(ctx, ch, func(tx *scpi.Tx) error {
		x, err := tx.QueryFloat(ctx, "VOLT?")
		v = units.Voltage(x)
		return err
	})
	return v, err
}

func (p *E3631A) SetCurrentLimit(ctx context.Context, ch int, i units.Current) error {
	if err := p.checkCurrent(ch, i); err != nil {
		return err
	}
	return p.selected(ctx, ch, func(tx *scpi.Tx) error { return tx.Writef(ctx, "CURR %v", amps(i)) })
}

func (p *E3631A) CurrentLimit(ctx context.Context, ch int) (i units.Current, err error) {
	err = p.selected(ctx, ch, func(tx *scpi.Tx) error {
		x, err := tx.QueryFloat(ctx, "CURR?")
		i = units.Current(x)
		return err
	})
	return i, err
}

// SetOutput refuses: the E3631A has one switch for its three outputs.
func (p *E3631A) SetOutput(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return fmt.Errorf("instruments: E3631A output %d: %w: one switch serves all three outputs; use SetAllOutputs", ch, ErrNotSupported)
}

// Output reads the one switch all outputs share.
func (p *E3631A) Output(ctx context.Context, ch int) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	return p.s.QueryBool(ctx, "OUTP?")
}

func (p *E3631A) SetAllOutputs(ctx context.Context, on bool) error {
	return p.switchOutputs(ctx, 0, on, func(tx *scpi.Tx) error {
		return tx.Writef(ctx, "OUTP %s", onOff(on))
	})
}

func (p *E3631A) MeasureVoltage(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.s.QueryFloat(ctx, "MEAS:VOLT? "+e3631aOutputs[ch-1])
	return units.Voltage(v), err
}

func (p *E3631A) MeasureCurrent(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.s.QueryFloat(ctx, "MEAS:CURR? "+e3631aOutputs[ch-1])
	return units.Current(i), err
}

// Mode reads the output's questionable instrument summary condition: 2
// CV, 1 CC, 0 off.
func (p *E3631A) Mode(ctx context.Context, ch int) (Mode, error) { return p.isumMode(ctx, ch) }

// SafeState switches the outputs off and reads the switch back.
func (p *E3631A) SafeState(ctx context.Context) error {
	return p.safeOff(ctx, p.SetAllOutputs, func(ctx context.Context, ch int) (bool, error) {
		if ch > 1 {
			return false, nil // one switch: read once
		}
		return p.Output(ctx, ch)
	})
}

// SetTracking makes the ±25 V outputs mirror each other.
func (p *E3631A) SetTracking(ctx context.Context, on bool) error {
	return p.s.Writef(ctx, "OUTP:TRAC %s", onOff(on))
}
