package instruments

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// Truevolt drives the Keysight Truevolt DMMs (34460A, 34461A, 34465A,
// 34470A), after their operating and service guide: CONFigure, READ?,
// SAMPle:COUNt, INITiate and FETCh?. The 34465A and 34470A also transfer
// readings as REAL,64 blocks (TruevoltBinary).
type Truevolt struct{ base }

// TruevoltBinary is a 34465A or 34470A: a Truevolt with binary transfer.
type TruevoltBinary struct{ Truevolt }

var truevoltConfigure = []struct {
	cmd      string
	maxRange float64
}{
	DCVoltage:          {"CONF:VOLT:DC", 1000},
	ACVoltage:          {"CONF:VOLT:AC", 750},
	DCCurrent:          {"CONF:CURR:DC", 3}, // 10 on all but the 34460A
	ACCurrent:          {"CONF:CURR:AC", 3},
	Resistance:         {"CONF:RES", 1e8},
	FourWireResistance: {"CONF:FRES", 1e8},
}

func init() {
	Register(Driver{
		Name:   "Keysight Truevolt DMM",
		Models: []string{"34460A", "34461A", "34465A", "34470A"},
		Match:  func(id scpi.IDN) bool { return isModel(id, "34460A", "34461A", "34465A", "34470A") },
		New: func(s *scpi.Session, id scpi.IDN) (Instrument, error) {
			t := Truevolt{base{s, id}}
			if isModel(id, "34465A", "34470A") {
				return &TruevoltBinary{t}, nil
			}
			return &t, nil
		},
	})
}

func (m *Truevolt) Configure(ctx context.Context, f Function, rangeValue float64) error {
	if f < DCVoltage || f > FourWireResistance {
		return fmt.Errorf("instruments: %s: %w: function %d", m.id.Model, ErrNotSupported, f)
	}
	c := truevoltConfigure[f]
	if rangeValue == 0 {
		return m.s.Writef(ctx, "%s AUTO", c.cmd)
	}
	maxRange := c.maxRange
	if (f == DCCurrent || f == ACCurrent) && m.id.Model != "34460A" {
		maxRange = 10 // the 10 A terminal: all but the 34460A
	}
	if rangeValue < 0 || rangeValue > maxRange {
		return &RangeError{Model: m.id.Model, Quantity: f.String() + " range", Value: rangeValue, Min: 0, Max: maxRange}
	}
	return m.s.Writef(ctx, "%s %v", c.cmd, rangeValue)
}

// Read takes one reading with READ?, typed by the function CONFigure?
// reports (asked in the same locked exchange: the front panel or another
// program may have changed it since Configure).
func (m *Truevolt) Read(ctx context.Context) (q units.Quantity, err error) {
	err = m.s.Do(ctx, func(tx *scpi.Tx) error {
		for _, cmd := range []string{oneTrigger, "SAMP:COUN 1"} {
			if err := tx.Write(ctx, cmd); err != nil {
				return err
			}
		}
		conf, err := tx.Query(ctx, "CONF?")
		if err != nil {
			return err
		}
		// A temperature reads in the unit UNIT:TEMPerature sets (C, F or
		// K), which CONF? does not say.
		var tempUnit string
		if truevoltFunction(conf) == "TEMP" {
			if tempUnit, err = tx.Query(ctx, "UNIT:TEMP?"); err != nil {
				return err
			}
		}
		v, err := tx.QueryFloat(ctx, "READ?")
		if err != nil {
			return err
		}
		if tempUnit != "" {
			if v, err = truevoltCelsius(tempUnit, v); err != nil {
				return err
			}
		}
		q, err = truevoltQuantity(conf, v)
		return err
	})
	return q, err
}

// truevoltFunction is the function CONFigure? names, upper case.
func truevoltFunction(conf string) string {
	fn, _, _ := strings.Cut(strings.Trim(strings.TrimSpace(conf), `"`), " ")
	return strings.ToUpper(fn)
}

// truevoltCelsius converts a temperature reading in the unit
// UNIT:TEMPerature? answered to degrees Celsius.
func truevoltCelsius(unit string, v float64) (float64, error) {
	switch strings.ToUpper(strings.TrimSpace(unit)) {
	case "C", "CEL":
		return v, nil
	case "F", "FAR":
		return (v - 32) * 5 / 9, nil
	case "K":
		return v - 273.15, nil
	}
	return 0, &scpi.OpError{Op: "query", Command: "UNIT:TEMP?", Err: &scpi.ParseError{Want: "C, F or K", Input: unit, Why: "unexpected answer"}}
}

