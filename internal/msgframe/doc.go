// Package msgframe finds where an IEEE 488.2 message ends: at its
// terminator, except inside a definite-length block whose header gives the
// payload's length. The scpi session frames replies with it; links that
// must know where a reply ends while they hold a shared bus (Prologix
// GPIB) use it too, and package scpi re-exports MessageEnd.
package msgframe
