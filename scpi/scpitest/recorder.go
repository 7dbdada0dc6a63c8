package scpitest

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/transport"
)

// Recorder wraps a real link and keeps a transcript of what crosses it,
// message by message, in the form NewConn replays. It implements
// transport.Conn, so a session runs over it, as over a socket: the
// wrapped link's optional capabilities (device clear, the status byte
// read out of band, trigger, locks, remote/local, a link that holds
// replies) are not passed through, since the transcript has no place
// for them. A session over a Recorder wrapping a VXI-11, HiSLIP, GPIB or
// USBTMC link therefore reads the status byte with *STB?, which the
// transcript shows, resynchronises by discarding late replies instead
// of a device clear, and DeviceClear returns ErrNotSupported. Record
// the exchanges a driver makes, and test its out-of-band calls with a
// link that has them (the simulator's servers).
type Recorder struct {
	conn transport.Conn
	term byte

	mu        sync.Mutex
	out, in   []byte // bytes not yet framed into messages
	exchanges []Exchange
	replyTo   int // index of the exchange the incoming reply belongs to
}

// NewRecorder wraps conn. Messages are framed by '\n' (and by block
// lengths), as the session frames them.
func NewRecorder(conn transport.Conn) *Recorder {
	return &Recorder{conn: conn, term: '\n', replyTo: -1}
}

func (r *Recorder) Write(p []byte) (int, error) {
	n, err := r.conn.Write(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.out = append(r.out, p[:n]...)
	for {
		end := scpi.MessageEnd(r.out, r.term)
		if end < 0 {
			break
		}
		cmd := strings.TrimSuffix(string(r.out[:end]), "\r")
		r.out = r.out[end+1:]
		r.exchanges = append(r.exchanges, Exchange{Command: cmd})
	}
	return n, err
}

func (r *Recorder) Read(p []byte) (int, error) {
	n, err := r.conn.Read(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if n > 0 && len(r.in) == 0 {
		// A reply answers the latest command sent before it began.
		r.replyTo = len(r.exchanges) - 1
	}
	r.in = append(r.in, p[:n]...)
	for {
		end := scpi.MessageEnd(r.in, r.term)
		if end < 0 {
			break
		}
		reply := strings.TrimSuffix(string(r.in[:end]), "\r")
		r.in = r.in[end+1:]
		if r.replyTo >= 0 && r.replyTo < len(r.exchanges) && !r.exchanges[r.replyTo].HasReply {
			r.exchanges[r.replyTo].Reply, r.exchanges[r.replyTo].HasReply = reply, true
		}
		r.replyTo = len(r.exchanges) - 1
	}
	return n, err
}

// SetDeadline passes through to the wrapped link.
func (r *Recorder) SetDeadline(t time.Time) error { return r.conn.SetDeadline(t) }

// Close closes the wrapped link.
func (r *Recorder) Close() error { return r.conn.Close() }

// Exchanges returns the transcript so far.
func (r *Recorder) Exchanges() []Exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Exchange(nil), r.exchanges...)
}

// WriteTo writes the transcript in the text form Parse reads: one line a
// message, "> " for a command and "< " for its reply, each Go-quoted so
// binary blocks survive.
func (r *Recorder) WriteTo(w io.Writer) (int64, error) {
	return writeTranscript(w, r.Exchanges())
}

// Save writes the transcript to a file.
func (r *Recorder) Save(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := r.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

const transcriptHeader = "# scpitest transcript: > command, < reply (Go-quoted)\n"

func writeTranscript(w io.Writer, xs []Exchange) (int64, error) {
	bw := bufio.NewWriter(w)
	var n int64
	k, _ := bw.WriteString(transcriptHeader)
	n += int64(k)
	for _, e := range xs {
		k, _ = fmt.Fprintf(bw, "> %s\n", strconv.Quote(e.Command))
		n += int64(k)
		if e.HasReply {
			k, _ = fmt.Fprintf(bw, "< %s\n", strconv.Quote(e.Reply))
			n += int64(k)
		}
	}
	return n, bw.Flush()
}

// Parse reads a transcript written by Recorder.WriteTo. Blank lines and
// lines starting with # are ignored.
func Parse(rd io.Reader) ([]Exchange, error) {
	var xs []Exchange
	sc := bufio.NewScanner(rd)
	sc.Buffer(make([]byte, 64<<10), 1<<30)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if len(text) < 2 || (text[:2] != "> " && text[:2] != "< ") {
			return nil, fmt.Errorf("scpitest: transcript line %d: want \"> command\" or \"< reply\"", line)
		}
		s, err := strconv.Unquote(text[2:])
		if err != nil {
			return nil, fmt.Errorf("scpitest: transcript line %d: %w", line, err)
		}
		if text[0] == '>' {
			xs = append(xs, Exchange{Command: s})
			continue
		}
		if len(xs) == 0 || xs[len(xs)-1].HasReply {
			return nil, fmt.Errorf("scpitest: transcript line %d: reply without a command", line)
		}
		xs[len(xs)-1].Reply, xs[len(xs)-1].HasReply = s, true
	}
	return xs, sc.Err()
}

// Load reads a transcript file, failing the test if it cannot.
func Load(t interface {
	Helper()
	Fatalf(string, ...any)
}, path string) []Exchange {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("scpitest: %v", err)
	}
	defer f.Close()
	xs, err := Parse(f)
	if err != nil {
		t.Fatalf("scpitest: %s: %v", path, err)
	}
	return xs
}
