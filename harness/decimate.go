package harness

import "math"

// DefaultSeriesPoints is the most points a series of the record keeps
// unless Options.SeriesPoints says otherwise. Up to it a series keeps
// every sample (16,381 of them: 4.5 h at 1 Hz, 27 min at 10 Hz); past it,
// the smallest and largest sample of each of at most 8,190 buckets, more
// than two per pixel column of a chart on a 4K screen, so what a chart
// draws is the series' whole envelope. A 72-hour burn-in at 1 Hz has
// buckets of 32 samples (32 s), at 10 Hz of 512. Each series then holds
// 256 KiB however long the run: 64 MiB for 64 DUTs of four quantities,
// where keeping every sample of them took 0.8-8 GB. Every sample stays
// in the run's events, in the station store.
const DefaultSeriesPoints = 16384

// minSeriesPoints is the fewest points a series can be held to: room for
// the first and last samples and a few buckets besides.
const minSeriesPoints = 16

// seriesCap is the points a series keeps when n are asked for (0: the
// default).
func seriesCap(n int) int {
	if n == 0 {
		return DefaultSeriesPoints
	}
	return max(n, minSeriesPoints)
}

// seriesPoints are the points a series keeps: every sample until there
// are too many, then, in the time order they came, the smallest and the
// largest sample of each bucket of width samples, and the first and the
// last sample. Buckets start at multiples of width in the count of
// samples, so the points are a function of the samples alone, whatever
// folds them (the live record and Replay agree), and a spike is never
// averaged away: it is its bucket's extreme. The smallest is the earliest
// of equal ones and the largest the latest (a flat bucket keeps its
// first and last samples). A reading that is not a number or infinite
// (an overload's 9.91E37, an overrange) is neither while the bucket has
// a finite one (lower, higher): a chart cannot draw it, and it would
// take the place of the dip or spike beside it. The points of full buckets are kept in chunks (from the live
// record's pool) that are reused when buckets merge: memory is O(cap).
type seriesPoints struct {
	chunks  [][]point // two points for each full bucket, in time order
	full    int       // full buckets kept
	maxFull int       // even, so that the full buckets merge in pairs
	width   int       // samples in a bucket: 2 keeps every sample
	n       int       // samples taken
	cur     bucket    // the bucket being filled
	first   point
	last    point
}

// bucket is the bucket being filled: its smallest and largest sample so
// far, hiLast when the largest came after the smallest, and its first
// (while every sample is kept, a bucket keeps its two samples as they
// are, finite or not).
type bucket struct {
	lo, hi, first point
	hiLast        bool
	n             int
}

func newSeriesPoints(capacity int) seriesPoints {
	// Full buckets (two points each), the one being filled (two), and
	// the first and last samples (two) fit in capacity.
	return seriesPoints{maxFull: (capacity - 4) / 2 &^ 1, width: 2}
}

// at is the i-th point of the full buckets.
func (sp *seriesPoints) at(i int) *point { return &sp.chunks[i/pointChunk][i%pointChunk] }

func (sp *seriesPoints) put(i int, p point, pool *chunkPool) {
	if i/pointChunk == len(sp.chunks) {
		sp.chunks = append(sp.chunks, pool.pointChunk())
	}
	*sp.at(i) = p
}

// add takes the next sample.
func (sp *seriesPoints) add(t, v float64, pool *chunkPool) {
	p := point{t, v}
	sp.n++
	if sp.n == 1 {
		sp.first = p
	}
	sp.last = p
	c := &sp.cur
	if c.n == 0 {
		c.lo, c.hi, c.first, c.hiLast = p, p, p, false
	} else {
		lo, hi := lower(v, c.lo.v), higher(v, c.hi.v)
		if lo {
			c.lo = p
		}
		if hi {
			c.hi = p
		}
		switch {
		case hi:
			c.hiLast = true
		case lo:
			c.hiLast = false
		}
	}
	c.n++
	if c.n < sp.width {
		return
	}
	if sp.full == sp.maxFull {
		// No room: neighbours merge, and the bucket being filled, now
		// half the width, goes on filling.
		sp.halve()
		return
	}
	a, b := c.hi, c.lo
	switch {
	case sp.width == 2:
		a, b = c.first, p // every sample kept
	case c.hiLast:
		a, b = c.lo, c.hi
	}
	sp.put(2*sp.full, a, pool)
	sp.put(2*sp.full+1, b, pool)
	sp.full++
	c.n = 0
}

