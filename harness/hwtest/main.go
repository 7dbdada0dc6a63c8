package hwtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/scpikit/scpikit/harness"
)

// records holds the record of every run of this test binary, for Main's
// package report.
var records struct {
	sync.Mutex
	list []*harness.Record
}

func keep(rec *harness.Record) {
	records.Lock()
	defer records.Unlock()
	records.list = append(records.list, rec)
}

// Main runs the package's tests (call it from TestMain) and then, when
// SCPIKIT_REPORTS names a directory, writes one JSON, JUnit XML and HTML
// report for the whole package run: every run's DUTs, named after their
// test (TestBurnIn/dut-1), with its faults and safe state.
//
//	func TestMain(m *testing.M) { hwtest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if dir := os.Getenv(EnvReports); dir != "" {
		records.Lock()
		list := records.list
		records.Unlock()
		if len(list) > 0 {
			wd, _ := os.Getwd()
			paths, err := Merge(filepath.Base(wd), list...).Save(dir)
			if err != nil {
				fmt.Fprintln(os.Stderr, "hwtest: reports:", err)
				code = 1
			} else {
				fmt.Fprintln(os.Stderr, "hwtest: reports:", strings.Join(paths, " "))
			}
		}
	}
	os.Exit(code)
}

// Merge joins the records of several runs into one named name: each DUT
// and series is named after its run (run/DUT), the outcome is the worst,
// the span covers them all.
func Merge(name string, recs ...*harness.Record) *harness.Record {
	out := &harness.Record{SchemaVersion: harness.SchemaVersion, Name: name}
	var causes []string
	for _, rec := range recs {
		if out.Started.IsZero() || rec.Started.Before(out.Started) {
			out.Started = rec.Started
		}
	}
	for _, rec := range recs {
		if rec.Ended.After(out.Ended) {
			out.Ended = rec.Ended
		}
		out.Outcome = max(out.Outcome, rec.Outcome)
		if rec.StopCause != "" {
			causes = append(causes, rec.Name+": "+rec.StopCause)
		}
		prefix := func(dut string) string {
			if dut == "" {
				return rec.Name
			}
			return rec.Name + "/" + dut
		}
		for _, d := range rec.DUTs {
			c := *d
			c.Name = prefix(d.Name)
			c.Phases = append([]*harness.PhaseRecord(nil), d.Phases...)
			for i, p := range c.Phases {
				pc := *p
				pc.Measurements = append([]harness.Measurement(nil), p.Measurements...)
				for j := range pc.Measurements {
					pc.Measurements[j].DUT = c.Name
				}
				c.Phases[i] = &pc
			}
			out.DUTs = append(out.DUTs, &c)
		}
		for _, f := range rec.Faults {
			f.DUT = prefix(f.DUT)
			out.Faults = append(out.Faults, f)
		}
		for _, s := range rec.SafeState {
			s.DUT = prefix(s.DUT)
			out.SafeState = append(out.SafeState, s)
		}
		for _, s := range rec.Series {
			c := *s
			c.DUT = prefix(s.DUT)
			// A series counts from its run's start; the merged one from the first's.
			shift := rec.Started.Sub(out.Started).Seconds()
			c.Times = make([]float64, len(s.Times))
			for i, x := range s.Times {
				c.Times[i] = x + shift
			}
			out.Series = append(out.Series, &c)
		}
	}
	out.StopCause = strings.Join(causes, "; ")
	return out
}
