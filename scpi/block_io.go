package scpi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// BlockSizer is a writer given to QueryBlockTo that wants the payload
// length a definite block's header announces before any of it is written:
// a file writer that caps what it accepts, say, so that a lying header is
// refused at once rather than after the cap's worth of data. An error from
// BlockSize refuses the block: nothing is written, the payload is
// discarded, the session stays in step, and QueryBlockTo returns the error.
type BlockSizer interface {
	BlockSize(n int64) error
}

// blockSink is where a block payload goes: a fresh slice, memory that
// make provides once it knows the length, the caller's buffer, or a
// writer.
type blockSink struct {
	alloc bool
	make  func(n int) ([]byte, error) // an error refuses the block: it is discarded
	// filled, with make, is given each piece of the payload as it is read
	// (filledPiece bytes, the last shorter), to convert it in place.
	filled func(p []byte)
	buf    []byte
	w      io.Writer
}

// filledPiece is small enough to be in the cache still when filled
// converts it, and a multiple of every value size.
const filledPiece = 256 << 10

// queryBlock sends cmd and reads a block response into sink. It returns the
// payload length and, for alloc, the payload.
func (s *Session) queryBlock(ctx context.Context, cmd string, sink blockSink) (_ int64, _ []byte, err error) {
	const op = "query block"
	if s.cfg.observer != nil {
		defer s.observe(op, cmd, time.Now(), &err)
	}
	if err := s.checkCommand(op, cmd); err != nil {
		return 0, nil, err
	}
	if err := s.arm(ctx, op, cmd); err != nil {
		return 0, nil, err
	}
	defer s.disarm()
	if err := s.ready(ctx, op, cmd); err != nil {
		return 0, nil, err
	}
	if err := s.send(cmd, nil); err != nil {
		return 0, nil, s.fail(ctx, op, cmd, err)
	}
	n, hdr, err := s.rd.blockStart()
	if err != nil {
		s.pending++ // whatever came instead is discarded before the next call
		var pe *ParseError
		if errors.As(err, &pe) {
			return 0, nil, s.opErr(op, cmd, err)
		}
		return 0, nil, s.fail(ctx, op, cmd, err)
	}
	if n < 0 { // indefinite block: the payload runs to the terminator
		msg, err := s.receive(false)
		if err != nil {
			return 0, nil, s.fail(ctx, op, cmd, err)
		}
		return s.deliverIndefinite(op, cmd, msg, sink)
	}
	if s.tracing() {
		s.trace("recv", s.rd.buf[s.rd.r-hdr:s.rd.r], n, 0)
	}
	var got int64
	var data []byte
	switch {
	case sink.w != nil:
		if bs, ok := sink.w.(BlockSizer); ok {
			if err := bs.BlockSize(int64(n)); err != nil {
				s.rd.owed = int64(n)
				s.owedTerminator()
				return 0, nil, s.opErr(op, cmd, err)
			}
		}
		got, err = s.rd.copyN(sink.w, int64(n))
		if err != nil && s.rd.owed > 0 && got+s.rd.owed == int64(n) && !isLinkErr(err) {
			// The writer failed: the payload's rest is owed, the session
			// stays in step, and the writer's error is the caller's.
			s.owedTerminator()
			return got, nil, s.opErr(op, cmd, err)
		}
	case sink.alloc || sink.make != nil:
		if n > s.cfg.maxBlock {
			s.rd.owed = int64(n)
			s.owedTerminator()
			return 0, nil, s.opErr(op, cmd, fmt.Errorf("%w: header announces %d bytes, limit %d", ErrBlockTooLarge, n, s.cfg.maxBlock))
		}
		if sink.alloc {
			data = uninitialized(n)[:n]
		} else if data, err = sink.make(n); err != nil {
			s.rd.owed = int64(n)
			s.owedTerminator()
			return 0, nil, s.opErr(op, cmd, err)
		}
		// One allocation, of the announced length (within the block
		// limit), read into straight from the link: growing the slice as
		// the data arrived would copy it again at every step. filled sees
		// each piece while it is still in the cache.
		var m int
		for m < n && err == nil {
			end := min(n, m+filledPiece)
			var k int
			k, err = s.rd.readFull(data[m:end])
			if sink.filled != nil && err == nil {
				sink.filled(data[m:end])
			}
			m += k
		}
		got = int64(m)
		if err != nil {
			s.rd.owed = int64(n - m)
			data = nil
		}
	default:
		if n > len(sink.buf) {
			s.rd.owed = int64(n)
			s.owedTerminator()
			return int64(n), nil, s.opErr(op, cmd, fmt.Errorf("%w: block of %d bytes, buffer of %d", io.ErrShortBuffer, n, len(sink.buf)))
		}
		var m int
		m, err = s.rd.readFull(sink.buf[:n])
		got = int64(m)
		if err != nil {
			s.rd.owed = int64(n - m)
		}
	}
	if err != nil {
		s.owedTerminator()
		return got, nil, s.fail(ctx, op, cmd, err)
	}
	if s.cfg.blockTerm {
		// Whatever follows the payload, normally just the terminator.
		if _, err := s.receive(true); err != nil {
			return got, nil, s.fail(ctx, op, cmd, err)
		}
	}
	return got, data, nil
}

// owedTerminator records that the terminator after an abandoned block is
// still to come.
func (s *Session) owedTerminator() {
	if s.cfg.blockTerm {
		s.pending++
	}
}

func isLinkErr(err error) bool { return isTimeout(err) || errors.Is(err, io.EOF) || isNetError(err) }

func (s *Session) deliverIndefinite(op, cmd string, msg []byte, sink blockSink) (int64, []byte, error) {
	switch {
	case sink.w != nil:
		n, err := sink.w.Write(msg)
		if err != nil {
			return int64(n), nil, s.opErr(op, cmd, err)
		}
		return int64(n), nil, nil
	case sink.alloc:
		return int64(len(msg)), slices.Clone(msg), nil
	case sink.make != nil:
		data, err := sink.make(len(msg))
		if err != nil {
			return 0, nil, s.opErr(op, cmd, err)
		}
		n := copy(data, msg)
		if sink.filled != nil {
			sink.filled(data)
		}
		return int64(n), data, nil
	default:
		if len(msg) > len(sink.buf) {
			return int64(len(msg)), nil, s.opErr(op, cmd, fmt.Errorf("%w: block of %d bytes, buffer of %d", io.ErrShortBuffer, len(msg), len(sink.buf)))
		}
		return int64(copy(sink.buf, msg)), nil, nil
	}
}
