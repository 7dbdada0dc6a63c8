// Package rigol simulates Rigol DP800 supplies (DP811, DP821, DP831,
// DP832 and their A variants) after the DP800 Series Programming Guide:
// channels by name or SOURce suffix, both protection forms, status
// registers, triggered levels, display, beeper and save/recall, and the
// unit's own functions: the timer, the delayer, the monitor, the
// recorder and analyzer, the internal memory, presets and the digital
// I/O triggers. The timed ones run on the model's clock, played up to
// date when a command arrives (dp800_seq.go); dp800_guide.go is the
// guide's command index with what each member implements.
//
// Importing the package registers the models with sim:
//
//	import _ "github.com/scpikit/scpikit/sim/models/rigol"
//
//	in := sim.MustNew("DP832")
package rigol
