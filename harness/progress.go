package harness

import (
	"fmt"
	"sync"
	"time"
)

// startProgress redraws a one-line summary on Options.Progress until the
// returned function is called.
func (t *Test) startProgress() (stop func()) {
	if t.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(t.opts.ProgressInterval)
		defer tick.Stop()
		for {
			select {
			case <-done:
				fmt.Fprintf(t.opts.Progress, "\r%s\n", t.progressLine())
				return
			case <-tick.C:
				if _, err := fmt.Fprintf(t.opts.Progress, "\r%s\x1b[K", t.progressLine()); err != nil {
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
	var measurements, failed, errored int
	for _, d := range r.DUTs {
		if d.Outcome == OutcomeError {
			errored++
		}
		for _, p := range d.Phases {
			for _, m := range p.Measurements {
				measurements++
				if m.Outcome == OutcomeFail {
					failed++
				}
			}
		}
	}
	state := "running"
	if t.Stopped() {
		state = "stopping"
	}
	return fmt.Sprintf("[%s %s %s] %d DUTs (%d ended by faults) | %d measurements, %d out of limits | %d faults",
		r.Name, state, time.Since(r.Started).Round(time.Second), len(r.DUTs), errored, measurements, failed, len(r.Faults))
}
