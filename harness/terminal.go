package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
)

// TerminalPrompter answers prompts on a terminal, a line at a time: it
// writes the question to out, saying which DUT asks and what input it
// expects, and reads the answer as a line from in. Prompts from many
// DUTs at once are asked one at a time, in the order they came; an answer
// that does not fit (a choice not offered, a confirm neither y nor n, an
// empty serial) is refused on the spot and the question asked again. A
// choice can also be given by its number.
//
// When in is a terminal, a line typed while no prompt waits is ignored,
// with a note: an answer meant for a prompt a stop cancelled must not go
// to the next one. From a pipe or a file, lines are answers in order,
// whenever they come (a script's type-ahead), up to 64 read ahead. The
// reading goroutine starts with the first prompt and ends when in does
// (EOF or an error); a prompt then fails with ErrNoPrompter.
func TerminalPrompter(in io.Reader, out io.Writer) Prompter {
	return newTerminalPrompter(in, out, isTerminal(in))
}

func newTerminalPrompter(in io.Reader, out io.Writer, terminal bool) *terminalPrompter {
	tp := &terminalPrompter{in: in, out: out, ended: make(chan struct{})}
	if !terminal {
		tp.ahead = make(chan string, readAhead)
	}
	return tp
}

// readAhead bounds the lines read from a pipe or file before a prompt
// takes them.
const readAhead = 64

type terminalPrompter struct {
	in    io.Reader
	start sync.Once
	ahead chan string // lines read ahead (from a pipe or file); nil on a terminal

	outMu sync.Mutex // out is written from the prompts and the reader
	out   io.Writer

	mu    sync.Mutex
	queue []turn      // the prompts waiting, in order; queue[0] is being asked
	cur   chan string // the line the head waits for, on a terminal; nil while none does
	err   error       // why in ended
	ended chan struct{}
}

// turn is a prompt's place in the queue: its channel is closed when the
// prompt reaches the front.
type turn chan struct{}

// maxLine bounds a line read from the terminal: a longer one is refused
// without being kept.
const maxLine = MaxAnswer

// Answer asks r on the terminal once the prompts before it are done.
func (tp *terminalPrompter) Answer(ctx context.Context, r PromptRequest) (string, string, error) {
	tp.start.Do(func() { go tp.read() })
	me := make(turn)
	tp.mu.Lock()
	tp.queue = append(tp.queue, me)
	if len(tp.queue) == 1 {
		close(me)
	}
	tp.mu.Unlock()
	defer tp.leave(me)
	select {
	case <-me:
	case <-ctx.Done():
		return "", "", context.Cause(ctx)
	}
	who := r.DUT
	if who == "" {
		who = "the run"
	}
	question := tp.question(who, r)
	for {
		line := make(chan string, 1)
		tp.mu.Lock()
		if tp.ahead == nil {
			tp.cur = line // before the question shows: an answer typed at once is not lost
		}
		tp.mu.Unlock()
		tp.write(question)
		var s string
		select {
		case s = <-line:
		case s = <-tp.ahead:
			tp.write(s + "\n") // a terminal echoes what is typed; a script's answers are shown here
		case <-tp.ended:
			select {
			case s = <-tp.ahead: // read before the end
				tp.write(s + "\n")
			default:
				tp.mu.Lock()
				err := tp.err
				tp.mu.Unlock()
				tp.write("\n")
				return "", "", fmt.Errorf("%w: the terminal's input ended (%v)", ErrNoPrompter, err)
			}
		case <-ctx.Done():
			tp.mu.Lock()
			if tp.cur == line {
				tp.cur = nil
			}
			tp.mu.Unlock()
			cause := context.Cause(ctx)
			tp.write(fmt.Sprintf("\n%s: prompt %s cancelled: %s\n", who, r.ID, strings.TrimPrefix(cause.Error(), "harness: ")))
			return "", "", cause
		}
		a, err := r.Prompt.accept(s)
		if err != nil && r.Prompt.Input == InputChoice {
			// On a terminal a choice can be picked by its number.
			if n, nerr := strconv.Atoi(strings.TrimSpace(s)); nerr == nil && n >= 1 && n <= len(r.Prompt.Choices) {
				a, err = r.Prompt.Choices[n-1], nil
			}
		}
		if err != nil {
			tp.write(fmt.Sprintf("%s: %s; try again\n", who, strings.TrimPrefix(err.Error(), "harness: ")))
			continue
		}
		return a, "terminal", nil
	}
}

// question is how r reads on the terminal: who asks, what, and how to
// answer.
func (tp *terminalPrompter) question(who string, r PromptRequest) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n%s asks (prompt %s): %s\n", who, r.ID, r.Prompt.Text)
	if len(r.Prompt.Image) > 0 {
		b.WriteString("  (a picture goes with this prompt: the station page shows it)\n")
	}
	switch r.Prompt.Input {
	case InputSerial:
		b.WriteString("  scan or type the unit's serial number, then Enter")
	case InputText:
		b.WriteString("  type the answer, then Enter")
	case InputChoice:
		b.WriteString("  type one of")
		for i, c := range r.Prompt.Choices {
			fmt.Fprintf(&b, "  %d) %s", i+1, c)
		}
		b.WriteString(", then Enter")
	default:
		b.WriteString("  type y or n, then Enter")
	}
	if r.Prompt.Timeout > 0 {
		fmt.Fprintf(&b, " (within %s)", FormatDuration(r.Prompt.Timeout))
	}
	b.WriteString("\n> ")
	return b.String()
}

// leave takes me out of the queue, letting the next prompt be asked.
func (tp *terminalPrompter) leave(me turn) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	for i, x := range tp.queue {
		if x != me {
			continue
		}
		tp.queue = append(tp.queue[:i], tp.queue[i+1:]...)
		if i == 0 {
			tp.cur = nil
			if len(tp.queue) > 0 {
				close(tp.queue[0])
			}
		}
		return
	}
}

func (tp *terminalPrompter) write(s string) {
	tp.outMu.Lock()
	defer tp.outMu.Unlock()
	io.WriteString(tp.out, s) // a terminal that cannot be written to still answers
}

// read hands each line of in to the prompt waiting for one.
func (tp *terminalPrompter) read() {
	br := bufio.NewReaderSize(tp.in, maxLine)
	for {
		line, long, err := readLine(br)
		if line != nil || long {
			tp.mu.Lock()
			c := tp.cur
			if c != nil && !long {
				tp.cur = nil
			}
			tp.mu.Unlock()
			switch {
			case long:
				tp.write(fmt.Sprintf("(line longer than %d bytes ignored)\n", maxLine))
			case tp.ahead != nil:
				tp.ahead <- string(line)
			case c == nil:
				tp.write("(no prompt is waiting: line ignored)\n")
			default:
				c <- string(line)
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.EOF
			}
			tp.mu.Lock()
			tp.err = err
			tp.mu.Unlock()
			close(tp.ended)
			return
		}
	}
}

// readLine reads one line without its "\n" or "\r\n"; long reports a
// line over maxLine bytes, skipped to its end. A last line without a
// newline counts.
func readLine(br *bufio.Reader) (line []byte, long bool, err error) {
	b, err := br.ReadSlice('\n')
	for errors.Is(err, bufio.ErrBufferFull) {
		long = true
		_, err = br.ReadSlice('\n')
	}
	if long {
		return nil, true, err
	}
	if err != nil && len(b) == 0 {
		return nil, false, err
	}
	b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
	return bytes.Clone(b), false, err
}
