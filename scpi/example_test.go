package scpi_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"log"
	"net"
	"strings"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
)

// exampleSupply is a tiny power supply on the far end of an in-memory
// link, enough for the examples to run as tests.
func exampleSupply() transport.Conn {
	ours, theirs := transport.Pipe()
	go func() {
		defer theirs.Close()
		volt := "0"
		r := bufio.NewReader(theirs)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.TrimSpace(line)
			switch {
			case cmd == "*IDN?":
				fmt.Fprint(theirs, "Acme Instruments,PS-1,SN0042,1.2.3\n")
			case strings.HasPrefix(cmd, "VOLT "):
				volt = strings.TrimPrefix(cmd, "VOLT ")
			case cmd == "VOLT?":
				fmt.Fprintf(theirs, "%s\n", volt)
			case cmd == "CURV?":
				theirs.Write(scpi.AppendBlock(nil, scpi.EncodeBlock([]int16{-2, 0, 1000}, binary.LittleEndian)))
				theirs.Write([]byte("\n"))
			case cmd == "SYST:ERR?":
				fmt.Fprint(theirs, "0,\"No error\"\n")
			}
		}
	}()
	return ours
}

func ExampleNewSession() {
	ctx := context.Background()
	s := scpi.NewSession(exampleSupply())
	defer s.Close()

	id, err := s.QueryIDN(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(id.Manufacturer, id.Model, id.Serial)
	// Output: Acme Instruments PS-1 SN0042
}

func ExampleSession_Do() {
	ctx := context.Background()
	s := scpi.NewSession(exampleSupply())
	defer s.Close()

	// Set, then read back, with no other goroutine's command in between.
	err := s.Do(ctx, func(tx *scpi.Tx) error {
		if err := tx.Writef(ctx, "VOLT %v", 3.3); err != nil {
			return err
		}
		v, err := tx.QueryFloat(ctx, "VOLT?")
		if err != nil {
			return err
		}
		fmt.Println("voltage set to", v)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output: voltage set to 3.3
}

func ExampleQueryValues() {
	ctx := context.Background()
	s := scpi.NewSession(exampleSupply())
	defer s.Close()

	points, err := scpi.QueryValues[int16](ctx, s, "CURV?", binary.LittleEndian)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(points)
	// Output: [-2 0 1000]
}

func ExampleSession_CheckErrors() {
	ctx := context.Background()
	s := scpi.NewSession(exampleSupply())
	defer s.Close()

	if err := s.Write(ctx, "VOLT 5"); err != nil {
		log.Fatal(err)
	}
	if err := s.CheckErrors(ctx); err != nil {
		fmt.Println("instrument reported:", err)
		return
	}
	fmt.Println("no errors")
	// Output: no errors
}

func ExampleOpen() {
	// A stand-in instrument on a loopback raw socket.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			fmt.Fprint(c, "+4.99871E+00\n")
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port

	ctx := context.Background()
	s, err := scpi.Open(ctx, fmt.Sprintf("TCPIP0::127.0.0.1::%d::SOCKET", port))
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	v, err := s.QueryFloat(ctx, "MEAS:VOLT?")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%.3f V\n", v)
	// Output: 4.999 V
}

func ExampleSprintf() {
	cmd, err := scpi.Sprintf("APPL %v,%v,(@%d)", 12.0, 1.5e-3, 2)
	fmt.Println(cmd, err)
	_, err = scpi.Sprintf("VOLT %v", 1/zero())
	fmt.Println(err)
	// Output:
	// APPL 12,0.0015,(@2) <nil>
	// invalid command: +Inf has no SCPI numeric form
}

func zero() float64 { return 0 }

func ExampleParseFloat() {
	for _, s := range []string{"+1.234E-03", "9.9E37", "9.91E37"} {
		v, _ := scpi.ParseFloat(s)
		fmt.Println(v)
	}
	// Output:
	// 0.001234
	// +Inf
	// NaN
}

// Wait for the instrument to say it is done instead of polling a query:
// *OPC raises the event status bit enabled by *ESE 1, which the status
// byte summarises in ESB, which *SRE 32 turns into a service request.
func ExampleSession_WaitServiceRequest() {
	in := sim.MustNew("SAMPLE") // a simulated instrument, in process
	s := scpi.NewSession(in.Conn())
	defer s.Close()
	ctx := context.Background()
	if err := s.Write(ctx, "*CLS;*ESE 1;*SRE 32"); err != nil {
		log.Fatal(err)
	}
	if err := s.Write(ctx, "*OPC"); err != nil { // behind a long operation, in real use
		log.Fatal(err)
	}
	stb, err := s.WaitServiceRequest(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("status byte %#02x: service requested %v, event status %v\n",
		stb, stb&scpi.StatusRQS != 0, stb&scpi.StatusESB != 0)
	// Output: status byte 0x60: service requested true, event status true
}
