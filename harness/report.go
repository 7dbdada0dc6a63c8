package harness

import (
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

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
				fmt.Fprintf(&out, "%s = %s, limit %s: %s\n", m.Name, m.Format(), m.Limit.Format(m.Unit), m.Outcome)
				if m.Outcome == OutcomeFail {
					if failed.Len() > 0 {
						failed.WriteString("; ")
					}
					fmt.Fprintf(&failed, "%s = %s outside %s", m.Name, m.Format(), m.Limit.Format(m.Unit))
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
// returns their three absolute paths.
func (r *Record) Save(dir string) ([]string, error) {
	// Absolute, so that what a program prints can be opened from any
	// directory (go test runs in the package's own).
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
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

// chart draws a series over the run's time.
func chart(s *Series) template.HTML {
	return plot(s.Times, s.Values, "time (s)", s.Name+" ("+s.Unit+")", s.Unit, s.Low, s.High)
}

// waveformChart draws an array measurement over its axis.
func waveformChart(m Measurement) template.HTML {
	if m.Axis == nil {
		return ""
	}
	xs := make([]float64, len(m.Values))
	for i := range xs {
		xs[i] = m.Axis.At(i)
	}
	xLabel := m.Axis.Name
	if m.Axis.Unit != "" {
		xLabel += " (" + m.Axis.Unit + ")"
	}
	var low, high *float64
	if m.Limit.Comparator != CompareCustom {
		low, high = m.Limit.Low, m.Limit.High
	}
	return plot(xs, m.Values, xLabel, m.Name+" ("+m.Unit+")", m.Unit, low, high)
}

// niceStep is a step of 1, 2 or 5 times a power of ten, near span/n.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*mag*1.0000001 {
			return m * mag
		}
	}
	return 10 * mag
}

// ticks are the round values from lo to hi, step apart.
func ticks(lo, hi, step float64) []float64 {
	var out []float64
	for v := math.Ceil(lo/step-1e-9) * step; v <= hi+step*1e-9 && len(out) < 50; v += step {
		out = append(out, v)
	}
	return out
}

