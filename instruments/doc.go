// Package instruments has typed drivers for the instruments test programs
// drive: power supplies, DMMs and devices under test.
//
// One interface per class (PowerSupply, DMM, DUT) and a driver per model
// family, each a thin, readable map from methods to the vendor's
// commands. Quantities carry their units (package units), and values
// outside the model's ranges are refused with a *RangeError before
// anything is sent. What only some models have — overvoltage and
// overcurrent protection, remote sense, tracking — is an optional
// interface found by type assertion, as database/sql finds optional
// driver features:
//
//	inst, err := instruments.Open(ctx, "TCPIP0::10.0.0.5::5025::SOCKET")
//	psu, ok := inst.(instruments.PowerSupply)
//	err = psu.SetVoltage(ctx, 1, 5*units.Volt)
//	if p, ok := psu.(instruments.OverVoltageProtector); ok {
//		err = p.SetOVPLevel(ctx, 1, 5.5*units.Volt)
//	}
//
// Open reads *IDN? and returns the right driver; docs/instruments lists,
// for each driver, every method and the commands it sends.
package instruments
