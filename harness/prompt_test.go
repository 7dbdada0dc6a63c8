package harness_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

// fakeControl is a scripted station: every prompt the harness asks is
// handed to the test on asked, with a channel to answer it on; stop
// requests go to the run through stops.
type fakeControl struct {
	asked chan askedPrompt
	stops chan harness.StopRequest
	runs  chan string // the run whose stop requests are watched
	ended chan string // the run whose watch has ended
}

type askedPrompt struct {
	req   harness.PromptRequest
	reply chan<- reply
}

type reply struct {
	answer, by string
	err        error
}

func newFakeControl() *fakeControl {
	return &fakeControl{asked: make(chan askedPrompt, 16), stops: make(chan harness.StopRequest, 4),
		runs: make(chan string, 4), ended: make(chan string, 4)}
}

func (f *fakeControl) Answer(ctx context.Context, r harness.PromptRequest) (string, string, error) {
	ch := make(chan reply, 1)
	f.asked <- askedPrompt{r, ch}
	select {
	case rp := <-ch:
		return rp.answer, rp.by, rp.err
	case <-ctx.Done():
		return "", "", context.Cause(ctx)
	}
}

func (f *fakeControl) StopRequests(ctx context.Context, run string) <-chan harness.StopRequest {
	f.runs <- run
	out := make(chan harness.StopRequest)
	go func() {
		defer func() { f.ended <- run }()
		for {
			select {
			case r := <-f.stops:
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// answer answers the next prompt with a, by "page", and returns it.
func (f *fakeControl) answer(t *testing.T, a string) harness.PromptRequest {
	t.Helper()
	p := <-f.asked
	p.reply <- reply{answer: a, by: "page"}
	return p.req
}

func kinds(events []harness.Event, match func(harness.EventKind) bool) []harness.EventKind {
	var out []harness.EventKind
	for _, e := range events {
		if match(e.Kind) {
			out = append(out, e.Kind)
		}
	}
	return out
}

func promptish(k harness.EventKind) bool {
	return strings.HasPrefix(string(k), "prompt") || k == harness.EventUnit
}

// A serial prompt blocks the phase until the page answers; the answer
// identifies the unit, and the prompt, its answer and the identity are
// events whose replay is the live record.
func TestPromptSerialIdentifiesUnit(t *testing.T) {
	fc := newFakeControl()
	sink := &captureSink{}
	got := make(chan string, 1)
	go func() { // the operator at the page
		r := fc.answer(t, "  SN-0042 ")
		if r.DUT != "dut-1" || r.ID != "p1" || r.Prompt.Input != harness.InputSerial || r.Run == "" {
			t.Errorf("request %+v", r)
		}
	}()
	rec, err := harness.Run(bg, "prompt", func(tt *harness.Test) error {
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			return d.Phase("scan", func(ctx context.Context) error {
				s, err := d.Prompt(ctx, harness.Prompt{Text: "Scan the unit", Input: harness.InputSerial})
				got <- s
				if err != nil {
					return err
				}
				return d.Measure("vout", 5*units.Volt, harness.Between(4.9, 5.1))
			})
		})
		return nil
	}, harness.WithoutSignals(), harness.WithControl(fc), harness.WithSink(sink))
	if err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "SN-0042" {
		t.Fatalf("answer %q", s)
	}
	if rec.DUTs[0].Unit.Serial != "SN-0042" || rec.Outcome != harness.OutcomePass {
		t.Fatalf("unit %+v outcome %v", rec.DUTs[0].Unit, rec.Outcome)
	}
	want := []harness.EventKind{harness.EventPrompt, harness.EventPromptAnswered, harness.EventUnit}
	if diff := cmp.Diff(want, kinds(sink.all(), promptish)); diff != "" {
		t.Fatalf("events (-want +got):\n%s", diff)
	}
	if len(rec.Prompts) != 1 {
		t.Fatalf("prompts %+v", rec.Prompts)
	}
	p := rec.Prompts[0]
	if p.ID != "p1" || p.DUT != "dut-1" || p.State != harness.PromptAnswered || p.Answer != "SN-0042" || p.By != "page" ||
		p.Ended.Before(p.Asked) {
		t.Fatalf("prompt %+v", p)
	}
	if diff := cmp.Diff(rec, harness.Replay(sink.all()), recordCmp...); diff != "" {
		t.Fatalf("replay differs (-live +replayed):\n%s", diff)
	}
}

// A choice not offered is refused: the prompt is cancelled as refused
// and asked again under a new ID; a choice matches regardless of case
// and is recorded as the prompt spells it. A confirm's "n" is the answer
// "no", not an error.
func TestPromptRefusesAnswerNotOffered(t *testing.T) {
	fc := newFakeControl()
	sink := &captureSink{}
	go func() {
		fc.answer(t, "purple")
		if r := fc.answer(t, "GREEN"); r.ID != "p2" {
			t.Errorf("asked again as %s, want p2", r.ID)
		}
		fc.answer(t, "n")
	}()
	var color, ok string
	rec, err := harness.Run(bg, "choice", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error {
			var err error
			color, err = d.Prompt(d.Context(), harness.Prompt{Text: "LED colour?", Input: harness.InputChoice, Choices: []string{"red", "Green"}})
			if err != nil {
				return err
			}
			ok, err = d.Prompt(d.Context(), harness.Prompt{Text: "Is the fan turning?"})
			return err
		})
		return nil
	}, harness.WithoutSignals(), harness.WithControl(fc), harness.WithSink(sink))
	if err != nil {
		t.Fatal(err)
	}
	if color != "Green" || ok != "no" {
		t.Fatalf("answers %q, %q", color, ok)
	}
	var states []string
	for _, p := range rec.Prompts {
		states = append(states, p.ID+" "+p.State+" "+p.Reason+" "+p.Answer)
	}
	want := []string{"p1 cancelled refused ", "p2 answered  Green", "p3 answered  no"}
	if diff := cmp.Diff(want, states); diff != "" {
		t.Fatalf("prompts (-want +got):\n%s", diff)
	}
	if !strings.Contains(rec.Prompts[0].Cause, `"purple" is not one of "red", "Green"`) {
		t.Fatalf("cause %q", rec.Prompts[0].Cause)
	}
}

