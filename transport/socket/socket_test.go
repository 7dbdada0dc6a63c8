package socket

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/scpikit/scpikit/transport"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer answers each line with the same line, until the test ends.
func echoServer(t *testing.T) *net.TCPAddr {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() { ln.Close(); <-done })
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			c.Write(append(sc.Bytes(), '\n'))
		}
	}()
	return ln.Addr().(*net.TCPAddr)
}

func TestOpenThroughRegistry(t *testing.T) {
	addr := echoServer(t)
	c, err := transport.Open(context.Background(), "TCPIP0::127.0.0.1::"+strconv.Itoa(addr.Port)+"::SOCKET")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "*IDN?\n" {
		t.Fatalf("got %q, %v", line, err)
	}
}

func TestDeadlineInterruptsRead(t *testing.T) {
	addr := echoServer(t)
	c, err := Dial(context.Background(), addr.String(), transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	errc := make(chan error)
	go func() { _, err := c.Read(make([]byte, 1)); errc <- err }()
	c.SetDeadline(time.Unix(1, 0))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestDialRefusedAndCancelled(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Dial(context.Background(), addr, transport.NewOptions()); err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Dial(ctx, addr, transport.NewOptions()); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled dial: %v", err)
	}
}
