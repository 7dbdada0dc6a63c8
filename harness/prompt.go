package harness

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// InputKind is what a prompt asks the operator for.
type InputKind string

// The kinds of input a prompt asks for.
const (
	// InputConfirm asks for a yes or a no ("Is the LED green?"). The
	// answer is "yes" or "no"; a no is an answer, not an error.
	InputConfirm InputKind = "confirm"
	// InputSerial asks for the unit's serial number, typed or scanned: the
	// answer identifies the unit (DUTRun.Identify, an EventUnit).
	InputSerial InputKind = "serial"
	// InputText asks for any line of text.
	InputText InputKind = "text"
	// InputChoice asks for one of Prompt.Choices.
	InputChoice InputKind = "choice"
)

// Prompt is a question for the operator: what to do or check, and the
// input expected back.
type Prompt struct {
	Text      string
	Image     []byte    // optional picture shown with the prompt (at most MaxPromptImage bytes)
	ImageType string    // its media type, e.g. "image/png"; required with Image
	Input     InputKind // InputConfirm when empty
	Choices   []string  // InputChoice's answers
	// Timeout bounds the wait for an answer, counted from when the
	// prompt is recorded (the page can show it), across the asks after a
	// refused answer; the context bounds it in any case. Past it, Prompt
	// returns an error matching ErrPromptTimeout.
	Timeout time.Duration
}

// MaxPromptImage is the largest picture a prompt carries (4 MiB): it is
// stored with the prompt's event and sent to the page.
const MaxPromptImage = 4 << 20

// MaxAnswer is the longest answer a prompt takes (4 KiB): a scanner or a
// person types far less; anything longer is refused.
const MaxAnswer = 4 << 10

// maxAsks is how many answers a prompt refuses before it gives up with
// ErrInvalidAnswer: enough for a slip of the finger, few enough that a
// Prompter which keeps answering nonsense cannot fill the record.
const maxAsks = 3

// PromptEvent is a prompt's part of its events: the question
// (EventPrompt), its answer (EventPromptAnswered) or why it was
// cancelled (EventPromptCancelled). ID ties the three together.
type PromptEvent struct {
	ID        string        `json:"id"`
	Text      string        `json:"text,omitempty"`
	Input     InputKind     `json:"input,omitempty"`
	Choices   []string      `json:"choices,omitempty"`
	Timeout   time.Duration `json:"timeout,omitempty"` // nanoseconds
	ImageType string        `json:"image_type,omitempty"`
	Image     []byte        `json:"image,omitempty"` // base64 in JSON
	Answer    string        `json:"answer,omitempty"`
	By        string        `json:"by,omitempty"` // who answered: "page", "terminal"...
	Cause     string        `json:"cause,omitempty"`
	// Reason is a cancellation's kind, for counting: "stop" (the run
	// stopped or the DUT was isolated), "timeout", "refused" (the answer
	// did not fit; the prompt is asked again) or "error" (the Prompter
	// failed).
	Reason string `json:"reason,omitempty"`
}

// The reasons a prompt is cancelled (PromptEvent.Reason).
const (
	PromptStopped = "stop"
	PromptTimeout = "timeout"
	PromptRefused = "refused"
	PromptFailed  = "error"
)

// PromptRequest is a prompt as a Prompter gets it: which run and DUT ask
// (DUT is empty for the run's own prompts) and the prompt's ID, unique
// within the run ("p1", "p2"...).
type PromptRequest struct {
	Run, DUT string
	ID       string
	Prompt   Prompt
}

// Prompter is who answers prompts: the station page (through the station
// store), a terminal (TerminalPrompter), a script in a test. Answer
// blocks until the answer comes or ctx ends; by says who answered
// ("page", "terminal"). The harness checks the answer against the prompt
// (an InputChoice answer must be one of the choices) and asks again, with
// a new ID, when it does not fit.
type Prompter interface {
	Answer(ctx context.Context, r PromptRequest) (answer, by string, err error)
}

