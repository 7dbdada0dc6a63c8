package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/scpikit/scpikit/internal/oncrpc"
)

// rpcHandler serves one call: d is at the arguments, results go to e.
// A handler whose arguments fail to decode returns GarbageArgs.
type rpcHandler func(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) oncrpc.AcceptStat

// maxRPCRecord bounds a call record: a device_write of the largest
// maxRecvSize we advertise, plus headers.
const maxRPCRecord = 8<<20 + 4096

// maxPortmapRecord bounds a portmapper call (and a VXI-11 device_abort):
// GETPORT is 56 bytes, and RFC 5531 caps each of its two authenticators
// at 400.
const maxPortmapRecord = 4096

// recordChunk is how much of a record fragment is read, and allocated, at
// a time: a fragment header may declare 2 GiB, the memory comes only as
// the bytes do.
const recordChunk = 64 << 10

// readRecord reads one ONC RPC record (RFC 5531 11) into buf, refusing
// records longer than max. Unlike allocating each fragment's declared
// length up front, it grows buf only as bytes arrive, so a peer that
// declares a large fragment and sends nothing costs nothing; h counts
// buf as it grows.
func readRecord(r io.Reader, buf []byte, max int, h *holding) ([]byte, error) {
	buf = buf[:0]
	var hdr [4]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			if len(buf) > 0 && errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return buf, err
		}
		mark := binary.BigEndian.Uint32(hdr[:])
		n := int(mark &^ (1 << 31))
		if n > max-len(buf) { // not len(buf)+n: that can wrap where int is 32 bits
			return buf, fmt.Errorf("%w: %d bytes, limit %d", oncrpc.ErrTooLarge, int64(len(buf))+int64(n), max)
		}
		for n > 0 {
			k := min(n, recordChunk)
			start := len(buf)
			buf = slices.Grow(buf, k)[:start+k]
			h.set(cap(buf))
			if _, err := io.ReadFull(r, buf[start:]); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return buf, err
			}
			n -= k
		}
		if mark&(1<<31) != 0 {
			return buf, nil
		}
	}
}

// serveRPCConn answers calls on one TCP connection until it fails:
// records up to max bytes, each within idle of the last. Its record and
// reply buffers are counted in opts' memory account.
func serveRPCConn(c net.Conn, idle time.Duration, max int, vers uint32, opts ServerOptions, handle rpcHandler) {
	var buf, out []byte // reused: a waveform's buffers are not reallocated per call
	recHeld, outHeld := opts.hold(), opts.hold()
	defer recHeld.release()
	defer outHeld.release()
	for {
		if idle > 0 {
			c.SetReadDeadline(time.Now().Add(idle))
		}
		rec, err := readRecord(c, buf, max, recHeld)
		if err != nil {
			return
		}
		buf = rec[:0]
		reply, ok := answerRPC(out[:0], rec, vers, handle)
		if !ok {
			return // not a call: the peer is not speaking ONC RPC
		}
		out = reply
		outHeld.set(cap(out))
		if idle > 0 {
			c.SetWriteDeadline(time.Now().Add(idle))
		}
		if _, err := c.Write(oncrpc.AppendRecordMark(reply)); err != nil {
			return
		}
	}
}

// answerRPC decodes one call and returns its reply, built in buf, with 4
// bytes reserved in front for the record mark. vers is the one version of
// the program served, told to callers of another.
func answerRPC(buf, rec []byte, vers uint32, handle rpcHandler) ([]byte, bool) {
	d := oncrpc.NewDecoder(rec)
	call, err := oncrpc.DecodeCall(d)
	if err != nil {
		return nil, false
	}
	e := oncrpc.Encoder{B: append(buf[:0], 0, 0, 0, 0)}
	if call.RPCVers != 2 {
		oncrpc.AppendRPCMismatch(&e, call.XID)
		return e.B, true
	}
	// The results go straight after an accepted header, so a large reply
	// (a device_read of a waveform) is not copied again; a call that did
	// not succeed gets its header's accept_stat patched instead.
	oncrpc.AppendAcceptedReply(&e, call.XID, oncrpc.Success)
	head := len(e.B)
	stat := handle(call, d, &e)
	if stat == oncrpc.Success && d.Done() != nil {
		stat = oncrpc.GarbageArgs
	}
	if stat != oncrpc.Success {
		e.B = e.B[:head-4]
		e.Uint32(uint32(stat))
		if stat == oncrpc.ProgMismatch {
			e.Uint32(vers)
			e.Uint32(vers)
		}
	}
	return e.B, true
}

