// Package usbtmc is the USB link through the Linux kernel's usbtmc
// driver (/dev/usbtmcN). It registers itself for
// USB[board]::vid::pid::serial[::interface]::INSTR resource strings;
// import it for that side effect (package scpi already does):
//
//	import _ "github.com/scpikit/scpikit/transport/usbtmc"
//
// A resource is resolved through sysfs: each /sys/class/usbmisc/usbtmcN
// leads to its USB device's idVendor, idProduct and serial, and its
// interface's bInterfaceNumber. The driver does the USBTMC framing (bulk
// headers, EOM, bTag), so a write is a program message and a read a
// response. Deadlines are applied through the driver's timeout
// (USBTMC_IOCTL_SET_TIMEOUT) before each read; a deadline moved into the
// past while a read waits aborts it (USBTMC_IOCTL_ABORT_BULK_IN).
//
// The Conn offers the USB488 class requests through the driver's ioctls:
// INITIATE_CLEAR (transport.Clearer), READ_STATUS_BYTE
// (transport.StatusByteReader), TRIGGER (transport.Triggerer), and
// REN_CONTROL/GOTO_LOCAL (transport.RemoteLocal). A file that is not a
// usbtmc device (a stand-in such as a pseudo-terminal) still carries
// messages; its out-of-band calls fail with ErrNotUSBTMC.
//
// Access to /dev/usbtmcN needs read and write permission, usually from a
// udev rule (SUBSYSTEM=="usbmisc", KERNEL=="usbtmc*", GROUP="plugdev").
//
// The package builds on every system, so that programs importing scpi
// do; on one other than Linux, a USB resource is refused with
// ErrUnsupported, naming the LAN resources to use instead.
package usbtmc
