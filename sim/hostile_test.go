package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/internal/hislipwire"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/transport"
)

// The hostile-client suite (issue 16): against each server, attackers
// do what hurt it before (channel-list bombs, pipelined amplification
// never read, silent sockets, lying fragment and message lengths,
// hostage ++read lines), and while they do, a second client still gets
// *IDN? answered and the live heap stays under hostileBound.

// hostileOpts are the limits the suite serves with: small caps, so the
// bound they imply is small too.
var hostileOpts = ServerOptions{MaxConns: 8, MaxLine: 64 << 10, MaxOutput: 256 << 10}

// hostileBound is the live-heap growth the suite allows while attacked:
// per connection (at most 2*MaxConns of them, counting VXI-11's and
// HiSLIP's second channels) its input (MaxLine), its output (MaxOutput),
// a read buffer and a trace the sample model computes (800 kB), with the
// clients' side of the test in the same process, and room for the
// runtime.
const hostileBound = 2*8*(64<<10+256<<10+64<<10) + 8<<20

// logEvents is a logger whose messages arrive on a channel, so tests
// wait for what a server did instead of sleeping.
type logEvents struct {
	mu   sync.Mutex
	seen []string
	more chan struct{}
}

func newLogEvents() (*logEvents, zerolog.Logger) {
	l := &logEvents{more: make(chan struct{})}
	return l, zerolog.New(l).Level(zerolog.InfoLevel)
}

func (l *logEvents) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, string(b))
	close(l.more)
	l.more = make(chan struct{})
	return len(b), nil
}

