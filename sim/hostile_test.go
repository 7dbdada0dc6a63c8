package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/internal/dnsmsg"
	"github.com/scpikit/scpikit/internal/hislipwire"
	"github.com/scpikit/scpikit/internal/oncrpc"
	"github.com/scpikit/scpikit/internal/vxi11wire"
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

// servePrologix serves a controller with devices on the loopback and
// returns it with its TCP address; the caller closes it.
func servePrologix(t *testing.T, devices map[int]*Instrument, opts ServerOptions) (*Prologix, string) {
	t.Helper()
	p, err := NewPrologix(devices, opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.ServeTCP("127.0.0.1:0")
	if err != nil {
		p.Close()
		t.Fatal(err)
	}
	r, _ := transport.ParseResource(res)
	return p, net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
}

// portmapperAddr is the address of a VXI-11 server's portmapper.
func portmapperAddr(v *VXI11Server) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(v.PortmapperPort()))
}

// idnOK is the second client's *IDN?, over a session, while the attack
// runs: answered well within a generous bound that only a blocked server
// reaches.
func idnOK(t *testing.T, s *scpi.Session, what string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	idn, err := s.Query(ctx, "*IDN?")
	if err != nil || !strings.HasPrefix(idn, "scpikit,SAMPLE") {
		t.Fatalf("%s: *IDN? during the attack: %q, %v", what, idn, err)
	}
}

// idnSession opens the second client's session and asks *IDN?.
func idnSession(t *testing.T, resource string, what string, opts ...scpi.Option) {
	t.Helper()
	s, err := scpi.Open(context.Background(), resource, opts...)
	if err != nil {
		t.Fatalf("%s: the second client cannot open %s: %v", what, resource, err)
	}
	defer s.Close()
	idnOK(t, s, what)
}

// checkHeap checks the process's live heap grew less than hostileBound
// since base, and returns the growth.
func checkHeap(t *testing.T, base uint64, what string) uint64 {
	t.Helper()
	now := heapLive()
	if now <= base {
		return 0
	}
	if now-base > hostileBound {
		t.Errorf("%s: live heap grew %d bytes under attack, bound %d", what, now-base, hostileBound)
	}
	return now - base
}

// hostileMemBound is the most a server may account as held (its
// MemoryStats.Peak) under the suite's attacks, whatever they send: per
// connection (at most 2*MaxConns of them, counting VXI-11's and HiSLIP's
// second channels) an input buffer of MaxLine and the read that passed
// it, an output queue of MaxOutput and the 64 KiB a stream link lets
// wait, each at most doubled by append's growth, and 128 KiB of read
// buffers, record chunks and replies. The amplification alone, unbounded,
// is 300 x 160 kB = 48 MB.
const hostileMemBound = 2 * 8 * (2*(64<<10+32<<10) + 2*(256<<10+streamPauseAt) + 128<<10)

// amplify is a pipeline of trace queries whose responses (160 kB each,
// within MaxOutput) far outweigh it.
var amplify = "TRAC:POIN 10000\n" + strings.Repeat(":TRAC:DATA?\n", 300)

// amplifyMessage is amplify as one program message, as a message-based
// link's client sends it.
var amplifyMessage = strings.ReplaceAll(strings.TrimSpace(amplify), "\n", ";")

// bomb is a channel list that once expanded without end.
const bomb = "ROUT:CLOS (@-9223372036854775808:9223372036854775807)\n"

// rpcRecord frames a record of n declared bytes of which body is sent.
func rpcRecord(n uint32, body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, 1<<31|n), body...)
}

