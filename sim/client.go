package sim

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/internal/msgframe"
)

// ErrLinkDropped is returned by a Client whose link a fault dropped (or
// whose instrument was closed): servers close the connection, in-process
// links read EOF.
var ErrLinkDropped = errors.New("sim: link dropped")

// Client is one connection to an instrument, with its own input buffer,
// output queue and SCPI path, as IEEE 488.2 gives each message exchange
// interface. Servers create one per connection.
type Client struct {
	in *Instrument

	// Terminator ends each response message ("\n" unless set).
	Terminator string
	// MaxInput bounds a program message; longer ones are discarded with
	// -363 Input buffer overrun (8 MiB unless set: room for waveform
	// blocks).
	MaxInput int
	// Buffered makes the client hold responses until read, as message-
	// based links (GPIB, VXI-11, HiSLIP) do: a new message arriving
	// before the previous response was read discards it with -410 Query
	// INTERRUPTED, and ReadResponse with nothing to read reports -420
	// Query UNTERMINATED. Stream links (sockets, serial) leave it off and
	// send each response as soon as it is made.
	Buffered bool
	// MaxOutput bounds the responses waiting to be sent (DefaultMaxOutput
	// unless set). A message whose response would pass it breaks the
	// deadlock as IEEE 488.2 6.3.1.7 has a device do when its output
	// queue is full and it cannot go on: -430 Query DEADLOCKED is queued,
	// the message's response is discarded, and the rest of the message
	// still runs (its settings take effect) with its responses discarded
	// too, up to the message's end.
	//
	// Why -430 and not the -363 or -350 one might reach for: SCPI-99
	// defines -363 Input buffer overrun for the input side (MaxInput
	// uses it) and -350 Queue overflow for the error queue itself (an
	// error that found no room; the status model uses it); an output
	// queue that cannot take a response is the query error -430, whose
	// definition points at 488.2 6.3.1.7.
	MaxOutput int

	// pauseAt, when set, makes Write stop running messages once this
	// much output waits, leaving the rest of the input buffered until
	// the link has sent the output and calls Write again: a stream link's
	// back-pressure, so that a client that pipelines queries and never
	// reads holds one response in memory, not all of them.
	pauseAt int
	paused  bool

	inTerm   byte // ends a received message
	input    []byte
	scan     msgframe.Scanner // how far input is scanned for its first message's end
	overrun  bool
	out      []byte
	path     []pathElem
	u        unit
	call     Call
	messages int
	epoch    int
	dropped  bool
	// discard is set from a deadlock (see MaxOutput) to the end of the
	// message: what its units answer is dropped as they answer it.
	discard bool
	// hold counts input and out in the server's memory account (nil:
	// not a server's client).
	hold *holding
	// log is the server's logger, for a handler that panicked (the zero
	// Logger, which logs nothing, for a client of no server: the
	// instrument's logger is used instead).
	log zerolog.Logger
	// interrupt, when set, is asked between two slices of a long message
	// (see messageSlice) whether to give up the rest of it: the server
	// is closing, or the client has gone. Execute then returns
	// errInterrupted, the message unanswered.
	interrupt func() bool
}

// errInterrupted is Execute's error for a message given up part way
// because its server is closing or its client has gone (Client.interrupt):
// the link ends, as for ErrLinkDropped, but the client itself is not
// dropped, for a link whose client several hosts share (Prologix).
var errInterrupted = errors.New("sim: message given up: the server is closing or the client has gone")

// closedAny reports whether one of the channels is closed (or has a value
// ready); nil channels never are.
func closedAny(chans ...<-chan struct{}) bool {
	for _, ch := range chans {
		select {
		case <-ch:
			return true
		default:
		}
	}
	return false
}

// NewClient opens a client connection to the instrument.
func (in *Instrument) NewClient() *Client {
	in.mu.Lock()
	defer in.mu.Unlock()
	cl := &Client{in: in, Terminator: "\n", MaxInput: 8 << 20, MaxOutput: DefaultMaxOutput, epoch: in.faults.epoch, inTerm: '\n', scan: msgframe.NewScanner()}
	if md, ok := in.dev.(MessageDevice); ok {
		cl.inTerm = md.InputTerminator()
	}
	return cl
}

