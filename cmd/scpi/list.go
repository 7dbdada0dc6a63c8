package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/discover"
)

// stringsFlag collects a repeatable flag.
type stringsFlag []string

func (s *stringsFlag) String() string     { return strings.Join(*s, ",") }
func (s *stringsFlag) Set(v string) error { *s = append(*s, v); return nil }

// runList is "scpi list": every instrument and port discovery finds, one
// per line, with --idn each network instrument's *IDN? reply (and only
// those that gave one).
func runList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("scpi list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	wait := fs.Duration("timeout", time.Second, "")
	idn := fs.Bool("idn", false, "")
	var o discover.Options
	var vxi, mdns, skip stringsFlag
	fs.Var(&vxi, "vxi11", "")
	fs.Var(&mdns, "mdns", "")
	fs.Var(&skip, "skip", "")
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stderr, usage)
		return exitOK
	}
	if err != nil || fs.NArg() != 0 {
		if err == nil {
			err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
		}
		fmt.Fprintf(stderr, "scpi list: %v\n\n%s", err, usage)
		return exitUsage
	}
	o.VXI11, o.MDNS, o.Skip = vxi, mdns, skip
	for _, k := range skip {
		switch k {
		case "serial", "usbtmc", "vxi11", "mdns":
		default:
			fmt.Fprintf(stderr, "scpi list: --skip %q: serial, usbtmc, vxi11 or mdns\n", k)
			return exitUsage
		}
	}
	lookCtx, cancel := context.WithTimeout(ctx, *wait)
	found, err := discover.All(lookCtx, o)
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "scpi list: %v\n", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
	listed := 0
	for _, f := range found {
		detail := f.Detail
		if *idn && (strings.Contains(f.Via, "vxi11") || strings.Contains(f.Via, "mdns")) {
			// Only what opens is listed: a resource printed must be one
			// that can be opened as printed. What does not is said on
			// stderr, with the reason.
			id, err := identify(ctx, f, *wait)
			if err != nil {
				fmt.Fprintf(stderr, "scpi list: %s (found by %s) is not listed: %v\n", printable(f.Resource), printable(f.Via), err)
				continue
			}
			detail = id + "  " + detail
		}
		// Names and replies come from the network: escaped.
		fmt.Fprintf(tw, "%s\t%s\t%s\n", printable(f.Resource), printable(f.Via), printable(detail))
		listed++
	}
	tw.Flush()
	if listed == 0 {
		fmt.Fprintln(stderr, "scpi list: nothing found")
	}
	if err != nil && len(found) == 0 {
		return exitFailure
	}
	return exitOK
}

// identify opens a found instrument as listed and asks it for *IDN?,
// briefly; the error says which step failed and why.
func identify(ctx context.Context, f discover.Found, wait time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var topts []transport.Option
	if f.PortmapperPort != 0 {
		topts = append(topts, transport.WithPortmapperPort(f.PortmapperPort))
	}
	s, err := scpi.Open(ctx, f.Resource, scpi.WithTimeout(wait), scpi.WithTransportOptions(topts...))
	if err != nil {
		if f.PortmapperPort == 0 && strings.HasSuffix(strings.ToUpper(f.Resource), "::INSTR") && strings.Contains(f.Via, "_vxi-11") {
			// mDNS announces the core channel, not the portmapper, which
			// VXI-11 clients ask on port 111: a simulator's is elsewhere.
			return "", fmt.Errorf("cannot open it: %w (VXI-11 asks the portmapper on port 111; scpisim serves one there with --portmapper 127.0.0.1:111, as root)", err)
		}
		return "", fmt.Errorf("cannot open it: %w", err)
	}
	defer s.Close()
	id, err := s.Query(ctx, "*IDN?")
	if err != nil {
		return "", fmt.Errorf("no answer to *IDN?: %w", err)
	}
	return id, nil
}