// Portmapper answers portmapper (RFC 1833 v2) calls over TCP and UDP on
// one port, for the programs a simulated server registers: VXI-11
// clients (PyVISA, lxi-tools, ours) ask it where the core channel is, and
// discovery broadcasts GETPORT to it over UDP.
type Portmapper struct {
	opts ServerOptions // connections at most MaxConns, each closed when idle
	tcp  net.Listener
	udp  net.PacketConn
	bc   net.PacketConn // the loopback network's broadcast address, when on loopback
	maps []oncrpc.Mapping
	done chan struct{}
	wg   waitGroup
	acct memAccount // when it serves alone; beside a VXI-11 server, that server's
}

// ServePortmapper listens on addr over TCP and UDP ("127.0.0.1:0" when
// empty; "127.0.0.1:111" for clients that only ask the standard port,
// which needs root) and answers for maps. On a loopback address it also
// hears UDP sent to 127.255.255.255 on its port, so a broadcast on the
// loopback network finds it as a LAN broadcast finds an instrument.
func ServePortmapper(addr string, maps ...oncrpc.Mapping) (*Portmapper, error) {
	return servePortmapper(addr, ServerOptions{}, maps...)
}

// servePortmapper is ServePortmapper with the limits of the server it
// serves beside.
func servePortmapper(addr string, opts ServerOptions, maps ...oncrpc.Mapping) (*Portmapper, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	udp, err := net.ListenPacket("udp", tcp.Addr().String())
	if err != nil {
		tcp.Close()
		return nil, err
	}
	p := &Portmapper{opts: opts.withDefaults(), tcp: tcp, udp: udp, maps: maps, done: make(chan struct{})}
	if p.opts.acct == nil {
		p.opts.acct = &p.acct
	}
	if ua := udp.LocalAddr().(*net.UDPAddr); ua.IP.IsLoopback() && ua.IP.To4() != nil {
		bcAddr := &net.UDPAddr{IP: net.IPv4(127, 255, 255, 255), Port: ua.Port}
		if p.bc, err = net.ListenUDP("udp4", bcAddr); err != nil {
			tcp.Close()
			udp.Close()
			return nil, err
		}
		p.wg.goTrack(func() { p.serveUDP(p.bc) })
	}
	p.wg.goTrack(p.acceptTCP)
	p.wg.goTrack(func() { p.serveUDP(p.udp) })
	return p, nil
}

// Port is the portmapper's port.
func (p *Portmapper) Port() int { return p.tcp.Addr().(*net.TCPAddr).Port }

// Memory is the portmapper's account of what it holds for its
// connections (beside a VXI-11 server, the VXI-11 server's account,
// which it shares).
func (p *Portmapper) Memory() MemoryStats { return p.opts.acct.stats() }

// Close stops the portmapper and waits for its goroutines.
func (p *Portmapper) Close() error {
	listeners := []io.Closer{p.tcp, p.udp}
	if p.bc != nil {
		listeners = append(listeners, p.bc)
	}
	return p.wg.shutdown(p.done, listeners...)
}

func (p *Portmapper) acceptTCP() {
	for {
		c, err := p.tcp.Accept()
		if err != nil {
			return
		}
		if p.wg.count() >= p.opts.MaxConns { // only this goroutine adds connections
			p.opts.Logger.Warn().Str("remote", c.RemoteAddr().String()).Int("max_conns", p.opts.MaxConns).Msg("sim: portmapper: connection refused: too many")
			c.Close()
			continue
		}
		p.wg.track(c, func() { serveRPCConn(c, p.opts.IdleTimeout, maxPortmapRecord, oncrpc.PortmapVers, p.opts, p.handle) })
	}
}

// serveUDP answers calls that arrive on pc; replies always leave from
// the portmapper's own address, never from a broadcast one.
func (p *Portmapper) serveUDP(pc net.PacketConn) {
	buf := make([]byte, 9000)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if reply, ok := answerRPC(nil, buf[:n], oncrpc.PortmapVers, p.handle); ok {
			p.udp.WriteTo(reply[4:], from)
		}
	}
}

func (p *Portmapper) handle(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) oncrpc.AcceptStat {
	if call.Prog != oncrpc.PortmapProg {
		return oncrpc.ProgUnavail
	}
	if call.Vers != oncrpc.PortmapVers {
		return oncrpc.ProgMismatch
	}
	switch call.Proc {
	case oncrpc.PortmapNull:
	case oncrpc.PortmapGetPort:
		want := oncrpc.DecodeMapping(d)
		var port uint32
		for _, m := range p.maps {
			if m.Prog == want.Prog && m.Vers == want.Vers && m.Prot == want.Prot {
				port = m.Port
			}
		}
		e.Uint32(port)
	case oncrpc.PortmapDump:
		for _, m := range p.maps {
			e.Bool(true)
			m.Encode(e)
		}
		e.Bool(false)
	default:
		return oncrpc.ProcUnavail
	}
	return oncrpc.Success
}
