package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/scpikit/scpikit/results"
)

// analyst is what station yield, cpk and pareto ask of a database: the
// station store and the central database answer the same.
type analyst interface {
	Yield(ctx context.Context, sc results.Scope) (results.YieldReport, error)
	Pareto(ctx context.Context, sc results.Scope) ([]results.ParetoRow, error)
	Capability(ctx context.Context, name string, sc results.Scope) (results.Capability, error)
	Durations(ctx context.Context, sc results.Scope, t results.Trend) ([]results.DurationBucket, error)
}

// analytics is station yield, station cpk NAME, station pareto and
// station durations.
func analytics(ctx context.Context, verb string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("station "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	storePath := fs.String("store", results.DefaultPath(), "the station store")
	dbURL := fs.String("db", os.Getenv(results.EnvCentral), "the central database (postgres://...) instead of the station store; default $"+results.EnvCentral+", unless --store is given")
	part := fs.String("part", "", "units of this part number only")
	stationName := fs.String("station", "", "runs of this station only")
	since := fs.String("since", "", "runs started since: a duration before now (24h) or a date")
	until := fs.String("until", "", "runs started before: a duration before now or a date")
	asCSV := fs.Bool("csv", false, "print CSV")
	asJSON := fs.Bool("json", false, "print JSON")
	var trend results.Trend
	var tz string
	if verb == "durations" {
		fs.BoolVar(&trend.Units, "units", false, "the DUTs' durations (start to end of each DUT), not the runs'")
		fs.IntVar(&trend.Every, "every", 0, "groups of N, in the order they started, instead of days")
		fs.StringVar(&tz, "tz", "UTC", "the time zone of the days: UTC, Local or a name such as Europe/Berlin")
	}
	positional, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	want := 0
	if verb == "cpk" {
		want = 1
	}
	if len(positional) != want {
		if want == 1 {
			fmt.Fprintln(stderr, "station cpk: name one measurement (station cpk 12V)")
		} else {
			fmt.Fprintf(stderr, "station %s: unexpected %q\n", verb, strings.Join(positional, " "))
		}
		return exitUsage
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["store"] {
		if given["db"] {
			fmt.Fprintf(stderr, "station %s: --store, --db: give one: --store for the station store, --db for the central database\n", verb)
			return exitUsage
		}
		// A --store given beats $SCPIKIT_DB: a flag says what is meant
		// for this command, the environment what is usual.
		*dbURL = ""
	}
	if *asCSV && *asJSON {
		fmt.Fprintf(stderr, "station %s: --csv or --json, not both\n", verb)
		return exitUsage
	}
	if trend.Every < 0 {
		fmt.Fprintf(stderr, "station %s: --every %d: give a group size of 1 or more (or leave it out for days)\n", verb, trend.Every)
		return exitUsage
	}
	if given["tz"] && trend.Every > 0 {
		fmt.Fprintf(stderr, "station %s: --tz, --every: --every %d groups the durations by count, not by day, so there are no days for a time zone: leave out one of them\n", verb, trend.Every)
		return exitUsage
	}
	if tz != "" && tz != "UTC" {
		if trend.Location, err = time.LoadLocation(tz); err != nil {
			fmt.Fprintf(stderr, "station %s: --tz %q: not a time zone (UTC, Local, or an IANA name such as Europe/Berlin): %v\n", verb, tz, err)
			return exitUsage
		}
	}
	sc := results.Scope{Part: *part, Station: *stationName}
	now := time.Now()
	for _, f := range []struct {
		flag, v string
		t       *time.Time
	}{{"since", *since, &sc.Since}, {"until", *until, &sc.Until}} {
		if f.v == "" {
			continue
		}
		if *f.t, err = parseSince(f.v, now); err != nil {
			fmt.Fprintf(stderr, "station %s: --%s: %v\n", verb, f.flag, err)
			return exitUsage
		}
	}

	db, closeDB, code := openAnalyst(ctx, verb, *storePath, *dbURL, stderr)
	if code != exitOK {
		return code
	}
	defer closeDB()
	format := "table"
	switch {
	case *asCSV:
		format = "csv"
	case *asJSON:
		format = "json"
	}
	switch verb {
	case "yield":
		rep, err := db.Yield(ctx, sc)
		if err != nil {
			return analyticsFailed(verb, err, stderr)
		}
		return printYield(stdout, stderr, rep, format)
	case "pareto":
		rows, err := db.Pareto(ctx, sc)
		if err != nil {
			return analyticsFailed(verb, err, stderr)
		}
		return printPareto(stdout, stderr, sc, rows, format)
	case "durations":
		buckets, err := db.Durations(ctx, sc, trend)
		if err != nil {
			return analyticsFailed(verb, err, stderr)
		}
		return printDurations(stdout, stderr, sc, trend, buckets, format)
	default:
		c, err := db.Capability(ctx, positional[0], sc)
		if err != nil {
			return analyticsFailed(verb, err, stderr)
		}
		return printCapability(stdout, stderr, sc, c, format)
	}
}

func analyticsFailed(verb string, err error, stderr io.Writer) int {
	fmt.Fprintf(stderr, "station %s: %v\n", verb, err)
	switch {
	case errors.Is(err, results.ErrNoMeasurements):
		return exitNotFound
	case errors.Is(err, results.ErrBadScope), errors.Is(err, results.ErrNoLimits):
		return exitUsage
	}
	return exitFailure
}

// openStoreAnalyst opens the station store, which must exist: analytics
// of a store never written say so rather than create one.
func openStoreAnalyst(verb, path string, stderr io.Writer) (*results.Store, int) {
	if file, err := results.FilePath(path); err != nil {
		fmt.Fprintf(stderr, "station %s: %v\n", verb, err)
		return nil, exitStore
	} else if _, err := os.Stat(file); err != nil {
		fmt.Fprintf(stderr, "station %s: no station store at %s: run a test first, or name one with --store or $%s (or a central database with --db)\n",
			verb, path, results.EnvStore)
		return nil, exitStore
	}
	store, err := results.Open(path)
	if err != nil {
		fmt.Fprintf(stderr, "station %s: %v\n", verb, err)
		return nil, exitStore
	}
	return store, exitOK
}

func scopeText(sc results.Scope) string {
	var parts []string
	if sc.Part != "" {
		parts = append(parts, "part "+clean(sc.Part))
	}
	if sc.Station != "" {
		parts = append(parts, "station "+clean(sc.Station))
	}
	if !sc.Since.IsZero() {
		parts = append(parts, "since "+sc.Since.Local().Format("2006-01-02 15:04"))
	}
	if !sc.Until.IsZero() {
		parts = append(parts, "until "+sc.Until.Local().Format("2006-01-02 15:04"))
	}
	if len(parts) == 0 {
		return "all results"
	}
	return strings.Join(parts, ", ")
}

func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + " %" }

func writeCSV(stdout, stderr io.Writer, records [][]string) int {
	w := csv.NewWriter(stdout)
	if err := w.WriteAll(records); err != nil {
		fmt.Fprintf(stderr, "station: %v\n", err)
		return exitFailure
	}
	return exitOK
}

func printYield(stdout, stderr io.Writer, rep results.YieldReport, format string) int {
	switch format {
	case "json":
		return writeJSON(stdout, stderr, rep)
	case "csv":
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
		i := strconv.Itoa
		return writeCSV(stdout, stderr, [][]string{
			{"units", "first_pass", "first_pass_yield", "second_pass", "second_pass_yield", "last_pass", "last_pass_yield",
				"retested", "retest_rate", "unidentified", "unidentified_passed", "aborted"},
			{i(rep.Units), i(rep.FirstPass.Passed), f(rep.FirstPass.Yield), i(rep.SecondPass.Passed), f(rep.SecondPass.Yield),
				i(rep.LastPass.Passed), f(rep.LastPass.Yield), i(rep.Retested), f(rep.RetestRate),
				i(rep.Unidentified.Units), i(rep.Unidentified.Passed), i(rep.Aborted)},
		})
	}
	fmt.Fprintf(stdout, "yield (%s): %d units first tested in it\n", scopeText(rep.Scope), rep.Units)
	if rep.Units > 0 {
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		for _, l := range []struct {
			name string
			n    int
			y    float64
		}{{"first pass", rep.FirstPass.Passed, rep.FirstPass.Yield}, {"second pass", rep.SecondPass.Passed, rep.SecondPass.Yield},
			{"last pass", rep.LastPass.Passed, rep.LastPass.Yield}, {"retested", rep.Retested, rep.RetestRate}} {
			fmt.Fprintf(tw, "  %s\t%d of %d\t%s\t\n", l.name, l.n, rep.Units, percent(l.y))
		}
		tw.Flush()
		fmt.Fprintln(stdout)
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "ATTEMPT\tUNITS\tPASSED\tPASSED BY NOW\tYIELD BY NOW\t")
		for _, a := range rep.Attempts {
			fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%s\t\n", a.N, a.Tried, a.Passed, a.Cumulative, percent(a.Yield))
		}
		tw.Flush()
	}
	if rep.Unidentified.Units > 0 || rep.Aborted > 0 {
		fmt.Fprintf(stdout, "not counted: %d verdict(s) of DUTs without a serial number (%d passed), %d aborted\n",
			rep.Unidentified.Units, rep.Unidentified.Passed, rep.Aborted)
	}
	return exitOK
}

