package scpi

import "time"

// Call is one finished call of a session, as an Observer sees it.
type Call struct {
	Resource string        // the session's instrument (Open's resource, or WithResource)
	Op       string        // "write", "write block", "query", "query block", "read", "errors"
	Command  string        // what was sent ("" for a read): for logs and traces, never a metric label
	Took     time.Duration // from the start of the exchange (the lock held) to its end
	Err      error         // nil when the call succeeded
}

// Observer sees every call of a session as it ends: metrics (the
// metrics package counts requests, latency and errors per instrument),
// tracing. ObserveCall runs on the calling goroutine with the session
// locked: it must be quick and must not use the session.
type Observer interface {
	ObserveCall(c Call)
}

// WithObserver has o see every call of the session. Without one a call
// pays for a single nil check.
func WithObserver(o Observer) Option { return func(c *config) { c.observer = o } }

// observe reports a call that started at start and ended with *err. It is
// deferred only when an observer is set.
func (s *Session) observe(op, cmd string, start time.Time, err *error) {
	s.cfg.observer.ObserveCall(Call{Resource: s.cfg.resource, Op: op, Command: cmd, Took: time.Since(start), Err: *err})
}
