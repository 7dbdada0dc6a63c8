package results

import (
	"context"
	"sync"
	"time"
)

// pollInterval is how often a store that has someone waiting (a tail, a
// prompt's answer, a run's stop requests) looks for what other processes
// committed. Commits of its own process wake the waiters at once.
const pollInterval = 50 * time.Millisecond

// watcher wakes the goroutines of this process that wait for the store
// to change. A change in this process (a commit of the writer, a
// control row) closes the current channel at once; another process's
// commit is seen by a poller of PRAGMA data_version, which runs only
// while someone waits.
type watcher struct {
	mu    sync.Mutex
	ch    chan struct{} // closed at the next change
	users int
	stop  chan struct{} // closed to end the poller
	polls sync.WaitGroup
	quit  chan struct{} // closed when the store closes
}

func newWatcher() *watcher {
	return &watcher{ch: make(chan struct{}), quit: make(chan struct{})}
}

// changed is closed at the next change. Take it before looking, then
// wait on it: a change in between is not missed.
func (w *watcher) changed() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ch
}

// notify wakes every waiter.
func (w *watcher) notify() {
	w.mu.Lock()
	close(w.ch)
	w.ch = make(chan struct{})
	w.mu.Unlock()
}

// watch registers a waiter, starting the poller for the first; release
// ends the registration (the poller stops with the last).
func (s *Store) watch() (release func()) {
	w := s.watcher
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.quit:
		return func() {}
	default:
	}
	w.users++
	if w.users == 1 {
		// The last poller, told to stop, may still be ending: a new one
		// takes over.
		w.stop = make(chan struct{})
		w.polls.Add(1)
		go s.poll(w.stop)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.users--
			if w.users == 0 {
				close(w.stop)
			}
		})
	}
}

// poll notifies the waiters when another connection (another process,
// another store on the file) has committed, until stop is closed.
func (s *Store) poll(stop chan struct{}) {
	defer s.watcher.polls.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
		case <-s.watcher.quit:
		case <-ctx.Done():
		}
		cancel()
	}()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return // closed: the waiters see quit
	}
	defer conn.Close()
	var last int64 = -1
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		var v int64
		if err := conn.QueryRowContext(ctx, `PRAGMA data_version`).Scan(&v); err == nil {
			// The first reading has nothing to compare with, and a commit
			// may have come between a waiter's look and this poller's
			// start: wake the waiters to look again, or that commit is
			// seen only at the next one.
			if last < 0 || v != last {
				s.watcher.notify()
			}
			last = v
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// stopWatching ends the poller for good (the store is closing) and
// waits for it, so that it no longer uses the database.
func (s *Store) stopWatching() {
	w := s.watcher
	w.mu.Lock()
	close(w.quit)
	w.mu.Unlock()
	w.polls.Wait()
	w.notify()
}
