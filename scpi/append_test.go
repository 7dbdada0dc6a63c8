package scpi_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
)

// TestQueryAppend appends replies small and large (a large one spills out
// of the reader's buffer into chunks), with either terminator, to a slice
// that already holds something, and inside Do.
func TestQueryAppend(t *testing.T) {
	for _, size := range []int{0, 10, 20 << 10, 300 << 10} {
		for _, term := range []string{"\n", "\r\n"} {
			reply := string(textReply(max(size, 1)))[:size]
			conn := scpitest.NewConnWith(t, []scpitest.Option{scpitest.WithTerminator(term)},
				scpitest.Query("READ?", reply), scpitest.Query("READ?", reply))
			s := scpi.NewSession(conn, scpi.WithTimeout(5*time.Second), scpi.WithTermination(term, '\n'))
			got, err := s.QueryAppend(bg, []byte("pre:"), "READ?")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff("pre:"+reply, string(got)); diff != "" {
				t.Errorf("%d bytes, %q: (-want +got)\n%.300s", size, term, diff)
			}
			err = s.Do(bg, func(tx *scpi.Tx) error {
				got, err = tx.QueryAppend(bg, got[:0], "READ?")
				return err
			})
			if err != nil || string(got) != reply {
				t.Errorf("%d bytes, %q, in Do: %d bytes, %v", size, term, len(got), err)
			}
		}
	}
}

// TestQueryAppendAfterEachKeepsTheReply checks the error query that
// follows a large reply (CheckAfterEach) leaves the appended reply as it
// was, and that a device error comes back with the reply.
func TestQueryAppendAfterEachKeepsTheReply(t *testing.T) {
	reply := string(textReply(200 << 10))
	conn := scpitest.NewConn(t,
		scpitest.Query("READ?", reply), scpitest.Query("SYST:ERR?", `+0,"No error"`),
		scpitest.Query("READ?", reply), scpitest.Query("SYST:ERR?", `-222,"Data out of range"`), scpitest.Query("SYST:ERR?", `+0,"No error"`))
	s := scpi.NewSession(conn, scpi.WithErrorCheck(scpi.CheckAfterEach))
	got, err := s.QueryAppend(bg, nil, "READ?")
	if err != nil || string(got) != reply {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
	got, err = s.QueryAppend(bg, got[:0], "READ?")
	var de *scpi.DeviceError
	if !errors.As(err, &de) || de.Code != -222 || string(got) != reply {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
}

// TestQueryAppendReusesTheSlice reads large replies one after another into
// the same slice: the point of QueryAppend is that they cost no memory of
// their size, where Query must return each in new memory.
func TestQueryAppendReusesTheSlice(t *testing.T) {
	const size = 1 << 20
	resp := append(textReply(size), '\n')
	srv := testserver.Start(t, func(c net.Conn) {
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
	s := openTCP(t, srv, scpi.WithTimeout(time.Minute))
	buf, err := s.QueryAppend(bg, nil, "READ?")
	if err != nil || !bytes.Equal(buf, resp[:size]) {
		t.Fatalf("%d bytes, %v", len(buf), err)
	}
	// The allocation counter is the whole process's: the least of three
	// rounds is the calls' own figure unless something else allocated
	// during all three.
	const n = 8
	per := uint64(math.MaxUint64)
	for range 3 {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range n {
			if buf, err = s.QueryAppend(bg, buf[:0], "READ?"); err != nil || len(buf) != size {
				t.Fatalf("%d bytes, %v", len(buf), err)
			}
		}
		runtime.ReadMemStats(&after)
		per = min(per, (after.TotalAlloc-before.TotalAlloc)/n)
	}
	if per > size/4 {
		t.Errorf("%d bytes allocated per 1 MiB reply read into a reused slice", per)
	}
	if !strings.HasPrefix(string(buf), "+1.23456789E+00,") {
		t.Errorf("reply %.40q", buf)
	}
}

// TestQueryAppendCutShortLeavesTheSliceAlone times out a QueryAppend
// halfway through a large reply being read straight into the caller's
// slice; the rest of that reply, drained by the next call, must go to the
// reader's own memory, never to the slice the caller has back.
func TestQueryAppendCutShortLeavesTheSliceAlone(t *testing.T) {
	const size = 256 << 10
	reply := textReply(size)
	release := make(chan struct{})
	var releaseOnce sync.Once
	let := func() { releaseOnce.Do(func() { close(release) }) }
	srv := testserver.Start(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		for first := true; ; first = false {
			if _, err := r.ReadSlice('\n'); err != nil {
				return
			}
			if first {
				// Half now, the rest once the caller has given up.
				c.Write(reply[:size/2])
				<-release
				c.Write(append(reply[size/2:], '\n'))
				continue
			}
			c.Write([]byte("1\n"))
		}
	})
	t.Cleanup(let) // before the server's cleanup, which waits for this handler, even if the test fails early
	s := openTCP(t, srv, scpi.WithTimeout(time.Minute), scpi.WithResyncTimeout(time.Minute))
	buf := make([]byte, 0, 2*size)
	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	if _, err := s.QueryAppend(ctx, buf, "READ?"); !errors.Is(err, scpi.ErrTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want a timeout", err)
	}
	buf = buf[:cap(buf)]
	for i := range buf {
		buf[i] = 'x'
	}
	let()
	// The resync drains the rest of the first reply before this query.
	if got, err := s.Query(bg, "PING?"); err != nil || got != "1" {
		t.Fatalf("%q, %v", got, err)
	}
	if i := bytes.IndexFunc(buf, func(r rune) bool { return r != 'x' }); i >= 0 {
		t.Errorf("the caller's slice was written at %d after QueryAppend returned", i)
	}
}
