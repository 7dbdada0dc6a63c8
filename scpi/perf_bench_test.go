package scpi_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
)

// The benchmarks here each report a ratio to a baseline measured in the
// same run, interleaved: batches of the baseline and of the measured call
// alternate, so that drift in a shared machine's speed affects both alike.
// A ratio is the measured call's rate as a fraction of the baseline's
// (1 is the baseline's speed, higher is faster).

// baseline is a named call that a measured call is compared with.
type baseline struct {
	name string
	run  func()
}

// interleave runs batches of each baseline and of measured in turn, one
// call of each per b.Loop iteration in all, and reports the measured
// call's time and, per baseline, its time and the ratio <what>/<name>.
func interleave(b *testing.B, batch int, what string, measured func(), bases ...baseline) {
	b.Helper()
	baseTime := make([]time.Duration, len(bases))
	var measTime time.Duration
	n := 0
	for b.Loop() {
		if n%batch == 0 {
			for i, base := range bases {
				t0 := time.Now()
				for range batch {
					base.run()
				}
				baseTime[i] += time.Since(t0)
			}
			t0 := time.Now()
			for range batch {
				measured()
			}
			measTime += time.Since(t0)
		}
		n++
	}
	calls := float64((n + batch - 1) / batch * batch)
	b.ReportMetric(float64(measTime.Nanoseconds())/calls, what+"-ns/call")
	for i, base := range bases {
		b.ReportMetric(float64(baseTime[i].Nanoseconds())/calls, base.name+"-ns/call")
		b.ReportMetric(baseTime[i].Seconds()/measTime.Seconds(), what+"/"+base.name)
	}
}

// textReply is n bytes of comma-separated readings, as a DMM's or a
// logger's buffer dump comes.
func textReply(n int) []byte {
	const reading = "+1.23456789E+00,"
	out := bytes.Repeat([]byte(reading), n/len(reading)+1)[:n]
	out[n-1] = '0'
	return out
}

// rawReader reads replies from a plain connection the way a hand-written
// loop would: into one reused buffer, until the terminator ends the data.
type rawReader struct {
	c   net.Conn
	buf []byte
}

func dialRaw(b *testing.B, addr string, size int) *rawReader {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return &rawReader{c: c, buf: make([]byte, size+64)}
}

// queryLine writes cmd and reads up to and including the terminator into
// the reused buffer; with fresh set, into a new buffer of the size the
// reply needs (the least a caller that keeps the reply must pay).
func (r *rawReader) queryLine(b *testing.B, cmd []byte, fresh bool) int {
	if fresh {
		r.buf = make([]byte, len(r.buf))
	}
	if _, err := r.c.Write(cmd); err != nil {
		b.Fatal(err)
	}
	n := 0
	for {
		m, err := r.c.Read(r.buf[n:])
		if err != nil {
			b.Fatal(err)
		}
		if bytes.IndexByte(r.buf[n:n+m], '\n') >= 0 {
			return n + m
		}
		n += m
	}
}

// queryFull writes cmd and reads exactly n bytes with io.ReadFull, into the
// reused buffer or, with fresh set, a new one.
func (r *rawReader) queryFull(b *testing.B, cmd []byte, n int, fresh bool) {
	if fresh {
		r.buf = make([]byte, len(r.buf))
	}
	if _, err := r.c.Write(cmd); err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(r.c, r.buf[:n]); err != nil {
		b.Fatal(err)
	}
}

var replySizes = []int{10, 1 << 10, 100 << 10, 1 << 20, 10 << 20}

func sizeName(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%dMiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%dKiB", n>>10)
	}
	return fmt.Sprintf("%dB", n)
}

func batchFor(size int) int { return max(1, min(64, (256<<10)/size)) }

// rawBaselines are the raw reads a session call is compared with: into a
// reused buffer (the floor), and into a fresh one (the floor for a caller
// that keeps the reply, as a Session's caller does: on a machine where
// fresh memory costs a page fault per page, this is most of the gap).
func rawBaselines(read func(fresh bool)) []baseline {
	return []baseline{
		{"raw", func() { read(false) }},
		{"raw-fresh", func() { read(true) }},
	}
}

