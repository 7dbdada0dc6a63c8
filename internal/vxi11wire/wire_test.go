package vxi11wire

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/oncrpc"
)

func TestMessagesRoundTrip(t *testing.T) {
	type pair struct {
		enc func(*oncrpc.Encoder)
		dec func(*oncrpc.Decoder) any
		v   any
	}
	cl := CreateLinkParms{ClientID: 9, LockDevice: true, LockTimeout: 500, Device: "inst0"}
	clr := CreateLinkResp{LinkID: 3, AbortPort: 40001, MaxRecvSize: 1 << 20}
	wp := WriteParms{LinkID: 3, IOTimeout: 100, LockTimeout: 0, Flags: FlagEnd, Data: []byte("*IDN?\n")}
	rp := ReadParms{LinkID: 3, RequestSize: 1024, IOTimeout: 100, Flags: FlagTermChrSet, TermChar: '\n'}
	rr := ReadResp{Reason: ReasonEnd, Data: []byte("ok\n")}
	gp := GenericParms{LinkID: 3, Flags: FlagWaitLock, LockTimeout: 10, IOTimeout: 20}
	sr := ReadStbResp{STB: 0x50}
	lp := LockParms{LinkID: 3, Flags: FlagWaitLock, LockTimeout: 1000}
	for _, p := range []pair{
		{cl.Encode, func(d *oncrpc.Decoder) any { return DecodeCreateLinkParms(d) }, cl},
		{clr.Encode, func(d *oncrpc.Decoder) any { return DecodeCreateLinkResp(d) }, clr},
		{wp.Encode, func(d *oncrpc.Decoder) any { return DecodeWriteParms(d) }, wp},
		{WriteResp{Size: 6}.Encode, func(d *oncrpc.Decoder) any { return DecodeWriteResp(d) }, WriteResp{Size: 6}},
		{rp.Encode, func(d *oncrpc.Decoder) any { return DecodeReadParms(d) }, rp},
		{rr.Encode, func(d *oncrpc.Decoder) any { return DecodeReadResp(d) }, rr},
		{gp.Encode, func(d *oncrpc.Decoder) any { return DecodeGenericParms(d) }, gp},
		{sr.Encode, func(d *oncrpc.Decoder) any { return DecodeReadStbResp(d) }, sr},
		{lp.Encode, func(d *oncrpc.Decoder) any { return DecodeLockParms(d) }, lp},
	} {
		var e oncrpc.Encoder
		p.enc(&e)
		d := oncrpc.NewDecoder(e.B)
		got := p.dec(d)
		if err := d.Done(); err != nil {
			t.Fatalf("%T: %v", p.v, err)
		}
		if diff := cmp.Diff(p.v, got); diff != "" {
			t.Errorf("%T (-want +got):\n%s", p.v, diff)
		}
	}
}

// FuzzDecode runs every decoder over arbitrary bytes: errors, never
// panics, and data no longer than the input.
func FuzzDecode(f *testing.F) {
	var e oncrpc.Encoder
	WriteParms{LinkID: 1, Flags: FlagEnd, Data: []byte("*IDN?\n")}.Encode(&e)
	f.Add(e.B)
	e = oncrpc.Encoder{}
	CreateLinkParms{Device: "inst0"}.Encode(&e)
	f.Add(e.B)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 4, 0x7f, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		decoders := []func(*oncrpc.Decoder) int{
			func(d *oncrpc.Decoder) int { return len(DecodeCreateLinkParms(d).Device) },
			func(d *oncrpc.Decoder) int { DecodeCreateLinkResp(d); return 0 },
			func(d *oncrpc.Decoder) int { return len(DecodeWriteParms(d).Data) },
			func(d *oncrpc.Decoder) int { DecodeWriteResp(d); return 0 },
			func(d *oncrpc.Decoder) int { DecodeReadParms(d); return 0 },
			func(d *oncrpc.Decoder) int { return len(DecodeReadResp(d).Data) },
			func(d *oncrpc.Decoder) int { DecodeGenericParms(d); return 0 },
			func(d *oncrpc.Decoder) int { DecodeReadStbResp(d); return 0 },
			func(d *oncrpc.Decoder) int { DecodeLockParms(d); return 0 },
		}
		for _, dec := range decoders {
			d := oncrpc.NewDecoder(b)
			if n := dec(d); n > len(b) {
				t.Fatalf("decoded %d bytes of data from %d bytes", n, len(b))
			}
			d.Done()
		}
	})
}
