package scpi_test

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
)

// memConn is an instrument in memory that answers every line with the
// same reply at once: a query through it costs only the session's own
// work, so a few nanoseconds more of it show.
type memConn struct {
	reply   []byte
	pending []byte
}

func (c *memConn) Write(p []byte) (int, error) {
	if bytes.HasSuffix(p, []byte("\n")) && bytes.Contains(p, []byte("?")) {
		c.pending = append(c.pending, c.reply...)
	}
	return len(p), nil
}

func (c *memConn) Read(p []byte) (int, error) {
	if len(c.pending) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *memConn) Close() error                  { return nil }
func (c *memConn) SetDeadline(t time.Time) error { return nil }

func memSession(opts ...scpi.Option) *scpi.Session {
	return scpi.NewSession(&memConn{reply: []byte(shortReply + "\n")}, opts...)
}

// BenchmarkQueryMemory is a Session query with nothing but the session's
// own work: the figure to compare between two versions of the session
// code (run each version's in turn, several times).
func BenchmarkQueryMemory(b *testing.B) {
	s := memSession()
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Query(ctx, "MEAS:VOLT?"); err != nil {
			b.Fatal(err)
		}
	}
}
