package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/scpi"
	"golang.org/x/term"
)

const shellHelp = `Type SCPI: a line with a ? outside quotes is a query and its reply is shown;
any other line is sent as a command. A line may start with a colon
(:SOUR1:VOLT 5): only these words are the shell's own commands:
  :timeout D      time allowed for each line (now %v)
  :trace on|off   show the bytes sent and received
  :read           read a reply to a command that had no ?
  :errors         the instrument's errors, each with the line it followed
  :clear          device clear (when the link has one)
  :save FILE      write the last binary block's payload to FILE
  :help           this text
  :quit           leave (or Ctrl-D)
Tab completes; Up and Ctrl-R recall earlier lines; Ctrl-C cancels the line
being run, or abandons the one being typed.
`

// lineReader is where the shell's lines come from: a terminal with line
// editing and history, or any reader (a script piped in).
type lineReader interface {
	ReadLine() (string, error)
}

// maxScriptLine is the longest line the shell reads from a plain reader:
// the longest reply a session takes (scpi.WithMaxResponseSize's default),
// far beyond what instruments accept. The buffer grows to it only as a
// line needs.
const maxScriptLine = 256 << 20

// scanLines reads lines from a plain reader.
type scanLines struct {
	sc  *bufio.Scanner
	max int // the longest line taken
	n   int // lines read
}

func newScanLines(r io.Reader) *scanLines {
	return newScanLinesMax(r, maxScriptLine)
}

func newScanLinesMax(r io.Reader, max int) *scanLines {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, min(64<<10, max)), max)
	return &scanLines{sc: sc, max: max}
}

func (r *scanLines) ReadLine() (string, error) {
	if r.sc.Scan() {
		r.n++
		return r.sc.Text(), nil
	}
	err := r.sc.Err()
	if errors.Is(err, bufio.ErrTooLong) {
		return "", fmt.Errorf("line %d is longer than %d bytes, the most the shell reads; split it into shorter lines, or send it with scpi query RESOURCE 'LINE'", r.n+1, r.max)
	}
	if err != nil {
		return "", err
	}
	return "", io.EOF
}

// fileHistory is the terminal's history, kept in a file so that the next
// shell recalls this one's lines (up arrow), as bash and python do.
type fileHistory struct {
	path  string
	lines []string // oldest first
}

const historyMax = 1000

func loadHistory(path string) *fileHistory {
	h := &fileHistory{path: path}
	if b, err := os.ReadFile(path); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if l != "" {
				h.lines = append(h.lines, l)
			}
		}
		if len(h.lines) > historyMax {
			h.lines = h.lines[len(h.lines)-historyMax:]
		}
	}
	return h
}

// Add records a line, skipping repeats of the last one; a history file
// that cannot be written costs the history, not the session.
func (h *fileHistory) Add(l string) {
	if l == "" || (len(h.lines) > 0 && h.lines[len(h.lines)-1] == l) {
		return
	}
	h.lines = append(h.lines, l)
	if len(h.lines) > historyMax {
		h.lines = h.lines[1:]
	}
	if h.path == "" {
		return
	}
	if f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600); err == nil {
		fmt.Fprintln(f, l)
		f.Close()
	}
}

func (h *fileHistory) Len() int { return len(h.lines) }

func (h *fileHistory) At(i int) string { return h.lines[len(h.lines)-1-i] }

// historyPath is $XDG_STATE_HOME/scpikit/shell_history, or under
// ~/.local/state; "" when neither is known.
func historyPath() string {
	dir := os.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return ""
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "scpikit")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	return filepath.Join(dir, "shell_history")
}

// gateWriter passes the trace on only while it is switched on.
type gateWriter struct {
	on *atomic.Bool
	w  io.Writer
}

func (g gateWriter) Write(p []byte) (int, error) {
	if g.on.Load() {
		return g.w.Write(p)
	}
	return len(p), nil
}

