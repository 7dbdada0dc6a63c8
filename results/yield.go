package results

import (
	"context"
	"fmt"
	"time"

	"github.com/scpikit/scpikit/harness"
)

// Yield is a first-pass yield: of the units tested, how many passed the
// first time.
type Yield struct {
	Units  int     `json:"units"`  // units with a first attempt in the period
	Passed int     `json:"passed"` // of them, how many passed it (marginal included)
	Yield  float64 `json:"yield"`  // Passed / Units; 0 with no units
}

// FirstPassYield is the first-pass yield of the units (by serial number)
// whose first attempt ended since since: a unit's first attempt is its
// first DUT verdict in a run started since then that is not aborted (a
// stop or a crash says nothing of the unit); an error counts as a fail.
// Units without a serial number are not counted: they cannot be told
// apart.
func (s *Store) FirstPassYield(ctx context.Context, since time.Time) (Yield, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT u.serial, json_extract(j.value, '$.outcome')
		FROM runs r
		JOIN events e ON e.run_id = r.id AND e.seq = r.last_seq AND e.kind = 'run.ended'
		JOIN json_each(e.body, '$.end.duts') j
		JOIN units u ON u.run_id = r.id AND u.dut = json_extract(j.value, '$.name')
		WHERE r.started_ns >= ? AND r.ended_ns IS NOT NULL AND u.serial != ''
		ORDER BY r.started_ns, r.id, j.key`, since.UnixNano())
	if err != nil {
		return Yield{}, fmt.Errorf("results: yield: %w", err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	var y Yield
	for rows.Next() {
		var serial, outcome string
		if err := rows.Scan(&serial, &outcome); err != nil {
			return Yield{}, fmt.Errorf("results: yield: %w", err)
		}
		var o harness.Outcome
		if err := o.UnmarshalText([]byte(outcome)); err != nil || o == harness.OutcomeAborted || seen[serial] {
			continue
		}
		seen[serial] = true
		y.Units++
		if o.Passed() {
			y.Passed++
		}
	}
	if err := rows.Err(); err != nil {
		return Yield{}, fmt.Errorf("results: yield: %w", err)
	}
	if y.Units > 0 {
		y.Yield = float64(y.Passed) / float64(y.Units)
	}
	return y, nil
}
