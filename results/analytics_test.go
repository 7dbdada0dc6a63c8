package results_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/internal/pgtest"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

// analyst is what both backends answer: the station store and the
// central database.
type analyst interface {
	Yield(ctx context.Context, sc results.Scope) (results.YieldReport, error)
	Pareto(ctx context.Context, sc results.Scope) ([]results.ParetoRow, error)
	Capability(ctx context.Context, name string, sc results.Scope) (results.Capability, error)
	Durations(ctx context.Context, sc results.Scope, t results.Trend) ([]results.DurationBucket, error)
}

var (
	_ analyst = (*results.Store)(nil)
	_ analyst = (*results.Central)(nil)
)

// goldenZ is the 12 V rail's sample, in steps of 5 mV from 12.000 V: a
// normal distribution's shape on seven points (binomial-like counts
// 1, 6, 24, 38, 24, 6, 1 for z = -3..3), one value per unit.
func goldenZ() []int {
	var z []int
	for v, n := range map[int]int{-3: 1, -2: 6, -1: 24, 0: 38, 1: 24, 2: 6, 3: 1} {
		for range n {
			z = append(z, v)
		}
	}
	// Map order is random: sort, then interleave so each run gets a mix.
	for i := range z {
		for j := i + 1; j < len(z); j++ {
			if z[j] < z[i] {
				z[i], z[j] = z[j], z[i]
			}
		}
	}
	out := make([]int, len(z))
	for i := range z {
		out[(i%10)*10+i/10] = z[i]
	}
	return out
}

// golden is the dataset's layout.
const (
	goldenPart = "PCB-7"
	rail12V    = "12V"
)

// failsFirst are the units that fail their first attempt (ripple); the
// first three of them fail 5V too. 23 and 63 never pass.
func failsFirst(i int) bool  { return i%10 == 3 }
func neverPasses(i int) bool { return i == 23 || i == 63 }

func serial(i int) string { return fmt.Sprintf("SN-%03d", i) }

// writeGolden writes the golden dataset into sink through real harness
// runs: 100 units of part PCB-7, ten runs of ten DUTs (runs 1-5 on
// station line-1, 6-10 on line-2): 90 pass first time (five of them
// marginal on ripple), 10 fail ripple (three fail 5V as well). A retest
// run on line-1 (with a DUT that was never identified, which fails):
// 8 pass, SN-023 fails again, SN-063 errors (no console). A third run:
// both fail ripple again. (Aborted verdicts are left out of every yield:
// TestFirstPassYield has them.) So: FPY 90/100, second pass 98/100, last
// pass 98/100, retest rate 10/100.
func writeGolden(t *testing.T, sink harness.Sink) {
	t.Helper()
	ctx := context.Background()
	z := goldenZ()
	run := func(name, station string, body func(tt *harness.Test)) {
		t.Helper()
		_, err := harness.Run(ctx, name, func(tt *harness.Test) error { body(tt); return nil },
			harness.WithoutSignals(), harness.WithSink(sink),
			harness.WithRunInfo(harness.RunInfo{Station: station, Operator: "grace"}))
		if err != nil {
			t.Fatal(err)
		}
	}
	unit := func(i int) harness.DUTOption {
		return harness.WithUnit(harness.Unit{Serial: serial(i), Part: goldenPart})
	}
	ripple := harness.AtMost(0.050).WithMarginal(0.2) // marginal above 40 mV
	for r := range 10 {
		station := "line-1"
		if r >= 5 {
			station = "line-2"
		}
		run("fct", station, func(tt *harness.Test) {
			for k := range 10 {
				i := r*10 + k
				tt.DUT(fmt.Sprintf("slot-%d", k), func(d *harness.DUTRun) error {
					if err := d.Measure(rail12V, units.Value(12+0.005*float64(z[i]), "V"), harness.Between(11.97, 12.04)); err != nil {
						return err
					}
					five := 5.0
					if failsFirst(i) && i < 30 {
						five = 5.4
					}
					if err := d.Measure("5V", units.Value(five, "V"), harness.Equals(5, 0.25)); err != nil {
						return err
					}
					rip := 0.020
					switch {
					case failsFirst(i):
						rip = 0.080
					case i%20 == 7:
						rip = 0.045 // marginal: a pass
					}
					return d.Measure("ripple", units.Value(rip, "V"), ripple)
				}, unit(i))
			}
		})
	}
	run("fct-retest", "line-1", func(tt *harness.Test) {
		for i := 3; i < 100; i += 10 {
			tt.DUT(fmt.Sprintf("slot-%d", i/10), func(d *harness.DUTRun) error {
				if i == 63 {
					return errors.New("no console on the DUT's UART")
				}
				if err := d.Measure("vref", units.Value(2.5+0.001*float64(i%7), "V"), harness.Between(2.4, 2.6)); err != nil {
					return err
				}
				rip := 0.020
				if neverPasses(i) {
					rip = 0.070
				}
				return d.Measure("ripple", units.Value(rip, "V"), ripple)
			}, unit(i))
		}
		tt.DUT("slot-x", func(d *harness.DUTRun) error {
			return d.Measure("ripple", units.Value(0.090, "V"), ripple)
		})
	})
	run("fct-retest", "line-1", func(tt *harness.Test) {
		for _, i := range []int{23, 63} {
			tt.DUT(fmt.Sprintf("slot-%d", i/10), func(d *harness.DUTRun) error {
				return d.Measure("ripple", units.Value(0.090, "V"), ripple)
			}, unit(i))
		}
	})
}

