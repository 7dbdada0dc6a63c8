package station_test

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"io/fs"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/harness"
)

// The page's files, as the station embeds them: the page tests serve
// them from a scripted station (fakeStation) to try the page alone.
//
//go:embed web
var pageFiles embed.FS

// browser starts a headless chromium at 1366x768 for the test, or skips
// the test when there is none (fails when SCPIKIT_REQUIRE_INTEROP is set,
// as in CI). The context ends with the test.
func browser(t testing.TB) context.Context {
	t.Helper()
	path := os.Getenv("SCPIKIT_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
			t.Fatal("chromium is not installed and SCPIKIT_REQUIRE_INTEROP is set: install it (apt-get install chromium) or point SCPIKIT_CHROMIUM at a Chrome binary")
		}
		t.Skip("skipping the browser test: chromium is not installed (apt-get install chromium, or set SCPIKIT_CHROMIUM to a Chrome binary)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.WindowSize(1366, 768),
		chromedp.NoSandbox, // root in a container has no user namespace for the sandbox
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("force-device-scale-factor", "1"),
		chromedp.Flag("lang", "en-US"),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	// The page is laid out for a 1366x768 screen: the viewport is that.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1366, 768)); err != nil { // starts the browser
		cancel()
		cancelAlloc()
		t.Fatalf("starting %s: %v", path, err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// within bounds a browser action: a page that never shows what the test
// waits for fails the test instead of hanging it. The bound is a guard
// against a hang, not a judgement of speed: it is what is left of the
// test binary's -timeout less a minute (so the page's body is printed
// before the binary's own timeout would kill it), or ten minutes without
// one. A fixed 10 s failed once on a machine loaded by two busy loops,
// the race detector and another package's tests beside the browser.
func within(t testing.TB, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	bound := 10 * time.Minute
	if dt, ok := t.(interface{ Deadline() (time.Time, bool) }); ok {
		if deadline, ok := dt.Deadline(); ok {
			bound = max(time.Until(deadline)-time.Minute, 10*time.Second)
		}
	}
	c, cancel := context.WithTimeout(ctx, bound)
	defer cancel()
	if err := chromedp.Do(c, actions...); err != nil {
		hc, hcancel := context.WithTimeout(ctx, 2*time.Second)
		html, _ := chromedp.Run(hc, chromedp.OuterHTML(chromedp.CSS("body")))
		hcancel()
		if len(html) > 4000 {
			html = html[:4000] + "…"
		}
		t.Fatalf("%s: %v\nthe page's body:\n%s", what, err, html)
	}
}

// pageStats is what the page tells of the events it applied.
type pageStats struct {
	Applied    int `json:"applied"`
	Duplicates int `json:"duplicates"`
	Gaps       int `json:"gaps"`
	Reconnects int `json:"reconnects"`
	Malformed  int `json:"malformed"`
	PerRun     map[string]struct {
		Applied int    `json:"applied"`
		First   uint64 `json:"first"`
		Last    uint64 `json:"last"`
	} `json:"perRun"`
}

func readStats(t *testing.T, ctx context.Context) pageStats {
	t.Helper()
	return eval[pageStats](t, ctx, `window.stationPage.stats`)
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](t testing.TB, ctx context.Context, expr string) T {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s in the page: %v", expr, err)
	}
	return v
}

// screenshot saves the page as dir/name when SCPIKIT_SCREENSHOTS names a
// directory (relative to the repository's root): the documentation's
// pictures are taken by the tests from the running page
// (TestLiveEightSlots).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("SCPIKIT_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir)
	}
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(c, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("taking a screenshot: %v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s: %d bytes", filepath.Join(dir, name), len(png))
}

// fakeStation serves the page and a scripted stream of harness events
// with the station's endpoints, recording what the page posts: the page
// tried alone, with events the test chooses, as httptest does for a
// handler.
type fakeStation struct {
	mu      sync.Mutex
	events  []streamed
	wake    chan struct{}
	answers []fakeAnswer
	stops   []fakeStop
	runs    []map[string]any
	yield   map[string]any
	insts   []map[string]any
	// resend makes a reconnected stream start again from the first
	// event, ignoring the cursor, as a server that lost its place
	// would: the page must not apply an event twice.
	resend bool
	kick   chan struct{} // closed to drop every open stream
	// refuse answers that many of the next stream requests 503, after
	// which a browser's EventSource gives up (it reconnects only after a
	// broken stream, not an error status); cursors are the cursors the
	// stream requests asked for: "none", "header <cursor>" (Last-Event-ID)
	// or "query <cursor>" (?after=).
	refuse  int
	cursors []string
	srv     *http.Server
	url     string
	conns   sync.WaitGroup
}

// streamed is an event as the stream sends it.
type streamed struct {
	Run  string
	Seq  uint64
	Kind harness.EventKind
	JSON []byte
}

type fakeAnswer struct{ Run, Prompt, Answer string }
type fakeStop struct {
	Run       string
	Immediate bool
}

func newFakeStation(t testing.TB) *fakeStation {
	t.Helper()
	f := &fakeStation{wake: make(chan struct{}), kick: make(chan struct{})}
	web, err := fs.Sub(pageFiles, "web")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /", http.FileServerFS(web))
	mux.HandleFunc("GET /events", f.serveEvents)
	mux.HandleFunc("GET /api/runs", func(w http.ResponseWriter, r *http.Request) { f.json(w, func() any { return f.runs }) })
	mux.HandleFunc("GET /api/yield", func(w http.ResponseWriter, r *http.Request) { f.json(w, func() any { return f.yield }) })
	mux.HandleFunc("GET /api/instruments", func(w http.ResponseWriter, r *http.Request) { f.json(w, func() any { return f.insts }) })
	mux.HandleFunc("POST /api/runs/{id}/prompts/{pid}", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Answer string `json:"answer"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, a := range f.answers {
			if a.Run == r.PathValue("id") && a.Prompt == r.PathValue("pid") {
				http.Error(w, "already answered", http.StatusConflict)
				return
			}
		}
		f.answers = append(f.answers, fakeAnswer{r.PathValue("id"), r.PathValue("pid"), body.Answer})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /api/runs/{id}/stop", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Immediate bool `json:"immediate"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.stops = append(f.stops, fakeStop{r.PathValue("id"), body.Immediate})
		f.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.srv = &http.Server{Handler: mux, BaseContext: func(net.Listener) context.Context { return ctx }}
	f.url = "http://" + ln.Addr().String() + "/"
	done := make(chan struct{})
	go func() {
		defer close(done)
		f.srv.Serve(ln)
	}()
	t.Cleanup(func() {
		cancel() // ends the event streams
		f.srv.Close()
		<-done
		f.conns.Wait()
	})
	return f
}

func (f *fakeStation) json(w http.ResponseWriter, v func() any) {
	f.mu.Lock()
	b, err := json.Marshal(v())
	f.mu.Unlock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// emit appends events to the stream; Seq and Time are filled in where
// left zero.
func (f *fakeStation) emit(t *testing.T, es ...harness.Event) {
	t.Helper()
	for _, e := range es {
		if e.Time.IsZero() {
			e.Time = time.Now()
		}
		f.mu.Lock()
		if e.Seq == 0 {
			e.Seq = f.lastSeq(e.Run) + 1
		}
		f.mu.Unlock()
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		f.push(streamed{e.Run, e.Seq, e.Kind, b})
	}
}

// emitJSON appends an event given as a JSON object, for kinds the
// harness.Event of this build cannot hold; run, seq and time are filled in.
func (f *fakeStation) emitJSON(t *testing.T, run string, e map[string]any) {
	t.Helper()
	f.mu.Lock()
	seq := f.lastSeq(run) + 1
	f.mu.Unlock()
	e["run"], e["seq"] = run, seq
	if _, ok := e["time"]; !ok {
		e["time"] = time.Now()
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	f.push(streamed{run, seq, harness.EventKind(fmt.Sprint(e["kind"])), b})
}

// answersSent waits until the page has posted n answers.
func (f *fakeStation) answersSent(n int) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for len(f.answered()) < n {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond):
			}
		}
		return nil
	})
}

