package instruments

import (
	"context"
	"errors"
	"fmt"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/units"
)

// Instrument is any opened instrument: its identity and its session.
type Instrument interface {
	// Identity is what *IDN? answered when the driver was opened.
	Identity() scpi.IDN
	// Session is the SCPI session, for commands the driver does not wrap.
	Session() *scpi.Session
	// Close closes the session.
	Close() error
}

// Mode is how a supply output is operating.
type Mode int

const (
	ModeOff         Mode = iota // output off
	ModeCV                      // constant voltage
	ModeCC                      // constant current
	ModeUnregulated             // neither
)

func (m Mode) String() string { return [...]string{"off", "CV", "CC", "unregulated"}[m] }

// Channel describes one supply output: its name in the vendor's manual
// and what it can be programmed to.
type Channel struct {
	Number     int // from 1
	Name       string
	MinVoltage units.Voltage // below 0 for a negative output
	MaxVoltage units.Voltage
	MaxCurrent units.Current
}

// PowerSupply is a programmable DC supply with one or more outputs,
// numbered from 1.
type PowerSupply interface {
	Instrument
	Channels() []Channel
	SetVoltage(ctx context.Context, ch int, v units.Voltage) error
	Voltage(ctx context.Context, ch int) (units.Voltage, error) // the setting
	SetCurrentLimit(ctx context.Context, ch int, i units.Current) error
	CurrentLimit(ctx context.Context, ch int) (units.Current, error)
	SetOutput(ctx context.Context, ch int, on bool) error
	Output(ctx context.Context, ch int) (bool, error)
	// SetAllOutputs switches every output at once.
	SetAllOutputs(ctx context.Context, on bool) error
	MeasureVoltage(ctx context.Context, ch int) (units.Voltage, error)
	MeasureCurrent(ctx context.Context, ch int) (units.Current, error)
	Mode(ctx context.Context, ch int) (Mode, error)
	// SafeState switches every output off and reads each back; an output
	// still on is an error. The harness calls it on every exit path.
	SafeState(ctx context.Context) error
}

// OverVoltageProtector is a supply with programmable overvoltage
// protection: when the output exceeds the level it switches off and stays
// off until cleared.
type OverVoltageProtector interface {
	SetOVPLevel(ctx context.Context, ch int, v units.Voltage) error
	OVPLevel(ctx context.Context, ch int) (units.Voltage, error)
	OVPTripped(ctx context.Context, ch int) (bool, error)
	ClearOVP(ctx context.Context, ch int) error
}

// OverCurrentProtector is a supply with overcurrent protection. What
// trips it is the instrument's: the E36300 and the HMC804x (its
// electronic fuse) switch the output off once it goes into current limit
// (CC); the DP800 once the current passes an OCP level of its own, which
// a supply in current limit never does unless the level is below the
// limit. Such a supply is also an OCPLeveler: set the level too.
type OverCurrentProtector interface {
	SetOCP(ctx context.Context, ch int, on bool) error
	OCPEnabled(ctx context.Context, ch int) (bool, error)
	OCPTripped(ctx context.Context, ch int) (bool, error)
	ClearOCP(ctx context.Context, ch int) error
}

// OCPLeveler is an OverCurrentProtector whose protection trips at a level
// of its own rather than at the current limit (the DP800).
type OCPLeveler interface {
	SetOCPLevel(ctx context.Context, ch int, i units.Current) error
	OCPLevel(ctx context.Context, ch int) (units.Current, error)
}

// RemoteSenser is a supply that can regulate at the load through sense
// leads.
type RemoteSenser interface {
	SetRemoteSense(ctx context.Context, ch int, on bool) error
}

// Tracker is a supply whose outputs can track each other.
type Tracker interface {
	SetTracking(ctx context.Context, on bool) error
}

// Function is what a DMM measures.
type Function int

const (
	DCVoltage Function = iota
	ACVoltage
	DCCurrent
	ACCurrent
	Resistance
	FourWireResistance
)

func (f Function) String() string {
	return [...]string{"DC voltage", "AC voltage", "DC current", "AC current", "resistance", "4-wire resistance"}[f]
}

// DMM is a digital multimeter. Readings are in the function's SI unit;
// an overload reads as +Inf (SCPI's 9.9E37).
type DMM interface {
	Instrument
	// Configure selects the function and range; a range of 0 selects
	// autoranging.
	Configure(ctx context.Context, f Function, rangeValue float64) error
	// Read takes one reading, typed by the function the meter is set to
	// (units.Voltage, units.Current, units.Resistance...), so a harness
	// records it with its unit.
	Read(ctx context.Context) (units.Quantity, error)
	// ReadMany takes n readings and returns them all.
	ReadMany(ctx context.Context, n int) ([]float64, error)
}

// BinaryReader is a DMM that transfers readings as binary blocks, faster
// than ASCII for many readings.
type BinaryReader interface {
	ReadManyBinary(ctx context.Context, n int) ([]float64, error)
}

// DUT is a device under test with a console.
type DUT interface {
	Instrument
	// Identify reads its identification.
	Identify(ctx context.Context) (string, error)
	// SelfTest runs its self-test; a failure is an error.
	SelfTest(ctx context.Context) error
	Reset(ctx context.Context) error
	// FaultStatus reads what, if anything, is wrong with it.
	FaultStatus(ctx context.Context) (Fault, error)
}

// Fault is a DUT's fault status: Code 0 means healthy.
type Fault struct {
	Code int
	Name string
}

func (f Fault) String() string {
	if f.Code == 0 {
		return "no fault"
	}
	return fmt.Sprintf("fault %d (%s)", f.Code, f.Name)
}

// ErrOutOfRange is matched by *RangeError.
var ErrOutOfRange = errors.New("out of range")

// ErrNoChannel is matched by errors for channels the instrument lacks.
var ErrNoChannel = errors.New("no such channel")

// ErrNotSupported is matched when a model cannot do what was asked the way
// it was asked (switching one output of a supply whose outputs share one
// switch).
var ErrNotSupported = errors.New("not supported by this model")

// ErrUnsafe is matched when SafeState could not verify every output off.
var ErrUnsafe = errors.New("outputs not verified off")

// RangeError refuses a value outside the model's range, before anything
// is sent.
type RangeError struct {
	Model    string
	Channel  int
	Quantity string // "voltage", "current limit"...
	Value    any
	Min, Max any
}

func (e *RangeError) Error() string {
	return fmt.Sprintf("instruments: %s channel %d: %s %v outside %v to %v", e.Model, e.Channel, e.Quantity, e.Value, e.Min, e.Max)
}

// Is makes every RangeError match ErrOutOfRange.
func (e *RangeError) Is(target error) bool { return target == ErrOutOfRange }