// DefaultMaxOutput is a client's output bound unless set: room for the
// largest response of the models served, the SAMPLE's 64 MiB arbitrary
// data block.
const DefaultMaxOutput = 64<<20 + 64<<10

// Write takes bytes from the controller. Each complete program message
// (ended by a newline outside block data) is executed at once, in order.
func (cl *Client) Write(p []byte) (int, error) {
	if cl.dropped {
		return 0, ErrLinkDropped
	}
	if len(p) > cap(cl.input)-len(cl.input) {
		// Double, rather than append's 1.25x for large slices: a long
		// message arriving in many writes is then copied about once more
		// in all, not four times.
		cl.input = slices.Grow(cl.input, max(len(p), len(cl.input)))
	}
	cl.input = append(cl.input, p...)
	cl.paused = false
	// The messages run are consumed from the front, and what is left is
	// moved to the front once at the end, so that the buffer is always
	// used from its start and its capacity is what it keeps.
	done := 0
	defer func() {
		if done > 0 {
			cl.input = cl.input[:copy(cl.input, cl.input[done:])]
		}
		cl.hold.set(cap(cl.input) + cap(cl.out))
	}()
	for {
		rest := cl.input[done:]
		if cl.pauseAt > 0 && len(cl.out) >= cl.pauseAt {
			cl.paused = cl.messageEnd(rest) >= 0
			break
		}
		end := cl.messageEnd(rest)
		if end < 0 {
			if len(rest) > cl.MaxInput {
				// Too long: discard it, and the rest up to its terminator.
				done, cl.scan = len(cl.input), msgframe.NewScanner()
				if !cl.overrun {
					cl.overrun = true
					cl.in.PushError(ErrInputBufferOverrun)
				}
			}
			break
		}
		msg := rest[:end]
		switch {
		case cl.overrun:
			cl.overrun = false // the tail of a message already refused
		case end > cl.MaxInput:
			cl.in.PushError(ErrInputBufferOverrun)
		default:
			if err := cl.Execute(bytes.TrimSuffix(msg, []byte("\r"))); err != nil {
				done, cl.scan = len(cl.input), msgframe.NewScanner()
				return len(p), err
			}
		}
		done, cl.scan = done+end+1, msgframe.NewScanner()
	}
	return len(p), nil
}

// messageEnd is where the first message in rest ends, or -1. The scan
// goes on from where the last call left it, so a message arriving in many
// writes is scanned once, not again from its start at every write.
func (cl *Client) messageEnd(rest []byte) int {
	if done, at := cl.scan.Scan(rest, cl.inTerm); done {
		return at
	}
	return -1
}

// resume runs the messages Write left buffered when it paused for output
// to be sent. It reports whether more remain.
func (cl *Client) resume() (more bool, err error) {
	if !cl.paused {
		return false, nil
	}
	_, err = cl.Write(nil)
	return cl.paused, err
}

// Pending reports how many response bytes wait to be read.
func (cl *Client) Pending() int { return len(cl.out) }

// TakeOutput returns and clears the output queue. The slice is valid until
// the next Write or Execute.
func (cl *Client) TakeOutput() []byte {
	out := cl.out
	cl.out = cl.out[:0]
	return out
}

// ReadResponse is TakeOutput for message-based links: with nothing to
// read, it records -420 Query UNTERMINATED and returns nil.
func (cl *Client) ReadResponse() []byte {
	if len(cl.out) == 0 {
		cl.in.PushError(ErrQueryUnterminated)
		return nil
	}
	return cl.TakeOutput()
}

// Execute runs one program message (without its terminator) and queues
// its response. It returns ErrLinkDropped when a fault drops the link.
func (cl *Client) Execute(msg []byte) error {
	in := cl.in
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.closed || cl.epoch != in.faults.epoch {
		cl.dropped = true
		return ErrLinkDropped
	}
	cl.messages++
	cl.discard = false
	defer cl.shrink()
	if cl.silenced() {
		return nil
	}
	if cl.Buffered && len(cl.out) > 0 {
		cl.out = cl.out[:0]
		in.st.push(ErrQueryInterrupted)
	}
	return cl.run(msg, len(cl.out))
}