// wait returns once n messages containing msg have been logged, or fails
// the test when ctx ends first.
func (l *logEvents) wait(t *testing.T, ctx context.Context, msg string, n int) {
	t.Helper()
	for {
		l.mu.Lock()
		k := 0
		for _, s := range l.seen {
			if strings.Contains(s, msg) {
				k++
			}
		}
		more := l.more
		l.mu.Unlock()
		if k >= n {
			return
		}
		select {
		case <-more:
		case <-ctx.Done():
			t.Fatalf("waited for %d log messages %q: %d came", n, msg, k)
		}
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer waits (up to a generous deadline, which only a broken
// server reaches) for the server to close c, reading and discarding what
// it sent.
func closedByServer(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the server did not close the connection", what)
	}
}

func idnOK(t *testing.T, s *scpi.Session, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	idn, err := s.Query(ctx, "*IDN?")
	if err != nil || !strings.HasPrefix(idn, "scpikit,SAMPLE") {
		t.Fatalf("%s: *IDN? during the attack: %q, %v", what, idn, err)
	}
}

func checkHeap(t *testing.T, base uint64, what string) {
	t.Helper()
	if now := heapLive(); now > base && now-base > hostileBound {
		t.Errorf("%s: live heap grew %d bytes under attack, bound %d", what, now-base, hostileBound)
	}
}

// amplify is a pipeline of trace queries whose responses (160 kB each,
// within MaxOutput) far outweigh it.
var amplify = "TRAC:POIN 10000\n" + strings.Repeat(":TRAC:DATA?\n", 300)

// bomb is a channel list that once expanded without end.
const bomb = "ROUT:CLOS (@-9223372036854775808:9223372036854775807)\n"

func TestHostileRawTCP(t *testing.T) {
	in := MustNew("SAMPLE")
	srv, err := ServeTCP("127.0.0.1:0", in, hostileOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	base := heapLive()
	addr := srv.Addr().String()
	dial(t, addr).Write([]byte(amplify))                                // and never reads
	dial(t, addr).Write([]byte(bomb))                                   // -223
	dial(t, addr).Write(bytes.Repeat([]byte("x"), 256<<10))             // no terminator: -363
	dial(t, addr).Write([]byte(strings.Repeat("*IDN?;", 60000) + "\n")) // within MaxLine? no: -363
	dial(t, addr)                                                       // silent
	s, err := scpi.Open(context.Background(), srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idnOK(t, s, "raw TCP")
	checkHeap(t, base, "raw TCP")
}

// rpcRecord frames a record of n declared bytes of which body is sent.
func rpcRecord(n uint32, body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, 1<<31|n), body...)
}

func TestHostileVXI11(t *testing.T) {
	in := MustNew("SAMPLE")
	srv, err := ServeVXI11("127.0.0.1:0", in, VXI11Options{ServerOptions: hostileOpts})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	base := heapLive()
	core := srv.Addr().String()
	pm := net.JoinHostPort("127.0.0.1", strconv.Itoa(srv.PortmapperPort()))
	// Lying record marks: the largest the core takes, and 8 MiB to the
	// portmapper (which takes 4 KiB), bodies never sent.
	dial(t, core).Write(rpcRecord(uint32(1<<20+4096), []byte{1}))
	big := dial(t, pm)
	big.Write(rpcRecord(8<<20, []byte{1}))
	closedByServer(t, big, "portmapper, an 8 MiB fragment")
	dial(t, pm) // silent
	dial(t, core)
	// A link that pipelines the amplifying queries and never reads.
	attacker, err := scpi.Open(context.Background(), srv.Resource(), scpi.WithTransportOptions(transport.WithPortmapperPort(srv.PortmapperPort())))
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := attacker.Write(ctx, strings.ReplaceAll(strings.TrimSpace(amplify), "\n", ";")); err != nil {
		t.Fatal(err)
	}
	attacker.Write(ctx, strings.TrimSpace(bomb))
	s, err := scpi.Open(context.Background(), srv.Resource(), scpi.WithTransportOptions(transport.WithPortmapperPort(srv.PortmapperPort())))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idnOK(t, s, "VXI-11")
	checkHeap(t, base, "VXI-11")
}

func TestHostileHiSLIP(t *testing.T) {
	in := MustNew("SAMPLE")
	srv, err := ServeHiSLIP("127.0.0.1:0", in, hostileOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	base := heapLive()
	addr := srv.Addr().String()
	dial(t, addr) // silent, before its handshake
	// A Data message declaring far more than the server takes.
	liar := dial(t, addr)
	liar.Write(hislipwire.Message(nil, hislipwire.Initialize, 0, uint32(hislipwire.Version)<<16, []byte("hislip0")))
	liar.Write(append(hislipwire.Message(nil, hislipwire.DataEnd, 0, 0, nil)[:8], binary.BigEndian.AppendUint64(nil, 1<<40)...))
	attacker, err := scpi.Open(context.Background(), srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer attacker.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := attacker.Write(ctx, strings.ReplaceAll(strings.TrimSpace(amplify), "\n", ";")); err != nil {
		t.Fatal(err)
	}
	attacker.Write(ctx, strings.TrimSpace(bomb))
	s, err := scpi.Open(context.Background(), srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idnOK(t, s, "HiSLIP")
	checkHeap(t, base, "HiSLIP")
}

func TestHostilePrologix(t *testing.T) {
	in := MustNew("SAMPLE")
	events, logger := newLogEvents()
	opts := hostileOpts
	opts.Logger = logger
	p, err := NewPrologix(map[int]*Instrument{5: in}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res, err := p.ServeTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := transport.ParseResource(res)
	addr := net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	base := heapLive()
	// Hostage: twenty 3-second ++read waits, then gone (issue 16, item 7).
	hostage := dial(t, addr)
	hostage.Write([]byte("++addr 5\n*OPC?\n++read eoi\n"))
	if line, err := bufio.NewReader(hostage).ReadString('\n'); line != "1\n" {
		t.Fatalf("hostage's first query: %q, %v", line, err)
	}
	hostage.Write([]byte("++read_tmo_ms 3000\n" + strings.Repeat("++read\n", 20)))
	hostage.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events.wait(t, ctx, "sim: prologix: host connection ended", 1)
	// Amplification with ++auto, never read.
	dial(t, addr).Write([]byte("++addr 5\n++auto 1\n" + amplify))
	dial(t, addr) // silent
	// The second client, as a Prologix host does it.
	c := dial(t, addr)
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	c.Write([]byte("++addr 5\n++auto 0\n*IDN?\n++read eoi\n"))
	if line, err := bufio.NewReader(c).ReadString('\n'); !strings.HasPrefix(line, "scpikit,SAMPLE") {
		t.Fatalf("*IDN? during the attack: %q, %v", line, err)
	}
	checkHeap(t, base, "Prologix")
}

// TestIdleTimeouts (issue 16, item 8): every server closes a connection
// that sends nothing, or takes nothing of what it is sent, for
// IdleTimeout, freeing its slot; the default is DefaultIdleTimeout.
func TestIdleTimeouts(t *testing.T) {
	if got := (ServerOptions{}).withDefaults().IdleTimeout; got != DefaultIdleTimeout {
		t.Errorf("default idle timeout %v, want %v", got, DefaultIdleTimeout)
	}
	if got := (ServerOptions{IdleTimeout: -1}).withDefaults().withDefaults().IdleTimeout; got > 0 {
		t.Errorf("a negative idle timeout became %v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	events, logger := newLogEvents()
	opts := ServerOptions{MaxConns: 1, IdleTimeout: 100 * time.Millisecond, Logger: logger}

	// Raw TCP: a client that pipelines and never reads holds its slot only
	// until the server's write has waited IdleTimeout.
	in := MustNew("SAMPLE")
	srv, err := ServeTCP("127.0.0.1:0", in, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dial(t, srv.Addr().String()).Write([]byte(amplify))
	events.wait(t, ctx, "sim: client disconnected", 1)
	s, err := scpi.Open(ctx, srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idnOK(t, s, "raw TCP after a stalled reader")

	// Prologix: a silent host is closed.
	p, err := NewPrologix(map[int]*Instrument{5: in}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res, err := p.ServeTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := transport.ParseResource(res)
	closedByServer(t, dial(t, net.JoinHostPort(r.Host, strconv.Itoa(r.Port))), "Prologix, silent")

	// VXI-11's portmapper: a silent connection is closed.
	v, err := ServeVXI11("127.0.0.1:0", in, VXI11Options{ServerOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	closedByServer(t, dial(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(v.PortmapperPort()))), "portmapper, silent")
}

// TestConnectionLimits: the portmapper and the Prologix controller refuse
// connections beyond MaxConns, closing them at once, as the raw socket
// does.
func TestConnectionLimits(t *testing.T) {
	in := MustNew("SAMPLE")
	opts := ServerOptions{MaxConns: 1}
	v, err := ServeVXI11("127.0.0.1:0", in, VXI11Options{ServerOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	pm := net.JoinHostPort("127.0.0.1", strconv.Itoa(v.PortmapperPort()))
	dial(t, pm) // accepted first: connections are accepted in order
	closedByServer(t, dial(t, pm), "portmapper, beyond MaxConns")

	p, err := NewPrologix(map[int]*Instrument{5: in}, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res, err := p.ServeTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r, _ := transport.ParseResource(res)
	addr := net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	held := dial(t, addr)
	held.Write([]byte("++ver\n"))
	if line, err := bufio.NewReader(held).ReadString('\n'); !strings.HasPrefix(line, "Prologix") {
		t.Fatalf("++ver: %q, %v", line, err)
	}
	closedByServer(t, dial(t, addr), "Prologix, beyond MaxConns")
}
