package sim

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// PrologixVersion is what the simulated controller answers to ++ver.
const PrologixVersion = "Prologix GPIB-ETHERNET Version 1.6.6.0 (scpikit simulator)"

// Prologix is a simulated Prologix GPIB controller with instruments on
// its bus at GPIB addresses. Serve it over TCP (ServeTCP, as the
// GPIB-ETHERNET on port 1234) or a pseudo-terminal (ServePTY, as the
// GPIB-USB). It follows the controller's manual: "++" commands (addr,
// auto, eoi, eos, eot_enable, eot_char, read [eoi|char], read_tmo_ms,
// clr, trg, spoll, loc, llo, ifc, mode, savecfg, srq, ver, rst, help),
// ESC escaping of CR, LF, ESC and '+' in data, ++eos termination appended
// to data sent, and the instruments' message exchange rules (a reply
// waits on the instrument until read; a new message discards it with
// -410; reading with nothing to read gives -420).
//
// Each host connection is served on its own: waiting for an instrument
// to talk (++read) and writing to the host hold nothing another host
// needs, so a host that stalls or stops reading blocks only itself, and
// the lines a host sent before it closed are dropped, not run.
type Prologix struct {
	opts    ServerOptions
	devices map[int]*msgClient
	wg      waitGroup
	done    chan struct{}
	ln      net.Listener
	ptys    []*PTYServer
	acct    memAccount // hosts' read-ahead, lines and replies; the instruments' input and output
}

// NewPrologix puts instruments at GPIB primary addresses (0-30).
func NewPrologix(devices map[int]*Instrument, opts ServerOptions) (*Prologix, error) {
	p := &Prologix{opts: opts.withDefaults(), devices: map[int]*msgClient{}, done: make(chan struct{})}
	p.opts.acct = &p.acct
	for addr, in := range devices {
		if addr < 0 || addr > 30 {
			return nil, fmt.Errorf("sim: prologix: GPIB address %d is not 0-30", addr)
		}
		p.devices[addr] = newMsgClient(in, p.opts)
	}
	return p, nil
}

// Addresses lists the GPIB addresses with an instrument.
func (p *Prologix) Addresses() []int {
	var out []int
	for a := range p.devices {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// Memory is the controller's account of what it holds: each host
// connection's read-ahead, line and reply buffers, and the input and
// output of each instrument on the bus.
func (p *Prologix) Memory() MemoryStats { return p.acct.stats() }

// ServeTCP listens on addr ("127.0.0.1:0" when empty; the GPIB-ETHERNET
// uses port 1234) and returns the adapter's resource string.
func (p *Prologix) ServeTCP(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sim: prologix: %w", err)
	}
	p.ln = ln
	p.wg.goTrack(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.wg.count() >= p.opts.MaxConns { // only this goroutine adds connections
				p.opts.Logger.Warn().Str("remote", c.RemoteAddr().String()).Int("max_conns", p.opts.MaxConns).Msg("sim: prologix: connection refused: too many")
				c.Close()
				continue
			}
			p.wg.track(c, func() { p.serve(c, c.RemoteAddr().String(), p.opts.IdleTimeout) })
		}
	})
	a := ln.Addr().(*net.TCPAddr)
	return fmt.Sprintf("TCPIP0::%s::%d::SOCKET", a.IP, a.Port), nil
}

// ServePTY serves the controller on a pseudo-terminal, as a GPIB-USB
// appears, and returns the adapter's resource string.
func (p *Prologix) ServePTY() (string, error) {
	pty, err := servePTY(nil, func(master *os.File, done <-chan struct{}, path string) {
		p.serve(master, path, 0) // a pseudo-terminal is never idle: it is the adapter's one line
	})
	if err != nil {
		return "", err
	}
	p.ptys = append(p.ptys, pty)
	return pty.Resource(), nil
}

// Close stops serving.
func (p *Prologix) Close() error {
	var listeners []io.Closer
	if p.ln != nil {
		listeners = append(listeners, p.ln)
	}
	for _, pty := range p.ptys {
		listeners = append(listeners, pty)
	}
	err := p.wg.shutdown(p.done, listeners...)
	for _, dev := range p.devices {
		dev.release()
	}
	return err
}

// prologixState is one host connection's controller settings.
type prologixState struct {
	pad, sad  int // sad -1 when none
	auto      bool
	eoi       bool
	eos       int
	eotEnable bool
	eotChar   byte
	readTmo   time.Duration
	mode      int
	// lineHeld and outHeld count the line being received and the reply
	// being gathered for the host in the controller's memory account.
	lineHeld, outHeld *holding
}

// prologixReadAhead is how many reads of the host's bytes wait to be
// run: enough that a host's close is seen while its earlier lines still
// wait on an instrument, few enough to bound what a host can queue.
const prologixReadAhead = 4

