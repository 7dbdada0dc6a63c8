package docs_test

import (
	"os"
	"strings"
	"testing"
)

// TestAddingAnInstrumentGuide keeps docs/instruments/adding-an-instrument.md's
// two Go blocks identical to the code the tests compile and run: the
// whole of sim/models/example/supply.go, and the driver between the
// guide markers of instruments/example_driver_test.go.
func TestAddingAnInstrumentGuide(t *testing.T) {
	doc, err := os.ReadFile("instruments/adding-an-instrument.md")
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	rest := string(doc)
	for {
		_, after, ok := strings.Cut(rest, "```go\n")
		if !ok {
			break
		}
		block, after, ok := strings.Cut(after, "```")
		if !ok {
			t.Fatal("adding-an-instrument.md: a ```go block is not closed")
		}
		blocks, rest = append(blocks, block), after
	}
	model, err := os.ReadFile("../sim/models/example/supply.go")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../instruments/example_driver_test.go")
	if err != nil {
		t.Fatal(err)
	}
	_, driver, ok := strings.Cut(string(src), "// guide begin\n")
	if ok {
		driver, _, ok = strings.Cut(driver, "// guide end")
	}
	if !ok {
		t.Fatal("instruments/example_driver_test.go lacks its // guide begin and // guide end markers")
	}
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
