package transport

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// OpenFunc opens a link to the instrument named by r.
type OpenFunc func(ctx context.Context, r Resource, o Options) (Conn, error)

// Options tune how a link is opened. Links read the fields that concern
// them and ignore the others.
type Options struct {
	// DialTimeout bounds connection set-up when ctx has no earlier
	// deadline. Zero means 10 s.
	DialTimeout time.Duration
	// KeepAlive is the TCP keep-alive period; zero means 15 s, negative
	// disables keep-alive.
	KeepAlive time.Duration
	// Intercept, when set, sees every parsed resource first; when it returns
	// a Conn (or an error) Open uses that instead of the registered link.
	// Simulated benches use it to stand in for real instruments.
	Intercept InterceptFunc
	// Serial configures serial links (ASRL resources): line settings and
	// termination. The zero value is 9600 baud, 8N1, no flow control.
	Serial SerialOptions
	// PortmapperPort is where VXI-11 asks for the instrument's core
	// channel; 0 means the standard 111. Simulated instruments served
	// without root use another port.
	PortmapperPort int
	// GPIBAdapter is the resource of the Prologix GPIB controller that
	// GPIB resources go through: "TCPIP::192.0.2.9::1234::SOCKET" for a
	// GPIB-ETHERNET, "ASRL/dev/ttyUSB0::INSTR" for a GPIB-USB. When empty
	// the SCPIKIT_GPIB_ADAPTER environment variable is used.
	GPIBAdapter string
	// Log is where a link logs what its program should see that no call
	// returns: a simulated instrument's handler panicking, with its
	// stack. scpi.Open passes the session's logger. The zero Logger logs
	// nothing.
	Log zerolog.Logger
}

// SerialOptions are a serial port's line settings, as VISA's ASRL
// attributes set them.
type SerialOptions struct {
	Baud     int  // 9600 when zero
	DataBits int  // 5 to 8; 8 when zero
	Parity   byte // 'N' (none, when zero), 'O' odd or 'E' even
	StopBits int  // 1 (when zero) or 2
	// Flow is "" or "none", "rtscts" (hardware) or "xonxoff" (software).
	Flow string
	// WriteTermination, when set, replaces the "\n" that ends each program
	// message ("\r\n" or "\r" for instruments that want those).
	WriteTermination string
	// ReadTermination, when set, is the instrument's end of reply ("\r"
	// or "\r\n"). With "\r" the session ends each reply at its CR (the
	// link's ReadTerminator), and the link drops an LF right after that
	// CR, so an instrument that sends CR LF leaves no stray LF; "\r\n"
	// replies pass as they are (the session drops the CR before a reply's
	// LF). Blocks pass unchanged either way.
	ReadTermination string
}

// Option sets a field of Options.
type Option func(*Options)

// WithDialTimeout bounds connection set-up; see Options.DialTimeout.
func WithDialTimeout(d time.Duration) Option { return func(o *Options) { o.DialTimeout = d } }

// WithKeepAlive sets the TCP keep-alive period; see Options.KeepAlive.
func WithKeepAlive(d time.Duration) Option { return func(o *Options) { o.KeepAlive = d } }

// WithSerial sets the line settings of serial links.
func WithSerial(s SerialOptions) Option { return func(o *Options) { o.Serial = s } }

// WithPortmapperPort sets where VXI-11 looks up the core channel; see
// Options.PortmapperPort.
func WithPortmapperPort(port int) Option { return func(o *Options) { o.PortmapperPort = port } }

// WithGPIBAdapter names the Prologix controller for GPIB resources; see
// Options.GPIBAdapter.
func WithGPIBAdapter(resource string) Option { return func(o *Options) { o.GPIBAdapter = resource } }

// WithLogger sets Options.Log.
func WithLogger(l zerolog.Logger) Option { return func(o *Options) { o.Log = l } }

// WithIntercept installs a resource interceptor; see Options.Intercept.
func WithIntercept(f InterceptFunc) Option {
	return func(o *Options) { o.Intercept = f }
}

// NewOptions applies opts over the defaults.
func NewOptions(opts ...Option) Options {
	o := Options{DialTimeout: 10 * time.Second, KeepAlive: 15 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 10 * time.Second
	}
	return o
}

// ErrNoLink is matched by the error Open returns for a well-formed resource
// whose link is not registered (its package not imported or not built).
var ErrNoLink = errors.New("no link registered")

var registry = struct {
	sync.RWMutex
	links        map[string]OpenFunc
	interceptors map[string]InterceptFunc
}{links: map[string]OpenFunc{}, interceptors: map[string]InterceptFunc{}}

// InterceptFunc may stand in for the registered link of a resource: it
// returns a Conn and true to serve it, false to pass.
type InterceptFunc func(ctx context.Context, r Resource) (Conn, bool, error)

// RegisterInterceptor adds an interceptor that Open consults, in name
// order, after the caller's WithIntercept and before the links. The
// simulator registers one that serves the instruments of the bench file
// named by SCPIKIT_SIM, so a program runs against simulated instruments by
// configuration alone. Meant for init functions; panics on a duplicate.
func RegisterInterceptor(name string, f InterceptFunc) {
	registry.Lock()
	defer registry.Unlock()
	if f == nil {
		panic("transport: RegisterInterceptor " + name + " with nil func")
	}
	if _, dup := registry.interceptors[name]; dup {
		panic("transport: RegisterInterceptor called twice for " + name)
	}
	registry.interceptors[name] = f
}

func interceptors() []InterceptFunc {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.interceptors))
	for n := range registry.interceptors {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]InterceptFunc, len(names))
	for i, n := range names {
		out[i] = registry.interceptors[n]
	}
	return out
}

// Register makes a link available to Open under name (one of the Link*
// constants). Like sql.Register it is meant for init functions and panics
// when name is registered twice or open is nil: both are programming
// errors found at start-up.
func Register(name string, open OpenFunc) {
	registry.Lock()
	defer registry.Unlock()
	if open == nil {
		panic("transport: Register " + name + " with nil OpenFunc")
	}
	if _, dup := registry.links[name]; dup {
		panic("transport: Register called twice for link " + name)
	}
	registry.links[name] = open
}

// Links lists the registered link names, sorted.
func Links() []string {
	registry.RLock()
	defer registry.RUnlock()
	names := make([]string, 0, len(registry.links))
	for n := range registry.links {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Open parses resource and opens it with the registered link. The error
// for a malformed string matches ErrBadResource and says which part is
// wrong; for a link that is not registered it matches ErrNoLink.
func Open(ctx context.Context, resource string, opts ...Option) (Conn, error) {
	r, err := ParseResource(resource)
	if err != nil {
		return nil, err
	}
	o := NewOptions(opts...)
	chain := interceptors()
	if o.Intercept != nil {
		chain = append([]InterceptFunc{o.Intercept}, chain...)
	}
	for _, intercept := range chain {
		c, ok, err := intercept(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("transport: open %s: %w", r, err)
		}
		if ok {
			return c, nil
		}
	}
	registry.RLock()
	open := registry.links[r.Link()]
	registry.RUnlock()
	if open == nil {
		return nil, fmt.Errorf("transport: %w for %s (resource %q)", ErrNoLink, linkTitles[r.Link()], resource)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("transport: open %s: %w", r, err)
	}
	c, err := open(ctx, r, o)
	if err != nil {
		return nil, fmt.Errorf("transport: open %s: %w", r, err)
	}
	return c, nil
}
