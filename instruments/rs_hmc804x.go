package instruments

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// HMC804x drives the Rohde & Schwarz HMC8041, HMC8042 and HMC8043, after
// the HMC804x SCPI manual: INSTrument:NSELect selects the channel the
// other commands act on, so each method selects and acts in one locked
// sequence. An output is live only while its channel switch and the
// master switch are both on: SetOutput(ch, true) turns on both,
// SetOutput(ch, false) only the channel's, and Output reports whether the
// output is live. The master switch itself is MasterSwitch.
type HMC804x struct{ supply }

// MasterSwitch is a supply with a master output switch over its
// channels' own switches.
type MasterSwitch interface {
	SetMasterOutput(ctx context.Context, on bool) error
	MasterOutput(ctx context.Context) (bool, error)
}

func init() {
	Register(Driver{
		Name:   "Rohde & Schwarz HMC804x",
		Models: []string{"HMC8041", "HMC8042", "HMC8043"},
		Match: func(id scpi.IDN) bool {
			return isModel(id, "HMC8041", "HMC8042", "HMC8043")
		},
		New: func(s *scpi.Session, id scpi.IDN) (Instrument, error) {
			model := strings.ToUpper(id.Model)
			n := int(model[len(model)-1] - '0')
			maxI := map[int]units.Current{1: 10, 2: 5, 3: 3}[n]
			var chans []Channel
			for ch := 1; ch <= n; ch++ {
				chans = append(chans, Channel{ch, fmt.Sprintf("OUT%d", ch), 0, 32.05, maxI})
			}
			return &HMC804x{supply{base: base{s, id}, channels: chans}}, nil
		},
	})
}

// selected runs fn after INSTrument:NSELect selects channel ch.
func (p *HMC804x) selected(ctx context.Context, ch int, fn func(tx *scpi.Tx) error) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.s.Do(ctx, func(tx *scpi.Tx) error {
		if err := tx.Writef(ctx, "INST:NSEL %d", ch); err != nil {
			return err
		}
		return fn(tx)
	})
}

func (p *HMC804x) queryFloat(ctx context.Context, ch int, cmd string) (v float64, err error) {
	err = p.selected(ctx, ch, func(tx *scpi.Tx) error { v, err = tx.QueryFloat(ctx, cmd); return err })
	return v, err
}

func (p *HMC804x) queryBool(ctx context.Context, ch int, cmd string) (b bool, err error) {
	err = p.selected(ctx, ch, func(tx *scpi.Tx) error { b, err = tx.QueryBool(ctx, cmd); return err })
	return b, err
}

func (p *HMC804x) write(ctx context.Context, ch int, format string, args ...any) error {
	return p.selected(ctx, ch, func(tx *scpi.Tx) error { return tx.Writef(ctx, format, args...) })
}

func (p *HMC804x) SetVoltage(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkVoltage(ch, v); err != nil {
		return err
	}
	return p.write(ctx, ch, "VOLT %v", volts(v))
}

func (p *HMC804x) Voltage(ctx context.Context, ch int) (units.Voltage, error) {
	v, err := p.queryFloat(ctx, ch, "VOLT?")
	return units.Voltage(v), err
}

func (p *HMC804x) SetCurrentLimit(ctx context.Context, ch int, i units.Current) error {
	if err := p.checkCurrent(ch, i); err != nil {
		return err
	}
	return p.write(ctx, ch, "CURR %v", amps(i))
}

func (p *HMC804x) CurrentLimit(ctx context.Context, ch int) (units.Current, error) {
	i, err := p.queryFloat(ctx, ch, "CURR?")
	return units.Current(i), err
}

// SetOutput switches the channel; switching on also switches the master
// on, so the output is live as asked.
func (p *HMC804x) SetOutput(ctx context.Context, ch int, on bool) error {
	return p.selected(ctx, ch, func(tx *scpi.Tx) error {
		if err := p.refuseOn(ch, on); err != nil {
			return err
		}
		if err := tx.Writef(ctx, "OUTP:CHAN %s", onOff(on)); err != nil || !on {
			return err
		}
		return tx.Write(ctx, "OUTP:MAST ON")
	})
}

