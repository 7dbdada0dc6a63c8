package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scpikit/scpikit/internal/hislipwire"
)

// HiSLIPServer serves one simulated instrument over HiSLIP (IVI-6.1) in
// synchronized mode: sessions of a synchronous and an asynchronous
// channel; Data/DataEnd messages with MessageIDs, split at the client's
// maximum message size; device clear; status query; Trigger; exclusive
// locks that hold other sessions' messages until released; remote/local.
// Errors in what a client sends get the Error and FatalError messages
// the specification gives. Each session is a separate client of the
// instrument.
type HiSLIPServer struct {
	in   *Instrument
	opts ServerOptions
	ln   net.Listener
	done chan struct{}
	wg   waitGroup
	// maxMsg is the largest message the server accepts.
	maxMsg uint64
	// responded, when set (by tests), runs after each response is sent,
	// widening the window between a response's last byte and the end of
	// respond.
	responded func()

	mu       sync.Mutex
	sessions map[uint16]*hislipSession
	nextID   uint16
	locker   uint16            // session holding the exclusive lock, 0 when none
	shared   map[uint16]string // sessions holding a shared lock, and its lock string
	unlocked chan struct{}     // closed when a lock is released
	remote   atomic.Bool
	acct     memAccount // sessions' input and output, synchronous channels' payloads
}

type hislipSession struct {
	id        uint16
	cl        *Client
	clmu      sync.Mutex // cl, used by both channels
	inFlight  atomic.Bool
	asyncUp   chan struct{}
	clear     chan struct{} // AsyncDeviceClear arrived
	clientMax atomic.Uint64
	closed    chan struct{}
	closeOnce sync.Once
	connsMu   sync.Mutex // conns; the end of the session and the asynchronous channel's arrival
	conns     []net.Conn
}

func (s *hislipSession) end() {
	s.closeOnce.Do(func() {
		s.connsMu.Lock()
		defer s.connsMu.Unlock()
		close(s.closed)
		for _, c := range s.conns {
			c.Close()
		}
	})
}

// attach adds the asynchronous channel c to the session, unless the
// session has ended (a client that gave up in the middle of its
// handshake): then nothing would close c with the session.
func (s *hislipSession) attach(c net.Conn) bool {
	s.connsMu.Lock()
	defer s.connsMu.Unlock()
	select {
	case <-s.closed:
		return false
	default:
	}
	s.conns = append(s.conns, c)
	return true
}

// ServeHiSLIP listens on addr ("127.0.0.1:0" when empty; HiSLIP's
// standard port is 4880) and serves in until Close.
func ServeHiSLIP(addr string, in *Instrument, opts ServerOptions) (*HiSLIPServer, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: hislip: %w", err)
	}
	return serveHiSLIP(ln, in, opts), nil
}

// serveHiSLIP serves in on connections from ln, which Close closes. The
// fuzz test hands it in-memory connections, so that thousands of
// sessions a second cost no ports.
func serveHiSLIP(ln net.Listener, in *Instrument, opts ServerOptions) *HiSLIPServer {
	opts = opts.withDefaults()
	s := &HiSLIPServer{in: in, opts: opts, ln: ln, done: make(chan struct{}), maxMsg: uint64(opts.MaxLine),
		sessions: map[uint16]*hislipSession{}, nextID: 1, unlocked: make(chan struct{}), shared: map[uint16]string{}}
	s.opts.acct = &s.acct
	s.wg.goTrack(s.accept)
	return s
}

// Addr is the address the server listens on.
func (s *HiSLIPServer) Addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// Resource is the VISA resource string that reaches the server.
func (s *HiSLIPServer) Resource() string {
	return fmt.Sprintf("TCPIP0::%s::hislip0,%d::INSTR", resourceHost(s.Addr()), s.Addr().Port)
}

// Instrument is the instrument served.
func (s *HiSLIPServer) Instrument() *Instrument { return s.in }

// Remote reports whether a client last put the instrument in remote state.
func (s *HiSLIPServer) Remote() bool { return s.remote.Load() }

// Memory is the server's account of what it holds for its sessions:
// their input and output, and the Data messages' payloads being read.
func (s *HiSLIPServer) Memory() MemoryStats { return s.acct.stats() }

// Sessions is the number of sessions open.
func (s *HiSLIPServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.sessions)
}

// Close stops the server and ends every session.
func (s *HiSLIPServer) Close() error {
	return s.wg.shutdown(s.done, s.ln)
}