func (f *fakeStation) lastSeq(run string) uint64 {
	for i := len(f.events) - 1; i >= 0; i-- {
		if f.events[i].Run == run {
			return f.events[i].Seq
		}
	}
	return 0
}

func (f *fakeStation) push(e streamed) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
	close(f.wake)
	f.wake = make(chan struct{})
}

// serveEvents streams the events after the cursor (Last-Event-ID or
// ?after=, "<run>/<seq>"), as the station does.
func (f *fakeStation) serveEvents(w http.ResponseWriter, r *http.Request) {
	f.conns.Add(1)
	defer f.conns.Done()
	cursor, from := r.Header.Get("Last-Event-ID"), "header"
	if cursor == "" {
		cursor, from = r.URL.Query().Get("after"), "query"
	}
	f.mu.Lock()
	if cursor != "" {
		f.cursors = append(f.cursors, from+" "+cursor)
	} else {
		f.cursors = append(f.cursors, "none")
	}
	if f.refuse > 0 {
		f.refuse--
		f.mu.Unlock()
		http.Error(w, "busy", http.StatusServiceUnavailable)
		return
	}
	f.mu.Unlock()
	next := 0
	f.mu.Lock()
	kick, resend := f.kick, f.resend
	f.mu.Unlock()
	if cursor != "" && !resend {
		run, seq, ok := strings.Cut(cursor, "/")
		n, err := strconv.ParseUint(seq, 10, 64)
		if !ok || err != nil {
			http.Error(w, "bad cursor "+cursor, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		for next < len(f.events) && (f.events[next].Run < run || f.events[next].Run == run && f.events[next].Seq <= n) {
			next++
		}
		f.mu.Unlock()
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fmt.Fprint(w, "retry: 500\n\n")
	fl.Flush()
	for {
		f.mu.Lock()
		batch := f.events[next:]
		wake := f.wake
		f.mu.Unlock()
		for _, e := range batch {
			if _, err := fmt.Fprintf(w, "id: %s/%d\nevent: %s\ndata: %s\n\n", e.Run, e.Seq, e.Kind, e.JSON); err != nil {
				return
			}
		}
		next += len(batch)
		fl.Flush()
		select {
		case <-wake:
		case <-kick:
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fakeStation) answered() []fakeAnswer {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeAnswer(nil), f.answers...)
}

func (f *fakeStation) stopped() []fakeStop {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeStop(nil), f.stops...)
}

// drop ends every open event stream, as a restarting server does.
func (f *fakeStation) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(f.kick)
	f.kick = make(chan struct{})
}

// The events of a run, made the way the harness makes them.
func runStarted(run, name string) harness.Event {
	return harness.Event{Run: run, Kind: harness.EventRunStarted,
		Info: &harness.RunInfo{Name: name, Station: "line-3", Operator: "ana", Batch: "WO-1187"}}
}

func dutStarted(run, dut, serial string) harness.Event {
	return harness.Event{Run: run, Kind: harness.EventDUTStarted, DUT: dut, Unit: &harness.Unit{Serial: serial}}
}

func phase(run, dut, name string, attempt int) harness.Event {
	return harness.Event{Run: run, Kind: harness.EventPhaseStarted, DUT: dut, Phase: &harness.PhaseEvent{Name: name, Attempt: attempt}}
}

func measured(run, dut, name string, v float64, unit string, l harness.Limit) harness.Event {
	m := harness.Measurement{DUT: dut, Name: name, Value: v, Unit: unit, Limit: l.Spec(), Time: time.Now()}
	m.Outcome = harness.OutcomePass
	if lo, hi := m.Limit.Low, m.Limit.High; (lo != nil && v < *lo) || (hi != nil && v > *hi) {
		m.Outcome = harness.OutcomeFail
	}
	return harness.Event{Run: run, Kind: harness.EventMeasurement, DUT: dut, Measurement: &m}
}

func sampled(run, dut, name, unit string, at time.Time, v float64, band *harness.LimitSpec) harness.Event {
	return harness.Event{Run: run, Kind: harness.EventSample, DUT: dut, Time: at, Sample: &harness.Sample{Name: name, Unit: unit, Value: v, Band: band}}
}

// ripple is a supply's output with a slow ripple: what a monitor sees.
func ripple(i, dut int) float64 {
	return 5 + 0.04*math.Sin(float64(i)/9+float64(dut)) + 0.01*math.Sin(float64(i)*1.7)
}

// eightSlots streams a run of 8 DUTs in mid-test: dut-3 failing a limit,
// dut-6 faulted, dut-7 asking the operator whether its LED is green.
func eightSlots(t *testing.T, f *fakeStation, run string, start time.Time) {
	t.Helper()
	f.emit(t, runStarted(run, "PSU burn-in"))
	band := harness.Between(4.9, 5.1).Spec()
	for d := 1; d <= 8; d++ {
		dut := fmt.Sprintf("dut-%d", d)
		e := dutStarted(run, dut, fmt.Sprintf("SN24-%05d", 1180+d))
		e.Time = start
		f.emit(t, e)
		attempt := 1
		if d == 4 {
			attempt = 2
		}
		f.emit(t, phase(run, dut, "load sweep", attempt))
		var es []harness.Event
		for i := 0; i < 600; i++ {
			v := ripple(i, d)
			if d == 6 && i > 500 {
				v = 5.6 - 0.001*float64(i-500) // the OVP trip
			}
			var b *harness.LimitSpec
			if i == 0 {
				b = &band
			}
			es = append(es, sampled(run, dut, "vout", "V", start.Add(time.Duration(i)*50*time.Millisecond), v, b))
			if i%6 == 0 {
				es = append(es, sampled(run, dut, "iout", "A", start.Add(time.Duration(i)*50*time.Millisecond), 1.2+0.002*float64(i%50), nil))
			}
		}
		f.emit(t, es...)
		vout := 5.012 - 0.003*float64(d)
		if d == 3 {
			vout = 5.214
		}
		f.emit(t,
			measured(run, dut, "vout_no_load", vout, "V", harness.Between(4.9, 5.1)),
			measured(run, dut, "iq", 0.0123+0.0004*float64(d), "A", harness.AtMost(0.02)),
			measured(run, dut, "efficiency", 91.2-0.3*float64(d), "%", harness.AtLeast(85)),
			measured(run, dut, "ripple_pp", 0.0184, "V", harness.AtMost(0.05)),
		)
	}
	f.emit(t, harness.Event{Run: run, Kind: harness.EventFault, DUT: "dut-6",
		Fault: &harness.Fault{Time: time.Now(), Source: "monitor vout", DUT: "dut-6", Message: "vout 5.6 V above 5.1 V: output over-voltage"}})
	f.emitJSON(t, run, map[string]any{"kind": "prompt", "dut": "dut-7", "prompt": map[string]any{
		"id": "p1", "text": "Is the LED green?", "input": "confirm", "image_type": "image/png", "image": ledPNG(t),
	}})
}

// ledPNG is a small picture of a green LED, for the prompt.
func ledPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 24))
	for y := 0; y < 24; y++ {
		for x := 0; x < 48; x++ {
			c := color.RGBA{40, 44, 52, 255}
			if dx, dy := x-24, y-12; dx*dx+dy*dy < 81 {
				c = color.RGBA{30, 220, 90, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (f *fakeStation) setLists(run string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := time.Now()
	f.runs = []map[string]any{
		{"id": run, "name": "PSU burn-in", "started": now.Add(-40 * time.Second), "units": []map[string]any{{"dut": "dut-1", "serial": "SN24-01181"}}},
		{"id": "01JEXAMPLE0000000000000002", "name": "PSU burn-in", "outcome": "pass", "started": now.Add(-20 * time.Minute), "ended": now.Add(-19 * time.Minute)},
		{"id": "01JEXAMPLE0000000000000001", "name": "PSU burn-in", "outcome": "fail", "started": now.Add(-45 * time.Minute), "ended": now.Add(-44 * time.Minute)},
	}
	f.yield = map[string]any{"first_pass": map[string]any{"units": 46, "passed": 43, "yield": 43.0 / 46}}
	f.insts = []map[string]any{
		{"name": "psu-a", "resource": "TCPIP0::10.9.0.1::5555::SOCKET", "model": "RIGOL DP832", "status": "ok"},
		{"name": "psu-b", "resource": "TCPIP0::10.9.0.2::5025::SOCKET", "model": "Keysight E36312A", "status": "ok"},
		{"name": "dmm", "resource": "TCPIP0::10.9.0.3::5025::SOCKET", "model": "Keysight 34465A", "status": "ok"},
	}
}

// The page alone, fed a scripted run: 8 DUTs at 1366x768, serials, phases and attempts, the
// latest measurements against their limits, a chart per slot, a failing
// unit, a fault banner and slot, a prompt answered by a click, then the
// verdicts and the safe state when the run ends.
func TestPageEightSlots(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	const run = "01JEXAMPLE0000000000000003"
	f.setLists(run)
	eightSlots(t, f, run, time.Now().Add(-35*time.Second))

	within(t, ctx, "loading the page with 8 DUTs",
		chromedp.Navigate(f.url),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-8"] .meas tbody tr`)),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-7"] .prompt button.yes`)),
		chromedp.WaitVisible(chromedp.CSS(`#runs a`)),
		chromedp.WaitVisible(chromedp.CSS(`#instruments .badge`)),
		chromedp.Poll[chromedp.Void](`document.querySelector('#yield-value').textContent !== '–'`),
		// A chart redraws at most every 100 ms: wait for all samples drawn.
		chromedp.Poll[chromedp.Void](`[...document.querySelectorAll('.slot canvas')].every(c => c.dataset.samples === '600')`),
	)
	type slotView struct {
		Serial, Phase, Attempt, Failing string
		Rows                            []string
		Samples                         string
		Prompting, Faulted              bool
	}
	slots := eval[map[string]slotView](t, ctx, `Object.fromEntries([...document.querySelectorAll('.slot')].map(s => [s.dataset.dut, {
		Serial: s.querySelector('.serial').textContent, Phase: s.querySelector('.phase-name').textContent,
		Attempt: s.querySelector('.attempt').textContent,
		Failing: s.querySelector('.failing-tag').hidden ? '' : s.querySelector('.failing-tag').textContent,
		Rows: [...s.querySelectorAll('.meas tbody tr')].map(r => [...r.cells].map(c => c.textContent).join(' | ')),
		Samples: s.querySelector('canvas').dataset.samples || '',
		Prompting: s.classList.contains('prompting'), Faulted: s.classList.contains('faulted')}]))`)
	if len(slots) != 8 {
		t.Fatalf("the page shows %d slots, want 8: %v", len(slots), slots)
	}
	want3 := slotView{Serial: "SN SN24-01183", Phase: "load sweep", Failing: "FAILING", Samples: "600",
		// Failures first, then the latest; the ✓ and ✗ are CSS content.
		Rows: []string{"vout_no_load | 5.214 V | 4.9–5.1 V", "ripple_pp | 18.4 mV | ≤ 50 mV",
			"efficiency | 90.3 % | ≥ 85 %", "iq | 13.5 mA | ≤ 20 mA"}}
	if diff := cmp.Diff(want3, slots["dut-3"]); diff != "" {
		t.Errorf("dut-3 (-want +got):\n%s", diff)
	}
	if s := slots["dut-4"]; s.Attempt != "attempt 2" {
		t.Errorf("dut-4 shows attempt %q, want %q", s.Attempt, "attempt 2")
	}
	if s := slots["dut-6"]; !s.Faulted || s.Failing != "" {
		t.Errorf("dut-6 faulted=%v failing=%q, want faulted and not failing a limit", s.Faulted, s.Failing)
	}
	for dut, s := range slots {
		if s.Prompting != (dut == "dut-7") {
			t.Errorf("%s prompting=%v", dut, s.Prompting)
		}
	}
	banner := eval[string](t, ctx, `document.querySelector('#banners').textContent`)
	if !strings.Contains(banner, "FAULT: monitor vout on dut-6: vout 5.6 V above 5.1 V") {
		t.Errorf("the banners say %q, want the fault", banner)
	}
	if got := eval[string](t, ctx, `document.querySelector('#yield-value').textContent`); got != "93.5 %" {
		t.Errorf("yield %q, want 93.5 %%", got)
	}
	// The prompt has the focus, so a scanner or a keyboard answers it.
	if got := eval[string](t, ctx, `document.activeElement.closest('.slot') && document.activeElement.closest('.slot').dataset.dut`); got != "dut-7" {
		t.Errorf("the focus is in slot %q, want dut-7's prompt", got)
	}
	within(t, ctx, "answering the prompt", chromedp.Click(chromedp.CSS(`.slot[data-dut="dut-7"] .prompt button.yes`)))
	within(t, ctx, "waiting for the answer to be sent",
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-7"] .prompt button.yes[disabled]`)))
	if diff := cmp.Diff([]fakeAnswer{{run, "p1", "yes"}}, f.answered()); diff != "" {
		t.Errorf("answers posted (-want +got):\n%s", diff)
	}
	f.emitJSON(t, run, map[string]any{"kind": "prompt.answered", "dut": "dut-7", "prompt": map[string]any{"id": "p1", "answer": "yes", "by": "page"}})
	within(t, ctx, "the answered prompt goes", chromedp.WaitNotVisible(chromedp.CSS(`.slot[data-dut="dut-7"] .prompt`)))

	end := &harness.RunEnd{Outcome: harness.OutcomeError, StopCause: "harness: fault from monitor vout on dut-6"}
	for d := 1; d <= 8; d++ {
		v := harness.DUTVerdict{Name: fmt.Sprintf("dut-%d", d), Outcome: harness.OutcomePass}
		switch d {
		case 3:
			v.Outcome = harness.OutcomeFail
		case 6:
			v.Outcome, v.StopCause = harness.OutcomeError, "harness: fault from monitor vout on dut-6: vout 5.6 V above 5.1 V"
		case 8:
			v.Outcome, v.StopCause = harness.OutcomeAborted, "stopped: a fault on dut-6"
		}
		end.DUTs = append(end.DUTs, v)
	}
	for d := 1; d <= 8; d++ {
		f.emit(t, harness.Event{Run: run, Kind: harness.EventSafeState, DUT: fmt.Sprintf("dut-%d", d),
			SafeState: &harness.SafeStateRecord{Name: "output off", DUT: fmt.Sprintf("dut-%d", d), Time: time.Now(), Took: 3 * time.Millisecond, Verified: true}})
	}
	f.emit(t, harness.Event{Run: run, Kind: harness.EventRunEnded, End: end})
	within(t, ctx, "the verdicts", chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-8"] .verdict`)))
	verdicts := eval[map[string]string](t, ctx, `Object.fromEntries([...document.querySelectorAll('.slot')].map(s => [s.dataset.dut, s.querySelector('.verdict').firstChild.textContent]))`)
	wantV := map[string]string{"dut-1": "PASS", "dut-2": "PASS", "dut-3": "FAIL", "dut-4": "PASS", "dut-5": "PASS", "dut-6": "ERROR", "dut-7": "PASS", "dut-8": "ABORTED"}
	if diff := cmp.Diff(wantV, verdicts); diff != "" {
		t.Errorf("verdicts (-want +got):\n%s", diff)
	}
	if got := eval[string](t, ctx, `document.querySelector('.banner.safe-ok').textContent`); got != "✓ Safe state verified: 8 actions (output off ×8)" {
		t.Errorf("safe-state banner %q", got)
	}
	if got := eval[bool](t, ctx, `document.querySelector('#stop-graceful').disabled && document.querySelector('#stop-immediate').disabled`); !got {
		t.Error("the stop buttons are enabled after the run ended")
	}
	checkContrast(t, ctx)

	// The next unit in a slot clears the last one's verdict.
	const next = "01JEXAMPLE0000000000000004"
	f.emit(t, runStarted(next, "PSU burn-in"), dutStarted(next, "dut-1", "SN24-01200"))
	within(t, ctx, "the next unit", chromedp.WaitNotVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .verdict`)))
	if got := eval[string](t, ctx, `document.querySelector('.slot[data-dut="dut-2"] .verdict').firstChild.textContent`); got != "PASS" {
		t.Errorf("dut-2's verdict went before its next unit: %q", got)
	}
	st := readStats(t, ctx)
	if st.Duplicates != 0 || st.Gaps != 0 || st.Malformed != 0 {
		t.Errorf("stats %+v", st)
	}
}

// The stop buttons: a graceful stop is one click; an immediate stop asks
// for a second click, and a first click alone sends nothing.
func TestPageStopButtons(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	const run = "01JEXAMPLE0000000000000010"
	f.emit(t, runStarted(run, "soak"), dutStarted(run, "dut-1", "SN1"), phase(run, "dut-1", "soak", 1))
	within(t, ctx, "loading the page",
		chromedp.Navigate(f.url),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"]`)),
		chromedp.WaitEnabled(chromedp.CSS(`#stop-immediate`)),
		chromedp.Click(chromedp.CSS(`#stop-immediate`)),
		chromedp.WaitVisible(chromedp.CSS(`#stop-immediate.armed`)),
	)
	if got := f.stopped(); len(got) != 0 {
		t.Fatalf("one click on the immediate stop posted %v, want nothing before the confirmation", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#stop-immediate').textContent`); got != "Click again to stop NOW" {
		t.Errorf("the armed button says %q", got)
	}
	within(t, ctx, "confirming the immediate stop",
		chromedp.Click(chromedp.CSS(`#stop-immediate`)),
		chromedp.WaitVisible(chromedp.CSS(`.banner.stopping`)),
		chromedp.Click(chromedp.CSS(`#stop-graceful`)),
	)
	want := []fakeStop{{run, true}, {run, false}}
	within(t, ctx, "the stops reach the station", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		for len(f.stopped()) < 2 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Millisecond): // polls the fake's record of posts
			}
		}
		return nil
	}))
	if diff := cmp.Diff(want, f.stopped()); diff != "" {
		t.Errorf("stop requests (-want +got):\n%s", diff)
	}
	f.emit(t, harness.Event{Run: run, Kind: harness.EventStopping, Cause: "harness: stop requested on the page"},
		harness.Event{Run: run, Kind: harness.EventSafeState, DUT: "dut-1",
			SafeState: &harness.SafeStateRecord{Name: "output off", DUT: "dut-1", Time: time.Now(), Verified: false, Error: "CH1 still reads 12.0 V"}})
	within(t, ctx, "the NOT verified banner", chromedp.WaitVisible(chromedp.CSS(`.banner.safe-bad`)))
	got := eval[string](t, ctx, `document.querySelector('.banner.safe-bad').textContent`)
	if !strings.Contains(got, "SAFE STATE NOT VERIFIED — output off (dut-1): CH1 still reads 12.0 V") {
		t.Errorf("the banner says %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('.banner.stopping').textContent`); got != "Stopping: harness: stop requested on the page" {
		t.Errorf("the stopping banner says %q", got)
	}
}