// run executes a message whose response starts at start in cl.out, with
// the instrument's lock held. A handler that panics (a model's bug) ends
// the message there, unanswered, with -300 queued and the panic logged
// (on the link's logger, else the instrument's):
// one bad command must not take down every client of a server, nor the
// server's process.
func (cl *Client) run(msg []byte, start int) (err error) {
	in := cl.in
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		what := "message"
		if _, ok := in.dev.(MessageDevice); !ok {
			what = string(cl.u.header[:min(len(cl.u.header), 40)])
		}
		e := ErrDeviceSpecific.WithInfo(fmt.Sprintf("panic in %s: %v", what, r))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200]
		}
		ev := cl.log.Error()
		if !ev.Enabled() {
			ev = in.log.Error() // a link with no logger: the instrument's (SetLogger)
		}
		if ev.Enabled() {
			ev.Str("model", in.model).Str("error", e.Message).Bytes("message", msg[:min(len(msg), 256)]).
				Bytes("stack", debug.Stack()).Msg("sim: a handler panicked; the message is dropped")
		}
		cl.out = cl.out[:start]
		cl.discard = false
		in.st.push(e)
		in.publishLocked(Event{Error: &e})
		err = nil
	}()
	if md, ok := in.dev.(MessageDevice); ok {
		// It terminates its own responses. A pyvisa-sim device stops
		// adding them once past the bound, so that a message of many
		// queries with long answers is refused below without its
		// responses having been made first (a file's 1 kB answer to
		// "W", asked four million times in MaxLine, was 4 GB).
		if pd, ok := md.(*pvsDevice); ok && cl.MaxOutput > 0 {
			cl.out = pd.respondUpTo(msg, cl.out, start+cl.MaxOutput)
		} else {
			cl.out = md.Respond(msg, cl.out)
		}
		if cl.MaxOutput > 0 && len(cl.out) > start+cl.MaxOutput {
			cl.deadlock(start)
		}
	} else {
		cl.path = cl.path[:0]
		// The time is read after every unit, not every so many: a unit
		// can take long (an INIT of a million readings takes 100 ms),
		// and reading the clock costs far less than any unit.
		began, first, hushed, cut := time.Now(), true, false, false
		splitUnits(msg, func(u []byte) error {
			if !first && time.Since(began) >= messageSlice {
				cl.letOthersIn()
				if cl.dropped {
					return errStop
				}
				if cut = cl.interrupt != nil && cl.interrupt(); cut {
					return errStop
				}
				if hushed = cl.silenced(); hushed {
					return errStop
				}
				began = time.Now()
			}
			first = false
			return cl.unit(u, start)
		})
		switch {
		case cl.dropped:
			cl.out = cl.out[:start]
			return ErrLinkDropped
		case cut:
			cl.out = cl.out[:start]
			return errInterrupted
		case hushed:
			cl.out = cl.out[:start] // hung part way: this message goes unanswered
			return nil
		}
		if len(cl.out) > start {
			cl.out = append(cl.out, cl.Terminator...)
		}
	}
	if n := in.faults.cfg.DisconnectAfter; n > 0 && cl.messages >= n {
		cl.dropped = true
		return ErrLinkDropped
	}
	return nil
}

// shrink ends a message: it drops the parameters' slice a large unit
// grew (see keepParams), so that its room is not kept for the
// connection's life. (Mnemonics need no such care: maxMnemonics bounds
// them.)
func (cl *Client) shrink() {
	cl.discard = false
	if cap(cl.u.params) > keepParams {
		cl.u.params = nil
	}
	cl.call.params = nil // u.params, or what it was
}

// messageSlice is how long a message runs before the instrument's lock
// is let go between two of its units. One client's message can hold a
// million queries in MaxInput; other clients then wait a slice (and the
// unit that ends it) at a time, not for the whole message. Between two
// slices the message is also given up if its server is closing or its
// client has gone (Client.interrupt), so that neither waits for it.
const messageSlice = 10 * time.Millisecond

// letOthersIn lets clients waiting for the instrument run their messages
// before the rest of this one. A fault or Close meanwhile may have
// dropped the link (cl.dropped is then set) or hung the instrument.
func (cl *Client) letOthersIn() {
	in := cl.in
	in.mu.Unlock()
	// A waiter the unlock woke runs first on this CPU, rather than
	// finding the lock taken again.
	runtime.Gosched()
	in.mu.Lock()
	if in.closed || cl.epoch != in.faults.epoch {
		cl.dropped = true
	}
}

