package gpib_test

import (
	"context"
	"fmt"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
)

// Two instruments on one GPIB bus behind a (simulated) Prologix
// GPIB-ETHERNET: each session names the adapter, and they share it.
func Example() {
	bus, err := sim.NewPrologix(map[int]*sim.Instrument{5: sim.MustNew("DP832"), 22: sim.MustNew("SAMPLE")}, sim.ServerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer bus.Close()
	adapter, err := bus.ServeTCP("") // "TCPIP0::127.0.0.1::PORT::SOCKET"; a real one listens on 1234
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	via := scpi.WithTransportOptions(transport.WithGPIBAdapter(adapter))
	for _, res := range []string{"GPIB0::5::INSTR", "GPIB0::22::INSTR"} {
		s, err := scpi.Open(ctx, res, via)
		if err != nil {
			fmt.Println(err)
			return
		}
		id, err := s.QueryIDN(ctx)
		fmt.Println(res, id.Model, err)
		s.Close()
	}
	// Output:
	// GPIB0::5::INSTR DP832 <nil>
	// GPIB0::22::INSTR SAMPLE <nil>
}
