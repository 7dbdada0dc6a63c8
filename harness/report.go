package harness

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// WriteJSON writes the record as indented JSON.
func (r *Record) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JUnit XML, as CI systems read it: a suite per DUT, a case per phase
// attempt.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Class   string        `xml:"classname,attr"`
	Name    string        `xml:"name,attr"`
	Time    float64       `xml:"time,attr"`
	Failure *junitMessage `xml:"failure,omitempty"`
	Error   *junitMessage `xml:"error,omitempty"`
	Out     string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes the record as JUnit XML.
func (r *Record) WriteJUnit(w io.Writer) error {
	s := junitSuites{Name: r.Name, Time: r.Ended.Sub(r.Started).Seconds()}
	for _, d := range r.DUTs {
		suite := junitSuite{Name: r.Name + "/" + d.Name, Timestamp: r.Started.Format(time.RFC3339)}
		for _, p := range d.Phases {
			c := junitCase{Class: r.Name + "." + d.Name, Name: fmt.Sprintf("%s (attempt %d)", p.Name, p.Attempt),
				Time: p.Ended.Sub(p.Started).Seconds()}
			var out strings.Builder
			for _, m := range p.Measurements {
				fmt.Fprintf(&out, "%s = %s, limit %s: %s\n", m.Name, formatValue(m.Value, m.Unit), m.Limit, m.Outcome)
			}
			c.Out = out.String()
			switch p.Outcome {
			case OutcomeFail:
				c.Failure = &junitMessage{Message: "measurement out of limits", Text: c.Out}
				suite.Failures++
			case OutcomeError:
				c.Error = &junitMessage{Message: firstNonEmpty(p.Error, d.StopCause, "phase did not complete"), Text: c.Out}
				suite.Errors++
			}
			suite.Cases = append(suite.Cases, c)
			suite.Tests++
		}
		if d.StopCause != "" && len(d.Phases) == 0 {
			suite.Cases = append(suite.Cases, junitCase{Class: r.Name + "." + d.Name, Name: "run", Error: &junitMessage{Message: d.StopCause}})
			suite.Tests++
			suite.Errors++
		}
		s.Tests += suite.Tests
		s.Failures += suite.Failures
		s.Errors += suite.Errors
		s.Suites = append(s.Suites, suite)
	}
	// Faults and the safe state are part of the run's result too.
	safe := junitSuite{Name: r.Name + "/safe-state", Timestamp: r.Started.Format(time.RFC3339)}
	for _, a := range r.SafeState {
		c := junitCase{Class: r.Name + ".safe-state", Name: a.Name, Time: a.Took.Seconds()}
		if !a.Verified {
			c.Error = &junitMessage{Message: "SAFE STATE NOT VERIFIED", Text: a.Error}
			safe.Errors++
		}
		safe.Cases = append(safe.Cases, c)
		safe.Tests++
	}
	s.Tests, s.Errors = s.Tests+safe.Tests, s.Errors+safe.Errors
	s.Suites = append(s.Suites, safe)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(s); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// WriteHTML writes a self-contained HTML report: the outcome, the faults
// and safe state, each DUT's phases and measurements, and a chart of each
// series with its limits.
func (r *Record) WriteHTML(w io.Writer) error {
	return reportTemplate.Execute(w, r)
}

// Save writes the record to dir as <name>-<time>.json, .xml and .html and
// returns the three paths.
func (r *Record) Save(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	base := filepath.Join(dir, fileSafe(r.Name)+"-"+r.Started.Format("20060102-150405"))
	var paths []string
	for _, f := range []struct {
		ext   string
		write func(io.Writer) error
	}{{".json", r.WriteJSON}, {".xml", r.WriteJUnit}, {".html", r.WriteHTML}} {
		path := base + f.ext
		file, err := os.Create(path)
		if err != nil {
			return paths, err
		}
		err = f.write(file)
		if cerr := file.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return paths, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == ' ' || r == ':' {
			return '-'
		}
		return r
	}, s)
}

