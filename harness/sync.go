package harness

import (
	"context"
	"slices"
	"sync"
)

// Locks are named mutexes for resources that span instruments (a
// multiplexer and the DMM behind it, two supplies wired in series). Lock
// takes several at once, always in name order, so two goroutines asking
// for the same set in different orders cannot deadlock; waiting honours
// the context.
type Locks struct {
	mu    sync.Mutex
	locks map[string]chan struct{}
}

// NewLocks returns an empty set of named locks.
func NewLocks() *Locks { return &Locks{locks: map[string]chan struct{}{}} }

func (l *Locks) get(name string) chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.locks[name]
	if !ok {
		c = make(chan struct{}, 1)
		l.locks[name] = c
	}
	return c
}

// Lock takes every named lock and returns the function that releases
// them.
func (l *Locks) Lock(ctx context.Context, names ...string) (unlock func(), err error) {
	sorted := slices.Clone(names)
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	var held []chan struct{}
	release := func() {
		for i := len(held) - 1; i >= 0; i-- {
			<-held[i]
		}
	}
	for _, n := range sorted {
		c := l.get(n)
		select {
		case c <- struct{}{}:
			held = append(held, c)
		case <-ctx.Done():
			release()
			return nil, context.Cause(ctx)
		}
	}
	var once sync.Once
	return func() { once.Do(release) }, nil
}

// Semaphore bounds how many goroutines use a resource at once: one DMM
// behind a multiplexer, at most N DUTs in power-up inrush.
type Semaphore struct{ slots chan struct{} }

// NewSemaphore allows n holders at once.
func NewSemaphore(n int) *Semaphore { return &Semaphore{slots: make(chan struct{}, n)} }

// Acquire waits for a slot, honouring ctx.
func (s *Semaphore) Acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Release gives a slot back.
func (s *Semaphore) Release() { <-s.slots }

// Condition lets goroutines wait until a predicate over shared state
// holds (every DUT powered and stable), re-checked at each Broadcast: the
// notes' threading.Condition, with a context.
type Condition struct {
	mu      sync.Mutex
	changed chan struct{}
}

// NewCondition returns a condition.
func NewCondition() *Condition { return &Condition{changed: make(chan struct{})} }

// Broadcast wakes every waiter to re-check its predicate.
func (c *Condition) Broadcast() {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.changed)
	c.changed = make(chan struct{})
}

// Wait returns when pred returns true (checked now and after each
// Broadcast), or the context's cause.
func (c *Condition) Wait(ctx context.Context, pred func() bool) error {
	for {
		c.mu.Lock()
		ch := c.changed
		c.mu.Unlock()
		if pred() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// Gate holds goroutines until it is opened once: an operator's
// go-ahead, a fixture closed.
type Gate struct {
	once sync.Once
	open chan struct{}
}

// NewGate returns a closed gate.
func NewGate() *Gate { return &Gate{open: make(chan struct{})} }

// Open lets every waiter through, now and later.
func (g *Gate) Open() { g.once.Do(func() { close(g.open) }) }

// Wait returns when the gate opens, or the context's cause.
func (g *Gate) Wait(ctx context.Context) error {
	select {
	case <-g.open:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
