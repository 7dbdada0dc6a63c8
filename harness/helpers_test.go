package harness_test

import "github.com/scpikit/scpikit/sim"

func simFault(name string) sim.TimedFault { return sim.TimedFault{Fault: name} }
