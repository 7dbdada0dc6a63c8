package main

import (
	"context"
	"io"
	"time"
)

// input is the shell's stdin, read so that waiting for a line ends when
// ctx does (SIGTERM; Ctrl-C in a script). A read blocked on a terminal, a
// pipe, a FIFO or a socket cannot be interrupted portably, so each read
// runs in a goroutine of its own and Read returns when it ends or when ctx
// does, whichever is first.
//
// A read given up on this way keeps waiting for the input; Close ends it
// with a read deadline where the reader has them (a pipe, a socket, a
// terminal the program opened) and waits for it. A process's own stdin,
// inherited in blocking mode, has none: that read ends with the input or
// the process, which is leaving by then.
type input struct {
	ctx     context.Context
	r       io.Reader
	pending chan inputRead // the read running, nil if none
	rest    []byte         // read, not yet returned
	err     error          // the read's error, returned after rest
}

type inputRead struct {
	b   []byte
	err error
}

func newInput(ctx context.Context, r io.Reader) *input {
	return &input{ctx: ctx, r: r}
}

func (in *input) Read(p []byte) (int, error) {
	if err := in.ctx.Err(); err != nil {
		return 0, err
	}
	if len(in.rest) == 0 && in.err == nil {
		if in.pending == nil {
			done := make(chan inputRead, 1)
			in.pending = done
			b := make([]byte, max(len(p), 1))
			go func() {
				n, err := in.r.Read(b)
				done <- inputRead{b[:n], err}
			}()
		}
		select {
		case r := <-in.pending:
			in.pending = nil
			in.rest, in.err = r.b, r.err
		case <-in.ctx.Done():
			return 0, in.ctx.Err()
		}
	}
	n := copy(p, in.rest)
	in.rest = in.rest[n:]
	if len(in.rest) > 0 {
		return n, nil
	}
	err := in.err
	in.err = nil
	return n, err
}

// Close ends a read that Read gave up on, if the reader can be
// interrupted, and then waits for it; the reader is left as it was found.
func (in *input) Close() error {
	if in.pending == nil {
		return nil
	}
	d, ok := in.r.(interface{ SetReadDeadline(time.Time) error })
	if !ok || d.SetReadDeadline(time.Now()) != nil {
		return nil // it ends with the input (see input)
	}
	<-in.pending
	in.pending = nil
	return d.SetReadDeadline(time.Time{})
}
