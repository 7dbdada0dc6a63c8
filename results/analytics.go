package results

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// Analytics read the units, measurements, runs and events tables alone,
// with SQL that SQLite (one station's store) and PostgreSQL (the fleet's
// central database) both run: CTEs and window functions, no JSON, no
// statistics aggregates, and no floating-point arithmetic in SQL (SQLite
// sums floats with compensation, PostgreSQL does not: they would differ
// in the last bits). Every count, yield, duration and percentile is
// computed from integers; Capability reads the values themselves and Go
// adds them exactly. So both databases answer every query with the same
// bits, which the golden test checks with no tolerance.

// ErrBadScope is matched by the error of an analytics query whose Scope
// cannot hold anything (Until before Since).
var ErrBadScope = errors.New("results: bad scope")

// ErrNoMeasurements is matched by Capability's error when the scope holds
// no scalar value of the measurement.
var ErrNoMeasurements = errors.New("results: no such measurement")

// ErrNoLimits is matched by Capability's error for a measurement that has
// no limit to compare against (only recorded).
var ErrNoLimits = errors.New("results: the measurement has no limits")

// MinCapabilitySamples is the fewest values a capability index is
// computed from: with fewer, the standard deviation is too uncertain for
// the index to mean anything (at n = 30 its 95% interval is still about
// ±25%).
const MinCapabilitySamples = 30

// Scope says which results an analytics query reads: runs started in
// [Since, Until) (zero: unbounded), on one station, of one part (empty:
// all).
type Scope struct {
	Part    string    `json:"part,omitempty"`
	Station string    `json:"station,omitempty"`
	Since   time.Time `json:"since,omitzero"`
	Until   time.Time `json:"until,omitzero"`
}

func (sc Scope) check() error {
	if !sc.Since.IsZero() && !sc.Until.IsZero() && !sc.Until.After(sc.Since) {
		return fmt.Errorf("%w: until (%s) is not after since (%s)", ErrBadScope,
			sc.Until.Format(time.RFC3339), sc.Since.Format(time.RFC3339))
	}
	return nil
}

// collate makes text order bytewise, as SQLite's default is: a
// PostgreSQL database's default collation follows its locale, and ties
// between runs must break the same way on both.
func (d dialect) collate() string {
	if d == postgresDialect {
		return ` COLLATE "C"`
	}
	return ""
}

// sql is q for this dialect: {C} becomes the collation, each ? a
// placeholder.
func (d dialect) sql(q string) string {
	return d.rebind(strings.ReplaceAll(q, "{C}", d.collate()))
}

// analytics runs the queries on one database.
type analytics struct {
	db *sql.DB
	d  dialect
}