// ErrNoPrompter is the error of a prompt in a run nobody can answer: no
// WithPrompter, no WithControl, and standard input is not a terminal.
var ErrNoPrompter = errors.New("harness: nobody to answer the prompt: give the run WithPrompter or WithControl (the station page), or run it from a terminal")

// ErrPromptTimeout is matched by the error of a prompt not answered
// within its Timeout.
var ErrPromptTimeout = errors.New("harness: prompt not answered in time")

// ErrInvalidAnswer is matched by the error of a prompt whose answers were
// refused maxAsks times (an InputChoice answer not among its choices, an
// empty serial, an answer over MaxAnswer).
var ErrInvalidAnswer = errors.New("harness: answer refused")

// ErrInvalidPrompt is matched by the error of a prompt that cannot be
// asked: an unknown input kind, a choice without choices, an image too
// large or without its media type.
var ErrInvalidPrompt = errors.New("harness: invalid prompt")

// Prompt asks the operator and blocks the phase until the answer comes
// (the answer is returned, already checked: "yes" or "no" for a confirm,
// one of the choices, a trimmed serial or text). The prompt and its
// answer are events of the run. With InputSerial the answer identifies
// the unit in the DUT's slot (its Unit.Serial, an EventUnit).
//
// The wait ends with ctx, with any stop of the run (graceful or not: the
// operator asked to stop, not to be asked), with the DUT's isolation, or
// after p.Timeout; Prompt then returns an error wrapping the stop's cause
// (errors.As finds the *StopRequestError, *SignalError or *Fault) or
// ErrPromptTimeout, and the prompt.cancelled event says why.
func (d *DUTRun) Prompt(ctx context.Context, p Prompt) (string, error) {
	return d.t.prompt(ctx, d, p)
}

// Prompt asks the operator a question of the whole run ("Close the
// fixture lid"): DUTRun.Prompt without a DUT, so an InputSerial answer
// identifies nothing.
func (t *Test) Prompt(ctx context.Context, p Prompt) (string, error) {
	return t.prompt(ctx, nil, p)
}

