package harness_test

import (
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/sim"
)

func simFault(name string) sim.TimedFault { return sim.TimedFault{Fault: name} }

func discard() zerolog.Logger { return zerolog.Nop() }
