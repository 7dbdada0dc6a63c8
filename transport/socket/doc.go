// Package socket is the raw TCP socket link: SCPI over a plain TCP
// connection, usually port 5025, as LXI instruments offer it. It registers
// itself for TCPIP::host::port::SOCKET resource strings; import it for that
// side effect (package scpi already does):
//
//	import _ "github.com/scpikit/scpikit/transport/socket"
//
// The Conn it returns is the *net.TCPConn itself, with TCP_NODELAY on (a
// SCPI message is small and latency-bound) and keep-alive on, so that an
// unplugged instrument is noticed even when the controller is idle.
package socket
