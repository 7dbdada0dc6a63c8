package sim

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scpikit/scpikit/internal/oncrpc"
	"github.com/scpikit/scpikit/internal/vxi11wire"
)

// VXI11Options configure a VXI-11 server.
type VXI11Options struct {
	ServerOptions
	// Portmapper is the address of the portmapper the server starts
	// beside its core channel: "127.0.0.1:0" (a free port) when empty;
	// "127.0.0.1:111" for clients that only ask the standard port, which
	// needs root. "-" starts none (when one already runs there).
	Portmapper string
	// MaxRecvSize is the largest device_write the server accepts, told to
	// clients in create_link (1 MiB when zero, at least 1024).
	MaxRecvSize int
}

// VXI11Server serves one simulated instrument over VXI-11: a core channel
// (create_link, device_write/read with END and chunking, readstb, trigger,
// clear, remote/local, lock/unlock, destroy_link), an abort channel and
// its own portmapper. Each link is a separate client of the instrument,
// with its own buffers, as the standard's links are.
type VXI11Server struct {
	in      *Instrument
	opts    VXI11Options
	core    net.Listener
	abortLn net.Listener
	pm      *Portmapper
	done    chan struct{}
	wg      waitGroup

	mu      sync.Mutex
	links   map[int32]*vxiLink
	nextLID int32
	locker  int32         // link holding the lock, 0 when none
	unlock  chan struct{} // closed when the lock is released
	remote  atomic.Bool
	acct    memAccount // the core, abort and portmapper connections' and the links'
}

type vxiLink struct {
	id     int32
	device string
	mc     *msgClient
	abort  chan struct{} // device_abort arrived
}

// ServeVXI11 serves in over VXI-11 with the core channel on addr
// ("127.0.0.1:0" when empty) and the portmapper as opts say.
func ServeVXI11(addr string, in *Instrument, opts VXI11Options) (*VXI11Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	opts.ServerOptions = opts.withDefaults()
	if opts.MaxRecvSize <= 0 {
		opts.MaxRecvSize = 1 << 20
	}
	opts.MaxRecvSize = min(max(opts.MaxRecvSize, 1024), maxRPCRecord-4096)
	core, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: vxi11: %w", err)
	}
	host, _, _ := net.SplitHostPort(core.Addr().String())
	abortLn, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		core.Close()
		return nil, fmt.Errorf("sim: vxi11 abort channel: %w", err)
	}
	s := &VXI11Server{in: in, opts: opts, core: core, abortLn: abortLn, done: make(chan struct{}),
		links: map[int32]*vxiLink{}, nextLID: 1, unlock: make(chan struct{})}
	s.opts.acct = &s.acct // the portmapper's connections count here too
	if opts.Portmapper != "-" {
		pmAddr := opts.Portmapper
		if pmAddr == "" {
			pmAddr = net.JoinHostPort(host, "0")
		}
		corePort := uint32(core.Addr().(*net.TCPAddr).Port)
		s.pm, err = servePortmapper(pmAddr, s.opts.ServerOptions, oncrpc.Mapping{Prog: vxi11wire.CoreProg, Vers: vxi11wire.Version, Prot: oncrpc.ProtoTCP, Port: corePort})
		if err != nil {
			core.Close()
			abortLn.Close()
			return nil, fmt.Errorf("sim: vxi11 portmapper: %w", err)
		}
	}
	s.wg.goTrack(func() { s.accept(s.core, s.handleCore) })
	s.wg.goTrack(func() { s.accept(s.abortLn, s.handleAbort) })
	return s, nil
}

// Addr is the core channel's address.
func (s *VXI11Server) Addr() *net.TCPAddr { return s.core.Addr().(*net.TCPAddr) }

// PortmapperPort is the port of the server's portmapper (0 when it runs
// none): give it to clients with transport.WithPortmapperPort.
func (s *VXI11Server) PortmapperPort() int {
	if s.pm == nil {
		return 0
	}
	return s.pm.Port()
}

// Resource is the VISA resource string of the server's instrument.
func (s *VXI11Server) Resource() string {
	return "TCPIP0::" + resourceHost(s.Addr()) + "::inst0::INSTR"
}

