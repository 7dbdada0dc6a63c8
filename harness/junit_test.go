package harness_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
)

// junitRecord is a run with everything JUnit must tell apart: many runs
// of one phase, a retried phase, a failed limit, a DUT isolated by its
// monitor between phases, a DUT aborted by the stop, a run-level fault.
func junitRecord(t *testing.T) *harness.Record {
	t.Helper()
	events := make(chan error, 1)
	loopsEnded := &dutEndSink{dut: "loops", ended: make(chan struct{})}
	rec, err := harness.Run(bg, "junit", func(tt *harness.Test) error {
		tt.OnSafeState(harness.SafeState{Name: "supply off", Run: func(context.Context) error { return nil }})
		failedDone, faulted := make(chan struct{}), make(chan struct{})
		tt.DUT("loops", func(d *harness.DUTRun) error {
			for i := range 35 {
				d.Phase("do_something", func(context.Context) error { return d.Measure("v", units.Voltage(i), harness.None()) })
			}
			attempt := 0
			return d.Phase("settle", func(context.Context) error {
				attempt++
				return d.Measure("ripple", units.Voltage(0.1/float64(attempt)), harness.AtMost(0.06))
			}, harness.Retries(1))
		})
		tt.DUT("failing", func(d *harness.DUTRun) error {
			defer close(failedDone)
			return d.Phase("rail", func(context.Context) error {
				return d.Measure("12V rail", 13.1*units.Volt, harness.Between(11.4, 12.6))
			})
		})
		tt.DUT("faulted", func(d *harness.DUTRun) error {
			tt.Monitor(harness.Monitor{Name: "temperature", DUT: "faulted", Events: events, Policy: harness.IsolateDUT})
			d.Phase("boot", func(context.Context) error { return nil })
			events <- errors.New("board at 97 °C")
			<-d.Context().Done()
			close(faulted)
			return nil
		})
		tt.DUT("aborted", func(d *harness.DUTRun) error {
			<-d.Context().Done()
			return nil
		})
		<-failedDone
		<-faulted
		// Only "aborted" is still running when the run-level fault comes:
		// "loops" has ended, as the run records it (its function's return
		// alone is not enough: a stop between that and the record cuts it).
		<-loopsEnded.ended
		tt.Fault(&harness.Fault{Source: "mains monitor", Message: "mains dropped to 180 V"}, harness.StopAll)
		return nil
	}, harness.WithoutSignals(), harness.WithSink(loopsEnded))
	if err == nil {
		t.Fatal("the run passed")
	}
	return rec
}

// dutEndSink is a sink that says when a DUT's end is recorded.
type dutEndSink struct {
	dut   string
	ended chan struct{}
}

func (s *dutEndSink) Emit(e harness.Event) <-chan error {
	if e.Kind == harness.EventDUTEnded && e.DUT == s.dut {
		close(s.ended)
	}
	ack := make(chan error, 1)
	ack <- nil
	return ack
}

