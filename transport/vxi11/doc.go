// Package vxi11 is the VXI-11 link: SCPI over ONC RPC, as LXI
// instruments, LAN/GPIB gateways and most bench instruments with a LAN
// port offer it. It registers itself for TCPIP::host[::inst0]::INSTR
// resource strings (any LAN device name: inst0, gpib0,5, ...); import it
// for that side effect (package scpi already does):
//
//	import _ "github.com/scpikit/scpikit/transport/vxi11"
//
// Open asks the host's portmapper (port 111, or
// transport.WithPortmapperPort) for the core channel, connects and creates
// a link to the device. Each Write is sent with device_write, split at the
// instrument's maxRecvSize, with END on the last piece when it ends a
// program message; Read issues device_read and turns END into the "\n"
// the session frames replies on. Deadlines bound each call (io_timeout and
// the socket deadline); when a deadline interrupts a call, the instrument
// is sent device_abort on the abort channel before the next call, and the
// late reply is recognised by its transaction id and dropped.
//
// The Conn also offers the out-of-band operations of VXI-11:
// device_clear (transport.Clearer), device_readstb
// (transport.StatusByteReader), device_trigger (transport.Triggerer),
// device_lock/unlock (transport.DeviceLocker) and device_remote/local
// (transport.RemoteLocal). Service requests (the interrupt channel) are
// not supported.
package vxi11