// A barcode scanner types the serial into whatever has the focus and
// presses Enter: the serial prompt has it, even after a click elsewhere.
func TestPageScannerAnswersSerialPrompt(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	const run = "01JEXAMPLE0000000000000020"
	f.emit(t, runStarted(run, "final test"), dutStarted(run, "dut-1", ""), dutStarted(run, "dut-2", ""))
	f.emitJSON(t, run, map[string]any{"kind": "prompt", "dut": "dut-2", "prompt": map[string]any{"id": "p1", "text": "Scan the serial of the unit in slot 2", "input": "serial"}})
	f.emitJSON(t, run, map[string]any{"kind": "prompt", "dut": "dut-1", "prompt": map[string]any{"id": "p2", "text": "Scan the serial of the unit in slot 1", "input": "serial", "timeout": int64(90 * time.Second)}})
	within(t, ctx, "the serial prompts",
		chromedp.Navigate(f.url),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .prompt input`)),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-2"] .prompt input`)),
		// The operator clicks on the page's header: the focus leaves.
		chromedp.Click(chromedp.CSS(`#run-name`)),
		chromedp.KeyEvent("SN-0042\r"), // the scanner: keys, then Enter
	)
	within(t, ctx, "the answer is sent", f.answersSent(1))
	// The oldest prompt (dut-2's) is answered first.
	if diff := cmp.Diff([]fakeAnswer{{run, "p1", "SN-0042"}}, f.answered()); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	f.emitJSON(t, run, map[string]any{"kind": "prompt.answered", "dut": "dut-2", "prompt": map[string]any{"id": "p1", "answer": "SN-0042", "by": "page"}})
	f.emit(t, harness.Event{Run: run, Kind: harness.EventUnit, DUT: "dut-2", Unit: &harness.Unit{Serial: "SN-0042"}})
	within(t, ctx, "the next prompt takes the focus",
		chromedp.WaitNotPresent(chromedp.CSS(`.slot[data-dut="dut-2"] .prompt input`)),
		chromedp.Poll[chromedp.Void](`document.activeElement === document.querySelector('.slot[data-dut="dut-1"] .prompt input')`),
		chromedp.KeyEvent("SN-0043\r"),
	)
	if got := eval[string](t, ctx, `document.querySelector('.slot[data-dut="dut-2"] .serial').textContent`); got != "SN SN-0042" {
		t.Errorf("dut-2's serial shows as %q", got)
	}
	// Sent, the prompt says what was answered until the run goes on.
	within(t, ctx, "dut-1's prompt says its answer was sent",
		chromedp.Poll[chromedp.Void](`document.querySelector('.slot[data-dut="dut-1"] .prompt .note')?.textContent.includes('answered “SN-0043”')`))
	within(t, ctx, "the second answer is sent", f.answersSent(2))
	if diff := cmp.Diff([]fakeAnswer{{run, "p1", "SN-0042"}, {run, "p2", "SN-0043"}}, f.answered()); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// A page opened while a prompt has waited 5 minutes of its 10 counts down