// A Prompter that keeps answering nonsense is refused a bounded number of
// times; the error says so and is typed.
func TestPromptGivesUpOnRefusedAnswers(t *testing.T) {
	fc := newFakeControl()
	go func() {
		for range 3 {
			fc.answer(t, "maybe")
		}
	}()
	var perr error
	rec, _ := harness.Run(bg, "refused", func(tt *harness.Test) error {
		_, perr = tt.Prompt(tt.Context(), harness.Prompt{Text: "Lid closed?"})
		return nil
	}, harness.WithoutSignals(), harness.WithControl(fc))
	if !errors.Is(perr, harness.ErrInvalidAnswer) || !strings.Contains(perr.Error(), "3 answers refused") {
		t.Fatalf("err = %v", perr)
	}
	if len(rec.Prompts) != 3 || rec.Prompts[2].Reason != harness.PromptRefused {
		t.Fatalf("prompts %+v", rec.Prompts)
	}
}

// A prompt not answered within its Timeout ends with ErrPromptTimeout,
// and the record says it timed out.
func TestPromptTimeout(t *testing.T) {
	fc := newFakeControl()
	var perr error
	rec, _ := harness.Run(bg, "timeout", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error {
			_, perr = d.Prompt(d.Context(), harness.Prompt{Text: "Insert the unit", Timeout: 20 * time.Millisecond})
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithControl(fc))
	<-fc.asked // it was asked
	if !errors.Is(perr, harness.ErrPromptTimeout) || !strings.Contains(perr.Error(), "no answer within 20ms") {
		t.Fatalf("err = %v", perr)
	}
	if p := rec.Prompts[0]; p.State != harness.PromptCancelled || p.Reason != harness.PromptTimeout {
		t.Fatalf("prompt %+v", p)
	}
}

// Prompts that cannot be asked, or that nobody can answer, fail with
// typed errors and record nothing.
func TestPromptErrors(t *testing.T) {
	cases := []struct {
		p    harness.Prompt
		opts []harness.Option
		want error
	}{
		{harness.Prompt{Text: "x"}, []harness.Option{harness.WithPrompter(nil)}, harness.ErrNoPrompter},
		{harness.Prompt{Text: "x", Input: "colour"}, nil, harness.ErrInvalidPrompt},
		{harness.Prompt{Text: "x", Input: harness.InputChoice}, nil, harness.ErrInvalidPrompt},
		{harness.Prompt{Text: "x", Input: harness.InputChoice, Choices: []string{"a", "A"}}, nil, harness.ErrInvalidPrompt},
		{harness.Prompt{Text: "x", Choices: []string{"a"}}, nil, harness.ErrInvalidPrompt},
		{harness.Prompt{Text: "x", Image: []byte{1}}, nil, harness.ErrInvalidPrompt},
		{harness.Prompt{Text: "x", Image: make([]byte, harness.MaxPromptImage+1), ImageType: "image/png"}, nil, harness.ErrInvalidPrompt},
	}
	for _, c := range cases {
		var perr error
		rec, _ := harness.Run(bg, "bad", func(tt *harness.Test) error {
			_, perr = tt.Prompt(tt.Context(), c.p)
			return nil
		}, append([]harness.Option{harness.WithoutSignals(), harness.WithControl(newFakeControl())}, c.opts...)...)
		if !errors.Is(perr, c.want) || len(rec.Prompts) != 0 {
			t.Errorf("%+v: err = %v, prompts %d", c.p.Input, perr, len(rec.Prompts))
		}
	}
}

// A stop from the page while a DUT waits for the operator cancels the
// prompt with the stop as its cause, and the safe state runs and is
// verified, exactly as for a signal; the run is aborted, not failed.
func TestStopDuringPromptRunsSafeState(t *testing.T) {
	for _, immediate := range []bool{false, true} {
		t.Run(map[bool]string{false: "graceful", true: "immediate"}[immediate], func(t *testing.T) {
			st := newStation(t, 2)
			fc := newFakeControl()
			sink := &captureSink{}
			perrs := make(chan error, 2)
			go func() {
				<-fc.asked
				<-fc.asked // both DUTs wait for the operator, powered
				fc.stops <- harness.StopRequest{Immediate: immediate, By: "page"}
			}()
			rec, err := harness.Run(bg, "stop", func(tt *harness.Test) error {
				for i := range 2 {
					s := st.slots[i]
					tt.DUT(s.console, func(d *harness.DUTRun) error {
						if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, units.Amp); err != nil {
							return err
						}
						return d.Phase("check", func(ctx context.Context) error {
							_, err := d.Prompt(ctx, harness.Prompt{Text: "Is the LED green?"})
							perrs <- err
							return err
						})
					})
				}
				return nil
			}, harness.WithoutSignals(), harness.WithControl(fc), harness.WithSink(sink))
			var req *harness.StopRequestError
			if !errors.As(err, &req) || req.By != "page" || req.Immediate != immediate {
				t.Fatalf("err = %v, want the page's stop request", err)
			}
			for range 2 {
				perr := <-perrs
				if !errors.As(perr, &req) || !strings.Contains(perr.Error(), "cancelled") {
					t.Fatalf("prompt err = %v", perr)
				}
			}
			if on := st.outputsOn(); len(on) > 0 {
				t.Fatalf("outputs on after the page's stop: %v", on)
			}
			if len(rec.SafeState) == 0 {
				t.Fatal("no safe state ran")
			}
			for _, a := range rec.SafeState {
				if !a.Verified {
					t.Errorf("safe state %s not verified: %s", a.Name, a.Error)
				}
			}
			if rec.Outcome != harness.OutcomeAborted || harness.ExitCode(rec, err) != 1 {
				t.Fatalf("outcome %v exit %d", rec.Outcome, harness.ExitCode(rec, err))
			}
			for _, p := range rec.Prompts {
				if p.State != harness.PromptCancelled || p.Reason != harness.PromptStopped || !strings.Contains(p.Cause, "stop requested on the page") {
					t.Errorf("prompt %+v", p)
				}
			}
			want := []harness.EventKind{harness.EventPrompt, harness.EventPrompt, harness.EventPromptCancelled, harness.EventPromptCancelled}
			if diff := cmp.Diff(want, kinds(sink.all(), promptish)); diff != "" {
				t.Fatalf("events (-want +got):\n%s", diff)
			}
			// The station's watch of the run ends with it.
			if run, ended := <-fc.runs, <-fc.ended; run != rec.ID || ended != rec.ID {
				t.Fatalf("watched %s, ended %s, run %s", run, ended, rec.ID)
			}
		})
	}
}