// goldenStore is a station store holding the golden dataset, and its
// path.
func goldenStore(t *testing.T) (*results.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "station.db")
	store := openStore(t, path)
	t.Cleanup(func() { store.Close() })
	writeGolden(t, store)
	return store, path
}

// goldenAnswers are every query's answer from one backend.
type goldenAnswers struct {
	Yield, YieldLine2, YieldPart, YieldOtherPart results.YieldReport
	Pareto, ParetoLine2                          []results.ParetoRow
	Cpk, CpkVref, CpkLine2                       results.Capability
	RunDays, UnitDays, UnitsBy25                 []results.DurationBucket
}

// askGolden asks a every query; now is the time "within the hour" is
// of, the same for each backend.
func askGolden(t *testing.T, a analyst, now time.Time) goldenAnswers {
	t.Helper()
	ctx := context.Background()
	var g goldenAnswers
	var err error
	check := func(what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	g.Yield, err = a.Yield(ctx, results.Scope{})
	check("yield")
	g.YieldLine2, err = a.Yield(ctx, results.Scope{Station: "line-2"})
	check("yield of line-2")
	g.YieldPart, err = a.Yield(ctx, results.Scope{Part: goldenPart, Since: now.Add(-time.Hour), Until: now.Add(time.Hour)})
	check("yield of the part")
	g.YieldOtherPart, err = a.Yield(ctx, results.Scope{Part: "PCB-8"})
	check("yield of another part")
	g.Pareto, err = a.Pareto(ctx, results.Scope{})
	check("pareto")
	g.ParetoLine2, err = a.Pareto(ctx, results.Scope{Station: "line-2"})
	check("pareto of line-2")
	g.Cpk, err = a.Capability(ctx, rail12V, results.Scope{Part: goldenPart})
	check("cpk")
	g.CpkVref, err = a.Capability(ctx, "vref", results.Scope{})
	check("cpk of vref")
	g.CpkLine2, err = a.Capability(ctx, rail12V, results.Scope{Station: "line-2"})
	check("cpk of line-2")
	g.RunDays, err = a.Durations(ctx, results.Scope{}, results.Trend{})
	check("run durations")
	g.UnitDays, err = a.Durations(ctx, results.Scope{}, results.Trend{Units: true})
	check("unit durations")
	g.UnitsBy25, err = a.Durations(ctx, results.Scope{Part: goldenPart}, results.Trend{Units: true, Every: 25})
	check("unit durations by 25")
	return g
}

// checkGolden checks the answers of one backend against the dataset.
func checkGolden(t *testing.T, g goldenAnswers) {
	t.Helper()
	y := g.Yield
	wantYield := results.YieldReport{
		Units:      100,
		FirstPass:  results.Yield{Units: 100, Passed: 90, Yield: 0.90},
		SecondPass: results.Yield{Units: 100, Passed: 98, Yield: 0.98},
		LastPass:   results.Yield{Units: 100, Passed: 98, Yield: 0.98},
		Retested:   10, RetestRate: 0.10,
		Attempts: []results.AttemptYield{
			{N: 1, Tried: 100, Passed: 90, Cumulative: 90, Yield: 0.90},
			{N: 2, Tried: 10, Passed: 8, Cumulative: 98, Yield: 0.98},
			{N: 3, Tried: 2, Passed: 0, Cumulative: 98, Yield: 0.98},
		},
		Unidentified: results.Yield{Units: 1, Passed: 0, Yield: 0},
	}
	if diff := cmp.Diff(wantYield, y); diff != "" {
		t.Errorf("yield (-want +got):\n%s", diff)
	}
	// Line 2 tested units 50-99 once each; its five failures (53, 63...)
	// were retested on line 1, so on line 2 they have one attempt.
	if l2 := g.YieldLine2; l2.Units != 50 || l2.FirstPass.Passed != 45 || l2.LastPass.Passed != 45 || l2.Retested != 0 || l2.Unidentified.Units != 0 {
		t.Errorf("yield of line-2: %+v", l2)
	}
	if p := g.YieldPart; p.FirstPass != wantYield.FirstPass || p.LastPass != wantYield.LastPass || p.Unidentified.Units != 0 {
		t.Errorf("yield of the part within the hour: %+v", p)
	}
	if o := g.YieldOtherPart; o.Units != 0 || o.FirstPass != (results.Yield{}) || len(o.Attempts) != 0 {
		t.Errorf("yield of a part never tested: %+v", o)
	}

	// ripple: the 10 first failures, the unidentified DUT (a unit of its
	// own); 14 failing measurements (10, then 23 on retest, the
	// unidentified one, 23 and 63 on the third run). 5V: units 3, 13, 23.
	wantPareto := []results.ParetoRow{
		{Name: "ripple", Units: 11, Tested: 101, Failures: 14, Share: 11.0 / 14, Cumulative: 11.0 / 14},
		{Name: "5V", Units: 3, Tested: 100, Failures: 3, Share: 3.0 / 14, Cumulative: 1},
	}
	if diff := cmp.Diff(wantPareto, g.Pareto); diff != "" {
		t.Errorf("pareto (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]results.ParetoRow{{Name: "ripple", Units: 5, Tested: 50, Failures: 5, Share: 1, Cumulative: 1}}, g.ParetoLine2); diff != "" {
		t.Errorf("pareto of line-2 (-want +got):\n%s", diff)
	}

	// The 12 V rail, by hand: z = -3..3 with counts 1, 6, 24, 38, 24, 6,
	// 1 (n = 100), x = 12.000 V + 5 mV·z.
	//   Σz = 0, so the mean is 12.000 V.
	//   Σz² = 9·1 + 4·6 + 1·24 + 0 + 1·24 + 4·6 + 9·1 = 114
	//   s = 5 mV · √(114 / 99) = 5 mV · 1.073087 = 5.365434 mV; 3s = 16.09630 mV
	//   Cpu = (12.04 - 12.000) / 0.01609630 = 2.48504
	//   Cpl = (12.000 - 11.97) / 0.01609630 = 1.86378
	//   Cpk = min(Cpu, Cpl) = 1.864
	c := g.Cpk
	if c.N != 100 || c.OtherLimits != 0 || !c.Enough || c.Unit != "V" || c.Cpk == nil || c.Cpu == nil || c.Cpl == nil {
		t.Fatalf("cpk of %s: %+v", rail12V, c)
	}
	for _, v := range []struct {
		what      string
		got, want float64
		digits    int
	}{
		{"mean", c.Mean, 12.000, 6}, {"stddev", c.StdDev, 0.005365434, 6},
		{"cpk", *c.Cpk, 1.864, 3}, {"cpl", *c.Cpl, 1.86378, 5}, {"cpu", *c.Cpu, 2.48504, 5},
		{"low", *c.Low, 11.97, 9}, {"high", *c.High, 12.04, 9}, {"min", c.Min, 11.985, 9}, {"max", c.Max, 12.015, 9},
	} {
		if math.Abs(v.got-v.want) > 0.5*math.Pow(10, -float64(v.digits)) {
			t.Errorf("%s of %s: %.9g, want %.*f", v.what, rail12V, v.got, v.digits, v.want)
		}
	}
	if v := g.CpkVref; v.N != 9 || v.Enough || v.Cpk != nil || v.Cpu != nil || v.Cpl != nil || v.Mean == 0 {
		t.Errorf("cpk of vref (9 values): %+v", v)
	}
	if v := g.CpkLine2; v.N != 50 || !v.Enough || v.Cpk == nil {
		t.Errorf("cpk of 12V on line-2: %+v", v)
	}

	// 12 runs; 100 + 10 + 1 + 2 DUTs. The runs were minutes apart at most: one day,
	// or two across midnight.
	count := func(bs []results.DurationBucket) int {
		n := 0
		for _, b := range bs {
			n += b.N
			if b.P50 < 0 || b.P50 > b.P90 || b.P90 > b.Max || b.Mean > b.Max || b.First.After(b.Last) {
				t.Errorf("a bucket out of order: %+v", b)
			}
		}
		return n
	}
	if n := count(g.RunDays); n != 12 || len(g.RunDays) > 2 || g.RunDays[0].Day == "" {
		t.Errorf("run durations by day: %d runs: %+v", n, g.RunDays)
	}
	if n := count(g.UnitDays); n != 113 {
		t.Errorf("unit durations by day: %d units: %+v", n, g.UnitDays)
	}
	if n := count(g.UnitsBy25); n != 112 || len(g.UnitsBy25) != 5 || g.UnitsBy25[0].N != 25 || g.UnitsBy25[4].N != 12 || g.UnitsBy25[0].Day != "" {
		t.Errorf("unit durations of the part by 25: %d units: %+v", n, g.UnitsBy25)
	}
}

// The golden dataset on the station store.
func TestGoldenAnalyticsSQLite(t *testing.T) {
	store, _ := goldenStore(t)
	checkGolden(t, askGolden(t, store, time.Now()))
}

// The analytics of a store with nothing in it: zeros, no error; a
// measurement it does not have: ErrNoMeasurements.
func TestAnalyticsOfNothing(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	ctx := context.Background()
	y, err := store.Yield(ctx, results.Scope{})
	if err != nil || y.Units != 0 || y.FirstPass != (results.Yield{}) || y.Attempts == nil {
		t.Fatalf("yield of nothing: %+v %v", y, err)
	}
	p, err := store.Pareto(ctx, results.Scope{})
	if err != nil || p == nil || len(p) != 0 {
		t.Fatalf("pareto of nothing: %+v %v", p, err)
	}
	if _, err := store.Capability(ctx, "12V", results.Scope{}); !errors.Is(err, results.ErrNoMeasurements) {
		t.Fatalf("cpk of nothing: %v", err)
	}
	d, err := store.Durations(ctx, results.Scope{}, results.Trend{Every: 10})
	if err != nil || d == nil || len(d) != 0 {
		t.Fatalf("durations of nothing: %+v %v", d, err)
	}
	now := time.Now()
	if _, err := store.Yield(ctx, results.Scope{Since: now, Until: now.Add(-time.Hour)}); !errors.Is(err, results.ErrBadScope) {
		t.Fatalf("until before since: %v", err)
	}
	if _, err := store.Durations(ctx, results.Scope{}, results.Trend{Every: -1}); !errors.Is(err, results.ErrBadScope) {
		t.Fatalf("every -1: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := store.Yield(cctx, results.Scope{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("yield with a cancelled context: %v", err)
	}
}

// The golden dataset on the central database: the station store's events
// go in through Central.Ingest, as a station's replication sends them
// (so PostgreSQL's runs, units and measurements are folded from the
// events by the central side), and every query's answer is the same as
// the station store's.
func TestGoldenAnalyticsPostgres(t *testing.T) {
	url := pgtest.New(t)
	store, path := goldenStore(t)
	ctx := context.Background()
	central, err := results.OpenCentral(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer central.Close()
	ingestStore(t, central, path, "golden")

	now := time.Now()
	fromStore := askGolden(t, store, now)
	fromCentral := askGolden(t, central, now)
	checkGolden(t, fromCentral)
	// Identical to the bit, floats included: no tolerance.
	if diff := cmp.Diff(fromStore, fromCentral); diff != "" {
		t.Errorf("the station store and the central database differ (-store +central):\n%s", diff)
	}
}

// ingestStore sends every event of the store at path to central, as a
// station's replication would, as station.
func ingestStore(t *testing.T, central *results.Central, path, station string) {
	t.Helper()
	ctx := context.Background()
	db := rawDB(t, path)
	rows, err := db.Query(`SELECT pos, run_id, seq, time_ns, kind, dut, body FROM events ORDER BY pos`)
	if err != nil {
		t.Fatal(err)
	}
	var events []results.OutboxEvent
	for rows.Next() {
		var e results.OutboxEvent
		if err := rows.Scan(&e.Pos, &e.Run, &e.Seq, &e.TimeNS, &e.Kind, &e.DUT, &e.Body); err != nil {
			t.Fatal(err)
		}
		events = append(events, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	db.Close()
	for len(events) > 0 {
		n := min(len(events), 300)
		if _, err := central.Ingest(ctx, results.Batch{Station: station, Events: events[:n], Backlog: int64(len(events) - n)}); err != nil {
			t.Fatal(err)
		}
		events = events[n:]
	}
}

// A limit with one side open as ±Inf (read from a file) has no index on
// that side: the capability is the other side's, and it encodes as JSON
// (station cpk --json), which has no infinities.
func TestCapabilityOfAnOpenSidedLimit(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	defer store.Close()
	inf := math.Inf(1)
	_, err := harness.Run(context.Background(), "leakage", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error {
			for i := range results.MinCapabilitySamples {
				v := 1 + float64(i%3) // mean 2, s = sqrt(20/29)
				if err := d.Measure("leak", units.Value(v, "uA"), harness.Between(-inf, 5)); err != nil {
					return err
				}
				if err := d.Measure("floor", units.Value(v, "uA"), harness.Between(-1, inf)); err != nil {
					return err
				}
				if err := d.Measure("open", units.Value(v, "uA"), harness.Between(-inf, inf)); err != nil {
					return err
				}
			}
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	f := func(x float64) *float64 { return &x }
	s := math.Sqrt(20.0 / 29)
	want := map[string]results.Capability{
		"leak":  {Name: "leak", Unit: "uA", N: 30, High: f(5), Mean: 2, StdDev: s, Min: 1, Max: 3, Enough: true, Cpu: f(3 / (3 * s)), Cpk: f(3 / (3 * s))},
		"floor": {Name: "floor", Unit: "uA", N: 30, Low: f(-1), Mean: 2, StdDev: s, Min: 1, Max: 3, Enough: true, Cpl: f(3 / (3 * s)), Cpk: f(3 / (3 * s))},
	}
	got := map[string]results.Capability{}
	for name := range want {
		c, err := store.Capability(ctx, name, results.Scope{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := json.Marshal(c); err != nil {
			t.Errorf("%s as JSON: %v", name, err)
		}
		got[name] = c
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := store.Capability(ctx, "open", results.Scope{}); !errors.Is(err, results.ErrNoLimits) {
		t.Errorf("a limit open on both sides: %v, want ErrNoLimits", err)
	}
}

// sharedSerials writes four runs, each of one DUT, of two parts whose
// serial numbers overlap (two makers' numbering): PSU-1's S1 failed two
// days ago and PSU-2's S1 passes today (its first test, not a retest);
// PSU-1's S2 passes today and PSU-2's S2 fails today, once (neither is
// retested). Each DUT measures vout, which fails where the DUT fails.
func sharedSerials(t *testing.T, s *results.Store, now time.Time) {
	t.Helper()
	for i, u := range []struct {
		ago          time.Duration
		part, serial string
		outcome      harness.Outcome
	}{
		{48 * time.Hour, "PSU-1", "S1", harness.OutcomeFail},
		{3 * time.Hour, "PSU-2", "S1", harness.OutcomePass},
		{2 * time.Hour, "PSU-1", "S2", harness.OutcomePass},
		{time.Hour, "PSU-2", "S2", harness.OutcomeFail},
	} {
		at := now.Add(-u.ago)
		run := harness.NewRunID(at.Add(time.Duration(i)))
		v, lo, hi := 5.0, 4.9, 5.1
		if u.outcome == harness.OutcomeFail {
			v = 6
		}
		evs := []harness.Event{
			{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "final", Station: "line-1"}},
			{Kind: harness.EventDUTStarted, DUT: "a", Unit: &harness.Unit{Part: u.part, Serial: u.serial}},
			{Kind: harness.EventMeasurement, DUT: "a", Measurement: &harness.Measurement{Name: "vout", Value: v, Unit: "V", Outcome: u.outcome,
				Limit: harness.LimitSpec{Comparator: harness.CompareBetween, Low: &lo, High: &hi}}},
			{Kind: harness.EventRunEnded, End: &harness.RunEnd{Outcome: u.outcome, DUTs: []harness.DUTVerdict{{Name: "a", Outcome: u.outcome}}}},
		}
		for j := range evs {
			evs[j].Run, evs[j].Seq, evs[j].Time = run, uint64(j+1), at.Add(time.Duration(j)*time.Millisecond)
		}
		emitAll(t, s, evs...)
	}
}

// The same serial number on two parts is two units: without a part in
// the scope (the station page's first-pass yield of today), PSU-2's S1
// is a first test today, not PSU-1's S1 retested, and no unit is
// retested; Pareto counts each part's units that vout tested. With a
// part in the scope, the answers are that part's alone, as ever. The
// central database answers the same.
func TestYieldTellsPartsApart(t *testing.T) {
	now := time.Now()
	path := filepath.Join(t.TempDir(), "station.db")
	s := openStore(t, path)
	defer s.Close()
	sharedSerials(t, s, now)
	ctx := context.Background()
	since := now.Add(-24 * time.Hour)
	y, err := s.FirstPassYield(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(results.Yield{Units: 3, Passed: 2, Yield: 2.0 / 3}, y); diff != "" {
		t.Errorf("FirstPassYield (-want +got):\n%s", diff)
	}

	type answer struct {
		Units, Retested int
		FirstPass       results.Yield
		Pareto          []results.ParetoRow
	}
	vout := func(units, tested, failures int) []results.ParetoRow {
		return []results.ParetoRow{{Name: "vout", Units: units, Tested: tested, Failures: failures, Share: 1, Cumulative: 1}}
	}
	check := func(t *testing.T, a analyst) {
		for _, c := range []struct {
			sc   results.Scope
			want answer
		}{
			// Today: S1 of PSU-2 (pass), S2 of PSU-1 (pass), S2 of PSU-2 (fail).
			{results.Scope{Since: since}, answer{Units: 3, FirstPass: results.Yield{Units: 3, Passed: 2, Yield: 2.0 / 3}, Pareto: vout(1, 3, 1)}},
			{results.Scope{}, answer{Units: 4, FirstPass: results.Yield{Units: 4, Passed: 2, Yield: 0.5}, Pareto: vout(2, 4, 2)}},
			{results.Scope{Part: "PSU-2", Since: since}, answer{Units: 2, FirstPass: results.Yield{Units: 2, Passed: 1, Yield: 0.5}, Pareto: vout(1, 2, 1)}},
			{results.Scope{Part: "PSU-1"}, answer{Units: 2, FirstPass: results.Yield{Units: 2, Passed: 1, Yield: 0.5}, Pareto: vout(1, 2, 1)}},
		} {
			y, err := a.Yield(ctx, c.sc)
			if err != nil {
				t.Fatal(err)
			}
			p, err := a.Pareto(ctx, c.sc)
			if err != nil {
				t.Fatal(err)
			}
			got := answer{Units: y.Units, Retested: y.Retested, FirstPass: y.FirstPass, Pareto: p}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("scope %+v (-want +got):\n%s", c.sc, diff)
			}
		}
	}
	t.Run("station", func(t *testing.T) { check(t, s) })
	t.Run("central", func(t *testing.T) {
		central, err := results.OpenCentral(ctx, pgtest.New(t))
		if err != nil {
			t.Fatal(err)
		}
		defer central.Close()
		ingestStore(t, central, path, "line-1")
		check(t, central)
	})
}
