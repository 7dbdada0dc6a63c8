package sim

import (
	"errors"
	"io"
	"sync"
)

// waitGroup runs a server's goroutines and remembers its open
// connections, so that Close can end them all and wait.
type waitGroup struct {
	sync.WaitGroup
	mu     sync.Mutex
	conns  map[io.Closer]struct{}
	closed bool
}

// goTrack runs fn in a goroutine Wait waits for.
func (w *waitGroup) goTrack(fn func()) {
	w.Add(1)
	go func() {
		defer w.Done()
		fn()
	}()
}

// track runs fn for connection c in a goroutine, closing c when fn
// returns or closeAll is called, whichever comes first.
func (w *waitGroup) track(c io.Closer, fn func()) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		c.Close()
		return
	}
	if w.conns == nil {
		w.conns = map[io.Closer]struct{}{}
	}
	w.conns[c] = struct{}{}
	w.Add(1)
	w.mu.Unlock()
	go func() {
		defer w.Done()
		defer func() {
			w.mu.Lock()
			delete(w.conns, c)
			w.mu.Unlock()
			c.Close()
		}()
		fn()
	}()
}

// count is the number of open connections.
func (w *waitGroup) count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.conns)
}

// shutdown ends a server, once: it closes done (which its loops watch),
// then its listeners, then every tracked connection and those tracked
// later, and waits for its goroutines. Later calls return nil.
func (w *waitGroup) shutdown(done chan struct{}, listeners ...io.Closer) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	close(done)
	w.mu.Unlock()
	var err error
	for _, l := range listeners {
		err = errors.Join(err, l.Close())
	}
	w.mu.Lock()
	for c := range w.conns {
		c.Close()
	}
	w.mu.Unlock()
	w.Wait()
	return err
}
