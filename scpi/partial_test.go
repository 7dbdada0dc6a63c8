package scpi_test

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"sync"
	"testing"

	"github.com/scpikit/scpikit/scpi"
)

// sawConn tells, once, that a read returned bytes holding want.
type sawConn struct {
	net.Conn
	want []byte
	saw  chan struct{}
	once sync.Once
}

func (c *sawConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if bytes.Contains(p[:n], c.want) {
		c.once.Do(func() { close(c.saw) })
	}
	return n, err
}

// A Read cut short part way through a message leaves the rest of it to
// come: the next query must not take "1.23" + "45" for its own reply.
func TestReadCutShortMidMessageIsOwed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	more := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		in := bufio.NewReader(c)
		for _, step := range []struct{ want, reply string }{{"MEAS?\n", "1.23"}, {"", "45\n"}, {"B?\n", "b\n"}} {
			if step.want == "" {
				<-more
			} else if line, err := in.ReadString('\n'); err != nil || line != step.want {
				served <- err
				return
			}
			if _, err := c.Write([]byte(step.reply)); err != nil {
				served <- err
				return
			}
		}
		served <- nil
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	conn := &sawConn{Conn: nc, want: []byte("1.23"), saw: make(chan struct{})}
	s := scpi.NewSession(conn)
	defer s.Close()
	if err := s.Write(bg, "MEAS?"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	go func() { <-conn.saw; cancel() }() // the first part is in: give up
	if got, err := s.Read(ctx); err == nil {
		t.Fatalf("Read = %q, want it cut short", got)
	}
	close(more)
	if got, err := s.Query(bg, "B?"); err != nil || got != "b" {
		t.Errorf(`Query("B?") = %q, %v; want "b" (the rest of the cut message is discarded)`, got, err)
	}
	if err := <-served; err != nil {
		t.Errorf("the instrument: %v", err)
	}
}
