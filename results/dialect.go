package results

import (
	"strconv"
	"strings"
)

// dialect is the SQL a database speaks where SQLite (the station store)
// and PostgreSQL (the central database) differ. The schema, the index
// rows and the analytics are one set of SQL written with ? placeholders
// and SQLite's spelling; the dialect rewrites what must differ.
type dialect int

const (
	sqliteDialect dialect = iota
	postgresDialect
)

func (d dialect) String() string {
	if d == postgresDialect {
		return "postgres"
	}
	return "sqlite"
}

// migrationsDir is where the dialect's migrations are embedded.
func (d dialect) migrationsDir() string {
	if d == postgresDialect {
		return "migrations/postgres"
	}
	return "migrations"
}

// rebind rewrites the ? placeholders of q as PostgreSQL's $1, $2...
// A ? inside a quoted string or identifier is left alone.
func (d dialect) rebind(q string) string {
	if d != postgresDialect || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	var quote byte
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '?':
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// greatest is the name of the two-argument maximum: SQLite's scalar
// max(a, b) is PostgreSQL's greatest(a, b) (there max is an aggregate only).
func (d dialect) greatest() string {
	if d == postgresDialect {
		return "greatest"
	}
	return "max"
}
