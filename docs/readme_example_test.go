package docs_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// README.md's Go example is the body of readmeExample in
// scpi/readme_test.go, which TestREADMEExample runs against a simulated
// instrument: the two must not drift apart (compared with whitespace
// runs collapsed, so gofmt's alignment does not matter).
func TestREADMEGoExample(t *testing.T) {
	blocks := goBlocks(t, filepath.Join("..", "README.md"))
	if len(blocks) != 1 {
		t.Fatalf("README.md has %d Go blocks, want the one scpi/readme_test.go runs", len(blocks))
	}
	code := between(t, filepath.Join("..", "scpi", "readme_test.go"), "README")
	norm := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	if got, want := norm(blocks[0]), norm(code); got != want {
		t.Errorf("README.md's Go example differs from readmeExample in scpi/readme_test.go (which runs):\nREADME: %s\ntest:   %s", got, want)
	}
}
