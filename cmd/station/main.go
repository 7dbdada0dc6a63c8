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
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
)

// Exit statuses, for scripts.
const (
	exitOK       = 0
	exitFailure  = 1
	exitUsage    = 2
	exitStore    = 3 // the store cannot be opened
	exitNotFound = 4 // no such run
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  station runs [--since D] [--serial S] [--limit N] [--json]   the runs, newest first
  station show RUN                                              one run: units, verdicts, faults, safe state
  station report RUN --dir DIR                                  write its JSON, JUnit and HTML reports to DIR
  station export --csv [--since D] [--serial S] [--run RUN]     one CSV row per measurement, on stdout
  station serve [--listen ADDR] [--allow-remote] [--db URL]     the station's live page, its API and /metrics
                                                                (--db or $SCPIKIT_DB: replicating to it meanwhile,
                                                                and the fleet page of that database at /fleet;
                                                                --host NAME: a name it is reached by, see --help)
  station serve --fleet [--db URL] [--listen ADDR]              the fleet page alone, no station store
  station sync [--db URL] [--station ID] [--retry-parked]       send the central database what it lacks, once
                                                                (--retry-parked: and what it rejected, once fixed)
  station status                                                the replication backlog and parked events
  station yield [SCOPE] [--csv|--json]                          first-, second- and last-pass yield, retest rate
  station pareto [SCOPE] [--csv|--json]                         the failing measurements, most failed units first
  station cpk NAME [SCOPE] [--csv|--json]                       Cpk, Cpu, Cpl of a measurement against its limits
  station durations [SCOPE] [--units] [--every N] [--tz ZONE] [--csv|--json]
                                                                p50, p90, max, mean duration by day or per N

SCOPE is any of --part P, --station S, --since D, --until D; yield, pareto,
cpk and durations read the central database instead of the store with --db URL (or
$SCPIKIT_DB).

RUN is a run ID, a unique prefix of one, or "last".
D is a duration before now (24h, 90m) or a date (2026-12-01, 2026-12-01T08:00:00Z).

every command takes:
  --store FILE   the station store (default: $SCPIKIT_STORE, else %s)

exit status: 0 ok, 1 failure, 2 usage, 3 cannot open the store, 4 no such run (or measurement)
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(stderr, usage, defaultStoreShown())
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	verb, args := args[0], args[1:]
	switch verb {
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "sync":
		return syncCmd(ctx, args, stdout, stderr)
	case "status":
		return statusCmd(ctx, args, stdout, stderr)
	case "yield", "cpk", "pareto", "durations":
		return analytics(ctx, verb, args, stdout, stderr)
	}
	fs := flag.NewFlagSet("station "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	storePath := fs.String("store", results.DefaultPath(), "the station store")
	var since, serial, dir, runID string
	var asJSON, asCSV bool
	var limit int
	switch verb {
	case "runs":
		fs.StringVar(&since, "since", "", "runs started since: a duration before now (24h) or a date")
		fs.StringVar(&serial, "serial", "", "runs that tested this serial number")
		fs.IntVar(&limit, "limit", 0, "at most this many runs")
		fs.BoolVar(&asJSON, "json", false, "print JSON, one array")
	case "show":
		fs.BoolVar(&asJSON, "json", false, "print the whole record as JSON")
	case "report":
		fs.StringVar(&dir, "dir", "", "directory for the reports")
	case "export":
		fs.BoolVar(&asCSV, "csv", false, "CSV, one row per measurement (the only format)")
		fs.StringVar(&since, "since", "", "runs started since: a duration before now (24h) or a date")
		fs.StringVar(&serial, "serial", "", "runs that tested this serial number")
		fs.StringVar(&runID, "run", "", "this run only")
	default:
		fmt.Fprintf(stderr, "station: unknown command %q\n\n"+usage, verb, defaultStoreShown())
		return exitUsage
	}
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	wantArgs := map[string]int{"runs": 0, "show": 1, "report": 1, "export": 0}[verb]
	if len(positional) != wantArgs {
		if wantArgs == 1 {
			fmt.Fprintf(stderr, "station %s: name one run (an ID, a prefix of one, or \"last\")\n", verb)
		} else {
			fmt.Fprintf(stderr, "station %s: unexpected %q\n", verb, strings.Join(positional, " "))
		}
		return exitUsage
	}
	var filter results.Filter
	if since != "" {
		if filter.Since, err = parseSince(since, time.Now()); err != nil {
			fmt.Fprintf(stderr, "station %s: --since: %v\n", verb, err)
			return exitUsage
		}
	}
	filter.Serial, filter.Limit = serial, limit
	if verb == "report" && dir == "" {
		fmt.Fprintln(stderr, "station report: --dir DIR is required: where the reports go")
		return exitUsage
	}
	if verb == "export" && !asCSV {
		fmt.Fprintln(stderr, "station export: say --csv (the only format so far)")
		return exitUsage
	}

	if file, err := results.FilePath(*storePath); err != nil {
		fmt.Fprintf(stderr, "station: %v\n", err)
		return exitStore
	} else if _, err := os.Stat(file); err != nil {
		fmt.Fprintf(stderr, "station: no station store at %s: run a test first, or name one with --store or $%s\n", *storePath, results.EnvStore)
		return exitStore
	}
	store, err := results.Open(*storePath)
	if err != nil {
		fmt.Fprintf(stderr, "station: %v\n", err)
		return exitStore
	}
	defer store.Close()
	if n := store.Stats().Recovered; n > 0 {
		fmt.Fprintf(stderr, "station: %d run(s) the station stopped during were closed as aborted\n", n)
	}

	resolve := func(ref string) (string, int) {
		id, err := store.Resolve(ctx, ref)
		if err != nil {
			fmt.Fprintf(stderr, "station %s: %v\n", verb, err)
			if errors.Is(err, results.ErrNotFound) || errors.Is(err, results.ErrAmbiguous) {
				return "", exitNotFound
			}
			return "", exitFailure
		}
		return id, exitOK
	}
	switch verb {
	case "runs":
		runs, err := store.Runs(ctx, filter)
		if err != nil {
			fmt.Fprintf(stderr, "station runs: %v\n", err)
			return exitFailure
		}
		if asJSON {
			if runs == nil {
				runs = []results.RunSummary{}
			}
			return writeJSON(stdout, stderr, runs)
		}
		printRuns(stdout, runs)
	case "show":
		id, code := resolve(positional[0])
		if code != exitOK {
			return code
		}
		rec, err := store.Record(ctx, id)
		if err != nil {
			fmt.Fprintf(stderr, "station show: %v\n", err)
			return exitFailure
		}
		if asJSON {
			if err := rec.WriteJSON(stdout); err != nil {
				fmt.Fprintf(stderr, "station show: %v\n", err)
				return exitFailure
			}
			return exitOK
		}
		printRecord(stdout, rec)
	case "report":
		id, code := resolve(positional[0])
		if code != exitOK {
			return code
		}
		rec, err := store.Record(ctx, id)
		if err != nil {
			fmt.Fprintf(stderr, "station report: %v\n", err)
			return exitFailure
		}
		paths, err := rec.Save(dir)
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		if err != nil {
			fmt.Fprintf(stderr, "station report: %v\n", err)
			return exitFailure
		}
	case "export":
		if runID != "" {
			id, code := resolve(runID)
			if code != exitOK {
				return code
			}
			filter.Run = id
		}
		if err := store.ExportCSV(ctx, stdout, filter); err != nil {
			fmt.Fprintf(stderr, "station export: %v\n", err)
			return exitFailure
		}
	}
	return exitOK
}

// parseInterleaved parses flags wherever they are among the arguments
// (station show RUN --store F), returning the others in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "--" {
			return append(positional, args[1:]...), nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// parseSince reads a duration before now or a date (and time).
func parseSince(s string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return time.Time{}, fmt.Errorf("%q: a duration before now is positive", s)
		}
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, s, time.Local); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a duration (24h, 90m) nor a date (2026-12-01, 2026-12-01T08:00:00Z)", s)
}

