// Package rohde simulates the Rohde & Schwarz HMC8041, HMC8042 and
// HMC8043 supplies after the HMC804x SCPI manual: the selected channel,
// channel and master output switches, OVP and the electronic fuse.
//
// Importing the package registers the models with sim:
//
//	import _ "github.com/scpikit/scpikit/sim/models/rohde"
//
//	in := sim.MustNew("HMC8043")
package rohde
