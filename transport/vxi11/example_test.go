package vxi11_test

import (
	"context"
	"fmt"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
)

// A session over VXI-11 to a simulated instrument whose portmapper runs
// on a free port (a real instrument's is on 111, the default).
func Example() {
	srv, err := sim.ServeVXI11("", sim.MustNew("SAMPLE"), sim.VXI11Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()
	s, err := scpi.Open(ctx, "TCPIP::127.0.0.1::inst0::INSTR",
		scpi.WithTransportOptions(transport.WithPortmapperPort(srv.PortmapperPort())))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	idn, err := s.Query(ctx, "*IDN?")
	fmt.Println(idn, err)
	stb, err := s.StatusByte(ctx) // device_readstb, out of band
	fmt.Println(stb, err)
	// Output:
	// scpikit,SAMPLE,SIM000001,1.0 <nil>
	// 0 <nil>
}
