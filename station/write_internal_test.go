package station

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
)

// smallBuffers shrinks the kernel's send buffer of each connection it
// accepts, so that a reply larger than a few chunks waits on its client
// rather than on loopback's megabytes of buffers.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// stallServer serves s on 127.0.0.1 with small send buffers; closed
// receives each connection the server closes.
func stallServer(t *testing.T, s *Server) (hs *httptest.Server, closed <-chan net.Conn) {
	t.Helper()
	ch := make(chan net.Conn, 16)
	hs = httptest.NewUnstartedServer(s)
	hs.Listener = smallBuffers{hs.Listener}
	hs.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			select {
			case ch <- c:
			default:
			}
		}
	}
	hs.Start()
	t.Cleanup(hs.Close)
	return hs, ch
}

// dial opens a connection to hs with a small receive buffer and sends a
// GET of path (with headers, "Name: value" lines): a client that stops
// reading soon holds the server up.
func dial(t *testing.T, hs *httptest.Server, path string, headers ...string) net.Conn {
	t.Helper()
	return dialBuffered(t, hs, 16<<10, path, headers...)
}

// dialSlow is dial for a client that reads slowly but steadily: its
// receive buffer is large, so the window loopback's TCP offers never
// closes. (With a small one, TCP's persist timer, 200 ms and doubling,
// paced a steady reader's chunks, some to over half the stall bound.)
func dialSlow(t *testing.T, hs *httptest.Server, path string, headers ...string) net.Conn {
	t.Helper()
	return dialBuffered(t, hs, 256<<10, path, headers...)
}

func dialBuffered(t *testing.T, hs *httptest.Server, readBuffer int, path string, headers ...string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.(*net.TCPConn).SetReadBuffer(readBuffer)
	c.SetDeadline(time.Now().Add(time.Minute)) // a hang fails the test, late
	fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", path)
	for _, h := range headers {
		fmt.Fprintf(c, "%s\r\n", h)
	}
	fmt.Fprintf(c, "\r\n")
	return c
}

// slowReader reads at most 16 KiB each 25 ms tick: a client on a slow
// link (about 650 kB/s), taking a 64 KiB chunk in some 100 ms, steadily:
// fifteen times within the tests' 1.5 s stall bound. Its pace is the
// scenario; nothing waits on it for something to happen.
type slowReader struct {
	r    io.Reader
	tick *time.Ticker
}

func newSlowReader(r io.Reader) *slowReader {
	return &slowReader{r: r, tick: time.NewTicker(25 * time.Millisecond)}
}

func (s *slowReader) Read(p []byte) (int, error) {
	<-s.tick.C
	if len(p) > 16<<10 {
		p = p[:16<<10]
	}
	return s.r.Read(p)
}

// promptWithImage stores a run whose prompt shows an image of n random
// bytes (its event some 4n/3 bytes of JSON, the page's to show), then a
// measurement, and returns the run's ID.
func promptWithImage(t *testing.T, store *results.Store, n int) string {
	t.Helper()
	img := make([]byte, n)
	rand.Read(img)
	run, now := harness.NewRunID(time.Now()), time.Now()
	for _, e := range []harness.Event{
		{Run: run, Seq: 1, Time: now, Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "big prompt"}},
		{Run: run, Seq: 2, Time: now, Kind: harness.EventPrompt, DUT: "slot-1",
			Prompt: &harness.PromptEvent{ID: "p1", Text: "Is the LED green?", Input: harness.InputConfirm, ImageType: "image/png", Image: img}},
		{Run: run, Seq: 3, Time: now, Kind: harness.EventMeasurement, DUT: "slot-1",
			Measurement: &harness.Measurement{Seq: 3, DUT: "slot-1", Name: "after", Value: 1, Unit: "V", Limit: harness.LimitSpec{Comparator: harness.CompareNone}}},
	} {
		if err := <-store.Emit(e); err != nil {
			t.Fatal(err)
		}
	}
	return run
}

