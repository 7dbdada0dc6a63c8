package main

import (
	"context"
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
// per line, with --idn each network instrument's *IDN? reply.
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
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
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
	for _, f := range found {
		detail := f.Detail
		if *idn && (f.Via == "vxi11" || strings.HasPrefix(f.Via, "mdns")) {
			detail = identify(ctx, f, *wait) + "  " + detail
		}
		// Names and replies come from the network: escaped.
		fmt.Fprintf(tw, "%s\t%s\t%s\n", printable(f.Resource), printable(f.Via), printable(detail))
	}
	tw.Flush()
	if len(found) == 0 {
		fmt.Fprintln(stderr, "scpi list: nothing found")
	}
	if err != nil && len(found) == 0 {
		return exitFailure
	}
	return exitOK
}

// identify asks a found instrument for *IDN?, briefly.
func identify(ctx context.Context, f discover.Found, wait time.Duration) string {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var topts []transport.Option
	if f.PortmapperPort != 0 {
		topts = append(topts, transport.WithPortmapperPort(f.PortmapperPort))
	}
	s, err := scpi.Open(ctx, f.Resource, scpi.WithTimeout(wait), scpi.WithTransportOptions(topts...))
	if err != nil {
		return "(no answer)"
	}
	defer s.Close()
	id, err := s.Query(ctx, "*IDN?")
	if err != nil {
		return "(no answer)"
	}
	return id
}
