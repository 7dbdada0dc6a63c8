package transport

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestOpenUnregisteredLinkSaysWhich(t *testing.T) {
	_, err := Open(context.Background(), "USB0::0x2A8D::0x1002::MY123::INSTR")
	if !errors.Is(err, ErrNoLink) {
		t.Fatalf("err = %v, want ErrNoLink", err)
	}
	if !strings.Contains(err.Error(), "USBTMC") {
		t.Errorf("message %q does not name the link", err)
	}
}

func TestOpenMalformed(t *testing.T) {
	_, err := Open(context.Background(), "TCPIP::host::port::SOCKET")
	if !errors.Is(err, ErrBadResource) {
		t.Fatalf("err = %v", err)
	}
}

func TestRegisterAndIntercept(t *testing.T) {
	a, b := Pipe()
	defer b.Close()
	const name = "test-gpib-" // unique name; the real GPIB link lives elsewhere
	registry.Lock()
	registry.links[LinkGPIB] = func(ctx context.Context, r Resource, o Options) (Conn, error) {
		if r.PrimaryAddress != 7 {
			return nil, errors.New("wrong address " + name)
		}
		return a, nil
	}
	registry.Unlock()
	t.Cleanup(func() {
		registry.Lock()
		delete(registry.links, LinkGPIB)
		registry.Unlock()
	})
	if !slices.Contains(Links(), LinkGPIB) {
		t.Fatalf("Links() = %v", Links())
	}
	c, err := Open(context.Background(), "gpib::7::instr")
	if err != nil || c != a {
		t.Fatalf("Open = %v, %v", c, err)
	}
	// An interceptor takes precedence.
	x, y := Pipe()
	defer x.Close()
	defer y.Close()
	c, err = Open(context.Background(), "GPIB0::7::INSTR", WithIntercept(func(ctx context.Context, r Resource) (Conn, bool, error) {
		return x, true, nil
	}))
	if err != nil || c != x {
		t.Fatalf("intercepted Open = %v, %v", c, err)
	}
	a.Close()
}

func TestRegisterTwicePanics(t *testing.T) {
	Register("test-dup", func(context.Context, Resource, Options) (Conn, error) { return nil, nil })
	defer func() {
		registry.Lock()
		delete(registry.links, "test-dup")
		registry.Unlock()
		if recover() == nil {
			t.Fatal("second Register did not panic")
		}
	}()
	Register("test-dup", func(context.Context, Resource, Options) (Conn, error) { return nil, nil })
}

func TestPipe(t *testing.T) {
	a, b := Pipe()
	if _, err := a.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	n, err := b.Read(buf)
	if err != nil || string(buf[:n]) != "*IDN?\n" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	// A deadline in the past interrupts a blocked read.
	errc := make(chan error)
	go func() { _, err := a.Read(buf); errc <- err }()
	a.SetDeadline(time.Unix(1, 0))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("interrupted read: %v", err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past deadline: %v", err)
	}
	a.SetDeadline(time.Time{})
	// Close: the peer drains then reads EOF; the closed end reads ErrClosed.
	a.Write([]byte("bye"))
	a.Close()
	got, err := io.ReadAll(b)
	if err != nil || string(got) != "bye" {
		t.Fatalf("peer got %q, %v", got, err)
	}
	if _, err := a.Read(buf); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("read on closed end: %v", err)
	}
	if _, err := b.Write([]byte("x")); !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("write to closed peer: %v", err)
	}
	b.Close()
}

func TestPipeCloseInterruptsBlockedRead(t *testing.T) {
	a, b := Pipe()
	defer b.Close()
	errc := make(chan error)
	go func() { _, err := a.Read(make([]byte, 1)); errc <- err }()
	a.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v", err)
	}
}
