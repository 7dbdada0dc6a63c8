// Package siglent simulates the Siglent SPD3303X and SPD3303X-E supplies
// after their programming guide, quirks included: the unquoted error
// replies and the commands a unit drops when they follow too closely.
//
// Importing the package registers the models with sim:
//
//	import _ "github.com/scpikit/scpikit/sim/models/siglent"
//
//	in := sim.MustNew("SPD3303X")
package siglent