func defaultStoreShown() string {
	if os.Getenv(results.EnvStore) != "" {
		return results.DefaultPath()
	}
	p := results.DefaultPath()
	if h, err := os.UserHomeDir(); err == nil && strings.HasPrefix(p, h+string(filepath.Separator)) {
		p = "~" + p[len(h):]
	}
	return p
}

func writeJSON(stdout, stderr io.Writer, v any) int {
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(stderr, "station: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// clean keeps what a store holds (names, serials, causes typed by
// programs and operators) from moving a terminal's cursor or colouring
// it: control characters are shown escaped.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isControl(r) {
			if r < 0x100 {
				fmt.Fprintf(&b, "\\x%02x", r)
			} else {
				fmt.Fprintf(&b, "\\u%04x", r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isControl: C0 and C1 controls (escape sequences), and the Unicode
// format characters that reorder or hide text (bidi overrides and
// isolates, zero-width joiners): a serial number must read as what it is.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || unicode.Is(unicode.Cf, r)
}

func printRuns(w io.Writer, runs []results.RunSummary) {
	if len(runs) == 0 {
		fmt.Fprintln(w, "no runs")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSTARTED\tTOOK\tNAME\tSTATION\tOPERATOR\tOUTCOME\tUNITS")
	for _, r := range runs {
		took := "-"
		if r.Ended != nil {
			took = r.Ended.Sub(r.Started).Round(time.Millisecond).String()
		}
		var units []string
		for _, u := range r.Units {
			s := u.DUT
			if u.Serial != "" {
				s += "=" + u.Serial
			}
			units = append(units, s)
		}
		outcome := r.Outcome
		if r.Recovered {
			outcome += " (recovered)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", clean(r.ID), r.Started.Local().Format("2006-01-02 15:04:05"), took,
			clean(r.Name), clean(r.Station), clean(r.Operator), clean(outcome), clean(strings.Join(units, " ")))
	}
	tw.Flush()
}

func printRecord(w io.Writer, r *harness.Record) {
	fmt.Fprintf(w, "run %s: %s\n", clean(r.ID), clean(r.Name))
	fmt.Fprintf(w, "  station %s, operator %s, batch %s, software %s\n", clean(orDash(r.Station)), clean(orDash(r.Operator)),
		clean(orDash(r.Batch)), clean(orDash(r.Software)))
	ended := "still running"
	if !r.Ended.IsZero() {
		ended = "took " + r.Ended.Sub(r.Started).Round(time.Millisecond).String()
	}
	fmt.Fprintf(w, "  started %s, %s, %d events\n", r.Started.Local().Format("2006-01-02 15:04:05.000"), ended, r.Events)
	if r.Ended.IsZero() {
		fmt.Fprintln(w, "  outcome: (running)")
	} else {
		fmt.Fprintf(w, "  outcome: %s", r.Outcome)
		if r.StopCause != "" {
			fmt.Fprintf(w, " (%s)", clean(r.StopCause))
		}
		if r.Recovered {
			fmt.Fprint(w, ", closed when the store was next opened")
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nDUT\tSERIAL\tPART\tSLOT\tOUTCOME\tMEASUREMENTS\tFAILED\tCAUSE")
	for _, d := range r.DUTs {
		total, failed := 0, 0
		for _, p := range d.Phases {
			for _, m := range p.Measurements {
				total++
				if m.Outcome == harness.OutcomeFail {
					failed++
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\n", clean(d.Name), clean(orDash(d.Unit.Serial)), clean(orDash(d.Unit.Part)),
			clean(orDash(d.Unit.Slot)), d.Outcome, total, failed, clean(d.StopCause))
	}
	tw.Flush()
	for _, f := range r.Faults {
		fmt.Fprintf(w, "fault at %.3f s from %s%s: %s\n", f.Time.Sub(r.Started).Seconds(), clean(f.Source), onDUT(f.DUT), clean(f.Message))
	}
	verified := 0
	for _, s := range r.SafeState {
		if s.Verified {
			verified++
		} else {
			fmt.Fprintf(w, "SAFE STATE NOT VERIFIED: %s%s: %s\n", clean(s.Name), onDUT(s.DUT), clean(s.Error))
		}
	}
	fmt.Fprintf(w, "safe state: %d of %d actions verified\n", verified, len(r.SafeState))
	for _, a := range r.Attachments {
		fmt.Fprintf(w, "attachment %s%s: %s, %d bytes\n", clean(a.Name), onDUT(a.DUT), clean(a.MediaType), len(a.Data))
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func onDUT(dut string) string {
	if dut == "" {
		return ""
	}
	return " on " + clean(dut)
}