// An immediate request cuts a graceful stop short, as a signal does; a
// request after that is ignored. The first request stays the run's cause.
func TestImmediateStopRequestCutsGracefulStopShort(t *testing.T) {
	fc := newFakeControl()
	waiting := make(chan struct{})
	var cause error
	rec, err := harness.Run(bg, "escalate", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error {
			close(waiting)
			<-d.Context().Done() // a step that ends only when cancelled
			cause = context.Cause(d.Context())
			return nil
		})
		<-waiting
		fc.stops <- harness.StopRequest{By: "page"}
		<-tt.Stopping()
		fc.stops <- harness.StopRequest{Immediate: true, By: "page"}
		fc.stops <- harness.StopRequest{Immediate: true, By: "page"} // ignored
		return nil
	}, harness.WithoutSignals(), harness.WithControl(fc), harness.WithGracePeriod(time.Hour))
	var first, now *harness.StopRequestError
	if !errors.As(err, &first) || first.Immediate {
		t.Fatalf("err = %v, want the graceful request", err)
	}
	if !errors.As(cause, &now) || !now.Immediate {
		t.Fatalf("DUT context cause %v, want the immediate request", cause)
	}
	if rec.StopCause != "harness: stop requested on the page" {
		t.Fatalf("stop cause %q", rec.StopCause)
	}
}

