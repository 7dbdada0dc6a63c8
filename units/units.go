package units

import (
	"math"
	"strconv"
)

// Voltage in volts.
type Voltage float64

// Current in amperes.
type Current float64

// Power in watts.
type Power float64

// Resistance in ohms.
type Resistance float64

// Temperature in degrees Celsius.
type Temperature float64

// Frequency in hertz.
type Frequency float64

const (
	Microvolt Voltage = 1e-6
	Millivolt Voltage = 1e-3
	Volt      Voltage = 1
	Kilovolt  Voltage = 1e3

	Microamp Current = 1e-6
	Milliamp Current = 1e-3
	Amp      Current = 1

	Milliwatt Power = 1e-3
	Watt      Power = 1

	Ohm     Resistance = 1
	Kiloohm Resistance = 1e3
	Megaohm Resistance = 1e6

	Celsius Temperature = 1

	Hertz     Frequency = 1
	Kilohertz Frequency = 1e3
	Megahertz Frequency = 1e6
)

// Volts returns v as a plain number of volts.
func (v Voltage) Volts() float64 { return float64(v) }

// Amps returns c as a plain number of amperes.
func (c Current) Amps() float64 { return float64(c) }

// Watts returns p as a plain number of watts.
func (p Power) Watts() float64 { return float64(p) }

// Ohms returns r as a plain number of ohms.
func (r Resistance) Ohms() float64 { return float64(r) }

// Times is the power a voltage delivers at a current.
func (v Voltage) Times(c Current) Power { return Power(float64(v) * float64(c)) }

func (v Voltage) String() string     { return format(float64(v), "V") }
func (c Current) String() string     { return format(float64(c), "A") }
func (p Power) String() string       { return format(float64(p), "W") }
func (r Resistance) String() string  { return format(float64(r), "Ω") }
func (f Frequency) String() string   { return format(float64(f), "Hz") }
func (t Temperature) String() string { return strconv.FormatFloat(float64(t), 'f', -1, 64) + " °C" }

// format writes x with an SI prefix and at most four significant digits:
// 0.25 A is "250 mA", 5 V is "5 V".
func format(x float64, unit string) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'g', -1, 64) + " " + unit
	}
	prefixes := []struct {
		scale float64
		name  string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}}
	for _, p := range prefixes {
		// The largest prefix under which the rounded value is at least 1.
		if r := roundSig(x/p.scale, 4); math.Abs(r) >= 1 || p.scale == 1e-9 {
			return strconv.FormatFloat(r, 'f', -1, 64) + " " + p.name + unit
		}
	}
	return strconv.FormatFloat(x, 'g', 4, 64) + " " + unit
}

func roundSig(x float64, digits int) float64 {
	if x == 0 {
		return 0
	}
	scale := math.Pow(10, float64(digits-1)-math.Floor(math.Log10(math.Abs(x))))
	return math.Round(x*scale) / scale
}

// Quantity is a value with its unit: every type of this package, and
// Value for any other. A test records a Quantity, so the unit it stores
// is the one the driver returned, never one typed by hand.
type Quantity interface {
	// Float is the value in the unit's SI base (volts, amperes...).
	Float() float64
	// Unit is its symbol: "V", "A", "°C", or a Value's own.
	Unit() string
}

func (v Voltage) Float() float64     { return float64(v) }
func (c Current) Float() float64     { return float64(c) }
func (p Power) Float() float64       { return float64(p) }
func (r Resistance) Float() float64  { return float64(r) }
func (t Temperature) Float() float64 { return float64(t) }
func (f Frequency) Float() float64   { return float64(f) }

func (Voltage) Unit() string     { return "V" }
func (Current) Unit() string     { return "A" }
func (Power) Unit() string       { return "W" }
func (Resistance) Unit() string  { return "Ω" }
func (Temperature) Unit() string { return "°C" }
func (Frequency) Unit() string   { return "Hz" }

// Value is a quantity of a unit this package has no type for (dB, ppm,
// counts: "" for a plain number).
func Value(x float64, unit string) Quantity { return other{x, unit} }

type other struct {
	x    float64
	unit string
}

func (o other) Float() float64 { return o.x }
func (o other) Unit() string   { return o.unit }
func (o other) String() string { return strconv.FormatFloat(o.x, 'g', -1, 64) + " " + o.unit }
