package sim_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every model with a guide
)

var updateDocs = flag.Bool("update", false, "rewrite docs/instruments/*-conformance.md from the models' command index")

const conformanceDir = "../docs/instruments"

// TestConformanceDocs regenerates the conformance pages in memory and
// fails when the committed ones differ; -update rewrites them.
func TestConformanceDocs(t *testing.T) {
	gs := sim.Guides()
	if len(gs) == 0 {
		t.Fatal("no guide registered")
	}
	files := map[string]string{"conformance.md": sim.ConformanceIndex(gs)}
	for _, g := range gs {
		files[g.File+"-conformance.md"] = g.ConformancePage()
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
	for _, g := range sim.Guides() {
		for _, name := range g.Models {
			t.Run(name, func(t *testing.T) {
				m, err := sim.Lookup(name)
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
						has := in.Handles(p)
						switch {
						case (st == sim.Implemented || st == sim.Partial) && !has:
							t.Errorf("%s: the index says %s, the model has no handler", p, st)
						case (st == sim.Missing || st == sim.NotApplicable) && has:
							t.Errorf("%s: the index says %s, the model handles it", p, st)
						}
					}
				}
				for _, p := range m.Patterns() {
					if !indexed[strings.TrimPrefix(p, ":")] {
						t.Errorf("the model handles %s, which the %s index does not list", p, g.File)
					}
				}
			})
		}
	}
}
