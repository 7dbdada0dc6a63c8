package scpi

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"
)

// chunkReader hands out its data in pieces of the given sizes, as a link
// does, then io.EOF.
type chunkReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := len(c.data)
	if len(c.sizes) > 0 {
		n = int(c.sizes[c.i%len(c.sizes)])%64 + 1
		c.i++
	}
	n = min(n, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestReaderFramesAcrossChunks(t *testing.T) {
	stream := "1.5\r\n#15a\nb\nc,2\n\"q,#1\"\n#0raw\nlast"
	for _, sizes := range [][]byte{nil, {0}, {1, 2}, {6, 0, 3}} {
		rd := newReader(&chunkReader{data: []byte(stream), sizes: sizes}, '\n', 1<<20)
		var got []string
		for {
			msg, err := rd.next(false)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("sizes %v: %v", sizes, err)
				}
				break
			}
			got = append(got, string(msg))
		}
		want := []string{"1.5", "#15a\nb\nc,2", `"q,#1"`, "#0raw"}
		if len(got) != len(want) {
			t.Fatalf("sizes %v: got %q", sizes, got)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("sizes %v: message %d = %q, want %q", sizes, i, got[i], want[i])
			}
		}
	}
}

func TestReaderDiscardSkipsHugeBlockWithoutBuffering(t *testing.T) {
	big := AppendBlock(nil, bytes.Repeat([]byte{'\n'}, 1<<20))
	stream := append(append(big, "\nnext\n"...), nil...)
	rd := newReader(&chunkReader{data: stream, sizes: []byte{63}}, '\n', 4<<10)
	if _, err := rd.next(true); err != nil {
		t.Fatal(err)
	}
	if len(rd.buf) > 64<<10 {
		t.Fatalf("discarding grew the buffer to %d bytes", len(rd.buf))
	}
	msg, err := rd.next(false)
	if err != nil || string(msg) != "next" {
		t.Fatalf("after the skipped block: %q, %v", msg, err)
	}
}

// FuzzReader feeds arbitrary bytes, in arbitrary pieces, through the
// response framer as both a reader and a discarder: it must end every
// time (EOF or a typed error), never panic, never return a message longer
// than its input, and agree with MessageEnd on where the first message
// ends.
func FuzzReader(f *testing.F) {
	f.Add([]byte("1\n2\n"), []byte{3})
	f.Add([]byte("#15a\nb\nc\n#0x\n"), []byte{1})
	f.Add([]byte("#9999999999\n"), []byte{})
	f.Add([]byte("\"a#15\n\"\n"), []byte{2, 5})
	f.Add([]byte("#2"), []byte{0})
	f.Fuzz(func(t *testing.T, data, sizes []byte) {
		rd := newReader(&chunkReader{data: data, sizes: sizes}, '\n', 1<<20)
		rest := data
		for range len(data) + 1 {
			msg, err := rd.next(false)
			end := MessageEnd(rest, '\n')
			if errors.Is(err, ErrResponseTooLarge) {
				break // a header announcing more than the limit
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("untyped error %v", err)
				}
				if end >= 0 {
					t.Fatalf("reader ended (%v) where MessageEnd found a message in %q", err, rest)
				}
				break
			}
			if end < 0 || !bytes.Equal(bytes.TrimSuffix(rest[:end], []byte("\r")), msg) {
				t.Fatalf("reader framed %q; MessageEnd says %d in %q", msg, end, rest)
			}
			rest = rest[end+1:]
		}
		// A small limit: oversized replies are refused with a typed error.
		rd = newReader(&chunkReader{data: data, sizes: sizes}, '\n', 64)
		for range len(data) + 1 {
			if _, err := rd.next(false); err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, ErrResponseTooLarge) {
					t.Fatalf("untyped error %v", err)
				}
				break
			}
		}
		rd = newReader(&chunkReader{data: data, sizes: sizes}, '\n', 256)
		for range len(data) + 1 {
			if _, err := rd.next(true); err != nil {
				break
			}
		}
	})
}

// Issue 16, item 2: a message larger than the reader's buffer is spilled
// out of it; when it is too large, the rest is still framed exactly (here
// the cap falls inside a block whose payload holds terminators).
func TestReaderTooLargeKeepsFraming(t *testing.T) {
	payload := bytes.Repeat([]byte("ab\n"), 40000/3+1)[:40000]
	stream := "#540000" + string(payload) + "\nnext\n"
	for _, sizes := range [][]byte{nil, {63}, {5, 40}} {
		rd := newReader(&chunkReader{data: []byte(stream), sizes: sizes}, '\n', 32<<10)
		if _, err := rd.next(false); !errors.Is(err, ErrResponseTooLarge) {
			t.Fatalf("sizes %v: %v, want ErrResponseTooLarge", sizes, err)
		}
		if _, err := rd.next(true); err != nil {
			t.Fatalf("sizes %v: discarding the rest: %v", sizes, err)
		}
		if msg, err := rd.next(false); err != nil || string(msg) != "next" {
			t.Fatalf("sizes %v: after the oversized message: %q, %v", sizes, msg, err)
		}
		if rd.held() != initialBufSize {
			t.Fatalf("sizes %v: the reader holds %d bytes, want %d", sizes, rd.held(), initialBufSize)
		}
	}
}

