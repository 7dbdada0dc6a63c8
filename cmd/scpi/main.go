package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/scpi"
	_ "github.com/scpikit/scpikit/sim/models/all" // SIM::<model>::INSTR resources, SCPIKIT_SIM=bench.yaml and every model
	"github.com/scpikit/scpikit/transport"
)

// Exit statuses, for scripts.
const (
	exitOK         = 0
	exitFailure    = 1
	exitUsage      = 2
	exitOpen       = 3
	exitTimeout    = 4
	exitInstrument = 5
)

func main() {
	var code int
	if len(os.Args) > 1 && os.Args[1] == "shell" {
		// The shell decides what Ctrl-C means: on a terminal it cancels
		// the line being run, not the shell.
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		code = runShell(ctx, os.Args[2:], os.Stdin, os.Stdout, os.Stderr)
		stop()
	} else {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
	}
	os.Exit(code)
}

const usage = `usage:
  scpi query [flags] RESOURCE COMMAND...   send each command, print each query's reply
  scpi write [flags] RESOURCE COMMAND...   the same: a command with a ? is read, one without is not
  scpi shell [flags] RESOURCE              an interactive session (line editing, history)
  scpi list [--idn] [--timeout D]          instruments and ports found: serial, usbtmc,
                                           VXI-11 broadcast, mDNS (_lxi, _vxi-11, _scpi-raw, _hislip)

flags:
  --timeout D   time allowed for each command (default 5s)
  --trace       print the bytes sent and received on stderr
  --check       read the error queue afterwards; exit 5 if it held errors (after a
                query that timed out, what it held is shown with the timeout)
  --block FILE  (query) write the reply's binary block payload to FILE ("-": stdout)
  --max-block N (query --block) refuse a block larger than N bytes (K, M, G: KiB, MiB,
                GiB; default 256M); FILE is then not written
  --raw         print replies as they came; by default a reply with non-printable bytes
                is printed quoted with Go's escapes ("\x1b[2J"), so an instrument
                cannot drive the terminal
  --portmapper PORT
                (VXI-11: TCPIP::host::inst0::INSTR) ask the host's portmapper on PORT,
                not 111: scpisim's, which scpisim serve --vxi11 prints

list flags:
  --idn            ask each network instrument for *IDN?; one that cannot be opened
                   or does not answer is not listed but named on stderr, with why
  --timeout D      how long to listen for answers (default 1s)
  --vxi11 ADDR     where the portmapper broadcast goes (repeatable; 255.255.255.255:111)
  --mdns ADDR      where the mDNS query goes (repeatable; 224.0.0.251:5353)
  --skip KIND      serial, usbtmc, vxi11 or mdns (repeatable)

exit status: 0 ok, 1 failure, 2 usage, 3 cannot open, 4 timeout, 5 instrument errors
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stderr, usage)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	verb := args[0]
	if verb == "shell" {
		return runShell(ctx, args[1:], nil, stdout, stderr)
	}
	if verb == "list" {
		return runList(ctx, args[1:], stdout, stderr)
	}
	if verb != "query" && verb != "write" {
		fmt.Fprintf(stderr, "scpi: unknown command %q\n\n%s", verb, usage)
		return exitUsage
	}
	fs := flag.NewFlagSet("scpi "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	timeout := fs.Duration("timeout", 5*time.Second, "")
	trace := fs.Bool("trace", false, "")
	check := fs.Bool("check", false, "")
	block := fs.String("block", "", "")
	maxBlockFlag := fs.String("max-block", "256M", "")
	raw := fs.Bool("raw", false, "")
	portmapper := fs.Int("portmapper", 0, "")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) { // -h, --help: asked for, as scpi help
			fmt.Fprint(stderr, usage)
			return exitOK
		}
		fmt.Fprintf(stderr, "scpi %s: %v\n\n%s", verb, err, usage)
		return exitUsage
	}
	rest := fs.Args()
	if err := flagAfterResource(verb, rest); err != nil {
		fmt.Fprintf(stderr, "scpi %s: %v\n", verb, err)
		return exitUsage
	}
	if len(rest) < 2 {
		fmt.Fprintf(stderr, "scpi %s: need a resource and at least one command\n\n%s", verb, usage)
		return exitUsage
	}
	if *block != "" && verb != "query" {
		fmt.Fprintf(stderr, "scpi write: --block is for queries\n")
		return exitUsage
	}
	if *timeout <= 0 {
		fmt.Fprintf(stderr, "scpi %s: --timeout must be positive\n", verb)
		return exitUsage
	}
	if err := checkPortmapper(*portmapper); err != nil {
		fmt.Fprintf(stderr, "scpi %s: %v\n", verb, err)
		return exitUsage
	}
	maxBlock, err := parseSize(*maxBlockFlag)
	if err != nil {
		fmt.Fprintf(stderr, "scpi %s: --max-block %q: %v\n", verb, *maxBlockFlag, err)
		return exitUsage
	}
	out := output{w: stdout, raw: *raw, maxBlock: maxBlock}
	resource, commands := rest[0], rest[1:]

	// After a timeout the one exchange left is --check's read of the
	// error queue: the lost reply is given up at once, the link fenced,
	// as in the shell, instead of being waited for a whole timeout more.
	opts := []scpi.Option{scpi.WithTimeout(*timeout), scpi.WithResyncTimeout(lostReplyBound)}
	if *trace {
		opts = append(opts, scpi.WithLogger(zerolog.New(traceWriter{stderr}).Level(zerolog.DebugLevel)))
	}
	openCtx, cancel := context.WithTimeout(ctx, *timeout)
	s, err := open(openCtx, resource, *portmapper, opts...)
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "scpi: %v\n", err)
		return exitOpen
	}
	defer s.Close()

	for _, cmd := range commands {
		if code := exchange(ctx, s, verb, cmd, *block, out, stderr); code != exitOK {
			if *check && code == exitTimeout {
				// An instrument that rejects a query often does not
				// answer it: why it did not is in its error queue.
				queueAfterTimeout(ctx, s, cmd, *timeout, stderr)
			}
			return code
		}
	}
	if *check {
		if err := s.CheckErrors(ctx); err != nil {
			fmt.Fprintf(stderr, "%v\n", err)
			var de *scpi.DeviceError
			if errors.As(err, &de) {
				return exitInstrument
			}
			return codeFor(err)
		}
	}
	return exitOK
}

// checkPortmapper accepts --portmapper's port (0: not given, port 111).
func checkPortmapper(port int) error {
	if port < 0 || port > 65535 {
		return fmt.Errorf("--portmapper %d: want a TCP port, 1 to 65535", port)
	}
	return nil
}

// open opens resource, asking a VXI-11 instrument's portmapper on port
// portmapper (0: VXI-11's own, 111). A VXI-11 resource that cannot be
// opened without --portmapper gets a hint: a simulator's portmapper is
// elsewhere, and a resource string has no place for its port.
func open(ctx context.Context, resource string, portmapper int, opts ...scpi.Option) (*scpi.Session, error) {
	if portmapper != 0 {
		opts = append(opts, scpi.WithTransportOptions(transport.WithPortmapperPort(portmapper)))
	}
	s, err := scpi.Open(ctx, resource, opts...)
	if err == nil || portmapper != 0 {
		return s, err
	}
	r, perr := transport.ParseResource(resource)
	if perr == nil && r.Interface == "TCPIP" && r.Class == "INSTR" && !strings.HasPrefix(strings.ToLower(r.Device), "hislip") {
		return nil, fmt.Errorf("%w (VXI-11 asks the instrument's portmapper on port 111; one elsewhere, such as scpisim's, which it prints, is given with --portmapper PORT)", err)
	}
	return nil, err
}

// queueAfterTimeout reads the error queue (for no longer than timeout,
// and no more entries than the session's bound) after cmd timed out, and
// says what it held.
func queueAfterTimeout(ctx context.Context, s *scpi.Session, cmd string, timeout time.Duration, stderr io.Writer) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	des, err := s.Errors(ctx)
	for _, de := range des {
		fmt.Fprintf(stderr, "scpi: the error queue after %q timed out: %d, %q\n", cmd, de.Code, de.Message)
	}
	if err != nil {
		fmt.Fprintf(stderr, "scpi: the error queue could not be read after the timeout: %v\n", err)
	}
}

// flagAfterResource refuses an argument after the flags that starts with
// '-': Go's flag parsing stops at the resource, so "--check" there would
// be sent to the instrument as SCPI, and no SCPI message starts with '-'.
func flagAfterResource(verb string, args []string) error {
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("%q comes after the resource: flags go before it (scpi %s [flags] RESOURCE ...); no SCPI command starts with '-'", a, verb)
		}
	}
	return nil
}

// output is where replies go and how.
type output struct {
	w        io.Writer
	raw      bool  // --raw: replies as they came
	maxBlock int64 // --max-block
}

func exchange(ctx context.Context, s *scpi.Session, verb, cmd, block string, out output, stderr io.Writer) int {
	var err error
	switch {
	case !isQuery(cmd):
		// A setting has no reply to wait for, whichever verb sent it
		// (the shell decides the same way): `scpi query RES 'VOLT 5'
		// 'VOLT?'` sets, then reads.
		err = s.Write(ctx, cmd)
	case block != "":
		err = queryBlock(ctx, s, cmd, block, out)
	default:
		var r string
		if r, err = s.Query(ctx, cmd); err == nil {
			reply(out.w, r, out.raw)
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "%v\n", err)
		return codeFor(err)
	}
	return exitOK
}