// halve merges the full buckets in pairs, in place, and doubles the
// width. A full bucket's two points are its smallest and largest sample.
func (sp *seriesPoints) halve() {
	for j := range sp.full / 2 {
		q := [4]point{*sp.at(4 * j), *sp.at(4*j + 1), *sp.at(4*j + 2), *sp.at(4*j + 3)}
		lo, hi := extremes(&q, 0)
		blo, bhi := extremes(&q, 2)
		if lower(q[blo].v, q[lo].v) {
			lo = blo
		}
		if higher(q[bhi].v, q[hi].v) {
			hi = bhi
		}
		*sp.at(2 * j), *sp.at(2*j + 1) = q[min(lo, hi)], q[max(lo, hi)]
	}
	sp.full /= 2
	sp.width *= 2
}

// extremes are the indexes of the smallest (earliest of equals) and the
// largest (latest of equals) of q[i] and q[i+1], in time order: the same
// one when the other is not finite. A full bucket's two points hold its
// smallest and largest (or, while every sample was kept, are its two
// samples).
func extremes(q *[4]point, i int) (lo, hi int) {
	lo, hi = i, i
	if lower(q[i+1].v, q[i].v) {
		lo = i + 1
	}
	if higher(q[i+1].v, q[i].v) {
		hi = i + 1
	}
	return lo, hi
}

// lower reports whether a reading v is a bucket's smallest rather than
// lo, the smallest before it: a finite reading below it, or the first
// finite one after readings that were not (NaN, ±Inf), which are never
// the smallest while a finite one is there.
func lower(v, lo float64) bool {
	return finite(v) && (!finite(lo) || v < lo)
}

// higher is lower for the largest, the latest of equal ones.
func higher(v, hi float64) bool {
	return finite(v) && (!finite(hi) || v >= hi)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// fill sets s's points from what is kept; s gets new slices, so that
// a record handed out before keeps its own.
func (sp *seriesPoints) fill(s *Series) {
	n := 2*sp.full + 4
	ts, vs := make([]float64, 0, n), make([]float64, 0, n)
	add := func(p point) { ts, vs = append(ts, p.t), append(vs, p.v) }
	decimated := sp.width > 2
	var head point
	switch {
	case sp.full > 0:
		head = *sp.at(0)
	case !sp.cur.hiLast:
		head = sp.cur.hi
	default:
		head = sp.cur.lo
	}
	if decimated && !samePoint(head, sp.first) {
		add(sp.first)
	}
	// A bucket whose smallest and largest are one sample (its others
	// not finite) shows it once.
	pair := func(a, b point) {
		add(a)
		if !decimated || !samePoint(a, b) {
			add(b)
		}
	}
	for i := range sp.full {
		pair(*sp.at(2 * i), *sp.at(2*i + 1))
	}
	if c := sp.cur; c.n == 1 {
		add(c.lo)
	} else if c.n > 1 {
		if c.hiLast {
			pair(c.lo, c.hi)
		} else {
			pair(c.hi, c.lo)
		}
	}
	if decimated && !samePoint(point{ts[len(ts)-1], vs[len(vs)-1]}, sp.last) {
		add(sp.last)
	}
	s.Times, s.Values, s.Samples, s.Bucket = ts, vs, sp.n, 0
	if decimated {
		s.Bucket = sp.width
	}
}

// samePoint reports whether a and b are the same sample (or another
// just like it, which a chart draws the same).
func samePoint(a, b point) bool {
	return math.Float64bits(a.t) == math.Float64bits(b.t) && math.Float64bits(a.v) == math.Float64bits(b.v)
}