// timeoutOnce hands out first, then fails once with a timeout, then hands
// out rest.
type timeoutOnce struct {
	first, rest []byte
	failed      bool
}

func (c *timeoutOnce) Read(p []byte) (int, error) {
	if len(c.first) > 0 {
		n := copy(p, c.first)
		c.first = c.first[n:]
		return n, nil
	}
	if !c.failed {
		c.failed = true
		return 0, os.ErrDeadlineExceeded
	}
	if len(c.rest) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

// A large message cut short by a timeout goes on where it stopped when
// read again, though part of it has left the buffer.
func TestReaderLargeMessageResumesAfterTimeout(t *testing.T) {
	msg := bytes.Repeat([]byte("1.25,"), 20000)
	src := &timeoutOnce{first: msg[:50000], rest: append(append([]byte{}, msg[50000:]...), '\n')}
	rd := newReader(src, '\n', 1<<20)
	if _, err := rd.next(false); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("first read: %v, want a timeout", err)
	}
	got, err := rd.next(false)
	if err != nil || !bytes.Equal(got, msg) || !rd.fresh {
		t.Fatalf("second read: %d bytes (want %d), fresh %v, %v", len(got), len(msg), rd.fresh, err)
	}
	if rd.held() != initialBufSize {
		t.Fatalf("the reader holds %d bytes, want %d", rd.held(), initialBufSize)
	}
}

// Issue 17, item 1: large messages are read straight into the spill's
// chunks, then the buffer, then a new chunk. Whatever the pieces the link
// hands out, and wherever a block header or the terminator falls against
// those boundaries, the framing is MessageEnd's, and what was read past a
// message (however much) is the next one's start.
func TestReaderSpillFramesLikeMessageEnd(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	var stream []byte
	for range 40 {
		text := bytes.Repeat([]byte("1.5,"), rng.IntN(60<<10))
		switch rng.IntN(4) {
		case 0:
			stream = append(stream, text...)
		case 1:
			stream = append(append(stream, text...), ',')
			stream = AppendBlock(stream, bytes.Repeat([]byte("\n#9"), rng.IntN(30<<10)))
		case 2:
			stream = append(append(stream, text...), "\"a\nb\""...)
		case 3:
			stream = append(append(stream, text...), '\r')
		}
		stream = append(stream, '\n')
	}
	for _, sizes := range [][]byte{nil, {63}, {0, 63, 17}} {
		rd := newReader(&chunkReader{data: stream, sizes: sizes}, '\n', 1<<20)
		rest := stream
		for n := 0; len(rest) > 0; n++ {
			end := MessageEnd(rest, '\n')
			msg, err := rd.next(false)
			if err != nil {
				t.Fatalf("sizes %v, message %d: %v", sizes, n, err)
			}
			if want := bytes.TrimSuffix(rest[:end], []byte("\r")); !bytes.Equal(msg, want) {
				t.Fatalf("sizes %v, message %d: %d bytes, want %d", sizes, n, len(msg), len(want))
			}
			rest = rest[end+1:]
		}
		if rd.held() != initialBufSize {
			t.Fatalf("sizes %v: the reader holds %d bytes at the end, want %d", sizes, rd.held(), initialBufSize)
		}
	}
}

// A message read with a size hint (the session's last reply to the same
// command) is framed as without one, whether the hint is right, short of
// the message or far beyond it; and a hint far beyond the message does not
// leave the message (one the caller may keep) holding the hint's memory.
func TestReaderHintedMessages(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 2))
	var stream []byte
	for range 60 {
		text := bytes.Repeat([]byte("1.5,"), rng.IntN(40<<10))
		if rng.IntN(3) == 0 {
			text = AppendBlock(append(text, ','), bytes.Repeat([]byte("\n#9"), rng.IntN(10<<10)))
		}
		stream = append(append(stream, text...), '\n')
	}
	for _, sizes := range [][]byte{nil, {63}, {0, 63, 17}} {
		rd := newReader(&chunkReader{data: stream, sizes: sizes}, '\n', 1<<20)
		rest := stream
		for n := 0; len(rest) > 0; n++ {
			end := MessageEnd(rest, '\n')
			hints := []int{0, end + 1, end, end / 2, 3*end + 100<<10}
			rd.hint = hints[n%len(hints)]
			msg, err := rd.next(false)
			if err != nil {
				t.Fatalf("sizes %v, message %d, hint %d: %v", sizes, n, rd.hint, err)
			}
			if !bytes.Equal(msg, rest[:end]) {
				t.Fatalf("sizes %v, message %d, hint %d: %d bytes, want %d", sizes, n, rd.hint, len(msg), end)
			}
			if rd.fresh && cap(msg) > 2*(end+1) && rd.hint > 2*end {
				t.Fatalf("sizes %v, message %d: %d bytes held in %d, after a hint of %d", sizes, n, end, cap(msg), rd.hint)
			}
			rest = rest[end+1:]
		}
	}
}