// silenced reports whether the instrument answers nothing now: hung by a
// fault, or a device whose console sleeps.
func (cl *Client) silenced() bool {
	s, ok := cl.in.dev.(Sleeper)
	return cl.in.faults.hung || ok && !s.Awake()
}

// errStop ends a program message after a command error: IEEE 488.2 has
// the parser discard the rest of the message.
var errStop = errors.New("stop")

func (cl *Client) unit(b []byte, msgStart int) error {
	in := cl.in
	ok, err := parseUnit(b, &cl.u)
	if !ok {
		return nil
	}
	if err != nil {
		in.st.push(asError(err))
		return errStop
	}
	u := &cl.u
	c := &cl.call
	*c = Call{inst: in, path: c.path[:0], params: u.params, query: u.query, header: u.header, out: &cl.out}
	// After a deadlock the unit runs with a response that is full from
	// the start: its handler's replies are refused at once, cheaply.
	c.full = cl.discard
	if cl.MaxOutput > 0 {
		// Room for the terminator, so the whole message stays in bounds.
		c.limit = max(msgStart+cl.MaxOutput-len(cl.Terminator), 1)
	}
	if u.query && len(cl.out) > msgStart {
		cl.out = append(cl.out, ';') // response message unit separator
	}
	c.start = len(cl.out)

	var h int
	if u.common {
		h = -1
		name := u.header[1:]
		for _, n := range in.exec.commons() {
			if equalFold(name, n.long) {
				h = n.set
				if u.query {
					h = n.query
				}
			}
		}
		if h < 0 {
			err = cl.common(name, c, msgStart > 0)
			return cl.finish(err, c, msgStart)
		}
	} else {
		leaf, err := cl.resolve(u, c)
		if err != nil {
			in.st.push(err.(Error))
			cl.unwind(c, msgStart)
			return errStop
		}
		h = leaf.set
		if u.query {
			h = leaf.query
		}
		if h < 0 {
			in.st.push(ErrUndefinedHeader)
			cl.unwind(c, msgStart)
			return errStop
		}
		// The path for the next unit: this header less its last mnemonic.
		cl.path = append(cl.path[:0], c.path[:len(c.path)-1]...)
	}
	return cl.finish(in.exec.run(h, c), c, msgStart)
}

// finish records a handler's outcome: its error queued, an unanswered
// query's separator removed, unread parameters reported.
func (cl *Client) finish(err error, c *Call, msgStart int) error {
	var stop error
	if err == nil && c.used < len(c.params) {
		err = ErrParameterNotAllowed
	}
	if err != nil {
		e := asError(err)
		cl.in.st.push(e)
		cl.unwind(c, msgStart)
		if e.Code <= -100 && e.Code > -200 {
			stop = errStop
		}
	} else if c.query && len(cl.out) == c.start {
		cl.unwind(c, msgStart) // a query that answered nothing
	}
	if c.full && !cl.discard {
		cl.deadlock(msgStart)
	}
	if cl.discard {
		cl.out = cl.out[:msgStart]
	}
	return stop
}

// deadlock breaks the deadlock of a message whose response outgrew
// MaxOutput: its response so far is discarded, -430 queued once, and
// the rest of the message runs with its responses discarded.
func (cl *Client) deadlock(msgStart int) {
	cl.out = cl.out[:msgStart]
	cl.discard = true
	cl.in.st.push(ErrQueryDeadlocked)
}

// unwind removes what a failed unit added to the response.
func (cl *Client) unwind(c *Call, msgStart int) {
	cut := c.start
	if cut > msgStart && cl.out[cut-1] == ';' {
		cut--
	}
	cl.out = cl.out[:cut]
}

func asError(err error) Error {
	var e Error
	if errors.As(err, &e) {
		return e
	}
	return ErrDeviceSpecific.WithInfo(err.Error())
}

