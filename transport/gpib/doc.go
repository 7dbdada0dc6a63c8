// Package gpib is the GPIB link through a Prologix controller: the
// GPIB-ETHERNET (a TCP socket on port 1234) or the GPIB-USB (a serial
// port). It registers itself for GPIB[board]::pad[::sad]::INSTR resource
// strings; import it for that side effect (package scpi already does):
//
//	import _ "github.com/scpikit/scpikit/transport/gpib"
//
// The adapter is named with transport.WithGPIBAdapter (or the
// SCPIKIT_GPIB_ADAPTER environment variable) as a resource string of its
// own: "TCPIP::192.0.2.9::1234::SOCKET" or "ASRL/dev/ttyUSB0::INSTR".
// Every GPIB resource opened through the same adapter shares one
// connection to it: the bus is held for a whole exchange (++addr to
// select the instrument, the write, or ++read eoi and the complete reply),
// so sessions to several addresses can run in different goroutines.
//
// The adapter is set up as a controller that reads only when told
// (++mode 1, ++auto 0), asserts EOI with the last byte written and ends each
// message with LF (++eoi 1, ++eos 2). Data bytes that the adapter would
// take for its own (CR, LF, ESC, '+') are escaped, so binary blocks go
// through unchanged. A reply's end is found by IEEE 488.2 framing (a
// newline outside a definite-length block), which every 488.2 instrument
// sends as NL with END, or else by the mark the adapter sends after the
// byte that came with EOI (++eot_enable 1, ++eot_char 4): a reply ended by
// EOI alone gets a newline, as a VISA read ends at END. A read cut short
// by a deadline is cleaned up before the bus is used again: ++ver is sent,
// which aborts the adapter's read, and everything before its reply is
// dropped.
//
// The Conn offers device clear (++clr, SDC; transport.Clearer), serial poll
// (++spoll; transport.StatusByteReader) and group execute trigger (++trg;
// transport.Triggerer).
package gpib