// serve runs the controller's protocol on one host connection, closing
// it after idle without a byte from the host or taken by it (0: never).
// A reader goroutine reads ahead, so that the host's close is seen while
// a line still runs: the wait ends and the lines left are dropped.
func (p *Prologix) serve(rw io.ReadWriter, who string, idle time.Duration) {
	dl, _ := rw.(deadliner)
	if idle <= 0 {
		dl = nil
	}
	w := &idleWriter{w: rw, dl: dl, idle: idle}
	free := make(chan []byte, prologixReadAhead)
	for range prologixReadAhead {
		free <- make([]byte, 32<<10)
	}
	ahead := p.opts.hold()
	ahead.set(prologixReadAhead * 32 << 10)
	defer ahead.release()
	chunks := make(chan []byte, prologixReadAhead)
	gone, quit := make(chan struct{}), make(chan struct{})
	defer close(quit)
	p.wg.goTrack(func() {
		defer close(gone)
		for {
			var buf []byte
			select {
			case buf = <-free:
			case <-quit:
				return
			}
			if dl != nil {
				dl.SetReadDeadline(time.Now().Add(idle))
			}
			n, err := rw.Read(buf)
			if n > 0 {
				chunks <- buf[:n] // never blocks: there are as many places as buffers
			} else {
				free <- buf
			}
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					p.opts.Logger.Info().Str("client", who).Stringer("idle", idle).Msg("sim: prologix: closing an idle connection")
				}
				return
			}
		}
	})
	p.run(w, chunks, free, gone, who)
	p.opts.Logger.Info().Str("client", who).Msg("sim: prologix: host connection ended")
}

// run runs the lines of the host's bytes as they come in chunks, until
// chunks closes or the host has gone; each chunk done goes back to free
// (when not nil).
func (p *Prologix) run(w io.Writer, chunks <-chan []byte, free chan<- []byte, gone <-chan struct{}, who string) {
	st := prologixState{pad: 0, sad: -1, eoi: true, eos: 0, eotChar: '\n', readTmo: 500 * time.Millisecond, mode: 1,
		lineHeld: p.opts.hold(), outHeld: p.opts.hold()}
	defer st.lineHeld.release()
	defer st.outHeld.release()
	var line []byte
	cmd, esc, fresh := false, false, true // fresh: at the start of a line
	var plus int                          // unescaped '+' seen at the start
	for {
		var buf []byte
		var ok bool
		select {
		case buf, ok = <-chunks:
		case <-gone:
			select {
			case buf, ok = <-chunks:
			default:
				return
			}
		}
		if !ok {
			return
		}
		for _, c := range buf {
			switch {
			case esc:
				esc = false
				line = append(line, c)
				fresh = false
			case c == 27:
				esc = true
			case c == '\r' || c == '\n':
				select {
				case <-gone: // the host has gone: what it left is not run
					p.opts.Logger.Info().Str("client", who).Msg("sim: prologix: the host closed; its remaining lines are dropped")
					return
				default:
				}
				if len(line) > 0 || cmd {
					if !p.line(w, &st, line, cmd, gone) {
						return
					}
				}
				line, cmd, fresh, plus = line[:0], false, true, 0
			case c == '+' && (fresh || (plus == 1 && len(line) == 1)):
				plus++
				line = append(line, c)
				fresh = false
				if plus == 2 {
					cmd, line = true, line[:0]
				}
			default:
				line = append(line, c)
				fresh = false
			}
			if len(line) > p.opts.MaxLine {
				line = line[:0] // the controller's buffer overflows; so does ours
			}
		}
		st.lineHeld.set(cap(line))
		if free != nil {
			free <- buf[:cap(buf)]
		}
	}
}

// idleWriter writes to the host, giving up when the host takes nothing
// for idle.
type idleWriter struct {
	w    io.Writer
	dl   deadliner // nil: no deadline
	idle time.Duration
}

func (w *idleWriter) Write(b []byte) (int, error) {
	if w.dl != nil {
		w.dl.SetWriteDeadline(time.Now().Add(w.idle))
	}
	return w.w.Write(b)
}