// Instrument is the instrument served.
func (s *VXI11Server) Instrument() *Instrument { return s.in }

// Remote reports whether a client last put the instrument in remote
// state (device_remote) rather than local.
func (s *VXI11Server) Remote() bool { return s.remote.Load() }

// Memory is the server's account of what it holds for its clients: the
// core, abort and portmapper connections' records and replies, and each
// link's input and output.
func (s *VXI11Server) Memory() MemoryStats { return s.acct.stats() }

// Links is the number of links open.
func (s *VXI11Server) Links() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.links)
}

// Close stops the server: listeners, connections, portmapper.
func (s *VXI11Server) Close() error {
	listeners := []io.Closer{s.core, s.abortLn}
	if s.pm != nil {
		listeners = append(listeners, s.pm)
	}
	return s.wg.shutdown(s.done, listeners...)
}

func (s *VXI11Server) accept(ln net.Listener, handle func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		if s.wg.count() >= 2*s.opts.MaxConns {
			s.opts.Logger.Warn().Str("remote", c.RemoteAddr().String()).Msg("sim: vxi11: connection refused: too many")
			c.Close()
			continue
		}
		s.wg.track(c, func() { handle(c) })
	}
}

func (s *VXI11Server) handleAbort(c net.Conn) {
	serveRPCConn(c, time.Minute, maxPortmapRecord, vxi11wire.Version, s.opts.ServerOptions, func(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) oncrpc.AcceptStat {
		if call.Prog != vxi11wire.AbortProg {
			return oncrpc.ProgUnavail
		}
		if call.Vers != vxi11wire.Version {
			return oncrpc.ProgMismatch
		}
		if call.Proc != vxi11wire.ProcDeviceAbort {
			return oncrpc.ProcUnavail
		}
		lid := d.Int32()
		if d.Err() != nil {
			return oncrpc.GarbageArgs
		}
		s.mu.Lock()
		lk := s.links[lid]
		s.mu.Unlock()
		if lk == nil {
			e.Int32(int32(vxi11wire.ErrInvalidLink))
			return oncrpc.Success
		}
		select {
		case lk.abort <- struct{}{}:
		default:
		}
		e.Int32(0)
		return oncrpc.Success
	})
}

// handleCore serves one core channel connection; the links it created
// are destroyed when it ends, as a real instrument does when its client
// goes away.
func (s *VXI11Server) handleCore(c net.Conn) {
	remote := c.RemoteAddr().String()
	mine := map[int32]bool{}
	dropped := make(chan struct{})
	// A VXI-11 client sends nothing on the core channel while a call of
	// its waits: what it does send ahead beyond the watch's room ends the
	// wait (see peerConn.fullIsGone).
	pc := &peerConn{Conn: c, fullIsGone: true, hold: s.opts.hold()}
	defer pc.hold.release()
	caller := &vxiCaller{mine: mine, dropped: dropped, conn: pc}
	var once sync.Once
	s.opts.Logger.Info().Str("remote", remote).Str("model", s.in.model).Msg("sim: vxi11 client connected")
	// Logged last, once the links are destroyed and their buffers given
	// back to the account.
	defer s.opts.Logger.Info().Str("remote", remote).Msg("sim: vxi11 client disconnected")
	unregister := s.in.onDrop(func() { once.Do(func() { close(dropped) }); c.Close() })
	defer unregister()
	defer func() {
		for lid := range mine {
			s.destroy(lid)
		}
	}()
	// A client sends no more than the maxRecvSize create_link told it
	// (VXI-11 B.6.1), plus the call's headers.
	serveRPCConn(pc, s.opts.IdleTimeout, s.opts.MaxRecvSize+4096, vxi11wire.Version, s.opts.ServerOptions, func(call oncrpc.Call, d *oncrpc.Decoder, e *oncrpc.Encoder) oncrpc.AcceptStat {
		if call.Prog != vxi11wire.CoreProg {
			return oncrpc.ProgUnavail
		}
		if call.Vers != vxi11wire.Version {
			return oncrpc.ProgMismatch
		}
		code, drop := s.core1(call.Proc, d, e, caller)
		pc.endWatch()
		if code < 0 {
			return oncrpc.ProcUnavail
		}
		if d.Err() != nil {
			return oncrpc.GarbageArgs
		}
		if drop {
			c.Close()
		}
		return oncrpc.Success
	})
}

