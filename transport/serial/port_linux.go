package serial

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/scpikit/scpikit/transport"
	tarm "github.com/tarm/serial"
	"golang.org/x/sys/unix"
)

// Port is an open serial link.
type Port struct {
	path string
	opts transport.SerialOptions
	line *tarm.Port // set the line up; kept open so its settings hold
	f    *os.File   // non-blocking, so the poller gives it deadlines
	// cr rewrites replies for ReadTermination "\r".
	cr *crFrames

	// outQueue and discardOutput see and drop what the driver has not
	// sent yet (TIOCOUTQ, TCFLSH TCOFLUSH); variables for tests.
	outQueue      func() (int, error)
	discardOutput func() error
}

// Close waits for output the driver holds to go out while it keeps
// going, for at most closeDrainMax, and discards it once none has gone
// for closeStall (an instrument holding the line with XOFF or CTS): the
// kernel's last close of a port waits for that output for the port's
// closing_wait, 30 s by default and for ever when set so. Variables for
// tests.
var (
	closeStall    = 500 * time.Millisecond
	closeDrainMax = 30 * time.Second
)

// Open opens the serial device at path with the given line settings.
func Open(ctx context.Context, path string, o transport.SerialOptions) (*Port, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("serial: open %s: %w", path, err)
	}
	cfg, err := tarmConfig(path, o)
	if err != nil {
		return nil, err
	}
	line, err := tarm.OpenPort(cfg)
	if err != nil {
		return nil, fmt.Errorf("serial: open %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
	if err != nil {
		line.Close()
		return nil, fmt.Errorf("serial: open %s: %w", path, err)
	}
	p := &Port{path: path, opts: o, line: line, f: f, cr: newCRFrames()}
	p.outQueue = func() (int, error) {
		n := 0
		err := p.control(func(fd int) (err error) { n, err = unix.IoctlGetInt(fd, unix.TIOCOUTQ); return err })
		return n, err
	}
	p.discardOutput = func() error {
		return p.control(func(fd int) error { return unix.IoctlSetInt(fd, unix.TCFLSH, unix.TCOFLUSH) })
	}
	if err := p.setup(o.Flow); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// tarmConfig checks the settings and turns them into tarm's.
func tarmConfig(path string, o transport.SerialOptions) (*tarm.Config, error) {
	c := &tarm.Config{Name: path, Baud: o.Baud, Size: byte(o.DataBits)}
	if c.Baud == 0 {
		c.Baud = 9600
	}
	if o.DataBits == 0 {
		c.Size = 8
	} else if o.DataBits < 5 || o.DataBits > 8 {
		return nil, fmt.Errorf("%w: %d data bits (want 5 to 8)", ErrSettings, o.DataBits)
	}
	switch o.Parity {
	case 0, 'N', 'n':
		c.Parity = tarm.ParityNone
	case 'O', 'o':
		c.Parity = tarm.ParityOdd
	case 'E', 'e':
		c.Parity = tarm.ParityEven
	default:
		return nil, fmt.Errorf("%w: parity %q (want N, O or E)", ErrSettings, o.Parity)
	}
	switch o.StopBits {
	case 0, 1:
		c.StopBits = tarm.Stop1
	case 2:
		c.StopBits = tarm.Stop2
	default:
		return nil, fmt.Errorf("%w: %d stop bits (want 1 or 2)", ErrSettings, o.StopBits)
	}
	switch o.Flow {
	case "", "none", "rtscts", "xonxoff":
	default:
		return nil, fmt.Errorf("%w: flow control %q (want none, rtscts or xonxoff)", ErrSettings, o.Flow)
	}
	return c, nil
}

// setup applies what tarm does not (flow control) and discards input left
// over from before the port was opened, through the poller-managed
// descriptor (Fd would switch it to blocking mode).
func (p *Port) setup(flow string) error {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return fmt.Errorf("serial: %s: %w", p.path, err)
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		t, err := unix.IoctlGetTermios(int(fd), unix.TCGETS)
		if err != nil {
			ioErr = err
			return
		}
		t.Cflag &^= unix.CRTSCTS
		t.Iflag &^= unix.IXON | unix.IXOFF
		switch flow {
		case "rtscts":
			t.Cflag |= unix.CRTSCTS
		case "xonxoff":
			t.Iflag |= unix.IXON | unix.IXOFF
		}
		if err := unix.IoctlSetTermios(int(fd), unix.TCSETS, t); err != nil {
			ioErr = err
			return
		}
		ioErr = unix.IoctlSetInt(int(fd), unix.TCFLSH, unix.TCIFLUSH)
	})
	if err == nil {
		err = ioErr
	}
	if err != nil {
		return fmt.Errorf("serial: set up %s: %w", p.path, err)
	}
	return nil
}

