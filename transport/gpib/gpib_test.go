package gpib_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/gpib"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// bus starts a simulated Prologix GPIB-ETHERNET with instruments at
// addresses 5 (DP832), 9 (SAMPLE) and 22 (E36312A).
func bus(t testing.TB) (map[int]*sim.Instrument, string) {
	t.Helper()
	on := map[int]*sim.Instrument{5: sim.MustNew("DP832"), 9: sim.MustNew("SAMPLE"), 22: sim.MustNew("E36312A")}
	p, err := sim.NewPrologix(on, sim.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := p.ServeTCP("")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return on, res
}

func open(t testing.TB, adapter, resource string, opts ...scpi.Option) *scpi.Session {
	t.Helper()
	opts = append(opts, scpi.WithTransportOptions(transport.WithGPIBAdapter(adapter)))
	s, err := scpi.Open(context.Background(), resource, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Sessions to three addresses share one adapter from many goroutines;
// nobody gets another instrument's reply.
func TestSessionsShareOneAdapter(t *testing.T) {
	_, adapter := bus(t)
	ctx := context.Background()
	models := map[string]string{"GPIB0::5::INSTR": "DP832", "GPIB::9::INSTR": "SAMPLE", "GPIB0::22::INSTR": "E36312A"}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for res, model := range models {
		s := open(t, adapter, res)
		for g := range 4 {
			wg.Go(func() {
				for i := range 25 {
					id, err := s.QueryIDN(ctx)
					if err != nil {
						errs <- fmt.Errorf("%s goroutine %d query %d: %w", res, g, i, err)
						return
					}
					if id.Model != model {
						errs <- fmt.Errorf("%s got the reply of %s", res, id.Model)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestOutOfBandOperations(t *testing.T) {
	_, adapter := bus(t)
	o := transport.NewOptions(transport.WithGPIBAdapter(adapter))
	ctx := context.Background()
	c, err := transport.Open(ctx, "GPIB0::5::INSTR", transport.WithGPIBAdapter(adapter))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	other, err := gpib.Dial(ctx, adapter, 22, transport.NoAddress, o)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := c.Write([]byte("*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	stb, err := c.(transport.StatusByteReader).ReadStatusByte(ctx)
	if err != nil || stb&0x10 == 0 {
		t.Fatalf("serial poll %#x, %v: want MAV while the reply waits", stb, err)
	}
	if stb, err := other.ReadStatusByte(ctx); err != nil || stb&0x10 != 0 {
		t.Fatalf("serial poll of another address %#x, %v: want no MAV", stb, err)
	}
	if err := c.(transport.Clearer).Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if stb, err := c.(transport.StatusByteReader).ReadStatusByte(ctx); err != nil || stb&0x10 != 0 {
		t.Fatalf("after SDC: %#x, %v", stb, err)
	}
	if err := c.(transport.Triggerer).Trigger(ctx); err != nil {
		t.Fatal(err)
	}
}

// A session that times out on a slow instrument resynchronises; the
// late reply never reaches the next query, and the other address on the
// bus is not disturbed.
func TestTimeoutResyncOnSharedBus(t *testing.T) {
	on, adapter := bus(t)
	ctx := context.Background()
	var log testserver.Log
	slow := open(t, adapter, "GPIB0::5::INSTR", scpi.WithLogger(zerolog.New(&log)))
	fast := open(t, adapter, "GPIB0::9::INSTR")
	if err := on[5].SetFaults(sim.Faults{Latency: 300 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := slow.Query(short, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("slow query: %v, want ErrTimeout", err)
	}
	if v, err := fast.Query(ctx, "*IDN?"); err != nil || !strings.HasPrefix(v, "scpikit,SAMPLE") {
		t.Fatalf("other address after the timeout: %q, %v", v, err)
	}
	on[5].SetFaults(sim.Faults{})
	if v, err := slow.Query(ctx, "SOUR2:VOLT?"); err != nil || strings.Contains(v, "RIGOL") {
		t.Fatalf("query after the timeout: %q, %v", v, err)
	}
	if !strings.Contains(log.String(), `"method":"device clear"`) {
		t.Fatalf("the session did not resynchronise with selected device clear:\n%s", log.String())
	}
}

func TestAdapterErrors(t *testing.T) {
	ctx := context.Background()
	t.Setenv(gpib.EnvAdapter, "")
	if _, err := transport.Open(ctx, "GPIB0::5::INSTR"); !errors.Is(err, gpib.ErrNoAdapter) {
		t.Fatalf("no adapter: %v", err)
	}
	// Something that is not a Prologix controller.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err == nil {
			c.Write([]byte("HTTP/1.0 400 Bad Request\r\n\r\n"))
			time.Sleep(100 * time.Millisecond)
			c.Close()
		}
	}()
	res := fmt.Sprintf("TCPIP::127.0.0.1::%d::SOCKET", ln.Addr().(*net.TCPAddr).Port)
	if _, err := transport.Open(ctx, "GPIB0::5::INSTR", transport.WithGPIBAdapter(res)); !errors.Is(err, gpib.ErrNotPrologix) {
		t.Fatalf("not a Prologix: %v", err)
	}
	<-done
	if _, err := gpib.Dial(ctx, res, 31, transport.NoAddress, transport.NewOptions()); !errors.Is(err, transport.ErrBadResource) {
		t.Fatalf("address 31: %v", err)
	}
	// An address with nobody on it: the read times out.
	_, adapter := bus(t)
	s := open(t, adapter, "GPIB0::7::INSTR", scpi.WithTimeout(100*time.Millisecond))
	if _, err := s.Query(ctx, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("empty address: %v", err)
	}
	// The environment variable names the adapter too.
	t.Setenv(gpib.EnvAdapter, adapter)
	c, err := transport.Open(ctx, "GPIB0::9::INSTR")
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
}

// The adapter's wire protocol from a client that is not ours.
func TestSimulatedControllerProtocol(t *testing.T) {
	_, adapter := bus(t)
	r, _ := transport.ParseResource(adapter)
	c, err := net.Dial("tcp", r.Address())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	send := func(s string) {
		if _, err := c.Write([]byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	buf := make([]byte, 256)
	recv := func() {
		n, err := c.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
	send("++ver\r\n")
	recv()
	send("++addr 9\n++addr\n")
	recv()
	send("++auto 1\n*IDN?\n") // read-after-write
	recv()
	send("++auto 0\n++eot_enable 1\n++eot_char 64\n*OPC?\n++read eoi\n")
	recv()
	send("++eot_enable 0\nSYST:ERR?\n++read 44\n") // up to the first ','
	recv()
	send("++read eoi\n")
	recv()
	send("++spoll 9\n")
	recv()
	send("++frobnicate\n")
	recv()
	want := []string{sim.PrologixVersion + "\r\n", "9\r\n", "scpikit,SAMPLE,SIM000001,1.0\n", "1\n@", "0,", "\"No error\"\n", "0\r\n", "Unrecognized command\r\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// GPIB-USB: the same controller on a serial port.
func TestGPIBUSBOnAPseudoTerminal(t *testing.T) {
	p, err := sim.NewPrologix(map[int]*sim.Instrument{3: sim.MustNew("SAMPLE")}, sim.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	res, err := p.ServePTY()
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	s := open(t, res, "GPIB0::3::INSTR")
	if v, err := s.Query(context.Background(), "*IDN?"); err != nil || !strings.HasPrefix(v, "scpikit,SAMPLE") {
		t.Fatalf("%q, %v", v, err)
	}
}

// A context that ends just as an adapter command does must not cut short
// the calls after it: its interrupt (a past deadline on the Conn) runs on
// a goroutine of its own and used to land after the command had restored
// the Conn's deadline, leaving it in the past, so that the next write
// failed at once waiting for the bus. Racing a cancel against many calls
// hits that window every few hundred calls on more than one CPU.
func TestContextEndingWithACallSparesTheNext(t *testing.T) {
	_, adapter := bus(t)
	c, err := gpib.Dial(context.Background(), adapter, 9, transport.NoAddress, transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	testserver.CancelRace(t, c, 1000, func() error { _, err := c.Write([]byte("*CLS\n")); return err })
}

// fakeAdapter is a scripted Prologix GPIB-ETHERNET on loopback: ++read
// eoi answers with replies[the address selected], in one write, as an
// instrument's reply ends with EOI only after its last line.
func fakeAdapter(t *testing.T, replies map[string]string) string {
	t.Helper()
	srv := testserver.Start(t, testserver.Lines(fakeAdapterLines(replies)))
	return fmt.Sprintf("TCPIP::127.0.0.1::%d::SOCKET", srv.Port())
}

// fakeAdapterLines answers as a Prologix adapter whose instruments give
// replies (by address), the same on every connection.
func fakeAdapterLines(replies map[string]string) func(line string) (string, bool) {
	var mu sync.Mutex
	addr := ""
	return func(line string) (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case line == "++ver":
			return "Prologix GPIB-ETHERNET Version 1.6.6.0\r", true
		case strings.HasPrefix(line, "++addr "):
			addr = strings.TrimPrefix(line, "++addr ")
		case line == "++read eoi":
			r, ok := replies[addr]
			return strings.TrimSuffix(r, "\n"), ok
		case strings.HasPrefix(line, "++spoll"):
			return "16\r", true
		}
		return "", false
	}
}

// exchange writes cmd to c and reads one line of reply.
func exchange(t *testing.T, c *gpib.Conn, cmd string) string {
	t.Helper()
	return readUntil(t, c, cmd, 64, func(got []byte) bool { return strings.HasSuffix(string(got), "\n") })
}

// readUntil sends cmd and reads from c, size bytes at most a read, until
// done says the reply is all there.
func readUntil(t *testing.T, c *gpib.Conn, cmd string, size int, done func(got []byte) bool) string {
	t.Helper()
	got, err := tryReadUntil(c, cmd, size, done)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// tryReadUntil is readUntil for a goroutine other than the test's: it
// returns the error.
func tryReadUntil(c *gpib.Conn, cmd string, size int, done func(got []byte) bool) (string, error) {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte(cmd + "\n")); err != nil {
		return "", err
	}
	var got []byte
	buf := make([]byte, size)
	for !done(got) {
		n, err := c.Read(buf)
		if err != nil {
			return string(got), fmt.Errorf("%s: %q, %w", cmd, got, err)
		}
		got = append(got, buf[:n]...)
	}
	return string(got), nil
}

// readReplyAsync starts reading c's reply to cmd, of want bytes, in a
// goroutine, and returns what gets it.
func readReplyAsync(c *gpib.Conn, cmd string, want int) func(t *testing.T) string {
	type result struct {
		got string
		err error
	}
	done := make(chan result, 1)
	go func() {
		got, err := tryReadUntil(c, cmd, 7, func(got []byte) bool { return len(got) >= want })
		done <- result{got, err}
	}()
	return func(t *testing.T) string {
		t.Helper()
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r.got
	}
}

// dialFiveAndSeven dials addresses 5 and 7 through adapter, closed as
// the test ends.
func dialFiveAndSeven(t *testing.T, adapter string) (five, seven *gpib.Conn) {
	t.Helper()
	o := transport.NewOptions()
	five, err := gpib.Dial(context.Background(), adapter, 5, transport.NoAddress, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { five.Close() })
	seven, err = gpib.Dial(context.Background(), adapter, 7, transport.NoAddress, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seven.Close() })
	return five, seven
}

// An instrument whose reply has more lines than the session reads (*LRN?,
// a catalog) leaves bytes in the adapter's buffer, which every address
// shares: they are never taken for another address's reply, nor for an
// answer of the adapter's own.
func TestLeftoverBytesAreNoOtherAddressesReply(t *testing.T) {
	adapter := fakeAdapter(t, map[string]string{"5": "L1\nL2\n", "7": "seven\n"})
	five, seven := dialFiveAndSeven(t, adapter)
	got := []string{exchange(t, five, "*LRN?"), exchange(t, seven, "*IDN?"), exchange(t, five, "*LRN?")}
	if diff := cmp.Diff([]string{"L1\n", "seven\n", "L1\n"}, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
	bounded, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stb, err := seven.ReadStatusByte(bounded)
	if err != nil {
		t.Fatalf("serial poll after a reply with two lines: %v", err)
	}
	if diff := cmp.Diff(byte(16), stb); diff != "" {
		t.Fatalf("status byte (-want +got):\n%s", diff)
	}
}

// An adapter resource that is itself GPIB is refused: opening it would
// open itself through itself (it used to deadlock on the registry's lock,
// and every GPIB open after it with it).
func TestAdapterThatIsGPIBIsRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		env  string
		opts []transport.Option
	}{
		{"in the environment", "GPIB0::1::INSTR", nil},
		{"as an option", "", []transport.Option{transport.WithGPIBAdapter("gpib::1::instr")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(gpib.EnvAdapter, tc.env)
			errc := make(chan error, 1)
			go func() {
				c, err := transport.Open(ctx, "GPIB0::5::INSTR", tc.opts...)
				if err == nil {
					c.Close()
				}
				errc <- err
			}()
			select {
			case err := <-errc:
				if !errors.Is(err, transport.ErrBadResource) {
					t.Fatalf("open: %v, want ErrBadResource", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("open through a GPIB adapter that is GPIB did not return")
			}
		})
	}
}

// A slow adapter dial holds up no one: not an open through another
// adapter, and a caller waiting for the same adapter's dial gives up when
// its own context says. Both used to wait for the registry's lock until
// the slow dial ended.
func TestSlowAdapterDialHoldsUpNoOne(t *testing.T) {
	asked := make(chan struct{}, 1)
	slow := testserver.Start(t, func(c net.Conn) {
		r := bufio.NewReader(c)
		if line, err := r.ReadString('\n'); err != nil || line != "++ver\n" {
			return
		}
		asked <- struct{}{}
		io.Copy(io.Discard, r) // never answers, until the client goes
	})
	slowRes := fmt.Sprintf("TCPIP::127.0.0.1::%d::SOCKET", slow.Port())
	o := transport.NewOptions()
	first, cancelFirst := context.WithTimeout(context.Background(), time.Minute)
	defer cancelFirst()
	firstDone := make(chan error, 1)
	go func() {
		c, err := gpib.Dial(first, slowRes, 5, transport.NoAddress, o)
		if err == nil {
			c.Close()
		}
		firstDone <- err
	}()
	<-asked // the first dial is under way, waiting for ++ver's answer

	wait := func(errc <-chan error, what string, want error) {
		t.Helper()
		select {
		case err := <-errc:
			if want == nil && err != nil || want != nil && !errors.Is(err, want) {
				t.Errorf("%s: %v, want %v", what, err, want)
			}
		case <-time.After(10 * time.Second):
			cancelFirst() // ends the slow dial, and with it the wait
			<-errc
			t.Errorf("%s waited for another adapter's dial", what)
		}
	}

	_, other := bus(t)
	errc := make(chan error, 1)
	go func() {
		c, err := gpib.Dial(context.Background(), other, 9, transport.NoAddress, o)
		if err == nil {
			c.Close()
		}
		errc <- err
	}()
	wait(errc, "open through another adapter", nil)

	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	go func() {
		c, err := gpib.Dial(short, slowRes, 7, transport.NoAddress, o)
		if err == nil {
			c.Close()
		}
		errc <- err
	}()
	wait(errc, "open through the same adapter", context.DeadlineExceeded)

	cancelFirst()
	if err := <-firstDone; err == nil {
		t.Fatal("the slow dial succeeded, with no answer to ++ver")
	}
}

// An adapter whose link fails (it rebooted, its cable went) is dialled
// anew by the next Dial, although another address still holds the dead
// link: a session reconnecting gets a working adapter, not the same
// broken connection again for as long as the other address stays open.
func TestAdapterThatFailedIsDialledAgain(t *testing.T) {
	srv := testserver.Start(t, testserver.Lines(fakeAdapterLines(map[string]string{"5": "five\n", "7": "seven\n"})))
	adapter := fmt.Sprintf("TCPIP::127.0.0.1::%d::SOCKET", srv.Port())
	ctx := context.Background()
	o := transport.NewOptions()
	five, err := gpib.Dial(ctx, adapter, 5, transport.NoAddress, o)
	if err != nil {
		t.Fatal(err)
	}
	seven, err := gpib.Dial(ctx, adapter, 7, transport.NoAddress, o)
	if err != nil {
		t.Fatal(err)
	}
	defer seven.Close()
	if got := exchange(t, five, "*IDN?"); got != "five\n" {
		t.Fatalf("before the failure: %q", got)
	}
	srv.DropConnections()
	five.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := five.Write([]byte("*IDN?\n")); err == nil {
		_, err = five.Read(make([]byte, 64))
		if err == nil {
			t.Fatal("an exchange over the dropped link succeeded")
		}
	}
	five.Close()
	again, err := gpib.Dial(ctx, adapter, 5, transport.NoAddress, o)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if got := exchange(t, again, "*IDN?"); got != "five\n" {
		t.Fatalf("after dialling again: %q", got)
	}
}

// An out-of-band call (serial poll, clear, trigger) waits for its Conn no
// longer than its context allows: a Read of an instrument that does not
// answer holds the Conn (here with no deadline, for ever). Each call used
// to wait for it all the same, past its own context.
func TestOutOfBandCallsWaitForTheLinkNoLongerThanTheirContext(t *testing.T) {
	reading := make(chan struct{}, 1)
	lines := fakeAdapterLines(map[string]string{}) // ++read eoi gets no answer
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		if line == "++read eoi" {
			select {
			case reading <- struct{}{}:
			default:
			}
		}
		return lines(line)
	}))
	adapter := fmt.Sprintf("TCPIP::127.0.0.1::%d::SOCKET", srv.Port())
	c, err := gpib.Dial(context.Background(), adapter, 5, transport.NoAddress, transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	readDone := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); readDone <- err }()
	<-reading // the read holds the Conn, waiting for the instrument
	stb := func(ctx context.Context) error { _, err := c.ReadStatusByte(ctx); return err }
	testserver.CallsGiveUpWhileHeld(t, "a read waits", readDone, func() { c.SetDeadline(time.Unix(1, 0)) }, os.ErrDeadlineExceeded,
		[]testserver.Call{{Name: "ReadStatusByte", Do: stb}, {Name: "Clear", Do: c.Clear}, {Name: "Trigger", Do: c.Trigger}})
	c.SetDeadline(time.Time{})
	if stb, err := c.ReadStatusByte(context.Background()); err != nil || stb != 16 {
		t.Fatalf("serial poll after: %d, %v", stb, err)
	}
}

// Close does not wait behind calls queued for the Conn: each returns
// net.ErrClosed once Close has begun. Before, the call first in line took
// the Conn when the read Close interrupted let go, and ran before Close,
// bounded only by its own deadline (10 s without one), against an
// instrument that may be gone.
func TestCloseDoesNotWaitBehindQueuedCalls(t *testing.T) {
	reading := make(chan struct{}, 1)
	lines := fakeAdapterLines(map[string]string{}) // ++read eoi gets no answer
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		switch {
		case line == "++read eoi":
			select {
			case reading <- struct{}{}:
			default:
			}
		case strings.HasPrefix(line, "++spoll"):
			return "", false // nor a serial poll
		}
		return lines(line)
	}))
	adapter := fmt.Sprintf("TCPIP::127.0.0.1::%d::SOCKET", srv.Port())
	c, err := gpib.Dial(context.Background(), adapter, 5, transport.NoAddress, transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	readDone := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); readDone <- err }()
	<-reading // the read holds the Conn, waiting for the instrument
	stb := func(ctx context.Context) error { _, err := c.ReadStatusByte(ctx); return err }
	testserver.CloseSkipsQueuedCalls(t, stb, c.Close, readDone)
}

// scriptedAdapter is a Prologix GPIB-ETHERNET on loopback that, unlike
// fakeAdapter, honours ++eot_enable and ++eot_char as the adapter does
// (the character follows the byte that came with EOI, the end of the
// last piece) and sends a reply in pieces: each piece after the first
// only once the test sends on more.
type scriptedAdapter struct {
	replies map[string][]string // by address: the pieces of ++read eoi's reply
	more    chan struct{}
	stop    chan struct{}
}

func startScriptedAdapter(t *testing.T, replies map[string][]string) (*scriptedAdapter, string) {
	t.Helper()
	f := &scriptedAdapter{replies: replies, more: make(chan struct{}), stop: make(chan struct{})}
	srv := testserver.Start(t, f.serve)
	t.Cleanup(func() { close(f.stop) }) // before the server's Close: a piece held is let go
	return f, fmt.Sprintf("TCPIP::127.0.0.1::%d::SOCKET", srv.Port())
}

func (f *scriptedAdapter) serve(c net.Conn) {
	in := bufio.NewReader(c)
	addr, eot, eotChar := "", false, byte('\n')
	for {
		line, err := in.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		var out []string
		switch {
		case line == "++ver":
			out = []string{"Prologix GPIB-ETHERNET Version 1.6.6.0\r\n"}
		case strings.HasPrefix(line, "++addr "):
			addr = strings.TrimPrefix(line, "++addr ")
		case strings.HasPrefix(line, "++eot_enable "):
			eot = strings.TrimPrefix(line, "++eot_enable ") == "1"
		case strings.HasPrefix(line, "++eot_char "):
			var v int
			fmt.Sscan(strings.TrimPrefix(line, "++eot_char "), &v)
			eotChar = byte(v)
		case line == "++read eoi":
			out = slices.Clone(f.replies[addr])
			if eot && len(out) > 0 {
				out[len(out)-1] += string(eotChar)
			}
		}
		for i, piece := range out {
			if i > 0 {
				select {
				case <-f.more:
				case <-f.stop:
					return
				}
			}
			if _, err := io.WriteString(c, piece); err != nil {
				return
			}
		}
	}
}

// release lets the adapter send the next piece of the reply it holds.
func (f *scriptedAdapter) release(t *testing.T) {
	t.Helper()
	select {
	case f.more <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("the adapter holds no piece of a reply")
	}
}

// readReply reads from c until want's length or an error.
func readReply(t *testing.T, c *gpib.Conn, cmd string, want int) string {
	t.Helper()
	return readUntil(t, c, cmd, 7, func(got []byte) bool { return len(got) >= want })
}

// Lines of a reply that reach the host only after its first line was
// read (an instrument sending *LRN? line by line before its EOI) are
// never taken for the next exchange's reply, whatever its address: the
// adapter marks the end of each reply (++eot_enable 1), so the link
// knows the first read did not see it end. With ++eot_enable 0 it did
// not know, and address 7's *IDN? got "L2\n".
func TestLateLinesOfAReplyAreNoOtherAddressesReply(t *testing.T) {
	f, adapter := startScriptedAdapter(t, map[string][]string{"5": {"L1\n", "L2\n"}, "7": {"seven\n"}})
	five, seven := dialFiveAndSeven(t, adapter)
	var got []string
	for range 2 {
		got = append(got, exchange(t, five, "*LRN?"))
		f.release(t) // the second line comes now, after the first was read
		got = append(got, exchange(t, seven, "*IDN?"))
	}
	if diff := cmp.Diff([]string{"L1\n", "seven\n", "L1\n", "seven\n"}, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
}

// A definite-length block whose payload holds newlines, the end mark's
// byte and a newline followed by it, arriving in pieces cut just after
// such bytes, is read whole, and the next exchange gets its own reply.
func TestBlockWithLineFeedsIsReadWhole(t *testing.T) {
	payload := "ab\ncd\n\x04ef\n\ngh\x04\n"
	block := fmt.Sprintf("#2%02d%s\n", len(payload), payload)
	cut1 := strings.Index(block, "cd\n") + 3
	cut2 := strings.Index(block, "\n\ngh") + 1
	f, adapter := startScriptedAdapter(t, map[string][]string{
		"5": {block[:cut1], block[cut1:cut2], block[cut2:]},
		"7": {"seven\n"},
	})
	five, seven := dialFiveAndSeven(t, adapter)
	go func() {
		for range 2 {
			select {
			case f.more <- struct{}{}:
			case <-f.stop:
				return
			}
		}
	}()
	got := []string{readReply(t, five, "CURV?", len(block)), exchange(t, seven, "*IDN?")}
	if diff := cmp.Diff([]string{block, "seven\n"}, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
}

// An indefinite block (#0) ends at the first newline the link finds, but
// its payload may hold more, and a data byte 4 after that newline looks
// like the adapter's end mark: the rest of the block is never taken for
// the next exchange's reply, whatever its address.
func TestIndefiniteBlockRestIsNoOtherAddressesReply(t *testing.T) {
	f, adapter := startScriptedAdapter(t, map[string][]string{"5": {"#0ab\n\x04", "cd\n"}, "7": {"seven\n"}})
	five, seven := dialFiveAndSeven(t, adapter)
	got := []string{exchange(t, five, "CURV?")}
	f.release(t) // the rest of the block comes now
	got = append(got, exchange(t, seven, "*IDN?"))
	if diff := cmp.Diff([]string{"#0ab\n", "seven\n"}, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
}

// A reply the instrument ends with EOI and no newline (an IEEE 488.1
// instrument, or one set to end its messages with EOI only) ends at the
// adapter's end mark, and reaches the session with a newline, as a VISA
// read ends at END: a text reply, and a definite block whose EOI comes
// with its last payload byte and whose payload holds LF and the mark's
// byte. Before, each read waited for a newline and ran into its
// deadline. A data byte 4 outside a string that a read happens to end
// with looks like the mark, and ends the reply there, but the rest never
// becomes another address's reply. Each reply is followed by address 7's, on the same
// adapter.
func TestReplyEndedByEOIAlone(t *testing.T) {
	block := "#16ab\x04d\nf"
	for _, tc := range []struct {
		name   string
		pieces []string
		want   string
		// late: the second piece comes only once the reply was read
		late bool
	}{
		{"text", []string{"+1.234E+00"}, "+1.234E+00\n", false},
		{"block", []string{block[:5], block[5:]}, block + "\n", false},
		{"data cut after the byte", []string{"ab\x04", "cd\n"}, "ab\n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, adapter := startScriptedAdapter(t, map[string][]string{"5": tc.pieces, "7": {"seven\n"}})
			five, seven := dialFiveAndSeven(t, adapter)
			read := readReplyAsync(five, "READ?", len(tc.want))
			var got []string
			if len(tc.pieces) > 1 && !tc.late {
				f.release(t)
			}
			got = append(got, read(t))
			if tc.late {
				f.release(t)
			}
			got = append(got, exchange(t, seven, "*IDN?"))
			if diff := cmp.Diff([]string{tc.want, "seven\n"}, got); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
		})
	}
}

// The end mark's byte inside a string is data, also when a read ends
// just after it. The adapter here is on a synchronous pipe, so the link
// has read and scanned the first piece before the second can go: the
// reply used to end there, "\"a\n", and its rest was address 7's reply.
func TestEndMarkByteInAStringCutAfterIt(t *testing.T) {
	f := &scriptedAdapter{replies: map[string][]string{"5": {"\"a\x04", "b\"\n"}, "7": {"seven\n"}},
		more: make(chan struct{}), stop: make(chan struct{})}
	host, dev := net.Pipe()
	served := make(chan struct{})
	go func() { defer close(served); f.serve(dev) }()
	t.Cleanup(func() { close(f.stop); dev.Close(); <-served })
	o := transport.NewOptions(transport.WithIntercept(func(context.Context, transport.Resource) (transport.Conn, bool, error) {
		return host, true, nil
	}))
	var five, seven *gpib.Conn
	for _, c := range []struct {
		pad  int
		conn **gpib.Conn
	}{{5, &five}, {7, &seven}} {
		conn, err := gpib.Dial(context.Background(), "ASRL/dev/pipe::INSTR", c.pad, transport.NoAddress, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		*c.conn = conn
	}
	want := "\"a\x04b\"\n"
	read := readReplyAsync(five, "DISP:TEXT?", len(want))
	f.release(t)
	got := []string{read(t), exchange(t, seven, "*IDN?")}
	if diff := cmp.Diff([]string{want, "seven\n"}, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
}

// A bare block (no newline after it, scpi.WithBlockTermination(false))
// that the instrument ends with EOI reaches the session with the newline
// the link adds, and the session reads it: it used to be left for the
// next query, which returned "" with no error.
func TestBareBlockEndedByEOIAlone(t *testing.T) {
	_, adapter := startScriptedAdapter(t, map[string][]string{"5": {"#15abcde"}})
	c, err := gpib.Dial(context.Background(), adapter, 5, transport.NoAddress, transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	s := scpi.NewSession(c, scpi.WithBlockTermination(false))
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []string
	for range 2 {
		b, err := s.QueryBlock(ctx, "CURV?")
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(b))
	}
	if diff := cmp.Diff([]string{"abcde", "abcde"}, got); diff != "" {
		t.Errorf("blocks (-want +got):\n%s", diff)
	}
}