func (t *Test) prompt(ctx context.Context, d *DUTRun, p Prompt) (string, error) {
	dut, where := "", "the run"
	if d != nil {
		dut, where = d.name, d.name
	}
	if p.Input == "" {
		p.Input = InputConfirm
	}
	if err := p.check(); err != nil {
		return "", fmt.Errorf("harness: prompt %q on %s: %w", p.Text, where, err)
	}
	pr := t.opts.Prompter
	if pr == nil {
		return "", fmt.Errorf("prompt %q on %s: %w", p.Text, where, ErrNoPrompter)
	}
	// Asked after a stop, a prompt is not asked at all.
	if cause := t.promptStop(d); cause != nil {
		return "", fmt.Errorf("harness: prompt %q on %s not asked: the run is stopping: %w", p.Text, where, cause)
	}
	// The answer is awaited on a context that any stop ends: the run's
	// context is cancelled only by an immediate stop, and a graceful one
	// or the DUT's isolation must end the wait too.
	wait, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	unwatch := t.cancelOnStop(wait, cancel, d)
	defer unwatch()
	// The timeout counts from when the operator can first see the prompt
	// (its event durable), and across the asks after a refused answer.
	answering := wait
	for ask := 1; ; ask++ {
		id := fmt.Sprintf("p%d", t.promptSeq.Add(1))
		asked := PromptEvent{ID: id, Text: p.Text, Input: p.Input, Choices: slices.Clone(p.Choices), Timeout: p.Timeout,
			ImageType: p.ImageType, Image: slices.Clone(p.Image)}
		ack := t.emit(Event{Kind: EventPrompt, DUT: dut, Prompt: &asked})
		if err := t.await(wait, ack, "prompt", id); err != nil {
			t.cancelPrompt(dut, id, reasonOf(wait), err)
			return "", err
		}
		if p.Timeout > 0 && answering == wait {
			var cancelT context.CancelFunc
			answering, cancelT = context.WithTimeoutCause(wait, p.Timeout,
				fmt.Errorf("%w: no answer within %s", ErrPromptTimeout, FormatDuration(p.Timeout)))
			defer cancelT()
		}
		t.log.Info().Func(dutField(dut)).Str("prompt", id).Str("input", string(p.Input)).Str("text", p.Text).
			Msg("harness: prompt: waiting for the operator")
		answer, by, err := t.ask(answering, pr, PromptRequest{Run: t.id, DUT: dut, ID: id, Prompt: p})
		if answering.Err() != nil {
			// Stopped or timed out: whatever the Prompter returned, the
			// prompt is over, and why is the context's cause.
			cause := context.Cause(answering)
			t.cancelPrompt(dut, id, reasonOf(answering), cause)
			return "", fmt.Errorf("harness: prompt %s %q on %s cancelled: %w", id, p.Text, where, cause)
		}
		if err != nil {
			t.cancelPrompt(dut, id, PromptFailed, err)
			return "", fmt.Errorf("harness: prompt %s %q on %s: %w", id, p.Text, where, err)
		}
		norm, err := p.accept(answer)
		if err != nil {
			t.cancelPrompt(dut, id, PromptRefused, err)
			t.log.Warn().Func(dutField(dut)).Str("prompt", id).Str("answer", clip(answer, 80)).Err(err).Msg("harness: prompt: answer refused")
			if ask >= maxAsks {
				return "", fmt.Errorf("harness: prompt %s %q on %s: %d answers refused, the last: %w", id, p.Text, where, ask, err)
			}
			continue
		}
		answered := PromptEvent{ID: id, Answer: norm, By: by}
		ack = t.emit(Event{Kind: EventPromptAnswered, DUT: dut, Prompt: &answered})
		if err := t.await(ctx, ack, "answer to prompt", id); err != nil {
			return norm, err
		}
		t.log.Info().Func(dutField(dut)).Str("prompt", id).Str("answer", clip(norm, 80)).Str("by", by).Msg("harness: prompt answered")
		if p.Input == InputSerial && d != nil {
			if err := d.Identify(Unit{Serial: norm}); err != nil {
				return norm, err
			}
		}
		return norm, nil
	}
}

// ask has pr answer r. A prompter that asks on the terminal gets the
// terminal to itself while it does: the progress line is held off, so
// its redraws do not wipe out the question or the operator's typing.
func (t *Test) ask(ctx context.Context, pr Prompter, r PromptRequest) (string, string, error) {
	if _, onTerminal := pr.(*terminalPrompter); onTerminal && t.console != nil {
		t.console.hold()
		defer t.console.release()
	}
	return pr.Answer(ctx, r)
}

// promptStop is the cause of a stop that has already come for the run or
// the DUT, or nil.
func (t *Test) promptStop(d *DUTRun) error {
	if c := t.Cause(); c != nil {
		return c
	}
	if d != nil {
		select {
		case <-d.isolated:
			return d.Cause()
		default:
		}
	}
	return nil
}