func printPareto(stdout, stderr io.Writer, sc results.Scope, rows []results.ParetoRow, format string) int {
	switch format {
	case "json":
		return writeJSON(stdout, stderr, rows)
	case "csv":
		records := [][]string{{"name", "failed_units", "tested_units", "failures", "share", "cumulative"}}
		for _, r := range rows {
			records = append(records, []string{csvSafe(r.Name), strconv.Itoa(r.Units), strconv.Itoa(r.Tested), strconv.Itoa(r.Failures),
				strconv.FormatFloat(r.Share, 'f', -1, 64), strconv.FormatFloat(r.Cumulative, 'f', -1, 64)})
		}
		return writeCSV(stdout, stderr, records)
	}
	if len(rows) == 0 {
		fmt.Fprintf(stdout, "no failing measurement in %s\n", scopeText(sc))
		return exitOK
	}
	fmt.Fprintf(stdout, "failing measurements (%s), the most failed units first\n", scopeText(sc))
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "MEASUREMENT\tUNITS FAILED\tOF TESTED\tFAIL RATE\tFAILURES\tSHARE\tCUMULATIVE\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%s\t%s\t\n", clean(r.Name), r.Units, r.Tested,
			percent(float64(r.Units)/float64(max(r.Tested, 1))), r.Failures, percent(r.Share), percent(r.Cumulative))
	}
	tw.Flush()
	return exitOK
}

