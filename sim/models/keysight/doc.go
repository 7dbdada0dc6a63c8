// Package keysight simulates Keysight (Agilent) instruments after their
// programming guides: the E36311A, E36312A and E36313A triple-output
// supplies, the E3631A, and the Truevolt 34460A, 34461A, 34465A and
// 34470A multimeters.
//
// Importing the package registers the models with sim:
//
//	import _ "github.com/scpikit/scpikit/sim/models/keysight"
//
//	in := sim.MustNew("E36312A")
package keysight