func (s *HiSLIPServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		// Two connections a session (synchronous and asynchronous), as
		// VXI-11 allows two a link; more are closed before they cost a
		// goroutine.
		if s.wg.count() >= 2*s.opts.MaxConns { // only this goroutine adds connections
			s.opts.Logger.Warn().Str("remote", c.RemoteAddr().String()).Msg("sim: hislip: connection refused: too many")
			c.Close()
			continue
		}
		s.wg.track(c, func() { s.serve(c) })
	}
}

// fatal sends FatalError: the client must close the session.
func fatal(c net.Conn, code byte, msg string) {
	c.SetWriteDeadline(time.Now().Add(time.Second))
	hislipwire.Write(c, hislipwire.FatalError, code, 0, []byte(msg))
}

// next reads the next header; a bad one gets FatalError 1. It reports
// false when the connection must end.
func next(c net.Conn, rd *hislipwire.Reader) (hislipwire.Header, bool) {
	h, err := rd.Next()
	if err != nil {
		if errors.Is(err, hislipwire.ErrBadHeader) {
			fatal(c, hislipwire.FatalBadHeader, "poorly formed message header")
		}
		return h, false
	}
	return h, true
}

// serve reads a connection's first message, which says which channel it
// is.
func (s *HiSLIPServer) serve(c net.Conn) {
	rd := &hislipwire.Reader{R: c, Max: 256}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	h, ok := next(c, rd)
	if !ok {
		return
	}
	payload, err := rd.Payload()
	if err != nil {
		fatal(c, hislipwire.FatalBadInit, "initialization message too long")
		return
	}
	c.SetReadDeadline(time.Time{})
	switch h.Type {
	case hislipwire.Initialize:
		s.serveSync(c, rd, h, string(payload))
	case hislipwire.AsyncInitialize:
		s.serveAsync(c, rd, uint16(h.Param))
	default:
		fatal(c, hislipwire.FatalBadInit, "the first message must be Initialize or AsyncInitialize")
	}
}

func (s *HiSLIPServer) serveSync(c net.Conn, rd *hislipwire.Reader, h hislipwire.Header, sub string) {
	name := strings.ToLower(sub)
	if n, ok := strings.CutPrefix(name, "hislip"); !ok || n == "" || strings.Trim(n, "0123456789") != "" {
		fatal(c, hislipwire.FatalBadInit, "unknown sub-address "+sub)
		return
	}
	s.mu.Lock()
	if len(s.sessions) >= s.opts.MaxConns {
		s.mu.Unlock()
		fatal(c, hislipwire.FatalTooManyClients, "too many clients")
		return
	}
	for s.sessions[s.nextID] != nil || s.nextID == 0 {
		s.nextID++
	}
	ss := &hislipSession{id: s.nextID, cl: s.in.NewClient(), asyncUp: make(chan struct{}), clear: make(chan struct{}, 1), closed: make(chan struct{}), conns: []net.Conn{c}}
	ss.cl.MaxInput, ss.cl.MaxOutput = s.opts.MaxLine, s.opts.MaxOutput
	// A payload of many messages (queries joined by newlines) is run a
	// stretch at a time, each stretch's responses sent before the next
	// runs: MaxOutput bounds each message's response, this the output
	// of all of them together.
	ss.cl.pauseAt = streamPauseAt
	ss.cl.hold, ss.cl.log = s.opts.hold(), s.opts.Logger
	ss.cl.interrupt = func() bool { return closedAny(s.done, ss.closed) }
	ss.clientMax.Store(1 << 20)
	s.nextID++
	s.sessions[ss.id] = ss
	s.mu.Unlock()
	opened := false
	defer func() {
		s.endSession(ss)
		if opened { // logged once the session is gone and its locks released
			s.opts.Logger.Info().Uint16("session", ss.id).Msg("sim: hislip session closed")
		}
	}()
	unregister := s.in.onDrop(ss.end)
	defer unregister()

	version := min(uint16(h.Param>>16), hislipwire.Version)
	if err := hislipwire.Write(c, hislipwire.InitializeResponse, 0, uint32(version)<<16|uint32(ss.id), nil); err != nil {
		return
	}
	s.opts.Logger.Info().Str("remote", c.RemoteAddr().String()).Uint16("session", ss.id).Msg("sim: hislip session opened")
	opened = true
	rd.Max = s.maxMsg
	payHeld := s.opts.hold() // rd's payload buffer
	defer payHeld.release()
	for {
		if s.opts.IdleTimeout > 0 {
			c.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
		}
		h, ok := next(c, rd)
		if !ok {
			return
		}
		select {
		case <-ss.asyncUp:
		default:
			fatal(c, hislipwire.FatalNoChannels, "the asynchronous channel is not established")
			return
		}
		if !s.syncMessage(c, rd, ss, h, payHeld) {
			return
		}
	}
}