// csvSafe keeps a spreadsheet from running a name as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func printCapability(stdout, stderr io.Writer, sc results.Scope, c results.Capability, format string) int {
	opt := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'f', -1, 64)
	}
	switch format {
	case "json":
		return writeJSON(stdout, stderr, c)
	case "csv":
		f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
		return writeCSV(stdout, stderr, [][]string{
			{"name", "unit", "n", "other_limits", "low", "high", "mean", "stddev", "min", "max", "cpk", "cpu", "cpl", "not_finite"},
			{csvSafe(c.Name), csvSafe(c.Unit), strconv.Itoa(c.N), strconv.Itoa(c.OtherLimits), opt(c.Low), opt(c.High),
				f(c.Mean), f(c.StdDev), f(c.Min), f(c.Max), opt(c.Cpk), opt(c.Cpu), opt(c.Cpl), strconv.Itoa(c.NotFinite)},
		})
	}
	lim := func(v *float64) string {
		if v == nil {
			return "none"
		}
		return quantity(*v, c.Unit)
	}
	fmt.Fprintf(stdout, "%s (%s): n = %d, limits %s to %s\n", clean(c.Name), scopeText(sc), c.N, lim(c.Low), lim(c.High))
	if c.OtherLimits > 0 {
		fmt.Fprintf(stdout, "  (%d older value(s) against other limits left out)\n", c.OtherLimits)
	}
	if c.NotFinite > 0 {
		fmt.Fprintf(stdout, "  (%d infinite value(s), overload readings, left out)\n", c.NotFinite)
	}
	fmt.Fprintf(stdout, "  mean %s, standard deviation %s, min %s, max %s\n",
		quantity(c.Mean, c.Unit), quantity(c.StdDev, c.Unit), quantity(c.Min, c.Unit), quantity(c.Max, c.Unit))
	switch {
	case !c.Enough:
		fmt.Fprintf(stdout, "  Cpk not computed: n = %d, fewer than the %d values it needs to mean anything\n", c.N, results.MinCapabilitySamples)
	case c.Cpk == nil:
		fmt.Fprintln(stdout, "  Cpk not computed: every value is the same (standard deviation 0)")
	default:
		idx := func(v *float64) string {
			if v == nil {
				return "- (no limit)"
			}
			return strconv.FormatFloat(*v, 'f', 3, 64)
		}
		fmt.Fprintf(stdout, "  Cpk %s  (Cpu %s, Cpl %s)\n", idx(c.Cpk), idx(c.Cpu), idx(c.Cpl))
	}
	return exitOK
}

