//go:build unix

package results

import (
	"errors"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// holdLock creates path and takes an exclusive lock on it, held until
// the file is closed or the process dies.
func holdLock(path string) (*os.File, error) { return waitLock(path, 0) }

// lockHeld reports whether a live process holds the lock on path. A file
// that is not there, or whose lock can be taken, is a dead store's: it
// is removed.
func lockHeld(path string) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	switch err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); {
	case errors.Is(err, unix.EWOULDBLOCK):
		return true, nil
	case err != nil:
		return false, err
	}
	os.Remove(path) // still locked by us: no store can be taking it
	return false, nil
}

// waitLock creates path and takes an exclusive lock on it, waiting up to
// timeout for another process to let go of it.
func waitLock(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			return nil, err
		}
		// Polled: a blocking flock could not be given up at the timeout.
		time.Sleep(10 * time.Millisecond)
	}
}