// BenchmarkReplySize is query latency against reply size, for text replies
// (Session.Query, and QueryAppend into a reused slice, against a raw read
// to the terminator) and definite
// blocks (Session.QueryBlock against io.ReadFull of the same bytes),
// reported as session/raw at each size: the table in docs/session.md.
func BenchmarkReplySize(b *testing.B) {
	ctx := context.Background()
	for _, size := range replySizes {
		b.Run("text/"+sizeName(size), func(b *testing.B) {
			reply := textReply(size)
			srv := fixedServer(b, append(reply, '\n'))
			raw := dialRaw(b, srv.Addr(), size)
			s := openTCP(b, srv, scpi.WithTimeout(time.Minute))
			cmd := []byte("READ?\n")
			b.SetBytes(int64(size))
			interleave(b, batchFor(size), "session", func() {
				got, err := s.Query(ctx, "READ?")
				if err != nil || len(got) != size {
					b.Fatalf("%d bytes, %v", len(got), err)
				}
			}, rawBaselines(func(fresh bool) {
				if n := raw.queryLine(b, cmd, fresh); n != size+1 {
					b.Fatalf("raw read %d bytes, want %d", n, size+1)
				}
			})...)
		})
	}
	for _, size := range replySizes {
		// QueryAppend into one reused slice: the same work as the raw loop.
		b.Run("text-append/"+sizeName(size), func(b *testing.B) {
			reply := textReply(size)
			srv := fixedServer(b, append(reply, '\n'))
			raw := dialRaw(b, srv.Addr(), size)
			s := openTCP(b, srv, scpi.WithTimeout(time.Minute))
			cmd := []byte("READ?\n")
			var buf []byte
			b.SetBytes(int64(size))
			interleave(b, batchFor(size), "session", func() {
				var err error
				buf, err = s.QueryAppend(ctx, buf[:0], "READ?")
				if err != nil || len(buf) != size {
					b.Fatalf("%d bytes, %v", len(buf), err)
				}
			}, rawBaselines(func(fresh bool) {
				if n := raw.queryLine(b, cmd, fresh); n != size+1 {
					b.Fatalf("raw read %d bytes, want %d", n, size+1)
				}
			})...)
		})
	}
	for _, size := range replySizes {
		b.Run("block/"+sizeName(size), func(b *testing.B) {
			srv := blockServer(b, size)
			total := len(scpi.AppendBlockHeader(nil, size)) + size + 1
			raw := dialRaw(b, srv.Addr(), total)
			s := openTCP(b, srv, scpi.WithTimeout(time.Minute))
			cmd := []byte("DATA?\n")
			b.SetBytes(int64(size))
			interleave(b, batchFor(size), "session", func() {
				got, err := s.QueryBlock(ctx, "DATA?")
				if err != nil || len(got) != size {
					b.Fatalf("%d bytes, %v", len(got), err)
				}
			}, rawBaselines(func(fresh bool) { raw.queryFull(b, cmd, total, fresh) })...)
		})
	}
}

// BenchmarkFreshMemory explains the gap between Query of a large text
// reply and the raw loop into one reused buffer (BenchmarkReplySize):
// Query's result is new memory each call, as it must be for a reply the
// caller keeps. Beside raw and raw-fresh it runs raw-cold, the raw loop
// into a ring of buffers covering 64 MiB, reused (never a page fault, no
// allocation, no garbage collection) but never in the CPU's cache when
// read into; and it reports the minor page faults per call of Query and
// of raw-fresh.
func BenchmarkFreshMemory(b *testing.B) {
	ctx := context.Background()
	for _, size := range replySizes[2:] {
		b.Run("text/"+sizeName(size), func(b *testing.B) {
			reply := textReply(size)
			srv := fixedServer(b, append(reply, '\n'))
			raw := dialRaw(b, srv.Addr(), size)
			s := openTCP(b, srv, scpi.WithTimeout(time.Minute))
			cmd := []byte("READ?\n")
			ring := make([][]byte, (64<<20)/size)
			for i := range ring {
				ring[i] = make([]byte, len(raw.buf))
			}
			reused, next := raw.buf, 0
			line := func(fresh bool) {
				if n := raw.queryLine(b, cmd, fresh); n != size+1 {
					b.Fatalf("raw read %d bytes, want %d", n, size+1)
				}
			}
			var faults [2]int64
			var known [2]bool
			counted := func(i int, call func()) {
				f0, ok0 := minorFaults()
				call()
				f1, ok1 := minorFaults()
				faults[i] += f1 - f0
				known[i] = ok0 && ok1
			}
			b.SetBytes(int64(size))
			interleave(b, batchFor(size), "session", func() {
				counted(0, func() {
					if got, err := s.Query(ctx, "READ?"); err != nil || len(got) != size {
						b.Fatalf("%d bytes, %v", len(got), err)
					}
				})
			}, baseline{"raw", func() { raw.buf = reused; line(false) }},
				baseline{"raw-cold", func() { raw.buf = ring[next]; next = (next + 1) % len(ring); line(false) }},
				baseline{"raw-fresh", func() { counted(1, func() { line(true) }) }})
			calls := float64(b.N)
			if known[0] && known[1] {
				b.ReportMetric(float64(faults[0])/calls, "session-faults/call")
				b.ReportMetric(float64(faults[1])/calls, "raw-fresh-faults/call")
			}
		})
	}
}