func openTestStore(t *testing.T) *results.Store {
	t.Helper()
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// A page on a slow link gets a large event whole and what follows, though
// the event takes longer to go out than the stall bound: the bound counts
// from the last chunk the client took, not from the start of the event.
// Before, one deadline covered a whole batch: the client was cut in the
// middle of the event, and its reconnect resumed before the same event,
// for ever.
func TestSlowPageGetsALargeEventWhole(t *testing.T) {
	store := openTestStore(t)
	const image = 2 << 20 // 2.8 MB of JSON: some 4.3 s at the reader's pace
	run := promptWithImage(t, store, image)
	s := New(store)
	s.stall = 1500 * time.Millisecond
	hs, _ := stallServer(t, s)

	c := dialSlow(t, hs, "/events", "Last-Event-ID: "+run+"/1")
	sr := newSlowReader(c)
	defer sr.tick.Stop()
	resp, err := http.ReadResponse(bufio.NewReaderSize(sr, 64<<10), nil)
	if err != nil {
		t.Fatal(err)
	}
	// resp.Body is not closed (it would read the stream to its end): the
	// connection is.
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	n, event := 0, ""
	for {
		line, err := br.ReadString('\n')
		n += len(line)
		if err != nil {
			t.Fatalf("the stream ended after %d bytes (%v), in the event after %q", n, err, event)
		}
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = strings.TrimSpace(v)
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok && event == "prompt" {
			var e harness.Event
			if err := json.Unmarshal([]byte(v), &e); err != nil || e.Prompt == nil || len(e.Prompt.Image) != image {
				t.Fatalf("the prompt's data (%d bytes) does not decode to its image: %v", len(v), err)
			}
		}
		if event == "measurement" {
			return // past the large event
		}
	}
}

// A page that stops reading is dropped once it has taken nothing for the
// stall bound, however the reply is chunked.
func TestStalledPageIsDropped(t *testing.T) {
	store := openTestStore(t)
	run := promptWithImage(t, store, 2<<20)
	s := New(store)
	s.stall = 100 * time.Millisecond
	s.ping = time.Hour
	hs, closed := stallServer(t, s)
	c := dial(t, hs, "/events", "Last-Event-ID: "+run+"/1")
	local := c.LocalAddr().String()
	for sc := range closed { // a hang fails the test at the client's deadline
		if sc.RemoteAddr().String() == local {
			break
		}
	}
}

// The page's stream carries an attachment's name, media type and size,
// not its bytes (up to 16 MiB, some 21 MB of JSON, which the page does
// not show, sent to every page that opens from before it, and held by
// each stream of a client that does not read).
func TestStreamLeavesOutAttachmentBytes(t *testing.T) {
	store := openTestStore(t)
	data := make([]byte, 1<<20+1) // a size whose base64 is padded
	rand.Read(data)
	rec, err := harness.Run(context.Background(), "with-attachment", func(tt *harness.Test) error {
		return tt.DUT("slot-1", func(d *harness.DUTRun) error {
			return d.Attach("scope.png", "image/png", data)
		})
	}, harness.WithoutSignals(), harness.WithSink(store))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(New(store))
	defer hs.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", hs.URL+"/events?after="+rec.ID+"/0", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	event, seen := "", 0
	for event != "run.ended" {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = strings.TrimSpace(v)
		}
		v, ok := strings.CutPrefix(line, "data: ")
		if !ok || event != "attachment" {
			continue
		}
		seen++
		if len(v) > 1024 {
			t.Errorf("an attachment event of %d bytes on the page's stream", len(v))
		}
		var e struct {
			Run        string         `json:"run"`
			Seq        uint64         `json:"seq"`
			Kind       string         `json:"kind"`
			DUT        string         `json:"dut"`
			Attachment map[string]any `json:"attachment"`
		}
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"name": "scope.png", "media_type": "image/png", "size": float64(len(data))}
		if e.Run != rec.ID || e.Seq == 0 || e.Kind != "attachment" || e.DUT != "slot-1" || fmt.Sprint(e.Attachment) != fmt.Sprint(want) {
			t.Errorf("the attachment event: %.300s, want its run, seq, kind, DUT and attachment %v", v, want)
		}
	}
	if seen != 1 {
		t.Errorf("%d attachment events, want 1", seen)
	}
}

