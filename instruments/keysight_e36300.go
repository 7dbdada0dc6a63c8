package instruments

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// E36300 drives the Keysight E36300 series triple-output supplies
// (E36311A, E36312A, E36313A), after the E36300 Series Programming Guide:
// every command names its channel with a channel list, so no channel
// selection state is involved.
type E36300 struct{ supply }

// E36300Tracking is an E36312A or E36313A, whose outputs 2 and 3 can
// track each other; the E36311A cannot, and its driver does not pretend.
type E36300Tracking struct{ E36300 }

var e36300Channels = map[string][]Channel{
	"E36311A": {{1, "CH1", 0, 6.18, 5.15}, {2, "CH2", 0, 25.75, 1.03}, {3, "CH3", -25.75, 0, 1.03}},
	"E36312A": {{1, "CH1", 0, 6.18, 5.15}, {2, "CH2", 0, 25.75, 1.03}, {3, "CH3", 0, 25.75, 1.03}},
	"E36313A": {{1, "CH1", 0, 6.18, 10.3}, {2, "CH2", 0, 25.75, 2.06}, {3, "CH3", 0, 25.75, 2.06}},
}

func init() {
	Register(Driver{
		Name:   "Keysight E36300",
		Models: []string{"E36311A", "E36312A", "E36313A"},
		Match: func(id scpi.IDN) bool {
			return isModel(id, "E36311A", "E36312A", "E36313A")
		},
		New: func(s *scpi.Session, id scpi.IDN) (Instrument, error) {
			model := strings.ToUpper(id.Model)
			b, chans := base{s, id}, e36300Channels[model]
			if model == "E36311A" {
				return &E36300{supply{base: b, channels: chans}}, nil
			}
			return &E36300Tracking{E36300{supply{base: b, channels: chans}}}, nil
		},
	})
}

func (p *E36300) SetVoltage(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkVoltage(ch, v); err != nil {
		return err
	}
	return p.s.Writef(ctx, "VOLT %v,(@%d)", volts(v), ch)
}

func (p *E36300) Voltage(ctx context.Context, ch int) (units.Voltage, error) {
	v, err := p.queryFloat(ctx, ch, "VOLT? (@%d)", ch)
	return units.Voltage(v), err
}

func (p *E36300) SetCurrentLimit(ctx context.Context, ch int, i units.Current) error {
	if err := p.checkCurrent(ch, i); err != nil {
		return err
	}
	return p.s.Writef(ctx, "CURR %v,(@%d)", amps(i), ch)
}

func (p *E36300) CurrentLimit(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.s.QueryFloat(ctx, fmt.Sprintf("CURR? (@%d)", ch))
	return units.Current(i), err
}

func (p *E36300) SetOutput(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.switchOutputs(ctx, ch, on, func(tx *scpi.Tx) error {
		if on && p.anyFenced() {
			// Outputs coupled with OUTPut:COUPle:CHANnel switch on together:
			// switching this one on would switch a fenced one on too.
			coupled, err := p.coupledWith(ctx, tx, ch)
			if err != nil {
				return err
			}
			for _, c := range coupled {
				if err := p.refuseOn(c, true); err != nil {
					return fmt.Errorf("%w (coupled with output %d by OUTPut:COUPle:CHANnel)", err, ch)
				}
			}
		}
		return tx.Writef(ctx, "OUTP %s,(@%d)", onOff(on), ch)
	})
}

