package vxi11_test

import (
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/internal/oncrpc"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/internal/vxi11wire"
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/vxi11"
)

// fakeVXI is a scripted VXI-11 instrument on loopback: a portmapper, a
// core channel and an abort channel. It runs each program message as it
// arrives (one ending in "?" queues "<message> reply\n"), and the test
// says which replies come late: a held reply is sent just before the
// next call's, as a slow instrument's would be.
type fakeVXI struct {
	pm, core, abort *testserver.Server
	aborts          chan struct{} // a device_abort arrived

	mu          sync.Mutex
	hold        map[uint32]int // procedure: how many of its next replies come late
	silentAbort bool           // device_abort gets no reply
	longVerf    bool           // device_unlock's reply carries a 40-byte verifier
	// empty is how many of the next device_reads are answered with no
	// data, no error and reason emptyReason (END never): -1 for all.
	empty       int
	emptyReason int32
	reads       int // device_reads answered
	// dataAt, when not 0, is the device_read (counted from 1) that gets
	// "late\n" when nothing is queued; those before get io_timeout at once.
	dataAt    int
	readDelay time.Duration // each device_read's reply waits this long (an instrument capping io_timeout)
	readCalls chan struct{} // a device_read arrived (when set)
	in, out   []byte
}

func startFake(t *testing.T) *fakeVXI {
	t.Helper()
	f := &fakeVXI{hold: map[uint32]int{}, aborts: make(chan struct{}, 16)}
	f.abort = testserver.Start(t, func(c net.Conn) { serveRPC(c, f.abort1) })
	f.core = testserver.Start(t, func(c net.Conn) { serveRPC(c, f.core1) })
	f.pm = testserver.Start(t, func(c net.Conn) {
		serveRPC(c, func(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) (bool, bool) {
			e.Uint32(uint32(f.core.Port()))
			return true, false
		})
	})
	return f
}

func (f *fakeVXI) dial(t *testing.T) *vxi11.Conn {
	t.Helper()
	c, err := vxi11.Dial(context.Background(), "127.0.0.1", "inst0", transport.NewOptions(transport.WithPortmapperPort(f.pm.Port())))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// holdNext makes the next reply to proc come late.
func (f *fakeVXI) holdNext(proc uint32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold[proc]++
}

func (f *fakeVXI) setSilentAbort(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.silentAbort = on
}

// serveRPC answers the calls on c with handle, which encodes the results
// and says whether to answer and whether the answer comes late.
func serveRPC(c net.Conn, handle func(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) (answer, late bool)) {
	var held [][]byte
	for {
		rec, err := oncrpc.ReadRecord(c, nil, 1<<20)
		if err != nil {
			return
		}
		d := oncrpc.NewDecoder(rec)
		call, err := oncrpc.DecodeCall(d)
		if err != nil {
			return
		}
		for _, r := range held {
			if _, err := c.Write(r); err != nil {
				return
			}
		}
		held = held[:0]
		e := oncrpc.Encoder{B: make([]byte, 4, 64)}
		oncrpc.AppendAcceptedReply(&e, call.XID, oncrpc.Success)
		answer, late := handle(call, d, &e)
		switch {
		case late:
			held = append(held, oncrpc.AppendRecordMark(e.B))
		case answer:
			if _, err := c.Write(oncrpc.AppendRecordMark(e.B)); err != nil {
				return
			}
		}
	}
}

func (f *fakeVXI) abort1(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) (bool, bool) {
	d.Int32()
	e.Int32(0)
	select {
	case f.aborts <- struct{}{}:
	default:
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.silentAbort, false
}

func (f *fakeVXI) core1(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) (bool, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	late := f.hold[call.Proc] > 0
	if late {
		f.hold[call.Proc]--
	}
	switch call.Proc {
	case vxi11wire.ProcCreateLink:
		vxi11wire.DecodeCreateLinkParms(d)
		vxi11wire.CreateLinkResp{LinkID: 1, AbortPort: uint16(f.abort.Port()), MaxRecvSize: 1024}.Encode(e)
	case vxi11wire.ProcDeviceWrite:
		p := vxi11wire.DecodeWriteParms(d)
		f.in = append(f.in, p.Data...)
		for {
			msg, rest, ok := bytes.Cut(f.in, []byte("\n"))
			if !ok {
				break
			}
			if strings.HasSuffix(string(msg), "?") {
				f.out = append(f.out, string(msg)+" reply\n"...)
			}
			f.in = rest
		}
		vxi11wire.WriteResp{Size: uint32(len(p.Data))}.Encode(e)
	case vxi11wire.ProcDeviceRead:
		vxi11wire.DecodeReadParms(d)
		f.reads++
		time.Sleep(f.readDelay) // the instrument's own wait, not a test's
		if f.readCalls != nil {
			f.readCalls <- struct{}{}
		}
		if f.empty != 0 {
			if f.empty > 0 {
				f.empty--
			}
			vxi11wire.ReadResp{Reason: f.emptyReason &^ vxi11wire.ReasonEnd}.Encode(e)
			break
		}
		msg, rest, ok := bytes.Cut(f.out, []byte("\n"))
		if !ok && f.dataAt != 0 && f.reads >= f.dataAt {
			msg, rest, ok = []byte("late"), f.out, true
		}
		if !ok {
			vxi11wire.ReadResp{Error: vxi11wire.ErrIOTimeout}.Encode(e)
			break
		}
		vxi11wire.ReadResp{Reason: vxi11wire.ReasonEnd, Data: append(msg, '\n')}.Encode(e)
		f.out = rest
	case vxi11wire.ProcDeviceClear:
		vxi11wire.DecodeGenericParms(d)
		f.in, f.out = nil, nil
		e.Int32(0)
	case vxi11wire.ProcDeviceReadStb:
		vxi11wire.DecodeGenericParms(d)
		e.Int32(0)
		e.Uint32(0)
	case vxi11wire.ProcDeviceLock:
		d.Int32()
		d.Uint32()
		d.Uint32()
		e.Int32(0)
	case vxi11wire.ProcDeviceUnlock:
		d.Int32()
		if f.longVerf {
			// AUTH_SHORT, as RFC 5531 allows a server to return: the
			// reply is longer than the usual 28 bytes.
			e.B = e.B[:4]
			e.Uint32(call.XID)
			e.Uint32(1) // REPLY
			e.Uint32(0) // MSG_ACCEPTED
			e.Uint32(2) // AUTH_SHORT
			e.Opaque(bytes.Repeat([]byte{'X'}, 40))
			e.Uint32(0) // SUCCESS
		}
		e.Int32(0)
	case vxi11wire.ProcDestroyLink:
		d.Int32()
		e.Int32(0)
	default:
		e.Int32(int32(vxi11wire.ErrNotSupported))
	}
	return true, late
}