// cancelOnStop cancels ctx with the stop's cause when the run stops
// (gracefully or not) or the DUT is isolated, until the returned function
// is called; that waits for the watching goroutine to end.
func (t *Test) cancelOnStop(ctx context.Context, cancel context.CancelCauseFunc, d *DUTRun) func() {
	var isolated chan struct{}
	if d != nil {
		isolated = d.isolated
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		select {
		case <-t.stopping:
			cancel(&promptStopped{t.Cause()})
		case <-isolated:
			cancel(&promptStopped{d.Cause()})
		case <-ctx.Done():
		case <-done:
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// promptStopped marks a prompt's context cause as a stop's; it unwraps to
// the stop's cause.
type promptStopped struct{ cause error }

func (e *promptStopped) Error() string { return e.cause.Error() }
func (e *promptStopped) Unwrap() error { return e.cause }

// reasonOf classifies why a prompt's wait ended.
func reasonOf(ctx context.Context) string {
	cause := context.Cause(ctx)
	var stopped *promptStopped
	switch {
	case cause == nil:
		return PromptFailed
	case errors.Is(cause, ErrPromptTimeout), errors.Is(cause, context.DeadlineExceeded):
		return PromptTimeout
	case errors.As(cause, &stopped):
		return PromptStopped
	}
	return PromptStopped // the caller's context: the phase's, cancelled by a stop
}

// cancelPrompt records that prompt id ended without an answer. It is not
// awaited: the run's end, which follows in the same order, is.
func (t *Test) cancelPrompt(dut, id, reason string, cause error) {
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	t.emit(Event{Kind: EventPromptCancelled, DUT: dut, Prompt: &PromptEvent{ID: id, Cause: msg, Reason: reason}})
	if reason != PromptRefused {
		t.log.Warn().Func(dutField(dut)).Str("prompt", id).Str("reason", reason).Str("cause", msg).Msg("harness: prompt cancelled")
	}
}

// check says whether the prompt can be asked.
func (p *Prompt) check() error {
	switch p.Input {
	case InputConfirm, InputSerial, InputText:
		if len(p.Choices) > 0 {
			return fmt.Errorf("%w: choices given for a %s input (use InputChoice)", ErrInvalidPrompt, p.Input)
		}
	case InputChoice:
		if len(p.Choices) == 0 {
			return fmt.Errorf("%w: InputChoice without choices", ErrInvalidPrompt)
		}
		seen := map[string]bool{}
		for _, c := range p.Choices {
			k := strings.ToLower(strings.TrimSpace(c))
			if k == "" || seen[k] {
				return fmt.Errorf("%w: choice %q is empty or given twice", ErrInvalidPrompt, c)
			}
			seen[k] = true
		}
	default:
		return fmt.Errorf("%w: unknown input %q (confirm, serial, text or choice)", ErrInvalidPrompt, p.Input)
	}
	if len(p.Image) > MaxPromptImage {
		return fmt.Errorf("%w: image of %d bytes, the limit %d", ErrInvalidPrompt, len(p.Image), MaxPromptImage)
	}
	if len(p.Image) > 0 && p.ImageType == "" {
		return fmt.Errorf("%w: image without its media type (ImageType, e.g. image/png)", ErrInvalidPrompt)
	}
	if p.Timeout < 0 {
		return fmt.Errorf("%w: negative timeout %v", ErrInvalidPrompt, p.Timeout)
	}
	return nil
}

// accept checks an answer against the prompt and returns it as recorded:
// trimmed; "yes" or "no" for a confirm; the choice as the prompt spells
// it for a choice (matched regardless of case: scanners type capitals).
func (p *Prompt) accept(answer string) (string, error) {
	if len(answer) > MaxAnswer {
		return "", fmt.Errorf("%w: %d bytes, the limit %d", ErrInvalidAnswer, len(answer), MaxAnswer)
	}
	if !utf8.ValidString(answer) {
		return "", fmt.Errorf("%w: not UTF-8 text", ErrInvalidAnswer)
	}
	a := strings.TrimSpace(answer)
	if strings.IndexFunc(a, unicode.IsControl) >= 0 {
		return "", fmt.Errorf("%w: %q holds control characters", ErrInvalidAnswer, a)
	}
	switch p.Input {
	case InputConfirm, "":
		switch strings.ToLower(a) {
		case "yes", "y", "ok", "true", "1":
			return "yes", nil
		case "no", "n", "false", "0":
			return "no", nil
		}
		return "", fmt.Errorf("%w: %q is neither yes nor no", ErrInvalidAnswer, a)
	case InputSerial:
		if a == "" {
			return "", fmt.Errorf("%w: an empty serial number", ErrInvalidAnswer)
		}
	case InputChoice:
		for _, c := range p.Choices {
			if strings.EqualFold(strings.TrimSpace(c), a) {
				return c, nil
			}
		}
		return "", fmt.Errorf("%w: %q is not one of %s", ErrInvalidAnswer, a, strings.Join(quoteAll(p.Choices), ", "))
	}
	return a, nil
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}

// clip shortens s for a log line.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
