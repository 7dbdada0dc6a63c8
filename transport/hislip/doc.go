// Package hislip is the HiSLIP link (IVI-6.1, High-Speed LAN Instrument
// Protocol): SCPI over two TCP connections to port 4880, a synchronous
// channel for messages and an asynchronous one for device clear, status
// byte, locks and remote/local. It registers itself for
// TCPIP::host::hislip0[,port]::INSTR resource strings; import it for that
// side effect (package scpi already does):
//
//	import _ "github.com/scpikit/scpikit/transport/hislip"
//
// Open runs the Initialize and AsyncInitialize handshake in synchronized
// mode and exchanges maximum message sizes. Each Write is sent as Data
// messages, the last one DataEnd when it ends a program message; Read
// gives the payloads of the instrument's Data and DataEnd messages, with
// the "\n" the session frames on added after a DataEnd that lacks it. A
// deadline in the middle of a message leaves the stream in step: the next
// Read carries on where the last stopped.
//
// The Conn offers device clear (transport.Clearer, the full
// AsyncDeviceClear/DeviceClearComplete handshake, after which replies
// still in flight are dropped), the status byte (AsyncStatusQuery,
// transport.StatusByteReader), Trigger, exclusive locks (AsyncLock,
// transport.DeviceLocker) and shared ones (Conn.LockShared), and
// remote/local (transport.RemoteLocal). Overlapped mode, service requests
// and the encryption of HiSLIP 2.0 are not supported.
package hislip