type xmlSuites struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Time    string `xml:"time,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnitTellsTheTruth(t *testing.T) {
	rec := junitRecord(t)
	var b bytes.Buffer
	if err := rec.WriteJUnit(&b); err != nil {
		t.Fatal(err)
	}
	var s xmlSuites
	if err := xml.Unmarshal(b.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	plain := regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	failures, errs := map[string][]string{}, map[string][]string{}
	for _, suite := range s.Suites {
		names := map[string]bool{}
		for _, c := range suite.Cases {
			if names[c.Name] {
				t.Errorf("suite %s: case name %q twice", suite.Name, c.Name)
			}
			names[c.Name] = true
			if !plain.MatchString(c.Time) {
				t.Errorf("suite %s case %s: time %q is not a plain decimal", suite.Name, c.Name, c.Time)
			}
			if c.Failure != nil {
				failures[suite.Name] = append(failures[suite.Name], c.Failure.Message)
			}
			if c.Error != nil {
				errs[suite.Name] = append(errs[suite.Name], c.Error.Message)
			}
		}
	}
	has := func(m map[string][]string, suite, text string) bool {
		for _, msg := range m[suite] {
			if strings.Contains(msg, text) {
				return true
			}
		}
		return false
	}
	if !has(failures, "junit/failing", "12V rail = 13.1 V outside [11.4 V, 12.6 V]") {
		t.Errorf("the failed limit's <failure> does not name the measurement, value and limit: %v", failures)
	}
	if !has(errs, "junit/faulted", "board at 97 °C") {
		t.Errorf("the faulted DUT has no <error> with its fault: %v", errs)
	}
	if !has(errs, "junit/aborted", "aborted") || !has(errs, "junit/aborted", "mains dropped") {
		t.Errorf("the aborted DUT has no <error> saying why: %v", errs)
	}
	if !has(errs, "junit/run", "mains dropped to 180 V") {
		t.Errorf("the run-level fault has no <error>: %v", errs)
	}
	if len(errs["junit/loops"]) != 0 || len(failures["junit/loops"]) != 1 {
		t.Errorf("loops: errors %v, failures %v: want only the first attempt of settle failed", errs["junit/loops"], failures["junit/loops"])
	}
	if s.Failures != 2 || s.Errors < 3 {
		t.Errorf("totals: %d failures, %d errors\n%s", s.Failures, s.Errors, b.String())
	}
	validateJUnit(t, b.Bytes())
}

// validateJUnit checks a report against the JUnit schema that Jenkins and
// GitLab read (testdata/junit.xsd), with xmllint.
func validateJUnit(t *testing.T, report []byte) {
	t.Helper()
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
			t.Fatal("xmllint (Debian's libxml2-utils) is required here to check the JUnit schema")
		}
		t.Skip("xmllint not installed (apt-get install libxml2-utils): JUnit schema not checked")
	}
	file := filepath.Join(t.TempDir(), "report.xml")
	if err := os.WriteFile(file, report, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(xmllint, "--noout", "--schema", "testdata/junit.xsd", file).CombinedOutput()
	if err != nil {
		t.Fatalf("the JUnit report does not validate: %v\n%s\n%s", err, out, report)
	}
}

// The schema check itself fails on what Jenkins would reject.
func TestJUnitSchemaRejectsAnExponentTime(t *testing.T) {
	if _, err := exec.LookPath("xmllint"); err != nil {
		t.Skip("xmllint not installed")
	}
	bad := `<?xml version="1.0"?><testsuites><testsuite name="s" tests="1"><testcase name="c" classname="k" time="1.5604e-05"/></testsuite></testsuites>`
	file := filepath.Join(t.TempDir(), "bad.xml")
	os.WriteFile(file, []byte(bad), 0o644)
	if err := exec.Command("xmllint", "--noout", "--schema", "testdata/junit.xsd", file).Run(); err == nil {
		t.Fatal("the schema accepts a time in exponent form")
	}
}

// A limit that stops (StopRun, or StopDUT with the *LimitError returned
// from the DUT's function, as Phase invites) is a failed limit: its DUT
// fails, with a <failure> in JUnit, not an error. The stop still happens:
// StopRun cuts the other DUT short (aborted), StopDUT ends its own.
func TestStoppingLimitsFail(t *testing.T) {
	for _, c := range []struct {
		action   harness.LimitAction
		verdicts map[string]harness.Outcome
		run      harness.Outcome
	}{
		{harness.StopRun, map[string]harness.Outcome{"limited": harness.OutcomeFail, "other": harness.OutcomeAborted}, harness.OutcomeAborted},
		{harness.StopDUT, map[string]harness.Outcome{"limited": harness.OutcomeFail, "other": harness.OutcomePass}, harness.OutcomeFail},
	} {
		t.Run(c.action.String(), func(t *testing.T) {
			rec, err := harness.Run(bg, "stops", func(tt *harness.Test) error {
				limited := make(chan struct{})
				tt.DUT("limited", func(d *harness.DUTRun) error {
					defer close(limited)
					return d.Phase("rail", func(context.Context) error {
						return d.Measure("12V rail", 16*units.Volt, harness.Between(11.4, 12.6).Then(c.action))
					})
				})
				tt.DUT("other", func(d *harness.DUTRun) error {
					select {
					case <-limited: // StopDUT: the run goes on
						return d.Measure("5V rail", 5*units.Volt, harness.Between(4.75, 5.25))
					case <-d.Context().Done(): // StopRun: cut short
						return context.Cause(d.Context())
					}
				})
				return nil
			}, harness.WithoutSignals())
			var le *harness.LimitError
			if c.action == harness.StopRun && !errors.As(err, &le) {
				t.Errorf("err %v, want the *LimitError that stopped the run", err)
			}
			if c.action == harness.StopDUT && err != nil {
				t.Errorf("err %v, want nil: the run was not stopped", err)
			}
			got := map[string]harness.Outcome{}
			for _, d := range rec.DUTs {
				got[d.Name] = d.Outcome
			}
			if diff := cmp.Diff(c.verdicts, got); diff != "" {
				t.Errorf("verdicts (-want +got):\n%s", diff)
			}
			if rec.Outcome != c.run || len(rec.Faults) != 0 {
				t.Errorf("run %v with faults %+v, want %v and none", rec.Outcome, rec.Faults, c.run)
			}
			var b bytes.Buffer
			if err := rec.WriteJUnit(&b); err != nil {
				t.Fatal(err)
			}
			var s xmlSuites
			if err := xml.Unmarshal(b.Bytes(), &s); err != nil {
				t.Fatal(err)
			}
			var cases []string
			for _, suite := range s.Suites {
				if suite.Name != "stops/limited" {
					continue
				}
				for _, tc := range suite.Cases {
					switch {
					case tc.Error != nil:
						cases = append(cases, tc.Name+": error")
					case tc.Failure != nil:
						cases = append(cases, tc.Name+": failure")
					}
				}
			}
			if diff := cmp.Diff([]string{"rail: failure"}, cases); diff != "" {
				t.Errorf("the limited DUT's JUnit cases (-want +got):\n%s\n%s", diff, b.String())
			}
		})
	}
}
