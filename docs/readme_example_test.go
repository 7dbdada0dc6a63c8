package docs_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// README.md's Go example is the body of readmeExample in
// scpi/readme_test.go, which TestREADMEExample runs against a simulated
// instrument: the two must not drift apart (compared with whitespace
// runs collapsed, so gofmt's alignment does not matter).
func TestREADMEGoExample(t *testing.T) {
	root := ".."
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var blocks []string
	rest := string(readme)
	for {
		_, after, ok := strings.Cut(rest, "```go\n")
		if !ok {
			break
		}
		block, after, ok := strings.Cut(after, "```")
		if !ok {
			t.Fatal("README.md: a ```go block is not closed")
		}
		blocks, rest = append(blocks, block), after
	}
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d Go blocks, want the one scpi/readme_test.go runs", len(blocks))
	}
	src, err := os.ReadFile(filepath.Join(root, "scpi", "readme_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, code, ok := strings.Cut(string(src), "// README begin\n")
	if ok {
		code, _, ok = strings.Cut(code, "// README end")
	}
	if !ok {
		t.Fatal("scpi/readme_test.go lacks its // README begin and // README end markers")
	}
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if got, want := norm(blocks[0]), norm(code); got != want {
		t.Errorf("README.md's Go example differs from readmeExample in scpi/readme_test.go (which runs):\nREADME: %s\ntest:   %s", got, want)
	}
}
