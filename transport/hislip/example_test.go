package hislip_test

import (
	"context"
	"fmt"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// A session over HiSLIP; the device clear and the lock go over the
// asynchronous channel.
func Example() {
	srv, err := sim.ServeHiSLIP("", sim.MustNew("SAMPLE"), sim.ServerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	ctx := context.Background()
	s, err := scpi.Open(ctx, srv.Resource()) // TCPIP0::127.0.0.1::hislip0,PORT::INSTR
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	fmt.Println(s.LockDevice(ctx))
	idn, err := s.Query(ctx, "*IDN?")
	fmt.Println(idn, err)
	fmt.Println(s.DeviceClear(ctx), s.UnlockDevice(ctx))
	// Output:
	// <nil>
	// scpikit,SAMPLE,SIM000001,1.0 <nil>
	// <nil> <nil>
}
