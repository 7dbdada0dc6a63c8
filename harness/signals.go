package harness

import (
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// SignalError is the stop cause of a run that a signal ended.
type SignalError struct {
	Signal os.Signal
	Detail string // why it counts, when the signal alone does not say
}

func (e *SignalError) Error() string {
	s := fmt.Sprintf("harness: %v received", e.Signal)
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	return s
}

// ExitCode is the exit status a shell gives a program killed by the
// signal: 128 plus its number (130 for SIGINT, 143 for SIGTERM).
func (e *SignalError) ExitCode() int {
	if s, ok := e.Signal.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 1
}

// stopSignals end a program run from a terminal, a session or a pipeline.
// SIGPIPE is watched only so that a closed stdout or stderr is not fatal:
// it stops the run when one of them has lost its reader, and is otherwise
// a socket's (a link's write fails with EPIPE, as it does anyway).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT}

// watchSignals turns the stop signals into an immediate stop, and keeps
// catching them (logged, ignored) until the safe state is done. SIGQUIT's
// goroutine dump is taken when it comes and written after the safe state.
func (t *Test) watchSignals() (stop func()) {
	var watched []os.Signal
	for _, sig := range stopSignals {
		// nohup and background jobs start a program with SIGHUP or SIGINT
		// ignored: so do we. (The runtime reports only those two as
		// ignored at start.)
		if !signal.Ignored(sig) {
			watched = append(watched, sig)
		}
	}
	// Watching SIGPIPE turns a write to a closed stdout from death into
	// EPIPE; a program that ignored it gets that state back.
	pipeIgnored := signal.Ignored(syscall.SIGPIPE)
	watched = append(watched, syscall.SIGPIPE)
	ch := make(chan os.Signal, 8)
	signal.Notify(ch, watched...)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			var sig os.Signal
			select {
			case sig = <-ch:
			case <-done:
				return
			}
			detail := ""
			if sig == syscall.SIGPIPE {
				broken := brokenStdio()
				if broken == "" {
					continue // a socket's: its write fails with EPIPE
				}
				detail = broken + " closed"
			}
			if sig == syscall.SIGQUIT {
				t.quitMu.Lock()
				if t.quitDump == "" {
					t.quitDump = allStacks()
				}
				t.quitMu.Unlock()
			}
			// The stop buttons of the page take the same path.
			t.requestStop(&SignalError{Signal: sig, Detail: detail}, true)
		}
	}()
	return func() {
		if pipeIgnored {
			signal.Ignore(syscall.SIGPIPE) // first: between Stop and Ignore a write to a closed stdout would kill
		}
		signal.Stop(ch)
		close(done)
		wg.Wait()
	}
}

// writeQuitDump writes the goroutine dump SIGQUIT asked for, now that the
// outputs are off, as the Go runtime would have on its own.
func (t *Test) writeQuitDump() {
	t.quitMu.Lock()
	dump := t.quitDump
	t.quitMu.Unlock()
	if dump != "" {
		fmt.Fprintf(os.Stderr, "SIGQUIT: the goroutines when it came (written after the safe state):\n\n%s\n", dump)
	}
}