// shell is one interactive session.
type shell struct {
	s         *scpi.Session
	out       io.Writer // replies, and what the shell's commands were asked for
	errOut    io.Writer // errors, notes, "interrupted"
	timeout   time.Duration
	trace     *atomic.Bool
	raw       bool // --raw: replies as they came
	lastBlock []byte

	// interrupts, on a terminal, are Ctrl-C pressed while a line runs: it
	// cancels that line, not the shell.
	interrupts <-chan os.Signal

	// The instrument's error queue is read before each line that talks to
	// it (and at the end), so each error is known to follow the lines sent
	// since the last read: unchecked. Reading it before the next line, not
	// right after each, leaves a reply to a command without ? for :read.
	unchecked []string
	errs      []lineError // read, not yet shown by :errors
	noCheck   string      // why the queue is not read after each line ("": it is)
	// failed is the exit status of the first line that failed: what a
	// script ends with.
	failed int
	lastOK bool // the last line sent got through: the link and instrument work
}

// lineError is an entry of the instrument's error queue and the lines it
// followed: one when the queue was read after each line, more when a
// read failed in between (a timeout, Ctrl-C).
type lineError struct {
	scpi.DeviceError
	after []string
}

func (e lineError) String() string {
	s := fmt.Sprintf("scpi: device error %d, %q", e.Code, e.Message)
	if len(e.after) > 0 {
		quoted := make([]string, len(e.after))
		for i, l := range e.after {
			quoted[i] = strconv.Quote(l)
		}
		s += " after " + strings.Join(quoted, " or ")
	}
	return s
}

// runShell parses the shell's flags, opens the session and runs lines
// from stdin: with line editing and history when stdin and stdout are both
// terminals; as the terminal's own line discipline edits them, nothing
// drawn, when only stdin is one (stdout is a file the replies go to); line
// by line otherwise (a script, whose exit status is the first failed
// line's). Replies go to stdout, errors and notes to stderr. SIGTERM
// (ctx), and in a script Ctrl-C, end it at once, at the prompt too.
func runShell(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scpi shell", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeout := fs.Duration("timeout", 5*time.Second, "")
	trace := fs.Bool("trace", false, "")
	raw := fs.Bool("raw", false, "")
	portmapper := fs.Int("portmapper", 0, "")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		return exitOK
	}
	if err == nil {
		err = flagAfterResource("shell", fs.Args())
	}
	if err == nil {
		err = checkPortmapper(*portmapper)
	}
	if err != nil || fs.NArg() != 1 || *timeout <= 0 {
		if err == nil {
			err = errors.New("want one resource and a positive --timeout")
		}
		fmt.Fprintf(stderr, "scpi shell: %v\n\n%s", err, usage)
		return exitUsage
	}
	sh, code := openShell(ctx, fs.Arg(0), *timeout, *portmapper, *trace, stdout, stderr)
	if sh == nil {
		return code
	}
	defer sh.s.Close()
	sh.raw = *raw
	if stdin == nil {
		stdin = os.Stdin
	}
	fd, person := terminal(stdin)
	if !person {
		// A script: Ctrl-C from wherever it was started ends it.
		ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
		defer stop()
		in := newInput(ctx, stdin)
		defer in.Close()
		return sh.run(ctx, newScanLines(in), nil)
	}
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)
	sh.interrupts = interrupts
	in := newInput(ctx, stdin)
	defer in.Close()
	// A person's session: leaving it is not a failure, being stopped
	// (SIGTERM) is, as for a command it interrupts.
	ended := func(code int) int {
		if ctx.Err() != nil {
			return code
		}
		return exitOK
	}

	if _, drawable := terminal(stdout); !drawable {
		// stdout is a file or a pipe: it gets the replies and nothing
		// else. The terminal stays in its own mode, which echoes and edits
		// what is typed; Ctrl-C there discards the line being typed.
		return ended(sh.run(ctx, newScanLines(in), nil))
	}
	ed := newEditor(in, stdout, "scpi> ", loadHistory(historyPath()))
	ed.width = func() int {
		w, _, err := term.GetSize(fd)
		if err != nil {
			return 0
		}
		return w
	}
	ed.complete = completer{tree: simulatedTree(fs.Arg(0))}.complete
	fmt.Fprintf(stdout, "%s: type :help for help, Tab to complete, Ctrl-D to leave\n", sh.s.Resource())
	// Raw mode only while a line is edited: during an exchange Ctrl-C is a
	// signal again, and interrupts it. The mode is restored however the
	// read ends: a line, the end of input, SIGTERM.
	return ended(sh.run(ctx, ed, func(read func() (string, error)) (string, error) {
		old, err := term.MakeRaw(fd)
		if err != nil {
			return "", err
		}
		defer term.Restore(fd, old)
		return read()
	}))
}

