package sim

import (
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestChannelListBounds: a channel list that would expand beyond
// MaxChannelList (by one huge range, by ranges whose length overflows
// int, or by many small ranges) is refused with -223 Too much data, on
// the sample model's relays (the E36312A's outputs: keysight's
// TestE36300ChannelListBounds).
func TestChannelListBounds(t *testing.T) {
	many := "(@" + strings.Repeat("1:16,", MaxChannelList/16+1) + "1)"
	for _, tc := range []struct {
		model, msg string
	}{
		{"SAMPLE", "ROUT:CLOS (@-9223372036854775808:9223372036854775807)"},
		{"SAMPLE", "ROUT:CLOS (@9223372036854775807:-9223372036854775808)"},
		{"SAMPLE", "ROUT:CLOS (@-9223372036854775808:1)"},
		{"SAMPLE", "ROUT:CLOS (@1:20000)"},
		{"SAMPLE", "ROUT:CLOS " + many},
		{"SAMPLE", "MEAS:VOLT? " + many},
	} {
		in, err := New(tc.model)
		if err != nil {
			t.Fatal(err)
		}
		replies, codes := runOn(in, tc.msg)
		if diff := cmp.Diff([]int{-223}, codes); replies != nil || diff != "" {
			t.Errorf("%s %.60s: replies %q, codes (-want +got):\n%s", tc.model, tc.msg, replies, diff)
		}
	}
}

func TestChannelListEdges(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  error
	}{
		{"(@1)", []int{1}, nil},
		{"( @ 1 , 3 : 5 )", []int{1, 3, 4, 5}, nil},
		{"(@5:3)", []int{5, 4, 3}, nil},
		{"(@9223372036854775807)", []int{9223372036854775807}, nil},
		{"(@9223372036854775806:9223372036854775807)", []int{9223372036854775806, 9223372036854775807}, nil},
		{"(@-9223372036854775807:-9223372036854775808)", []int{-9223372036854775807, -9223372036854775808}, nil},
		{fmt.Sprintf("(@1:%d)", MaxChannelList), nil, nil},
		{fmt.Sprintf("(@0:%d)", MaxChannelList), nil, ErrTooMuchData},
		{"(@)", nil, ErrInvalidExpression},
		{"(@1,)", nil, ErrInvalidExpression},
		{"(@1:)", nil, ErrInvalidExpression},
		{"(@99999999999999999999)", nil, ErrInvalidExpression},
		{"(1)", nil, ErrInvalidExpression},
	} {
		got, err := parseChannelList([]byte(tc.in))
		if err != tc.err {
			t.Errorf("%s: error %v, want %v", tc.in, err, tc.err)
			continue
		}
		if tc.want != nil {
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", tc.in, diff)
			}
		} else if err == nil && len(got) != MaxChannelList {
			t.Errorf("%s: %d channels, want %d", tc.in, len(got), MaxChannelList)
		}
	}
}

// channelListAllocBound is the most parseChannelList may allocate for
// an input of n bytes: the result (at most MaxChannelList ints, allocated
// once) and a little slack, whatever n.
func channelListAllocBound(int) uint64 {
	return 8*MaxChannelList + 4096
}

// FuzzChannelList: any expression expands to a bounded list or fails
// with a SCPI error, and allocates within channelListAllocBound. Its seed
// corpus is in testdata/fuzz/FuzzChannelList.
func FuzzChannelList(f *testing.F) {
	for _, s := range []string{"(@1,3:5)", "(@5:3)", "(@-9223372036854775808:9223372036854775807)", "(@1:16,1:16)", "(@)", "( @ 7 )"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		raw := append(append([]byte("("), data...), ')')
		list, err := parseChannelList(raw)
		if err != nil {
			if _, ok := err.(Error); !ok {
				t.Fatalf("%q: %T %v, want a SCPI error", raw, err, err)
			}
		}
		if len(list) > MaxChannelList {
			t.Fatalf("%q: %d channels", raw, len(list))
		}
		if got, bound := leastAllocated(func() { parseChannelList(raw) }), channelListAllocBound(len(raw)); got > bound {
			t.Fatalf("%q: allocated %d bytes, bound %d", raw, got, bound)
		}
	})
}

