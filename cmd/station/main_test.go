package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
)

// storeWithRun writes one run of two DUTs to a new store and returns the
// store's path and the run's record.
func storeWithRun(t *testing.T) (string, *harness.Record) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "station.db")
	store, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec, err := harness.Run(context.Background(), "burn-in", func(tt *harness.Test) error {
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			return d.Phase("rails", func(context.Context) error {
				return d.Measure("12V", 12.01*units.Volt, harness.Equals(12, 0.6))
			})
		}, harness.WithUnit(harness.Unit{Serial: "SN1", Part: "PCB-7", Slot: "A"}))
		tt.DUT("dut-2", func(d *harness.DUTRun) error {
			if err := d.Identify(harness.Unit{Serial: "=HYPERLINK(\"x\")\x1b[31m"}); err != nil {
				return err
			}
			return d.Measure("12V", 13*units.Volt, harness.Equals(12, 0.6))
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store), harness.WithRunInfo(harness.RunInfo{Station: "line-3", Operator: "grace"}))
	if err != nil {
		t.Fatal(err)
	}
	return path, rec
}

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunsShowReportExport(t *testing.T) {
	path, rec := storeWithRun(t)
	code, out, errOut := runCmd(t, "runs", "--store", path)
	if code != 0 {
		t.Fatalf("runs: exit %d: %s", code, errOut)
	}
	for _, want := range []string{rec.ID, "burn-in", "line-3", "grace", "fail", "dut-1=SN1"} {
		if !strings.Contains(out, want) {
			t.Errorf("runs lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("runs printed an escape sequence from the store:\n%q", out)
	}

	code, out, _ = runCmd(t, "runs", "--store", path, "--json", "--serial", "SN1")
	var runs []results.RunSummary
	if code != 0 || json.Unmarshal([]byte(out), &runs) != nil || len(runs) != 1 || runs[0].ID != rec.ID {
		t.Fatalf("runs --json --serial: exit %d:\n%s", code, out)
	}
	code, out, _ = runCmd(t, "runs", "--store", path, "--json", "--serial", "nobody")
	if code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("runs of an unknown serial: exit %d: %q", code, out)
	}
	code, out, _ = runCmd(t, "runs", "--store", path, "--since", "2000-01-01")
	if code != 0 || !strings.Contains(out, rec.ID) {
		t.Fatalf("runs --since a date: exit %d:\n%s", code, out)
	}
	code, _, errOut = runCmd(t, "runs", "--store", path, "--since", "-1h")
	if code != exitUsage || !strings.Contains(errOut, "since") {
		t.Fatalf("--since -1h: exit %d: %s", code, errOut)
	}

	// show, with the flag after the run and the run as a prefix.
	code, out, errOut = runCmd(t, "show", rec.ID[:12], "--store", path)
	if code != 0 {
		t.Fatalf("show: exit %d: %s", code, errOut)
	}
	for _, want := range []string{"run " + rec.ID, "station line-3, operator grace", "outcome: fail", "SN1", "PCB-7", "safe state: 0 of 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCmd(t, "show", "last", "--store", path, "--json")
	var shown harness.Record
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.ID != rec.ID || shown.SchemaVersion != harness.SchemaVersion {
		t.Fatalf("show --json: exit %d:\n%s", code, out)
	}

	dir := t.TempDir()
	code, out, errOut = runCmd(t, "report", "last", "--store", path, "--dir", dir)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) != 3 || strings.Count(out, "\n") != 3 {
		t.Fatalf("report wrote %v, printed %q", files, out)
	}
	// The JSON report is the record the run returned.
	b, _ := os.ReadFile(filepath.Join(dir, filepath.Base(strings.Split(out, "\n")[0])))
	var fromReport harness.Record
	if err := json.Unmarshal(b, &fromReport); err != nil || fromReport.ID != rec.ID || len(fromReport.Measurements()) != 2 {
		t.Fatalf("JSON report: %v", err)
	}

	code, out, errOut = runCmd(t, "export", "--csv", "--store", path)
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("export: %v, %d rows:\n%s", err, len(rows), out)
	}
	// The DUTs measure in parallel: the rows come in the order the
	// measurements were taken, so find dut-2's by its DUT column.
	if rows[0][6] != "dut" || rows[0][7] != "serial" {
		t.Fatalf("export header: %q", rows[0])
	}
	serials := map[string]string{}
	for _, row := range rows[1:] {
		serials[row[6]] = row[7]
	}
	if serials["dut-1"] != "SN1" {
		t.Errorf("dut-1's serial is exported as %q", serials["dut-1"])
	}
	if serial := serials["dut-2"]; !strings.HasPrefix(serial, "'=") {
		t.Errorf("a serial that a spreadsheet would run as a formula is exported as %q", serial)
	}
}

func TestErrorsNameWhatToDo(t *testing.T) {
	path, _ := storeWithRun(t)
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{nil, exitUsage, "usage:"},
		{[]string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{[]string{"show", "--store", path}, exitUsage, "name one run"},
		{[]string{"show", "ZZZZ", "--store", path}, exitNotFound, "no such run"},
		{[]string{"report", "last", "--store", path}, exitUsage, "--dir DIR is required"},
		{[]string{"export", "--store", path}, exitUsage, "say --csv"},
		{[]string{"runs", "--store", filepath.Join(t.TempDir(), "none.db")}, exitStore, "no station store at"},
		{[]string{"runs", "--since", "yesterday", "--store", path}, exitUsage, "neither a duration"},
	} {
		code, _, errOut := runCmd(t, c.args...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("station %v: exit %d, %q; want exit %d and %q", c.args, code, errOut, c.code, c.want)
		}
	}
}

// With no --store, the default is the harness's: $SCPIKIT_STORE.
func TestDefaultStoreIsTheEnvironments(t *testing.T) {
	path, rec := storeWithRun(t)
	t.Setenv(results.EnvStore, path)
	code, out, errOut := runCmd(t, "runs")
	if code != 0 || !strings.Contains(out, rec.ID) {
		t.Fatalf("runs with $%s: exit %d: %s%s", results.EnvStore, code, out, errOut)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	got, err := parseSince("90m", now)
	if err != nil || !got.Equal(now.Add(-90*time.Minute)) {
		t.Fatalf("90m: %v %v", got, err)
	}
	got, err = parseSince("2026-12-01T08:00:00Z", now)
	if err != nil || !got.Equal(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("RFC 3339: %v %v", got, err)
	}
	if _, err := parseSince("soon", now); err == nil {
		t.Fatal("soon accepted")
	}
}

func FuzzParseSince(f *testing.F) {
	for _, s := range []string{"24h", "90m", "2026-12-01", "2026-12-01T08:00:00Z", "2026-12-01 08:00", "-1h", "", "9999999999h"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseSince(s, now)
		if err == nil && got.IsZero() && s != "0001-01-01" {
			t.Fatalf("%q: a zero time without an error", s)
		}
	})
}
