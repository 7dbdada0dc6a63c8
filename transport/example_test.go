package transport_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/scpikit/scpikit/transport"
)

func ExampleParseResource() {
	r, err := transport.ParseResource("tcpip::192.0.2.5::5025::socket")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Link(), r.Address(), r)

	_, err = transport.ParseResource("GPIB0::31::INSTR")
	fmt.Println(err)
	// Output:
	// socket 192.0.2.5:5025 TCPIP0::192.0.2.5::5025::SOCKET
	// transport: resource "GPIB0::31::INSTR": primary address "31": not a GPIB address (0-30)
}

func ExampleOpen() {
	// A USBTMC resource parses, but no USBTMC link is registered in this
	// program, and the error says so.
	_, err := transport.Open(context.Background(), "USB0::0x2A8D::0x1002::MY123::INSTR")
	fmt.Println(errors.Is(err, transport.ErrNoLink))
	fmt.Println(err)
	// Output:
	// true
	// transport: no link registered for USBTMC (resource "USB0::0x2A8D::0x1002::MY123::INSTR")
}

func ExamplePipe() {
	controller, instrument := transport.Pipe()
	defer controller.Close()
	defer instrument.Close()
	controller.Write([]byte("*IDN?\n"))
	buf := make([]byte, 16)
	n, _ := instrument.Read(buf)
	fmt.Printf("%q\n", buf[:n])
	// Output: "*IDN?\n"
}
