//go:build !linux

package usbtmc

import "errors"

// supported: elsewhere there is no usbtmc driver; open refuses USB
// resources with ErrUnsupported, and a file opened with Open carries
// messages only (its out-of-band calls fail with ErrNotUSBTMC).
const supported = false

const openFlags = 0

var errNoIoctl = errors.New("usbtmc: no usbtmc driver on this system")

func ioctlGet(int, uint) (uint32, error) { return 0, errNoIoctl }

func ioctlSet(int, uint, int) error { return errNoIoctl }

func ioctlSetPointer(int, uint, int) error { return errNoIoctl }
