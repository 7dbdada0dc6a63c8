package sim

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/instruments/*-conformance.md from the models' command index")

const conformanceDir = "../docs/instruments"

// TestConformanceDocs regenerates the conformance pages in memory and
// fails when the committed ones differ; -update rewrites them.
func TestConformanceDocs(t *testing.T) {
	gs := Guides()
	if len(gs) == 0 {
		t.Fatal("no guide registered")
	}
	files := map[string]string{"conformance.md": conformanceIndex(gs)}
	for _, g := range gs {
		files[g.File+"-conformance.md"] = conformancePage(g)
	}
	if *updateDocs {
		for name, content := range files {
			if err := os.WriteFile(filepath.Join(conformanceDir, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(conformanceDir, name))
		if err != nil || string(got) != want {
			t.Errorf("docs/instruments/%s is stale: run go test ./sim -run TestConformanceDocs -update", name)
		}
	}
}

// TestGuidesMatchModels holds every model to its guide's index: what the
// index says is implemented reaches a handler in every form it lists, what
// it says is missing or not applicable does not, and every pattern the
// model registers is in the index.
func TestGuidesMatchModels(t *testing.T) {
	for _, g := range Guides() {
		for _, name := range g.Models {
			t.Run(name, func(t *testing.T) {
				m, err := Lookup(name)
				if err != nil {
					t.Fatal(err)
				}
				in := m.New()
				defer in.Close()
				indexed := map[string]bool{}
				for _, c := range g.Commands {
					st := c.For(name)
					for _, p := range c.Patterns() {
						if indexed[p] {
							t.Errorf("%s is listed twice in the %s index", p, g.File)
						}
						indexed[p] = true
						has := handles(in, p)
						switch {
						case (st == Implemented || st == Partial) && !has:
							t.Errorf("%s: the index says %s, the model has no handler", p, st)
						case (st == Missing || st == NotApplicable) && has:
							t.Errorf("%s: the index says %s, the model handles it", p, st)
						}
					}
				}
				for _, p := range m.patterns {
					if !indexed[strings.TrimPrefix(p, ":")] {
						t.Errorf("the model handles %s, which the %s index does not list", p, g.File)
					}
				}
			})
		}
	}
}

// handles reports whether the instrument has a handler for pattern, with
// every optional node present.
func handles(in *Instrument, pattern string) bool {
	if name, ok := strings.CutPrefix(pattern, "*"); ok {
		query := strings.HasSuffix(name, "?")
		bare := strings.ToUpper(strings.TrimSuffix(name, "?"))
		for _, n := range in.exec.commons() {
			if n.long == bare && ((query && n.query >= 0) || (!query && n.set >= 0)) {
				return true
			}
		}
		if bare == "TRG" && !query {
			_, ok := in.dev.(Triggerable)
			return ok
		}
		for _, c := range engineCommons {
			if c.Long == "*"+bare && ((query && c.Query) || (!query && c.Command)) {
				return true
			}
		}
		return false
	}
	elems, query, err := parsePattern(pattern)
	if err != nil {
		return false
	}
	n := in.exec.tree()
	for _, e := range elems {
		var next *node
		for _, c := range n.children {
			if c.short == e.short && c.long == e.long && c.suffix == e.suffix {
				next = c
			}
		}
		if next == nil {
			return false
		}
		n = next
	}
	if query {
		return n.query >= 0
	}
	return n.set >= 0
}