// syncMessage handles one message on the synchronous channel; false ends
// the session.
func (s *HiSLIPServer) syncMessage(c net.Conn, rd *hislipwire.Reader, ss *hislipSession, h hislipwire.Header, payHeld *holding) bool {
	switch h.Type {
	case hislipwire.Data, hislipwire.DataEnd:
		if h.Length > s.maxMsg {
			if rd.Skip() != nil {
				return false
			}
			return hislipwire.Write(c, hislipwire.Error, hislipwire.ErrMessageTooLarge, 0, []byte("message too large")) == nil
		}
		payHeld.atLeast(int(h.Length)) // Payload allocates it before the bytes come
		payload, err := rd.Payload()
		if err != nil {
			return false
		}
		payHeld.set(cap(payload))
		if !s.waitLock(ss) {
			return false
		}
		if s.opts.Logger.Debug().Enabled() {
			s.opts.Logger.Debug().Str("link", "hislip").Bytes("data", payload[:min(len(payload), 256)]).Int("bytes", len(payload)).Msg("sim: recv")
		}
		ss.clmu.Lock()
		_, werr := ss.cl.Write(payload)
		if werr == nil && h.Type == hislipwire.DataEnd && (len(payload) == 0 || payload[len(payload)-1] != '\n') {
			_, werr = ss.cl.Write([]byte{'\n'})
		}
		for {
			// Only this goroutine adds output, so the slice stays valid
			// while it is sent. It is in flight from the moment it leaves
			// cl, under clmu, so that no status query sees MAV clear in
			// between.
			out := ss.cl.TakeOutput()
			if len(out) > 0 {
				ss.inFlight.Store(true)
			}
			ss.clmu.Unlock()
			if len(out) > 0 && !s.respond(c, ss, h.Param, out) {
				return false
			}
			if werr != nil {
				return false
			}
			// Messages held back while that output was sent run now.
			ss.clmu.Lock()
			var more bool
			if more, werr = ss.cl.resume(); !more && werr == nil && ss.cl.Pending() == 0 {
				ss.clmu.Unlock()
				return true
			}
		}
	case hislipwire.Trigger:
		if rd.Skip() != nil || !s.waitLock(ss) {
			return false
		}
		ss.clmu.Lock()
		err := ss.cl.Execute([]byte("*TRG"))
		ss.clmu.Unlock()
		return err == nil
	case hislipwire.DeviceClearComplete:
		if rd.Skip() != nil {
			return false
		}
		ss.clmu.Lock()
		ss.cl.Clear()
		ss.clmu.Unlock()
		select {
		case <-ss.clear: // the clear is complete
		default:
		}
		return hislipwire.Write(c, hislipwire.DeviceClearAcknowledge, 0, 0, nil) == nil
	case hislipwire.Initialize, hislipwire.AsyncInitialize:
		fatal(c, hislipwire.FatalBadInit, "initialization message in an open session")
		return false
	}
	if rd.Skip() != nil {
		return false
	}
	code := byte(hislipwire.ErrUnrecognizedType)
	if h.Type >= 128 {
		code = hislipwire.ErrUnrecognizedVendor
	}
	return hislipwire.Write(c, hislipwire.Error, code, 0, []byte(fmt.Sprintf("message type %d not recognized on the synchronous channel", h.Type))) == nil
}

// respond sends a response as Data messages no longer than the client
// accepts, the last one DataEnd, under the instrument's faults; a device
// clear drops a delayed response. The caller has set ss.inFlight; it is
// cleared before the DataEnd goes out, as a real instrument's output
// queue is empty once it has handed over the last byte: a client that
// has the whole response and asks for the status byte must not see MAV.
func (s *HiSLIPServer) respond(c net.Conn, ss *hislipSession, msgID uint32, out []byte) bool {
	defer ss.inFlight.Store(false) // a dropped response, or a failed write
	if s.responded != nil {
		defer s.responded()
	}
	send, ok := shaped(s.in, out, s.done, ss.closed, ss.clear)
	if !ok {
		select {
		case <-s.done:
			return false
		case <-ss.closed:
			return false
		default:
			return true // a device clear: the delayed response is dropped
		}
	}
	if !send {
		return true
	}
	if s.opts.Logger.Debug().Enabled() {
		s.opts.Logger.Debug().Str("link", "hislip").Bytes("data", out[:min(len(out), 256)]).Int("bytes", len(out)).Msg("sim: send")
	}
	limit := max(ss.clientMax.Load(), hislipwire.HeaderSize+1) - hislipwire.HeaderSize
	if s.opts.IdleTimeout > 0 {
		// A client that takes nothing of its response for this long is
		// as gone as one that sends nothing.
		c.SetWriteDeadline(time.Now().Add(s.opts.IdleTimeout))
	}
	for len(out) > 0 {
		n := min(uint64(len(out)), limit)
		typ := byte(hislipwire.Data)
		if n == uint64(len(out)) {
			typ = hislipwire.DataEnd
			ss.inFlight.Store(false)
		}
		if err := hislipwire.Write(c, typ, 0, msgID, out[:n]); err != nil {
			return false
		}
		out = out[n:]
	}
	return true
}

