package scpi

import "time"

// WithClock replaces the clock the resync bound is measured on, so a test
// can let the bound pass without waiting for it.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// BufferSize reports how many bytes the session's reader holds in its
// buffers now.
func BufferSize(s *Session) int { return s.rd.held() }

// Waiting reports how many calls are queued for the session's lock.
func Waiting(s *Session) int {
	s.lock.mu.Lock()
	defer s.lock.mu.Unlock()
	return len(s.lock.queue)
}