// from 5 minutes: before, it took the time from the newest event it had
// (the prompt, 5 minutes old) and said 10.
func TestPageCountdownOfAnOldPrompt(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	const run = "01JEXAMPLE0000000000000021"
	asked := time.Now().Add(-5 * time.Minute)
	started, dut := runStarted(run, "final test"), dutStarted(run, "dut-1", "")
	started.Time, dut.Time = asked.Add(-time.Second), asked.Add(-time.Second)
	f.emit(t, started, dut)
	f.emitJSON(t, run, map[string]any{"kind": "prompt", "dut": "dut-1", "time": asked,
		"prompt": map[string]any{"id": "p1", "text": "Lid closed?", "input": "confirm", "timeout": int64(10 * time.Minute)}})
	within(t, ctx, "the countdown from what is left",
		chromedp.Navigate(f.url),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .prompt`)),
		chromedp.Poll[chromedp.Void](`/times out in (4:[45]\d|5:00)$/.test(document.querySelector('.slot[data-dut="dut-1"] .prompt .note')?.textContent ?? '')`),
	)
}

// A second program's run on the same store takes the page, and the first,
// still going, stays in sight: a banner says its prompt waits, and its
// link shows that run, whose prompt is then answered; that page in turn
// says what the other run needs (a fault). Before, the first run's events
// were dropped once the second started: its prompt never showed.
func TestPageKeepsAnotherRunInSight(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	const first, second = "01JEXAMPLE0000000000000061", "01JEXAMPLE0000000000000062"
	f.emit(t, runStarted(first, "soak A"), dutStarted(first, "dut-1", "SN-A"))
	f.emit(t, runStarted(second, "soak B"), dutStarted(second, "dut-1", "SN-B"))
	f.emitJSON(t, first, map[string]any{"kind": "prompt", "dut": "dut-1", "prompt": map[string]any{"id": "p1", "text": "Lid of A closed?", "input": "text"}})
	other := `document.querySelector('.banner.other[data-run="` + first + `"]')`
	within(t, ctx, "the first run's banner on the second run's page",
		chromedp.Navigate(f.url),
		chromedp.Poll[chromedp.Void](`document.querySelector('#run-name').textContent.includes('soak B')`),
		chromedp.Poll[chromedp.Void](other+`?.textContent.includes('1 prompt waits for an answer')`),
		chromedp.Click(chromedp.CSS(`.banner.other[data-run="`+first+`"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"] .prompt input`)),
	)
	if got := eval[string](t, ctx, `location.search`); got != "?run="+first {
		t.Errorf("the link led to %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#run-name').textContent`); !strings.Contains(got, "soak A") {
		t.Errorf("the page shows %q, want the first run", got)
	}
	f.emit(t, harness.Event{Run: second, Kind: harness.EventFault, Fault: &harness.Fault{Source: "monitor", DUT: "dut-1", Message: "overcurrent"}})
	within(t, ctx, "the second run's fault on the first run's page, and the answer",
		chromedp.Poll[chromedp.Void](`document.querySelector('.banner.other[data-run="`+second+`"]')?.textContent.includes('1 fault')`),
		chromedp.Focus(chromedp.CSS(`.slot[data-dut="dut-1"] .prompt input`)),
		chromedp.KeyEvent("yes\r"),
	)
	within(t, ctx, "the answer is sent", f.answersSent(1))
	if diff := cmp.Diff([]fakeAnswer{{first, "p1", "yes"}}, f.answered()); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
}

// A stream that breaks and resends what the page already has (a server
// that lost its place) draws nothing twice and misses nothing.
func TestPageDedupesResentEvents(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	const run = "01JEXAMPLE0000000000000030"
	f.emit(t, runStarted(run, "soak"), dutStarted(run, "dut-1", "SN1"))
	for i := range 20 {
		f.emit(t, measured(run, "dut-1", fmt.Sprintf("m%02d", i), float64(i), "V", harness.AtMost(100)))
	}
	within(t, ctx, "loading the page",
		chromedp.Navigate(f.url),
		chromedp.Poll[chromedp.Void](`window.stationPage.stats.applied === 22`),
	)
	f.mu.Lock()
	f.resend = true
	f.mu.Unlock()
	f.drop()
	for i := 20; i < 25; i++ {
		f.emit(t, measured(run, "dut-1", fmt.Sprintf("m%02d", i), float64(i), "V", harness.AtMost(100)))
	}
	within(t, ctx, "the page resumes",
		chromedp.Poll[chromedp.Void](`window.stationPage.stats.applied === 27 && window.stationPage.stats.duplicates >= 22`),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-name="m24"]`)))
	st := readStats(t, ctx)
	if st.Gaps != 0 || st.Applied != 27 || st.PerRun[run].Last != 27 {
		t.Errorf("stats %+v", st)
	}
	rows := eval[[]string](t, ctx, `[...document.querySelectorAll('.slot[data-dut="dut-1"] .meas tbody tr')].map(r => r.dataset.name)`)
	if diff := cmp.Diff([]string{"m24", "m23", "m22", "m21", "m20"}, rows); diff != "" {
		t.Errorf("latest measurements (-want +got):\n%s", diff)
	}
}

// Numbers as the operator reads them: SI prefixes, NaN and the
// infinities of an overloaded meter, limits, and 1-2-5 axis steps.
func TestPageFormatsNumbers(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	within(t, ctx, "loading the page", chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.CSS(`#no-slots`)))
	got := eval[[]string](t, ctx, `(() => { const p = window.stationPage; return [
		p.fmt(0.005, 'V'), p.fmt(12.5e-6, 'A'), p.fmt(1234.5, 'Hz'), p.fmt(91.25, '%'), p.fmt(NaN, 'V'),
		p.fmt(Infinity, 'V'), p.fmt(-Infinity, ''), p.fmt(0, 'V'), p.fmt(-0.0421, 'V'),
		String(p.niceStep(5.2, 5)), String(p.niceStep(0.013, 4)), String(p.niceStep(700, 3)),
		p.ticks(4.83, 5.17, 5).values.map(v => v.toFixed(2)).join(' '),
	]; })()`)
	want := []string{"5 mV", "12.5 µA", "1.2345 kHz", "91.25 %", "NaN V", "+∞ V", "−∞", "0 V", "-42.1 mV",
		"1", "0.002", "200", "4.85 4.90 4.95 5.00 5.05 5.10 5.15"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("formats (-want +got):\n%s", diff)
	}
}

// The page works on a factory network with no internet: nothing it
// embeds points at another host.
func TestPageHasNoExternalURLs(t *testing.T) {
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9-]+(\.[a-z0-9-]+)+`)
	n := 0
	err := fs.WalkDir(pageFiles, "web", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := pageFiles.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		for _, m := range external.FindAll(b, -1) {
			t.Errorf("%s refers to another host: %s", path, m)
		}
		for _, attr := range regexp.MustCompile(`(?i)(src|href)\s*=\s*"([^"]*)"`).FindAllSubmatch(b, -1) {
			// A data: URL is the page's own bytes; any other scheme or a
			// //host is another place.
			if u := string(attr[2]); (strings.Contains(u, ":") && !strings.HasPrefix(u, "data:")) || strings.HasPrefix(u, "//") {
				t.Errorf("%s loads %s, which is not one of the page's own files", path, u)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("the page has %d files, want index.html, style.css and app.js", n)
	}
}

