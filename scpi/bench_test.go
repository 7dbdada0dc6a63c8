package scpi_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
)

const shortReply = "+1.23456789E+00"

// replyServer answers every line with reply. It allocates nothing per
// query, so the allocations a benchmark reports are the client's.
func replyServer(b *testing.B, reply string) *testserver.Server {
	return fixedServer(b, []byte(reply+"\n"))
}

// fixedServer answers every line with the same bytes, resp.
func fixedServer(b testing.TB, resp []byte) *testserver.Server {
	return testserver.Start(b, func(c net.Conn) {
		r := bufio.NewReader(c)
		for {
			if _, err := r.ReadSlice('\n'); err != nil {
				return
			}
			if _, err := c.Write(resp); err != nil {
				return
			}
		}
	})
}

func reportQPS(b *testing.B, start time.Time) {
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "queries/s")
}

// BenchmarkQuery compares a Session query of a short reply with the
// plainest possible net.Conn write-then-read loop against the same server.
func BenchmarkQuery(b *testing.B) {
	srv := replyServer(b, shortReply)
	b.Run("raw-netconn", func(b *testing.B) {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		cmd := []byte("MEAS:VOLT?\n")
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := c.Write(cmd); err != nil {
				b.Fatal(err)
			}
			line, err := r.ReadSlice('\n')
			if err != nil || len(line) != len(shortReply)+1 {
				b.Fatalf("%q %v", line, err)
			}
		}
		reportQPS(b, start)
	})
	b.Run("session", func(b *testing.B) {
		s := openTCP(b, srv)
		ctx := context.Background()
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			got, err := s.Query(ctx, "MEAS:VOLT?")
			if err != nil || got != shortReply {
				b.Fatalf("%q %v", got, err)
			}
		}
		reportQPS(b, start)
	})
	b.Run("session-ctx-with-deadline", func(b *testing.B) {
		s := openTCP(b, srv)
		ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
		defer cancel()
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := s.Query(ctx, "MEAS:VOLT?"); err != nil {
				b.Fatal(err)
			}
		}
		reportQPS(b, start)
	})
}

// BenchmarkQueryLogging shows what tracing costs: nothing at all (no
// allocation) when the logger's level is above debug.
func BenchmarkQueryLogging(b *testing.B) {
	srv := replyServer(b, shortReply)
	for _, tc := range []struct {
		name string
		log  zerolog.Logger
	}{
		{"no-logger", zerolog.Nop()},
		{"info-level", zerolog.New(io.Discard).Level(zerolog.InfoLevel)},
		{"debug-level", zerolog.New(io.Discard).Level(zerolog.DebugLevel)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			s := openTCP(b, srv, scpi.WithLogger(tc.log))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Query(context.Background(), "MEAS:VOLT?"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// blockServer answers DATA? with a definite block of n bytes.
func blockServer(b *testing.B, n int) *testserver.Server {
	resp := scpi.AppendBlockHeader(nil, n)
	resp = append(resp, make([]byte, n)...)
	resp = append(resp, '\n')
	return fixedServer(b, resp)
}

// BenchmarkBlock64MiB compares reading a 64 MiB block through the Session
// with io.ReadFull of the same bytes from a raw connection.
func BenchmarkBlock64MiB(b *testing.B) {
	const n = 64 << 20
	srv := blockServer(b, n)
	total := len(scpi.AppendBlockHeader(nil, n)) + n + 1
	b.Run("raw-readfull", func(b *testing.B) {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		buf := make([]byte, total)
		b.SetBytes(n)
		for b.Loop() {
			c.Write([]byte("DATA?\n"))
			if _, err := io.ReadFull(c, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("session-into", func(b *testing.B) {
		s := openTCP(b, srv, scpi.WithTimeout(time.Minute))
		buf := make([]byte, n)
		b.SetBytes(n)
		for b.Loop() {
			if got, err := s.QueryBlockInto(context.Background(), "DATA?", buf); err != nil || got != n {
				b.Fatal(got, err)
			}
		}
	})
	b.Run("session-to-writer", func(b *testing.B) {
		s := openTCP(b, srv, scpi.WithTimeout(time.Minute))
		b.SetBytes(n)
		for b.Loop() {
			if got, err := s.QueryBlockTo(context.Background(), "DATA?", io.Discard); err != nil || got != n {
				b.Fatal(got, err)
			}
		}
	})
}

// BenchmarkParseFloats parses a 1,000,000-value comma-separated reply.
func BenchmarkParseFloats(b *testing.B) {
	var sb strings.Builder
	for i := range 1_000_000 {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.FormatFloat(float64(i)*1.000123e-3-250, 'E', 8, 64))
	}
	reply := sb.String()
	b.SetBytes(int64(len(reply)))
	b.ReportAllocs()
	for b.Loop() {
		v, err := scpi.ParseFloats(reply)
		if err != nil || len(v) != 1_000_000 {
			b.Fatal(len(v), err)
		}
	}
}

// BenchmarkQueryVsRaw interleaves batches of raw net.Conn queries and
// Session queries against the same server and reports both rates and
// their ratio, so that drift in a shared machine's speed affects both
// alike. One op is one raw query plus one Session query.
func BenchmarkQueryVsRaw(b *testing.B) {
	srv := replyServer(b, shortReply)
	raw, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	rr := bufio.NewReader(raw)
	cmd := []byte("MEAS:VOLT?\n")
	s := openTCP(b, srv)
	ctx := context.Background()
	const batch = 64
	var rawTime, sessTime time.Duration
	n := 0
	for b.Loop() {
		if n%batch == 0 {
			t0 := time.Now()
			for range batch {
				raw.Write(cmd)
				if _, err := rr.ReadSlice('\n'); err != nil {
					b.Fatal(err)
				}
			}
			t1 := time.Now()
			for range batch {
				if _, err := s.Query(ctx, "MEAS:VOLT?"); err != nil {
					b.Fatal(err)
				}
			}
			rawTime += t1.Sub(t0)
			sessTime += time.Since(t1)
		}
		n++
	}
	queries := float64((n + batch - 1) / batch * batch)
	b.ReportMetric(queries/rawTime.Seconds(), "raw-queries/s")
	b.ReportMetric(queries/sessTime.Seconds(), "session-queries/s")
	b.ReportMetric(rawTime.Seconds()/sessTime.Seconds(), "session/raw")
}
