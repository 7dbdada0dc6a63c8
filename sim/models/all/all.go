// Package all registers every simulated instrument model with sim, for
// programs and tests that open models by name (cmd/scpisim, a bench
// file, SIM::<model>::INSTR):
//
//	import _ "github.com/scpikit/scpikit/sim/models/all"
package all

import (
	_ "github.com/scpikit/scpikit/sim/models/dut"      // the DUT
	_ "github.com/scpikit/scpikit/sim/models/keysight" // E36311A/E36312A/E36313A, E3631A, 34460A/34461A/34465A/34470A
	_ "github.com/scpikit/scpikit/sim/models/rigol"    // DP811/DP821/DP831/DP832 and A variants
	_ "github.com/scpikit/scpikit/sim/models/rohde"    // HMC8041/HMC8042/HMC8043
	_ "github.com/scpikit/scpikit/sim/models/siglent"  // SPD3303X/SPD3303X-E
)