// bigReport stores a run of n measurements with long names, whose HTML
// report is some megabytes, and returns the report's path.
func bigReport(t *testing.T, store *results.Store, n int) string {
	t.Helper()
	run, now := harness.NewRunID(time.Now()), time.Now()
	acks := []<-chan error{store.Emit(harness.Event{Run: run, Seq: 1, Time: now, Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "big report"}})}
	for i := range n {
		seq := uint64(i + 2)
		acks = append(acks, store.Emit(harness.Event{Run: run, Seq: seq, Time: now, Kind: harness.EventMeasurement, DUT: "slot-1",
			Measurement: &harness.Measurement{Seq: seq, DUT: "slot-1", Name: fmt.Sprintf("%s-%05d", strings.Repeat("ripple", 30), i), Value: float64(i), Unit: "V",
				Limit: harness.LimitSpec{Comparator: harness.CompareNone}}}))
	}
	for _, a := range acks {
		if err := <-a; err != nil {
			t.Fatal(err)
		}
	}
	return "/runs/" + run + "/report.html"
}

// readHeader reads a reply's status line and header from c, and no more
// than the 4 KiB of a bufio.Reader: the handler has begun to write.
func readHeader(t *testing.T, c net.Conn) *http.Response {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s", resp.Status)
	}
	return resp
}

// Two clients that ask for a large report and do not read it hold no
// report slot: a third gets its report at once. Before, each held its
// slot for as long as it kept its connection (no write deadline), and
// every other report request waited.
func TestStalledReportReadersHoldNoSlot(t *testing.T) {
	store := openTestStore(t)
	path := bigReport(t, store, 1000)
	s := New(store)
	waited := make(chan struct{}, 1)
	s.reportWaits = func() {
		select {
		case waited <- struct{}{}:
		default:
		}
	}
	hs, _ := stallServer(t, s)
	for range maxReports {
		readHeader(t, dial(t, hs, path)) // and reads no more
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", hs.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		n, want int64
		err     error
	}
	done := make(chan got, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- got{err: err}
			return
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		done <- got{n, resp.ContentLength, err}
	}()
	select {
	case <-waited:
		cancel()
		<-done
		t.Fatalf("a third report request waited for a slot held by %d clients that do not read", maxReports)
	case g := <-done:
		if g.err != nil || g.n != g.want || g.n < 1<<20 {
			t.Fatalf("the third report: %d bytes of %d, %v", g.n, g.want, g.err)
		}
	}
}

// A client that stops reading a report is dropped after the stall
// bound; one that reads slowly gets it whole, though it takes longer.
func TestReportToAStalledClientIsDropped(t *testing.T) {
	store := openTestStore(t)
	path := bigReport(t, store, 1000)
	s := New(store)
	s.stall = 1500 * time.Millisecond
	hs, closed := stallServer(t, s)

	c := dialSlow(t, hs, path)
	sr := newSlowReader(c)
	defer sr.tick.Stop()
	resp, err := http.ReadResponse(bufio.NewReaderSize(sr, 64<<10), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := io.Copy(io.Discard, resp.Body); err != nil || n < 1<<20 || resp.ContentLength >= 0 && n != resp.ContentLength {
		t.Fatalf("a slow client got %d bytes of %d: %v", n, resp.ContentLength, err)
	}

	stalled := dial(t, hs, path)
	readHeader(t, stalled)
	local := stalled.LocalAddr().String()
	late := time.After(time.Minute) // a hang fails the test, late
	for {
		select {
		case sc := <-closed:
			if sc.RemoteAddr().String() == local {
				return
			}
		case <-late:
			t.Fatal("a client that stopped reading its report was not dropped")
		}
	}
}
