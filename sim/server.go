package sim

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/rs/zerolog"
)

// ServerOptions are the limits and tracing of a server.
type ServerOptions struct {
	// MaxConns bounds simultaneous connections; more are accepted and
	// closed at once, as instruments do (16 unless set).
	MaxConns int
	// MaxLine bounds one program message; longer ones are discarded with
	// -363 Input buffer overrun (8 MiB unless set: room for waveform
	// blocks).
	MaxLine int
	// MaxOutput bounds the responses a connection holds unsent, and so
	// one message's response (DefaultMaxOutput unless set); beyond it
	// the message gets -430 Query DEADLOCKED instead of a response, and
	// the rest of it runs with its responses discarded (Client.MaxOutput
	// says why -430).
	// Stream links (the raw socket, the pseudo-terminal) run no further
	// message while a response waits to be sent, so a client that
	// pipelines queries and never reads costs one response, not all.
	MaxOutput int
	// IdleTimeout closes a connection that sends nothing, or takes none
	// of what the server sends, for this long (DefaultIdleTimeout when 0;
	// negative: never), so that forgotten or hostile sockets cannot hold
	// the MaxConns slots for ever.
	IdleTimeout time.Duration
	// Logger receives connection events at info level and, at debug
	// level, every message in and out (tracing).
	Logger zerolog.Logger

	// acct is the server's memory account (see MemoryStats), set by the
	// server on its copy of the options so that every piece of code its
	// connections run counts what it holds.
	acct *memAccount
}

// DefaultIdleTimeout is how long a connection may stay silent, or leave
// what it is sent unread, unless ServerOptions.IdleTimeout says otherwise.
const DefaultIdleTimeout = 2 * time.Minute

func (o ServerOptions) withDefaults() ServerOptions {
	if o.MaxConns <= 0 {
		o.MaxConns = 16
	}
	if o.MaxLine <= 0 {
		o.MaxLine = 8 << 20
	}
	if o.MaxOutput <= 0 {
		o.MaxOutput = DefaultMaxOutput
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	return o
}

// Server serves one simulated instrument over a TCP raw socket, as LXI
// instruments serve SCPI on port 5025: any number of clients (up to
// MaxConns), each with its own input and output buffers, sharing the
// instrument's state under its lock.
type Server struct {
	in   *Instrument
	opts ServerOptions
	ln   net.Listener
	done chan struct{}
	wg   waitGroup // the accept loop and a goroutine per connection
	acct memAccount
}

// ServeTCP listens on addr ("127.0.0.1:5025"; "" means 127.0.0.1 on a free
// port) and serves in until Close. Only a loopback address is the default:
// serving a simulated instrument to the network is a deliberate choice.
func ServeTCP(addr string, in *Instrument, opts ServerOptions) (*Server, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	s := &Server{in: in, opts: opts.withDefaults(), ln: ln, done: make(chan struct{})}
	s.opts.acct = &s.acct
	s.wg.goTrack(s.accept)
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() *net.TCPAddr { return s.ln.Addr().(*net.TCPAddr) }

// Resource is the VISA resource string that reaches the server.
func (s *Server) Resource() string {
	return "TCPIP0::" + resourceHost(s.Addr()) + "::" + strconv.Itoa(s.Addr().Port) + "::SOCKET"
}

// resourceHost is a server's host as a VISA resource string writes it:
// an IPv6 address in brackets.
func resourceHost(a *net.TCPAddr) string {
	if a.IP.To4() == nil {
		return "[" + a.IP.String() + "]"
	}
	return a.IP.String()
}

// Instrument is the instrument served.
func (s *Server) Instrument() *Instrument { return s.in }

// Memory is the server's account of what it holds for its connections.
func (s *Server) Memory() MemoryStats { return s.acct.stats() }

// Close stops accepting, closes every connection and waits for the
// server's goroutines.
func (s *Server) Close() error {
	return s.wg.shutdown(s.done, s.ln)
}

func (s *Server) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			s.opts.Logger.Error().Err(err).Msg("sim: accept failed")
			return
		}
		if s.wg.count() >= s.opts.MaxConns { // only this goroutine adds connections
			s.opts.Logger.Warn().Str("remote", c.RemoteAddr().String()).Int("max_conns", s.opts.MaxConns).Msg("sim: connection refused: too many")
			c.Close()
			continue
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		s.wg.track(c, func() { s.serve(c) })
	}
}

