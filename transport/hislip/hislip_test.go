package hislip_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/internal/hislipwire"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/hislip"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func serve(t testing.TB, model string, opts sim.ServerOptions) *sim.HiSLIPServer {
	t.Helper()
	srv, err := sim.ServeHiSLIP("", sim.MustNew(model), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func dial(t testing.TB, srv *sim.HiSLIPServer) *hislip.Conn {
	t.Helper()
	c, err := hislip.Dial(context.Background(), srv.Addr().String(), "hislip0", transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func open(t testing.TB, srv *sim.HiSLIPServer, opts ...scpi.Option) *scpi.Session {
	t.Helper()
	s, err := scpi.Open(context.Background(), srv.Resource(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestQueriesThroughTheRegistry(t *testing.T) {
	srv := serve(t, "E36312A", sim.ServerOptions{})
	s := open(t, srv)
	ctx := context.Background()
	idn, err := s.QueryIDN(ctx)
	if err != nil || idn.Model != "E36312A" {
		t.Fatalf("*IDN? = %+v, %v", idn, err)
	}
	if err := s.Write(ctx, "VOLT 2.5,(@2)"); err != nil {
		t.Fatal(err)
	}
	v, err := s.Query(ctx, "VOLT? (@2)")
	if err != nil || !strings.HasPrefix(v, "+2.5") {
		t.Fatalf("VOLT? = %q, %v", v, err)
	}
	if srv.Sessions() != 1 {
		t.Fatalf("%d sessions, want 1", srv.Sessions())
	}
}

// Messages longer than either side's maximum message size go in pieces.
func TestLargeBlocksBothWays(t *testing.T) {
	srv := serve(t, "SAMPLE", sim.ServerOptions{})
	s := open(t, srv)
	ctx := context.Background()
	data := bytes.Repeat([]byte{'\n', 0, 'H', 'S'}, 300_000) // 1.2 MB, over the 1 MiB we accept
	if err := s.WriteBlock(ctx, "DATA:ARB ", data); err != nil {
		t.Fatal(err)
	}
	got, err := s.QueryBlock(ctx, "DATA:ARB?")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("block came back as %d bytes, want %d equal", len(got), len(data))
	}
}

func TestOutOfBandOperations(t *testing.T) {
	srv := serve(t, "DP832", sim.ServerOptions{})
	c := dial(t, srv)
	ctx := context.Background()
	if err := c.Remote(ctx); err != nil || !srv.Remote() {
		t.Fatalf("remote: %v, server says remote=%v", err, srv.Remote())
	}
	if err := c.Local(ctx); err != nil || srv.Remote() {
		t.Fatalf("local: %v, server says remote=%v", err, srv.Remote())
	}
	if err := c.Trigger(ctx); err != nil {
		t.Fatal(err)
	}
	// The status query goes on the other channel: read a reply first so
	// the instrument has run the commands before it.
	if _, err := c.Write([]byte("*ESE 1;*OPC;*OPC?\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := readLine(c); err != nil || line != "1\n" {
		t.Fatalf("*OPC? = %q, %v", line, err)
	}
	stb, err := c.ReadStatusByte(ctx)
	if err != nil || stb&0x20 == 0 {
		t.Fatalf("status byte %#x (%v): want ESB set after *OPC with ESE 1", stb, err)
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	line, err := readLine(c)
	if err != nil || !strings.HasPrefix(line, "RIGOL") {
		t.Fatalf("after clear: %q, %v", line, err)
	}
}

func readLine(r io.Reader) (string, error) {
	var out []byte
	b := make([]byte, 64)
	for !bytes.HasSuffix(out, []byte("\n")) {
		n, err := r.Read(b)
		if err != nil {
			return string(out), err
		}
		out = append(out, b[:n]...)
	}
	return string(out), nil
}

func TestExclusiveLockHoldsOtherSessions(t *testing.T) {
	srv := serve(t, "DP832", sim.ServerOptions{})
	a, b := dial(t, srv), dial(t, srv)
	ctx := context.Background()
	if err := a.LockDevice(ctx); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, time.Second) // the server is given 750 ms of it
	defer cancel()
	if err := b.LockDevice(short); !errors.Is(err, hislip.ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	// b's query waits for the lock; a's goes through.
	if _, err := b.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Write([]byte("*OPC?\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := readLine(a); err != nil || line != "1\n" {
		t.Fatalf("lock holder's query: %q, %v", line, err)
	}
	if err := a.UnlockDevice(ctx); err != nil {
		t.Fatal(err)
	}
	if line, err := readLine(b); err != nil || !strings.HasPrefix(line, "RIGOL") {
		t.Fatalf("held query after unlock: %q, %v", line, err)
	}
	if err := a.UnlockDevice(ctx); err == nil {
		t.Fatal("unlock without the lock succeeded")
	}
}

// A deadline in the middle of a reply leaves the stream in step; a
// session that times out resynchronises with device clear.
func TestDeadlinesAndResync(t *testing.T) {
	srv := serve(t, "DP832", sim.ServerOptions{})
	c := dial(t, srv)
	errc := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); errc <- err }()
	c.SetDeadline(time.Unix(1, 0))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
	c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := readLine(c); err != nil || !strings.HasPrefix(line, "RIGOL") {
		t.Fatalf("after an interrupted read: %q, %v", line, err)
	}

	ctx := context.Background()
	srv.Instrument().SetFaults(sim.Faults{Latency: 300 * time.Millisecond})
	var log testserver.Log
	s := open(t, srv, scpi.WithLogger(zerolog.New(&log)))
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Query(short, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("slow query: %v, want ErrTimeout", err)
	}
	srv.Instrument().SetFaults(sim.Faults{})
	v, err := s.Query(ctx, "SOUR2:VOLT?")
	if err != nil || strings.Contains(v, "RIGOL") {
		t.Fatalf("query after a timeout: %q, %v", v, err)
	}
	if !strings.Contains(log.String(), `"method":"device clear"`) {
		t.Fatalf("the session did not resynchronise with the HiSLIP device clear:\n%s", log.String())
	}
}

// raw is a test's own HiSLIP peer: it writes and reads exact bytes.
type raw struct {
	t *testing.T
	c net.Conn
}

func (r raw) send(b []byte) {
	r.t.Helper()
	if _, err := r.c.Write(b); err != nil {
		r.t.Fatal(err)
	}
}

func (r raw) recv() []byte {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 16)
	if _, err := io.ReadFull(r.c, hdr); err != nil {
		r.t.Fatal(err)
	}
	payload := make([]byte, binary.BigEndian.Uint64(hdr[8:]))
	if _, err := io.ReadFull(r.c, payload); err != nil {
		r.t.Fatal(err)
	}
	return append(hdr, payload...)
}

func hexMsg(typ, ctl byte, param uint32, payload string) []byte {
	return hislipwire.Message(nil, typ, ctl, param, []byte(payload))
}

// The server's messages, byte for byte as IVI-6.1 lays them out, to a
// peer that is not our client.
func TestServerBytesFollowIVI61(t *testing.T) {
	srv := serve(t, "SAMPLE", sim.ServerOptions{})
	dialRaw := func() raw {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return raw{t, c}
	}
	syn := dialRaw()
	// Initialize: version 1.0, vendor "ZZ", sub-address hislip0.
	syn.send([]byte("HS\x00\x00\x01\x00ZZ\x00\x00\x00\x00\x00\x00\x00\x07hislip0"))
	resp := syn.recv()
	if diff := cmp.Diff([]byte("HS\x01\x00\x01\x00"), resp[:6]); diff != "" {
		t.Fatalf("InitializeResponse prologue, type, control, version (-want +got):\n%s", diff)
	}
	session := binary.BigEndian.Uint16(resp[6:8])
	if diff := cmp.Diff(make([]byte, 8), resp[8:]); diff != "" {
		t.Fatalf("InitializeResponse payload length (-want +got):\n%s", diff)
	}
	// Data before the asynchronous channel exists is a fatal error 2.
	asy := dialRaw()
	asy.send(hexMsg(hislipwire.AsyncInitialize, 0, uint32(session), ""))
	if diff := cmp.Diff(hexMsg(hislipwire.AsyncInitializeResponse, 0, 'S'<<8|'K', ""), asy.recv()); diff != "" {
		t.Fatalf("AsyncInitializeResponse (-want +got):\n%s", diff)
	}
	asy.send(hexMsg(hislipwire.AsyncMaximumMessageSize, 0, 0, "\x00\x00\x00\x00\x00\x00\x00\x20"))
	if got := asy.recv(); got[2] != hislipwire.AsyncMaximumMessageSizeResponse || len(got) != 24 {
		t.Fatalf("AsyncMaximumMessageSizeResponse %q", got)
	}
	// A query whose reply (29 bytes) is longer than the 32-byte messages
	// we accept: a Data of 16 payload bytes, then a DataEnd of 13, both
	// with the query's MessageID.
	syn.send(hexMsg(hislipwire.DataEnd, 0, 0xffffff00, "*IDN?\n"))
	want := [][]byte{
		hexMsg(hislipwire.Data, 0, 0xffffff00, "scpikit,SAMPLE,S"),
		hexMsg(hislipwire.DataEnd, 0, 0xffffff00, "IM000001,1.0\n"),
	}
	if diff := cmp.Diff(want, [][]byte{syn.recv(), syn.recv()}); diff != "" {
		t.Fatalf("response (-want +got):\n%s", diff)
	}
	asy.send(hexMsg(hislipwire.AsyncStatusQuery, 1, 0xffffff00, ""))
	if diff := cmp.Diff(hexMsg(hislipwire.AsyncStatusResponse, 0, 0, ""), asy.recv()); diff != "" {
		t.Fatalf("AsyncStatusResponse (-want +got):\n%s", diff)
	}
	asy.send(hexMsg(hislipwire.AsyncDeviceClear, 0, 0, ""))
	if diff := cmp.Diff(hexMsg(hislipwire.AsyncDeviceClearAcknowledge, 0, 0, ""), asy.recv()); diff != "" {
		t.Fatalf("AsyncDeviceClearAcknowledge (-want +got):\n%s", diff)
	}
	syn.send(hexMsg(hislipwire.DeviceClearComplete, 0, 0, ""))
	if diff := cmp.Diff(hexMsg(hislipwire.DeviceClearAcknowledge, 0, 0, ""), syn.recv()); diff != "" {
		t.Fatalf("DeviceClearAcknowledge (-want +got):\n%s", diff)
	}
	asy.send(hexMsg(hislipwire.AsyncLock, 1, 1000, ""))
	if diff := cmp.Diff(hexMsg(hislipwire.AsyncLockResponse, hislipwire.LockSuccess, 0, ""), asy.recv()); diff != "" {
		t.Fatalf("AsyncLockResponse (-want +got):\n%s", diff)
	}
	asy.send(hexMsg(hislipwire.AsyncLockInfo, 0, 0, ""))
	if diff := cmp.Diff(hexMsg(hislipwire.AsyncLockInfoResponse, 1, 1, ""), asy.recv()); diff != "" {
		t.Fatalf("AsyncLockInfoResponse (-want +got):\n%s", diff)
	}
	// Releasing: 1 for the exclusive lock; a shared lock (payload: its
	// key) is released with 2; nothing held is an error, 3.
	asy.send(hexMsg(hislipwire.AsyncLock, 0, 0xffffff00, ""))
	asy.send(hexMsg(hislipwire.AsyncLock, 1, 0, "key"))
	asy.send(hexMsg(hislipwire.AsyncLock, 0, 0xffffff00, ""))
	asy.send(hexMsg(hislipwire.AsyncLock, 0, 0xffffff00, ""))
	want = [][]byte{
		hexMsg(hislipwire.AsyncLockResponse, hislipwire.LockSuccess, 0, ""),
		hexMsg(hislipwire.AsyncLockResponse, hislipwire.LockSuccess, 0, ""),
		hexMsg(hislipwire.AsyncLockResponse, hislipwire.LockShared, 0, ""),
		hexMsg(hislipwire.AsyncLockResponse, hislipwire.LockError, 0, ""),
	}
	if diff := cmp.Diff(want, [][]byte{asy.recv(), asy.recv(), asy.recv(), asy.recv()}); diff != "" {
		t.Fatalf("lock releases (-want +got):\n%s", diff)
	}
	// An unknown message type is a non-fatal Error 1; a vendor one, Error 3.
	syn.send(hexMsg(99, 0, 0, ""))
	if got := syn.recv(); got[2] != hislipwire.Error || got[3] != hislipwire.ErrUnrecognizedType {
		t.Fatalf("reply to type 99: %q", got)
	}
	syn.send(hexMsg(200, 0, 0, ""))
	if got := syn.recv(); got[2] != hislipwire.Error || got[3] != hislipwire.ErrUnrecognizedVendor {
		t.Fatalf("reply to type 200: %q", got)
	}
	// A header without the prologue is fatal error 1.
	syn.send([]byte("XX\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	if got := syn.recv(); got[2] != hislipwire.FatalError || got[3] != hislipwire.FatalBadHeader {
		t.Fatalf("reply to a bad prologue: %q", got)
	}
}

// Our client's messages, byte for byte, seen by a peer that is not our
// server.
func TestClientBytesFollowIVI61(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	seen := make(chan [][]byte, 1)
	go func() {
		var got [][]byte
		defer func() { seen <- got }()
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		syn := raw{t, s}
		got = append(got, syn.recv())
		syn.send(hexMsg(hislipwire.InitializeResponse, 0, 0x0100<<16|7, ""))
		a, err := ln.Accept()
		if err != nil {
			return
		}
		defer a.Close()
		asy := raw{t, a}
		got = append(got, asy.recv())
		asy.send(hexMsg(hislipwire.AsyncInitializeResponse, 0, 'Z'<<8|'Z', ""))
		got = append(got, asy.recv())
		asy.send(hexMsg(hislipwire.AsyncMaximumMessageSizeResponse, 0, 0, "\x00\x00\x00\x00\x00\x00\x01\x00"))
		got = append(got, syn.recv())
		syn.send(hexMsg(hislipwire.DataEnd, 0, 0xffffff00, "ACME,X,1,2"))
		got = append(got, syn.recv())
		got = append(got, asy.recv())
		asy.send(hexMsg(hislipwire.AsyncStatusResponse, 0x10, 0, ""))
	}()
	c, err := hislip.Dial(context.Background(), ln.Addr().String(), "hislip0", transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if c.SessionID() != 7 || c.MaxMessageSize() != 256 || c.Version() != 0x0100 {
		t.Fatalf("session %d, max message %d, version %#x", c.SessionID(), c.MaxMessageSize(), c.Version())
	}
	c.Write([]byte("*IDN?\n"))
	if line, err := readLine(c); err != nil || line != "ACME,X,1,2\n" {
		t.Fatalf("reply %q, %v: a DataEnd without newline must end the line", line, err)
	}
	c.Write([]byte("*CLS\n"))
	if stb, err := c.ReadStatusByte(context.Background()); err != nil || stb != 0x10 {
		t.Fatalf("status byte %#x, %v", stb, err)
	}
	want := [][]byte{
		[]byte("HS\x00\x00\x01\x00SK\x00\x00\x00\x00\x00\x00\x00\x07hislip0"),
		hexMsg(hislipwire.AsyncInitialize, 0, 7, ""),
		hexMsg(hislipwire.AsyncMaximumMessageSize, 0, 0, "\x00\x00\x00\x00\x00\x10\x00\x00"),
		hexMsg(hislipwire.DataEnd, 0, 0xffffff00, "*IDN?\n"),
		hexMsg(hislipwire.DataEnd, hislipwire.RMTDelivered, 0xffffff02, "*CLS\n"), // RMT-delivered: the reply was read
		hexMsg(hislipwire.AsyncStatusQuery, 0, 0xffffff02, ""),
	}
	if diff := cmp.Diff(want, <-seen); diff != "" {
		t.Fatalf("client messages (-want +got):\n%s", diff)
	}
}

func TestBadResourcesAndServers(t *testing.T) {
	ctx := context.Background()
	if _, err := transport.Open(ctx, "TCPIP::127.0.0.1::hislip0,99999::INSTR"); !errors.Is(err, transport.ErrBadResource) {
		t.Fatalf("bad port: %v", err)
	}
	srv := serve(t, "SAMPLE", sim.ServerOptions{})
	var se *hislip.ServerError
	if _, err := hislip.Dial(ctx, srv.Addr().String(), "gpib0", transport.NewOptions()); !errors.As(err, &se) || !se.Fatal || se.Code != hislipwire.FatalBadInit {
		t.Fatalf("unknown sub-address: %v", err)
	}
	// A server that is not HiSLIP.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("SCPI> hello there, I am not HiSLIP\n"))
			c.Close()
		}
	}()
	if _, err := hislip.Dial(ctx, ln.Addr().String(), "hislip0", transport.NewOptions()); !errors.Is(err, hislipwire.ErrBadHeader) {
		t.Fatalf("non-HiSLIP server: %v", err)
	}
}

// Shared locks: sessions with the same key share the instrument, a
// session with another key or none waits, an exclusive request waits for
// every shared holder.
func TestSharedLocks(t *testing.T) {
	srv := serve(t, "DP832", sim.ServerOptions{})
	a, b, c := dial(t, srv), dial(t, srv), dial(t, srv)
	ctx := context.Background()
	if err := a.LockShared(ctx, "bench-7"); err != nil {
		t.Fatal(err)
	}
	if err := b.LockShared(ctx, "bench-7"); err != nil {
		t.Fatalf("same key: %v", err)
	}
	short := func() context.Context {
		ctx, cancel := context.WithTimeout(ctx, time.Second) // the server is given 750 ms of it
		t.Cleanup(cancel)
		return ctx
	}
	if err := c.LockShared(short(), "other"); !errors.Is(err, hislip.ErrLocked) {
		t.Fatalf("another key: %v, want ErrLocked", err)
	}
	if err := c.LockDevice(short()); !errors.Is(err, hislip.ErrLocked) {
		t.Fatalf("exclusive while shared: %v, want ErrLocked", err)
	}
	for _, s := range []*hislip.Conn{a, b} { // both holders get through
		if _, err := s.Write([]byte("*OPC?\n")); err != nil {
			t.Fatal(err)
		}
		if line, err := readLine(s); err != nil || line != "1\n" {
			t.Fatalf("shared holder: %q, %v", line, err)
		}
	}
	// c, holding nothing, waits until both release.
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- c.LockDevice(ctx) }()
	for _, s := range []*hislip.Conn{a, b} {
		if err := s.UnlockDevice(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if line, err := readLine(c); err != nil || !strings.HasPrefix(line, "RIGOL") {
		t.Fatalf("held query after the shared locks went: %q, %v", line, err)
	}
	if err := <-got; err != nil {
		t.Fatalf("exclusive after the shared locks went: %v", err)
	}
	if err := c.UnlockDevice(ctx); err != nil {
		t.Fatal(err)
	}
}

// An asynchronous call cut after its request went out still has a
// response coming. The next call reads it first instead of taking it for
// its own; a lock granted to a request its caller gave up on is released
// at once, so it cannot hold other sessions off.
func TestCutAsyncCallsOweTheirResponses(t *testing.T) {
	waits := testserver.NewSignal("lock request waits")
	srv := serve(t, "DP832", sim.ServerOptions{Logger: zerolog.New(waits).Level(zerolog.DebugLevel)})
	a, b := dial(t, srv), dial(t, srv)
	testserver.AbandonLock(t, a, b, waits.Seen())
	ctx := context.Background()
	// The reply to *OPC? shows the instrument ran the commands before it,
	// which the asynchronous channel does not wait for.
	if _, err := b.Write([]byte("*CLS;*ESE 1;*SRE 32;*OPC;*OPC?\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := readLine(b); err != nil || line != "1\n" {
		t.Fatalf("*OPC? = %q, %v", line, err)
	}
	// b's next asynchronous call reads the grant, releases the lock, then
	// asks its own.
	stb, err := b.ReadStatusByte(ctx)
	if err != nil || stb&0x40 == 0 {
		t.Fatalf("status byte after the cut lock: %#x, %v; want RQS", stb, err)
	}
	testserver.CheckLockFree(t, a)
}

// A context that ends just as an asynchronous-channel call does must not
// cut short the next call: its interrupt (a past deadline on the channel)
// runs on a goroutine of its own and used to land on the next call's
// deadline. Racing a cancel against many calls hits that window every
// few hundred calls on more than one CPU.
func TestContextEndingWithACallSparesTheNext(t *testing.T) {
	c := dial(t, serve(t, "SAMPLE", sim.ServerOptions{}))
	testserver.CancelRace(t, c, 1000)
}

// A context that ends just as the handshake does must not leave its
// interrupt (a past deadline on each channel) to land on the Conn that
// Dial returns, after Dial has cleared the deadlines; nor may the
// interrupt read the asynchronous channel while the handshake sets it.
// Cancels spread over the length of a dial hit the end of it now and
// then.
func TestContextEndingWithTheHandshakeSparesTheConn(t *testing.T) {
	srv := serve(t, "SAMPLE", sim.ServerOptions{})
	bg := context.Background()
	start := time.Now()
	dial(t, srv)
	took := time.Since(start)
	succeeded := 0
	for i := range 400 {
		ctx, cancel := context.WithCancel(bg)
		timer := time.AfterFunc(time.Duration(i%40)*took/30, cancel)
		c, err := hislip.Dial(ctx, srv.Addr().String(), "hislip0", transport.NewOptions())
		timer.Stop()
		cancel()
		if err != nil {
			continue // it was cancelled
		}
		succeeded++
		_, err = c.Write([]byte("*IDN?\n"))
		if err == nil {
			_, err = readLine(c)
		}
		if err == nil {
			_, err = c.ReadStatusByte(bg)
		}
		c.Close()
		if err != nil {
			t.Fatalf("dial %d (%d succeeded): first calls on the Conn: %v", i, succeeded, err)
		}
	}
	t.Logf("%d of 400 dials succeeded (a dial took %v)", succeeded, took)
}

// Clear and Trigger bound the synchronous channel by their own ctx; after
// them the deadline the caller set with SetDeadline holds again, so a read
// of a reply that never comes still ends (it used to wait forever).
func TestOutOfBandCallsKeepTheDeadline(t *testing.T) {
	srv := serve(t, "SAMPLE", sim.ServerOptions{})
	for _, tc := range []struct {
		name    string
		bounded bool
		op      func(c *hislip.Conn, ctx context.Context) error
	}{
		{"Clear without a ctx deadline", false, (*hislip.Conn).Clear},
		{"Clear with a ctx deadline", true, (*hislip.Conn).Clear},
		{"Trigger with a ctx deadline", true, (*hislip.Conn).Trigger},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			if tc.bounded {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Minute)
				defer cancel()
			}
			c := dial(t, srv)
			c.SetDeadline(time.Now().Add(100 * time.Millisecond))
			if err := tc.op(c, ctx); err != nil {
				t.Fatal(err)
			}
			// Nothing was asked: no reply comes, and only the deadline ends
			// the read.
			errc := make(chan error, 1)
			go func() { _, err := c.Read(make([]byte, 8)); errc <- err }()
			select {
			case err := <-errc:
				if !errors.Is(err, os.ErrDeadlineExceeded) {
					t.Fatalf("read: %v, want a deadline error", err)
				}
			case <-time.After(10 * time.Second):
				c.Close() // ends the read
				<-errc
				t.Fatal("the read had no deadline: the out-of-band call dropped the one set before it")
			}
		})
	}
}

// The session's path: a query that times out leaves a reply owed, the
// next call resynchronises with a device clear and then waits for a reply
// that never comes; its default timeout must still end it.
func TestSessionTimesOutAfterADeviceClear(t *testing.T) {
	srv := serve(t, "SAMPLE", sim.ServerOptions{})
	s := open(t, srv, scpi.WithTimeout(200*time.Millisecond))
	ctx := context.Background()
	srv.Instrument().SetFaults(sim.Faults{Latency: 300 * time.Millisecond})
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := s.Query(short, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("slow query: %v, want ErrTimeout", err)
	}
	srv.Instrument().SetFaults(sim.Faults{})
	errc := make(chan error, 1)
	go func() {
		_, err := s.Query(ctx, "*CLS") // a command: no reply comes
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, scpi.ErrTimeout) {
			t.Fatalf("query without a reply: %v, want ErrTimeout", err)
		}
	case <-time.After(10 * time.Second):
		s.Close()
		<-errc
		t.Fatal("the query had no deadline after the session's device clear")
	}
}

// A lock request whose context has no deadline asks the instrument to wait
// a little less than the asynchronous channel waits for its answer, as
// one with a deadline does: a lock that stays taken is then reported as
// not granted, not as a timeout that leaves the answer owed.
func TestLockWithoutDeadlineLeavesRoomForTheAnswer(t *testing.T) {
	waits := testserver.NewSignal("lock request waits")
	var log testserver.Log
	srv := serve(t, "DP832", sim.ServerOptions{Logger: zerolog.New(io.MultiWriter(&log, waits)).Level(zerolog.DebugLevel)})
	a, b := dial(t, srv), dial(t, srv)
	ctx := context.Background()
	if err := a.LockDevice(ctx); err != nil {
		t.Fatal(err)
	}
	locked := make(chan error, 1)
	go func() { locked <- b.LockDevice(ctx) }()
	<-waits.Seen()
	if want := `"timeout_ms":9750`; !strings.Contains(log.String(), want) {
		t.Errorf("lock request without a deadline: want %s in the simulator's log:\n%s", want, log.String())
	}
	if err := a.UnlockDevice(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-locked; err != nil {
		t.Fatalf("b's lock once a let go: %v", err)
	}
	if err := b.UnlockDevice(ctx); err != nil {
		t.Fatal(err)
	}
}

// scriptedHiSLIP is a HiSLIP instrument on loopback that does the
// handshake and answers each later message with what onSync or onAsync
// returns (nothing when nil).
func scriptedHiSLIP(t *testing.T, onSync, onAsync func(h hislipwire.Header, payload []byte) []byte) string {
	t.Helper()
	srv := testserver.Start(t, func(c net.Conn) {
		r := hislipwire.Reader{R: c, Max: 1 << 20}
		handle := onSync
		for first := true; ; first = false {
			h, err := r.Next()
			if err != nil {
				return
			}
			payload, err := r.Payload()
			if err != nil {
				return
			}
			var reply []byte
			switch {
			case first && h.Type == hislipwire.Initialize:
				reply = hexMsg(hislipwire.InitializeResponse, 0, 0x0100<<16|1, "")
			case first && h.Type == hislipwire.AsyncInitialize:
				handle = onAsync
				reply = hexMsg(hislipwire.AsyncInitializeResponse, 0, 'Z'<<8|'Z', "")
			case h.Type == hislipwire.AsyncMaximumMessageSize:
				reply = hexMsg(hislipwire.AsyncMaximumMessageSizeResponse, 0, 0, "\x00\x00\x00\x00\x00\x10\x00\x00")
			default:
				reply = handle(h, payload)
			}
			if reply != nil {
				if _, err := c.Write(reply); err != nil {
					return
				}
			}
		}
	})
	return srv.Addr()
}

// An out-of-band call waits for a channel another call holds no longer
// than its context allows: a device clear the instrument never
// acknowledges holds the synchronous channel (as a Read of an instrument
// that does not answer does), a lock request it never answers the
// asynchronous one. Each call used to wait for the holder to end, past
// its own context.
func TestOutOfBandCallsWaitForAChannelNoLongerThanTheirContext(t *testing.T) {
	clearing := make(chan struct{}, 1) // DeviceClearComplete arrived
	locking := make(chan struct{}, 1)  // AsyncLock arrived
	addr := scriptedHiSLIP(t, func(h hislipwire.Header, _ []byte) []byte {
		if h.Type == hislipwire.DeviceClearComplete {
			clearing <- struct{}{} // and no DeviceClearAcknowledge, ever
		}
		return nil
	}, func(h hislipwire.Header, _ []byte) []byte {
		switch h.Type {
		case hislipwire.AsyncDeviceClear:
			return hexMsg(hislipwire.AsyncDeviceClearAcknowledge, 0, 0, "")
		case hislipwire.AsyncLock:
			locking <- struct{}{} // and no answer, ever
		case hislipwire.AsyncStatusQuery:
			return hexMsg(hislipwire.AsyncStatusResponse, 0, 0, "")
		case hislipwire.AsyncRemoteLocalControl:
			return hexMsg(hislipwire.AsyncRemoteLocalResponse, 0, 0, "")
		}
		return nil
	})
	c, err := hislip.Dial(context.Background(), addr, "hislip0", transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	stb := func(ctx context.Context) error { _, err := c.ReadStatusByte(ctx); return err }
	hold, release := context.WithCancel(context.Background())
	defer release()
	holderDone := make(chan error, 1)
	go func() { holderDone <- c.Clear(hold) }()
	<-clearing // the clear holds the synchronous channel, waiting for the acknowledgement
	testserver.CallsGiveUpWhileHeld(t, "a device clear waits", holderDone, release, context.Canceled, []testserver.Call{
		{Name: "ReadStatusByte", Do: stb}, {Name: "Clear", Do: c.Clear}, {Name: "Trigger", Do: c.Trigger},
		{Name: "UnlockDevice", Do: c.UnlockDevice}, {Name: "Remote", Do: c.Remote}, {Name: "Local", Do: c.Local},
	})

	hold, release = context.WithCancel(context.Background())
	defer release()
	go func() { holderDone <- c.LockDevice(hold) }()
	<-locking // the lock request holds the asynchronous channel
	testserver.CallsGiveUpWhileHeld(t, "a lock request waits", holderDone, release, context.Canceled, []testserver.Call{
		{Name: "ReadStatusByte", Do: stb}, {Name: "LockDevice", Do: c.LockDevice}, {Name: "Remote", Do: c.Remote},
	})
}
