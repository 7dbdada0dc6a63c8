package harness

import (
	"cmp"
	"math"
	"math/rand/v2"
	"testing"
)

// decimated is what a series of samples should keep, worked out from
// what the points are, not how seriesPoints keeps them: buckets of width
// samples from the first, each shown by its earliest smallest and its
// latest largest sample in time order, and the first and last samples.
func decimated(samples []point, width int) (ts, vs []float64) {
	add := func(p point) { ts, vs = append(ts, p.t), append(vs, p.v) }
	var out []point
	for i := 0; i < len(samples); i += width {
		b := samples[i:min(i+width, len(samples))]
		lo, hi := 0, 0
		for j := range b {
			if cmp.Compare(b[j].v, b[lo].v) < 0 {
				lo = j
			}
			if cmp.Compare(b[j].v, b[hi].v) >= 0 {
				hi = j
			}
		}
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
// it takes: the same as worked out from the samples, a spike anywhere, a
// dip, a NaN, the first and last samples; its chunks stay within the
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
		for _, want := range []point{samples[0], samples[n-1], samples[spike], samples[dip], samples[nan]} {
			if !hasPoint(&s, want) {
				t.Errorf("cap %d: sample at %g (%g) is not kept", c, want.t, want.v)
			}
		}
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
