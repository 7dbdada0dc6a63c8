package scpi

import (
	"context"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/transport"
)

// ErrorCheck is when a session reads the instrument's error queue on its
// own. Whatever the policy, CheckErrors reads it on demand.
type ErrorCheck int

const (
	// CheckExplicit reads the error queue only when CheckErrors or Errors
	// is called. The cheapest policy; the default.
	CheckExplicit ErrorCheck = iota
	// CheckAfterWrite reads the queue after every Write, Writef and
	// WriteBlock, in the same locked exchange, and returns what it finds as
	// the write's error, naming the command. Queries are not checked: a
	// failed query usually shows as a timeout.
	CheckAfterWrite
	// CheckAfterEach reads the queue after every command and query.
	CheckAfterEach
)

type config struct {
	timeout       time.Duration
	commandGap    time.Duration
	resyncTimeout time.Duration
	writeTerm     string
	readTerm      byte // 0: the link's (readTerminator), else '\n'
	maxBlock      int
	maxResponse   int
	errorQuery    string
	maxErrors     int
	check         ErrorCheck
	log           zerolog.Logger
	traceBytes    int
	resource      string
	blockTerm     bool
	reconnect     func(ctx context.Context) (transport.Conn, error)
	transportOpts []transport.Option
	poll          time.Duration
	now           func() time.Time // the clock the resync bound is measured on
	observer      Observer
}

func defaultConfig() config {
	return config{
		timeout:     5 * time.Second,
		poll:        10 * time.Millisecond,
		writeTerm:   "\n",
		maxBlock:    256 << 20,
		maxResponse: 256 << 20,
		errorQuery:  "SYST:ERR?",
		maxErrors:   100,
		log:         zerolog.Nop(),
		traceBytes:  256,
		blockTerm:   true,
		now:         time.Now,
	}
}

// Option configures a Session.
type Option func(*config)

// WithTimeout sets the default timeout, applied to each call whose context
// has no deadline (5 s unless set). To keep calls cheap the session arms
// it coarsely: such a call times out after between d and d+d/8.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithPollInterval sets how often WaitServiceRequest reads the status
// byte (10 ms unless set).
func WithPollInterval(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.poll = d
		}
	}
}

// WithCommandGap has the session wait at least d after sending a command
// before it sends the next one, whoever sends it: a call, the error
// query of WithErrorCheck, a resync. Some instruments (the Siglent
// SPD3303X) drop a command that follows the previous one too closely.
// The wait counts against the call's deadline and ends with its context.
// Session.SetCommandGap changes it on a session already open, as a
// driver that knows its instrument does.
func WithCommandGap(d time.Duration) Option { return func(c *config) { c.commandGap = d } }

// WithResyncTimeout bounds how long the session waits for the late reply
// of an abandoned query (timed out, cancelled), counted from when it was
// abandoned (the default timeout unless set). Until then later calls read
// and drop late replies first, and may time out doing so; once it has
// passed, the session gives the reply up and fences the link (device
// clear, reconnect or a *OPC? round trip), so later calls never fail for
// its sake.
func WithResyncTimeout(d time.Duration) Option { return func(c *config) { c.resyncTimeout = d } }

// WithTermination sets the write terminator appended to each command and
// the byte that ends each response. Unset (or read 0), they are "\n" and
// '\n', or for the read byte the link's own when it has one, as a serial
// link set for CR-terminated replies does. A '\r' before a '\n' read
// terminator is always dropped.
func WithTermination(write string, read byte) Option {
	return func(c *config) { c.writeTerm, c.readTerm = write, read }
}

// WithMaxBlockSize caps the payload a block header may announce before the
// session refuses to allocate for it (256 MiB unless set). Reads into a
// caller's buffer or writer are not capped: their memory is the caller's.
func WithMaxBlockSize(n int) Option { return func(c *config) { c.maxBlock = n } }

// WithMaxResponseSize caps a text response held in memory (256 MiB unless
// set). A longer or endless response costs about this much memory before it
// is refused with ErrResponseTooLarge, and none of it is kept afterwards.
func WithMaxResponseSize(n int) Option { return func(c *config) { c.maxResponse = n } }

// WithErrorQuery sets the query that pops one error-queue entry
// ("SYST:ERR?" unless set).
func WithErrorQuery(q string) Option { return func(c *config) { c.errorQuery = q } }

// WithMaxErrors bounds how many entries one drain of the error queue
// reads before giving up with ErrErrorQueueNotDrained (100 unless set).
func WithMaxErrors(n int) Option { return func(c *config) { c.maxErrors = n } }

// WithErrorCheck sets the error-checking policy (CheckExplicit unless set).
func WithErrorCheck(p ErrorCheck) Option { return func(c *config) { c.check = p } }

// WithLogger sets the logger. At debug level every exchange is traced
// (resource, direction, bytes, duration); above it tracing costs nothing.
// Resynchronisation is logged at warn level.
func WithLogger(l zerolog.Logger) Option { return func(c *config) { c.log = l } }

// WithTraceBytes sets how many bytes of each message a trace shows (256
// unless set).
func WithTraceBytes(n int) Option { return func(c *config) { c.traceBytes = n } }

// WithResource names the instrument in logs and errors. Open sets it.
func WithResource(name string) Option { return func(c *config) { c.resource = name } }

// WithBlockTermination says whether the instrument ends a block response
// with the terminator, as IEEE 488.2 requires (true unless set). Set it to
// false for instruments that send the bare block, so the session does not
// wait for a terminator that never comes. Links that mark the end of a
// message (VXI-11, HiSLIP) give it a terminator either way, so there the
// setting is ignored.
func WithBlockTermination(on bool) Option { return func(c *config) { c.blockTerm = on } }

// WithReconnect gives the session a way to open a fresh link, which it
// uses when the link failed or when discarding late replies did not bring
// it back in step. Open sets it to reopen the same resource.
func WithReconnect(f func(ctx context.Context) (transport.Conn, error)) Option {
	return func(c *config) { c.reconnect = f }
}

// WithTransportOptions passes options to transport.Open (Open only).
func WithTransportOptions(opts ...transport.Option) Option {
	return func(c *config) { c.transportOpts = append(c.transportOpts, opts...) }
}
