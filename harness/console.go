package harness

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
)

// Console is where a run's log lines and its progress line meet, as a
// person reads them. On a terminal, log lines are coloured and the
// progress line is redrawn in place below them: a log line first erases
// it, then it is drawn again, so the two are never glued together. In a
// file or a pipe (a CI log), nothing but plain lines: no colour, no
// carriage returns or escape sequences, and the progress as a summary
// line now and then.
//
//	console := harness.NewConsole(os.Stderr)
//	rec, err := harness.Run(ctx, "burn-in", body,
//		harness.WithLogger(console.Logger().Level(zerolog.InfoLevel)),
//		harness.WithProgress(console))
type Console struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	progress string // the progress line now drawn below the log, "" for none
	failed   bool   // a write failed: no more progress lines
	held     int    // prompts being asked on the terminal: no progress line meanwhile
	draws    int    // drawProgress calls, for tests that wait for redraws
}

// NewConsole writes to w, which is a terminal when it is an *os.File (or
// anything with an Fd) open on one.
func NewConsole(w io.Writer) *Console {
	if c, ok := w.(*Console); ok {
		return c
	}
	return &Console{w: w, terminal: isTerminal(w)}
}

func isTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr })
	if !ok {
		return false
	}
	fd := f.Fd()
	return fd <= math.MaxInt && term.IsTerminal(int(fd))
}

// Terminal reports whether the console is a terminal.
func (c *Console) Terminal() bool { return c.terminal }

// Write writes log output (one or more whole lines), above the progress
// line on a terminal.
func (c *Console) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.terminal || c.progress == "" || c.failed {
		return c.w.Write(p)
	}
	// One write: erase the progress line, the log, the progress again.
	var b bytes.Buffer
	b.Grow(len(p) + len(c.progress) + 8)
	b.WriteString("\r\x1b[K")
	b.Write(p)
	if len(p) > 0 && p[len(p)-1] != '\n' {
		b.WriteByte('\n')
	}
	b.WriteString(c.progress)
	if _, err := c.w.Write(b.Bytes()); err != nil {
		c.failed = true
		return 0, err
	}
	return len(p), nil
}

// Logger is a zerolog logger for people: time of day to the millisecond,
// level, message, fields; coloured only on a terminal. Set its level with
// Level.
func (c *Console) Logger() zerolog.Logger {
	w := zerolog.ConsoleWriter{Out: c, NoColor: !c.terminal, TimeFormat: "15:04:05.000"}
	return zerolog.New(w).Hook(timestampHook{})
}

// drawProgress shows line as the progress line: redrawn in place on a
// terminal, a line of its own otherwise. It reports false once a write
// has failed (a closed pipe or terminal): the run goes on without it.
func (c *Console) drawProgress(line string, final bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.draws++
	if c.failed {
		return false
	}
	if c.terminal && c.held > 0 && !final {
		return true // a prompt is being asked: a redraw would erase the question and the operator's typing
	}
	var out string
	switch {
	case !c.terminal:
		out = line + "\n"
	case final:
		out, c.progress = "\r"+line+"\x1b[K\n", ""
	default:
		out, c.progress = "\r"+line+"\x1b[K", line
	}
	if _, err := io.WriteString(c.w, out); err != nil {
		c.failed = true
		c.progress = ""
		return false
	}
	return true
}

// hold takes the progress line off the terminal until release: a prompt
// is being asked there, and a redraw (a carriage return, then the line)
// would wipe out the question and what the operator has typed so far.
// Log lines still print, above the prompt. Holds nest: one per prompt
// waiting.
func (c *Console) hold() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held++
	if c.held == 1 && c.terminal && c.progress != "" && !c.failed {
		c.progress = ""
		if _, err := io.WriteString(c.w, "\r\x1b[K"); err != nil {
			c.failed = true
		}
	}
}

// release ends a hold; the progress line comes back at its next redraw.
func (c *Console) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.held = max(c.held-1, 0)
}

// timestampHook stamps each event with the time to the nanosecond, where
// zerolog's own Timestamp keeps only the second (its default
// TimeFieldFormat): a console shows the milliseconds, a JSON log keeps
// them all.
type timestampHook struct{}

func (timestampHook) Run(e *zerolog.Event, _ zerolog.Level, _ string) {
	e.Str(zerolog.TimestampFieldName, time.Now().Format(time.RFC3339Nano))
}

// stamped is l with a timestamp on each line unless it has one already (a
// logger made without Timestamp prints "<nil>" for the time on a
// console).
func stamped(l zerolog.Logger) zerolog.Logger {
	if l.GetLevel() == zerolog.Disabled {
		return l
	}
	var probe bytes.Buffer
	p := l.Output(&probe)
	p.Log().Msg("")
	if bytes.Contains(probe.Bytes(), []byte(strconv.Quote(zerolog.TimestampFieldName)+":")) {
		return l
	}
	return l.Hook(timestampHook{})
}

// FormatDuration shows d to four significant figures in the unit that
// suits it: 4.107s, 86.79ms, 312.5µs, 750ns; whole seconds from a minute
// up (2m3s).
func FormatDuration(d time.Duration) string {
	a := d
	if a < 0 {
		a = -a
	}
	if a >= time.Minute {
		return d.Round(time.Second).String()
	}
	step := time.Duration(1)
	for a/step >= 10000 {
		step *= 10
	}
	return d.Round(step).String()
}

// dutField adds the DUT a log line is about, when it is about one.
func dutField(dut string) func(*zerolog.Event) {
	return func(e *zerolog.Event) {
		if dut != "" {
			e.Str("dut", dut)
		}
	}
}

// plural is n and the noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