// queryBlock writes a block's payload to path ("-": standard output, as
// it came: the caller asked for the bytes), no more than out.maxBlock of it.
func queryBlock(ctx context.Context, s *scpi.Session, cmd, path string, out output) error {
	query := func(w io.Writer) error {
		_, err := s.QueryBlockTo(ctx, cmd, w)
		return err
	}
	if path == "-" {
		return query(&capWriter{w: out.w, max: out.maxBlock})
	}
	return writeBlockFile(path, out.maxBlock, query)
}

func codeFor(err error) int {
	var de *scpi.DeviceError
	switch {
	case errors.Is(err, scpi.ErrTimeout):
		return exitTimeout
	case errors.As(err, &de):
		return exitInstrument
	}
	return exitFailure
}

// traceWriter renders the session's zerolog trace events as one readable
// line per message: "-> " for bytes sent, "<- " for bytes received.
type traceWriter struct{ w io.Writer }

func (t traceWriter) Write(p []byte) (int, error) {
	var e struct {
		Level     string  `json:"level"`
		Message   string  `json:"message"`
		Dir       string  `json:"dir"`
		Data      string  `json:"data"`
		Bytes     int     `json:"bytes"`
		Truncated bool    `json:"truncated"`
		Took      float64 `json:"took"`
	}
	if err := json.Unmarshal(p, &e); err != nil || e.Dir == "" {
		t.w.Write(p) // not an exchange (a resync warning, say): as it is
		return len(p), nil
	}
	arrow := "->"
	if e.Dir == "recv" {
		arrow = "<-"
	}
	more := ""
	if e.Truncated {
		more = fmt.Sprintf(" ... (%d bytes)", e.Bytes)
	}
	fmt.Fprintf(t.w, "%s %s%s  %.3fms\n", arrow, strconv.Quote(e.Data), more, e.Took)
	return len(p), nil
}