// Output reports whether the output is live: its channel and the master
// both on.
func (p *HMC804x) Output(ctx context.Context, ch int) (live bool, err error) {
	err = p.selected(ctx, ch, func(tx *scpi.Tx) error {
		chOn, err := tx.QueryBool(ctx, "OUTP:CHAN?")
		if err != nil || !chOn {
			return err
		}
		live, err = tx.QueryBool(ctx, "OUTP:MAST?")
		return err
	})
	return live, err
}

func (p *HMC804x) SetAllOutputs(ctx context.Context, on bool) error {
	return p.switchOutputs(ctx, 0, on, func(tx *scpi.Tx) error {
		var master error
		if !on {
			// The master first: everything goes dead at once. Should it
			// fail, each channel is still switched off on its own.
			master = tx.Write(ctx, "OUTP:MAST OFF")
		}
		err := eachOutput(on, len(p.channels), func(i int) error {
			if err := tx.Writef(ctx, "INST:NSEL %d", p.channels[i].Number); err != nil {
				return err
			}
			return tx.Writef(ctx, "OUTP:CHAN %s", onOff(on))
		})
		if err == nil && on {
			err = tx.Write(ctx, "OUTP:MAST ON")
		}
		return errors.Join(master, err)
	})
}

func (p *HMC804x) MeasureVoltage(ctx context.Context, ch int) (units.Voltage, error) {
	v, err := p.queryFloat(ctx, ch, "MEAS:VOLT?")
	return units.Voltage(v), err
}

func (p *HMC804x) MeasureCurrent(ctx context.Context, ch int) (units.Current, error) {
	i, err := p.queryFloat(ctx, ch, "MEAS:CURR?")
	return units.Current(i), err
}

// Mode reads the channel's questionable instrument summary condition: 2
// CV, 1 CC, 0 off.
func (p *HMC804x) Mode(ctx context.Context, ch int) (Mode, error) { return p.isumMode(ctx, ch) }

// SafeState switches the master and every channel off and reads each
// output back.
func (p *HMC804x) SafeState(ctx context.Context) error {
	return p.safeOff(ctx, p.SetAllOutputs, p.Output)
}

func (p *HMC804x) SetMasterOutput(ctx context.Context, on bool) error {
	return p.switchOutputs(ctx, 0, on, func(tx *scpi.Tx) error { return tx.Writef(ctx, "OUTP:MAST %s", onOff(on)) })
}

func (p *HMC804x) MasterOutput(ctx context.Context) (bool, error) {
	return p.s.QueryBool(ctx, "OUTP:MAST?")
}

func (p *HMC804x) SetOVPLevel(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkOVP(ch, v); err != nil {
		return err
	}
	// The level, then the state (VOLT:PROT alone): OVP left off by the
	// front panel or a saved setup would otherwise not protect at all.
	return p.selected(ctx, ch, func(tx *scpi.Tx) error {
		if err := tx.Writef(ctx, "VOLT:PROT:LEV %v", volts(v)); err != nil {
			return err
		}
		return tx.Write(ctx, "VOLT:PROT ON")
	})
}

func (p *HMC804x) OVPLevel(ctx context.Context, ch int) (units.Voltage, error) {
	v, err := p.queryFloat(ctx, ch, "VOLT:PROT:LEV?")
	return units.Voltage(v), err
}

func (p *HMC804x) OVPTripped(ctx context.Context, ch int) (bool, error) {
	return p.queryBool(ctx, ch, "VOLT:PROT:TRIP?")
}

func (p *HMC804x) ClearOVP(ctx context.Context, ch int) error {
	return p.write(ctx, ch, "VOLT:PROT:CLE")
}

// SetOCP arms the channel's electronic fuse.
func (p *HMC804x) SetOCP(ctx context.Context, ch int, on bool) error {
	return p.write(ctx, ch, "FUSE %s", onOff(on))
}

func (p *HMC804x) OCPEnabled(ctx context.Context, ch int) (bool, error) {
	return p.queryBool(ctx, ch, "FUSE?")
}

func (p *HMC804x) OCPTripped(ctx context.Context, ch int) (bool, error) {
	return p.queryBool(ctx, ch, "FUSE:TRIP?")
}

// ClearOCP resets a blown fuse, which the HMC804x does when the channel
// is switched off; the channel stays off.
func (p *HMC804x) ClearOCP(ctx context.Context, ch int) error {
	return p.write(ctx, ch, "OUTP:CHAN OFF")
}