// vxiCaller is the connection a core channel call came on: the links it
// created, which are the only ones its calls may use (link IDs are
// handed out in sequence: another client's are easy to guess), and what
// ends its waits early.
type vxiCaller struct {
	mine    map[int32]bool
	dropped <-chan struct{} // closed when a fault drops the instrument's links
	conn    *peerConn       // nil when core1 is called with no connection (the fuzz test)
}

// gone is a channel closed if the caller's client goes away while its
// call waits (see peerConn); nil, which never closes, with no connection.
func (v *vxiCaller) gone() <-chan struct{} {
	if v.conn == nil {
		return nil
	}
	return v.conn.goneSignal()
}

// use finds the caller's link lid for an operation, waiting for another
// link's lock when flags say so, up to lockTimeout ms.
func (s *VXI11Server) use(v *vxiCaller, lid int32, flags, lockTimeout uint32) (*vxiLink, vxi11wire.ErrorCode) {
	if !v.mine[lid] {
		return nil, vxi11wire.ErrInvalidLink
	}
	return s.awaitLock(v, lid, flags, lockTimeout, false)
}

// core1 runs one core channel procedure. It returns -1 for an unknown
// procedure, and drop when a fault dropped the link.
func (s *VXI11Server) core1(proc uint32, d *oncrpc.Decoder, e *oncrpc.Encoder, v *vxiCaller) (code int, drop bool) {
	switch proc {
	case vxi11wire.ProcCreateLink:
		p := vxi11wire.DecodeCreateLinkParms(d)
		if d.Err() != nil {
			return 0, false
		}
		e.B = append(e.B, s.createLink(v, p)...)
	case vxi11wire.ProcDeviceWrite:
		p := vxi11wire.DecodeWriteParms(d)
		if d.Err() != nil {
			return 0, false
		}
		lk, errc := s.use(v, p.LinkID, p.Flags, p.LockTimeout)
		resp := vxi11wire.WriteResp{Error: errc}
		if lk != nil {
			s.trace("recv", p.Data)
			if err := lk.mc.write(p.Data, p.Flags&vxi11wire.FlagEnd != 0, v.gone, s.done, v.dropped); err != nil {
				resp.Error, drop = vxi11wire.ErrIO, true
			} else {
				resp.Size = uint32(len(p.Data))
			}
		}
		resp.Encode(e)
	case vxi11wire.ProcDeviceRead:
		p := vxi11wire.DecodeReadParms(d)
		if d.Err() != nil {
			return 0, false
		}
		lk, errc := s.use(v, p.LinkID, p.Flags, p.LockTimeout)
		resp := vxi11wire.ReadResp{Error: errc}
		if lk != nil {
			resp = s.read(v, lk, p)
		}
		resp.Encode(e)
	case vxi11wire.ProcDeviceReadStb, vxi11wire.ProcDeviceTrigger, vxi11wire.ProcDeviceClear,
		vxi11wire.ProcDeviceRemote, vxi11wire.ProcDeviceLocal:
		p := vxi11wire.DecodeGenericParms(d)
		if d.Err() != nil {
			return 0, false
		}
		lk, errc := s.use(v, p.LinkID, p.Flags, p.LockTimeout)
		var stb byte
		if lk != nil {
			switch proc {
			case vxi11wire.ProcDeviceReadStb:
				stb = lk.mc.statusByte()
			case vxi11wire.ProcDeviceTrigger:
				if err := lk.mc.trigger(); err != nil {
					errc, drop = vxi11wire.ErrIO, true
				}
			case vxi11wire.ProcDeviceClear:
				lk.mc.clear()
			case vxi11wire.ProcDeviceRemote:
				s.remote.Store(true)
			case vxi11wire.ProcDeviceLocal:
				s.remote.Store(false)
			}
		}
		e.Int32(int32(errc))
		if proc == vxi11wire.ProcDeviceReadStb {
			e.Uint32(uint32(stb))
		}
	case vxi11wire.ProcDeviceLock:
		p := vxi11wire.DecodeLockParms(d)
		if d.Err() != nil {
			return 0, false
		}
		e.Int32(int32(s.lock(v, p)))
	case vxi11wire.ProcDeviceUnlock:
		lid := d.Int32()
		if d.Err() != nil {
			return 0, false
		}
		if !v.mine[lid] {
			e.Int32(int32(vxi11wire.ErrInvalidLink))
			break
		}
		e.Int32(int32(s.release(lid)))
	case vxi11wire.ProcDestroyLink:
		lid := d.Int32()
		if d.Err() != nil {
			return 0, false
		}
		if !v.mine[lid] {
			e.Int32(int32(vxi11wire.ErrInvalidLink))
			break
		}
		delete(v.mine, lid)
		s.destroy(lid)
		e.Int32(0)
	case vxi11wire.ProcDeviceEnableSRQ, vxi11wire.ProcDeviceDoCmd, vxi11wire.ProcCreateIntrChan, vxi11wire.ProcDestroyIntrChan:
		// Service requests and docmd are not simulated; say so as the
		// standard allows, and consume the arguments.
		d.B = nil
		e.Int32(int32(vxi11wire.ErrNotSupported))
		if proc == vxi11wire.ProcDeviceDoCmd {
			e.Opaque(nil)
		}
	default:
		return -1, false
	}
	return 0, drop
}

