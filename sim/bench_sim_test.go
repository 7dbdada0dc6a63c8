package sim_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// BenchmarkInProcessQuery is a query of the sample instrument over the
// in-process link, through scpi.Session: what a simulated test run pays
// per exchange. It is interleaved with the same query to another sample
// instrument served over loopback TCP, and reports how many times faster
// the in-process link is (x-loopback), with the in-process allocations.
func BenchmarkInProcessQuery(b *testing.B) {
	for _, cmd := range []string{"*IDN?", "MEAS:VOLT? (@1)", "SOUR2:VOLT 2.5;VOLT?"} {
		b.Run(cmd, func(b *testing.B) {
			in := scpi.NewSession(sim.MustNew("SAMPLE").Conn())
			defer in.Close()
			srv, err := sim.ServeTCP("127.0.0.1:0", sim.MustNew("SAMPLE"), sim.ServerOptions{})
			if err != nil {
				b.Fatal(err)
			}
			defer srv.Close()
			tcp, err := scpi.Open(context.Background(), srv.Resource(), scpi.WithTimeout(time.Minute))
			if err != nil {
				b.Fatal(err)
			}
			defer tcp.Close()
			run := func(s *scpi.Session) (time.Duration, float64) {
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				for range b.N {
					if _, err := s.Query(context.Background(), cmd); err != nil {
						b.Fatal(err)
					}
				}
				took := time.Since(start)
				runtime.ReadMemStats(&after)
				return took, float64(after.Mallocs-before.Mallocs) / float64(b.N)
			}
			b.ResetTimer()
			d, allocs := run(in)
			loop, _ := run(tcp)
			b.ReportMetric(float64(loop)/float64(d), "x-loopback")
			b.ReportMetric(allocs, "in-process-allocs/op")
		})
	}
}

// echoServer is the minimal Go server the simulator is measured against:
// it answers each line with a fixed reply.
func echoServer(b *testing.B) string {
	reply := []byte("+1.234560E+00\n")
	srv := testserver.Start(b, func(c net.Conn) {
		r := bufio.NewReaderSize(c, 4096)
		for {
			if _, err := r.ReadSlice('\n'); err != nil {
				return
			}
			if _, err := c.Write(reply); err != nil {
				return
			}
		}
	})
	return fmt.Sprintf("TCPIP0::127.0.0.1::%d::SOCKET", srv.Port())
}

