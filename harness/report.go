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
	"strconv"
	"strings"
	"time"
)

// WriteJSON writes the record as indented JSON.
func (r *Record) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// JUnit XML, as Jenkins and GitLab read it: a suite per DUT, a case per
// phase attempt, a suite for the run's own faults and safe state.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     seconds      `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Time      seconds     `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr"`
	Cases     []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name    string        `xml:"name,attr"`
	Class   string        `xml:"classname,attr"`
	Time    seconds       `xml:"time,attr"`
	Failure *junitMessage `xml:"failure,omitempty"`
	Error   *junitMessage `xml:"error,omitempty"`
	Out     string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// seconds is a duration as JUnit's time attribute wants it: a plain
// decimal (xs:decimal), never an exponent.
type seconds time.Duration

func (s seconds) MarshalXMLAttr(name xml.Name) (xml.Attr, error) {
	return xml.Attr{Name: name, Value: strconv.FormatFloat(max(time.Duration(s), 0).Seconds(), 'f', 6, 64)}, nil
}

// add files c in the suite and counts it.
func (s *junitSuite) add(c junitCase) {
	s.Cases = append(s.Cases, c)
	s.Tests++
	s.Time += c.Time
	if c.Failure != nil {
		s.Failures++
	}
	if c.Error != nil {
		s.Errors++
	}
}