// waitLock holds a session's message while another session has the
// exclusive lock, or shared locks this session is not part of.
func (s *HiSLIPServer) waitLock(ss *hislipSession) bool {
	for {
		s.mu.Lock()
		if s.mayUse(ss.id) {
			s.mu.Unlock()
			return true
		}
		freed := s.unlocked
		s.mu.Unlock()
		select {
		case <-freed:
		case <-ss.closed:
			return false
		case <-s.done:
			return false
		}
	}
}

// mayUse reports whether session id may send messages now; s.mu is held.
func (s *HiSLIPServer) mayUse(id uint16) bool {
	if s.locker != 0 && s.locker != id {
		return false
	}
	if _, mine := s.shared[id]; mine || s.locker == id {
		return true
	}
	return len(s.shared) == 0
}

func (s *HiSLIPServer) endSession(ss *hislipSession) {
	ss.end()
	ss.clmu.Lock()
	ss.cl.hold.release()
	ss.clmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, ss.id)
	_, shared := s.shared[ss.id]
	if s.locker == ss.id || shared {
		if s.locker == ss.id {
			s.locker = 0
		}
		delete(s.shared, ss.id)
		s.released()
	}
}

// released wakes everyone waiting for a lock; s.mu is held.
func (s *HiSLIPServer) released() {
	close(s.unlocked)
	s.unlocked = make(chan struct{})
}

func (s *HiSLIPServer) serveAsync(c net.Conn, rd *hislipwire.Reader, id uint16) {
	s.mu.Lock()
	ss := s.sessions[id]
	if ss != nil {
		select {
		case <-ss.asyncUp:
			ss = nil // already has one
		default:
			if ss.attach(c) {
				close(ss.asyncUp)
			} else {
				ss = nil // it ended
			}
		}
	}
	s.mu.Unlock()
	if ss == nil {
		fatal(c, hislipwire.FatalBadInit, fmt.Sprintf("no session %d waiting for its asynchronous channel", id))
		return
	}
	defer ss.end()
	if err := hislipwire.Write(c, hislipwire.AsyncInitializeResponse, 0, 'S'<<8|'K', nil); err != nil {
		return
	}
	rd.Max = 1 << 16
	for {
		h, ok := next(c, rd)
		if !ok {
			return
		}
		payload, err := rd.Payload()
		if err != nil {
			fatal(c, hislipwire.FatalUnidentified, err.Error())
			return
		}
		if !s.asyncMessage(c, ss, h, payload) {
			return
		}
	}
}