func (s *VXI11Server) trace(dir string, data []byte) {
	if s.opts.Logger.Debug().Enabled() {
		s.opts.Logger.Debug().Str("link", "vxi11").Bytes("data", data[:min(len(data), 256)]).Int("bytes", len(data)).Msg("sim: " + dir)
	}
}

// createLink accepts the device names "inst0", "inst1", ...
func (s *VXI11Server) createLink(v *vxiCaller, p vxi11wire.CreateLinkParms) []byte {
	var e oncrpc.Encoder
	name := strings.ToLower(p.Device)
	if n, ok := strings.CutPrefix(name, "inst"); !ok || n == "" || strings.Trim(n, "0123456789") != "" {
		vxi11wire.CreateLinkResp{Error: vxi11wire.ErrNotAccessible}.Encode(&e)
		return e.B
	}
	s.mu.Lock()
	if len(s.links) >= s.opts.MaxConns {
		s.mu.Unlock()
		vxi11wire.CreateLinkResp{Error: vxi11wire.ErrOutOfResources}.Encode(&e)
		return e.B
	}
	lk := &vxiLink{id: s.nextLID, device: p.Device, mc: newMsgClient(s.in, s.opts.ServerOptions), abort: make(chan struct{}, 1)}
	s.nextLID++
	s.links[lk.id] = lk
	s.mu.Unlock()
	v.mine[lk.id] = true
	resp := vxi11wire.CreateLinkResp{LinkID: lk.id, AbortPort: uint16(s.abortLn.Addr().(*net.TCPAddr).Port), MaxRecvSize: uint32(s.opts.MaxRecvSize)}
	if p.LockDevice {
		if code := s.lock(v, vxi11wire.LockParms{LinkID: lk.id, Flags: vxi11wire.FlagWaitLock, LockTimeout: p.LockTimeout}); code != 0 {
			s.destroy(lk.id)
			delete(v.mine, lk.id)
			resp = vxi11wire.CreateLinkResp{Error: code}
		}
	}
	resp.Encode(&e)
	return e.B
}

func (s *VXI11Server) destroy(lid int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lk := s.links[lid]; lk != nil {
		lk.mc.release()
	}
	delete(s.links, lid)
	if s.locker == lid {
		s.unlockLocked()
	}
}

func (s *VXI11Server) lock(v *vxiCaller, p vxi11wire.LockParms) vxi11wire.ErrorCode {
	if !v.mine[p.LinkID] {
		return vxi11wire.ErrInvalidLink
	}
	_, code := s.awaitLock(v, p.LinkID, p.Flags, p.LockTimeout, true)
	return code
}