// The terminal asks one prompt at a time, in the order they came, says
// which DUT asks and what it expects, and asks again when the answer does
// not fit.
func TestTerminalPrompter(t *testing.T) {
	inR, inW := newPipe()
	outR, outW := newPipe()
	tp := harness.TerminalPrompter(inR, outW)
	screen := newScreen(outR)
	defer func() {
		inW.Close()
		outW.Close()
		<-screen.done
	}()
	type res struct {
		dut, answer string
		err         error
	}
	results := make(chan res, 3)
	ask := func(dut string, p harness.Prompt) {
		a, by, err := tp.Answer(bg, harness.PromptRequest{Run: "R", DUT: dut, ID: "p-" + dut, Prompt: p})
		if err == nil && by != "terminal" {
			t.Errorf("by %q", by)
		}
		results <- res{dut, a, err}
	}
	go ask("dut-1", harness.Prompt{Text: "Scan the unit", Input: harness.InputSerial})
	screen.waitFor(t, "dut-1 asks (prompt p-dut-1): Scan the unit\n  scan or type the unit's serial number, then Enter\n> ")
	go ask("dut-2", harness.Prompt{Text: "LED colour?", Input: harness.InputChoice, Choices: []string{"red", "green"}, Timeout: 30 * time.Second})
	go ask("dut-3", harness.Prompt{Text: "Fan on?"})
	inW.Write([]byte("SN1\r\n"))
	if r := <-results; r.dut != "dut-1" || r.answer != "SN1" || r.err != nil {
		t.Fatalf("%+v", r)
	}
	// dut-2 or dut-3 is next, whichever queued first; answer each as asked.
	for range 2 {
		q := screen.waitFor(t, "> ")
		switch {
		case strings.Contains(q, "dut-2 asks"):
			if !strings.Contains(q, "type one of  1) red  2) green, then Enter (within 30s)") {
				t.Fatalf("question %q", q)
			}
			inW.Write([]byte("blue\n"))
			screen.waitFor(t, `dut-2: answer refused: "blue" is not one of "red", "green"; try again`)
			screen.waitFor(t, "> ")
			inW.Write([]byte("2\n"))
			if r := <-results; r.dut != "dut-2" || r.answer != "green" {
				t.Fatalf("%+v", r)
			}
		case strings.Contains(q, "dut-3 asks"):
			if !strings.Contains(q, "type y or n, then Enter") {
				t.Fatalf("question %q", q)
			}
			inW.Write([]byte("y\n"))
			if r := <-results; r.dut != "dut-3" || r.answer != "yes" {
				t.Fatalf("%+v", r)
			}
		default:
			t.Fatalf("question %q", q)
		}
	}
	// From a pipe, a line written before the prompt is its answer.
	inW.Write([]byte("ahead\n"))
	go ask("dut-4", harness.Prompt{Text: "Note", Input: harness.InputText})
	if r := <-results; r.dut != "dut-4" || r.answer != "ahead" {
		t.Fatalf("%+v", r)
	}
	screen.waitFor(t, "dut-4 asks (prompt p-dut-4): Note\n  type the answer, then Enter\n> ahead\n")
	// A cancelled prompt says so and returns the cause.
	cctx, ccancel := context.WithCancelCause(bg)
	go func() {
		_, _, err := tp.Answer(cctx, harness.PromptRequest{DUT: "dut-5", ID: "p9", Prompt: harness.Prompt{Text: "Wait"}})
		results <- res{"dut-5", "", err}
	}()
	screen.waitFor(t, "dut-5 asks (prompt p9): Wait")
	ccancel(&harness.StopRequestError{By: "page"})
	r := <-results
	var sr *harness.StopRequestError
	if !errors.As(r.err, &sr) {
		t.Fatalf("err %v", r.err)
	}
	screen.waitFor(t, "dut-5: prompt p9 cancelled: stop requested on the page\n")
	// The input ending fails the prompts that follow.
	inW.Close()
	_, _, err := tp.Answer(bg, harness.PromptRequest{DUT: "dut-6", ID: "p10", Prompt: harness.Prompt{Text: "Anyone?"}})
	if !errors.Is(err, harness.ErrNoPrompter) {
		t.Fatalf("err %v", err)
	}
}

