package scpi_test

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
)

// Large results (blocks, values, text) are read into memory that is not
// zeroed first. Every byte of them must come from the reply, whatever the
// memory held before: the heap is first littered with freed slices full
// of 0xAA, which such memory is likely to reuse.
func TestLargeResultsHoldOnlyTheReply(t *testing.T) {
	litter := func() {
		for range 8 {
			junk := bytes.Repeat([]byte{0xAA}, 1<<20)
			runtime.KeepAlive(junk)
		}
		runtime.GC()
	}
	rng := rand.New(rand.NewPCG(4, 7))
	t.Run("float32", func(t *testing.T) { checkLargeValues(t, litter, func() float32 { return rng.Float32()*2 - 1 }) })
	t.Run("float64", func(t *testing.T) { checkLargeValues(t, litter, rng.NormFloat64) })
	t.Run("int16", func(t *testing.T) { checkLargeValues(t, litter, func() int16 { return int16(rng.Uint32()) }) })
	t.Run("uint64", func(t *testing.T) { checkLargeValues(t, litter, rng.Uint64) })
	t.Run("int8", func(t *testing.T) { checkLargeValues(t, litter, func() int8 { return int8(rng.Uint32()) }) })

	// Text and raw blocks, as the first reply to a command and as the
	// next, which is read straight into memory of the last one's size.
	for _, n := range []int{32<<10 - 1, 32 << 10, 100<<10 + 3, 1<<20 + 5} {
		text := bytes.Repeat([]byte("+1.25E-03,"), n/10+1)[:n]
		text[n-1] = '7'
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(rng.Uint32())
		}
		block := string(scpi.AppendBlock(nil, payload))
		s := scpi.NewSession(scpitest.NewConn(t,
			scpitest.Query("READ?", string(text)), scpitest.Query("READ?", string(text)),
			scpitest.Query("DATA?", block), scpitest.Query("DATA?", block)))
		for i := range 2 {
			litter()
			got, err := s.Query(bg, "READ?")
			if err != nil || got != string(text) {
				t.Fatalf("%d-byte text, reply %d: %d bytes, %v", n, i+1, len(got), err)
			}
		}
		for i := range 2 {
			litter()
			got, err := s.QueryBlock(bg, "DATA?")
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("%d-byte block, reply %d: %d bytes, %v", n, i+1, len(got), err)
			}
		}
		s.Close()
	}
}

func checkLargeValues[T scpi.BlockValue](t *testing.T, litter func(), gen func() T) {
	size := int(binary.Size(*new(T)))
	for _, n := range []int{(32<<10)/size - 1, (32 << 10) / size, (100<<10)/size + 3} {
		for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
			want := make([]T, n)
			for i := range want {
				want[i] = gen()
			}
			s := scpi.NewSession(scpitest.NewConn(t,
				scpitest.Query("CURV?", string(scpi.AppendBlock(nil, scpi.EncodeBlock(want, order))))))
			litter()
			got, err := scpi.QueryValues[T](bg, s, "CURV?", order)
			s.Close()
			if diff := cmp.Diff(want, got); err != nil || diff != "" {
				t.Fatalf("%d values, %v: %v\n%s", n, order, err, diff)
			}
			decoded, err := scpi.DecodeBlock[T](scpi.EncodeBlock(want, order), order)
			if diff := cmp.Diff(want, decoded); err != nil || diff != "" {
				t.Fatalf("DecodeBlock of %d values, %v: %v\n%s", n, order, err, diff)
			}
		}
	}
}

// An indefinite block's payload (after #0) is any bytes up to the
// terminator: a '#' and digits in it do not start a block, quotes do not
// open a string, and a CR before the terminator is data. Short payloads
// (read whole from the buffer) and long ones (spilled) alike.
func TestIndefiniteBlockPayloadIsData(t *testing.T) {
	long := bytes.Repeat([]byte("#15ab,\"'x "), 10<<10)
	for _, payload := range []string{
		"#15ab", "1,#15ab", "#9000000001", `"open`, "'", "data\r", "\r", "#0more",
		string(long), string(long) + "\r",
	} {
		s := scpi.NewSession(scpitest.NewConn(t,
			scpitest.Query("CURV?", "#0"+payload),
			scpitest.Query("VALS?", "#0"+payload),
			scpitest.Query("*IDN?", "next\r")))
		got, err := s.QueryBlock(bg, "CURV?")
		if err != nil || string(got) != payload {
			t.Fatalf("QueryBlock of #0%.20q: %.20q (%d bytes), %v", payload, got, len(got), err)
		}
		if n := len(payload); n%2 == 0 {
			vals, err := scpi.QueryValues[int16](bg, s, "VALS?", binary.LittleEndian)
			if err != nil || len(vals) != n/2 {
				t.Fatalf("QueryValues of #0%.20q: %d values, %v", payload, len(vals), err)
			}
		} else if _, err := s.QueryBlock(bg, "VALS?"); err != nil {
			t.Fatal(err)
		}
		// The next reply is framed as usual: its CR is dropped, as a payload's is not.
		if idn, err := s.Query(bg, "*IDN?"); err != nil || idn != "next" {
			t.Fatalf("after #0%.20q: %q, %v", payload, idn, err)
		}
		s.Close()
	}
}
