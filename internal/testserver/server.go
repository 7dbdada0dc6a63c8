package testserver

import (
	"bufio"
	"net"
	"sync"
	"testing"
)

// Server is a running loopback server.
type Server struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// Start serves handle for each connection until the test ends.
func Start(tb testing.TB, handle func(c net.Conn)) *Server {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testserver: %v", err)
	}
	s := &Server{ln: ln, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns[c] = struct{}{}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer s.forget(c)
				handle(c)
			}()
		}
	}()
	tb.Cleanup(s.Close)
	return s
}

func (s *Server) forget(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// Addr is the "127.0.0.1:port" the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Port is the server's TCP port.
func (s *Server) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// DropConnections closes every open connection, as a pulled cable would.
func (s *Server) DropConnections() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
}

// Close stops the server, closes its connections and waits for its
// goroutines.
func (s *Server) Close() {
	s.ln.Close()
	s.DropConnections()
	s.wg.Wait()
}

// Lines adapts a per-line handler: it gets each newline-terminated line
// without the terminator and answers reply+"\n" when ok.
func Lines(handle func(line string) (reply string, ok bool)) func(net.Conn) {
	return func(c net.Conn) {
		r := bufio.NewReaderSize(c, 64<<10)
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				return
			}
			reply, ok := handle(string(line[:len(line)-1]))
			if ok {
				if _, err := c.Write([]byte(reply + "\n")); err != nil {
					return
				}
			}
		}
	}
}