// scopeWhere is the scope as conditions on runs r and units u (part),
// with until and since as asked.
func scopeWhere(sc Scope, since bool) (string, []any) {
	var where []string
	var args []any
	if sc.Part != "" {
		where = append(where, "u.part = ?")
		args = append(args, sc.Part)
	}
	if sc.Station != "" {
		where = append(where, "r.station = ?")
		args = append(args, sc.Station)
	}
	if since && !sc.Since.IsZero() {
		where = append(where, "r.started_ns >= ?")
		args = append(args, unixNanos(sc.Since))
	}
	if !sc.Until.IsZero() {
		where = append(where, "r.started_ns < ?")
		args = append(args, unixNanos(sc.Until))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " AND " + strings.Join(where, " AND "), args
}

// passed is SQL true (1) for a verdict that passed: marginal is a pass.
const passedSQL = `CASE WHEN u.outcome IN ('pass', 'marginal') THEN 1 ELSE 0 END`

// YieldReport is the yield of the units whose first attempt is in a
// scope (see Yield for the rules).
type YieldReport struct {
	Scope Scope `json:"scope"`
	// Units are the serial numbers whose first attempt is in the scope.
	Units int `json:"units"`
	// FirstPass: of Units, those whose first attempt passed.
	FirstPass Yield `json:"first_pass"`
	// SecondPass: those that passed by their second attempt.
	SecondPass Yield `json:"second_pass"`
	// LastPass: those whose last attempt passed (the final yield).
	LastPass Yield `json:"last_pass"`
	// Retested: of Units, those tested more than once; RetestRate is
	// Retested / Units.
	Retested   int     `json:"retested"`
	RetestRate float64 `json:"retest_rate"`
	// Attempts: the yield by attempt number, 1, 2, ... as far as any
	// unit went.
	Attempts []AttemptYield `json:"attempts"`
	// Unidentified are the verdicts, in the scope, of DUTs that never had
	// a serial number: they are in no yield above (one unit's retest
	// could not be told from another unit), only counted here.
	Unidentified Yield `json:"unidentified"`
	// Aborted are the aborted verdicts in the scope (a stop or a crash
	// says nothing of the unit): in no yield.
	Aborted int `json:"aborted"`
}

// AttemptYield is what the units' attempt number N did.
type AttemptYield struct {
	N int `json:"n"`
	// Tried: units that had an attempt N.
	Tried int `json:"tried"`
	// Passed: units whose first pass was attempt N.
	Passed int `json:"passed"`
	// Cumulative: units that passed by attempt N, of all units; Yield
	// is Cumulative / Units.
	Cumulative int     `json:"cumulative"`
	Yield      float64 `json:"yield"`
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func newYield(passed, units int) Yield {
	return Yield{Units: units, Passed: passed, Yield: ratio(passed, units)}
}

// yield is YieldReport for the scope: the units are the serial numbers
// of the part (and station) whose first attempt is in the scope; a
// unit's attempts are its DUT verdicts in the order their runs started,
// aborted ones left out, all of them before Until (earlier than Since
// too: a unit first tested yesterday is not in today's first-pass
// yield); an error counts as a fail, a marginal as a pass.
func (a analytics) yield(ctx context.Context, sc Scope) (YieldReport, error) {
	rep := YieldReport{Scope: sc, Attempts: []AttemptYield{}}
	if err := sc.check(); err != nil {
		return rep, err
	}
	where, args := scopeWhere(sc, false)
	q := `WITH attempts AS (
			SELECT u.part, u.serial, r.started_ns, ` + passedSQL + ` AS passed,
				row_number() OVER (PARTITION BY u.part, u.serial ORDER BY r.started_ns, u.run_id{C}, u.dut{C}) AS n,
				count(*) OVER (PARTITION BY u.part, u.serial) AS tries
			FROM units u JOIN runs r ON r.id = u.run_id
			WHERE u.serial != '' AND u.outcome IS NOT NULL AND u.outcome != 'aborted'` + where + `
		),
		per_unit AS (
			SELECT a.part, a.serial, max(a.tries) AS tries,
				min(CASE WHEN a.passed = 1 THEN a.n END) AS first_pass,
				max(CASE WHEN a.n = a.tries THEN a.passed ELSE 0 END) AS last_passed
			FROM attempts a
			WHERE (a.part, a.serial) IN (SELECT part, serial FROM attempts WHERE n = 1` + sinceCond(sc) + `)
			GROUP BY a.part, a.serial
		)
		SELECT tries, coalesce(first_pass, 0), last_passed, count(*) FROM per_unit
		GROUP BY tries, coalesce(first_pass, 0), last_passed`
	if !sc.Since.IsZero() {
		args = append(args, unixNanos(sc.Since))
	}
	rows, err := a.db.QueryContext(ctx, a.d.sql(q), args...)
	if err != nil {
		return rep, fmt.Errorf("results: yield: %w", err)
	}
	defer rows.Close()
	type group struct{ tries, firstPass, lastPassed, units int }
	var groups []group
	maxTries := 0
	for rows.Next() {
		var g group
		if err := rows.Scan(&g.tries, &g.firstPass, &g.lastPassed, &g.units); err != nil {
			return rep, fmt.Errorf("results: yield: %w", err)
		}
		groups = append(groups, g)
		maxTries = max(maxTries, g.tries)
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("results: yield: %w", err)
	}
	rows.Close()

	firstPassAt := make([]int, maxTries+1) // units whose first pass was attempt n
	triedAt := make([]int, maxTries+1)     // units with an attempt n
	lastPassed := 0
	for _, g := range groups {
		rep.Units += g.units
		if g.tries > 1 {
			rep.Retested += g.units
		}
		for n := 1; n <= g.tries; n++ {
			triedAt[n] += g.units
		}
		if g.firstPass > 0 {
			firstPassAt[g.firstPass] += g.units
		}
		lastPassed += g.lastPassed * g.units
	}
	cum := 0
	for n := 1; n <= maxTries; n++ {
		cum += firstPassAt[n]
		rep.Attempts = append(rep.Attempts, AttemptYield{N: n, Tried: triedAt[n], Passed: firstPassAt[n], Cumulative: cum, Yield: ratio(cum, rep.Units)})
	}
	by := func(n int) int {
		c := 0
		for i := 1; i <= min(n, maxTries); i++ {
			c += firstPassAt[i]
		}
		return c
	}
	rep.FirstPass = newYield(by(1), rep.Units)
	rep.SecondPass = newYield(by(2), rep.Units)
	rep.LastPass = newYield(lastPassed, rep.Units)
	rep.RetestRate = ratio(rep.Retested, rep.Units)

	where, args = scopeWhere(sc, true)
	var unident, unidentPassed, aborted int
	err = a.db.QueryRowContext(ctx, a.d.sql(`SELECT
			coalesce(sum(CASE WHEN u.serial = '' AND u.outcome != 'aborted' THEN 1 ELSE 0 END), 0),
			coalesce(sum(CASE WHEN u.serial = '' THEN `+passedSQL+` ELSE 0 END), 0),
			coalesce(sum(CASE WHEN u.outcome = 'aborted' THEN 1 ELSE 0 END), 0)
		FROM units u JOIN runs r ON r.id = u.run_id
		WHERE u.outcome IS NOT NULL`+where), args...).Scan(&unident, &unidentPassed, &aborted)
	if err != nil {
		return rep, fmt.Errorf("results: yield: %w", err)
	}
	rep.Unidentified = newYield(unidentPassed, unident)
	rep.Aborted = aborted
	return rep, nil
}

func sinceCond(sc Scope) string {
	if sc.Since.IsZero() {
		return ""
	}
	return " AND started_ns >= ?"
}

// ParetoRow is one measurement's failures.
type ParetoRow struct {
	Name string `json:"name"`
	// Units: units (a serial number; a DUT without one is a unit of its
	// own) that failed it at least once; Tested: units measured by it.
	Units  int `json:"units"`
	Tested int `json:"tested"`
	// Failures: the failing measurements (a unit retested, or a phase
	// retried, fails it more than once).
	Failures int `json:"failures"`
	// Share: Units of all rows' Units; Cumulative: the shares of this
	// row and those before it.
	Share      float64 `json:"share"`
	Cumulative float64 `json:"cumulative"`
}

// pareto is the measurements that failed (outcome fail: outside a
// limit) in the scope's ended runs, aborted ones included (a value
// outside its limits is one whatever stopped the run later), most failing
// units first.
func (a analytics) pareto(ctx context.Context, sc Scope) ([]ParetoRow, error) {
	if err := sc.check(); err != nil {
		return nil, err
	}
	where, args := scopeWhere(sc, true)
	// A unit is a part's serial number (the part's length first, so that
	// no part and serial run into another's), else a DUT of a run.
	const unitKey = `CASE WHEN u.serial != '' THEN 's:' || length(u.part) || ':' || u.part || '/' || u.serial ELSE 'd:' || m.run_id || '/' || m.dut END`
	q := `SELECT m.name,
			count(DISTINCT CASE WHEN m.outcome = 'fail' THEN ` + unitKey + ` END) AS failed,
			count(DISTINCT ` + unitKey + `) AS tested,
			sum(CASE WHEN m.outcome = 'fail' THEN 1 ELSE 0 END) AS failures
		FROM measurements m
		JOIN runs r ON r.id = m.run_id
		JOIN units u ON u.run_id = m.run_id AND u.dut = m.dut
		WHERE u.outcome IS NOT NULL` + where + `
		GROUP BY m.name
		HAVING sum(CASE WHEN m.outcome = 'fail' THEN 1 ELSE 0 END) > 0
		ORDER BY failed DESC, failures DESC, m.name{C}`
	rows, err := a.db.QueryContext(ctx, a.d.sql(q), args...)
	if err != nil {
		return nil, fmt.Errorf("results: pareto: %w", err)
	}
	defer rows.Close()
	out := []ParetoRow{}
	total := 0
	for rows.Next() {
		var p ParetoRow
		if err := rows.Scan(&p.Name, &p.Units, &p.Tested, &p.Failures); err != nil {
			return nil, fmt.Errorf("results: pareto: %w", err)
		}
		total += p.Units
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("results: pareto: %w", err)
	}
	cum := 0
	for i := range out {
		cum += out[i].Units
		out[i].Share = ratio(out[i].Units, total)
		out[i].Cumulative = ratio(cum, total)
	}
	return out, nil
}

// Capability is a measurement's process capability against its limits.
type Capability struct {
	Name string `json:"name"`
	Unit string `json:"unit,omitempty"`
	// N: the values the indices are computed from: the scalar values of
	// the measurement in the scope (every attempt, NaN left out) that were
	// taken against the limits of its latest value. OtherLimits: values
	// left out because they were taken against other limits.
	N           int `json:"n"`
	OtherLimits int `json:"other_limits,omitempty"`
	// NotFinite: values left out because they are infinite (an
	// instrument's overload reading, 9.9E37, is +Inf): no mean or
	// deviation can include them.
	NotFinite int `json:"not_finite,omitempty"`
	// Low and High are the limits (nil: none on that side, or ±Inf).
	Low  *float64 `json:"low"`
	High *float64 `json:"high"`
	// Mean and StdDev (the sample standard deviation, n-1) of the values;
	// Min and Max.
	Mean   float64 `json:"mean"`
	StdDev float64 `json:"stddev"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	// Cpu = (High - Mean) / 3σ, Cpl = (Mean - Low) / 3σ, Cpk the smaller
	// of those there are. Nil when their limit is missing, or with fewer
	// than MinCapabilitySamples values (Enough is false then), or when σ
	// is 0.
	Enough bool     `json:"enough"`
	Cpu    *float64 `json:"cpu"`
	Cpl    *float64 `json:"cpl"`
	Cpk    *float64 `json:"cpk"`
}

// capability computes Capability. The database sends each distinct
// value with how many times it occurs (GROUP BY: a DMM's resolution
// repeats values, so this is usually far fewer rows than values), in no
// order, and Go adds them exactly (exactSums): Σx and Σx² without a
// single rounding, whatever the order the rows come in. The mean
// Σx/n and the variance (n·Σx² - (Σx)²) / (n·(n-1)) are then rounded
// once each. So both databases, which read the same float8 values, give
// the same bits, and the result is as accurate as a double can be: no
// cancellation (summing x² in floating point would lose eight of the
// sixteen digits of a double for a 12 V rail with a 1 mV spread), no
// drift with n.
func (a analytics) capability(ctx context.Context, name string, sc Scope) (Capability, error) {
	c := Capability{Name: name}
	if err := sc.check(); err != nil {
		return c, err
	}
	where, args := scopeWhere(sc, true)
	from := ` FROM measurements m
		JOIN runs r ON r.id = m.run_id
		JOIN units u ON u.run_id = m.run_id AND u.dut = m.dut
		WHERE m.name = ? AND m.value IS NOT NULL AND m.points IS NULL AND u.outcome IS NOT NULL` + where
	args = append([]any{name}, args...)
	var low, high sql.NullFloat64
	err := a.db.QueryRowContext(ctx, a.d.sql(`SELECT m.low, m.high, m.unit`+from+`
		ORDER BY m.time_ns DESC, m.run_id{C} DESC, m.seq DESC LIMIT 1`), args...).Scan(&low, &high, &c.Unit)
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w: no value of %q in the scope", ErrNoMeasurements, name)
	}
	if err != nil {
		return c, fmt.Errorf("results: capability of %s: %w", name, err)
	}
	// A side open as ±Inf (a limit read from a file) is no limit: its
	// index would be infinite, which JSON cannot hold. The grouping
	// below still matches the bounds as stored.
	finite := func(v sql.NullFloat64) bool { return v.Valid && !math.IsInf(v.Float64, 0) && !math.IsNaN(v.Float64) }
	if !finite(low) && !finite(high) {
		return c, fmt.Errorf("%w: %q is only recorded, it has no limit to compare against", ErrNoLimits, name)
	}
	same := func(col string, v sql.NullFloat64) (string, []any) {
		if !v.Valid {
			return col + " IS NULL", nil
		}
		return col + " = ?", []any{v.Float64}
	}
	lowCond, lowArg := same("m.low", low)
	highCond, highArg := same("m.high", high)
	// One row per distinct value taken against these limits, and one
	// (value NULL) counting the values taken against others.
	q := `SELECT CASE WHEN ` + lowCond + ` AND ` + highCond + ` THEN m.value END AS v, count(*)` + from + `
		GROUP BY 1`
	qargs := append(append(append([]any{}, lowArg...), highArg...), args...)
	rows, err := a.db.QueryContext(ctx, a.d.sql(q), qargs...)
	if err != nil {
		return c, fmt.Errorf("results: capability of %s: %w", name, err)
	}
	defer rows.Close()
	var sums exactSums
	for rows.Next() {
		var v sql.NullFloat64
		var count int64
		if err := rows.Scan(&v, &count); err != nil {
			return c, fmt.Errorf("results: capability of %s: %w", name, err)
		}
		switch x := v.Float64; {
		case !v.Valid:
			c.OtherLimits += int(count)
		case math.IsInf(x, 0) || math.IsNaN(x):
			c.NotFinite += int(count)
		default:
			sums.add(x, count)
		}
	}
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("results: capability of %s: %w", name, err)
	}
	rows.Close()
	if finite(low) {
		c.Low = &low.Float64
	}
	if finite(high) {
		c.High = &high.Float64
	}
	c.N = int(sums.n)
	c.Min, c.Max = sums.min, sums.max
	c.Mean, c.StdDev = sums.meanStdDev()
	c.Enough = c.N >= MinCapabilitySamples
	if !c.Enough || c.StdDev == 0 || math.IsInf(c.StdDev, 0) {
		return c, nil
	}
	mean := c.Mean
	if c.High != nil {
		cpu := (*c.High - mean) / (3 * c.StdDev)
		c.Cpu, c.Cpk = &cpu, &cpu
	}
	if c.Low != nil {
		cpl := (mean - *c.Low) / (3 * c.StdDev)
		c.Cpl = &cpl
		if c.Cpk == nil || cpl < *c.Cpk {
			c.Cpk = &cpl
		}
	}
	return c, nil
}

// sumPrec is enough bits for Σx and Σx² of any finite doubles to be
// exact: a double is m·2^e with 53-bit m and e from -1074 to 971, so x²
// spans 2^-2148 to 2^2048 (4196 bits), and up to 2^63 terms add 63
// bits of carry.
const sumPrec = 4400

// exactSums adds finite doubles without rounding: big.Float keeps only
// the bits a sum has (for values of one magnitude, a few words), so an
// add costs about what a small integer add does, and the memory is
// bounded by sumPrec whatever n is. Exact sums do not depend on the order
// of the terms, which is what makes two databases agree to the bit.
type exactSums struct {
	n        int64
	sum, sq  big.Float // Σx, Σx²
	min, max float64
	term     big.Float
}

func (s *exactSums) add(x float64, count int64) {
	if x == 0 {
		x = 0 // -0 and 0 are one group to PostgreSQL; make them one value
	}
	if s.n == 0 {
		s.sum.SetPrec(sumPrec)
		s.sq.SetPrec(sumPrec)
		s.term.SetPrec(sumPrec)
		s.min, s.max = x, x
	}
	s.n += count
	s.min, s.max = min(s.min, x), max(s.max, x)
	var k, v big.Float
	k.SetInt64(count)
	v.SetFloat64(x)
	s.term.Mul(&v, &k) // count·x: 53 + 63 bits, exact
	s.sum.Add(&s.sum, &s.term)
	s.term.Mul(&v, &v) // x²: 106 bits, exact
	s.term.Mul(&s.term, &k)
	s.sq.Add(&s.sq, &s.term)
}

// meanStdDev rounds the mean Σx/n once, and the sample standard
// deviation from the exact n·Σx² - (Σx)² (never negative: exact, it is
// n²× the population variance).
func (s *exactSums) meanStdDev() (mean, stddev float64) {
	if s.n == 0 {
		return 0, 0
	}
	n := new(big.Float).SetInt64(s.n)
	mean, _ = new(big.Float).SetPrec(53).Quo(&s.sum, n).Float64()
	if s.n < 2 {
		return mean, 0
	}
	const wide = 2*sumPrec + 128 // (Σx)² and n·Σx² exactly
	num := new(big.Float).SetPrec(wide).Mul(&s.sum, &s.sum)
	num.Sub(new(big.Float).SetPrec(wide).Mul(n, &s.sq), num)
	den := new(big.Float).SetPrec(128).SetInt64(s.n)
	den.Mul(den, new(big.Float).SetInt64(s.n-1)) // < 2^126: exact
	variance := new(big.Float).SetPrec(128).Quo(num, den)
	stddev, _ = new(big.Float).SetPrec(53).Sqrt(variance).Float64()
	return mean, stddev
}

// Trend says how Durations groups what it measures.
type Trend struct {
	// Units: the DUTs' durations (dut.started to dut.ended), not the
	// runs' (run start to end).
	Units bool `json:"units"`
	// Every: groups of this many, in the order they started; 0: by day.
	Every int `json:"every,omitempty"`
	// Location: the time zone of the days (nil: UTC), at its offset at
	// the time of the query's Since (or now).
	Location *time.Location `json:"-"`
}

// DurationBucket is one group of durations: a day or Every of them.
type DurationBucket struct {
	// Day is the date (by day only).
	Day string `json:"day,omitempty"`
	// First and Last are when the first and the last of the group
	// started.
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
	N     int       `json:"n"`
	// P50 and P90 are nearest-rank percentiles: durations that were
	// measured, not interpolated.
	P50  time.Duration `json:"p50_ns"`
	P90  time.Duration `json:"p90_ns"`
	Max  time.Duration `json:"max_ns"`
	Mean time.Duration `json:"mean_ns"`
}

const day = int64(24 * time.Hour)

// durations is the trend of the durations of runs (or of DUTs) in the
// scope that ended and were not aborted, oldest group first.
func (a analytics) durations(ctx context.Context, sc Scope, t Trend) ([]DurationBucket, error) {
	if err := sc.check(); err != nil {
		return nil, err
	}
	if t.Every < 0 {
		return nil, fmt.Errorf("%w: a trend of every %d", ErrBadScope, t.Every)
	}
	where, args := scopeWhere(sc, true)
	var source string
	if t.Units {
		source = `SELECT s.time_ns AS start_ns, e.time_ns - s.time_ns AS dur_ns, s.run_id AS run_id, s.dut AS dut
			FROM units u
			JOIN runs r ON r.id = u.run_id
			JOIN events s ON s.run_id = u.run_id AND s.dut = u.dut AND s.kind = 'dut.started'
			JOIN events e ON e.run_id = u.run_id AND e.dut = u.dut AND e.kind = 'dut.ended'
			WHERE u.outcome IS NOT NULL AND u.outcome != 'aborted'` + where
	} else {
		part := ""
		if sc.Part != "" {
			// A run is of the part when one of its units is.
			where, args = scopeWhere(Scope{Station: sc.Station, Since: sc.Since, Until: sc.Until}, true)
			part = ` AND EXISTS (SELECT 1 FROM units u WHERE u.run_id = r.id AND u.part = ?)`
			args = append(args, sc.Part)
		}
		source = `SELECT r.started_ns AS start_ns, r.ended_ns - r.started_ns AS dur_ns, r.id AS run_id, '' AS dut
			FROM runs r
			WHERE r.ended_ns IS NOT NULL AND r.outcome != 'aborted'` + where + part
	}
	var bucket string
	if t.Every > 0 {
		bucket = `(row_number() OVER (ORDER BY start_ns, run_id{C}, dut{C}) - 1) / ?`
		args = append(args, t.Every)
	} else {
		bucket = `(start_ns + ?) / ` + strconv.FormatInt(day, 10)
		at := sc.Since
		if at.IsZero() {
			at = time.Now()
		}
		loc := t.Location
		if loc == nil {
			loc = time.UTC
		}
		_, off := at.In(loc).Zone()
		args = append(args, int64(off)*int64(time.Second))
	}
	q := `WITH d AS (` + source + `),
		b AS (SELECT ` + bucket + ` AS bucket, start_ns, dur_ns FROM d),
		ranked AS (SELECT bucket, start_ns, dur_ns,
				row_number() OVER (PARTITION BY bucket ORDER BY dur_ns) AS rn,
				count(*) OVER (PARTITION BY bucket) AS n
			FROM b)
		SELECT bucket, min(start_ns), max(start_ns), max(n),
			max(CASE WHEN rn = (n * 50 + 99) / 100 THEN dur_ns END),
			max(CASE WHEN rn = (n * 90 + 99) / 100 THEN dur_ns END),
			max(dur_ns), CAST(sum(dur_ns) AS BIGINT)
		FROM ranked GROUP BY bucket ORDER BY bucket`
	rows, err := a.db.QueryContext(ctx, a.d.sql(q), args...)
	if err != nil {
		return nil, fmt.Errorf("results: durations: %w", err)
	}
	defer rows.Close()
	out := []DurationBucket{}
	for rows.Next() {
		var b DurationBucket
		var bucket, first, last, p50, p90, mx, sum int64
		if err := rows.Scan(&bucket, &first, &last, &b.N, &p50, &p90, &mx, &sum); err != nil {
			return nil, fmt.Errorf("results: durations: %w", err)
		}
		b.First, b.Last = time.Unix(0, first), time.Unix(0, last)
		b.P50, b.P90, b.Max = time.Duration(p50), time.Duration(p90), time.Duration(mx)
		b.Mean = time.Duration(sum / int64(b.N))
		if t.Every == 0 {
			b.Day = time.Unix(0, bucket*day).UTC().Format(time.DateOnly)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("results: durations: %w", err)
	}
	return out, nil
}
