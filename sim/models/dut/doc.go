// Package dut simulates a device under test: a board with a console that
// draws current from the supply output a bench wires it to, boots, browns
// out, and can be told to fault.
//
// Importing the package registers the model "DUT" with sim:
//
//	import _ "github.com/scpikit/scpikit/sim/models/dut"
//
//	bench.Wire(psu, 1, sim.MustNew("DUT"))
package dut
