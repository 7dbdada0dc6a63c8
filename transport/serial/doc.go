// Package serial is the serial link: ASRL resource strings
// (ASRL/dev/ttyUSB0::INSTR, ASRL1::INSTR) opened as RS-232 and USB-serial
// ports, with the line settings of transport.SerialOptions.
//
// github.com/tarm/serial sets the line up (baud, data bits, parity, stop
// bits); the link then reads and writes through a descriptor of its own in
// non-blocking mode, so Go's poller gives it the deadlines of the Conn
// contract: a context cancelled while a read waits for a silent instrument
// interrupts it at once, which tarm's open-time read timeout alone cannot
// do.
//
// Importing the package registers the link:
//
//	import _ "github.com/scpikit/scpikit/transport/serial"
package serial
