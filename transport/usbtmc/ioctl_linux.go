package usbtmc

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// supported: the usbtmc driver is Linux's.
const supported = true

// openFlags: no controlling terminal (a stand-in may be a pty), and
// reads the runtime's poller can wait on.
const openFlags = syscall.O_NOCTTY | syscall.O_NONBLOCK

func ioctlGet(fd int, req uint) (uint32, error) { return unix.IoctlGetUint32(fd, req) }

func ioctlSet(fd int, req uint, v int) error { return unix.IoctlSetInt(fd, req, v) }

func ioctlSetPointer(fd int, req uint, v int) error { return unix.IoctlSetPointerInt(fd, req, v) }
