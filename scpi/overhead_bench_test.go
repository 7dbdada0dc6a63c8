package scpi_test

import (
	"context"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
)

// instantConn answers every write with a fixed reply at once, with no
// system calls, so that BenchmarkSessionOverhead measures only the
// session's own work per query.
type instantConn struct {
	reply   []byte
	pending int
}

func (c *instantConn) Write(p []byte) (int, error) { c.pending++; return len(p), nil }
func (c *instantConn) Read(p []byte) (int, error) {
	if c.pending == 0 {
		return 0, nil
	}
	c.pending--
	return copy(p, c.reply), nil
}
func (c *instantConn) SetDeadline(time.Time) error { return nil }
func (c *instantConn) Close() error                { return nil }

func BenchmarkSessionOverhead(b *testing.B) {
	s := scpi.NewSession(&instantConn{reply: []byte(shortReply + "\n")})
	defer s.Close()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Query(ctx, "MEAS:VOLT?"); err != nil {
			b.Fatal(err)
		}
	}
}
