package harness_test

import (
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

func simFault(name string) sim.TimedFault { return sim.TimedFault{Fault: name} }

func discard() zerolog.Logger { return zerolog.Nop() }