// line handles one line from the host: a "++" command or data for the
// addressed instrument; gone closes when the host does. It reports false
// when the connection must end. It holds no lock of the controller's:
// each instrument's message exchange is safe on its own, and a wait for
// it to talk must not stop other hosts.
func (p *Prologix) line(w io.Writer, st *prologixState, line []byte, cmd bool, gone <-chan struct{}) bool {
	if !cmd {
		dev := p.devices[st.pad]
		if dev == nil || st.mode != 1 {
			return true // no listener at that address: the bytes go nowhere
		}
		data := append([]byte(nil), line...)
		data = append(data, [][]byte{{'\r', '\n'}, {'\r'}, {'\n'}, nil}[st.eos]...)
		if err := dev.write(data, st.eoi, nil, p.done, gone); err != nil {
			return false
		}
		if st.auto {
			return p.read(w, st, "eoi", gone)
		}
		return true
	}
	name, arg, _ := strings.Cut(strings.TrimSpace(string(line)), " ")
	arg = strings.TrimSpace(arg)
	reply := func(s string) bool {
		_, err := io.WriteString(w, s+"\r\n")
		return err == nil
	}
	flag := func(v *bool) bool {
		switch arg {
		case "":
			return reply(map[bool]string{true: "1", false: "0"}[*v])
		case "0", "1":
			*v = arg == "1"
		}
		return true
	}
	number := func(lo, hi int, set func(int)) (int, bool) {
		v, err := strconv.Atoi(arg)
		if err != nil || v < lo || v > hi {
			return 0, false
		}
		set(v)
		return v, true
	}
	switch strings.ToLower(name) {
	case "addr":
		if arg == "" {
			if st.sad >= 0 {
				return reply(fmt.Sprintf("%d %d", st.pad, st.sad))
			}
			return reply(strconv.Itoa(st.pad))
		}
		pad, sad, ok := parseGPIBAddr(arg)
		if ok {
			st.pad, st.sad = pad, sad
		}
	case "auto":
		return flag(&st.auto)
	case "eoi":
		return flag(&st.eoi)
	case "eot_enable":
		return flag(&st.eotEnable)
	case "eos":
		if arg == "" {
			return reply(strconv.Itoa(st.eos))
		}
		number(0, 3, func(v int) { st.eos = v })
	case "eot_char":
		if arg == "" {
			return reply(strconv.Itoa(int(st.eotChar)))
		}
		number(0, 255, func(v int) { st.eotChar = byte(v) })
	case "read_tmo_ms":
		if arg == "" {
			return reply(strconv.Itoa(int(st.readTmo / time.Millisecond)))
		}
		number(1, 3000, func(v int) { st.readTmo = time.Duration(v) * time.Millisecond })
	case "mode":
		if arg == "" {
			return reply(strconv.Itoa(st.mode))
		}
		number(0, 1, func(v int) { st.mode = v })
	case "read":
		return p.read(w, st, arg, gone)
	case "clr":
		if dev := p.devices[st.pad]; dev != nil {
			dev.clear()
		}
	case "trg":
		targets := []int{st.pad}
		if arg != "" {
			targets = targets[:0]
			for _, f := range strings.Fields(arg) {
				if v, err := strconv.Atoi(f); err == nil && v <= 30 {
					targets = append(targets, v)
				}
			}
		}
		for _, t := range targets {
			if dev := p.devices[t]; dev != nil && dev.trigger() != nil {
				return false
			}
		}
	case "spoll":
		pad := st.pad
		if arg != "" {
			v, _, ok := parseGPIBAddr(arg)
			if !ok {
				return true
			}
			pad = v
		}
		if dev := p.devices[pad]; dev != nil {
			return reply(strconv.Itoa(int(dev.statusByte())))
		}
		// No instrument answers the poll: the controller times out silently.
	case "srq":
		return reply("0")
	case "ver":
		return reply(PrologixVersion)
	case "help":
		return reply("++addr ++auto ++clr ++eoi ++eos ++eot_enable ++eot_char ++ifc ++llo ++loc ++lon ++mode ++read ++read_tmo_ms ++rst ++savecfg ++spoll ++srq ++status ++trg ++ver ++help")
	case "loc", "llo", "ifc", "savecfg", "rst", "lon", "status":
		// Bus management with no effect on a simulated bus.
	default:
		return reply("Unrecognized command")
	}
	return true
}

func parseGPIBAddr(arg string) (pad, sad int, ok bool) {
	f := strings.Fields(arg)
	if len(f) == 0 || len(f) > 2 {
		return 0, 0, false
	}
	pad, err := strconv.Atoi(f[0])
	if err != nil || pad < 0 || pad > 30 {
		return 0, 0, false
	}
	sad = -1
	if len(f) == 2 {
		sad, err = strconv.Atoi(f[1])
		if err != nil || sad < 96 || sad > 126 {
			return 0, 0, false
		}
	}
	return pad, sad, true
}

// read addresses the instrument to talk and passes its bytes to the
// host: until EOI ("eoi"), a given character, or the read timeout (no
// argument), appending eot_char at EOI when enabled.
func (p *Prologix) read(w io.Writer, st *prologixState, arg string, gone <-chan struct{}) bool {
	dev := p.devices[st.pad]
	if dev == nil {
		return true // nobody talks: the read times out with nothing
	}
	term := -1
	if arg != "" && arg != "eoi" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 0 || v > 255 {
			return true
		}
		term = v
	}
	var out bytes.Buffer
	for {
		_, res := dev.read(&out, 64<<10, term, st.readTmo, nil, p.done, gone)
		st.outHeld.set(out.Cap())
		if res&readEnd != 0 && st.eotEnable {
			out.WriteByte(st.eotChar)
		}
		if res != 0 || out.Len() >= 64<<10 {
			if out.Len() > 0 {
				if _, err := w.Write(out.Bytes()); err != nil {
					return false
				}
				out.Reset()
			}
		}
		if res != 0 {
			return res&readAborted == 0
		}
	}
}
