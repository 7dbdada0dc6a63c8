package harness

import (
	"context"
	"os"
	"sync"

	"golang.org/x/term"
)

// StopRequest asks a run to stop from outside its code: a stop button on
// the station page. Immediate asks what a signal does (I/O cancelled at
// once, then the safe state); otherwise the run stops gracefully (each
// loop finishes its step, Options.GracePeriod at most), and a later
// immediate request cuts that short.
type StopRequest struct {
	Immediate bool
	By        string // who asked: "page", an operator's name
}

// StopRequestError is the stop cause of a run a StopRequest stopped.
type StopRequestError struct {
	By        string
	Immediate bool
}

func (e *StopRequestError) Error() string {
	s := "harness: stop requested"
	if e.Immediate {
		s = "harness: immediate stop requested"
	}
	switch e.By {
	case "":
		return s
	case "page":
		return s + " on the page"
	}
	return s + " by " + e.By
}

// Control is the station's hold on a run: it answers the run's prompts
// and delivers the stop buttons' requests. The station store
// (results.Store) is one, so that the page works the same from its own
// process.
type Control interface {
	Prompter
	// StopRequests delivers the requests to stop run `run` until ctx
	// ends; the harness cancels ctx when the run has ended. A closed (or
	// nil) channel means no more requests will come.
	StopRequests(ctx context.Context, run string) <-chan StopRequest
}

// WithPrompter has p answer the run's prompts; WithPrompter(nil) has
// nobody answer them (they fail with ErrNoPrompter), even on a terminal.
func WithPrompter(p Prompter) Option {
	return func(o *Options) { o.Prompter, o.prompterSet = p, true }
}

// WithControl has c answer the run's prompts and stop the run when asked,
// exactly as a signal would: the safe state runs and is verified.
func WithControl(c Control) Option {
	return func(o *Options) { o.Control, o.Prompter, o.prompterSet = c, c, true }
}

// stdinPrompter is the prompter of a run given none, when standard input
// is a terminal: one for the process, since two readers of one terminal
// would each get half of what is typed.
var stdinPrompter = sync.OnceValue(func() Prompter { return TerminalPrompter(os.Stdin, os.Stdout) })

// defaultPrompter is the terminal when standard input is one, else nil
// (prompts then fail with ErrNoPrompter).
func defaultPrompter() Prompter {
	if term.IsTerminal(int(os.Stdin.Fd())) {
		return stdinPrompter()
	}
	return nil
}

// requestStop is the one way a stop from outside the run's code arrives:
// a signal, or a StopRequest from the Control (the page's buttons). The
// first request stops the run, immediately or gracefully; an immediate
// one cuts a graceful stop in progress short; any other is logged and
// ignored, so a second Ctrl-C or click cannot skip the safe state.
func (t *Test) requestStop(cause error, immediate bool) {
	graceful := t.Stopped() && t.ctx.Err() == nil // a graceful stop is under way
	switch first := t.stop(cause, !immediate); {
	case first:
		t.log.Warn().Err(cause).Bool("immediate", immediate).Msg("harness: stop requested: stopping; the safe state runs")
	case immediate && graceful:
		t.log.Warn().Err(cause).Msg("harness: immediate stop requested: the graceful stop is cut short; the safe state runs")
	default:
		t.log.Warn().Err(cause).Msg("harness: already stopping, the safe state runs; request ignored")
	}
}

// watchControl turns the Control's stop requests into stops of the run
// until the returned function is called.
func (t *Test) watchControl() (stop func()) {
	c := t.opts.Control
	if c == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	ch := c.StopRequests(ctx, t.id)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case req, ok := <-ch:
				if !ok {
					return
				}
				t.requestStop(&StopRequestError{By: req.By, Immediate: req.Immediate}, req.Immediate)
			case <-ctx.Done():
				return
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
	}
}
