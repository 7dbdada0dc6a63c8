// Package units gives physical quantities a type, so a voltage cannot be
// passed where a current is expected and every value says its unit at the
// call site:
//
//	psu.SetVoltage(ctx, 1, 5*units.Volt)
//	psu.SetCurrentLimit(ctx, 1, 250*units.Milliamp)
//
// Each quantity is a float64 in its SI unit, printed with an SI prefix.
package units
