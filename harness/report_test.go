package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
)

func sampleRecord(t *testing.T) *harness.Record {
	rec, _ := harness.Run(bg, "report <test>", func(tt *harness.Test) error {
		tt.OnSafeState(harness.SafeState{Name: "supply off", Run: func(context.Context) error { return nil }})
		tt.DUT("a&b", func(d *harness.DUTRun) error {
			return d.Phase("measure", func(ctx context.Context) error {
				for i := range 5 {
					d.Measure("current", units.Current(0.1*float64(i)), harness.Between(0, 0.35))
				}
				return nil
			})
		})
		tt.DUT("c", func(d *harness.DUTRun) error { return errors.New("console dead") })
		return nil
	}, harness.WithoutSignals())
	return rec
}

func TestReports(t *testing.T) {
	rec := sampleRecord(t)
	var js bytes.Buffer
	if err := rec.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || back["outcome"] != "error" {
		t.Fatalf("JSON: %v %v", err, back["outcome"])
	}
	var xb bytes.Buffer
	if err := rec.WriteJUnit(&xb); err != nil {
		t.Fatal(err)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
	}
	if err := xml.Unmarshal(xb.Bytes(), &suites); err != nil {
		t.Fatal(err)
	}
	if suites.Failures != 1 || suites.Errors != 1 || suites.Tests != 3 {
		t.Fatalf("JUnit %+v\n%s", suites, xb.String())
	}
	var hb bytes.Buffer
	if err := rec.WriteHTML(&hb); err != nil {
		t.Fatal(err)
	}
	html := hb.String()
	for _, want := range []string{"<svg", "polyline", "stroke-dasharray", "a&amp;b", "report &lt;test&gt;", "console dead"} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(html, "a&b<") || strings.Contains(html, "<test>") {
		t.Error("HTML has unescaped names")
	}
	paths, err := rec.Save(t.TempDir())
	if err != nil || len(paths) != 3 {
		t.Fatalf("%v %v", paths, err)
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// validateRecordJSON checks a JSON report against the published schema
// (docs/schema/record.schema.json) with Python's jsonschema, Debian's
// python3-jsonschema.
func validateRecordJSON(t *testing.T, report []byte) error {
	t.Helper()
	check := exec.Command("/usr/bin/python3", "-c", "import jsonschema")
	if err := check.Run(); err != nil {
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
			t.Fatal("python3-jsonschema is required here to check the JSON report's schema")
		}
		t.Skip("python3-jsonschema not installed (apt-get install python3-jsonschema): JSON schema not checked")
	}
	file := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(file, report, 0o644); err != nil {
		t.Fatal(err)
	}
	const script = `import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
errs = sorted(v.iter_errors(json.load(open(sys.argv[2]))), key=lambda e: list(e.path))
for e in errs[:5]:
    print(list(e.path), e.message)
sys.exit(1 if errs else 0)
`
	out, err := exec.Command("/usr/bin/python3", "-c", script, "../docs/schema/record.schema.json", file).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

// The JSON report validates against its published schema, with every
// kind of content: units, waveforms, NaN, attachments, faults.
func TestJSONReportMatchesItsSchema(t *testing.T) {
	rec, _ := harness.Run(bg, "schema", func(tt *harness.Test) error {
		tt.OnSafeState(harness.SafeState{Name: "supply off", Run: func(context.Context) error { return nil }})
		tt.DUT("a", func(d *harness.DUTRun) error {
			d.Identify(harness.Unit{Serial: "SN1", Part: "P", Revision: "B", Slot: "3", Metadata: map[string]string{"fw": "1"}})
			d.Attach("console", "text/plain", []byte("ok"))
			return d.Phase("p", func(context.Context) error {
				d.Measure("v", 5*units.Volt, harness.Equals(5, 0.1).WithMarginal(0.1), harness.Resolution(0.001))
				d.Measure("overload", units.Value(math.NaN(), "Ω"), harness.AtMost(10).Then(harness.RecordOnly))
				d.Measure("inf", units.Value(math.Inf(1), "Ω"), harness.Custom("finite", func(float64) error { return nil }))
				return d.MeasureWaveform("trace", harness.Waveform{Unit: "V", Values: []float64{1, math.NaN(), 3},
					Axis: harness.Axis{Name: "time", Unit: "s", Step: 0.001}}, harness.AtLeast(0))
			})
		})
		tt.DUT("b", func(d *harness.DUTRun) error { return errors.New("dead") })
		tt.DUT("c", func(d *harness.DUTRun) error {
			d.Prompt(d.Context(), harness.Prompt{Text: "Scan", Input: harness.InputSerial, Image: []byte("PNG"), ImageType: "image/png"})
			d.Prompt(d.Context(), harness.Prompt{Text: "Colour?", Input: harness.InputChoice, Choices: []string{"red", "green"}})
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithPrompter(scripted("SN2", "blue", "red")))
	if len(rec.Prompts) != 3 {
		t.Fatalf("prompts %+v", rec.Prompts)
	}
	var js bytes.Buffer
	if err := rec.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	if err := validateRecordJSON(t, js.Bytes()); err != nil {
		t.Fatalf("the JSON report does not match its schema: %v\n%s", err, js.String())
	}
	// And the check fails on what the schema forbids.
	bad := bytes.Replace(js.Bytes(), []byte(`"outcome": "error"`), []byte(`"outcome": "maybe"`), 1)
	if err := validateRecordJSON(t, bad); err == nil {
		t.Fatal("the schema accepted an unknown outcome")
	}
}

// The HTML report opens with each DUT's verdict (serial, outcome, time,
// failed measurements); charts have round ticks and gridlines, limit
// lines labelled with their unit, a marker for a lone sample; values are
// rounded to their resolution.
func TestHTMLReport(t *testing.T) {
	rec, _ := harness.Run(bg, "html", func(tt *harness.Test) error {
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			d.Prompt(d.Context(), harness.Prompt{Text: "Is the <LED> green?"})
			d.Identify(harness.Unit{Serial: "SN-0042"})
			d.Measure("rail", units.Voltage(12.0123456), harness.Between(11.4, 12.6), harness.Resolution(0.001))
			return d.Measure("leak", 3*units.Microamp, harness.AtMost(1e-6))
		})
		return nil
	}, harness.WithoutSignals(), harness.WithPrompter(scripted("yes")))
	var hb bytes.Buffer
	if err := rec.WriteHTML(&hb); err != nil {
		t.Fatal(err)
	}
	html := hb.String()
	summary := html[strings.Index(html, `<table class="summary">`):]
	summary = summary[:strings.Index(summary, "</table>")]
	for _, want := range []string{"dut-1", "SN-0042", `<span class="o fail">fail</span>`, "leak = 3e-06 A outside &lt;= 1e-06 A"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the summary lacks %q:\n%s", want, summary)
		}
	}
	for _, want := range []string{
		`class="grid"`,     // gridlines
		`>12.0<`, `>12.5<`, // round ticks on the value axis
		"high 12.6 V", "low 11.4 V", // limits with units
		`<circle class="point"`, // a lone sample is a marker
		"12.012 V",              // rounded to the 1 mV resolution
		"time (s)", "rail (V)",  // axis titles
		"<td>Is the &lt;LED&gt; green?</td><td>confirm</td><td>yes</td><td>test</td>", // a line per prompt
	} {
		if !strings.Contains(html, want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
	if strings.Contains(html, "12.0123456") {
		t.Error("a value is shown beyond its resolution")
	}
}

// Save given a relative folder returns absolute paths (a program prints
// them; go test runs in the package's folder, not the user's), and the
// reports are in that folder under the working directory.
func TestSaveReturnsAbsolutePaths(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	rec, err := harness.Run(bg, "relative", func(*harness.Test) error { return nil },
		harness.WithoutSignals(), harness.WithLogger(discard()))
	if err != nil {
		t.Fatal(err)
	}
	paths, err := rec.Save("reports")
	if err != nil || len(paths) != 3 {
		t.Fatalf("%v %v", paths, err)
	}
	for _, p := range paths {
		if !filepath.IsAbs(p) || filepath.Dir(p) != filepath.Join(dir, "reports") {
			t.Errorf("Save(%q) returned %q, want an absolute path in %s", "reports", p, filepath.Join(dir, "reports"))
		}
		if _, err := os.Stat(p); err != nil {
			t.Errorf("a returned report is not there: %v", err)
		}
	}
}