// tickLabel writes a tick value with as many decimals as its step needs.
func tickLabel(v, step float64) string {
	if math.Abs(v) < step*1e-9 {
		v = 0
	}
	if a := math.Abs(v); a >= 1e6 || (a > 0 && a < 1e-4) {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	digits := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	return strconv.FormatFloat(v, 'f', digits, 64)
}

// plot draws points as an SVG chart: axes with round ticks and
// gridlines, the limit lines labelled with their units, a line through
// the points and, where they are few (a single sample, say), a marker on
// each. Only numbers and escaped text go into the markup.
func plot(xs, ys []float64, xLabel, yLabel, unit string, low, high *float64) template.HTML {
	const w, h = 680.0, 240.0
	const left, right, top, bottom = 64.0, 96.0, 12.0, 40.0
	var px, py []float64
	for i, v := range ys {
		if i < len(xs) && !math.IsInf(v, 0) && !math.IsNaN(v) && !math.IsNaN(xs[i]) && !math.IsInf(xs[i], 0) {
			px, py = append(px, xs[i]), append(py, v)
		}
	}
	if len(px) == 0 {
		return ""
	}
	yLo, yHi := slices.Min(py), slices.Max(py)
	for _, l := range []*float64{low, high} {
		if l != nil && !math.IsInf(*l, 0) && !math.IsNaN(*l) {
			yLo, yHi = math.Min(yLo, *l), math.Max(yHi, *l)
		}
	}
	xLo, xHi := slices.Min(px), slices.Max(px)
	pad := func(lo, hi float64) (float64, float64) {
		if hi == lo {
			d := math.Max(math.Abs(hi)*0.1, 1e-9)
			if hi == 0 {
				d = 1
			}
			return lo - d, hi + d
		}
		span := hi - lo
		return lo - 0.05*span, hi + 0.05*span
	}
	yLo, yHi = pad(yLo, yHi)
	switch {
	case xLo >= 0 && xHi == xLo:
		// A lone sample sits in the middle of a span of at least a
		// second from the run's start.
		xLo, xHi = 0, math.Max(2*xHi, 1)
	case xLo >= 0 && xLo < 0.2*(xHi-xLo):
		xLo = 0 // a time axis starts at the run's start
	case xHi == xLo:
		xLo, xHi = pad(xLo, xHi)
	}
	yStep, xStep := niceStep(yHi-yLo, 5), niceStep(xHi-xLo, 6)
	x := func(v float64) float64 { return left + (w-left-right)*(v-xLo)/(xHi-xLo) }
	y := func(v float64) float64 { return h - bottom - (h-top-bottom)*(v-yLo)/(yHi-yLo) }
	esc := template.HTMLEscapeString
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%g" height="%g" viewBox="0 0 %g %g" role="img" aria-label="%s">`, w, h, w, h, esc(yLabel))
	fmt.Fprintf(&b, `<rect x="%g" y="%g" width="%g" height="%g" fill="#fcfcfc" stroke="#bbb"/>`, left, top, w-left-right, h-top-bottom)
	for _, v := range ticks(yLo, yHi, yStep) {
		fmt.Fprintf(&b, `<line class="grid" x1="%g" x2="%g" y1="%.2f" y2="%.2f" stroke="#e4e4e4"/>`, left, w-right, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%g" y="%.2f" font-size="10" text-anchor="end">%s</text>`, left-4, y(v)+3, esc(tickLabel(v, yStep)))
	}
	for _, v := range ticks(xLo, xHi, xStep) {
		fmt.Fprintf(&b, `<line class="grid" x1="%.2f" x2="%.2f" y1="%g" y2="%g" stroke="#e4e4e4"/>`, x(v), x(v), top, h-bottom)
		fmt.Fprintf(&b, `<text x="%.2f" y="%g" font-size="10" text-anchor="middle">%s</text>`, x(v), h-bottom+13, esc(tickLabel(v, xStep)))
	}
	fmt.Fprintf(&b, `<text x="%g" y="%g" font-size="11" text-anchor="middle">%s</text>`, left+(w-left-right)/2, h-6, esc(xLabel))
	fmt.Fprintf(&b, `<text x="12" y="%g" font-size="11" text-anchor="middle" transform="rotate(-90 12 %g)">%s</text>`, top+(h-top-bottom)/2, top+(h-top-bottom)/2, esc(yLabel))
	for i, l := range []*float64{low, high} {
		if l == nil || math.IsInf(*l, 0) || math.IsNaN(*l) {
			continue
		}
		name := [...]string{"low", "high"}[i]
		fmt.Fprintf(&b, `<line class="limit" x1="%g" x2="%g" y1="%.2f" y2="%.2f" stroke="#c0392b" stroke-dasharray="6 4"/>`, left, w-right, y(*l), y(*l))
		fmt.Fprintf(&b, `<text x="%g" y="%.2f" font-size="10" fill="#c0392b">%s %s</text>`, w-right+4, y(*l)+3, name, esc(formatValue(*l, unit)))
	}
	if len(px) > 1 {
		b.WriteString(`<polyline fill="none" stroke="#2471a3" stroke-width="1.5" points="`)
		for i := range px {
			fmt.Fprintf(&b, "%.2f,%.2f ", x(px[i]), y(py[i]))
		}
		b.WriteString(`"/>`)
	}
	if len(px) <= 60 {
		for i := range px {
			fmt.Fprintf(&b, `<circle class="point" cx="%.2f" cy="%.2f" r="3" fill="#2471a3"><title>%s</title></circle>`, x(px[i]), y(py[i]), esc(formatValue(py[i], unit)))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// phaseRows is the table of a DUT's every phase and measurement, a row
// each, written directly rather than by the template: a run has tens of
// thousands of measurements, and the template's reflection and
// contextual escaping cost about ten times as much per row. Each field is
// escaped as html/template escapes text; numbers are appended in place,
// and a limit is formatted once for the rows that share it.
func phaseRows(d *DUTRecord) template.HTML {
	var b strings.Builder
	rows := 0
	for _, p := range d.Phases {
		rows += max(1, len(p.Measurements))
	}
	b.Grow(rows * 200)
	esc := func(s string) { escapeHTML(&b, s) }
	var num [64]byte
	var limits limitCells
	for _, p := range d.Phases {
		start := func() {
			b.WriteString("<tr><td>")
			esc(p.Name)
			b.WriteString("</td><td>")
			b.Write(strconv.AppendInt(num[:0], int64(p.Attempt), 10))
			b.WriteString("</td><td>")
			esc(p.Outcome.String())
			b.WriteString("</td><td")
		}
		if len(p.Measurements) == 0 {
			start()
			b.WriteString(` colspan="4">`)
			esc(p.Error)
			b.WriteString("</td></tr>")
			continue
		}
		for i := range p.Measurements {
			m := &p.Measurements[i]
			start()
			b.WriteString(">")
			esc(m.Name)
			b.WriteString(`</td><td class="num">`)
			// The number needs no escaping; the unit may.
			b.Write(appendResolved(num[:0], m.Value, m.Resolution))
			if m.Unit != "" || m.Resolution <= 0 || math.IsNaN(m.Value) || math.IsInf(m.Value, 0) {
				b.WriteByte(' ')
				esc(m.Unit)
			}
			b.WriteString("</td><td>")
			b.WriteString(limits.cell(&m.Limit, m.Unit))
			b.WriteString(`</td><td><span class="o `)
			o := m.Outcome.String()
			esc(o)
			b.WriteString(`">`)
			esc(o)
			b.WriteString("</span></td></tr>")
		}
	}
	return template.HTML(b.String())
}

// limitCells are the escaped texts of the limits a table met last: the
// rows of a DUT measure against a few limits, again and again.
type limitCells struct {
	entries [8]limitCell
	next    int
}

type limitCell struct {
	spec LimitSpec
	unit string
	html string
	ok   bool
}

// cell is spec.Format(unit), escaped, from the cache when a row had the
// same limit (by value: a record read back from a store has its own
// numbers for each measurement).
func (c *limitCells) cell(spec *LimitSpec, unit string) string {
	for i := range c.entries {
		e := &c.entries[i]
		if e.ok && e.unit == unit && sameSpec(&e.spec, spec) {
			return e.html
		}
	}
	var b strings.Builder
	escapeHTML(&b, spec.Format(unit))
	html := b.String()
	c.entries[c.next] = limitCell{spec: *spec, unit: unit, html: html, ok: true}
	c.next = (c.next + 1) % len(c.entries)
	return html
}

// sameSpec reports whether two specs format the same: their numbers
// compared bit for bit.
func sameSpec(a, b *LimitSpec) bool {
	eq := func(x, y *float64) bool {
		return x == y || x != nil && y != nil && math.Float64bits(*x) == math.Float64bits(*y)
	}
	return a.Comparator == b.Comparator && a.Name == b.Name && eq(a.Low, b.Low) && eq(a.High, b.High) && eq(a.Nominal, b.Nominal)
}

// arrays are a DUT's array measurements (waveforms, spectra), found in
// Go rather than by a template loop over every measurement.
func arrays(d *DUTRecord) []Measurement {
	var out []Measurement
	for _, p := range d.Phases {
		for i := range p.Measurements {
			if m := &p.Measurements[i]; len(m.Values) > 0 {
				out = append(out, *m)
			}
		}
	}
	return out
}

// escapeHTML writes s to b escaped as html/template escapes text (and
// template.HTMLEscape), without a copy when s needs no escaping.
func escapeHTML(b *strings.Builder, s string) {
	for {
		i := strings.IndexAny(s, "<>&'\"\x00")
		if i < 0 {
			b.WriteString(s)
			return
		}
		b.WriteString(s[:i])
		switch s[i] {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\'':
			b.WriteString("&#39;")
		case '"':
			b.WriteString("&#34;")
		default:
			b.WriteString("\uFFFD")
		}
		s = s[i+1:]
	}
}

// dutSummary is a DUT's line at the top of the HTML report.
type dutSummary struct {
	*DUTRecord
	Took         string
	Measurements int
	Failed       []string // each failed measurement: name, value, limit
}

func summaries(r *Record) []dutSummary {
	var out []dutSummary
	for _, d := range r.DUTs {
		s := dutSummary{DUTRecord: d, Took: "-"}
		if !d.Started.IsZero() && !d.Ended.IsZero() {
			s.Took = d.Ended.Sub(d.Started).Round(time.Millisecond).String()
		}
		for _, p := range d.Phases {
			for i := range p.Measurements {
				m := &p.Measurements[i]
				s.Measurements++
				if m.Outcome == OutcomeFail && len(s.Failed) < 5 {
					s.Failed = append(s.Failed, m.Name+" = "+m.Format()+" outside "+m.Limit.Format(m.Unit))
				}
			}
		}
		out = append(out, s)
	}
	return out
}

var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"chart":     chart,
	"waveform":  waveformChart,
	"value":     formatResolved,
	"limit":     func(l LimitSpec, unit string) string { return l.Format(unit) },
	"since":     func(r *Record, t time.Time) string { return fmt.Sprintf("%.3f s", t.Sub(r.Started).Seconds()) },
	"dur":       func(a, b time.Time) string { return b.Sub(a).Round(time.Millisecond).String() },
	"summary":   summaries,
	"phaseRows": phaseRows,
	"arrays":    arrays,
	"orDash": func(s string) string {
		if s == "" {
			return "-"
		}
		return s
	},
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Name}}: {{.Outcome}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:76em}
h1 span,.o{padding:.1em .5em;border-radius:.3em;color:#fff;font-size:.8em}
.pass{background:#1e8449}.marginal{background:#b7950b}.fail{background:#c0392b}.aborted{background:#7f8c8d}.error{background:#6c3483}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f4f4f4}.num{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#c0392b;font-weight:bold}
.summary td:not(:last-child){white-space:nowrap}
.decimated{color:#666;font-size:.9em;margin-top:0}
dl{display:grid;grid-template-columns:max-content auto;gap:.1em 1em}dt{color:#666}dd{margin:0}
</style></head><body>
<h1>{{.Name}} <span class="{{.Outcome}}">{{.Outcome}}</span></h1>
<dl><dt>run</dt><dd>{{.ID}}</dd><dt>station</dt><dd>{{orDash .Station}}</dd><dt>operator</dt><dd>{{orDash .Operator}}</dd>
<dt>batch</dt><dd>{{orDash .Batch}}</dd><dt>software</dt><dd>{{orDash .Software}}</dd>
<dt>started</dt><dd>{{.Started.Format "2006-01-02 15:04:05.000 MST"}}{{if not .Ended.IsZero}}, took {{dur .Started .Ended}}{{end}}</dd>
{{if .StopCause}}<dt>stopped</dt><dd><b>{{.StopCause}}</b>{{if .Recovered}} (the station stopped during the run; closed when its store was next opened){{end}}</dd>{{end}}</dl>
<table class="summary"><tr><th>DUT</th><th>serial</th><th>part</th><th>slot</th><th>outcome</th><th class="num">took</th><th class="num">measurements</th><th>failed</th></tr>
{{range summary .}}<tr><td>{{.Name}}</td><td>{{orDash .Unit.Serial}}</td><td>{{orDash .Unit.Part}}</td><td>{{orDash .Unit.Slot}}</td><td><span class="o {{.Outcome}}">{{.Outcome}}</span></td><td class="num">{{.Took}}</td><td class="num">{{.Measurements}}</td><td>{{range .Failed}}{{.}}<br>{{end}}{{if .StopCause}}<span class="bad">{{.StopCause}}</span>{{end}}</td></tr>
{{end}}</table>
{{if .Faults}}<h2>Faults</h2><table><tr><th>when</th><th>DUT</th><th>source</th><th>what</th></tr>
{{range .Faults}}<tr><td>{{since $ .Time}}</td><td>{{.DUT}}</td><td>{{.Source}}</td><td>{{.Message}}</td></tr>{{end}}</table>{{end}}
{{if .Prompts}}<h2>Prompts</h2><table><tr><th>when</th><th>DUT</th><th>prompt</th><th>input</th><th>answer</th><th>by</th><th class="num">waited</th></tr>
{{range .Prompts}}<tr><td>{{since $ .Asked}}</td><td>{{.DUT}}</td><td>{{.Text}}</td><td>{{.Input}}</td><td>{{if eq .State "answered"}}{{.Answer}}{{else if eq .State "cancelled"}}<span class="bad">no answer ({{.Reason}}): {{.Cause}}</span>{{else}}waiting{{end}}</td><td>{{.By}}</td><td class="num">{{if not .Ended.IsZero}}{{dur .Asked .Ended}}{{end}}</td></tr>{{end}}</table>{{end}}
{{if .Stuck}}<h2>Goroutines that never returned</h2><p class="bad">Their outputs stay fenced off; the program should exit.</p><table><tr><th>goroutine</th><th>DUT</th><th>state</th><th>at</th></tr>
{{range .Stuck}}<tr><td>{{.Name}}</td><td>{{.DUT}}</td><td>{{.State}}</td><td>{{.At}}</td></tr>{{end}}</table>{{end}}
<h2>Safe state</h2><table><tr><th>action</th><th>DUT</th><th>when</th><th>verified</th></tr>
{{range .SafeState}}<tr><td>{{.Name}}</td><td>{{.DUT}}</td><td>{{since $ .Time}}</td><td>{{if .Verified}}yes{{else}}<span class="bad">NO: {{.Error}}</span>{{end}}</td></tr>{{else}}<tr><td colspan="4">none registered</td></tr>{{end}}</table>
{{range .DUTs}}{{$dut := .}}<h2>{{.Name}}{{if .Unit.Serial}} · {{.Unit.Serial}}{{end}} <span class="o {{.Outcome}}">{{.Outcome}}</span></h2>
{{if .StopCause}}<p class="bad">{{.StopCause}}</p>{{end}}
{{range $.Series}}{{if eq .DUT $dut.Name}}<h3>{{.Name}} ({{.Unit}})</h3>{{chart .}}{{if .Decimated}}
<p class="decimated">{{.Samples}} samples, shown as the min/max of {{.Buckets}} buckets of {{.Bucket}}; every sample is in the run's events (the station store).</p>{{end}}{{end}}{{end}}
{{range arrays .}}<h3>{{.Name}} ({{.Unit}}), {{len .Values}} points</h3>{{waveform .}}{{end}}
{{with .Summaries}}<table><tr><th>measurement</th><th class="num">count</th><th class="num">min</th><th class="num">mean</th><th class="num">max</th><th>limit</th><th>worst</th></tr>
{{range .}}<tr><td>{{.Name}}</td><td class="num">{{.Count}}</td><td class="num">{{value .Min .Unit .Resolution}}</td><td class="num">{{value .Mean .Unit .Resolution}}</td><td class="num">{{value .Max .Unit .Resolution}}</td><td>{{.Limit}}</td><td><span class="o {{.Worst}}">{{.Worst}}</span></td></tr>{{end}}</table>{{end}}
<details><summary>every phase and measurement</summary>
<table><tr><th>phase</th><th>attempt</th><th>outcome</th><th>measurement</th><th class="num">value</th><th>limit</th><th>result</th></tr>
{{phaseRows .}}
</table></details>{{end}}
{{if .Attachments}}<h2>Attachments</h2><table><tr><th>name</th><th>DUT</th><th>type</th><th class="num">bytes</th></tr>
{{range .Attachments}}<tr><td>{{.Name}}</td><td>{{.DUT}}</td><td>{{.MediaType}}</td><td class="num">{{len .Data}}</td></tr>{{end}}</table>{{end}}
</body></html>
`))
