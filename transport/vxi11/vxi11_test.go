package vxi11_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/internal/vxi11wire"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/vxi11"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// serve starts a VXI-11 server with its own portmapper on loopback.
func serve(t testing.TB, model string, opts sim.VXI11Options) *sim.VXI11Server {
	t.Helper()
	srv, err := sim.ServeVXI11("", sim.MustNew(model), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func dial(t testing.TB, srv *sim.VXI11Server) *vxi11.Conn {
	t.Helper()
	c, err := vxi11.Dial(context.Background(), "127.0.0.1", "inst0", transport.NewOptions(transport.WithPortmapperPort(srv.PortmapperPort())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func open(t testing.TB, srv *sim.VXI11Server, opts ...scpi.Option) *scpi.Session {
	t.Helper()
	opts = append(opts, scpi.WithTransportOptions(transport.WithPortmapperPort(srv.PortmapperPort())))
	s, err := scpi.Open(context.Background(), srv.Resource(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestQueriesThroughTheRegistry(t *testing.T) {
	srv := serve(t, "DP832", sim.VXI11Options{})
	s := open(t, srv)
	ctx := context.Background()
	idn, err := s.Query(ctx, "*IDN?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(idn, "RIGOL TECHNOLOGIES,DP832") {
		t.Fatalf("*IDN? = %q", idn)
	}
	if err := s.Write(ctx, ":SOUR1:VOLT 3.3"); err != nil {
		t.Fatal(err)
	}
	v, err := s.QueryFloat(ctx, ":SOUR1:VOLT?")
	if err != nil || v != 3.3 {
		t.Fatalf("voltage = %v, %v", v, err)
	}
	if srv.Links() != 1 {
		t.Fatalf("%d links open, want 1", srv.Links())
	}
}

// A write longer than maxRecvSize goes in pieces, END on the last; a reply
// longer than the read request comes back in pieces.
func TestChunkingBothWays(t *testing.T) {
	srv := serve(t, "SAMPLE", sim.VXI11Options{MaxRecvSize: 1024})
	s := open(t, srv)
	ctx := context.Background()
	data := bytes.Repeat([]byte{0, '\n', 0xff, 'x'}, 5000) // 20000 bytes, newlines inside
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
	c := dial(t, srv)
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	var reply []byte
	buf := make([]byte, 7)
	for !bytes.HasSuffix(reply, []byte("\n")) {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		reply = append(reply, buf[:n]...)
	}
	if !bytes.HasPrefix(reply, []byte("scpikit,SAMPLE")) {
		t.Fatalf("reply %q", reply)
	}
}

func TestOutOfBandOperations(t *testing.T) {
	srv := serve(t, "DP832", sim.VXI11Options{})
	c := dial(t, srv)
	ctx := context.Background()
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	stb, err := c.ReadStatusByte(ctx)
	if err != nil || stb&0x10 == 0 {
		t.Fatalf("status byte %#x (%v): want MAV set while a reply waits", stb, err)
	}
	if err := c.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if stb, err := c.ReadStatusByte(ctx); err != nil || stb&0x10 != 0 {
		t.Fatalf("after device clear: status byte %#x (%v)", stb, err)
	}
	if err := c.Remote(ctx); err != nil || !srv.Remote() {
		t.Fatalf("remote: %v, server says remote=%v", err, srv.Remote())
	}
	if err := c.Local(ctx); err != nil || srv.Remote() {
		t.Fatalf("local: %v, server says remote=%v", err, srv.Remote())
	}
	if err := c.Trigger(ctx); err != nil {
		t.Fatal(err)
	}
}

// A lock held by one link makes another wait, then fail with ErrLocked,
// until it is released.
func TestDeviceLocks(t *testing.T) {
	srv := serve(t, "DP832", sim.VXI11Options{})
	a, b := dial(t, srv), dial(t, srv)
	ctx := context.Background()
	if err := a.LockDevice(ctx); err != nil {
		t.Fatal(err)
	}
	// The instrument is given less than the whole second to wait, so its
	// "locked" reply beats the deadline even on a loaded machine.
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := b.LockDevice(short); !errors.Is(err, vxi11.ErrLocked) {
		t.Fatalf("second lock: %v, want ErrLocked", err)
	}
	if _, err := b.Write([]byte("*RST\n")); !errors.Is(err, vxi11.ErrLocked) {
		t.Fatalf("write while locked by another link: %v, want ErrLocked", err)
	}
	if _, err := a.Write([]byte("*RST\n")); err != nil {
		t.Fatalf("the lock holder's write: %v", err)
	}
	got := make(chan error, 1)
	go func() { got <- b.LockDevice(ctx) }() // waits for a's unlock
	if err := a.UnlockDevice(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	var de *vxi11.DeviceError
	if err := a.UnlockDevice(ctx); !errors.As(err, &de) || de.Code != 12 {
		t.Fatalf("unlock without the lock: %v, want error 12", err)
	}
}

// A read that waits on a silent instrument is interrupted by a past
// deadline; the session resynchronises with device_clear and the next
// query gets its own reply.
func TestDeadlineInterruptsReadAndSessionResyncs(t *testing.T) {
	srv := serve(t, "DP832", sim.VXI11Options{})
	c := dial(t, srv)
	errc := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 10)); errc <- err }()
	time.Sleep(20 * time.Millisecond) // let the read reach the server; the result holds either way
	c.SetDeadline(time.Unix(1, 0))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
	c.SetDeadline(time.Time{})
	ctx := context.Background()
	if stb, err := c.ReadStatusByte(ctx); err != nil {
		t.Fatalf("the next call after an interrupted one: %v (stb %#x)", err, stb)
	}

	if err := srv.Instrument().SetFaults(sim.Faults{Latency: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	var log testserver.Log
	s := open(t, srv, scpi.WithLogger(zerolog.New(&log)))
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Query(short, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("slow query: %v, want ErrTimeout", err)
	}
	srv.Instrument().SetFaults(sim.Faults{})
	v, err := s.Query(ctx, ":SOUR2:VOLT?")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(v, "RIGOL") {
		t.Fatalf("stale *IDN? reply %q reached the next query", v)
	}
	if !strings.Contains(log.String(), `"method":"device clear"`) {
		t.Fatalf("the session did not resynchronise with device_clear:\n%s", log.String())
	}
}

func TestErrors(t *testing.T) {
	srv := serve(t, "DP832", sim.VXI11Options{})
	ctx := context.Background()
	o := transport.NewOptions(transport.WithPortmapperPort(srv.PortmapperPort()))
	var de *vxi11.DeviceError
	if _, err := vxi11.Dial(ctx, "127.0.0.1", "gpib7", o); !errors.As(err, &de) || de.Code != 3 {
		t.Fatalf("unknown device: %v, want error 3", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := vxi11.Dial(cancelled, "127.0.0.1", "inst0", o); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled dial: %v", err)
	}
	noPM := sim.VXI11Options{Portmapper: "-"}
	srv2 := serve(t, "DP832", noPM)
	_ = srv2
	if _, err := vxi11.Dial(ctx, "127.0.0.1", "inst0", transport.NewOptions(transport.WithPortmapperPort(srv.Addr().Port))); err == nil {
		t.Fatal("dial through something that is not a portmapper succeeded")
	}
	c := dial(t, srv)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write([]byte("*IDN?\n")); err == nil {
		t.Fatal("write after close succeeded")
	}
	if diff := cmp.Diff(0, srv.Links()); diff != "" {
		t.Fatalf("links left open after close (-want +got):\n%s", diff)
	}
}

// A device_lock cut by its caller can still be granted, when the lock
// comes free before the abort reaches the instrument. The late reply is
// dropped by its xid, and the lock it reports is released, so it cannot
// hold other links off.
func TestAbandonedLockIsReleased(t *testing.T) {
	waits := testserver.NewSignal("lock request waits")
	srv := serve(t, "DP832", sim.VXI11Options{ServerOptions: sim.ServerOptions{Logger: zerolog.New(waits).Level(zerolog.DebugLevel)}})
	a, b := dial(t, srv), dial(t, srv)
	testserver.AbandonLock(t, a, b, waits.Seen())
	ctx := context.Background()
	if _, err := b.ReadStatusByte(ctx); err != nil {
		t.Fatalf("the call after the cut lock: %v", err)
	}
	testserver.CheckLockFree(t, a)
}

// A context that ends just as an out-of-band call does must not cut
// short the next call: its interrupt (a past deadline on the core
// channel) runs on a goroutine of its own and used to land after the
// call had restored the deadline. Racing a cancel against many calls
// hits that window every few hundred calls on more than one CPU.
func TestContextEndingWithACallSparesTheNext(t *testing.T) {
	c := dial(t, serve(t, "SAMPLE", sim.VXI11Options{}))
	testserver.CancelRace(t, c, 1000)
}

// A device_write whose reply misses the deadline went out all the same,
// and the instrument may run it: Write counts it, so the caller knows the
// command may have been sent.
func TestWriteWithALostReplyCountsThePiece(t *testing.T) {
	f := startFake(t)
	c := f.dial(t)
	f.holdNext(vxi11wire.ProcDeviceWrite)
	c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	n, err := c.Write([]byte("A?\n"))
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write: %v, want a deadline error", err)
	}
	if diff := cmp.Diff(3, n); diff != "" {
		t.Fatalf("bytes counted as sent (-want +got):\n%s", diff)
	}
}

// The session on top: the query whose write reply was lost is
// resynchronised (device_clear), so the next query gets its own reply,
// not the first one's.
func TestSessionAfterALostWriteReplyGetsItsOwnReply(t *testing.T) {
	f := startFake(t)
	c := f.dial(t)
	s := scpi.NewSession(c)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	f.holdNext(vxi11wire.ProcDeviceWrite)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := s.Query(short, "A?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("query with a lost write reply: %v, want ErrTimeout", err)
	}
	bounded, cancel2 := context.WithTimeout(ctx, 10*time.Second)
	defer cancel2()
	got, err := s.Query(bounded, "B?")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff("B? reply", got); diff != "" {
		t.Fatalf("the next query's reply (-want +got):\n%s", diff)
	}
}

// The device_abort sent before the call that follows a cut one takes no
// longer than that call may: the Conn's deadline bounds it for Read and
// Write, and cancelling an out-of-band call's ctx or setting a past
// deadline ends it. It used to wait abortWait (here a minute) for an
// abort channel that does not answer, holding the Conn.
func TestAbortIsBoundedByItsCall(t *testing.T) {
	defer vxi11.SetAbortWait(time.Minute)()
	f := startFake(t)
	c := f.dial(t)
	f.setSilentAbort(true)
	defer f.setSilentAbort(false) // Close's own abort is answered
	wait := func(errc <-chan error, what string, want error) {
		t.Helper()
		select {
		case err := <-errc:
			if want != nil && !errors.Is(err, want) {
				t.Fatalf("%s: %v, want %v", what, err, want)
			}
		case <-time.After(10 * time.Second):
			f.abort.DropConnections() // ends the abort's wait
			<-errc
			t.Fatalf("%s waited for its device_abort past its bound", what)
		}
	}

	// A read the instrument does not answer in time: its reply is owed,
	// and every call from here on sends device_abort first.
	f.holdNext(vxi11wire.ProcDeviceRead)
	c.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c.Read(make([]byte, 8)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v, want a deadline error", err)
	}

	errc := make(chan error, 1)
	c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	go func() { _, err := c.Write([]byte("A?\n")); errc <- err }()
	<-f.aborts
	// The abort ends at the deadline; the write may still go out before
	// the core channel's own deadline timer has fired (and then
	// succeed): what matters is that it is not held up.
	wait(errc, "write with a deadline", nil)

	c.SetDeadline(time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { errc <- c.Clear(ctx) }()
	<-f.aborts
	cancel()
	wait(errc, "cancelled clear", context.Canceled)

	go func() { _, err := c.Read(make([]byte, 8)); errc <- err }()
	<-f.aborts
	c.SetDeadline(time.Unix(1, 0))
	wait(errc, "read interrupted by a past deadline", os.ErrDeadlineExceeded)
}

// A device_lock cut by its deadline and granted late is released by the
// next call that finds out. When that call is a device_read, its data
// (read in place from the record buffer) must be kept before the unlock
// reuses the buffer: an unlock reply with a long verifier used to
// overwrite the data Read then returned.
func TestLateLockReleaseKeepsTheReadsData(t *testing.T) {
	f := startFake(t)
	f.mu.Lock()
	f.longVerf = true
	f.mu.Unlock()
	c := f.dial(t)
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	f.holdNext(vxi11wire.ProcDeviceLock)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := c.LockDevice(ctx); err == nil {
		t.Fatal("a lock whose reply was held came back in time")
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "*IDN? reply\n" {
		t.Fatalf("read after the late lock: %q, %v", buf[:n], err)
	}
}

// An instrument that answers device_read at once with no data, no END and
// no error (whatever its reason bits) has nothing to give: Read gives up
// after a few such replies with ErrNoData. It used to ask again at once,
// spinning a CPU until the deadline (here the test's bound).
func TestEmptyReadRepliesEndTheRead(t *testing.T) {
	for _, reason := range []int32{0, vxi11wire.ReasonReqCnt, vxi11wire.ReasonChr} {
		f := startFake(t)
		c := f.dial(t)
		f.mu.Lock()
		f.empty, f.emptyReason = -1, reason
		f.mu.Unlock()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(make([]byte, 8))
		if n != 0 || !errors.Is(err, vxi11.ErrNoData) {
			t.Fatalf("reason %d: read %d bytes, %v; want ErrNoData", reason, n, err)
		}
		f.mu.Lock()
		reads := f.reads
		f.empty = 0
		f.mu.Unlock()
		if reads > 100 { // 4 at once, more only when a reply is late (a loaded machine); a spin makes thousands
			t.Fatalf("reason %d: %d device_reads before giving up", reason, reads)
		}
		// The link is still in step: a query gets its reply.
		if _, err := c.Write([]byte("A?\n")); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64)
		if n, err := c.Read(buf); err != nil || string(buf[:n]) != "A? reply\n" {
			t.Fatalf("reason %d: read after: %q, %v", reason, buf[:n], err)
		}
	}

	// A few empty replies before the data are asked past.
	f := startFake(t)
	c := f.dial(t)
	if _, err := c.Write([]byte("B?\n")); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.empty = 2
	f.mu.Unlock()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "B? reply\n" {
		t.Fatalf("read after two empty replies: %q, %v", buf[:n], err)
	}
}

// holdARead starts a Read whose reply the fake holds, and returns once
// the read holds the link, waiting for it; its error comes on the channel.
func holdARead(f *fakeVXI, c *vxi11.Conn) <-chan error {
	reads := make(chan struct{}, 1)
	f.mu.Lock()
	f.readCalls = reads
	f.mu.Unlock()
	f.holdNext(vxi11wire.ProcDeviceRead)
	readDone := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); readDone <- err }()
	<-reads
	return readDone
}

// An out-of-band call waits for the link no longer than its context
// allows: a Read of an instrument that does not answer holds the link
// (here with no deadline, for ever). Each call used to wait for it all
// the same, past its own context.
func TestOutOfBandCallsWaitForTheLinkNoLongerThanTheirContext(t *testing.T) {
	f := startFake(t)
	c := f.dial(t)
	readDone := holdARead(f, c)
	stb := func(ctx context.Context) error { _, err := c.ReadStatusByte(ctx); return err }
	testserver.CallsGiveUpWhileHeld(t, "a read waits", readDone, func() { c.SetDeadline(time.Unix(1, 0)) }, os.ErrDeadlineExceeded, []testserver.Call{
		{Name: "ReadStatusByte", Do: stb}, {Name: "Clear", Do: c.Clear}, {Name: "Trigger", Do: c.Trigger}, {Name: "Remote", Do: c.Remote},
		{Name: "Local", Do: c.Local}, {Name: "LockDevice", Do: c.LockDevice}, {Name: "UnlockDevice", Do: c.UnlockDevice},
	})
	// The link is in step after: the late reply is dropped.
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.ReadStatusByte(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// With no deadline, an instrument that answers device_read with its
// io_timeout error at once, not after the io_timeout asked for, is asked
// a few times and then Read gives up with ErrEarlyTimeout (also a
// timeout, with the instrument's DeviceError). It used to ask again at
// once for ever, spinning a CPU; the fake ends that here at its 1000th
// device_read with data, which the read then returned.
func TestEarlyIOTimeoutsEndAReadWithNoDeadline(t *testing.T) {
	f := startFake(t)
	c := f.dial(t)
	f.mu.Lock()
	f.dataAt = 1000
	f.mu.Unlock()
	n, err := c.Read(make([]byte, 64))
	f.mu.Lock()
	reads := f.reads
	f.dataAt = 0
	f.mu.Unlock()
	if !errors.Is(err, vxi11.ErrEarlyTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read %d bytes, %v after %d device_reads; want ErrEarlyTimeout", n, err, reads)
	}
	if de, ok := errors.AsType[*vxi11.DeviceError](err); !ok || de.Code != vxi11wire.ErrIOTimeout {
		t.Errorf("error %v carries no io_timeout DeviceError", err)
	}
	if reads > 100 { // 4 at once, more only when a reply is late (a loaded machine); a spin makes thousands
		t.Errorf("%d device_reads before giving up", reads)
	}
	// The link is still in step: a query gets its reply.
	if _, err := c.Write([]byte("A?\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	if n, err := c.Read(buf); err != nil || string(buf[:n]) != "A? reply\n" {
		t.Fatalf("read after: %q, %v", buf[:n], err)
	}
}

// An instrument that caps io_timeout below what a Read with no deadline
// asks (here its io_timeout error comes after 60 ms, not 10 s) is
// waiting, not spinning: it is asked again until the reply comes, not
// given up on with ErrEarlyTimeout (as it was while "early" meant under a
// tenth of the 10 s asked).
func TestCappedIOTimeoutIsWaitedOn(t *testing.T) {
	f := startFake(t)
	c := f.dial(t)
	f.mu.Lock()
	f.dataAt, f.readDelay = 8, 60*time.Millisecond
	f.mu.Unlock()
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	f.mu.Lock()
	f.dataAt, f.readDelay = 0, 0
	f.mu.Unlock()
	if err != nil || string(buf[:n]) != "late\n" {
		t.Fatalf("read %q, %v; want the reply after 7 io_timeouts", buf[:n], err)
	}
}

// Close does not wait behind calls queued for the link: each returns
// net.ErrClosed once Close has begun. Before, the call first in line took
// the link when the read Close interrupted let go, and ran before Close,
// bounded only by its own deadline (10 s without one), against an
// instrument that may be gone.
func TestCloseDoesNotWaitBehindQueuedCalls(t *testing.T) {
	f := startFake(t)
	c := f.dial(t)
	readDone := holdARead(f, c)
	f.holdNext(vxi11wire.ProcDeviceReadStb) // an instrument that does not answer
	stb := func(ctx context.Context) error { _, err := c.ReadStatusByte(ctx); return err }
	testserver.CloseSkipsQueuedCalls(t, stb, c.Close, readDone)
}

// An out-of-band call puts the Conn's own deadline back when it is done,
// read under the lock SetDeadline takes: a SetDeadline from another
// goroutine (a session's cancellation) while the call runs is never
// undone. The restore used to read the deadline before taking the lock,
// a data race that -race reports here.
func TestOutOfBandCallRestoresTheDeadlineUnderItsLock(t *testing.T) {
	f := startFake(t)
	c := f.dial(t)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			c.SetDeadline(time.Now().Add(time.Hour))
		}
	}()
	for range 200 {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := c.ReadStatusByte(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
	}
	close(stop)
	<-done
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.ReadStatusByte(context.Background()); err != nil {
		t.Fatal(err)
	}
}