// serve runs one connection; track closes it after.
func (s *Server) serve(c net.Conn) {
	remote := c.RemoteAddr().String()
	s.opts.Logger.Info().Str("remote", remote).Str("model", s.in.model).Msg("sim: client connected")
	defer s.opts.Logger.Info().Str("remote", remote).Msg("sim: client disconnected")
	unregister := s.in.onDrop(func() { c.Close() })
	defer unregister()
	// While a long message runs, the connection is watched for the
	// client going away (see Client.interrupt); what it sends meanwhile
	// is kept for the next read. Past watchAheadMax of it the watch
	// stops reading (holding more would only let one hold more; the rest
	// waits in the kernel's buffers and the client's, TCP back-pressure)
	// and waits for the client's close or reset instead, which the
	// kernel reports behind bytes not read (on Linux; elsewhere the
	// client's going is seen when the message ends).
	pc := &peerConn{Conn: c, hold: s.opts.hold()}
	defer pc.hold.release()
	serveStream(pc, s.in, s.opts, s.done, remote)
}

// serveStream runs one client over a byte stream (a TCP connection, a
// pseudo-terminal) until it ends, the instrument drops it or done closes.
// A message that runs long is given up when done closes or, on a
// peerConn, when the client goes away.
func serveStream(rw io.ReadWriter, in *Instrument, opts ServerOptions, done <-chan struct{}, who string) {
	opts = opts.withDefaults()
	cl := in.NewClient()
	cl.MaxInput, cl.MaxOutput = opts.MaxLine, opts.MaxOutput
	cl.pauseAt = streamPauseAt
	cl.hold, cl.log = opts.hold(), opts.Logger
	defer cl.hold.release()
	watch, _ := rw.(*peerConn)
	cl.interrupt = func() bool {
		if watch != nil {
			return closedAny(done, watch.goneSignal())
		}
		return closedAny(done)
	}
	if watch != nil {
		defer watch.endWatch()
	}
	dl, canDeadline := rw.(deadliner)
	tracing := opts.Logger.GetLevel() <= zerolog.DebugLevel
	buf := make([]byte, 32<<10)
	bufHeld := opts.hold()
	bufHeld.set(cap(buf))
	defer bufHeld.release()
	for {
		if watch != nil {
			watch.endWatch() // the last message's, if it ran long
		}
		if canDeadline && opts.IdleTimeout > 0 {
			dl.SetReadDeadline(time.Now().Add(opts.IdleTimeout))
		}
		n, err := rw.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			opts.Logger.Info().Str("client", who).Stringer("idle", opts.IdleTimeout).Msg("sim: closing an idle connection")
		}
		if n > 0 {
			if tracing {
				opts.Logger.Debug().Str("client", who).Bytes("data", buf[:min(n, 256)]).Int("bytes", n).Msg("sim: recv")
			}
			_, werr := cl.Write(buf[:n])
			for {
				if out := cl.TakeOutput(); len(out) > 0 {
					if canDeadline && opts.IdleTimeout > 0 {
						dl.SetWriteDeadline(time.Now().Add(opts.IdleTimeout))
					}
					if !sendShaped(rw, in, out, done) {
						opts.Logger.Info().Str("client", who).Msg("sim: dropping the link: the client does not read")
						return
					}
					if tracing {
						opts.Logger.Debug().Str("client", who).Bytes("data", out[:min(len(out), 256)]).Int("bytes", len(out)).Msg("sim: send")
					}
				}
				if werr != nil {
					opts.Logger.Info().Str("client", who).Err(werr).Msg("sim: dropping the link")
					return
				}
				// Messages held back while the output was sent run now,
				// before more input is read.
				var more bool
				if more, werr = cl.resume(); !more && werr == nil && cl.Pending() == 0 {
					break
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// deadliner is a link whose blocking calls can be given deadlines: a
// network connection, a pseudo-terminal's master.
type deadliner interface {
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// streamPauseAt is how much output a stream link lets wait before it
// sends it and runs the next message: a pipeline of small queries still
// goes out in few writes.
const streamPauseAt = 64 << 10

// sendShaped writes a response under the instrument's faults: delayed,
// dropped or garbled. It reports false when the link is gone.
func sendShaped(w io.Writer, in *Instrument, out []byte, done <-chan struct{}) bool {
	send, ok := shaped(in, out, done)
	if !ok || !send {
		return ok
	}
	_, err := w.Write(out)
	return err == nil
}

// shaped applies the instrument's faults to a response about to be sent,
// on every link that sends responses as they are made: it may garble
// out, waits out the delay unless a stop channel fires first (ok false),
// and says whether to send it at all.
func shaped(in *Instrument, out []byte, stop ...<-chan struct{}) (send, ok bool) {
	if !in.faultsOn.Load() {
		return true, true
	}
	delay, drop := in.shape(out)
	if delay > 0 && !sleepUnless(delay, stop...) {
		return false, false
	}
	return !drop, true
}