// awaitLock waits until no other link holds the lock (with waitlock in
// flags, up to lockTimeout ms; else not at all) and, when take is set,
// takes it for lid.
func (s *VXI11Server) awaitLock(v *vxiCaller, lid int32, flags, lockTimeout uint32, take bool) (*vxiLink, vxi11wire.ErrorCode) {
	deadline := time.Now().Add(time.Duration(lockTimeout) * time.Millisecond)
	for {
		s.mu.Lock()
		lk := s.links[lid]
		switch {
		case lk == nil:
			s.mu.Unlock()
			return nil, vxi11wire.ErrInvalidLink
		case take && s.locker == lid:
			s.mu.Unlock()
			return nil, vxi11wire.ErrLocked // VXI-11 B.6.9: a link cannot lock twice
		case s.locker == 0 || s.locker == lid:
			if take {
				s.locker = lid
			}
			s.mu.Unlock()
			return lk, vxi11wire.ErrNone
		}
		freed := s.unlock
		s.mu.Unlock()
		if flags&vxi11wire.FlagWaitLock != 0 {
			s.opts.Logger.Debug().Int32("link", lid).Bool("take", take).Msg("sim: vxi11 lock request waits")
		}
		if flags&vxi11wire.FlagWaitLock == 0 || !s.waitUnlock(v, freed, deadline) {
			return nil, vxi11wire.ErrLocked
		}
	}
}

// waitUnlock waits until the lock is freed, the deadline passes, the
// server closes or, for a long wait, the caller's client goes away.
func (s *VXI11Server) waitUnlock(v *vxiCaller, freed chan struct{}, deadline time.Time) bool {
	left := time.Until(deadline)
	if left <= 0 {
		return false
	}
	var gone <-chan struct{}
	if left > watchAfter {
		gone = v.gone()
	}
	t := time.NewTimer(left)
	defer t.Stop()
	select {
	case <-freed:
		return true
	case <-t.C:
	case <-s.done:
	case <-gone:
	}
	return false
}

func (s *VXI11Server) release(lid int32) vxi11wire.ErrorCode {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.links[lid] == nil {
		return vxi11wire.ErrInvalidLink
	}
	if s.locker != lid {
		return vxi11wire.ErrNoLock
	}
	s.unlockLocked()
	return vxi11wire.ErrNone
}

// unlockLocked frees the lock and wakes its waiters; s.mu is held.
func (s *VXI11Server) unlockLocked() {
	s.locker = 0
	close(s.unlock)
	s.unlock = make(chan struct{})
}

func (s *VXI11Server) read(v *vxiCaller, lk *vxiLink, p vxi11wire.ReadParms) vxi11wire.ReadResp {
	select { // an abort sent before this read does not abort it
	case <-lk.abort:
	default:
	}
	term := -1
	if p.Flags&vxi11wire.FlagTermChrSet != 0 {
		term = int(p.TermChar)
	}
	size := int(min(p.RequestSize, uint32(vxi11wire.MaxData)))
	if size == 0 {
		return vxi11wire.ReadResp{Error: vxi11wire.ErrParameter}
	}
	data, res := lk.mc.read(nil, size, term, time.Duration(p.IOTimeout)*time.Millisecond, v.gone, lk.abort, s.done, v.dropped)
	switch res {
	case readTimeout:
		return vxi11wire.ReadResp{Error: vxi11wire.ErrIOTimeout}
	case readAborted:
		return vxi11wire.ReadResp{Error: vxi11wire.ErrAbort}
	}
	s.trace("send", data)
	resp := vxi11wire.ReadResp{Data: data}
	if res&readEnd != 0 {
		resp.Reason |= vxi11wire.ReasonEnd
	}
	if res&readTerm != 0 {
		resp.Reason |= vxi11wire.ReasonChr
	}
	if resp.Reason == 0 {
		resp.Reason = vxi11wire.ReasonReqCnt
	}
	return resp
}