// terminal reports whether f is a terminal, and its descriptor. It asks
// through SyscallConn, not Fd, which would put a file the runtime polls
// in blocking mode, where a read deadline no longer ends a read (input).
func terminal(f any) (fd int, ok bool) {
	sc, ok := f.(syscall.Conn)
	if !ok {
		return -1, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, false
	}
	fd = -1
	if rc.Control(func(d uintptr) { fd = int(d) }) != nil || fd < 0 {
		return -1, false
	}
	return fd, term.IsTerminal(fd)
}

// lostReplyBound is how long the shell's session still waits for the
// reply of a query that timed out or was interrupted. A person has already
// waited out the query's timeout, or pressed Ctrl-C, and has moved on: the
// session gives the reply up at once and fences the link (device clear,
// reconnect or a *OPC? round trip), so the next line is answered as soon
// as the instrument answers it, instead of spending its own time on the
// lost reply (the session's default bound is the whole timeout).
const lostReplyBound = time.Millisecond

func openShell(ctx context.Context, resource string, timeout time.Duration, portmapper int, trace bool, stdout, stderr io.Writer) (*shell, int) {
	on := new(atomic.Bool)
	on.Store(trace)
	logger := zerolog.New(gateWriter{on: on, w: traceWriter{stderr}}).Level(zerolog.DebugLevel)
	openCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s, err := open(openCtx, resource, portmapper, scpi.WithTimeout(timeout), scpi.WithLogger(logger),
		scpi.WithResyncTimeout(lostReplyBound))
	if err != nil {
		fmt.Fprintf(stderr, "scpi: %v\n", err)
		return nil, exitOpen
	}
	return &shell{s: s, out: stdout, errOut: stderr, timeout: timeout, trace: on}, exitOK
}

// run reads and runs lines until :quit, the end of input or ctx ends; it
// returns the exit status of the first line that failed (exitOK if none).
// wrap, when set, surrounds each read (the terminal's raw mode).
func (sh *shell) run(ctx context.Context, in lineReader, wrap func(func() (string, error)) (string, error)) int {
	for {
		var line string
		var err error
		if wrap != nil {
			line, err = wrap(in.ReadLine)
		} else {
			line, err = in.ReadLine()
		}
		if ctx.Err() != nil { // SIGTERM, or Ctrl-C in a script, while waiting for a line
			fmt.Fprintln(sh.errOut, "interrupted")
			return exitFailure
		}
		if errors.Is(err, io.EOF) {
			return sh.finish(ctx)
		}
		if err != nil {
			fmt.Fprintf(sh.errOut, "scpi shell: %v\n", err)
			return exitFailure
		}
		line = strings.TrimSpace(line)
		select {
		case <-sh.interrupts: // from before this line: not meant for it
		default:
		}
		switch {
		case line == "":
		case isShellCommand(line):
			quit, err := sh.meta(ctx, line)
			sh.fail(err)
			if quit {
				return sh.finish(ctx)
			}
		default:
			if sh.checkErrors(ctx) {
				fmt.Fprintf(sh.errOut, "interrupted: %s not sent\n", line)
				break
			}
			err := sh.exchange(ctx, line)
			sh.fail(err)
			sh.lastOK = err == nil
			sh.unchecked = append(sh.unchecked, line)
		}
		if ctx.Err() != nil { // SIGTERM, or Ctrl-C in a script: leave
			fmt.Fprintln(sh.errOut, "interrupted")
			return exitFailure
		}
	}
}

// fail records a failed line's exit status, if it is the first.
func (sh *shell) fail(err error) {
	if err != nil && sh.failed == exitOK {
		sh.failed = codeFor(err)
	}
}

// finish reads the errors the last lines left, says those :errors has
// not shown (a script's status counts them), and returns the status.
func (sh *shell) finish(ctx context.Context) int {
	sh.checkErrors(ctx)
	for _, e := range sh.errs {
		fmt.Fprintln(sh.errOut, e)
	}
	return sh.failed
}