func newPipe() (*io.PipeReader, *io.PipeWriter) { return io.Pipe() }

// screen collects what a prompter writes, for a test to wait on.
type screen struct {
	mu   sync.Mutex
	buf  strings.Builder
	read int // what waitFor has consumed
	wake chan struct{}
	done chan struct{}
}

func newScreen(r io.Reader) *screen {
	s := &screen{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		b := make([]byte, 512)
		for {
			n, err := r.Read(b)
			s.mu.Lock()
			s.buf.Write(b[:n])
			s.mu.Unlock()
			select {
			case s.wake <- struct{}{}:
			default:
			}
			if err != nil {
				return
			}
		}
	}()
	return s
}

// waitFor waits until want shows after what was consumed, and consumes
// up to its end, returning that.
func (s *screen) waitFor(t *testing.T, want string) string {
	t.Helper()
	limit := time.NewTimer(10 * time.Second) // a bound on a broken test, not a timing assertion
	defer limit.Stop()
	for {
		s.mu.Lock()
		all := s.buf.String()
		if i := strings.Index(all[s.read:], want); i >= 0 {
			got := all[s.read : s.read+i+len(want)]
			s.read += i + len(want)
			s.mu.Unlock()
			return got
		}
		s.mu.Unlock()
		select {
		case <-s.wake:
		case <-s.done:
			s.mu.Lock()
			all := s.buf.String()
			s.mu.Unlock()
			if !strings.Contains(all[s.read:], want) {
				t.Fatalf("output ended without %q; after %q", want, all[s.read:])
			}
		case <-limit.C:
			t.Fatalf("no %q on the screen; it shows %q", want, all[s.read:])
		}
	}
}

// scripted is a Prompter that answers with the answers given, in turn, by
// "test"; past the last it waits for its context.
func scripted(answers ...string) harness.Prompter {
	ch := make(chan string, len(answers))
	for _, a := range answers {
		ch <- a
	}
	return scriptedPrompter(ch)
}

type scriptedPrompter chan string

func (s scriptedPrompter) Answer(ctx context.Context, r harness.PromptRequest) (string, string, error) {
	select {
	case a := <-s:
		return a, "test", nil
	default:
	}
	<-ctx.Done()
	return "", "", context.Cause(ctx)
}

// The station store keeps prompt events as it keeps any other: the record
// it rebuilds has the prompts, answers and cancellations of the live one.
func TestPromptEventsInStationStore(t *testing.T) {
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec, _ := harness.Run(bg, "stored", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error {
			d.Prompt(d.Context(), harness.Prompt{Text: "Scan", Input: harness.InputSerial, Image: []byte{0x89, 'P', 'N', 'G'}, ImageType: "image/png"})
			d.Prompt(d.Context(), harness.Prompt{Text: "Pick", Input: harness.InputChoice, Choices: []string{"a", "b"}})
			d.Prompt(d.Context(), harness.Prompt{Text: "Anyone?", Timeout: time.Millisecond})
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store), harness.WithPrompter(scripted("SN-7", "c", "A")))
	got, err := store.Record(bg, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, got, recordCmp...); diff != "" {
		t.Fatalf("stored record differs (-live +stored):\n%s", diff)
	}
	var states []string
	for _, p := range got.Prompts {
		states = append(states, p.State+" "+p.Reason+" "+p.Answer)
	}
	want := []string{"answered  SN-7", "cancelled refused ", "answered  a", "cancelled timeout "}
	if diff := cmp.Diff(want, states); diff != "" || got.DUTs[0].Unit.Serial != "SN-7" {
		t.Fatalf("prompts %+v", got.Prompts)
	}
	events, err := store.Events(bg, rec.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		if e.Kind == harness.EventPrompt && e.Prompt.ID == "p1" && string(e.Prompt.Image) != "\x89PNG" {
			t.Fatalf("image %q", e.Prompt.Image)
		}
	}
}
