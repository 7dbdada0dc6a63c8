//go:build linux

package serial_test

import (
	"context"
	"fmt"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
)

// A session to a serial instrument: here a simulated one on a
// pseudo-terminal, opened as a USB-serial adapter's /dev/ttyUSB0 would be.
func Example() {
	srv, err := sim.ServePTY(sim.MustNew("SAMPLE"), sim.ServerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()
	s, err := scpi.Open(ctx, "ASRL"+srv.Path()+"::INSTR", scpi.WithTransportOptions(
		transport.WithSerial(transport.SerialOptions{Baud: 115200, Parity: 'N', StopBits: 1})))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	idn, err := s.Query(ctx, "*IDN?")
	fmt.Println(idn, err)
	// Output: scpikit,SAMPLE,SIM000001,1.0 <nil>
}