// WriteJUnit writes the record as JUnit XML. A phase whose limit failed is
// a <failure> naming the measurement, its value and the limit; a phase,
// DUT or run that errored, faulted or was aborted is an <error> with the
// cause; so is an unverified safe-state action and a goroutine that never
// returned. Case names are unique within their suite.
func (r *Record) WriteJUnit(w io.Writer) error {
	s := junitSuites{Name: r.Name, Time: seconds(r.Ended.Sub(r.Started))}
	stamp := r.Started.Format("2006-01-02T15:04:05")
	for _, d := range r.DUTs {
		suite := junitSuite{Name: r.Name + "/" + d.Name, Timestamp: stamp}
		class := r.Name + "." + d.Name
		runs := map[string]int{} // how many runs of each phase name
		for _, p := range d.Phases {
			if p.Attempt == 1 {
				runs[p.Name]++
			}
		}
		seen := map[string]int{}
		carried := false // a case carries the DUT's own stop cause already
		for _, p := range d.Phases {
			if p.Attempt == 1 {
				seen[p.Name]++
			}
			name := p.Name
			if runs[p.Name] > 1 {
				name = fmt.Sprintf("%s #%d", p.Name, seen[p.Name])
			}
			if p.Attempt > 1 {
				name += fmt.Sprintf(" (attempt %d)", p.Attempt)
			}
			c := junitCase{Class: class, Name: name, Time: seconds(p.Ended.Sub(p.Started))}
			var out, failed strings.Builder
			for _, m := range p.Measurements {
				fmt.Fprintf(&out, "%s = %s, limit %s: %s\n", m.Name, formatValue(m.Value, m.Unit), m.Limit, m.Outcome)
				if m.Outcome == OutcomeFail {
					if failed.Len() > 0 {
						failed.WriteString("; ")
					}
					fmt.Fprintf(&failed, "%s = %s outside %s", m.Name, formatValue(m.Value, m.Unit), m.Limit)
				}
			}
			c.Out = out.String()
			switch p.Outcome {
			case OutcomeFail:
				c.Failure = &junitMessage{Message: firstNonEmpty(failed.String(), p.Error, "measurement out of limits"), Type: "limit", Text: c.Out}
			case OutcomeAborted:
				c.Error = &junitMessage{Message: "aborted: " + firstNonEmpty(p.Error, d.StopCause, r.StopCause, "cut short"), Type: "aborted", Text: c.Out}
			case OutcomeError:
				c.Error = &junitMessage{Message: firstNonEmpty(p.Error, d.StopCause, "phase did not complete"), Type: "error", Text: c.Out}
			}
			if c.Error != nil && (d.StopCause == "" || strings.Contains(c.Error.Message, d.StopCause)) {
				carried = true
			}
			suite.add(c)
		}
		if (d.Outcome == OutcomeError || d.Outcome == OutcomeAborted) && !carried {
			// Faulted or cut short between phases: the DUT's verdict is a case too.
			kind := d.Outcome.String()
			suite.add(junitCase{Class: class, Name: "DUT " + kind, Error: &junitMessage{
				Message: firstNonEmpty(d.StopCause, r.StopCause, kind), Type: kind}})
		}
		s.Suites = append(s.Suites, suite)
	}
	// The run's own result: faults no DUT carries, goroutines that never
	// returned, and each safe-state action.
	run := junitSuite{Name: r.Name + "/run", Timestamp: stamp}
	for i, f := range r.Faults {
		if f.DUT != "" {
			continue
		}
		run.add(junitCase{Class: r.Name + ".run", Name: fmt.Sprintf("fault %d: %s", i+1, f.Source),
			Error: &junitMessage{Message: f.Message, Type: "fault"}})
	}
	for i, g := range r.Stuck {
		run.add(junitCase{Class: r.Name + ".run", Name: fmt.Sprintf("goroutine %d returned: %s", i+1, g.Name),
			Error: &junitMessage{Message: g.String() + " never returned", Type: "stuck", Text: g.Stack}})
	}
	errs := run.Errors
	for _, suite := range s.Suites {
		errs += suite.Errors + suite.Failures
	}
	if errs == 0 && !r.Outcome.Passed() {
		// The run did not pass, and nothing above says so (a signal after
		// every DUT had finished, the body's own error): it is a case too.
		run.add(junitCase{Class: r.Name + ".run", Name: "run", Error: &junitMessage{
			Message: firstNonEmpty(r.StopCause, "the run's outcome is "+r.Outcome.String()), Type: r.Outcome.String()}})
	}
	if len(run.Cases) > 0 {
		s.Suites = append(s.Suites, run)
	}
	safe := junitSuite{Name: r.Name + "/safe-state", Timestamp: stamp}
	names := map[string]int{}
	for _, a := range r.SafeState {
		names[a.Name]++
		name := a.Name
		if names[a.Name] > 1 {
			name = fmt.Sprintf("%s #%d", a.Name, names[a.Name])
		}
		c := junitCase{Class: r.Name + ".safe-state", Name: name, Time: seconds(a.Took)}
		if !a.Verified {
			c.Error = &junitMessage{Message: "SAFE STATE NOT VERIFIED: " + a.Error, Type: "unsafe"}
		}
		safe.add(c)
	}
	s.Suites = append(s.Suites, safe)
	for _, suite := range s.Suites {
		s.Tests += suite.Tests
		s.Failures += suite.Failures
		s.Errors += suite.Errors
	}
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
.pass{background:#1e8449}.marginal{background:#b7950b}.fail{background:#c0392b}.aborted{background:#7f8c8d}.error{background:#6c3483}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left}
th{background:#f4f4f4}.num{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#c0392b;font-weight:bold}
</style></head><body>
<h1>{{.Name}} <span class="{{.Outcome}}">{{.Outcome}}</span></h1>
<p>Started {{.Started.Format "2006-01-02 15:04:05"}}, took {{dur .Started .Ended}}.{{if .StopCause}} Stopped: <b>{{.StopCause}}</b>{{end}}</p>
{{if .Faults}}<h2>Faults</h2><table><tr><th>when</th><th>DUT</th><th>source</th><th>what</th></tr>
{{range .Faults}}<tr><td>{{since $ .Time}}</td><td>{{.DUT}}</td><td>{{.Source}}</td><td>{{.Message}}</td></tr>{{end}}</table>{{end}}
{{if .Stuck}}<h2>Goroutines that never returned</h2><p class="bad">Their outputs stay fenced off; the program should exit.</p><table><tr><th>goroutine</th><th>DUT</th><th>state</th><th>at</th></tr>
{{range .Stuck}}<tr><td>{{.Name}}</td><td>{{.DUT}}</td><td>{{.State}}</td><td>{{.At}}</td></tr>{{end}}</table>{{end}}
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
