package instruments

import (
	"context"
	"fmt"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// GenericSupply drives any supply that follows the SCPI-99 DC power
// supply instrument class: SOURce<n>:VOLTage, SOURce<n>:CURRent,
// OUTPut<n>[:STATe], MEASure:VOLTage? (@<n>), and the questionable
// instrument summary registers for CV/CC. Open uses it for instruments no
// other driver matches.
type GenericSupply struct{ supply }

// NewGenericSupply finds the supply's channels and their ranges by asking
// SOURce<n>:VOLTage? MAX for n = 1, 2, ... until one is refused. A refused
// probe gets no answer, and none may cost a timeout. Over a stream link
// (a socket, serial) each probe is followed by *IDN? as a sentinel:
// whichever reply comes first tells. So over HiSLIP, whose instrument
// sends a reply unasked. Over a link whose instrument holds a reply until
// it is read (VXI-11, GPIB, USBTMC), anything sent after the probe would
// discard its reply (-410 Query INTERRUPTED), so the status byte, read
// out of band, tells instead: MAV for a reply, the error queue's bit for
// a refusal.
func NewGenericSupply(ctx context.Context, s *scpi.Session, id scpi.IDN) (*GenericSupply, error) {
	p := &GenericSupply{supply{base: base{s, id}}}
	byStatus := s.HoldsReplies()
	if byStatus {
		// The error queue's bit must tell of the probes alone.
		if _, err := s.Errors(ctx); err != nil {
			return nil, fmt.Errorf("instruments: probing %s %s: %w", id.Manufacturer, id.Model, err)
		}
	}
	for n := 1; n <= 8; n++ {
		c, ok, err := p.probe(ctx, n, byStatus)
		if err != nil {
			return nil, fmt.Errorf("instruments: probing %s %s: %w", id.Manufacturer, id.Model, err)
		}
		if !ok {
			break
		}
		p.channels = append(p.channels, c)
	}
	if len(p.channels) == 0 {
		return nil, fmt.Errorf("instruments: %s %s answers no SCPI-99 supply commands (SOUR1:VOLT? MAX)", id.Manufacturer, id.Model)
	}
	if _, err := s.Errors(ctx); err != nil { // the refused probe queued an error
		return nil, err
	}
	return p, nil
}

func (p *GenericSupply) probe(ctx context.Context, n int, byStatus bool) (c Channel, ok bool, err error) {
	err = p.s.Do(ctx, func(tx *scpi.Tx) error {
		if err := tx.Writef(ctx, "SOUR%d:VOLT? MAX", n); err != nil {
			return err
		}
		var first string
		if byStatus {
			answered, err := awaitReply(ctx, tx)
			if err != nil || !answered {
				return err
			}
			if first, err = tx.Read(ctx); err != nil {
				return err
			}
		} else {
			first, err = tx.Query(ctx, "*IDN?")
			if err != nil {
				return err
			}
			if id, err := scpi.ParseIDN(first); err == nil && id == p.id {
				return nil // no answer to the probe: no such channel
			}
		}
		maxV, err := scpi.ParseFloat(first)
		if err != nil {
			return err
		}
		if !byStatus {
			if _, err := tx.Read(ctx); err != nil { // the sentinel's reply
				return err
			}
		}
		minV, err := tx.QueryFloat(ctx, fmt.Sprintf("SOUR%d:VOLT? MIN", n))
		if err != nil {
			return err
		}
		maxI, err := tx.QueryFloat(ctx, fmt.Sprintf("SOUR%d:CURR? MAX", n))
		if err != nil {
			return err
		}
		c = Channel{Number: n, Name: fmt.Sprintf("SOURce%d", n), MinVoltage: units.Voltage(minV),
			MaxVoltage: units.Voltage(maxV), MaxCurrent: units.Current(maxI)}
		ok = true
		return nil
	})
	return c, ok, err
}

// probeWait bounds how long awaitReply watches the status byte when ctx
// has no deadline: the session's default timeout.
const probeWait = 5 * time.Second

// awaitReply watches the status byte after a query until it shows a
// reply waiting (MAV: true) or an error queued (false), polling at 1 ms,
// then more slowly, up to every 50 ms.
func awaitReply(ctx context.Context, tx *scpi.Tx) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, probeWait) // the earlier of the two
	defer cancel()
	wait := time.Millisecond
	t := time.NewTimer(0)
	defer t.Stop()
	<-t.C
	for {
		stb, err := tx.StatusByte(ctx)
		if err != nil {
			return false, err
		}
		switch {
		case stb&scpi.StatusMAV != 0:
			return true, nil
		case stb&scpi.StatusErrorQueue != 0:
			return false, nil
		}
		t.Reset(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			return false, fmt.Errorf("neither a reply (MAV) nor an error (the error queue's bit) showed in the status byte (last %#02x): %w", stb, context.Cause(ctx))
		}
		wait = min(2*wait, 50*time.Millisecond)
	}
}

