package instruments

import (
	"context"
	"fmt"
	"strings"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// DP800 drives the Rigol DP800 series (DP832, DP831, DP821, DP811 and
// their A variants, the same channels with a higher resolution), after
// the DP800 Programming Guide: levels through [:SOURce<n>], switches and
// measurements with a CHn parameter, protection under :OUTPut:OVP and
// :OUTPut:OCP. There is no all-outputs command: SetAllOutputs switches
// each channel in one locked sequence.
type DP800 struct{ supply }

var dp800Channels = map[string][]Channel{
	"DP832": {{1, "CH1", 0, 32, 3.2}, {2, "CH2", 0, 32, 3.2}, {3, "CH3", 0, 5.3, 3.2}},
	"DP831": {{1, "CH1", 0, 8.4, 5.3}, {2, "CH2", 0, 32, 2.1}, {3, "CH3", -32, 0, 2.1}},
	"DP821": {{1, "CH1", 0, 63, 1.05}, {2, "CH2", 0, 8.4, 10.5}},
	"DP811": {{1, "CH1", 0, 21, 10.5}},
}

func init() {
	Register(Driver{
		Name:   "Rigol DP800",
		Models: []string{"DP832", "DP832A", "DP831", "DP831A", "DP821", "DP821A", "DP811", "DP811A"},
		Match: func(id scpi.IDN) bool {
			_, ok := dp800Channels[dp800Base(id.Model)]
			return strings.HasPrefix(strings.ToUpper(id.Manufacturer), "RIGOL") && ok
		},
		New: func(s *scpi.Session, id scpi.IDN) (Instrument, error) {
			return &DP800{supply{base: base{s, id}, channels: dp800Channels[dp800Base(id.Model)]}}, nil
		},
	})
}

// dp800Base is the model whose channels model has: an A variant (DP832A)
// has its sibling's (DP832) outputs and ranges, only a finer resolution
// (DP800 User Guide, specifications).
func dp800Base(model string) string {
	m := strings.ToUpper(strings.TrimSpace(model))
	if _, ok := dp800Channels[m]; !ok && strings.HasSuffix(m, "A") {
		m = strings.TrimSuffix(m, "A")
	}
	return m
}

func (p *DP800) SetVoltage(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkVoltage(ch, v); err != nil {
		return err
	}
	return p.s.Writef(ctx, ":SOUR%d:VOLT %v", ch, volts(v))
}

func (p *DP800) Voltage(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.s.QueryFloat(ctx, fmt.Sprintf(":SOUR%d:VOLT?", ch))
	return units.Voltage(v), err
}

func (p *DP800) SetCurrentLimit(ctx context.Context, ch int, i units.Current) error {
	if err := p.checkCurrent(ch, i); err != nil {
		return err
	}
	return p.s.Writef(ctx, ":SOUR%d:CURR %v", ch, amps(i))
}

func (p *DP800) CurrentLimit(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.s.QueryFloat(ctx, fmt.Sprintf(":SOUR%d:CURR?", ch))
	return units.Current(i), err
}

func (p *DP800) SetOutput(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.switchOutputs(ctx, ch, on, func(tx *scpi.Tx) error {
		return tx.Writef(ctx, ":OUTP CH%d,%s", ch, onOff(on))
	})
}

func (p *DP800) Output(ctx context.Context, ch int) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	return p.s.QueryBool(ctx, fmt.Sprintf(":OUTP? CH%d", ch)) // ON or OFF
}

func (p *DP800) SetAllOutputs(ctx context.Context, on bool) error {
	return p.switchOutputs(ctx, 0, on, func(tx *scpi.Tx) error {
		return eachOutput(on, len(p.channels), func(i int) error {
			return tx.Writef(ctx, ":OUTP CH%d,%s", p.channels[i].Number, onOff(on))
		})
	})
}

func (p *DP800) MeasureVoltage(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.s.QueryFloat(ctx, fmt.Sprintf(":MEAS:VOLT? CH%d", ch))
	return units.Voltage(v), err
}

func (p *DP800) MeasureCurrent(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.s.QueryFloat(ctx, fmt.Sprintf(":MEAS:CURR? CH%d", ch))
	return units.Current(i), err
}

