package hislipwire

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/testserver"
)

func TestHeaderLayout(t *testing.T) {
	got := Message(nil, DataEnd, RMTDelivered, 0xffffff02, []byte("*IDN?\n"))
	want := []byte("HS\x07\x01\xff\xff\xff\x02\x00\x00\x00\x00\x00\x00\x00\x06*IDN?\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
	h, err := ParseHeader(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Header{Type: DataEnd, Control: 1, Param: 0xffffff02, Length: 6}, h); diff != "" {
		t.Fatal(diff)
	}
	if _, err := ParseHeader([]byte("XS\x07\x01\xff\xff\xff\x02\x00\x00\x00\x00\x00\x00\x00\x06")); !errors.Is(err, ErrBadHeader) {
		t.Fatalf("bad prologue: %v", err)
	}
}

// A deadline in the middle of a header or payload leaves the reader
// where it was.
func TestReaderSurvivesDeadlines(t *testing.T) {
	var stream []byte
	stream = Message(stream, Data, 0, 1, []byte("first part "))
	stream = Message(stream, DataEnd, 0, 1, []byte("second part\n"))
	r := &Reader{R: testserver.Stutter(bytes.NewReader(stream)), Max: 64}
	var got []byte
	var types []byte
	for len(types) < 2 {
		h, err := r.Next()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, h.Type)
		for {
			p, err := r.Payload()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, p...)
			break
		}
	}
	if string(got) != "first part second part\n" || !bytes.Equal(types, []byte{Data, DataEnd}) {
		t.Fatalf("read %q with types %v", got, types)
	}
}

func TestReaderLimits(t *testing.T) {
	r := &Reader{R: bytes.NewReader(Message(nil, Data, 0, 0, make([]byte, 100))), Max: 10}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Payload(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("payload over the limit: %v", err)
	}
	r = &Reader{R: iotest.HalfReader(bytes.NewReader(Message(nil, Data, 0, 0, []byte("abc"))[:17])), Max: 10}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Payload(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated payload: %v", err)
	}
}

// A header that declares a large payload costs memory only as the bytes
// come: 8 MiB declared and 10 bytes sent leave a small buffer; a payload
// that does come whole is read whole, through a buffer grown on the way,
// and the next one as large is read into it again.
func TestPayloadGrowsAsBytesCome(t *testing.T) {
	msg := Message(nil, DataEnd, 0, 0, make([]byte, 8<<20))
	r := &Reader{R: bytes.NewReader(msg[:HeaderSize+10]), Max: 16 << 20}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Payload(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("truncated payload: %v", err)
	}
	if cap(r.buf) > 1<<20 {
		t.Fatalf("10 bytes of a declared 8 MiB took a %d-byte buffer", cap(r.buf))
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 3<<16) // 3 MiB
	two := Message(Message(nil, Data, 0, 1, body), DataEnd, 0, 2, body)
	r = &Reader{R: iotest.HalfReader(bytes.NewReader(two)), Max: 16 << 20}
	for i := range 2 {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
		p, err := r.Payload()
		if err != nil || !bytes.Equal(p, body) {
			t.Fatalf("payload %d: %d bytes, %v", i, len(p), err)
		}
	}
}

// FuzzReader reads arbitrary bytes as a stream of messages: errors, never
// a panic, and never more payload than there were bytes.
func FuzzReader(f *testing.F) {
	f.Add(Message(Message(nil, Initialize, 0, 0x0100535a, []byte("hislip0")), DataEnd, 0, 0xffffff00, []byte("*IDN?\n")))
	f.Add([]byte("HS\x06\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"))
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &Reader{R: bytes.NewReader(b), Max: 1 << 16}
		total := 0
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			p, err := r.Payload()
			if err != nil {
				break
			}
			total += len(p) + HeaderSize
		}
		if total > len(b) {
			t.Fatalf("read %d bytes of messages from %d", total, len(b))
		}
	})
}