// benchPage loads the page with two monitor series on each of 64 DUTs:
// "v-small" of small samples and "v-large" of large ones, applied
// straight into the page's model (no network), as a long run at 1 kHz
// leaves them.
func benchPage(b *testing.B, ctx context.Context, url string, small, large int) {
	b.Helper()
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(c, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(`#no-slots`))); err != nil {
		b.Fatal(err)
	}
	setup := `(() => {
		const p = window.stationPage, run = 'BENCH', t0 = Date.now() - 3600e3;
		window.bench = {p, run, t0, seq: 0, ns: 0, n: 0, band: {comparator: 'between', low: 4.9, high: 5.1, action: 'fail'}};
		const at = (ms) => new Date(ms).toISOString();
		p.apply({run, seq: ++bench.seq, kind: 'run.started', time: at(t0), info: {name: 'bench'}});
		for (let d = 1; d <= 64; d++) p.apply({run, seq: ++bench.seq, kind: 'dut.started', dut: 'dut-' + d, time: at(t0), unit: {serial: 'SN' + d}});
		return true;
	})()`
	// In chunks of 1000 samples per DUT: each call into the page is short.
	chunk := `((name, from, to) => {
		const B = window.bench, p = B.p, run = B.run;
		const start = performance.now();
		for (let i = from; i < to; i++) {
			const time = new Date(B.t0 + i).toISOString();
			for (let d = 1; d <= 64; d++) {
				p.apply({run, seq: ++B.seq, kind: 'sample', dut: 'dut-' + d, time,
					sample: {name, unit: 'V', value: 5 + 0.05 * Math.sin(i / 50 + d), band: i === 0 ? B.band : undefined}});
			}
		}
		B.ns += (performance.now() - start) * 1e6;
		B.n += (to - from) * 64;
		return true;
	})(%q, %d, %d)`
	if _, err := chromedp.Run(c, chromedp.Evaluate[bool](setup)); err != nil {
		b.Fatal(err)
	}
	for _, s := range []struct {
		name string
		n    int
	}{{"v-small", small}, {"v-large", large}} {
		for from := 0; from < s.n; from += 1000 {
			if _, err := chromedp.Run(c, chromedp.Evaluate[bool](fmt.Sprintf(chunk, s.name, from, min(from+1000, s.n)))); err != nil {
				b.Fatal(err)
			}
		}
	}
	perSample, err := chromedp.Run(c, chromedp.Evaluate[float64](`window.bench.ns / window.bench.n`))
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("the page applied each sample in %.0f ns (making its time string included)", perSample)
}

