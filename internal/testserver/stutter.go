package testserver

import (
	"io"
	"os"
)

// Stutter wraps r so that every other Read fails with
// os.ErrDeadlineExceeded and the others give at most three bytes: a
// socket whose deadlines keep cutting messages, for readers that must
// resume where they stopped.
func Stutter(r io.Reader) io.Reader { return &stutter{r: r} }

type stutter struct {
	r    io.Reader
	fail bool
}

func (s *stutter) Read(b []byte) (int, error) {
	s.fail = !s.fail
	if s.fail {
		return 0, os.ErrDeadlineExceeded
	}
	return s.r.Read(b[:min(len(b), 3)])
}
