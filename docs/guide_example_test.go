package docs_test

import (
	"os"
	"strings"
	"testing"
)

// goBlocks reads the ```go blocks of a markdown file.
func goBlocks(t *testing.T, path string) []string {
	t.Helper()
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	rest := string(doc)
	for {
		_, after, ok := strings.Cut(rest, "```go\n")
		if !ok {
			return blocks
		}
		block, after, ok := strings.Cut(after, "```")
		if !ok {
			t.Fatalf("%s: a ```go block is not closed", path)
		}
		blocks, rest = append(blocks, block), after
	}
}

// between reads the code of a Go file between the lines "// NAME begin"
// and "// NAME end".
func between(t *testing.T, path, name string) string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, code, ok := strings.Cut(string(src), "// "+name+" begin\n")
	if ok {
		code, _, ok = strings.Cut(code, "// "+name+" end")
	}
	if !ok {
		t.Fatalf("%s lacks its // %s begin and // %s end markers", path, name, name)
	}
	return code
}

// TestAddingAnInstrumentGuide keeps docs/instruments/adding-an-instrument.md's
// two Go blocks identical to the code the tests compile and run: the
// whole of sim/models/example/supply.go, and the driver between the
// guide markers of instruments/example_driver_test.go.
func TestAddingAnInstrumentGuide(t *testing.T) {
	blocks := goBlocks(t, "instruments/adding-an-instrument.md")
	model, err := os.ReadFile("../sim/models/example/supply.go")
	if err != nil {
		t.Fatal(err)
	}
	driver := between(t, "../instruments/example_driver_test.go", "guide")
	want := []string{string(model), strings.Trim(driver, "\n") + "\n"}
	if len(blocks) != len(want) {
		t.Fatalf("adding-an-instrument.md has %d Go blocks, want %d (the model, the driver)", len(blocks), len(want))
	}
	for i, name := range []string{"sim/models/example/supply.go", "the driver in instruments/example_driver_test.go"} {
		if blocks[i] != want[i] {
			t.Errorf("adding-an-instrument.md's Go block %d differs from %s: copy the file into the guide", i+1, name)
		}
	}
}