// resolve walks the command tree for the unit's header, from the root or
// from the current path (SCPI-99 6.2.4), filling c.path.
func (cl *Client) resolve(u *unit, c *Call) (*node, error) {
	n := cl.in.exec.tree()
	if !u.absolute && len(cl.path) > 0 {
		c.path = append(c.path, cl.path...)
		n = cl.path[len(cl.path)-1].n
	}
	for _, m := range u.mnems {
		var next *node
		var el pathElem
		if len(m) == 0 {
			return nil, ErrUndefinedHeader
		}
		// A mnemonic matches only a form that starts with its first
		// letter: comparing that first skips most of a wide node's
		// children (a full command set has dozens at the root) without a
		// whole comparison. (Short and long forms are never empty.)
		first := m[0] &^ ('a' - 'A') // a letter in upper case; no other byte becomes a letter
		for _, child := range n.children {
			if child.short[0] != first && child.long[0] != first {
				continue
			}
			if suf, given, ok := child.matches(m); ok {
				next, el = child, pathElem{n: child, suffix: suf, given: given}
				break
			}
		}
		if next == nil {
			return nil, ErrUndefinedHeader
		}
		c.path = append(c.path, el)
		n = next
	}
	return n, nil
}

// common executes the IEEE 488.2 common commands the model did not
// override.
// mav says whether responses to earlier messages are still unread.
func (cl *Client) common(name []byte, c *Call, mav bool) error {
	in, st := cl.in, &cl.in.st
	q := c.query
	switch {
	case q && equalFold(name, "IDN"):
		c.Reply(in.dev.Identity())
	case !q && equalFold(name, "RST"):
		in.dev.Reset()
	case !q && equalFold(name, "CLS"):
		st.clear()
		if sc, ok := in.dev.(StatusClearer); ok {
			sc.ClearStatus()
		}
	case q && equalFold(name, "ESR"):
		c.ReplyInt(int64(st.esr))
		st.esr = 0
	case q && equalFold(name, "ESE"):
		c.ReplyInt(int64(st.ese))
	case !q && equalFold(name, "ESE"):
		v, err := c.Int(0, Number{Max: 255})
		if err != nil {
			return err
		}
		st.ese = byte(v)
	case q && equalFold(name, "SRE"):
		c.ReplyInt(int64(st.sre))
	case !q && equalFold(name, "SRE"):
		v, err := c.Int(0, Number{Max: 255})
		if err != nil {
			return err
		}
		st.sre = byte(v) &^ stbMSS // bit 6 cannot be enabled
	case q && equalFold(name, "STB"):
		c.ReplyInt(int64(st.stb(mav, in.dev)))
	case !q && equalFold(name, "OPC"):
		st.esr |= esrOPC // no overlapped commands: complete at once
	case q && equalFold(name, "OPC"):
		c.ReplyInt(1)
	case !q && equalFold(name, "WAI"):
	case q && equalFold(name, "TST"):
		result := 0
		if t, ok := in.dev.(SelfTester); ok {
			result = t.SelfTest()
		}
		c.ReplyInt(int64(result))
	case !q && equalFold(name, "TRG"):
		t, ok := in.dev.(Triggerable)
		if !ok {
			return ErrUndefinedHeader
		}
		return t.Trigger()
	default:
		return ErrUndefinedHeader
	}
	return nil
}

// StatusByte reads the status byte out of band, as a serial poll does:
// MAV is set while a response waits to be read.
func (cl *Client) StatusByte() byte {
	cl.in.mu.Lock()
	defer cl.in.mu.Unlock()
	return cl.in.st.stb(len(cl.out) > 0, cl.in.dev)
}

// Clear is a device clear: the client's input and output are discarded.
func (cl *Client) Clear() {
	cl.input, cl.out, cl.overrun = cl.input[:0], cl.out[:0], false
	cl.scan = msgframe.NewScanner()
}

// ErrorQueryHandler answers SYST:ERR? from the instrument's error queue; a
// model registers it under its own pattern:
//
//	cmds.Handle("SYSTem:ERRor[:NEXT]?", sim.ErrorQueryHandler[*MyDevice])
func ErrorQueryHandler[D any](_ D, c *Call) error {
	e := c.NextError()
	c.Reply(strconv.Itoa(e.Code) + `,"` + e.Message + `"`)
	return nil
}

// ErrorCountHandler answers SYST:ERR:COUNt?.
func ErrorCountHandler[D any](_ D, c *Call) error {
	c.ReplyInt(int64(c.ErrorCount()))
	return nil
}
