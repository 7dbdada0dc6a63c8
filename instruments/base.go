package instruments

import (
	"context"
	"errors"
	"fmt"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// base is what every driver shares: the session and the identity.
type base struct {
	s  *scpi.Session
	id scpi.IDN
}

func (b *base) Identity() scpi.IDN     { return b.id }
func (b *base) Session() *scpi.Session { return b.s }
func (b *base) Close() error           { return b.s.Close() }

// supply is what every supply driver shares: its channels and the checks
// that refuse a value before anything is sent.
type supply struct {
	base
	channels []Channel
	fence    fence // the outputs a safe state has fenced off
}

func (p *supply) Channels() []Channel { return append([]Channel(nil), p.channels...) }

func (p *supply) channel(ch int) (Channel, error) {
	if ch < 1 || ch > len(p.channels) {
		return Channel{}, fmt.Errorf("instruments: %s: %w %d (it has %d)", p.id.Model, ErrNoChannel, ch, len(p.channels))
	}
	return p.channels[ch-1], nil
}

// queryFloat checks the channel, then sends format with args and reads a
// number: the channel check every per-channel query of a driver needs,
// written once.
func (p *supply) queryFloat(ctx context.Context, ch int, format string, args ...any) (float64, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	return p.s.QueryFloat(ctx, fmt.Sprintf(format, args...))
}

// queryBool is queryFloat for a 1/0 or ON/OFF answer.
func (p *supply) queryBool(ctx context.Context, ch int, format string, args ...any) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	return p.s.QueryBool(ctx, fmt.Sprintf(format, args...))
}

func (p *supply) checkVoltage(ch int, v units.Voltage) error {
	c, err := p.channel(ch)
	if err != nil {
		return err
	}
	if v < c.MinVoltage || v > c.MaxVoltage {
		return &RangeError{Model: p.id.Model, Channel: ch, Quantity: "voltage", Value: v, Min: c.MinVoltage, Max: c.MaxVoltage}
	}
	return nil
}

func (p *supply) checkCurrent(ch int, i units.Current) error {
	c, err := p.channel(ch)
	if err != nil {
		return err
	}
	if i < 0 || i > c.MaxCurrent {
		return &RangeError{Model: p.id.Model, Channel: ch, Quantity: "current limit", Value: i, Min: units.Current(0), Max: c.MaxCurrent}
	}
	return nil
}

// checkOVP allows an OVP level up to 110% of the output's span.
func (p *supply) checkOVP(ch int, v units.Voltage) error {
	c, err := p.channel(ch)
	if err != nil {
		return err
	}
	span := max(c.MaxVoltage, -c.MinVoltage)
	if v <= 0 || v > 1.1*span {
		return &RangeError{Model: p.id.Model, Channel: ch, Quantity: "OVP level", Value: v, Min: units.Voltage(0), Max: 1.1 * span}
	}
	return nil
}

// safeOff is a supply's SafeState: setAll switches every output off (going
// on past one that fails: see eachOutput), then every output is read
// back whatever setAll returned. The read-back decides: a command that
// failed but took effect leaves the outputs verified off.
func (p *supply) safeOff(ctx context.Context, setAll func(context.Context, bool) error, output func(context.Context, int) (bool, error)) error {
	offErr := setAll(ctx, false)
	if err := p.verifyOff(ctx, output); err != nil {
		if offErr != nil {
			return fmt.Errorf("%w (switching off: %w)", err, offErr)
		}
		return err
	}
	return nil
}

// eachOutput runs switch for each of n outputs (or steps). Switching on
// stops at the first that fails; switching off goes on past it, so that
// one channel that times out does not leave the others on, and returns
// every failure.
func eachOutput(on bool, n int, switchOne func(i int) error) error {
	var errs []error
	for i := range n {
		if err := switchOne(i); err != nil {
			if on {
				return err
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// verifyOff reads every output back; any still on is ErrUnsafe.
func (p *supply) verifyOff(ctx context.Context, output func(context.Context, int) (bool, error)) error {
	var errs []error
	for _, c := range p.channels {
		on, err := output(ctx, c.Number)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("channel %d: %w", c.Number, err))
		case on:
			errs = append(errs, fmt.Errorf("channel %d still on", c.Number))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("instruments: %s safe state: %w: %w", p.id.Model, ErrUnsafe, errors.Join(errs...))
	}
	return nil
}

// isumMode reads the channel's questionable instrument summary condition
// register, as SCPI-99 and Keysight, Agilent and R&S supplies define it:
// bit 0 set is CC (voltage unregulated), bit 1 set is CV (current
// unregulated), neither is off, both is unregulated.
func (p *supply) isumMode(ctx context.Context, ch int) (Mode, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	cond, err := p.s.QueryInt(ctx, fmt.Sprintf("STAT:QUES:INST:ISUM%d:COND?", ch))
	if err != nil {
		return 0, err
	}
	return [...]Mode{ModeOff, ModeCC, ModeCV, ModeUnregulated}[cond&3], nil
}

func onOff(on bool) string {
	if on {
		return "ON"
	}
	return "OFF"
}

func volts(v units.Voltage) float64 { return float64(v) }
func amps(i units.Current) float64  { return float64(i) }
