package testserver

import (
	"strings"
	"sync"
)

// Log is a log sink that a session's goroutines may write to while the
// test reads it: give it to zerolog.New, then check String.
type Log struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Signal is a log sink that tells when a line with some text is written:
// a test waits on Seen for a server to reach a state only its log shows
// (a lock request waiting, say), instead of sleeping.
type Signal struct {
	text string
	seen chan struct{}
	once sync.Once
}

// NewSignal is a Signal for lines containing text. Beside a log that the
// test reads once signalled, put it last in an io.MultiWriter: it signals
// as the line passes it, and writers after it have not had the line yet.
func NewSignal(text string) *Signal { return &Signal{text: text, seen: make(chan struct{})} }

func (s *Signal) Write(p []byte) (int, error) {
	if strings.Contains(string(p), s.text) {
		s.once.Do(func() { close(s.seen) })
	}
	return len(p), nil
}

// Seen is closed once such a line has been written.
func (s *Signal) Seen() <-chan struct{} { return s.seen }