func (p *GenericSupply) SetVoltage(ctx context.Context, ch int, v units.Voltage) error {
	if err := p.checkVoltage(ch, v); err != nil {
		return err
	}
	return p.s.Writef(ctx, "SOUR%d:VOLT %v", ch, volts(v))
}

func (p *GenericSupply) Voltage(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.s.QueryFloat(ctx, fmt.Sprintf("SOUR%d:VOLT?", ch))
	return units.Voltage(v), err
}

func (p *GenericSupply) SetCurrentLimit(ctx context.Context, ch int, i units.Current) error {
	if err := p.checkCurrent(ch, i); err != nil {
		return err
	}
	return p.s.Writef(ctx, "SOUR%d:CURR %v", ch, amps(i))
}

func (p *GenericSupply) CurrentLimit(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.s.QueryFloat(ctx, fmt.Sprintf("SOUR%d:CURR?", ch))
	return units.Current(i), err
}

func (p *GenericSupply) SetOutput(ctx context.Context, ch int, on bool) error {
	if _, err := p.channel(ch); err != nil {
		return err
	}
	return p.switchOutputs(ctx, ch, on, func(tx *scpi.Tx) error {
		return tx.Writef(ctx, "OUTP%d %s", ch, onOff(on))
	})
}

func (p *GenericSupply) Output(ctx context.Context, ch int) (bool, error) {
	if _, err := p.channel(ch); err != nil {
		return false, err
	}
	return p.s.QueryBool(ctx, fmt.Sprintf("OUTP%d?", ch))
}

func (p *GenericSupply) SetAllOutputs(ctx context.Context, on bool) error {
	return p.switchOutputs(ctx, 0, on, func(tx *scpi.Tx) error {
		return eachOutput(on, len(p.channels), func(i int) error {
			return tx.Writef(ctx, "OUTP%d %s", p.channels[i].Number, onOff(on))
		})
	})
}

func (p *GenericSupply) MeasureVoltage(ctx context.Context, ch int) (units.Voltage, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	v, err := p.s.QueryFloat(ctx, fmt.Sprintf("MEAS:VOLT? (@%d)", ch))
	return units.Voltage(v), err
}

func (p *GenericSupply) MeasureCurrent(ctx context.Context, ch int) (units.Current, error) {
	if _, err := p.channel(ch); err != nil {
		return 0, err
	}
	i, err := p.s.QueryFloat(ctx, fmt.Sprintf("MEAS:CURR? (@%d)", ch))
	return units.Current(i), err
}

// Mode reads the SCPI-99 questionable instrument summary condition: bit 0
// voltage unregulated (CC), bit 1 current unregulated (CV).
func (p *GenericSupply) Mode(ctx context.Context, ch int) (Mode, error) { return p.isumMode(ctx, ch) }

func (p *GenericSupply) SafeState(ctx context.Context) error {
	return p.safeOff(ctx, p.SetAllOutputs, p.Output)
}