// Mode reads :OUTPut:MODE?, which answers CV, CC or UR; an output that is
// off reports CV, so its state is read first, in the same locked sequence.
func (p *DP800) Mode(ctx context.Context, ch int) (Mode, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	var m Mode
	err := p.s.Do(ctx, func(tx *scpi.Tx) error {
		on, err := tx.QueryBool(ctx, fmt.Sprintf(":OUTP? CH%d", ch))
		if err != nil || !on {
			m = ModeOff
			return err
		}
		cmd := fmt.Sprintf(":OUTP:MODE? CH%d", ch)
		r, err := tx.Query(ctx, cmd)
		if err != nil {
			return err
		}
		switch strings.TrimSpace(r) {
		case "CV":
			m = ModeCV
		case "CC":
			m = ModeCC
		case "UR":
			m = ModeUnregulated
		default:
			// A garbled reply is not a state of the output.
			return &scpi.OpError{Op: "query", Resource: p.s.Resource(), Command: cmd, Err: &scpi.ParseError{Want: "CV, CC or UR", Input: r, Why: "unexpected answer"}}
		}
		return nil
	})
	return m, err
}

// SafeState switches each output off, then reads each back.
func (p *DP800) SafeState(ctx context.Context) error {
	return p.safeOff(ctx, p.SetAllOutputs, p.Output)
}

// SetOVPLevel sets the level and switches the protection on.
func (p *DP800) SetOVPLevel(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkOVP(ch, v); err != nil {
		return err
	}
	return p.s.Do(ctx, func(tx *scpi.Tx) error {
		if err := tx.Writef(ctx, ":OUTP:OVP:VAL CH%d,%v", ch, volts(v)); err != nil {
			return err
		}
		return tx.Writef(ctx, ":OUTP:OVP CH%d,ON", ch)
	})
}

func (p *DP800) OVPLevel(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.s.QueryFloat(ctx, fmt.Sprintf(":OUTP:OVP:VAL? CH%d", ch))
	return units.Voltage(v), err
}

func (p *DP800) OVPTripped(ctx context.Context, ch int) (bool, error) {
	return p.question(ctx, ch, "OVP")
}

func (p *DP800) ClearOVP(ctx context.Context, ch int) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Writef(ctx, ":OUTP:OVP:CLEAR CH%d", ch)
}

func (p *DP800) SetOCP(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Writef(ctx, ":OUTP:OCP CH%d,%s", ch, onOff(on))
}

// SetOCPLevel sets the current above which OCP switches the output off
// (:OUTP:OCP:VAL): the DP800's OCP trips there, not at the current
// limit.
func (p *DP800) SetOCPLevel(ctx context.Context, ch int, i units.Current) error {
	if err := p.checkCurrent(ch, i); err != nil {
		return err
	}
	return p.s.Writef(ctx, ":OUTP:OCP:VAL CH%d,%v", ch, amps(i))
}

func (p *DP800) OCPLevel(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.s.QueryFloat(ctx, fmt.Sprintf(":OUTP:OCP:VAL? CH%d", ch))
	return units.Current(i), err
}

func (p *DP800) OCPEnabled(ctx context.Context, ch int) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	return p.s.QueryBool(ctx, fmt.Sprintf(":OUTP:OCP? CH%d", ch))
}

func (p *DP800) OCPTripped(ctx context.Context, ch int) (bool, error) {
	return p.question(ctx, ch, "OCP")
}

func (p *DP800) ClearOCP(ctx context.Context, ch int) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Writef(ctx, ":OUTP:OCP:CLEAR CH%d", ch)
}

// question reads :OUTPut:OVP:QUEStion? or :OCP:QUEStion?, which answer
// YES or NO.
func (p *DP800) question(ctx context.Context, ch int, which string) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	cmd := fmt.Sprintf(":OUTP:%s:QUES? CH%d", which, ch)
	r, err := p.s.Query(ctx, cmd)
	if err != nil {
		return false, err
	}
	switch strings.TrimSpace(r) {
	case "YES":
		return true, nil
	case "NO":
		return false, nil
	}
	return false, &scpi.OpError{Op: "query", Command: cmd, Err: &scpi.ParseError{Want: "YES or NO", Input: r, Why: "unexpected answer"}}
}
