package harness

import (
	"html/template"
	"strings"
	"testing"
)

// The rows written by hand (issue 17 row 8) are byte for byte what the
// template wrote, escaping included.
func TestPhaseRowsMatchTemplate(t *testing.T) {
	old := template.Must(template.New("x").Funcs(template.FuncMap{"limit": func(l LimitSpec, unit string) string { return l.Format(unit) }}).Parse(`{{range .Phases}}{{$p := .}}{{range .Measurements}}<tr><td>{{$p.Name}}</td><td>{{$p.Attempt}}</td><td>{{$p.Outcome}}</td><td>{{.Name}}</td><td class="num">{{.Format}}</td><td>{{limit .Limit .Unit}}</td><td><span class="o {{.Outcome}}">{{.Outcome}}</span></td></tr>{{else}}<tr><td>{{$p.Name}}</td><td>{{$p.Attempt}}</td><td>{{$p.Outcome}}</td><td colspan="4">{{$p.Error}}</td></tr>{{end}}{{end}}`))
	r := benchRecord()
	d := r.DUTs[0]
	d.Phases[0].Measurements[3].Name = `a<b>&"c'` + "\x00"
	d.Phases[0].Measurements[3].Unit = `Ω<`
	d.Phases = append(d.Phases, &PhaseRecord{Name: "p'2", Attempt: 3, Error: "x < y & \"z\""})
	var b strings.Builder
	if err := old.Execute(&b, d); err != nil {
		t.Fatal(err)
	}
	if got := string(phaseRows(d)); got != b.String() {
		i := 0
		for i < len(got) && i < b.Len() && got[i] == b.String()[i] {
			i++
		}
		t.Fatalf("differ at %d: %q vs %q", i, got[max(0, i-40):min(len(got), i+40)], b.String()[max(0, i-40):min(b.Len(), i+40)])
	}
}
