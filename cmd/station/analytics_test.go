package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/internal/pgtest"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

// yieldStore writes 40 units of part PCB-7 on station line-3 (4 runs of
// 10): units 0, 10, 20 and 30 fail 3V3 at first; a retest passes all but
// SN-30. Their 12V: 12 V + 1 mV·(k-4.5) for slot k.
func yieldStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "station.db")
	store, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	run := func(serials []int, body func(d *harness.DUTRun, i int) error) {
		_, err := harness.Run(context.Background(), "fct", func(tt *harness.Test) error {
			for k, i := range serials {
				tt.DUT(fmt.Sprintf("slot-%d", k), func(d *harness.DUTRun) error { return body(d, i) },
					harness.WithUnit(harness.Unit{Serial: fmt.Sprintf("SN-%02d", i), Part: "PCB-7"}))
			}
			return nil
		}, harness.WithoutSignals(), harness.WithSink(store), harness.WithRunInfo(harness.RunInfo{Station: "line-3"}))
		if err != nil {
			t.Fatal(err)
		}
	}
	for r := range 4 {
		var serials []int
		for k := range 10 {
			serials = append(serials, r*10+k)
		}
		run(serials, func(d *harness.DUTRun, i int) error {
			if err := d.Measure("12V", units.Value(12+0.001*(float64(i%10)-4.5), "V"), harness.Between(11.9, 12.05)); err != nil {
				return err
			}
			v := 3.3
			if i%10 == 0 {
				v = 3.0
			}
			return d.Measure("3V3", units.Value(v, "V"), harness.Between(3.2, 3.4))
		})
	}
	run([]int{0, 10, 20, 30}, func(d *harness.DUTRun, i int) error {
		v := 3.3
		if i == 30 {
			v = 3.0
		}
		return d.Measure("3V3", units.Value(v, "V"), harness.Between(3.2, 3.4))
	})
	return path
}

