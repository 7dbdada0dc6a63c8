package scpi_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
)

// callLog is an Observer that keeps what it sees.
type callLog struct {
	mu    sync.Mutex
	calls []scpi.Call
}

func (l *callLog) ObserveCall(c scpi.Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
}

// Every kind of call reaches the observer once, as it ends, with its
// operation, command, duration and error.
func TestObserverSeesEveryCall(t *testing.T) {
	conn := scpitest.NewConn(t,
		scpitest.Write("OUTP ON"),
		scpitest.Query("MEAS:VOLT?", "+1.5E+00"),
		scpitest.Query("CURV?", "#13abc"),
		scpitest.Write("*TRG"),
		scpitest.Query("SYST:ERR?", `-113,"Undefined header"`),
		scpitest.Query("SYST:ERR?", `0,"No error"`),
		scpitest.Query("SYST:ERR?", `0,"No error"`),
	)
	obs := &callLog{}
	s := scpi.NewSession(conn, scpi.WithResource("SIM::DP832::INSTR"), scpi.WithObserver(obs))
	defer s.Close()
	ctx := context.Background()
	if err := s.Write(ctx, "OUTP ON"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Query(ctx, "MEAS:VOLT?"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QueryBlock(ctx, "CURV?"); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, "*TRG"); err != nil {
		t.Fatal(err)
	}
	var de *scpi.DeviceError
	if err := s.CheckErrors(ctx); !errors.As(err, &de) {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Errors(ctx); err != nil {
		t.Fatal(err)
	}
	// A call refused before anything is sent is seen too.
	if err := s.Write(ctx, "BAD\nCMD"); !errors.Is(err, scpi.ErrInvalidCommand) {
		t.Fatalf("err = %v", err)
	}
	type seen struct {
		Resource, Op, Command string
		Failed                bool
	}
	var got []seen
	for _, c := range obs.calls {
		if c.Took <= 0 {
			t.Errorf("%s %q took %v", c.Op, c.Command, c.Took)
		}
		got = append(got, seen{c.Resource, c.Op, c.Command, c.Err != nil})
	}
	const r = "SIM::DP832::INSTR"
	want := []seen{{r, "write", "OUTP ON", false}, {r, "query", "MEAS:VOLT?", false}, {r, "query block", "CURV?", false},
		{r, "write", "*TRG", false}, {r, "errors", "SYST:ERR?", true}, {r, "errors", "SYST:ERR?", false},
		{r, "write", "BAD\nCMD", true}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("calls (-want +got):\n%s", diff)
	}
}

// A read that times out is seen with its error, which matches ErrTimeout.
func TestObserverSeesTimeout(t *testing.T) {
	srv := silentServer(t)
	obs := &callLog{}
	s := openTCP(t, srv, scpi.WithObserver(obs), scpi.WithTimeout(20*time.Millisecond))
	if _, err := s.Read(context.Background()); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if len(obs.calls) != 1 || obs.calls[0].Op != "read" || !errors.Is(obs.calls[0].Err, scpi.ErrTimeout) {
		t.Fatalf("calls %+v", obs.calls)
	}
}

// silentServer reads and never answers.
func silentServer(t *testing.T) *testserver.Server {
	return testserver.Start(t, func(c net.Conn) {
		b := make([]byte, 64)
		for {
			if _, err := c.Read(b); err != nil {
				return
			}
		}
	})
}

// countingObserver is about the cheapest useful observer: a count and a
// sum of durations.
type countingObserver struct {
	n    int
	took time.Duration
}

func (o *countingObserver) ObserveCall(c scpi.Call) { o.n++; o.took += c.Took }

// BenchmarkQueryObserver interleaves batches of raw net.Conn queries,
// Session queries without an observer and Session queries with one,
// against the same server, as BenchmarkQueryVsRaw does, so that drift in
// a shared machine's speed affects all three alike. off/raw is the
// session's cost with the hook unused (compare it with BenchmarkQueryVsRaw's
// session/raw on the code before the hook); on/off is what observing costs.
func BenchmarkQueryObserver(b *testing.B) {
	srv := replyServer(b, shortReply)
	raw, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	rr := bufio.NewReader(raw)
	cmd := []byte("MEAS:VOLT?\n")
	off := openTCP(b, srv)
	obs := &countingObserver{}
	on := openTCP(b, srv, scpi.WithObserver(obs))
	ctx := context.Background()
	const batch = 64
	var rawTime, offTime, onTime time.Duration
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
				if _, err := off.Query(ctx, "MEAS:VOLT?"); err != nil {
					b.Fatal(err)
				}
			}
			t2 := time.Now()
			for range batch {
				if _, err := on.Query(ctx, "MEAS:VOLT?"); err != nil {
					b.Fatal(err)
				}
			}
			rawTime += t1.Sub(t0)
			offTime += t2.Sub(t1)
			onTime += time.Since(t2)
		}
		n++
	}
	if obs.n == 0 {
		b.Fatal("the observer saw nothing")
	}
	b.ReportMetric(offTime.Seconds()/rawTime.Seconds(), "off/raw")
	b.ReportMetric(onTime.Seconds()/offTime.Seconds(), "on/off")
	b.ReportMetric(onTime.Seconds()/rawTime.Seconds(), "on/raw")
}

// BenchmarkQueryMemoryObserver interleaves batches of queries through an
// in-memory instrument without and with an observer, where the session's
// own work is the whole cost: on/off is what observing costs in the worst
// case, and ns-off the figure BenchmarkQueryMemory gives on code without
// the hook.
func BenchmarkQueryMemoryObserver(b *testing.B) {
	off := memSession()
	defer off.Close()
	obs := &countingObserver{}
	on := memSession(scpi.WithObserver(obs))
	defer on.Close()
	ctx := context.Background()
	const batch = 256
	var offTime, onTime time.Duration
	n := 0
	for b.Loop() {
		if n%batch == 0 {
			t0 := time.Now()
			for range batch {
				if _, err := off.Query(ctx, "MEAS:VOLT?"); err != nil {
					b.Fatal(err)
				}
			}
			t1 := time.Now()
			for range batch {
				if _, err := on.Query(ctx, "MEAS:VOLT?"); err != nil {
					b.Fatal(err)
				}
			}
			offTime += t1.Sub(t0)
			onTime += time.Since(t1)
		}
		n++
	}
	queries := float64((n + batch - 1) / batch * batch)
	b.ReportMetric(offTime.Seconds()*1e9/queries, "ns-off")
	b.ReportMetric(onTime.Seconds()*1e9/queries, "ns-on")
	b.ReportMetric(onTime.Seconds()/offTime.Seconds(), "on/off")
}
