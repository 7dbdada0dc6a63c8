package harness

import (
	"fmt"
	"sync"
	"time"
)

// plainProgressEvery is how many progress intervals apart the summary
// lines are in a file or pipe: a CI log gets a line every 10 s, not 10
// lines a second of redraws.
const plainProgressEvery = 10

// startProgress shows a one-line summary on Options.Progress until the
// returned function is called: redrawn every ProgressInterval on a
// terminal, every tenth interval as a plain line elsewhere, and once more
// at the end.
func (t *Test) startProgress() (stop func()) {
	if t.opts.Progress == nil {
		return func() {}
	}
	c := NewConsole(t.opts.Progress)
	t.console = c // before the body starts: prompts read it without a lock
	every := t.opts.ProgressInterval
	if !c.Terminal() {
		every *= plainProgressEvery
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				c.drawProgress(t.progressLine(), true)
				return
			case <-tick.C:
				if !c.drawProgress(t.progressLine(), false) {
					return // a closed pipe or terminal: the run goes on without its progress line
				}
			}
		}
	}()
	return func() {
		close(done)
		wg.Wait()
	}
}

func (t *Test) progressLine() string {
	t.recMu.Lock()
	defer t.recMu.Unlock()
	r := t.rec
	// Counted as they came: a scan of every measurement, under the lock
	// every measurement takes, grew with the run.
	measurements, failed, errored := t.fold.measurements, t.fold.failed, 0
	for _, d := range r.DUTs {
		if d.Outcome == OutcomeError {
			errored++
		}
	}
	state := "running"
	if t.Stopped() {
		state = "stopping"
	}
	return fmt.Sprintf("[%s %s %s] %s (%d ended by faults) | %s, %d out of limits | %s",
		r.Name, state, time.Since(r.Started).Round(time.Second), plural(len(r.DUTs), "DUT"), errored,
		plural(measurements, "measurement"), failed, plural(len(r.Faults), "fault"))
}
