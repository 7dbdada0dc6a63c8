package serial

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/msgframe"
)

// rewriteWhole is what crFrames must give for stream, however it is cut
// into pieces: each reply, found by msgframe.MessageEnd, with its CR, and
// an LF right after that CR dropped.
func rewriteWhole(stream []byte) []byte {
	var out []byte
	afterCR := false
	for len(stream) > 0 {
		if afterCR && stream[0] == '\n' {
			stream = stream[1:]
		}
		afterCR = false
		i := msgframe.MessageEnd(stream, '\r')
		if i < 0 {
			return append(out, stream...)
		}
		out = append(out, stream[:i+1]...)
		stream, afterCR = stream[i+1:], true
	}
	return out
}

// rewriteInPieces runs stream through one crFrames in pieces of the
// sizes given (cycled; 0 counts as 1).
func rewriteInPieces(stream, sizes []byte) []byte {
	f := newCRFrames()
	var out []byte
	for i := 0; len(stream) > 0; i++ {
		n := 1
		if len(sizes) > 0 {
			n = max(int(sizes[i%len(sizes)]), 1)
		}
		n = min(n, len(stream))
		piece := append([]byte(nil), stream[:n]...)
		out = append(out, piece[:f.rewrite(piece)]...)
		stream = stream[n:]
	}
	return out
}

// The LF of a CR LF that ends a reply goes, cut anywhere; a definite
// block's payload keeps its CRs and LFs, also when its header is cut in
// two, and so does an indefinite block's and a text reply's LF. The link
// used to turn every CR into LF, and drop every LF after one, the
// payload's too.
func TestCRFramesLeaveBlocksWhole(t *testing.T) {
	// The block's 12 bytes are "a\r\rb\r\nc\r\n\r\nd".
	stream := []byte("A\r\nB\r#212a\r\rb\r\nc\r\n\r\nd\r\n#0x\ry\r\"q\"\r")
	want := "A\rB\r#212a\r\rb\r\nc\r\n\r\nd\r#0x\ry\r\"q\"\r"
	if diff := cmp.Diff(want, string(rewriteWhole(stream))); diff != "" {
		t.Fatalf("the reference (-want +got):\n%s", diff)
	}
	for _, sizes := range [][]byte{nil, {1}, {2}, {3}, {5, 1}, {7, 2, 1}, {64}} {
		if diff := cmp.Diff(want, string(rewriteInPieces(stream, sizes))); diff != "" {
			t.Errorf("in pieces of %v (-want +got):\n%s", sizes, diff)
		}
	}
}

// FuzzCRFrames: whatever the bytes and however they are cut, crFrames
// gives what the whole stream's framing does, and holds no more than a
// block header back.
func FuzzCRFrames(f *testing.F) {
	f.Add([]byte("A\r\nB\r"), []byte{1})
	f.Add([]byte("#15a\r\nbc\r\nX\r"), []byte{2, 1})
	f.Add([]byte("#9123456789"), []byte{3})
	f.Add([]byte("\"a\r\" #0\r\n\r"), []byte{4})
	f.Fuzz(func(t *testing.T, stream, sizes []byte) {
		if len(stream) > 1<<12 {
			return
		}
		got, want := rewriteInPieces(stream, sizes), rewriteWhole(stream)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q in pieces of %v (-want +got):\n%s", stream, sizes, diff)
		}
		fr := newCRFrames()
		fr.rewrite(append([]byte(nil), stream...))
		if len(fr.head) > 11 {
			t.Fatalf("%q: %d bytes held back", stream, len(fr.head))
		}
	})
}