// redraw shows series name in every slot, redraws every chart once, as a
// frame does when all have new samples, and returns how long it took in
// the page.
func redraw(b *testing.B, ctx context.Context, name string) float64 {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	ms, err := chromedp.Run(ctx, chromedp.Evaluate[float64](fmt.Sprintf(`((name) => {
		const p = window.stationPage;
		for (const s of p.model.slots.values()) { s.shown = name; s.chartDirty = true; s.dirty = true; s.drawnAt = 0; }
		const start = performance.now();
		p.flush();
		return performance.now() - start;
	})(%q)`, name)))
	if err != nil {
		b.Fatal(err)
	}
	return ms
}

// The page draws in time proportional to its pixels, not to the samples:
// a frame that redraws 64 charts of 20 000 samples each costs about what
// one with 1 000 samples each does (decimation to min/max per column).
// Interleaved on one page; reports both frames and their ratio.
func BenchmarkPageRedraw64DUTs(b *testing.B) {
	ctx := browser(b)
	f := newFakeStation(b)
	benchPage(b, ctx, f.url, 1000, 20000)
	redraw(b, ctx, "v-small") // the slots' elements are made in the first frame
	var smallMs, largeMs float64
	b.ResetTimer()
	for range b.N {
		smallMs += redraw(b, ctx, "v-small")
		largeMs += redraw(b, ctx, "v-large")
	}
	b.ReportMetric(smallMs/float64(b.N), "frame-ms-1k")
	b.ReportMetric(largeMs/float64(b.N), "frame-ms-20k")
	b.ReportMetric(largeMs/smallMs, "20k/1k")
}