// lineContext is what one line runs under: the shell's timeout, and on a
// terminal Ctrl-C, which cancels it (interrupted then reports true).
func (sh *shell) lineContext(ctx context.Context) (_ context.Context, done func(), interrupted func() bool) {
	ctx, cancel := context.WithTimeout(ctx, sh.timeout)
	if sh.interrupts == nil {
		return ctx, cancel, func() bool { return false }
	}
	var hit atomic.Bool
	stop := make(chan struct{})
	go func() {
		select {
		case <-sh.interrupts:
			hit.Store(true)
			cancel()
		case <-stop:
		}
	}()
	return ctx, func() { close(stop); cancel() }, hit.Load
}

// checkErrors reads the instrument's error queue and records what it held
// as following the lines sent since it was last read. An instrument that
// does not answer the error query as SCPI says is not asked again. It
// reports whether Ctrl-C interrupted it.
func (sh *shell) checkErrors(ctx context.Context) (interrupted bool) {
	if sh.noCheck != "" || len(sh.unchecked) == 0 {
		return false
	}
	ctx, done, hit := sh.lineContext(ctx)
	defer done()
	des, err := sh.s.Errors(ctx)
	for _, de := range des {
		de.Command = ""
		sh.errs = append(sh.errs, lineError{de, slices.Clone(sh.unchecked)})
		sh.fail(&de)
	}
	var pe *scpi.ParseError
	switch {
	case err == nil:
		sh.unchecked = sh.unchecked[:0]
	case errors.As(err, &pe):
		sh.noCheck = fmt.Sprintf("it answered the error query with %q", pe.Input)
		sh.unchecked = sh.unchecked[:0]
		fmt.Fprintf(sh.errOut, "note: the error queue is not read after each line: %s; :errors reads it\n", sh.noCheck)
	case hit():
		return true // kept unchecked, as below
	case errors.Is(err, scpi.ErrTimeout) && sh.lastOK:
		// The line before went through, the error query did not: an
		// instrument without it (a pyvisa-sim device, say). Asking before
		// every line would cost every line a timeout.
		sh.noCheck = "it did not answer the error query (SYST:ERR?) within the timeout"
		sh.unchecked = sh.unchecked[:0]
		fmt.Fprintf(sh.errOut, "note: the error queue is not read after each line: %s; :errors reads it\n", sh.noCheck)
	default:
		// Kept unchecked: the next read's errors may follow any of them.
		fmt.Fprintf(sh.errOut, "error: reading the error queue after %q: %v\n", sh.unchecked[len(sh.unchecked)-1], err)
	}
	return false
}

// isQuery reports whether line holds a ? outside quoted strings.
func isQuery(line string) bool {
	var quote rune
	for _, r := range line {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '?':
			return true
		}
	}
	return false
}

// exchange sends one line: a query's reply is read and shown, a command
// is only written.
func (sh *shell) exchange(ctx context.Context, line string) error {
	ctx, done, interrupted := sh.lineContext(ctx)
	defer done()
	var err error
	if !isQuery(line) {
		err = sh.s.Write(ctx, line)
	} else {
		var reply string
		if reply, err = sh.s.Query(ctx, line); err == nil {
			sh.show(reply)
		}
	}
	switch {
	case err == nil:
	case interrupted():
		fmt.Fprintf(sh.errOut, "interrupted: %s\n", line)
	default:
		fmt.Fprintf(sh.errOut, "error: %v\n", err)
	}
	return err
}

// show prints a reply: a binary block as a summary (it is kept for :save),
// anything else as it came if it is printable (or --raw), else escaped.
func (sh *shell) show(reply string) {
	if strings.HasPrefix(reply, "#") {
		if data, rest, err := scpi.ParseBlock([]byte(reply)); err == nil && len(rest) == 0 {
			sh.lastBlock = data
			n := min(len(data), 16)
			more := ""
			if len(data) > n {
				more = " ..."
			}
			fmt.Fprintf(sh.out, "<block: %d bytes: %s%s> (:save FILE writes it)\n", len(data), hex.EncodeToString(data[:n]), more)
			return
		}
	}
	fmt.Fprintln(sh.out, printableUnless(sh.raw, reply))
}

func printableUnless(raw bool, s string) string {
	if raw {
		return s
	}
	return printable(s)
}

