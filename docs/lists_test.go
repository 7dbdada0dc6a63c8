package docs_test

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// tableRows returns the cells of the rows of the first markdown table in
// path whose header row starts with header.
func tableRows(t *testing.T, path, header string) [][]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	in := false
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSpace(line)
		switch {
		case !in && strings.HasPrefix(line, header):
			in = true
		case in && strings.HasPrefix(line, "|---"):
		case in && strings.HasPrefix(line, "|"):
			cells := strings.Split(strings.Trim(line, "|"), "|")
			for i := range cells {
				cells[i] = strings.TrimSpace(cells[i])
			}
			rows = append(rows, cells)
		case in:
			return rows
		}
	}
	if !in {
		t.Fatalf("%s has no table headed %q", path, header)
	}
	return rows
}

var backticked = regexp.MustCompile("`([^`]+)`")

// TestREADMEDriverTable holds the README's supported-instruments table to
// instruments.Drivers() and sim.Models(): a row per registered driver
// naming each model it drives, no row for a driver that is not
// registered, and "yes" in the simulated column only when every one of
// its models is simulated (else the model that stands in, in backticks).
// A new driver fails here, by name, until its row is added.
func TestREADMEDriverTable(t *testing.T) {
	rows := tableRows(t, "../README.md", "| driver | models | simulated |")
	byName := map[string][]string{}
	link := regexp.MustCompile(`^\[([^\]]+)\]`)
	for _, r := range rows {
		m := link.FindStringSubmatch(r[0])
		if len(r) != 3 || m == nil {
			t.Errorf("README.md: driver row %q: want | [name](page) | models | simulated |", strings.Join(r, " | "))
			continue
		}
		byName[m[1]] = r
	}
	registered := map[string]bool{}
	for _, d := range instruments.Drivers() {
		registered[d.Name] = true
		r, ok := byName[d.Name]
		if !ok {
			t.Errorf("README.md's supported-instruments table has no row for the driver %q (models %s)", d.Name, strings.Join(d.Models, ", "))
			continue
		}
		listed := strings.Split(r[1], ", ")
		for _, m := range d.Models {
			if !slices.Contains(listed, m) && !strings.HasPrefix(r[1], "any ") {
				t.Errorf("README.md: the %s row does not list the model %s", d.Name, m)
			}
		}
		if r[2] == "yes" {
			for _, m := range d.Models {
				if _, err := sim.Lookup(m); err != nil {
					t.Errorf("README.md: the %s row says simulated, but %s is not a simulated model", d.Name, m)
				}
			}
		}
	}
	for name, r := range byName {
		if !registered[name] && !strings.HasPrefix(r[1], "any ") {
			t.Errorf("README.md lists the driver %q, which is not registered", name)
		}
		for _, m := range backticked.FindAllStringSubmatch(r[2], -1) {
			if _, err := sim.Lookup(m[1]); err != nil {
				t.Errorf("README.md: the %s row names the simulated model %s, which is not registered", name, m[1])
			}
		}
	}
}

// TestSimulatorModelTable holds docs/simulator.md's models table to
// sim.Models(): every registered model in its first column, in
// backticks, and no name there that is not registered. A new model fails
// here, by name, until its row is added.
func TestSimulatorModelTable(t *testing.T) {
	rows := tableRows(t, "simulator.md", "| model | what it is |")
	listed := map[string]bool{}
	for _, r := range rows {
		for _, m := range backticked.FindAllStringSubmatch(r[0], -1) {
			listed[m[1]] = true
			if _, err := sim.Lookup(m[1]); err != nil {
				t.Errorf("docs/simulator.md lists the model %s, which is not registered", m[1])
			}
		}
	}
	for _, m := range sim.Models() {
		if !listed[m.Name] {
			t.Errorf("docs/simulator.md's models table has no row for the model %s (%s)", m.Name, m.Description)
		}
	}
}