// chart draws a series as an SVG line chart with its limit lines. Only
// numbers and escaped text go into the markup.
func chart(s *Series) template.HTML {
	const w, h, pad = 640.0, 200.0, 40.0
	if len(s.Values) == 0 {
		return ""
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range s.Values {
		if !math.IsInf(v, 0) && !math.IsNaN(v) {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	for _, l := range []*float64{s.Low, s.High} {
		if l != nil {
			lo, hi = math.Min(lo, *l), math.Max(hi, *l)
		}
	}
	if math.IsInf(lo, 0) {
		lo, hi = 0, 1
	}
	if hi == lo {
		hi, lo = hi+1, lo-1
	}
	span := hi - lo
	lo, hi = lo-0.05*span, hi+0.05*span
	tEnd := s.Times[len(s.Times)-1]
	if tEnd <= 0 {
		tEnd = 1
	}
	x := func(t float64) float64 { return pad + (w-2*pad)*t/tEnd }
	y := func(v float64) float64 { return h - pad/2 - (h-pad)*(v-lo)/(hi-lo) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img">`, w, h, w, h)
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="#fafafa" stroke="#ccc"/>`, pad, pad/2, w-2*pad, h-pad)
	for _, l := range []*float64{s.Low, s.High} {
		if l != nil {
			fmt.Fprintf(&b, `<line x1="%g" x2="%g" y1="%.2f" y2="%.2f" stroke="#c0392b" stroke-dasharray="6 4"/>`, pad, w-pad, y(*l), y(*l))
			fmt.Fprintf(&b, `<text x="%g" y="%.2f" font-size="10" fill="#c0392b">%s</text>`, w-pad+2, y(*l)+3, template.HTMLEscapeString(formatValue(*l, s.Unit)))
		}
	}
	b.WriteString(`<polyline fill="none" stroke="#2471a3" stroke-width="1.5" points="`)
	for i, v := range s.Values {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			continue
		}
		fmt.Fprintf(&b, "%.2f,%.2f ", x(s.Times[i]), y(v))
	}
	b.WriteString(`"/>`)
	fmt.Fprintf(&b, `<text x="4" y="%g" font-size="10">%s</text>`, pad/2+8, template.HTMLEscapeString(formatValue(hi, "")))
	fmt.Fprintf(&b, `<text x="4" y="%g" font-size="10">%s</text>`, h-pad/2, template.HTMLEscapeString(formatValue(lo, "")))
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="10">0 s</text><text x="%g" y="%g" font-size="10" text-anchor="end">%.1f s</text>`,
		pad, h-4, w-pad, h-4, tEnd)
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"chart": chart,
	"value": formatValue,
	"since": func(r *Record, t time.Time) string { return fmt.Sprintf("%.3f s", t.Sub(r.Started).Seconds()) },
	"dur":   func(a, b time.Time) string { return b.Sub(a).Round(time.Millisecond).String() },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Name}}: {{.Outcome}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:72em}
h1 span,.o{padding:.1em .5em;border-radius:.3em;color:#fff;font-size:.8em}
.pass{background:#1e8449}.marginal{background:#b7950b}.fail{background:#c0392b}.error{background:#6c3483}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
th{background:#f4f4f4}.num{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#c0392b;font-weight:bold}
</style></head><body>
<h1>{{.Name}} <span class="{{.Outcome}}">{{.Outcome}}</span></h1>
<p>Started {{.Started.Format "2006-01-02 15:04:05"}}, took {{dur .Started .Ended}}.{{if .StopCause}} Stopped: <b>{{.StopCause}}</b>{{end}}</p>
{{if .Faults}}<h2>Faults</h2><table><tr><th>when</th><th>DUT</th><th>source</th><th>what</th></tr>
{{range .Faults}}<tr><td>{{since $ .Time}}</td><td>{{.DUT}}</td><td>{{.Source}}</td><td>{{.Message}}</td></tr>{{end}}</table>{{end}}
<h2>Safe state</h2><table><tr><th>action</th><th>DUT</th><th>when</th><th>verified</th></tr>
{{range .SafeState}}<tr><td>{{.Name}}</td><td>{{.DUT}}</td><td>{{since $ .Time}}</td><td>{{if .Verified}}yes{{else}}<span class="bad">NO: {{.Error}}</span>{{end}}</td></tr>{{else}}<tr><td colspan="4">none registered</td></tr>{{end}}</table>
{{range .DUTs}}{{$dut := .}}<h2>{{.Name}} <span class="o {{.Outcome}}">{{.Outcome}}</span></h2>
{{if .StopCause}}<p class="bad">{{.StopCause}}</p>{{end}}
{{range $.Series}}{{if eq .DUT $dut.Name}}<h3>{{.Name}} ({{.Unit}})</h3>{{chart .}}{{end}}{{end}}
{{with .Summaries}}<table><tr><th>measurement</th><th class="num">count</th><th class="num">min</th><th class="num">mean</th><th class="num">max</th><th>limit</th><th>worst</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td class="num">{{.Count}}</td><td class="num">{{value .Min .Unit}}</td><td class="num">{{value .Mean .Unit}}</td><td class="num">{{value .Max .Unit}}</td><td>{{.Limit}}</td><td><span class="o {{.Worst}}">{{.Worst}}</span></td></tr>{{end}}</table>{{end}}
<details><summary>every phase and measurement</summary>
<table><tr><th>phase</th><th>attempt</th><th>outcome</th><th>measurement</th><th class="num">value</th><th>limit</th><th>result</th></tr>
{{range .Phases}}{{$p := .}}{{range .Measurements}}<tr><td>{{$p.Name}}</td><td>{{$p.Attempt}}</td><td>{{$p.Outcome}}</td><td>{{.Name}}</td><td class="num">{{value .Value .Unit}}</td><td>{{.Limit}}</td><td><span class="o {{.Outcome}}">{{.Outcome}}</span></td></tr>{{else}}<tr><td>{{$p.Name}}</td><td>{{$p.Attempt}}</td><td>{{$p.Outcome}}</td><td colspan="4">{{$p.Error}}</td></tr>{{end}}{{end}}
</table></details>{{end}}
</body></html>
`))
