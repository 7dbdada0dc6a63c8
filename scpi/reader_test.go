package scpi

import (
	"bytes"
	"errors"
	"io"
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
