package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  scpisim serve [flags] MODEL|BENCH.yaml   serve simulated instruments
  scpisim models                           list the models

serve prints each resource it serves on a line of its own, then "ready" (with
--json, one JSON object on one line instead), and says on stderr which instrument
each is; it serves until SIGINT or SIGTERM, then prints "stopped".

serve flags:
  --listen ADDR          first instrument's address (127.0.0.1:5025; port 0: free ports);
                         VXI-11, HiSLIP and their portmappers listen on its host too
  --allow-remote         allow addresses beyond loopback (0.0.0.0, :5025, a LAN
                         address): anyone who reaches them drives the instruments
  --pty                  also serve on a pseudo-terminal
  --vxi11                also serve over VXI-11, with a portmapper of its own
  --portmapper ADDR      the first instrument's portmapper (127.0.0.1:111 for
                         PyVISA and lxi-tools, which needs root; default a free port)
  --hislip               also serve over HiSLIP
  --announce ADDR        answer mDNS service queries for every link served
                         (224.0.0.251:5353, joined on the --listen address's
                         interface only; another address answers unicast)
  --prologix ADDR        also put every instrument on a simulated Prologix
                         GPIB-ETHERNET listening on ADDR (127.0.0.1:1234)
  --json                 print one JSON object (each resource's name, model, link,
                         resource string, address, VXI-11 portmapper) instead of
                         the resource strings and "ready"
  --trace                log every message
  --max-conns N          connections per instrument (16)
  --max-line BYTES       longest program message (8 MiB)
  --max-output BYTES     response bytes held for a connection (64 MiB + 64 KiB)
  --idle D               close connections silent or not reading for D (2m; 0: never)
  --latency D --jitter D --drop P --garble P --disconnect-after N --seed N
  --at D:EVENT           error=CODE,MESSAGE | hang | recover | disconnect | fault=NAME