// truevoltQuantity types a reading by the function CONFigure? names
// (`"VOLT +1.000000E+01,+3.000000E-06"`: function, range, resolution).
func truevoltQuantity(conf string, v float64) (units.Quantity, error) {
	switch truevoltFunction(conf) {
	case "VOLT", "VOLT:DC", "VOLT:AC", "DIOD":
		return units.Voltage(v), nil
	case "CURR", "CURR:DC", "CURR:AC":
		return units.Current(v), nil
	case "RES", "FRES", "CONT":
		return units.Resistance(v), nil
	case "FREQ":
		return units.Frequency(v), nil
	case "TEMP":
		return units.Temperature(v), nil
	case "PER":
		return units.Value(v, "s"), nil
	case "CAP":
		return units.Value(v, "F"), nil
	}
	return nil, fmt.Errorf("instruments: %w: CONF? answered %q, a function this driver does not know the unit of", scpi.ErrMalformed, conf)
}

// checkCount refuses more readings than the model's reading memory holds
// (the meter would drop the oldest): 1,000 on the 34460A, 10,000 on the
// 34461A, 2,000,000 on a 34465A or 34470A with option MEM (50,000
// without it, where the count read back tells).
func (m *Truevolt) checkCount(n int) error {
	most := 2_000_000
	switch m.id.Model {
	case "34460A":
		most = 1000
	case "34461A":
		most = 10_000
	}
	if n < 1 || n > most {
		return &RangeError{Model: m.id.Model, Quantity: "sample count", Value: n, Min: 1, Max: most}
	}
	return nil
}

// oneTrigger is sent with every reading's SAMPle:COUNt: a trigger count
// left from the front panel or another program would multiply the
// readings taken.
const oneTrigger = "TRIG:COUN 1"

// checkRead says when the meter gave another number of readings than n.
func (m *Truevolt) checkRead(cmd string, vs []float64, n int) error {
	if len(vs) != n {
		return fmt.Errorf("instruments: %s: %s returned %d readings, want %d: %w", m.id.Model, cmd, len(vs), n, scpi.ErrMalformed)
	}
	return nil
}

func (m *Truevolt) ReadMany(ctx context.Context, n int) (vs []float64, err error) {
	if err := m.checkCount(n); err != nil {
		return nil, err
	}
	err = m.s.Do(ctx, func(tx *scpi.Tx) error {
		for _, cmd := range []string{oneTrigger, fmt.Sprintf("SAMP:COUN %d", n), "INIT"} {
			if err := tx.Write(ctx, cmd); err != nil {
				return err
			}
		}
		if vs, err = tx.QueryFloats(ctx, "FETC?"); err != nil {
			return err
		}
		return m.checkRead("FETC?", vs, n)
	})
	if err != nil {
		return nil, err
	}
	return vs, nil
}

// formatRestoreTimeout bounds setting ASCII format back after
// ReadManyBinary: long enough for the session to resynchronise first
// after a reply the call abandoned (its resync bound is 5 s by default).
const formatRestoreTimeout = 10 * time.Second

// ReadManyBinary takes n readings and reads them as a little-endian
// REAL,64 block with R?, then sets ASCII format back (whatever happened,
// so that the next ASCII query is not answered in binary).
//
// R? reads the readings in memory now, without waiting for the sweep to
// end as FETCh? does: *OPC? waits for the INITiate first, so the wait is
// bounded by ctx (or the session's timeout) like any query.
func (m *TruevoltBinary) ReadManyBinary(ctx context.Context, n int) (vs []float64, err error) {
	if err := m.checkCount(n); err != nil {
		return nil, err
	}
	err = m.s.Do(ctx, func(tx *scpi.Tx) (err error) {
		if err := tx.Write(ctx, "FORM REAL,64"); err != nil {
			return err
		}
		defer func() {
			// With a context of its own: the call's has often just ended
			// (the readings took too long), and the format must still go
			// back, or every READ? and FETCh? after this would be
			// answered in binary.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), formatRestoreTimeout)
			defer cancel()
			if ferr := tx.Write(rctx, "FORM ASC"); ferr != nil {
				ferr = fmt.Errorf("instruments: %s: setting ASCII format back failed; send FORM ASC before reading in ASCII: %w", m.id.Model, ferr)
				err = errors.Join(err, ferr)
			}
		}()
		for _, cmd := range []string{"FORM:BORD SWAP", oneTrigger, fmt.Sprintf("SAMP:COUN %d", n), "INIT"} {
			if err := tx.Write(ctx, cmd); err != nil {
				return err
			}
		}
		if _, err := tx.QueryInt(ctx, "*OPC?"); err != nil {
			return err
		}
		vs, err = scpi.QueryValues[float64](ctx, tx, "R?", binary.LittleEndian)
		if err == nil {
			if err = m.checkRead("R?", vs, n); err != nil {
				vs = nil
			}
		}
		return err
	})
	return vs, err
}
