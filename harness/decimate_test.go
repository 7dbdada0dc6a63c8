package harness

import (
	"math"
	"math/rand/v2"
	"testing"
)

// decimated is what a series of samples should keep, worked out from
// what the points are, not how seriesPoints keeps them: buckets of width
// samples from the first, each shown by its earliest smallest and its
// latest largest finite sample in time order (its first when it has no
// finite one), and the first and last samples.
func decimated(samples []point, width int) (ts, vs []float64) {
	add := func(p point) { ts, vs = append(ts, p.t), append(vs, p.v) }
	var out []point
	for i := 0; i < len(samples); i += width {
		b := samples[i:min(i+width, len(samples))]
		if width == 2 { // every sample
			out = append(out, b...)
			continue
		}
		// The smallest and largest finite samples, else the first.
		lo, hi := -1, -1
		for j, p := range b {
			if isFinite(p.v) && (lo < 0 || p.v < b[lo].v) {
				lo = j
			}
			if isFinite(p.v) && (hi < 0 || p.v >= b[hi].v) {
				hi = j
			}
		}
		lo, hi = max(lo, 0), max(hi, 0)
		out = append(out, b[min(lo, hi)])
		if lo != hi {
			out = append(out, b[max(lo, hi)])
		}
	}
	if width > 2 && !samePoint(out[0], samples[0]) {
		add(samples[0])
	}
	for _, p := range out {
		add(p)
	}
	if last := samples[len(samples)-1]; width > 2 && !samePoint(out[len(out)-1], last) {
		add(last)
	}
	return ts, vs
}