// BenchmarkQueryBlockVsRaw reads a 64 MiB block as a new slice with
// QueryBlock, and decodes one as []float32 with QueryValues, each against
// io.ReadFull of the same bytes from a raw connection. QueryValues makes
// one allocation of its size, the result, read into straight from the
// link (allocs/op counts the raw-fresh baseline's one as well).
func BenchmarkQueryBlockVsRaw(b *testing.B) {
	const n = 64 << 20
	srv := blockServer(b, n)
	total := len(scpi.AppendBlockHeader(nil, n)) + n + 1
	raw := dialRaw(b, srv.Addr(), total)
	cmd := []byte("DATA?\n")
	ctx := context.Background()
	bases := rawBaselines(func(fresh bool) { raw.queryFull(b, cmd, total, fresh) })
	b.Run("QueryBlock", func(b *testing.B) {
		s := openTCP(b, srv, scpi.WithTimeout(time.Minute))
		b.SetBytes(n)
		interleave(b, 1, "session", func() {
			if got, err := s.QueryBlock(ctx, "DATA?"); err != nil || len(got) != n {
				b.Fatal(len(got), err)
			}
		}, bases...)
	})
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		b.Run("QueryValues-float32-"+order.String(), func(b *testing.B) {
			s := openTCP(b, srv, scpi.WithTimeout(time.Minute))
			b.SetBytes(n)
			b.ReportAllocs()
			interleave(b, 1, "session", func() {
				if got, err := scpi.QueryValues[float32](ctx, s, "DATA?", order); err != nil || len(got) != n/4 {
					b.Fatal(len(got), err)
				}
			}, bases...)
		})
	}
}

// BenchmarkSharedSession is the throughput of one Session shared by 8 and
// by 64 goroutines against the same Session used by one, in interleaved
// rounds of 256 queries each, and the 99th percentile of the shared
// queries' latency (waiting for the lock included) in microseconds.
func BenchmarkSharedSession(b *testing.B) {
	srv := replyServer(b, shortReply)
	ctx := context.Background()
	for _, workers := range []int{8, 64} {
		b.Run(fmt.Sprintf("goroutines-%d", workers), func(b *testing.B) {
			s := openTCP(b, srv)
			query := func() {
				if _, err := s.Query(ctx, "MEAS:VOLT?"); err != nil {
					b.Error(err)
				}
			}
			const round = 256
			var lat []time.Duration
			var mu sync.Mutex
			shared := func() {
				var wg sync.WaitGroup
				per := round / workers
				for range workers {
					wg.Go(func() {
						mine := make([]time.Duration, 0, per)
						for range per {
							t0 := time.Now()
							query()
							mine = append(mine, time.Since(t0))
						}
						mu.Lock()
						lat = append(lat, mine...)
						mu.Unlock()
					})
				}
				wg.Wait()
			}
			b.ReportAllocs()
			interleave(b, 1, "shared", shared, baseline{"one", func() {
				for range round {
					query()
				}
			}})
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-us")
			}
		})
	}
}

// BenchmarkCancellableContext is a query with a cancellable context (one
// with a deadline, as context.WithTimeout makes) against the same query
// with context.Background, interleaved. Over loopback TCP (the cost as a
// caller sees it) and over a link that answers at once with no system
// call (the session's own overhead, where the difference is largest).
func BenchmarkCancellableContext(b *testing.B) {
	srv := replyServer(b, shortReply)
	for _, link := range []string{"tcp", "instant"} {
		b.Run(link, func(b *testing.B) {
			var s *scpi.Session
			if link == "tcp" {
				s = openTCP(b, srv)
			} else {
				s = scpi.NewSession(&instantConn{reply: []byte(shortReply + "\n")})
				b.Cleanup(func() { s.Close() })
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
			defer cancel()
			query := func(ctx context.Context) {
				if _, err := s.Query(ctx, "MEAS:VOLT?"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			interleave(b, 64, "cancellable", func() { query(ctx) },
				baseline{"background", func() { query(context.Background()) }})
			// Per call: the same cancellable context call after call (its
			// cancellation hook is kept across calls), and a fresh one per
			// call (the hook registered and dropped each time; the
			// context's own allocations, the caller's, counted apart).
			bg := testing.AllocsPerRun(200, func() { query(context.Background()) })
			same := testing.AllocsPerRun(200, func() { query(ctx) })
			fresh := testing.AllocsPerRun(200, func() {
				ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
				query(ctx)
				cancel()
			})
			ctxOnly := testing.AllocsPerRun(200, func() {
				_, cancel := context.WithTimeout(context.Background(), time.Hour)
				cancel()
			})
			b.ReportMetric(same-bg, "extra-allocs/call")
			b.ReportMetric(fresh-ctxOnly-bg, "fresh-ctx-extra-allocs/call")
		})
	}
}