// control runs fn on the port's descriptor.
func (p *Port) control(fn func(fd int) error) error {
	rc, err := p.f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	if err := rc.Control(func(fd uintptr) { ioErr = fn(int(fd)) }); err != nil {
		return err
	}
	return ioErr
}

// ReadTerminator is the byte that ends the instrument's replies as Read
// gives them: CR for ReadTermination "\r", else LF. A session frames
// replies with it unless told otherwise.
func (p *Port) ReadTerminator() byte {
	if p.opts.ReadTermination == "\r" {
		return '\r'
	}
	return '\n'
}

// Read reads what the instrument sent. With ReadTermination "\r" an LF
// right after the CR that ends a reply is dropped (crFrames), so an
// instrument that ends replies with CR LF leaves no stray LF to start the
// next reply; the session ends replies at the CR (ReadTerminator). "\r\n"
// needs nothing: the session ends a reply at its LF and drops the CR
// before it, outside a block's payload, whose CRs are data.
func (p *Port) Read(b []byte) (int, error) {
	for {
		n, err := p.f.Read(b)
		switch p.opts.ReadTermination {
		case "\r":
			j := p.cr.rewrite(b[:n])
			if j == 0 && n > 0 && err == nil {
				continue // only the LF of a CR LF: nothing to give yet
			}
			n = j
		}
		if err != nil {
			return n, fmt.Errorf("serial: read %s: %w", p.path, err)
		}
		return n, nil
	}
}

// Write sends b, ending a program message with WriteTermination when set.
func (p *Port) Write(b []byte) (int, error) {
	out := b
	if t := p.opts.WriteTermination; t != "" && bytes.HasSuffix(b, []byte{'\n'}) {
		out = append(append(make([]byte, 0, len(b)+len(t)), b[:len(b)-1]...), t...)
	}
	n, err := p.f.Write(out)
	if err != nil {
		return min(n, len(b)), fmt.Errorf("serial: write %s: %w", p.path, err)
	}
	return len(b), nil
}

// SetDeadline bounds reads and writes under way and to come.
func (p *Port) SetDeadline(t time.Time) error { return p.f.SetDeadline(t) }

// Close closes the port. Output the driver still holds is given a
// bounded time to go out (see closeStall); what is left is discarded, so
// Close does not wait for an instrument that holds the line with XOFF.
func (p *Port) Close() error {
	p.drain()
	return errors.Join(p.f.Close(), p.line.Close())
}

// drain waits for the driver's output queue to empty while it keeps
// emptying, then discards what is left.
func (p *Port) drain() {
	n, err := p.outQueue()
	if err != nil {
		p.discardOutput() // the queue cannot be seen: do not let close wait on it
		return
	}
	if n == 0 {
		return
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start, moved := time.Now(), time.Now()
	for n > 0 && time.Since(moved) < closeStall && time.Since(start) < closeDrainMax {
		<-tick.C
		m, err := p.outQueue()
		if err != nil {
			break
		}
		if m < n {
			moved = time.Now()
		}
		n = m
	}
	if n > 0 {
		p.discardOutput()
	}
}