// checkContrast checks that every text of the page has the contrast
// WCAG 2 asks for against the background it is drawn on: 4.5:1, or 3:1
// for large text (24 px, or 18.66 px bold).
func checkContrast(t *testing.T, ctx context.Context) {
	t.Helper()
	type low struct {
		Text, Where  string
		Ratio, Least float64
	}
	got := eval[struct {
		Low     []low
		Checked int
	}](t, ctx, `(() => {
		const rgb = (s) => { const m = s.match(/[\d.]+/g).map(Number); return {r: m[0], g: m[1], b: m[2], a: m.length > 3 ? m[3] : 1}; };
		const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
			return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
		const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.a > 0) return c; } return {r: 255, g: 255, b: 255, a: 1}; };
		const out = [];
		let checked = 0;
		const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		for (let n = walker.nextNode(); n; n = walker.nextNode()) {
			const el = n.parentElement;
			if (!n.textContent.trim() || !el.checkVisibility({opacityProperty: true, visibilityProperty: true}) || el.closest('.sr, thead, template')) continue;
			const st = getComputedStyle(el);
			const fg = rgb(st.color), b = bg(el);
			// A disabled control or a slot of the previous run is faded on purpose.
			if (el.closest('button:disabled, .stale')) continue;
			const l1 = lum(fg), l2 = lum(b);
			const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
			const size = parseFloat(st.fontSize), bold = Number(st.fontWeight) >= 700;
			const least = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
			checked++;
			if (ratio < least) out.push({Text: n.textContent.trim().slice(0, 40), Where: el.className || el.tagName, Ratio: Math.round(ratio * 100) / 100, Least: least});
		}
		return {Low: out, Checked: checked};
	})()`)
	if got.Checked < 100 {
		t.Fatalf("the contrast check saw %d texts: the page is not what the test expects", got.Checked)
	}
	t.Logf("contrast checked on %d texts", got.Checked)
	for _, b := range got.Low {
		t.Errorf("text %q (%s) has a contrast of %.2f:1 with its background, want at least %.1f:1", b.Text, b.Where, b.Ratio, b.Least)
	}
}

