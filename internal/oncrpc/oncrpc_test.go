package oncrpc

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/testserver"
)

func TestXDRRoundTrip(t *testing.T) {
	var e Encoder
	e.Uint32(7)
	e.Int32(-2)
	e.Bool(true)
	e.Opaque([]byte{1, 2, 3, 4, 5})
	e.String("inst0")
	if len(e.B)%4 != 0 {
		t.Fatalf("encoding of %d bytes is not padded to 4", len(e.B))
	}
	d := NewDecoder(e.B)
	got := []any{d.Uint32(), d.Int32(), d.Bool(), d.Opaque(16), d.String(16)}
	if err := d.Done(); err != nil {
		t.Fatal(err)
	}
	want := []any{uint32(7), int32(-2), true, []byte{1, 2, 3, 4, 5}, "inst0"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
}

func TestDecoderRefusesHostileInput(t *testing.T) {
	for name, b := range map[string][]byte{
		"truncated int":     {0, 0, 1},
		"opaque too long":   {0, 0, 0, 9, 1, 2, 3, 4},
		"opaque over max":   {0xff, 0xff, 0xff, 0xff},
		"bool out of range": {0, 0, 0, 2},
	} {
		d := NewDecoder(b)
		if name == "bool out of range" {
			d.Bool()
		} else if name == "truncated int" {
			d.Uint32()
		} else {
			d.Opaque(1 << 20)
		}
		if !errors.Is(d.Err(), ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, d.Err())
		}
	}
}

func TestRecordsJoinFragmentsAndRefuseGiants(t *testing.T) {
	var stream bytes.Buffer
	stream.Write([]byte{0, 0, 0, 2, 'a', 'b'})        // a fragment
	stream.Write([]byte{0x80, 0, 0, 1, 'c'})          // the last one
	stream.Write([]byte{0xff, 0xff, 0xff, 0xff, 'x'}) // a lying 2 GiB header
	rec, err := ReadRecord(&stream, nil, 1024)
	if err != nil || string(rec) != "abc" {
		t.Fatalf("record %q, %v", rec, err)
	}
	if _, err := ReadRecord(&stream, nil, 1024); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("giant record: %v, want ErrTooLarge", err)
	}
}

func TestCallAndReplyHeaders(t *testing.T) {
	var e Encoder
	AppendCall(&e, 42, PortmapProg, PortmapVers, PortmapGetPort)
	Mapping{Prog: 0x0607AF, Vers: 1, Prot: ProtoTCP}.Encode(&e)
	d := NewDecoder(e.B)
	call, err := DecodeCall(d)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Call{XID: 42, Prog: PortmapProg, Vers: PortmapVers, Proc: PortmapGetPort, RPCVers: 2}, call); diff != "" {
		t.Fatal(diff)
	}
	if m := DecodeMapping(d); m.Prog != 0x0607AF || d.Done() != nil {
		t.Fatalf("mapping %+v, %v", m, d.Err())
	}

	var r Encoder
	AppendAcceptedReply(&r, 42, ProcUnavail)
	var rpcErr *RPCError
	if _, err := DecodeReply(NewDecoder(r.B)); !errors.As(err, &rpcErr) || rpcErr.Stat != ProcUnavail {
		t.Fatalf("reply: %v", err)
	}
	r = Encoder{}
	AppendRPCMismatch(&r, 43)
	if xid, err := DecodeReply(NewDecoder(r.B)); !errors.As(err, &rpcErr) || !rpcErr.Denied || xid != 43 {
		t.Fatalf("denied reply: %d %v", xid, err)
	}
	if _, err := DecodeCall(NewDecoder(r.B)); !errors.Is(err, ErrNotCall) {
		t.Fatalf("a reply decoded as a call: %v", err)
	}
}

