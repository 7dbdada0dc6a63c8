package sim

import (
	"fmt"
	"os"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// openPTY opens a pseudo-terminal pair, its slave side in raw mode.
func openPTY() (master, slave *os.File, path string, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, "", fmt.Errorf("sim: open /dev/ptmx: %w", err)
	}
	var ctlErr error
	rc, err := master.SyscallConn()
	if err == nil {
		err = rc.Control(func(fd uintptr) {
			// unlockpt, then ptsname.
			if ctlErr = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); ctlErr != nil {
				return
			}
			var n int
			if n, ctlErr = unix.IoctlGetInt(int(fd), unix.TIOCGPTN); ctlErr == nil {
				path = "/dev/pts/" + strconv.Itoa(n)
			}
		})
	}
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		master.Close()
		return nil, nil, "", fmt.Errorf("sim: set up pseudo-terminal: %w", err)
	}
	slave, err = os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, "", fmt.Errorf("sim: open %s: %w", path, err)
	}
	if err := makeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		return nil, nil, "", err
	}
	return master, slave, path, nil
}

// makeRaw is cfmakeraw(3): no echo, no line editing, no CR/LF
// translation, 8-bit characters, reads return what is there.
func makeRaw(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ctlErr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ctlErr = err
			return
		}
		t.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		t.Oflag &^= unix.OPOST
		t.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		t.Cflag &^= unix.CSIZE | unix.PARENB
		t.Cflag |= unix.CS8
		t.Cc[unix.VMIN], t.Cc[unix.VTIME] = 1, 0
		ctlErr = unix.IoctlSetTermios(int(fd), unix.TCSETS, t)
	})
	if err == nil {
		err = ctlErr
	}
	if err != nil {
		return fmt.Errorf("sim: raw mode: %w", err)
	}
	return nil
}
