// Package transport moves bytes to and from one instrument.
//
// A [Conn] is one open link: a byte stream in both directions whose blocking
// calls honour a deadline, exactly like a [net.Conn]; a *net.TCPConn is a
// Conn as it is. Features that only some links have (device clear, reading
// the status byte out of band, trigger) are small optional interfaces,
// discovered by type assertion the way database/sql discovers optional
// driver features:
//
//	if c, ok := conn.(transport.Clearer); ok {
//		err = c.Clear(ctx)
//	}
//
// Links register themselves under a link name ([Register]) and are opened
// from VISA-style resource strings with [Open]:
//
//	conn, err := transport.Open(ctx, "TCPIP0::192.0.2.5::5025::SOCKET")
//
// Import the link packages you need for their side effect (the scpi package
// imports them all: socket, vxi11, hislip, serial, gpib, usbtmc).
// [ParseResource] parses every form VISA defines, whether or not a link for
// it is registered, and says which part of a malformed string is wrong.
//
// Sub-package discover finds instruments: serial ports, usbtmc devices,
// VXI-11 broadcast, mDNS/DNS-SD.
//
// [Pipe] returns a connected in-memory pair for tests and in-process
// simulated instruments.
package transport