// Past its cap a series keeps at most cap points, however many samples
// it takes: the same as worked out from the samples (with a NaN among
// them), a spike anywhere, a dip, the first and last samples; its chunks stay within the
// cap. Up to the cap it keeps every sample. Checked after every sample
// for small caps, with noise, flat runs and ties.
func TestSeriesKeepsAtMostItsCap(t *testing.T) {
	for _, capacity := range []int{-5, 16, 17, 23, 100, 1030} {
		rng := rand.New(rand.NewPCG(uint64(capacity), 7))
		c := seriesCap(capacity)
		n := 60*c + rng.IntN(c)
		spike, dip, nan := rng.IntN(n), rng.IntN(n), rng.IntN(n)
		sp := newSeriesPoints(c)
		pool := newChunkPool()
		var samples []point
		every := 1
		if c > 100 {
			every = 97
		}
		for i := range n {
			v := float64(rng.IntN(5)) // ties, often
			if i/(3*c)%2 == 1 {
				v = 2 // a flat stretch: each bucket keeps its first and last sample
			}
			switch i {
			case spike:
				v = 1e6
			case dip:
				v = -1e6
			case nan:
				v = math.NaN()
			}
			p := point{float64(i) / 10, v}
			samples = append(samples, p)
			sp.add(p.t, p.v, pool)
			pool.refill()
			if i%every != 0 && i != n-1 {
				continue
			}
			var s Series
			sp.fill(&s)
			if len(s.Times) > c || len(s.Values) != len(s.Times) {
				t.Fatalf("cap %d, after %d samples: %d times, %d values", c, i+1, len(s.Times), len(s.Values))
			}
			if s.Samples != i+1 {
				t.Fatalf("cap %d: %d samples said, %d taken", c, s.Samples, i+1)
			}
			width := max(s.Bucket, 2)
			if s.Bucket == 0 && len(s.Times) != i+1 || s.Bucket != 0 && (s.Bucket < 4 || s.Bucket&(s.Bucket-1) != 0) {
				t.Fatalf("cap %d, after %d samples: bucket %d, %d points", c, i+1, s.Bucket, len(s.Times))
			}
			ts, vs := decimated(samples, width)
			if !sameFloats(s.Times, ts) || !sameFloats(s.Values, vs) {
				t.Fatalf("cap %d, after %d samples, buckets of %d:\n got %v\n%v\nwant %v\n%v", c, i+1, width, s.Times, s.Values, ts, vs)
			}
		}
		if len(sp.chunks) > (c+pointChunk-1)/pointChunk {
			t.Errorf("cap %d: %d chunks of %d points", c, len(sp.chunks), pointChunk)
		}
		var s Series
		sp.fill(&s)
		if !s.Decimated() || s.Buckets() < c/4 || s.Buckets() > c/2 {
			t.Errorf("cap %d: %d samples in %d buckets of %d", c, s.Samples, s.Buckets(), s.Bucket)
		}
		// (The NaN is kept only while every sample is: past the cap it
		// is no bucket's smallest or largest beside finite readings.)
		for _, want := range []point{samples[0], samples[n-1], samples[spike], samples[dip]} {
			if !hasPoint(&s, want) {
				t.Errorf("cap %d: sample at %g (%g) is not kept", c, want.t, want.v)
			}
		}
	}
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// A reading that is not finite (an overload's NaN, an overrange's ±Inf)
// beside a dip or a spike in the same bucket does not take its place:
// the chart cannot draw it. Before, NaN sorted below every number and
// +Inf above, so the dip and the spike were not kept. Up to the cap such
// readings are kept like any other sample.
func TestNonFiniteReadingsHideNoDip(t *testing.T) {
	sp := newSeriesPoints(16)
	var samples []point
	for i := range 200 {
		v := 1.0
		switch i {
		case 100:
			v = -50
		case 101:
			v = math.NaN()
		case 140:
			v = 50
		case 141:
			v = math.Inf(1)
		case 142:
			v = math.Inf(-1)
		case 180, 181, 182, 183, 184, 185, 186, 187:
			v = math.NaN() // a bucket of nothing else
		}
		p := point{float64(i), v}
		samples = append(samples, p)
		sp.add(p.t, p.v, nil)
	}
	var s Series
	sp.fill(&s)
	if !s.Decimated() {
		t.Fatalf("200 samples under a cap of 16: not decimated")
	}
	for _, i := range []int{100, 140} {
		if !hasPoint(&s, samples[i]) {
			t.Errorf("sample %d (%g) is not kept: %v", i, samples[i].v, s.Values)
		}
	}
	if ts, vs := decimated(samples, s.Bucket); !sameFloats(s.Times, ts) || !sameFloats(s.Values, vs) {
		t.Errorf("got %v %v\nwant %v %v", s.Times, s.Values, ts, vs)
	}

	few := newSeriesPoints(16)
	for i, v := range []float64{math.NaN(), 5, math.Inf(1), 3} {
		few.add(float64(i), v, nil)
	}
	few.fill(&s)
	if want := []float64{math.NaN(), 5, math.Inf(1), 3}; s.Decimated() || !sameFloats(s.Values, want) {
		t.Errorf("under the cap: %v, want every sample %v", s.Values, want)
	}
}

// Every sample is kept up to the cap's exact size: the default's 16,381.
func TestSeriesKeepsEverySampleUpToItsCap(t *testing.T) {
	sp := newSeriesPoints(DefaultSeriesPoints)
	exact := 2*sp.maxFull + 1
	for i := range exact {
		sp.add(float64(i), float64(i%3), nil)
	}
	var s Series
	sp.fill(&s)
	if s.Decimated() || len(s.Times) != exact || s.Samples != exact {
		t.Fatalf("%d samples: %d points, bucket %d", exact, len(s.Times), s.Bucket)
	}
	sp.add(float64(exact), 0, nil)
	sp.fill(&s)
	if !s.Decimated() || len(s.Times) > DefaultSeriesPoints {
		t.Fatalf("%d samples: %d points, bucket %d", exact+1, len(s.Times), s.Bucket)
	}
}

func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func hasPoint(s *Series, p point) bool {
	for i := range s.Times {
		if samePoint(point{s.Times[i], s.Values[i]}, p) {
			return true
		}
	}
	return false
}