// A prompt takes the focus when it opens, but not back from a control
// the operator moved to while events keep coming.
func TestPagePromptLeavesOperatorsFocus(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	const run = "01JEXAMPLE0000000000000040"
	f.emit(t, runStarted(run, "soak"), dutStarted(run, "dut-1", "SN1"))
	f.emitJSON(t, run, map[string]any{"kind": "prompt", "dut": "dut-1", "prompt": map[string]any{"id": "p1", "text": "Lid closed?", "input": "text"}})
	within(t, ctx, "the prompt takes the focus",
		chromedp.Navigate(f.url),
		chromedp.Poll[chromedp.Void](`document.activeElement === document.querySelector('.slot[data-dut="dut-1"] .prompt input')`),
		chromedp.Focus(chromedp.CSS(`#stop-graceful`)),
	)
	for i := range 5 {
		f.emit(t, measured(run, "dut-1", fmt.Sprintf("m%d", i), 1, "V", harness.AtMost(2)))
	}
	within(t, ctx, "the events drawn", chromedp.WaitVisible(chromedp.CSS(`tr[data-name="m4"]`)))
	if got := eval[string](t, ctx, `document.activeElement.id`); got != "stop-graceful" {
		t.Errorf("the focus went from the stop button to %q as events came", got)
	}
	// A new prompt takes it.
	f.emit(t, dutStarted(run, "dut-2", "SN2"))
	f.emitJSON(t, run, map[string]any{"kind": "prompt", "dut": "dut-2", "prompt": map[string]any{"id": "p2", "text": "Lid closed?", "input": "confirm"}})
	within(t, ctx, "the new prompt takes the focus",
		chromedp.Poll[chromedp.Void](`document.activeElement.closest('.prompt') !== null`))
}

// When the browser gives up on the stream (an error status instead of a
// broken connection), the page reconnects by itself from the last event
// it applied (?after=), and misses nothing.
func TestPageReconnectsAfterBrowserGivesUp(t *testing.T) {
	ctx := browser(t)
	f := newFakeStation(t)
	const run = "01JEXAMPLE0000000000000050"
	f.emit(t, runStarted(run, "soak"), dutStarted(run, "dut-1", "SN1"))
	within(t, ctx, "loading the page",
		chromedp.Navigate(f.url), chromedp.WaitVisible(chromedp.CSS(`.slot[data-dut="dut-1"]`)), chromedp.WaitVisible(chromedp.CSS(`#conn.live`)))
	f.mu.Lock()
	f.refuse = 1
	f.mu.Unlock()
	f.drop()
	within(t, ctx, "the page sees the stream refused", chromedp.WaitVisible(chromedp.CSS(`#conn.down`)))
	f.emit(t, measured(run, "dut-1", "after", 1, "V", harness.AtMost(2)))
	within(t, ctx, "the page reconnects by itself",
		chromedp.WaitVisible(chromedp.CSS(`tr[data-name="after"]`)), chromedp.WaitVisible(chromedp.CSS(`#conn.live`)))
	f.mu.Lock()
	cursors := append([]string(nil), f.cursors...)
	f.mu.Unlock()
	want := "query " + run + "/2"
	if len(cursors) < 3 || cursors[0] != "none" || cursors[len(cursors)-1] != want {
		t.Errorf("the stream was asked for %q, want first no cursor, last %q", cursors, want)
	}
	t.Logf("the stream was asked for %q", cursors)
	st := readStats(t, ctx)
	if st.Applied != 3 || st.Duplicates != 0 || st.Gaps != 0 || st.Reconnects == 0 {
		t.Errorf("stats %+v", st)
	}
}
