package instruments

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// SPD3303X drives the Siglent SPD3303X and SPD3303X-E, after the SPD3303X
// series programming guide, with the model's quirks handled on purpose:
//
//   - it drops a command that follows the previous one too closely, so
//     the driver sets the session's command gap (Session.SetCommandGap)
//     to SPD3303XCommandGap: every command to it is paced, the driver's,
//     the session's own error queries and resyncs, and those sent
//     through Session directly;
//   - output states are read from SYSTem:STATus? (a hex word); CH3, a
//     fixed 2.5/3.3/5 V output, can be switched but its state cannot be
//     read back, so it is not among Channels and SafeState switches it off
//     without verifying it;
//   - SYSTem:ERRor? answers "0  No Error", which scpi parses;
//   - it has no OVP or OCP over SCPI, and the driver does not pretend.
type SPD3303X struct{ supply }

// SPD3303XCommandGap is the least time between commands the driver has
// the session keep.
const SPD3303XCommandGap = 10 * time.Millisecond

func init() {
	Register(Driver{
		Name:   "Siglent SPD3303X",
		Models: []string{"SPD3303X", "SPD3303X-E"},
		Match: func(id scpi.IDN) bool {
			return strings.HasPrefix(strings.ToUpper(id.Manufacturer), "SIGLENT") && isModel(id, "SPD3303X", "SPD3303X-E")
		},
		New: func(s *scpi.Session, id scpi.IDN) (Instrument, error) {
			chans := []Channel{{1, "CH1", 0, 32, 3.2}, {2, "CH2", 0, 32, 3.2}}
			s.SetCommandGap(SPD3303XCommandGap)
			return &SPD3303X{supply: supply{base: base{s, id}, channels: chans}}, nil
		},
	})
}

func (p *SPD3303X) write(ctx context.Context, format string, args ...any) error {
	return p.s.Do(ctx, func(tx *scpi.Tx) error { return tx.Writef(ctx, format, args...) })
}

func (p *SPD3303X) queryFloat(ctx context.Context, cmd string) (v float64, err error) {
	err = p.s.Do(ctx, func(tx *scpi.Tx) error { v, err = tx.QueryFloat(ctx, cmd); return err })
	return v, err
}

func (p *SPD3303X) SetVoltage(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkVoltage(ch, v); err != nil {
		return err
	}
	return p.write(ctx, "CH%d:VOLT %v", ch, volts(v))
}

func (p *SPD3303X) Voltage(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.queryFloat(ctx, fmt.Sprintf("CH%d:VOLT?", ch))
	return units.Voltage(v), err
}

func (p *SPD3303X) SetCurrentLimit(ctx context.Context, ch int, i units.Current) error {
	if err := p.checkCurrent(ch, i); err != nil {
		return err
	}
	return p.write(ctx, "CH%d:CURR %v", ch, amps(i))
}

func (p *SPD3303X) CurrentLimit(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.queryFloat(ctx, fmt.Sprintf("CH%d:CURR?", ch))
	return units.Current(i), err
}

func (p *SPD3303X) SetOutput(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Do(ctx, func(tx *scpi.Tx) error {
		if err := p.refuseOn(ch, on); err != nil {
			return err
		}
		return tx.Writef(ctx, "OUTP CH%d,%s", ch, onOff(on))
	})
}

// status reads SYSTem:STATus?: bits 0/1 CH1/CH2 in CC, bits 4/5 CH1/CH2
// on.
func (p *SPD3303X) status(ctx context.Context) (uint64, error) {
	var word uint64
	err := p.s.Do(ctx, func(tx *scpi.Tx) error {
		r, err := tx.Query(ctx, "SYST:STAT?")
		if err != nil {
			return err
		}
		word, err = strconv.ParseUint(strings.TrimPrefix(strings.TrimSpace(r), "0x"), 16, 16)
		if err != nil {
			return &scpi.OpError{Op: "query", Command: "SYST:STAT?", Err: &scpi.ParseError{Want: "a hex status word", Input: r, Why: "not hex"}}
		}
		return nil
	})
	return word, err
}

func (p *SPD3303X) Output(ctx context.Context, ch int) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	w, err := p.status(ctx)
	return w&(1<<(3+ch)) != 0, err
}

// SetAllOutputs switches CH1, CH2 and CH3.
func (p *SPD3303X) SetAllOutputs(ctx context.Context, on bool) error {
	return eachOutput(on, 3, func(i int) error {
		return p.s.Do(ctx, func(tx *scpi.Tx) error {
			if err := p.refuseOn(0, on); err != nil {
				return err
			}
			return tx.Writef(ctx, "OUTP CH%d,%s", i+1, onOff(on))
		})
	})
}

func (p *SPD3303X) MeasureVoltage(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.queryFloat(ctx, fmt.Sprintf("MEAS:VOLT? CH%d", ch))
	return units.Voltage(v), err
}

func (p *SPD3303X) MeasureCurrent(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.queryFloat(ctx, fmt.Sprintf("MEAS:CURR? CH%d", ch))
	return units.Current(i), err
}

func (p *SPD3303X) Mode(ctx context.Context, ch int) (Mode, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	w, err := p.status(ctx)
	switch {
	case err != nil:
		return 0, err
	case w&(1<<(3+ch)) == 0:
		return ModeOff, nil
	case w&(1<<(ch-1)) != 0:
		return ModeCC, nil
	}
	return ModeCV, nil
}

// SafeState switches all three outputs off and verifies CH1 and CH2 (CH3's
// state cannot be read on this model).
func (p *SPD3303X) SafeState(ctx context.Context) error {
	return p.safeOff(ctx, p.SetAllOutputs, p.Output)
}
