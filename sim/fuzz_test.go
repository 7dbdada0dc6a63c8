package sim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/internal/hislipwire"
	"github.com/scpikit/scpikit/internal/oncrpc"
	"github.com/scpikit/scpikit/internal/vxi11wire"
	"golang.org/x/sys/unix"
)

// FuzzParseBench: any YAML must load or fail with an error, never panic.
func FuzzParseBench(f *testing.F) {
	for _, s := range []string{
		"instruments: {a: {model: SAMPLE, resource: 'TCPIP::h::5025::SOCKET', faults: {latency: 1ms}}}",
		"spec: '1.1'\ndevices: {d: {dialogues: [{q: a, r: b}], properties: {p: {default: 1, getter: {q: '?P', r: '{:d}'}, setter: {q: '!P {:d}'}, specs: {type: int, min: 0, max: 5}}}}}\nresources: {'ASRL1::INSTR': {device: d}}",
		"spec: '1.0'\ndevices: {d: {error: {status_register: [{q: '*ESR?', command_error: 32}]}}}\nresources: {'GPIB::1::INSTR': {device: d}}",
		"[", "instruments: 5", "spec: x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBench(data, ".")
		if err == nil {
			b.Close()
		}
	})
}

// FuzzPyFormat: Python format templates render or fail, never panic.
func FuzzPyFormat(f *testing.F) {
	for _, s := range []string{"{:.2f}", "{:+.8E}", "{:d}", "{}", "<{:>6s}>", "{:08.3f}", "{:,}", "{{}}", "{", "{:x}", "{:^9}"} {
		f.Add(s, int64(42), 3.25, "text")
	}
	f.Fuzz(func(t *testing.T, tmpl string, i int64, x float64, s string) {
		for _, v := range []any{i, x, s} {
			out, err := pyFormat(tmpl, v)
			if err == nil && len(out) > len(tmpl)+1<<16 {
				t.Fatalf("%q of %v: %d bytes", tmpl, v, len(out))
			}
		}
	})
}

// FuzzTemplate: setter templates compile or fail, and matching any
// command never panics.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"!FREQ {:.2f}", "CH{ch_id}:RANG {:d}", "OUTP {:s}", "{}", "VOLT {:f} V", "{:"} {
		f.Add(s, "!FREQ 12.5")
	}
	f.Fuzz(func(t *testing.T, tmpl, cmd string) {
		if len(tmpl) > 200 || strings.Count(tmpl, "{") > 20 {
			return // regexp sizes, not parsing, beyond this
		}
		tp, err := newTemplate(tmpl)
		if err != nil {
			return
		}
		tp.match(cmd)
	})
}

// FuzzVXI11Call feeds arbitrary records to the VXI-11 server's call
// handling (portmapper, core and abort programs): a reply or a refusal,
// never a panic. The server is closed first, so calls that would wait
// (device_read, locks) return at once.
func FuzzVXI11Call(f *testing.F) {
	srv, err := ServeVXI11("", MustNew("SAMPLE"), VXI11Options{Portmapper: "-"})
	if err != nil {
		f.Fatal(err)
	}
	srv.Close()
	var e oncrpc.Encoder
	oncrpc.AppendCall(&e, 1, vxi11wire.CoreProg, vxi11wire.Version, vxi11wire.ProcCreateLink)
	vxi11wire.CreateLinkParms{Device: "inst0"}.Encode(&e)
	f.Add(e.B)
	e = oncrpc.Encoder{}
	oncrpc.AppendCall(&e, 2, vxi11wire.CoreProg, vxi11wire.Version, vxi11wire.ProcDeviceWrite)
	vxi11wire.WriteParms{LinkID: 1, Flags: vxi11wire.FlagEnd, Data: []byte("*IDN?\n")}.Encode(&e)
	f.Add(e.B)
	e = oncrpc.Encoder{}
	oncrpc.AppendCall(&e, 3, vxi11wire.CoreProg, vxi11wire.Version, vxi11wire.ProcDeviceRead)
	vxi11wire.ReadParms{LinkID: 1, RequestSize: 100, IOTimeout: 1000}.Encode(&e)
	f.Add(e.B)
	pm := &Portmapper{maps: []oncrpc.Mapping{{Prog: vxi11wire.CoreProg, Vers: 1, Prot: oncrpc.ProtoTCP, Port: 1}}}
	f.Fuzz(func(t *testing.T, rec []byte) {
		mine := map[int32]bool{}
		handler := func(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) oncrpc.AcceptStat {
			code, _ := srv.core1(call.Proc, d, e, &vxiCaller{mine: mine})
			if code < 0 {
				return oncrpc.ProcUnavail
			}
			return oncrpc.Success
		}
		for _, h := range []rpcHandler{handler, pm.handle} {
			if reply, ok := answerRPC(nil, rec, 1, h); ok {
				if _, err := oncrpc.DecodeReply(oncrpc.NewDecoder(reply[4:])); err != nil {
					var rpcErr *oncrpc.RPCError
					if !errors.As(err, &rpcErr) {
						t.Fatalf("the server's own reply does not decode: %v", err)
					}
				}
			}
		}
		for lid := range mine {
			srv.destroy(lid)
		}
	})
}