// FuzzDecode feeds arbitrary bytes to the record reader and the call and
// reply decoders: they must fail cleanly, never panic or over-allocate.
func FuzzDecode(f *testing.F) {
	var e Encoder
	e.B = make([]byte, 4)
	AppendCall(&e, 1, PortmapProg, PortmapVers, PortmapGetPort)
	Mapping{Prog: 0x0607AF, Vers: 1, Prot: ProtoTCP}.Encode(&e)
	f.Add(AppendRecordMark(e.B))
	var r Encoder
	r.B = make([]byte, 4)
	AppendAcceptedReply(&r, 1, Success)
	r.Uint32(1024)
	f.Add(AppendRecordMark(r.B))
	f.Add([]byte{0, 0, 0, 1, 0, 0x80, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		rec, err := ReadRecord(bytes.NewReader(b), nil, 1<<16)
		if err != nil {
			return
		}
		if len(rec) > len(b) {
			t.Fatalf("record of %d bytes from %d bytes of input", len(rec), len(b))
		}
		d := NewDecoder(rec)
		if _, err := DecodeCall(d); err == nil {
			DecodeMapping(d)
			d.Opaque(1 << 16)
		}
		d = NewDecoder(rec)
		if _, err := DecodeReply(d); err == nil {
			d.String(1 << 16)
			d.Bool()
			d.Done()
		}
	})
}

func TestRecordReaderResumesAfterDeadlines(t *testing.T) {
	var stream []byte
	for _, rec := range []string{"first record", "", "third, in two fragments"} {
		if rec == "third, in two fragments" {
			stream = append(stream, 0, 0, 0, 7)
			stream = append(stream, rec[:7]...)
			stream = append(stream, 0x80, 0, 0, byte(len(rec)-7))
			stream = append(stream, rec[7:]...)
			continue
		}
		stream = append(stream, 0x80, 0, 0, byte(len(rec)))
		stream = append(stream, rec...)
	}
	rr := RecordReader{R: testserver.Stutter(bytes.NewReader(stream)), Max: 64}
	var got []string
	for len(got) < 3 {
		rec, err := rr.Next()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(rec))
	}
	if diff := cmp.Diff([]string{"first record", "", "third, in two fragments"}, got); diff != "" {
		t.Fatal(diff)
	}
	rr.R = bytes.NewReader(nil)
	if _, err := rr.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last record: %v", err)
	}
}

// oneShot hands out its data in one read, then io.EOF; it counts reads.
type oneShot struct {
	data  []byte
	reads int
}

func (o *oneShot) Read(p []byte) (int, error) {
	o.reads++
	if len(o.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, o.data)
	o.data = o.data[n:]
	return n, nil
}

// Issue 17 row 6: a short record costs one read (mark and body together),
// a following record comes from what was read ahead, and a mark that
// announces far more than is sent costs only what is sent.
func TestRecordReaderReadsAheadAndGrowsAsBytesArrive(t *testing.T) {
	var stream bytes.Buffer
	WriteRecord(&stream, []byte("first reply"))
	WriteRecord(&stream, []byte("second"))
	src := &oneShot{data: stream.Bytes()}
	rr := RecordReader{R: src, Max: 1 << 20}
	for _, want := range []string{"first reply", "second"} {
		rec, err := rr.Next()
		if err != nil || string(rec) != want {
			t.Fatalf("%q, %v; want %q", rec, err, want)
		}
	}
	if src.reads != 1 {
		t.Errorf("two short records took %d reads, want 1", src.reads)
	}
	liar := []byte{0x80, 0x0f, 0xff, 0xff, 'a', 'b', 'c'} // announces ~1 MiB, sends 3 bytes
	rr = RecordReader{R: &oneShot{data: liar}, Max: 1 << 20}
	if _, err := rr.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("%v, want io.ErrUnexpectedEOF", err)
	}
	if c := cap(rr.rec); c > 4<<10 {
		t.Errorf("a lying mark made the reader hold %d bytes for 3 sent", c)
	}
}
