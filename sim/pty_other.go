//go:build !linux

package sim

import (
	"errors"
	"os"
	"runtime"
)

// ErrNoPTY is matched by ServePTY's error on a system other than Linux,
// where the simulator has no pseudo-terminals: serve over TCP instead.
var ErrNoPTY = errors.New("sim: pseudo-terminals are served on Linux only, and this is " + runtime.GOOS + ": serve the instrument over TCP (Serve, ServeVXI11, ServeHiSLIP)")

func openPTY() (master, slave *os.File, path string, err error) {
	return nil, nil, "", ErrNoPTY
}