// quantity is v with an SI prefix and six significant digits: a 12 V
// rail's mean and limits differ in the fourth.
func quantity(v float64, unit string) string {
	if unit == "" {
		return strconv.FormatFloat(v, 'g', 6, 64)
	}
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', 6, 64) + " " + unit
	}
	for _, p := range []struct {
		scale float64
		name  string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}} {
		if math.Abs(v)/p.scale >= 1 || p.scale == 1e-9 {
			return strconv.FormatFloat(v/p.scale, 'g', 6, 64) + " " + p.name + unit
		}
	}
	return strconv.FormatFloat(v, 'g', 6, 64) + " " + unit
}

// ms is a duration in milliseconds, as a person reads it in a table.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func printDurations(stdout, stderr io.Writer, sc results.Scope, t results.Trend, buckets []results.DurationBucket, format string) int {
	what := "runs"
	if t.Units {
		what = "DUTs"
	}
	switch format {
	case "json":
		return writeJSON(stdout, stderr, buckets)
	case "csv":
		records := [][]string{{"day", "first", "last", "n", "p50_ms", "p90_ms", "max_ms", "mean_ms"}}
		f := func(d time.Duration) string {
			return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', -1, 64)
		}
		for _, b := range buckets {
			records = append(records, []string{b.Day, b.First.UTC().Format(time.RFC3339Nano), b.Last.UTC().Format(time.RFC3339Nano),
				strconv.Itoa(b.N), f(b.P50), f(b.P90), f(b.Max), f(b.Mean)})
		}
		return writeCSV(stdout, stderr, records)
	}
	if len(buckets) == 0 {
		fmt.Fprintf(stdout, "no %s that ended in %s\n", what, scopeText(sc))
		return exitOK
	}
	group := "by day"
	if t.Every > 0 {
		group = "in groups of " + strconv.Itoa(t.Every)
	} else if t.Location != nil {
		group += " (" + t.Location.String() + ")"
	}
	fmt.Fprintf(stdout, "durations of %s (%s), %s, aborted ones left out\n", what, scopeText(sc), group)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	first := "DAY"
	if t.Every > 0 {
		first = "FIRST STARTED"
	}
	fmt.Fprintln(tw, first+"\tN\tP50\tP90\tMAX\tMEAN\t")
	for _, b := range buckets {
		label := b.Day
		if t.Every > 0 {
			label = b.First.UTC().Format("2006-01-02 15:04:05Z")
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", label, b.N, ms(b.P50), ms(b.P90), ms(b.Max), ms(b.Mean))
	}
	tw.Flush()
	return exitOK
}