// FuzzPrologixHost feeds arbitrary host bytes to the simulated Prologix
// controller: commands, escapes, data; never a panic. The controller is
// closed first, so reads return at once.
func FuzzPrologixHost(f *testing.F) {
	p, err := NewPrologix(map[int]*Instrument{5: MustNew("SAMPLE")}, ServerOptions{})
	if err != nil {
		f.Fatal(err)
	}
	p.Close()
	f.Add([]byte("++ver\n++addr 5\n*IDN?\n++read eoi\n"))
	f.Add([]byte("++addr 5 96\n++spoll\n++eos 3\nDATA:ARB #15\x1b\r\x1b\n\x1b\x1b\x1b++\n"))
	f.Add([]byte("++auto 1\r\n*OPC?\r\n++read 44\n++eot_char 300\n++trg 1 2 5\n+\x1b+addr 3\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var out strings.Builder
		chunks := make(chan []byte, 1)
		chunks <- in
		close(chunks)
		p.run(&out, chunks, nil, make(chan struct{}), "fuzz")
	})
}

// FuzzHiSLIPSession opens a HiSLIP session and sends arbitrary bytes on
// each channel: the server answers or ends the session, never panics or
// hangs. Each execution has a server of its own (no state carried from
// one input to the next) on in-memory connections: over TCP, a ten-second
// run with a worker per CPU left tens of thousands of sockets in
// TIME_WAIT, and dials failed for want of ports.
func FuzzHiSLIPSession(f *testing.F) {
	f.Add(hislipwire.Message(nil, hislipwire.DataEnd, 0, 0xffffff00, []byte("*IDN?\n")),
		hislipwire.Message(nil, hislipwire.AsyncStatusQuery, 0, 0, nil))
	f.Add(hislipwire.Message(nil, hislipwire.DeviceClearComplete, 0, 0, nil),
		hislipwire.Message(hislipwire.Message(nil, hislipwire.AsyncLock, 1, 10, nil), hislipwire.AsyncLock, 0, 0, nil))
	f.Add([]byte("HS\x06\x00\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff"), []byte("HS\x0f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x10"))
	f.Fuzz(func(t *testing.T, syncIn, asyncIn []byte) {
		ln := newPairListener()
		srv := serveHiSLIP(ln, MustNew("SAMPLE"), ServerOptions{MaxLine: 1 << 16})
		defer srv.Close()
		dial := func() *net.UnixConn {
			c, err := ln.dial()
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(5 * time.Second))
			return c
		}
		syn := dial()
		defer syn.Close()
		syn.Write(hislipwire.Message(nil, hislipwire.Initialize, 0, hislipwire.Version<<16, []byte("hislip0")))
		rd := hislipwire.Reader{R: syn, Max: 1 << 20}
		h, err := rd.Next()
		if err != nil || h.Type != hislipwire.InitializeResponse {
			t.Fatalf("Initialize: %+v %v", h, err)
		}
		asy := dial()
		defer asy.Close()
		asy.Write(hislipwire.Message(nil, hislipwire.AsyncInitialize, 0, h.Param&0xffff, nil))
		ard := hislipwire.Reader{R: asy, Max: 1 << 20}
		if h, err := ard.Next(); err != nil || h.Type != hislipwire.AsyncInitializeResponse {
			t.Fatalf("AsyncInitialize: %+v %v", h, err)
		}
		// Both channels are drained while the input goes in, so that
		// replies filling a socket buffer cannot stall the server.
		drained := make(chan error, 2)
		for _, c := range []net.Conn{asy, syn} {
			go func() {
				_, err := io.Copy(io.Discard, c) // until the server ends the session
				drained <- err
			}()
		}
		asy.Write(asyncIn)
		syn.Write(syncIn)
		asy.CloseWrite()
		syn.CloseWrite()
		for range 2 {
			// A reset (the server ended the session with input unread) is
			// an answer; only the deadline means it hung.
			if err := <-drained; errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server did not end the session: %v", err)
			}
		}
	})
}

// pairListener hands the server in-memory connections: each dial is a
// Unix socket pair, buffered and half-closable like TCP but with no port
// and no TIME_WAIT. The server accepts one end, the dialer gets the other.
type pairListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPairListener() *pairListener {
	return &pairListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pairListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pairListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *pairListener) Addr() net.Addr { return &net.UnixAddr{Name: "socketpair", Net: "unix"} }

func (l *pairListener) dial() (*net.UnixConn, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	var ends [2]*net.UnixConn
	for i, fd := range fds {
		f := os.NewFile(uintptr(fd), "socketpair")
		c, err := net.FileConn(f) // a duplicate of fd
		f.Close()
		if err != nil {
			if i == 0 {
				unix.Close(fds[1])
			} else {
				ends[0].Close()
			}
			return nil, fmt.Errorf("socketpair: %w", err)
		}
		ends[i] = c.(*net.UnixConn)
	}
	select {
	case l.conns <- ends[1]:
		return ends[0], nil
	case <-l.done:
		ends[0].Close()
		ends[1].Close()
		return nil, net.ErrClosed
	}
}
