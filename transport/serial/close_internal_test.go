//go:build linux

package serial

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/transport"
	"golang.org/x/sys/unix"
)

// openPort opens a Port on the slave of a new pseudo-terminal pair.
func openPort(t *testing.T, o transport.SerialOptions) *Port {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Open(context.Background(), fmt.Sprintf("/dev/pts/%d", n), o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// closeWithin closes p, failing the test if Close has not returned in
// 10 s.
func closeWithin(t *testing.T, p *Port) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waits for output the line does not send")
	}
}

// Output the driver holds and does not send (the instrument sent XOFF,
// or holds CTS) is discarded on Close once none has gone for closeStall,
// so the kernel's last close does not wait for it: for closing_wait, 30 s
// by default, for ever when set so. A pty sends or refuses at once, so
// the driver's queue is a fake here: it never empties. Close used to
// close with the output still queued, never discarding it.
func TestCloseDiscardsOutputHeldByXOFF(t *testing.T) {
	defer func(old time.Duration) { closeStall = old }(closeStall)
	closeStall = time.Millisecond
	p := openPort(t, transport.SerialOptions{Flow: "xonxoff"})
	var mu sync.Mutex
	asked, discarded := 0, false
	p.outQueue = func() (int, error) {
		mu.Lock()
		defer mu.Unlock()
		asked++
		return 64, nil
	}
	discard := p.discardOutput
	p.discardOutput = func() error {
		mu.Lock()
		discarded = true
		mu.Unlock()
		return discard()
	}
	closeWithin(t, p)
	if !discarded {
		t.Fatalf("output held by XOFF not discarded before the close (queue asked %d times)", asked)
	}
}

// Output that keeps going out is waited for, not discarded: a last
// command (OUTP OFF) written just before Close reaches the instrument.
func TestCloseWaitsForOutputThatGoesOut(t *testing.T) {
	// No stall bound: a tick late on a loaded machine is not output held.
	defer func(old time.Duration) { closeStall = old }(closeStall)
	closeStall = time.Hour
	p := openPort(t, transport.SerialOptions{})
	left, discarded := 5, false
	p.outQueue = func() (int, error) {
		n := left
		left = max(0, left-1)
		return n, nil
	}
	p.discardOutput = func() error { discarded = true; return nil }
	closeWithin(t, p)
	if discarded || left != 0 {
		t.Fatalf("discarded %v with %d bytes still going out", discarded, left)
	}
}

// A driver whose output queue cannot be read (the ioctl fails) has its
// output discarded at Close rather than waited on, as XOFF-held output
// is: the kernel's last close would wait on it, seen or not.
func TestCloseDiscardsOutputItCannotSee(t *testing.T) {
	p := openPort(t, transport.SerialOptions{})
	discarded := false
	p.outQueue = func() (int, error) { return 0, errors.New("TIOCOUTQ: inappropriate ioctl for device") }
	discard := p.discardOutput
	p.discardOutput = func() error { discarded = true; return discard() }
	closeWithin(t, p)
	if !discarded {
		t.Fatal("output not discarded before the close")
	}
}
