package results

import (
	"context"
	"time"
)

// Yield is a yield: of the units counted, how many passed.
type Yield struct {
	Units  int     `json:"units"`  // units counted
	Passed int     `json:"passed"` // of them, how many passed (marginal included)
	Yield  float64 `json:"yield"`  // Passed / Units; 0 with no units
}

// The analytics of a station store: the same queries, with the same
// results, as those of the central database (Central).

func (s *Store) analytics() analytics { return analytics{db: s.db, d: sqliteDialect} }

// Yield is the first-pass, second-pass and last-pass yield, the retest
// rate and the yield by attempt number of the units first tested in the
// scope. A unit is a serial number (of the scope's part, on its
// station); its attempts are its DUT verdicts in the order their runs
// started, before sc.Until, aborted ones left out; an error counts as a
// fail, a marginal as a pass. DUTs without a serial number are in no
// yield (they cannot be told apart), only counted in Unidentified.
func (s *Store) Yield(ctx context.Context, sc Scope) (YieldReport, error) {
	return s.analytics().yield(ctx, sc)
}

// Pareto is the measurements that failed in the scope, the one that
// failed the most units first.
func (s *Store) Pareto(ctx context.Context, sc Scope) ([]ParetoRow, error) {
	return s.analytics().pareto(ctx, sc)
}

// Capability is the process capability (Cpk, Cpu, Cpl) of the
// measurement called name in the scope, against the limits of its latest
// value; the indices are nil with fewer than MinCapabilitySamples values
// (Enough false, N says how many). Its error matches ErrNoMeasurements
// when the scope has no value of it, ErrNoLimits when it has no limits.
func (s *Store) Capability(ctx context.Context, name string, sc Scope) (Capability, error) {
	return s.analytics().capability(ctx, name, sc)
}

// Durations is the trend of the durations of the runs (or the DUTs) in
// the scope, by day or by groups of t.Every.
func (s *Store) Durations(ctx context.Context, sc Scope, t Trend) ([]DurationBucket, error) {
	return s.analytics().durations(ctx, sc, t)
}

// FirstPassYield is the first-pass yield of the units first tested since
// since (see Yield): what the station page shows.
func (s *Store) FirstPassYield(ctx context.Context, since time.Time) (Yield, error) {
	rep, err := s.Yield(ctx, Scope{Since: since})
	return rep.FirstPass, err
}

// The analytics of the central database: the same queries as a station
// store's, on every station's results.

func (c *Central) analytics() analytics { return analytics{db: c.db, d: c.d} }

// Yield is Store.Yield over every station's results.
func (c *Central) Yield(ctx context.Context, sc Scope) (YieldReport, error) {
	return c.analytics().yield(ctx, sc)
}

// Pareto is Store.Pareto over every station's results.
func (c *Central) Pareto(ctx context.Context, sc Scope) ([]ParetoRow, error) {
	return c.analytics().pareto(ctx, sc)
}

// Capability is Store.Capability over every station's results.
func (c *Central) Capability(ctx context.Context, name string, sc Scope) (Capability, error) {
	return c.analytics().capability(ctx, name, sc)
}

// Durations is Store.Durations over every station's results.
func (c *Central) Durations(ctx context.Context, sc Scope, t Trend) ([]DurationBucket, error) {
	return c.analytics().durations(ctx, sc, t)
}
