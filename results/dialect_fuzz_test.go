package results

import (
	"strings"
	"testing"
)

// FuzzRebind: any text is rebound without a panic; outside quotes every
// ? becomes the next $n and nothing else changes, so stripping the
// placeholders from both gives the same text.
func FuzzRebind(f *testing.F) {
	for _, s := range []string{`SELECT ? , '?'`, `"a?b" = ?`, `'unclosed ?`, ``, `??`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		out := postgresDialect.rebind(q)
		n := strings.Count(q, "?") - strings.Count(out, "?")
		for i := n; i >= 1; i-- {
			d := "$" + itoa(i)
			if !strings.Contains(out, d) {
				t.Fatalf("rebind(%q) = %q: no %s", q, out, d)
			}
		}
		if sqliteDialect.rebind(q) != q {
			t.Fatalf("the SQLite dialect changed %q", q)
		}
	})
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