`

type atFlags []sim.TimedFault

func (a *atFlags) String() string { return fmt.Sprint(len(*a)) }

// Set parses "30s:error=-300,Device failure", "1m:hang", "2m:fault=overcurrent".
func (a *atFlags) Set(v string) error {
	when, event, ok := strings.Cut(v, ":")
	if !ok {
		return errors.New("want D:EVENT, e.g. 30s:hang")
	}
	d, err := time.ParseDuration(when)
	if err != nil {
		return err
	}
	f := sim.TimedFault{After: d}
	name, arg, _ := strings.Cut(event, "=")
	switch name {
	case "error":
		codeText, msg, _ := strings.Cut(arg, ",")
		code, err := strconv.Atoi(strings.TrimSpace(codeText))
		if err != nil {
			return fmt.Errorf("error=CODE,MESSAGE: %q is not a code", codeText)
		}
		f.Error = &sim.Error{Code: code, Message: strings.Trim(strings.TrimSpace(msg), `"`)}
	case "hang":
		f.Hang = true
	case "recover":
		f.Recover = true
	case "disconnect":
		f.Disconnect = true
	case "fault":
		if arg == "" {
			return errors.New("fault=NAME needs a name")
		}
		f.Fault = arg
	default:
		return fmt.Errorf("unknown event %q (error, hang, recover, disconnect, fault)", name)
	}
	*a = append(*a, f)
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "models":
		for _, m := range sim.Models() {
			fmt.Fprintf(stdout, "%-12s %s\n", m.Name, m.Description)
		}
		return 0
	case "serve":
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "scpisim: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	fs := flag.NewFlagSet("scpisim serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	listen := fs.String("listen", "127.0.0.1:5025", "")
	pty := fs.Bool("pty", false, "")
	vxi11 := fs.Bool("vxi11", false, "")
	portmapper := fs.String("portmapper", "", "")
	hislip := fs.Bool("hislip", false, "")
	prologix := fs.String("prologix", "", "")
	announce := fs.String("announce", "", "")
	trace := fs.Bool("trace", false, "")
	maxConns := fs.Int("max-conns", 0, "")
	maxLine := fs.Int("max-line", 0, "")
	maxOutput := fs.Int("max-output", 0, "")
	idle := fs.Duration("idle", sim.DefaultIdleTimeout, "")
	allowRemote := fs.Bool("allow-remote", false, "")
	asJSON := fs.Bool("json", false, "")
	var f sim.Faults
	fs.DurationVar(&f.Latency, "latency", 0, "")
	fs.DurationVar(&f.Jitter, "jitter", 0, "")
	fs.Float64Var(&f.DropRate, "drop", 0, "")
	fs.Float64Var(&f.GarbleRate, "garble", 0, "")
	fs.IntVar(&f.DisconnectAfter, "disconnect-after", 0, "")
	fs.Uint64Var(&f.Seed, "seed", 0, "")
	var at atFlags
	fs.Var(&at, "at", "")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) { // -h, --help: asked for, as scpisim help
			fmt.Fprint(stdout, usage)
			return 0
		}
		fmt.Fprintf(stderr, "scpisim serve: %v\n\n%s", err, usage)
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintf(stderr, "scpisim serve: want one MODEL or BENCH.yaml\n\n%s", usage)
		return 2
	}
	f.Schedule = at
	faultsSet := f.Latency > 0 || f.Jitter > 0 || f.DropRate > 0 || f.GarbleRate > 0 || f.DisconnectAfter > 0 || len(at) > 0

	level := zerolog.InfoLevel
	if *trace {
		level = zerolog.DebugLevel
	}
	// Time to the millisecond; colour only on a terminal, plain lines in a
	// pipe or a CI log.
	logger := harness.NewConsole(stderr).Logger().Level(level)

	entries, err := instruments(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "scpisim: %v\n", err)
		return 1
	}
	host, portText, err := net.SplitHostPort(*listen)
	if err != nil {
		fmt.Fprintf(stderr, "scpisim: --listen %q: %v\n", *listen, err)
		return 2
	}
	// Every address served is checked before anything listens: the
	// simulator has no authentication.
	checks := [][2]string{{"--listen", *listen}}
	if *vxi11 && *portmapper != "" {
		checks = append(checks, [2]string{"--portmapper", *portmapper})
	}
	if *prologix != "" {
		checks = append(checks, [2]string{"--prologix", *prologix})
	}
	if *announce != "" && *announce != sim.MDNSAddr {
		checks = append(checks, [2]string{"--announce", *announce})
	}
	for _, c := range checks {
		warning, err := listenPolicy(c[0], c[1], *allowRemote)
		if err != nil {
			fmt.Fprintf(stderr, "scpisim: %v\n", err)
			return 2
		}
		if warning != "" {
			fmt.Fprintln(stderr, warning)
		}
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		fmt.Fprintf(stderr, "scpisim: --listen %q: bad port\n", *listen)
		return 2
	}
	if *idle == 0 {
		*idle = -1 // never: ServerOptions reads 0 as the default
	}
	opts := sim.ServerOptions{MaxConns: *maxConns, MaxLine: *maxLine, MaxOutput: *maxOutput, IdleTimeout: *idle, Logger: logger}
	var closers []io.Closer
	defer func() {
		for _, c := range closers {
			c.Close()
		}
	}()
	var services []sim.Service
	var served []servedResource
	hostIP, _ := netip.ParseAddr(host)
	for i, e := range entries {
		svc := func(typ string, port int) {
			services = append(services, sim.Service{Instance: e.Name + " (scpisim " + e.Instrument.Model() + ")", Type: typ,
				Host: "scpisim-" + strings.ToLower(strings.ReplaceAll(e.Name, " ", "-")) + ".local.", Addr: hostIP, Port: port,
				Text: []string{"Model=" + e.Instrument.Model(), "Simulated=1"}})
		}
		add := func(r servedResource) {
			r.Name, r.Model, r.Bench = e.Name, e.Instrument.Model(), e.Resources
			served = append(served, r)
		}
		if faultsSet {
			if err := e.Instrument.SetFaults(f); err != nil {
				fmt.Fprintf(stderr, "scpisim: %s: %v\n", e.Name, err)
				return 2
			}
		}
		p := port
		if port != 0 {
			p = port + i
		}
		srv, err := sim.ServeTCP(net.JoinHostPort(host, strconv.Itoa(p)), e.Instrument, opts)
		if err != nil {
			fmt.Fprintf(stderr, "scpisim: %s: %v\n", e.Name, err)
			return 1
		}
		closers = append(closers, srv)
		svc("_scpi-raw._tcp", srv.Addr().Port)
		add(servedResource{Link: "socket", Resource: srv.Resource(), Address: srv.Addr().String()})
		if *pty {
			p, err := sim.ServePTY(e.Instrument, opts)
			if err != nil {
				fmt.Fprintf(stderr, "scpisim: %s: %v\n", e.Name, err)
				return 1
			}
			closers = append(closers, p)
			add(servedResource{Link: "pty", Resource: p.Resource(), Address: p.Path()})
		}
		if *vxi11 {
			pm := net.JoinHostPort(host, "0")
			if i == 0 && *portmapper != "" {
				pm = *portmapper
			}
			v, err := sim.ServeVXI11(net.JoinHostPort(host, "0"), e.Instrument, sim.VXI11Options{ServerOptions: opts, Portmapper: pm})
			if err != nil {
				fmt.Fprintf(stderr, "scpisim: %s: VXI-11: %v\n", e.Name, err)
				return 1
			}
			closers = append(closers, v)
			svc("_vxi-11._tcp", v.Addr().Port)
			add(servedResource{Link: "vxi11", Resource: v.Resource(), Address: v.Addr().String(),
				Portmapper: net.JoinHostPort(v.Addr().IP.String(), strconv.Itoa(v.PortmapperPort()))})
		}
		if *hislip {
			h, err := sim.ServeHiSLIP(net.JoinHostPort(host, "0"), e.Instrument, opts)
			if err != nil {
				fmt.Fprintf(stderr, "scpisim: %s: HiSLIP: %v\n", e.Name, err)
				return 1
			}
			closers = append(closers, h)
			svc("_hislip._tcp", h.Addr().Port)
			add(servedResource{Link: "hislip", Resource: h.Resource(), Address: h.Addr().String()})
		}
	}
	if *prologix != "" {
		gpib, closer, err := servePrologix(*prologix, entries, opts)
		if err != nil {
			fmt.Fprintf(stderr, "scpisim: Prologix: %v\n", err)
			return 1
		}
		closers = append(closers, closer)
		served = append(served, gpib...)
	}
	var announced string
	if *announce != "" {
		var ifi *net.Interface
		if *announce == sim.MDNSAddr {
			if ifi, err = announceInterface(host, net.Interfaces); err != nil {
				fmt.Fprintf(stderr, "scpisim: %v\n", err)
				return 1
			}
		}
		a, err := sim.AnnounceOn(*announce, ifi, services...)
		if err != nil {
			fmt.Fprintf(stderr, "scpisim: --announce: %v\n", err)
			return 1
		}
		closers = append(closers, a)
		announced = a.Addr().String()
	}
	describe(stderr, served, len(services), announced)
	if *asJSON {
		// One object on one line, printed once everything listens: it is
		// the "ready" of the machine-readable form.
		b, err := json.Marshal(servedJSON{Resources: served, Announce: announced})
		if err != nil {
			fmt.Fprintf(stderr, "scpisim: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		// Resource strings only, one a line, whatever the instruments'
		// names hold: a script reads lines up to "ready".
		for _, r := range served {
			fmt.Fprintln(stdout, r.Resource)
		}
		fmt.Fprintln(stdout, "ready")
	}
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	<-ctx.Done()
	logger.Info().Msg("scpisim: shutting down")
	for _, c := range closers {
		c.Close()
	}
	closers = nil
	if !*asJSON {
		fmt.Fprintln(stdout, "stopped")
	}
	return 0
}

// servedResource is one resource scpisim serves, as --json prints it.
type servedResource struct {
	Name     string `json:"name"`     // the bench's name for the instrument, or the model's
	Model    string `json:"model"`    // the simulated model
	Link     string `json:"link"`     // socket, pty, vxi11, hislip or prologix
	Resource string `json:"resource"` // the VISA resource string to open
	// Address is where it is served: host:port, the pseudo-terminal's
	// path, the Prologix adapter's host:port.
	Address string `json:"address"`
	// Portmapper (vxi11) is the host:port of the instrument's portmapper,
	// which a VISA resource string cannot name: standard clients ask 111.
	Portmapper string `json:"portmapper,omitempty"`
	// Adapter (prologix) is the adapter's resource, which the GPIB0::n
	// resource is opened through.
	Adapter string `json:"adapter,omitempty"`
	// Bench lists the bench file's resources the instrument stands for.
	Bench []string `json:"bench,omitempty"`
}

// servedJSON is the object --json prints.
type servedJSON struct {
	Resources []servedResource `json:"resources"`
	Announce  string           `json:"announce,omitempty"` // the mDNS responder's address
}

// describe tells a person, on stderr, what each resource on stdout is:
// the instrument's name and model, a VXI-11 portmapper's port, the bench
// resources it stands for.
func describe(w io.Writer, served []servedResource, services int, announced string) {
	for _, r := range served {
		line := fmt.Sprintf("scpisim: %s: %s (%s", r.Resource, printable(r.Name), printable(r.Model))
		switch {
		case r.Portmapper != "":
			line += ", VXI-11 portmapper on " + r.Portmapper
		case r.Adapter != "":
			line += ", on the Prologix adapter " + r.Adapter
		}
		if len(r.Bench) > 0 {
			line += ", bench: " + printable(strings.Join(r.Bench, ", "))
		}
		fmt.Fprintln(w, line+")")
	}
	if announced != "" {
		fmt.Fprintf(w, "scpisim: announcing %d services on %s\n", services, announced)
	}
}

// printable quotes a name holding a control character, so a bench file
// cannot write escape sequences to the terminal.
func printable(s string) string {
	for _, r := range s {
		if !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// servePrologix puts the instruments on a simulated Prologix
// GPIB-ETHERNET at addr: at the GPIB address of their bench resource when
// they have one, else at 1, 2, ... in order.
func servePrologix(addr string, entries []sim.BenchEntry, opts sim.ServerOptions) ([]servedResource, io.Closer, error) {
	on := map[int]*sim.Instrument{}
	names := map[int]sim.BenchEntry{}
	var rest []sim.BenchEntry
	for _, e := range entries {
		placed := false
		for _, res := range e.Resources {
			if r, err := transport.ParseResource(res); err == nil && r.Interface == "GPIB" && on[r.PrimaryAddress] == nil {
				on[r.PrimaryAddress], names[r.PrimaryAddress], placed = e.Instrument, e, true
				break
			}
		}
		if !placed {
			rest = append(rest, e)
		}
	}
	next := 1
	for _, e := range rest {
		for on[next] != nil {
			next++
		}
		if next > 30 {
			return nil, nil, fmt.Errorf("more than 30 instruments for one GPIB bus")
		}
		on[next], names[next] = e.Instrument, e
	}
	p, err := sim.NewPrologix(on, opts)
	if err != nil {
		return nil, nil, err
	}
	res, err := p.ServeTCP(addr)
	if err != nil {
		return nil, nil, err
	}
	address := addr
	if r, err := transport.ParseResource(res); err == nil {
		address = net.JoinHostPort(r.Host, strconv.Itoa(r.Port))
	}
	var out []servedResource
	for _, a := range p.Addresses() {
		e := names[a]
		out = append(out, servedResource{Name: e.Name, Model: e.Instrument.Model(), Link: "prologix",
			Resource: fmt.Sprintf("GPIB0::%d::INSTR", a), Address: address, Adapter: res, Bench: e.Resources})
	}
	return out, p, nil
}

// instruments makes the instruments to serve: a model by name, or a
// bench file's.
func instruments(arg string) ([]sim.BenchEntry, error) {
	if ext := strings.ToLower(filepath.Ext(arg)); ext == ".yaml" || ext == ".yml" { // bench.YAML too
		b, err := sim.LoadBench(arg)
		if err != nil {
			return nil, err
		}
		return b.Entries(), nil
	}
	in, err := sim.New(arg)
	if err != nil {
		return nil, err
	}
	return []sim.BenchEntry{{Name: in.Model(), Instrument: in}}, nil
}
