// Package discover finds instruments: serial ports (with their
// /dev/serial/by-id names), usbtmc devices, VXI-11 instruments that answer
// a portmapper broadcast, and LXI instruments that announce themselves
// with multicast DNS service discovery (_lxi._tcp, _vxi-11._tcp,
// _scpi-raw._tcp, _hislip._tcp). Each finding is a resource string to
// open. The scpi list command prints them.
//
//	found, err := discover.All(ctx, discover.Options{})
//
// Broadcast and multicast reach the local network segment only, as
// VISA's own discovery does. Options name other targets (a directed
// broadcast, a unicast address and port) for networks and tests where
// the defaults do not apply.
package discover
