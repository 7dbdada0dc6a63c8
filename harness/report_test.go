package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"os"
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