func TestYieldParetoCpk(t *testing.T) {
	path := yieldStore(t)
	t.Setenv(results.EnvCentral, "")

	code, out, errOut := runCmd(t, "yield", "--store", path, "--part", "PCB-7")
	if code != 0 {
		t.Fatalf("yield: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"yield (part PCB-7): 40 units first tested in it", "first pass  36 of 40  90.0 %",
		"last pass  39 of 40  97.5 %", "retested   4 of 40  10.0 %", "ATTEMPT", "2      4       3             39        97.5 %"} {
		if !strings.Contains(out, want) {
			t.Errorf("yield lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, "yield", "--store", path, "--json", "--station", "line-3", "--since", "1h")
	var rep results.YieldReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || rep.FirstPass != (results.Yield{Units: 40, Passed: 36, Yield: 0.9}) {
		t.Fatalf("yield --json: exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(t, "yield", "--store", path, "--csv", "--station", "line-9")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 2 || recs[0][0] != "units" || recs[1][0] != "0" {
		t.Fatalf("yield --csv of another station: exit %d: %v\n%s", code, err, out)
	}

	code, out, errOut = runCmd(t, "pareto", "--store", path)
	if code != 0 || !strings.Contains(out, "3V3") || !strings.Contains(out, "100.0 %") || strings.Contains(out, "12V") {
		t.Fatalf("pareto: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, _ = runCmd(t, "pareto", "--store", path, "--csv")
	recs, err = csv.NewReader(strings.NewReader(out)).ReadAll()
	want := [][]string{{"name", "failed_units", "tested_units", "failures", "share", "cumulative"}, {"3V3", "4", "40", "5", "1", "1"}}
	if diff := cmp.Diff(want, recs); code != 0 || err != nil || diff != "" {
		t.Fatalf("pareto --csv: exit %d: %v (-want +got):\n%s", code, err, diff)
	}

	// 12V: 40 values, 1 mV apart in slots: mean 12 V; (k - 4.5)² for k =
	// 0..9 sums to 82.5, four times 330; s² = 330/39 = 8.4615 mV², s =
	// 2.90887 mV, 3s = 8.72661 mV; Cpu = 50 / 8.72661 = 5.730, Cpl = 100 /
	// 8.72661 = 11.459.
	code, out, errOut = runCmd(t, "cpk", "12V", "--store", path)
	if code != 0 {
		t.Fatalf("cpk: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"12V (all results): n = 40, limits 11.9 V to 12.05 V", "mean 12 V", "standard deviation 2.90887 mV", "Cpk 5.730  (Cpu 5.730, Cpl 11.459)"} {
		if !strings.Contains(out, want) {
			t.Errorf("cpk lacks %q:\n%s", want, out)
		}
	}
	// 3V3: 40 first values and 4 of the retest.
	code, out, _ = runCmd(t, "cpk", "--store", path, "3V3", "--json", "--since", "1h", "--station", "line-3")
	var c results.Capability
	if code != 0 || json.Unmarshal([]byte(out), &c) != nil || c.N != 44 || !c.Enough {
		t.Fatalf("cpk 3V3 --json: exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(t, "cpk", "3V3", "--store", path, "--until", "2000-01-02", "--since", "2000-01-01")
	if code != exitNotFound {
		t.Fatalf("cpk of an empty period: exit %d:\n%s", code, out)
	}
	code, _, errOut = runCmd(t, "cpk", "nothing", "--store", path)
	if code != exitNotFound || !strings.Contains(errOut, `no value of "nothing"`) {
		t.Fatalf("cpk of an unknown measurement: exit %d: %s", code, errOut)
	}
	code, _, errOut = runCmd(t, "cpk", "--store", path)
	if code != exitUsage || !strings.Contains(errOut, "name one measurement") {
		t.Fatalf("cpk without a name: exit %d: %s", code, errOut)
	}
	code, _, errOut = runCmd(t, "yield", "--store", path, "--since", "1h", "--until", "2h")
	if code != exitUsage || !strings.Contains(errOut, "until") {
		t.Fatalf("until before since: exit %d: %s", code, errOut)
	}
	code, _, errOut = runCmd(t, "pareto", "--store", filepath.Join(t.TempDir(), "none.db"))
	if code != exitStore || !strings.Contains(errOut, "no station store") {
		t.Fatalf("pareto of no store: exit %d: %s", code, errOut)
	}
}

// Fewer than 30 values: the indices are not computed, and the output
// says why, with n.
func TestCpkTooFewValues(t *testing.T) {
	path, _ := storeWithRun(t)
	code, out, errOut := runCmd(t, "cpk", "12V", "--store", path)
	if code != 0 || !strings.Contains(out, "n = 2") || !strings.Contains(out, "Cpk not computed: n = 2, fewer than the 30 values") {
		t.Fatalf("cpk of 2 values: exit %d: %s\n%s", code, errOut, out)
	}
	code, out, _ = runCmd(t, "cpk", "12V", "--store", path, "--csv")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 2 || recs[1][2] != "2" || recs[1][10] != "" {
		t.Fatalf("cpk --csv of 2 values: exit %d: %v\n%s", code, err, out)
	}
}

// ingest copies a station store's events into the central database at
// url, as replication sends them.
func ingest(t *testing.T, path, url string) {
	t.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT pos, run_id, seq, time_ns, kind, dut, body FROM events ORDER BY pos`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
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
	central, err := results.OpenCentral(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer central.Close()
	if _, err := central.Ingest(ctx, results.Batch{Station: "line-3", Events: events}); err != nil {
		t.Fatal(err)
	}
}

// --db (or $SCPIKIT_DB) reads the central database: the same answers as
// the station store's.
func TestAnalyticsOfTheCentralDatabase(t *testing.T) {
	url := pgtest.New(t)
	path := yieldStore(t)
	ingest(t, path, url)
	t.Setenv(results.EnvCentral, "")
	for _, args := range [][]string{{"yield", "--json"}, {"pareto", "--csv"}, {"yield", "--part", "PCB-7"}, {"pareto"},
		{"cpk", "12V", "--json"}, {"durations", "--units", "--every", "7", "--json"}, {"durations", "--csv"}} {
		code, fromStore, errOut := runCmd(t, append(args, "--store", path)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		code, fromCentral, errOut := runCmd(t, append(args, "--db", url)...)
		if code != 0 || fromCentral != fromStore {
			t.Errorf("%v --db: exit %d: %s\n%s\nthe store said:\n%s", args, code, errOut, fromCentral, fromStore)
		}
	}
	t.Setenv(results.EnvCentral, url)
	t.Setenv(results.EnvStore, filepath.Join(t.TempDir(), "none.db"))
	code, out, errOut := runCmd(t, "cpk", "12V")
	if code != 0 || !strings.Contains(out, "n = 40") || !strings.Contains(out, "Cpk 5.730") {
		t.Fatalf("cpk with $%s: exit %d: %s\n%s", results.EnvCentral, code, errOut, out)
	}
	code, _, errOut = runCmd(t, "yield", "--db", "mysql://nobody@127.0.0.1/x")
	if code != exitStore || !strings.Contains(errOut, "postgres://") {
		t.Fatalf("--db of another database: exit %d: %s", code, errOut)
	}
}

// station durations: by day and in groups, of runs and of DUTs, as a
// table, CSV and JSON, with the same scope flags as yield.
func TestDurations(t *testing.T) {
	path := yieldStore(t)
	t.Setenv(results.EnvCentral, "")

	code, out, errOut := runCmd(t, "durations", "--store", path, "--part", "PCB-7")
	if code != 0 {
		t.Fatalf("durations: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"durations of runs (part PCB-7), by day, aborted ones left out", "DAY", "P50", "P90", " ms"} {
		if !strings.Contains(out, want) {
			t.Errorf("durations lacks %q:\n%s", want, out)
		}
	}
	// 4 runs of 10 DUTs and a retest of 4: 44 DUTs, in groups of 20.
	code, out, errOut = runCmd(t, "durations", "--store", path, "--units", "--every", "20", "--json")
	var buckets []results.DurationBucket
	if code != 0 || json.Unmarshal([]byte(out), &buckets) != nil {
		t.Fatalf("durations --units --every 20 --json: exit %d: %s\n%s", code, errOut, out)
	}
	var ns []int
	for _, b := range buckets {
		ns = append(ns, b.N)
		if b.Day != "" || b.P50 <= 0 || b.P50 > b.P90 || b.P90 > b.Max {
			t.Errorf("a group of DUT durations: %+v", b)
		}
	}
	if diff := cmp.Diff([]int{20, 20, 4}, ns); diff != "" {
		t.Errorf("groups of DUTs (-want +got):\n%s", diff)
	}
	code, out, _ = runCmd(t, "durations", "--store", path, "--csv", "--tz", "Europe/Berlin")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) < 2 || recs[0][0] != "day" || recs[0][4] != "p50_ms" {
		t.Fatalf("durations --csv: exit %d: %v\n%s", code, err, out)
	}
	runs := 0
	for _, r := range recs[1:] {
		n, _ := strconv.Atoi(r[3])
		runs += n
	}
	if runs != 5 {
		t.Errorf("durations --csv counts %d runs, want 5:\n%s", runs, out)
	}
	code, out, _ = runCmd(t, "durations", "--store", path, "--station", "line-9")
	if code != 0 || !strings.Contains(out, "no runs that ended in station line-9") {
		t.Errorf("durations of another station: exit %d:\n%s", code, out)
	}
	for _, bad := range [][]string{{"--every", "-2"}, {"--tz", "Mars/Olympus"}, {"--since", "1h", "--until", "2h"}} {
		code, _, errOut = runCmd(t, append([]string{"durations", "--store", path}, bad...)...)
		if code != exitUsage || errOut == "" {
			t.Errorf("durations %v: exit %d: %s", bad, code, errOut)
		}
	}
}

// A --store given beats $SCPIKIT_DB (a replicating station has it set):
// the station store answers, not the central database; --store with
// --db is refused, as is --tz with --every (groups by count have no
// days), naming both flags.
func TestAnalyticsFlagsGivenWin(t *testing.T) {
	path := yieldStore(t)
	// A central database that cannot be reached: were it asked, the
	// command would fail.
	t.Setenv(results.EnvCentral, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=5")
	for _, verb := range [][]string{{"yield"}, {"pareto"}, {"cpk", "12V"}, {"durations"}} {
		code, out, errOut := runCmd(t, append(verb, "--store", path, "--part", "PCB-7")...)
		if code != 0 || out == "" {
			t.Errorf("%v --store with $%s set: exit %d: %s\n%s", verb, results.EnvCentral, code, errOut, out)
		}
	}
	code, out, _ := runCmd(t, "yield", "--store", path, "--part", "PCB-7")
	if code != 0 || !strings.Contains(out, "40 units first tested in it") {
		t.Errorf("yield --store with $%s set did not answer from the store (exit %d):\n%s", results.EnvCentral, code, out)
	}
	code, _, errOut := runCmd(t, "yield", "--store", path, "--db", "postgres://nobody@127.0.0.1:1/none")
	if code != exitUsage || !strings.Contains(errOut, "--store, --db: give one") {
		t.Errorf("yield --store --db: exit %d, %q; want %d", code, errOut, exitUsage)
	}
	t.Setenv(results.EnvCentral, "")
	code, _, errOut = runCmd(t, "durations", "--store", path, "--every", "5", "--tz", "Europe/Berlin")
	if code != exitUsage || !strings.Contains(errOut, "--tz, --every") {
		t.Errorf("durations --every 5 --tz: exit %d, %q; want %d", code, errOut, exitUsage)
	}
	// --tz UTC, the default, given with --every is as meaningless: refused
	// too; --every alone and --tz alone are not.
	for _, args := range [][]string{{"--every", "5", "--tz", "UTC"}, {"--tz", "Local", "--every", "1"}} {
		if code, _, _ = runCmd(t, append([]string{"durations", "--store", path}, args...)...); code != exitUsage {
			t.Errorf("durations %v: exit %d; want %d", args, code, exitUsage)
		}
	}
	for _, args := range [][]string{{"--every", "5"}, {"--tz", "Europe/Berlin"}} {
		if code, _, errOut = runCmd(t, append([]string{"durations", "--store", path}, args...)...); code != 0 {
			t.Errorf("durations %v: exit %d: %s", args, code, errOut)
		}
	}
}