// coupledWith returns the outputs OUTPut:COUPle:CHANnel? couples with ch
// (none when ch is not coupled). A reply it cannot read is an error: the
// output is then not switched on.
func (p *E36300) coupledWith(ctx context.Context, tx *scpi.Tx, ch int) ([]int, error) {
	reply, err := tx.Query(ctx, "OUTP:COUP:CHAN?")
	if err != nil {
		return nil, err
	}
	var coupled []int
	switch list := strings.ToUpper(strings.Trim(strings.TrimSpace(reply), `"`)); list {
	case "ALL":
		for _, c := range p.channels {
			coupled = append(coupled, c.Number)
		}
	case "NONE", "":
	default:
		for _, name := range strings.Split(list, ",") {
			n, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(name), "CH"))
			if err != nil || !strings.HasPrefix(strings.TrimSpace(name), "CH") {
				return nil, fmt.Errorf("instruments: %s: OUTP:COUP:CHAN? answered %q: %w", p.id.Model, reply, scpi.ErrMalformed)
			}
			coupled = append(coupled, n)
		}
	}
	if !slices.Contains(coupled, ch) {
		return nil, nil
	}
	return coupled, nil
}

func (p *E36300) Output(ctx context.Context, ch int) (bool, error) {
	return p.queryBool(ctx, ch, "OUTP? (@%d)", ch)
}

func (p *E36300) SetAllOutputs(ctx context.Context, on bool) error {
	return p.switchOutputs(ctx, 0, on, func(tx *scpi.Tx) error {
		return tx.Writef(ctx, "OUTP %s,(@1:%d)", onOff(on), len(p.channels))
	})
}

func (p *E36300) MeasureVoltage(ctx context.Context, ch int) (units.Voltage, error) {
	v, err := p.queryFloat(ctx, ch, "MEAS:VOLT? (@%d)", ch)
	return units.Voltage(v), err
}

func (p *E36300) MeasureCurrent(ctx context.Context, ch int) (units.Current, error) {
	i, err := p.queryFloat(ctx, ch, "MEAS:CURR? (@%d)", ch)
	return units.Current(i), err
}

// Mode reads the questionable instrument summary condition register of
// the channel: 2 is CV, 1 CC, 0 off, 3 neither.
func (p *E36300) Mode(ctx context.Context, ch int) (Mode, error) { return p.isumMode(ctx, ch) }

// SafeState switches all outputs off in one command and reads each back.
func (p *E36300) SafeState(ctx context.Context) error {
	return p.safeOff(ctx, p.SetAllOutputs, p.Output)
}

func (p *E36300) SetOVPLevel(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkOVP(ch, v); err != nil {
		return err
	}
	return p.s.Writef(ctx, "VOLT:PROT %v,(@%d)", volts(v), ch)
}

func (p *E36300) OVPLevel(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.s.QueryFloat(ctx, fmt.Sprintf("VOLT:PROT? (@%d)", ch))
	return units.Voltage(v), err
}

func (p *E36300) OVPTripped(ctx context.Context, ch int) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	return p.s.QueryBool(ctx, fmt.Sprintf("VOLT:PROT:TRIP? (@%d)", ch))
}

func (p *E36300) ClearOVP(ctx context.Context, ch int) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Writef(ctx, "VOLT:PROT:CLE (@%d)", ch)
}

func (p *E36300) SetOCP(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Writef(ctx, "CURR:PROT:STAT %s,(@%d)", onOff(on), ch)
}

func (p *E36300) OCPEnabled(ctx context.Context, ch int) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	return p.s.QueryBool(ctx, fmt.Sprintf("CURR:PROT:STAT? (@%d)", ch))
}

func (p *E36300) OCPTripped(ctx context.Context, ch int) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	return p.s.QueryBool(ctx, fmt.Sprintf("CURR:PROT:TRIP? (@%d)", ch))
}

func (p *E36300) ClearOCP(ctx context.Context, ch int) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Writef(ctx, "CURR:PROT:CLE (@%d)", ch)
}

func (p *E36300) SetRemoteSense(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	source := "INT"
	if on {
		source = "EXT"
	}
	return p.s.Writef(ctx, "VOLT:SENS:SOUR %s,(@%d)", source, ch)
}

// SetTracking makes outputs 2 and 3 track each other.
func (p *E36300Tracking) SetTracking(ctx context.Context, on bool) error {
	return p.s.Writef(ctx, "OUTP:TRAC %s", onOff(on))
}