// writeAttack has a session send what an attacker does on a message-
// based link: the amplification, never read, and the bomb.
func writeAttack(t *testing.T, resource string, opts ...scpi.Option) {
	t.Helper()
	attacker, err := scpi.Open(context.Background(), resource, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { attacker.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := attacker.Write(ctx, amplifyMessage); err != nil {
		t.Fatal(err)
	}
	if err := attacker.Write(ctx, strings.TrimSpace(bomb)); err != nil {
		t.Fatal(err)
	}
}

// hostileTarget is a server under attack: its own memory account, the
// second client's *IDN?, and how to stop it.
type hostileTarget struct {
	memory func() MemoryStats
	idn    func(t *testing.T)
	close  func() error
}

// hostileCases serve one server each and start the attacks that hurt it
// before; the attackers stay connected while the second client asks.
var hostileCases = []struct {
	name   string
	attack func(t *testing.T) hostileTarget
}{
	{"raw TCP", func(t *testing.T) hostileTarget {
		srv, err := ServeTCP("127.0.0.1:0", MustNew("SAMPLE"), hostileOpts)
		if err != nil {
			t.Fatal(err)
		}
		addr := srv.Addr().String()
		// Each attack is seen to have been run, by the error it caused
		// or the first byte of its responses, before the next starts:
		// the second client asks while they are all in force.
		for _, a := range []struct{ send, err string }{
			{bomb, "-223"},
			{strings.Repeat("x", 256<<10) + "\n", "-363"},    // no terminator within MaxLine
			{strings.Repeat("*IDN?;", 60000) + "\n", "-363"}, // beyond MaxLine
			{amplify, ""}, // read one byte, then never again
		} {
			c := dial(t, addr)
			c.SetDeadline(time.Now().Add(20 * time.Second))
			if a.err != "" {
				a.send += "SYST:ERR?\n"
			}
			c.Write([]byte(a.send))
			line, err := bufio.NewReader(io.LimitReader(c, 64)).ReadString('\n')
			if a.err != "" && !strings.HasPrefix(line, a.err) || a.err == "" && line == "" {
				t.Fatalf("raw TCP: the attack %.30q: %q, %v", a.send, line, err)
			}
		}
		dial(t, addr) // silent
		return hostileTarget{srv.Memory, func(t *testing.T) { idnSession(t, srv.Resource(), "raw TCP") }, srv.Close}
	}},
	{"VXI-11 core", func(t *testing.T) hostileTarget {
		srv, err := ServeVXI11("127.0.0.1:0", MustNew("SAMPLE"), VXI11Options{ServerOptions: hostileOpts, MaxRecvSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		pm := scpi.WithTransportOptions(transport.WithPortmapperPort(srv.PortmapperPort()))
		core := srv.Addr().String()
		// A lying record mark, the largest the core takes, its body
		// never sent; a silent connection; a link that amplifies and
		// never reads.
		dial(t, core).Write(rpcRecord(64<<10+4096, []byte{1}))
		dial(t, core)
		writeAttack(t, srv.Resource(), pm)
		return hostileTarget{srv.Memory, func(t *testing.T) { idnSession(t, srv.Resource(), "VXI-11 core", pm) }, srv.Close}
	}},
	{"VXI-11 portmapper", func(t *testing.T) hostileTarget {
		srv, err := ServeVXI11("127.0.0.1:0", MustNew("SAMPLE"), VXI11Options{ServerOptions: hostileOpts, MaxRecvSize: 64 << 10})
		if err != nil {
			t.Fatal(err)
		}
		addr := portmapperAddr(srv)
		// Issue 16, item 6: a hundred 8 MiB fragments; each is closed
		// (waited for, so that the slots the rest need are free), nothing
		// allocated for it.
		for range 100 {
			c := dial(t, addr)
			c.Write(rpcRecord(8<<20, bytes.Repeat([]byte{1}, 1024)))
			closedByServer(t, c, "portmapper, an 8 MiB fragment")
		}
		// A call within the 4 KiB cap whose body never comes, and a
		// silent connection.
		dial(t, addr).Write(rpcRecord(4000, []byte{1}))
		dial(t, addr)
		pm := scpi.WithTransportOptions(transport.WithPortmapperPort(srv.PortmapperPort()))
		return hostileTarget{srv.Memory, func(t *testing.T) { idnSession(t, srv.Resource(), "VXI-11 via the portmapper", pm) }, srv.Close}
	}},
	{"HiSLIP", func(t *testing.T) hostileTarget {
		srv, err := ServeHiSLIP("127.0.0.1:0", MustNew("SAMPLE"), hostileOpts)
		if err != nil {
			t.Fatal(err)
		}
		addr := srv.Addr().String()
		dial(t, addr) // silent, before its handshake
		// A Data message declaring far more than the server takes.
		liar := dial(t, addr)
		liar.Write(hislipwire.Message(nil, hislipwire.Initialize, 0, uint32(hislipwire.Version)<<16, []byte("hislip0")))
		liar.Write(append(hislipwire.Message(nil, hislipwire.DataEnd, 0, 0, nil)[:8], binary.BigEndian.AppendUint64(nil, 1<<40)...))
		writeAttack(t, srv.Resource())
		// The amplification as many messages in one payload, never read:
		// run a stretch at a time, each stretch's output sent (here,
		// stuck in the socket) before the next runs; before, all 300
		// responses (48 MB) were made at once.
		amp, err := transport.Open(context.Background(), srv.Resource())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { amp.Close() })
		if _, err := amp.Write([]byte(amplify)); err != nil {
			t.Fatal(err)
		}
		return hostileTarget{srv.Memory, func(t *testing.T) { idnSession(t, srv.Resource(), "HiSLIP") }, srv.Close}
	}},
	{"Prologix", func(t *testing.T) hostileTarget {
		events, logger := newLogEvents()
		opts := hostileOpts
		opts.Logger = logger
		// The second client talks to the instrument at 5. The stalled
		// host left a response there it will never take (the second
		// client's first message discards it, -410, as GPIB does); the
		// TCP amplifier keeps to the one at 6, so that its queries,
		// still running while the second client asks, cannot take or
		// discard the second client's replies. On the old controller
		// either held the whole bus.
		p, addr := servePrologix(t, map[int]*Instrument{5: MustNew("SAMPLE"), 6: MustNew("SAMPLE")}, opts)
		hostage(t, addr)
		stalled := stallHost(t, p, "++addr 5\n++auto 0\nTRAC:POIN 10000\n:TRAC:DATA?\n++read eoi\n")
		dial(t, addr).Write([]byte("++addr 6\n++auto 1\n" + amplify)) // never read
		dial(t, addr)                                                 // silent
		return hostileTarget{p.Memory, func(t *testing.T) {
			c := dial(t, addr)
			rd := bufio.NewReader(c)
			ask := func(q string) string {
				t.Helper()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				c.Write([]byte(q + "\n++read eoi\n"))
				line, err := rd.ReadString('\n')
				if err != nil {
					t.Fatalf("Prologix: %s during the attack: %q, %v", q, line, err)
				}
				return line
			}
			c.Write([]byte("++addr 5\n++auto 0\n"))
			if got := ask("*IDN?"); !strings.HasPrefix(got, "scpikit,SAMPLE") {
				t.Fatalf("Prologix: *IDN? during the attack: %q", got)
			}
			// The hostage's lines after its ++reads (VOLT 7) were
			// dropped with its connection, not run.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			events.wait(t, ctx, "sim: prologix: host connection ended", 1)
			if got := ask("VOLT?"); got != "0\n" {
				t.Errorf("Prologix: VOLT? after the hostage left: %q, want 0: its lines ran after it closed", got)
			}
		}, func() error { stalled(); return p.Close() }}
	}},
}

// hostage is issue 16's item 7: a host asks for twenty 3-second ++read
// waits, then a setting, and goes. None of it may hold the bus: the
// second client is asked at once, within 20 s, where the old controller
// held the bus for the 60 s of waits.
func hostage(t *testing.T, addr string) {
	t.Helper()
	c := dial(t, addr)
	c.SetDeadline(time.Now().Add(20 * time.Second))
	c.Write([]byte("++addr 5\n*OPC?\n++read eoi\n"))
	if line, err := bufio.NewReader(c).ReadString('\n'); line != "1\n" {
		t.Fatalf("hostage's first query: %q, %v", line, err)
	}
	c.Write([]byte("++read_tmo_ms 3000\n" + strings.Repeat("++read\n", 20) + "VOLT 7\n"))
	c.Close()
}

// stallHost serves a host that sends script and then stops reading: it
// returns once the controller is inside a write to it that will never
// complete (so a bus held across host writes is held now), and gives
// back the function that ends the host and waits for it.
func stallHost(t *testing.T, p *Prologix, script string) (end func()) {
	t.Helper()
	host := &stalledPeer{script: []byte(script), wrote: make(chan [2]uint64), end: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.serve(host, "stalled host", 0)
	}()
	select {
	case <-host.wrote:
	case <-done:
		t.Fatal("the controller wrote nothing to the stalled host")
	}
	var once sync.Once
	return func() { once.Do(func() { close(host.end); <-done }) }
}

// TestHostileClients is the suite: for each server, while its attackers
// stay connected, a second client gets *IDN? answered, the process's
// live heap grows less than hostileBound, and the server's own account
// (MemoryStats) peaks under hostileMemBound and is back to zero once the
// server is closed.
func TestHostileClients(t *testing.T) {
	for _, tc := range hostileCases {
		t.Run(tc.name, func(t *testing.T) {
			base := heapLive()
			target := tc.attack(t)
			var once sync.Once
			var closeErr error
			stop := func() error { once.Do(func() { closeErr = target.close() }); return closeErr }
			defer stop()
			target.idn(t)
			grew := checkHeap(t, base, tc.name)
			m := target.memory()
			t.Logf("%s: the server's account peaked at %d bytes (bound %d); live heap grew %d bytes (bound %d)", tc.name, m.Peak, hostileMemBound, grew, hostileBound)
			if m.Peak <= 0 || m.Peak > hostileMemBound {
				t.Errorf("%s: the server's account peaked at %d bytes under attack; want some, at most %d", tc.name, m.Peak, hostileMemBound)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if m := target.memory(); m.Held != 0 {
				t.Errorf("%s: closed, the server still accounts %d bytes held", tc.name, m.Held)
			}
		})
	}
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
	p, addr := servePrologix(t, map[int]*Instrument{5: in}, opts)
	defer p.Close()
	closedByServer(t, dial(t, addr), "Prologix, silent")

	// VXI-11's portmapper: a silent connection is closed.
	v, err := ServeVXI11("127.0.0.1:0", in, VXI11Options{ServerOptions: opts})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	closedByServer(t, dial(t, portmapperAddr(v)), "portmapper, silent")
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
	pm := portmapperAddr(v)
	dial(t, pm) // accepted first: connections are accepted in order
	closedByServer(t, dial(t, pm), "portmapper, beyond MaxConns")

	p, addr := servePrologix(t, map[int]*Instrument{5: in}, opts)
	defer p.Close()
	held := dial(t, addr)
	held.Write([]byte("++ver\n"))
	if line, err := bufio.NewReader(held).ReadString('\n'); !strings.HasPrefix(line, "Prologix") {
		t.Fatalf("++ver: %q, %v", line, err)
	}
	closedByServer(t, dial(t, addr), "Prologix, beyond MaxConns")
}

// TestMemoryAccount: a server's account counts what a client makes it
// hold (a 160 kB trace response, on the raw socket and on a VXI-11 link)
// and gives it back when the client goes, so the suite's bound is not
// met by counting nothing.
func TestMemoryAccount(t *testing.T) {
	const trace = 10000 * 16 // bytes of a 10,000-point trace
	events, logger := newLogEvents()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	srv, err := ServeTCP("127.0.0.1:0", MustNew("SAMPLE"), ServerOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c := dial(t, srv.Addr().String())
	c.SetDeadline(time.Now().Add(20 * time.Second))
	c.Write([]byte("TRAC:POIN 10000;:TRAC:DATA?\n"))
	if _, err := io.ReadFull(c, make([]byte, trace/2)); err != nil {
		t.Fatal(err)
	}
	if m := srv.Memory(); m.Held < trace || m.Peak < m.Held {
		t.Errorf("raw TCP, a trace sent: %+v, want at least %d held", m, trace)
	}
	c.Close()
	events.wait(t, ctx, "sim: client disconnected", 1)
	if m := srv.Memory(); m.Held != 0 || m.Peak < trace {
		t.Errorf("raw TCP, the client gone: %+v, want 0 held, a peak of at least %d", m, trace)
	}

	v, err := ServeVXI11("127.0.0.1:0", MustNew("SAMPLE"), VXI11Options{ServerOptions: ServerOptions{Logger: logger}})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	s, err := scpi.Open(ctx, v.Resource(), scpi.WithTransportOptions(transport.WithPortmapperPort(v.PortmapperPort())))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Query(ctx, "TRAC:POIN 10000;:TRAC:DATA?"); err != nil {
		t.Fatal(err)
	}
	if m := v.Memory(); m.Held < trace {
		t.Errorf("VXI-11, a trace read: %+v, want at least %d held (the link keeps its buffers)", m, trace)
	}
	s.Close()
	events.wait(t, ctx, "sim: vxi11 client disconnected", 1)
	if m := v.Memory(); m.Held != 0 {
		t.Errorf("VXI-11, the client gone: %+v, want 0 held", m)
	}
}

// A query that repeats its question gets each name answered once, so a
// small (possibly spoofed) datagram cannot draw a large reply: the reply
// is the services' records, with the questions echoed only to a legacy
// unicast asker, which needs them.
func TestAnnouncerRepliesAreNotAmplified(t *testing.T) {
	a, err := Announce("127.0.0.1:0", Service{Instance: "DP832 sim", Type: "_scpi-raw._tcp", Host: "dp832.local.",
		Addr: netip.MustParseAddr("127.0.0.1"), Port: 5025, Text: []string{"Manufacturer=RIGOL", "Model=DP832"}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	q := dnsmsg.Message{ID: 7}
	for range 200 {
		q.Questions = append(q.Questions, dnsmsg.Question{Name: "_scpi-raw._tcp.local.", Type: dnsmsg.TypePTR})
	}
	query, err := q.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("udp", a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.Write(query); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 65536)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := dnsmsg.Parse(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	if len(reply.Answers) != 1 || len(reply.Additional) != 3 {
		t.Errorf("%d answers and %d additional records for one service asked 200 times, want 1 and 3", len(reply.Answers), len(reply.Additional))
	}
	if len(reply.Questions) != len(q.Questions) {
		t.Errorf("a legacy unicast reply carries %d questions, want the %d asked", len(reply.Questions), len(q.Questions))
	}
	if limit := len(query) + 512; n > limit {
		t.Errorf("a %d-byte query drew a %d-byte reply (at most %d expected)", len(query), n, limit)
	}
}

// vxiCall sends one core channel call on c and returns the decoder at its
// results.
func vxiCall(t *testing.T, c net.Conn, proc uint32, args func(*oncrpc.Encoder)) *oncrpc.Decoder {
	t.Helper()
	vxiSend(t, c, proc, args)
	rec, err := oncrpc.ReadRecord(c, nil, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	d := oncrpc.NewDecoder(rec)
	if _, err := oncrpc.DecodeReply(d); err != nil {
		t.Fatal(err)
	}
	return d
}

func vxiSend(t *testing.T, c net.Conn, proc uint32, args func(*oncrpc.Encoder)) {
	t.Helper()
	var e oncrpc.Encoder
	oncrpc.AppendCall(&e, proc, vxi11wire.CoreProg, vxi11wire.Version, proc)
	args(&e)
	if err := oncrpc.WriteRecord(c, e.B); err != nil {
		t.Fatal(err)
	}
}

func vxiLinkOn(t *testing.T, c net.Conn) int32 {
	t.Helper()
	d := vxiCall(t, c, vxi11wire.ProcCreateLink, vxi11wire.CreateLinkParms{Device: "inst0"}.Encode)
	if code := vxi11wire.ErrorCode(d.Int32()); code != 0 {
		t.Fatalf("create_link: error %d", code)
	}
	return d.Int32()
}

// A link is its connection's: link IDs come in sequence, so another
// client could guess one, but its calls on it are refused (error 4,
// invalid link identifier) and change nothing.
func TestVXI11LinksAreTheirConnections(t *testing.T) {
	srv, err := ServeVXI11("127.0.0.1:0", MustNew("SAMPLE"), VXI11Options{Portmapper: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a, b := dial(t, srv.Addr().String()), dial(t, srv.Addr().String())
	la := vxiLinkOn(t, a)
	vxiLinkOn(t, b)
	lock := vxi11wire.LockParms{LinkID: la}
	if code := vxiCall(t, a, vxi11wire.ProcDeviceLock, lock.Encode).Int32(); code != 0 {
		t.Fatalf("the owner's device_lock: error %d", code)
	}
	for _, c := range []struct {
		name string
		proc uint32
		args func(*oncrpc.Encoder)
	}{
		{"device_write", vxi11wire.ProcDeviceWrite, vxi11wire.WriteParms{LinkID: la, Flags: vxi11wire.FlagEnd, Data: []byte("*RST\n")}.Encode},
		{"device_read", vxi11wire.ProcDeviceRead, vxi11wire.ReadParms{LinkID: la, RequestSize: 100, IOTimeout: 100}.Encode},
		{"device_clear", vxi11wire.ProcDeviceClear, vxi11wire.GenericParms{LinkID: la}.Encode},
		{"device_lock", vxi11wire.ProcDeviceLock, lock.Encode},
		{"device_unlock", vxi11wire.ProcDeviceUnlock, func(e *oncrpc.Encoder) { e.Int32(la) }},
		{"destroy_link", vxi11wire.ProcDestroyLink, func(e *oncrpc.Encoder) { e.Int32(la) }},
	} {
		if code := vxi11wire.ErrorCode(vxiCall(t, b, c.proc, c.args).Int32()); code != vxi11wire.ErrInvalidLink {
			t.Errorf("%s on another connection's link: error %d, want %d", c.name, code, vxi11wire.ErrInvalidLink)
		}
	}
	// Still a's, and still locked by it.
	if code := vxiCall(t, a, vxi11wire.ProcDeviceUnlock, func(e *oncrpc.Encoder) { e.Int32(la) }).Int32(); code != 0 {
		t.Fatalf("the owner's device_unlock: error %d", code)
	}
}

// A client that goes away while its call waits (a device_read with
// VISA's infinite io_timeout, for a reply that never comes) loses its
// links at once, and the lock it held goes to the next client, instead
// of both being kept for 49 days.
func TestVXI11ClientGoneDuringAWait(t *testing.T) { lockOfAGoneClient(t, nil) }

// A client that sends a byte while its call waits, and then goes away,
// is still seen to go: the watch keeps the byte for the next call and
// watches on. Before, the byte ended the watch, and the link and its
// lock stayed for the read's 49 days (16 such clients took every link).
func TestVXI11ClientGoneAfterSendingAByte(t *testing.T) { lockOfAGoneClient(t, []byte{0x80}) }

// lockOfAGoneClient has a client lock the instrument, start a read that
// waits for ever, send ahead, and go away; the next client's lock wait
// must then be granted, and the gone client's link be gone.
func lockOfAGoneClient(t *testing.T, ahead []byte) {
	t.Helper()
	srv, err := ServeVXI11("127.0.0.1:0", MustNew("SAMPLE"), VXI11Options{Portmapper: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a, b := dial(t, srv.Addr().String()), dial(t, srv.Addr().String())
	la, lb := vxiLinkOn(t, a), vxiLinkOn(t, b)
	if code := vxiCall(t, a, vxi11wire.ProcDeviceLock, vxi11wire.LockParms{LinkID: la}.Encode).Int32(); code != 0 {
		t.Fatalf("device_lock: error %d", code)
	}
	// The read waits for ever, so it watches the connection from the
	// start; bytes sent ahead reach the watch whenever the server gets to
	// them, as the server reads no further than the read's record.
	vxiSend(t, a, vxi11wire.ProcDeviceRead, vxi11wire.ReadParms{LinkID: la, RequestSize: 100, IOTimeout: 0xFFFFFFFF}.Encode)
	if len(ahead) > 0 {
		if _, err := a.Write(ahead); err != nil {
			t.Fatal(err)
		}
	}
	a.Close()
	// Granted as soon as a's link is gone; a server that keeps it answers
	// error 11 (locked) after a minute.
	wait := vxi11wire.LockParms{LinkID: lb, Flags: vxi11wire.FlagWaitLock, LockTimeout: 60 * 1000}
	if code := vxiCall(t, b, vxi11wire.ProcDeviceLock, wait.Encode).Int32(); code != 0 {
		t.Fatalf("the next client's device_lock: error %d, want the lock (the gone client kept it)", code)
	}
	if n := srv.Links(); n != 1 {
		t.Fatalf("%d links, want the one of the client still connected", n)
	}
}

// What a client sends ahead while its call waits is served in order once
// the call has answered; more than the watch holds ends the wait, as a
// VXI-11 client sends nothing while it waits for a reply.
func TestVXI11CallSentAheadOfAWait(t *testing.T) {
	srv, err := ServeVXI11("127.0.0.1:0", MustNew("SAMPLE"), VXI11Options{Portmapper: "-"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	a := dial(t, srv.Addr().String())
	a.SetDeadline(time.Now().Add(time.Minute))
	la := vxiLinkOn(t, a)
	vxiSend(t, a, vxi11wire.ProcDeviceRead, vxi11wire.ReadParms{LinkID: la, RequestSize: 100, IOTimeout: 0xFFFFFFFF}.Encode)
	msg := []byte("DISP:TEXT \"" + strings.Repeat("x", 2*watchAheadMax) + "\"\n")
	vxiSend(t, a, vxi11wire.ProcDeviceWrite, vxi11wire.WriteParms{LinkID: la, Flags: vxi11wire.FlagEnd, Data: msg}.Encode)
	for i, want := range []vxi11wire.ErrorCode{vxi11wire.ErrAbort, 0} {
		rec, err := oncrpc.ReadRecord(a, nil, 1<<20)
		if err != nil {
			t.Fatalf("reply %d: %v", i+1, err)
		}
		d := oncrpc.NewDecoder(rec)
		if _, err := oncrpc.DecodeReply(d); err != nil {
			t.Fatal(err)
		}
		if code := vxi11wire.ErrorCode(d.Int32()); code != want {
			t.Errorf("reply %d: error %d, want %d", i+1, code, want)
		}
	}
}

// A HiSLIP Data message may hold many newline-ended messages: 300 trace
// queries (48 MB of responses) in one. The server runs them a stretch at
// a time, each stretch's responses sent before the next runs, so what it
// holds for the client stays near one response however many the message
// asks; all 300 arrive, in order. Before, all 300 were made before the
// first was sent.
func TestHiSLIPManyMessagesInOnePayload(t *testing.T) {
	srv, err := ServeHiSLIP("127.0.0.1:0", MustNew("SAMPLE"), hostileOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	c, err := transport.Open(context.Background(), srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(2 * time.Minute))
	if _, err := c.Write([]byte(amplify)); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReaderSize(c, 1<<20)
	var first string
	for i := range 300 {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("response %d: %v", i+1, err)
		}
		if i == 0 {
			first = line
		} else if line != first {
			t.Fatalf("response %d differs from the first (%d bytes, %d)", i+1, len(line), len(first))
		}
	}
	if len(first) < 100<<10 {
		t.Fatalf("a trace of %d bytes", len(first))
	}
	if m := srv.Memory(); m.Peak > 4<<20 {
		t.Errorf("the server held up to %d bytes for one client's 300 queries; want about one response's worth (%d bytes)", m.Peak, len(first))
	}
}

// Two hosts of one Prologix controller talking to the same instrument at
// once: one reads long responses while the other keeps writing to it.
// What the reader receives may be cut short (a new message discards the
// response waiting, as on GPIB), but the bytes it is sent are copied
// while the instrument's buffer is locked: the race detector saw the
// copy made after the lock was let go, while the other host's write
// moved the buffer.
func TestPrologixHostsShareAnInstrument(t *testing.T) {
	p, addr := servePrologix(t, map[int]*Instrument{5: MustNew("SAMPLE")}, ServerOptions{})
	defer p.Close()
	reader, writer := dial(t, addr), dial(t, addr)
	reader.Write([]byte("++addr 5\n++auto 0\n++read_tmo_ms 50\nTRAC:POIN 10000\n"))
	writer.Write([]byte("++addr 5\n++auto 0\n"))
	stop := make(chan struct{})
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		for {
			select {
			case <-stop:
				return
			default:
			}
			writer.SetWriteDeadline(time.Now().Add(10 * time.Second))
			if _, err := writer.Write([]byte("*CLS\n")); err != nil {
				return
			}
		}
	}()
	buf := make([]byte, 64<<10)
	for range 20 {
		reader.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := reader.Write([]byte("TRAC:DATA?\n++read eoi\n")); err != nil {
			t.Fatal(err)
		}
		for {
			// The response, or what is left of it: it ends with its
			// terminator, or the controller's read times out with no more.
			reader.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			n, err := reader.Read(buf)
			if err != nil || bytes.IndexByte(buf[:n], '\n') >= 0 {
				break
			}
		}
	}
	close(stop)
	<-wrote
	// The controller still answers a host of its own.
	c := dial(t, addr)
	c.SetDeadline(time.Now().Add(30 * time.Second))
	c.Write([]byte("++ver\n"))
	if line, err := bufio.NewReader(c).ReadString('\n'); err != nil || !strings.HasPrefix(line, PrologixVersion) {
		t.Fatalf("++ver after the two hosts: %q, %v", line, err)
	}
}

// stepper counts the STEP units run before and after another client's
// MARK; until the MARK comes each STEP takes a millisecond, so that a
// message of them is slow.
type stepper struct {
	sampleDevice
	started      chan struct{}
	steps, after int
	marked       bool
}

// One client's long message does not keep the instrument from others:
// a message of 20000 slow units (20 s) lets another client's message run
// part way through, and a fault that hangs the instrument meanwhile ends
// it unanswered.
func TestLongMessageLetsOthersIn(t *testing.T) {
	cmds := NewCommands[*stepper]()
	cmds.Handle("STEP", func(d *stepper, c *Call) error {
		if d.steps++; d.steps == 1 {
			close(d.started)
		}
		if d.marked {
			d.after++
		} else {
			time.Sleep(time.Millisecond)
		}
		return nil
	})
	cmds.Handle("STEP?", func(d *stepper, c *Call) error {
		c.Reply(strconv.Itoa(d.steps))
		return nil
	})
	cmds.Handle("MARK", func(d *stepper, c *Call) error { d.marked = true; return nil })
	m, err := NewModel("STEPPER", "", cmds, func() *stepper { return &stepper{started: make(chan struct{})} })
	if err != nil {
		t.Fatal(err)
	}
	in := m.New()
	d := in.dev.(*stepper)
	long := []byte(strings.Repeat("STEP;", 20000) + "STEP?\n")

	a, b := in.NewClient(), in.NewClient()
	done := make(chan error, 1)
	go func() { _, err := a.Write(long); done <- err }()
	<-d.started
	if _, err := b.Write([]byte("MARK;STEP?\n")); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := string(a.TakeOutput()); got != "20000\n" {
		t.Errorf("the long message answered %q, want 20000 (all its steps ran)", got)
	}
	if d.after == 0 {
		t.Errorf("no STEP of the long message ran after the other client's MARK: it waited for the whole message (%q)", b.TakeOutput())
	}

	// A hang that comes while a long message runs: the message ends
	// there, unanswered, and the instrument answers again once it ends.
	in.mu.Lock()
	d.marked, d.steps, d.started = false, 0, make(chan struct{})
	in.mu.Unlock()
	go func() { _, err := a.Write(long); done <- err }()
	<-d.started
	if err := in.Inject(TimedFault{Hang: true}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := a.TakeOutput(); len(got) != 0 {
		t.Errorf("a message the instrument hung in answered %q", got)
	}
	in.mu.Lock()
	steps := d.steps
	in.mu.Unlock()
	if steps >= 20000 {
		t.Errorf("all %d steps ran after the hang", steps)
	}

	// A disconnect part way drops the link at once.
	if err := in.Inject(TimedFault{Recover: true}); err != nil {
		t.Fatal(err)
	}
	in.mu.Lock()
	d.steps, d.started = 0, make(chan struct{})
	in.mu.Unlock()
	c := in.NewClient()
	go func() { _, err := c.Write(long); done <- err }()
	<-d.started
	if err := in.Inject(TimedFault{Disconnect: true}); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, ErrLinkDropped) {
		t.Errorf("a link dropped part way through a message: %v, want ErrLinkDropped", err)
	}
}
