// Package rigol simulates Rigol DP800 supplies (DP811, DP821, DP831,
// DP832 and their A variants) after the DP800 Series Programming Guide:
// channels by name or SOURce suffix, both protection forms, status
// registers, triggered levels, display, beeper and save/recall.
//
// Importing the package registers the models with sim:
//
//	import _ "github.com/scpikit/scpikit/sim/models/rigol"
//
//	in := sim.MustNew("DP832")
package rigol