// shellCommands are the shell's own commands. Only these are taken from
// a line that starts with a colon: a leading colon is also valid SCPI
// (":SOUR1:VOLT 5", as Rigol's manuals write every command), which goes
// to the instrument.
var shellCommands = map[string]bool{
	":quit": true, ":exit": true, ":q": true, ":help": true, ":h": true, ":?": true, ":timeout": true,
	":trace": true, ":read": true, ":errors": true, ":clear": true, ":save": true,
}

func isShellCommand(line string) bool {
	word, _, _ := strings.Cut(line, " ")
	return shellCommands[strings.ToLower(word)]
}

// showErrors is :errors: the errors read after earlier lines, then the
// queue's, each with the lines it followed.
func (sh *shell) showErrors(ctx context.Context) error {
	if sh.noCheck != "" {
		// Read now; which line each followed is not known.
		ctx, done, interrupted := sh.lineContext(ctx)
		defer done()
		des, err := sh.s.Errors(ctx)
		for _, de := range des {
			de.Command = ""
			sh.errs = append(sh.errs, lineError{DeviceError: de})
		}
		if err != nil {
			if interrupted() {
				fmt.Fprintln(sh.errOut, "interrupted: :errors")
			} else {
				fmt.Fprintf(sh.errOut, "error: %v\n", err)
			}
			return err
		}
	} else if sh.checkErrors(ctx) {
		fmt.Fprintln(sh.errOut, "interrupted: :errors")
		return nil
	}
	for _, e := range sh.errs {
		fmt.Fprintln(sh.out, e)
	}
	if len(sh.errs) == 0 {
		fmt.Fprintln(sh.out, "no errors")
	}
	sh.errs = nil
	return nil
}

// errShellCommand is a shell command used wrongly (a script's status is
// then 1).
var errShellCommand = errors.New("shell command failed")

// meta runs a shell command; it reports whether the shell should end.
func (sh *shell) meta(ctx context.Context, line string) (quit bool, err error) {
	cmd, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	switch strings.ToLower(cmd) {
	case ":errors":
		return false, sh.showErrors(ctx)
	case ":clear":
		if sh.checkErrors(ctx) { // the errors before the clear are the lines'
			fmt.Fprintf(sh.errOut, "interrupted: %s\n", line)
			return false, nil
		}
	}
	ctx, done, interrupted := sh.lineContext(ctx)
	defer done()
	report := func(err error) error {
		if interrupted() {
			fmt.Fprintf(sh.errOut, "interrupted: %s\n", line)
		} else {
			fmt.Fprintf(sh.errOut, "error: %v\n", err)
		}
		return err
	}
	switch strings.ToLower(cmd) {
	case ":quit", ":exit", ":q":
		return true, nil
	case ":help", ":h", ":?":
		fmt.Fprintf(sh.out, shellHelp, sh.timeout)
	case ":timeout":
		d, err := time.ParseDuration(arg)
		if err != nil || d <= 0 {
			fmt.Fprintf(sh.errOut, "error: :timeout wants a positive duration such as 5s, not %q\n", arg)
			return false, errShellCommand
		}
		sh.timeout = d
		fmt.Fprintf(sh.out, "timeout %v\n", d)
	case ":trace":
		switch strings.ToLower(arg) {
		case "on":
			sh.trace.Store(true)
		case "off":
			sh.trace.Store(false)
		default:
			fmt.Fprintf(sh.errOut, "error: :trace on or :trace off, not %q\n", arg)
			return false, errShellCommand
		}
	case ":read":
		// Before the error queue is read: the reply is the line's.
		reply, err := sh.s.Read(ctx)
		if err != nil {
			return false, report(err)
		}
		sh.show(reply)
	case ":clear":
		if err := sh.s.DeviceClear(ctx); err != nil {
			return false, report(err)
		}
	case ":save":
		switch {
		case arg == "":
			fmt.Fprintln(sh.errOut, "error: :save FILE")
			return false, errShellCommand
		case sh.lastBlock == nil:
			fmt.Fprintln(sh.errOut, "error: no binary block received yet")
			return false, errShellCommand
		default:
			if err := os.WriteFile(arg, sh.lastBlock, 0o644); err != nil {
				return false, report(err)
			}
			fmt.Fprintf(sh.out, "%d bytes written to %s\n", len(sh.lastBlock), arg)
		}
	default:
		fmt.Fprintf(sh.errOut, "error: unknown shell command %s (:help lists them)\n", cmd)
		return false, errShellCommand
	}
	return false, nil
}