// BenchmarkTCPServer runs N concurrent clients, each with its own
// connection, against the simulator's TCP server and against the minimal
// echo server, in alternating rounds so machine drift hits both alike. It
// reports both rates and their ratio.
func BenchmarkTCPServer(b *testing.B) {
	for _, clients := range []int{1, 16, 256} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			simSrv, err := sim.ServeTCP("", sim.MustNew("SAMPLE"), sim.ServerOptions{MaxConns: 512})
			if err != nil {
				b.Fatal(err)
			}
			defer simSrv.Close()
			echo := echoServer(b)
			dial := func(res string) []*scpi.Session {
				ss := make([]*scpi.Session, clients)
				for i := range ss {
					if ss[i], err = scpi.Open(context.Background(), res, scpi.WithTimeout(time.Minute)); err != nil {
						b.Fatal(err)
					}
				}
				return ss
			}
			simSessions, echoSessions := dial(simSrv.Resource()), dial(echo)
			defer func() {
				for i := range simSessions {
					simSessions[i].Close()
					echoSessions[i].Close()
				}
			}()
			round := func(ss []*scpi.Session, queries int) time.Duration {
				var wg sync.WaitGroup
				per := max(queries/len(ss), 1)
				start := time.Now()
				for _, s := range ss {
					wg.Go(func() {
						for range per {
							if _, err := s.Query(context.Background(), "MEAS:VOLT?"); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				return time.Since(start)
			}
			// One op is one round: 4096 queries spread over the clients, on
			// each server.
			const perRound = 4096
			var simTime, echoTime time.Duration
			queries := 0
			for b.Loop() {
				echoTime += round(echoSessions, perRound)
				simTime += round(simSessions, perRound)
				queries += max(perRound/clients, 1) * clients
			}
			b.ReportMetric(float64(queries)/echoTime.Seconds(), "echo-queries/s")
			b.ReportMetric(float64(queries)/simTime.Seconds(), "sim-queries/s")
			b.ReportMetric(echoTime.Seconds()/simTime.Seconds(), "sim/echo")
		})
	}
}

// BenchmarkIdleInstrumentMemory reports the heap an idle simulated
// instrument holds, alone and with an open in-process link.
func BenchmarkIdleInstrumentMemory(b *testing.B) {
	for _, withLink := range []bool{false, true} {
		b.Run(fmt.Sprintf("link=%v", withLink), func(b *testing.B) {
			b.ReportMetric(idleBytes(1000, withLink), "bytes/instrument")
		})
	}
}

func idleBytes(n int, withLink bool) float64 {
	keep := make([]any, 0, 2*n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		in := sim.MustNew("SAMPLE")
		keep = append(keep, in)
		if withLink {
			keep = append(keep, in.Conn())
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(keep)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

// TestIdleInstrumentMemory holds the memory target: under 64 KiB for an
// idle instrument with a link open. Heap accounting is exact, not timed.
func TestIdleInstrumentMemory(t *testing.T) {
	if got := idleBytes(500, true); got > 64<<10 {
		t.Fatalf("an idle instrument holds %.0f bytes", got)
	}
}

// BenchmarkLargeMessage writes ASCII program messages of 1 KiB, 64 KiB,
// 1 MiB and 16 MiB to a simulated instrument's client in 32 KiB writes,
// as a server passes on what it reads, 16 MiB of each size per op, and
// reports the cost per byte at each size and the ratio of the largest
// size's to the smallest's: about 1 when framing is linear (a message is
// scanned once as it arrives, not again from its start at every write).
// The message is an unknown command with a long quoted string: framing
// and one linear pass of the parser, answered with an error.
func BenchmarkLargeMessage(b *testing.B) {
	const total = 16 << 20
	sizes := []int{1 << 10, 64 << 10, 1 << 20, 16 << 20}
	msgs := make([][]byte, len(sizes))
	for i, n := range sizes {
		m := append([]byte(`TEST:TEXT "`), bytes.Repeat([]byte("abcdefgh"), n/8)...)
		msgs[i] = append(m[:n-2], '"', '\n')
	}
	send := func(cl *sim.Client, m []byte) {
		for p := m; len(p) > 0; {
			k := min(len(p), 32<<10)
			if _, err := cl.Write(p[:k]); err != nil {
				b.Fatal(err)
			}
			p = p[k:]
		}
		cl.Clear()
	}
	newClient := func() *sim.Client {
		cl := sim.MustNew("SAMPLE").NewClient()
		cl.MaxInput = 32 << 20
		return cl
	}
	// The client keeps its input buffer once grown, as a server's
	// connection does: one message of each size first, untimed, so the
	// sizes compare the steady state. The first 16 MiB message on a new
	// client, which grows the buffer from fresh memory, is timed apart
	// (cold): it costs a page fault per page on top.
	cl := newClient()
	for _, m := range msgs {
		send(cl, m)
	}
	spent := make([]time.Duration, len(sizes))
	var cold time.Duration
	b.SetBytes(total * int64(len(sizes)))
	for b.Loop() {
		for i, m := range msgs {
			t0 := time.Now()
			for range total / len(m) {
				send(cl, m)
			}
			spent[i] += time.Since(t0)
		}
		fresh := newClient()
		t0 := time.Now()
		send(fresh, msgs[len(msgs)-1])
		cold += time.Since(t0)
	}
	perByte := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) / total }
	for i, n := range sizes {
		b.ReportMetric(perByte(spent[i]), fmt.Sprintf("ns/B-%dKiB", n>>10))
	}
	b.ReportMetric(perByte(spent[len(sizes)-1])/perByte(spent[0]), "largest/smallest")
	b.ReportMetric(perByte(cold), "ns/B-16384KiB-cold")
}