func (s *HiSLIPServer) asyncMessage(c io.Writer, ss *hislipSession, h hislipwire.Header, payload []byte) bool {
	reply := func(typ, control byte, param uint32, payload []byte) bool {
		return hislipwire.Write(c, typ, control, param, payload) == nil
	}
	switch h.Type {
	case hislipwire.AsyncMaximumMessageSize:
		if len(payload) != 8 {
			return reply(hislipwire.Error, hislipwire.ErrUnidentified, 0, []byte("maximum message size must be 8 bytes"))
		}
		ss.clientMax.Store(max(binary.BigEndian.Uint64(payload), hislipwire.HeaderSize+1))
		return reply(hislipwire.AsyncMaximumMessageSizeResponse, 0, 0, binary.BigEndian.AppendUint64(nil, s.maxMsg))
	case hislipwire.AsyncStatusQuery:
		ss.clmu.Lock()
		s.in.mu.Lock()
		stb := s.in.st.stb(len(ss.cl.out) > 0 || ss.inFlight.Load(), s.in.dev)
		s.in.mu.Unlock()
		ss.clmu.Unlock()
		return reply(hislipwire.AsyncStatusResponse, stb, 0, nil)
	case hislipwire.AsyncDeviceClear:
		select {
		case ss.clear <- struct{}{}:
		default:
		}
		return reply(hislipwire.AsyncDeviceClearAcknowledge, 0, 0, nil)
	case hislipwire.AsyncLock:
		return reply(hislipwire.AsyncLockResponse, s.lock(ss, h, payload), 0, nil)
	case hislipwire.AsyncLockInfo:
		s.mu.Lock()
		var exclusive byte
		holders := uint32(len(s.shared))
		if s.locker != 0 {
			exclusive = 1
			if _, alsoShared := s.shared[s.locker]; !alsoShared {
				holders++
			}
		}
		s.mu.Unlock()
		return reply(hislipwire.AsyncLockInfoResponse, exclusive, holders, nil)
	case hislipwire.AsyncRemoteLocalControl:
		switch h.Control {
		case hislipwire.RemoteEnableGoRemote, hislipwire.RemoteEnableRemoteLockout:
			s.remote.Store(true)
		case hislipwire.RemoteDisable, hislipwire.RemoteDisableGoLocal, hislipwire.RemoteGoLocal:
			s.remote.Store(false)
		case hislipwire.RemoteEnable, hislipwire.RemoteEnableLockout:
		default:
			return reply(hislipwire.Error, hislipwire.ErrUnrecognizedCode, 0, []byte(fmt.Sprintf("remote/local request %d", h.Control)))
		}
		return reply(hislipwire.AsyncRemoteLocalResponse, 0, 0, nil)
	case hislipwire.AsyncInitialize, hislipwire.Initialize:
		fatal(c.(net.Conn), hislipwire.FatalBadInit, "initialization message in an open session")
		return false
	}
	code := byte(hislipwire.ErrUnrecognizedType)
	if h.Type >= 128 {
		code = hislipwire.ErrUnrecognizedVendor
	}
	return reply(hislipwire.Error, code, 0, []byte(fmt.Sprintf("message type %d not recognized on the asynchronous channel", h.Type)))
}

// lock serves AsyncLock. Control 1 requests a lock, waiting up to the
// message parameter in ms: exclusive when the payload is empty, granted
// when no other session holds any lock; shared under the payload's lock
// string, granted when no other session holds the exclusive lock and
// every other shared holder used the same string. Control 0 releases the
// exclusive lock if held (answer 1), else the shared one (answer 2).
func (s *HiSLIPServer) lock(ss *hislipSession, h hislipwire.Header, payload []byte) byte {
	s.mu.Lock()
	if h.Control == 0 {
		defer s.mu.Unlock()
		if s.locker == ss.id {
			s.locker = 0
			s.released()
			return hislipwire.LockSuccess
		}
		if _, ok := s.shared[ss.id]; ok {
			delete(s.shared, ss.id)
			s.released()
			return hislipwire.LockShared
		}
		return hislipwire.LockError
	}
	_, holdsShared := s.shared[ss.id]
	if h.Control != 1 || (len(payload) == 0 && s.locker == ss.id) || (len(payload) > 0 && holdsShared) {
		s.mu.Unlock()
		return hislipwire.LockError // a malformed request, or a lock already held
	}
	key := string(payload)
	s.mu.Unlock()
	deadline := time.Now().Add(time.Duration(h.Param) * time.Millisecond)
	for {
		s.mu.Lock()
		if !s.liveLocked(ss) {
			// The session ended while the request came or waited (its
			// synchronous channel closed): endSession has already
			// released its locks, once, so a lock granted now would never
			// be, and every other session would wait on it for ever.
			s.mu.Unlock()
			return hislipwire.LockFailure
		}
		free := s.locker == 0 || s.locker == ss.id
		for id, k := range s.shared {
			if id != ss.id && (key == "" || k != key) {
				free = false
			}
		}
		if free {
			if key == "" {
				s.locker = ss.id
			} else {
				s.shared[ss.id] = key
			}
			s.mu.Unlock()
			return hislipwire.LockSuccess
		}
		freed := s.unlocked
		s.mu.Unlock()
		s.opts.Logger.Debug().Uint16("session", ss.id).Str("key", key).Uint32("timeout_ms", h.Param).Msg("sim: hislip lock request waits")
		left := time.Until(deadline)
		if left <= 0 || !s.waitFreed(freed, left, ss) {
			return hislipwire.LockFailure
		}
	}
}

// liveLocked reports whether ss is an open session of the server; s.mu
// is held. endSession removes a session, and releases its locks, under
// s.mu, so a lock granted to a live session under the same hold is
// released with it.
func (s *HiSLIPServer) liveLocked(ss *hislipSession) bool {
	select {
	case <-ss.closed:
		return false
	default:
	}
	return s.sessions[ss.id] == ss
}

func (s *HiSLIPServer) waitFreed(freed chan struct{}, d time.Duration, ss *hislipSession) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-freed:
		return true
	case <-t.C:
	case <-ss.closed:
	case <-s.done:
	}
	return false
}