// leastAllocated is the fewest bytes the process allocated across a few
// calls of f. The counter is the whole process's, and the fuzzing engine's
// own goroutines allocate now and then (CI once saw 3 KiB extra in one
// call); f is deterministic, so the least of five calls is f's own figure
// unless something else allocated during every one of them.
func leastAllocated(f func()) uint64 {
	least := uint64(math.MaxUint64)
	for range 5 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		f()
		runtime.ReadMemStats(&after)
		least = min(least, after.TotalAlloc-before.TotalAlloc)
	}
	return least
}

// heapLive is the heap in use after a full collection: the process's own
// accounting, not a timing.
func heapLive() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// stalledPeer is a stream peer that sends script, then neither sends nor
// reads until the test ends (then it reads EOF): its first Write reports
// the bytes offered and the live heap at that moment, and blocks until
// the test ends, as a socket whose reader stopped.
type stalledPeer struct {
	script []byte
	sent   bool
	wrote  chan [2]uint64 // bytes offered, live heap
	end    chan struct{}
}

func (p *stalledPeer) Read(b []byte) (int, error) {
	if !p.sent {
		p.sent = true
		return copy(b, p.script), nil
	}
	<-p.end
	return 0, io.EOF
}

func (p *stalledPeer) Write(b []byte) (int, error) {
	select {
	case p.wrote <- [2]uint64{uint64(len(b)), heapLive()}:
	case <-p.end:
	}
	<-p.end
	return 0, io.ErrClosedPipe
}

// TestStreamPipelineBackPressure: 300 trace queries in one 3.6 kB write
// from a client that never reads (issue 16's amplification, with 10,000
// points instead of 100,000 so the old code's failure costs 45 MB, not
// 480). The raw-socket server runs no further query while a response
// waits to be sent: the first write offers one response, and the heap
// holds about that, not 300 of them.
func TestStreamPipelineBackPressure(t *testing.T) {
	in := MustNew("SAMPLE")
	script := []byte("TRAC:POIN 10000\n" + strings.Repeat(":TRAC:DATA?\n", 300))
	const oneResponse = 10000 * 16 // "+1.000000E+00," per point
	base := heapLive()
	p := &stalledPeer{script: script, wrote: make(chan [2]uint64), end: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		serveStream(p, in, ServerOptions{MaxLine: 1 << 20}, p.end, "stalled")
	}()
	var got [2]uint64
	select {
	case got = <-p.wrote:
	case <-done:
		t.Fatal("the server wrote nothing")
	}
	close(p.end)
	<-done
	if got[0] > streamPauseAt+oneResponse {
		t.Errorf("first write offers %d bytes, want one response (%d) at most", got[0], oneResponse)
	}
	// Input and read buffers, one response and the trace it came from,
	// with room for the runtime's own.
	const bound = 4 << 20
	if got[1] > base && got[1]-base > bound {
		t.Errorf("live heap grew %d bytes while the peer stalled, bound %d", got[1]-base, bound)
	}
}

// TestMessageOutputBound: one message whose response would pass
// MaxOutput gets none: -430 Query DEADLOCKED, once; as IEEE 488.2
// 6.3.1.7 has a device break a deadlock, the rest of the message still
// runs (VOLT 7 takes effect) with its responses (*IDN?) discarded, and
// the client answers the next message.
func TestMessageOutputBound(t *testing.T) {
	in := MustNew("SAMPLE")
	cl := in.NewClient()
	cl.MaxOutput = 1 << 20
	cl.Write([]byte("TRAC:POIN 100000\n" + strings.TrimSuffix(strings.Repeat(":TRAC:DATA?;", 300), ";") + ";:VOLT 7;*IDN?\n"))
	if out := cl.TakeOutput(); len(out) != 0 {
		t.Errorf("%d bytes of response passed the 1 MiB bound: %.80q", len(out), out)
	}
	cl.Write([]byte("VOLT?;*IDN?\n"))
	if diff := cmp.Diff("7;scpikit,SAMPLE,SIM000001,1.0\n", string(cl.TakeOutput())); diff != "" {
		t.Errorf("after the refused message (-want +got):\n%s", diff)
	}
	var codes []int
	for _, e := range in.Errors() {
		codes = append(codes, e.Code)
	}
	if diff := cmp.Diff([]int{-430}, codes); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	// A response within the bound is whole.
	cl.Write([]byte("TRAC:POIN 1000;:TRAC:DATA?;DATA?\n"))
	if out := cl.TakeOutput(); strings.Count(string(out), ",") != 2*999 {
		t.Errorf("two 1000-point traces: %d commas", strings.Count(string(out), ","))
	}
}
