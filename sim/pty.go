package sim

import (
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// PTYServer serves a simulated instrument on a pseudo-terminal, for
// clients that speak to serial instruments: they open Path (a /dev/pts
// device) as they would /dev/ttyUSB0.
type PTYServer struct {
	in     *Instrument
	master *os.File
	slave  *os.File // held open so the master does not see EIO between clients
	path   string
	done   chan struct{}
	wg     sync.WaitGroup
	once   sync.Once
}

// ServePTY opens a pseudo-terminal pair, puts it in raw mode and serves in
// on it until Close.
func ServePTY(in *Instrument, opts ServerOptions) (*PTYServer, error) {
	opts = opts.withDefaults()
	// A pseudo-terminal is one line for the server's whole life: silence
	// on it frees no slot, and ending it would end the server.
	opts.IdleTimeout = -1
	return servePTY(in, func(master *os.File, done <-chan struct{}, path string) {
		serveStream(master, in, opts, done, path)
	})
}

// servePTY opens a raw pseudo-terminal pair and runs serve on its master
// side until Close.
func servePTY(in *Instrument, serve func(master *os.File, done <-chan struct{}, path string)) (*PTYServer, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, fmt.Errorf("sim: open /dev/ptmx: %w", err)
	}
	var path string
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
		return nil, fmt.Errorf("sim: set up pseudo-terminal: %w", err)
	}
	slave, err := os.OpenFile(path, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, fmt.Errorf("sim: open %s: %w", path, err)
	}
	if err := makeRaw(slave); err != nil {
		master.Close()
		slave.Close()
		return nil, err
	}
	p := &PTYServer{in: in, master: master, slave: slave, path: path, done: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		serve(master, p.done, path)
	}()
	return p, nil
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

// Path is the device to open, e.g. /dev/pts/3.
func (p *PTYServer) Path() string { return p.path }

// Resource is the VISA resource string for Path.
func (p *PTYServer) Resource() string { return "ASRL" + p.path + "::INSTR" }

// Close stops serving and closes the pseudo-terminal.
func (p *PTYServer) Close() error {
	var err error
	p.once.Do(func() {
		close(p.done)
		err = p.master.Close()
		p.slave.Close()
		p.wg.Wait()
	})
	return err
}
