package harness

import "sync"

// scope counts the goroutines that live inside something that ends (a
// DUT, the run's watchers) so its end can wait for them. Once it is
// closed nothing enters it again: a monitor registered for a DUT that has
// already ended has nothing left to watch.
type scope struct {
	mu     sync.Mutex
	wg     sync.WaitGroup
	closed bool
}

// enter reports whether a goroutine may start in the scope; each true
// must be matched by one leave.
func (s *scope) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *scope) leave() { s.wg.Done() }

// close shuts the scope and waits for the goroutines inside it. The
// closed flag is set before the wait, so no Add can race the Wait.
func (s *scope) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.wg.Wait()
}
