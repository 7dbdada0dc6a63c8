package results

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

// ratMeanVar is the mean and sample variance of xs in exact rational
// arithmetic, rounded once to doubles: what exactSums must give.
func ratMeanVar(xs []float64) (mean, variance float64) {
	var sum, sq big.Rat
	for _, x := range xs {
		r := new(big.Rat).SetFloat64(x)
		sum.Add(&sum, r)
		sq.Add(&sq, r.Mul(r, r))
	}
	n := new(big.Rat).SetInt64(int64(len(xs)))
	m := new(big.Rat).Quo(&sum, n)
	mean, _ = m.Float64()
	num := new(big.Rat).Mul(n, &sq)
	num.Sub(num, new(big.Rat).Mul(&sum, &sum))
	num.Quo(num, new(big.Rat).Mul(n, new(big.Rat).SetInt64(int64(len(xs)-1))))
	variance, _ = num.Float64()
	return mean, variance
}

// A 12 V rail with a microvolt spread, where Σx² in floating point
// cancels away most digits, and values of wildly different size: the
// sums are exact, so the mean is the correctly rounded one and the
// result does not depend on the order the database sends the values in.
func TestExactSumsAreExactAndOrderFree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sets := map[string][]float64{}
	var rail, wild []float64
	for range 5000 {
		rail = append(rail, 12+1e-6*rng.NormFloat64())
		wild = append(wild, math.Ldexp(rng.Float64()-0.5, rng.IntN(200)-100))
	}
	sets["rail"], sets["wild"] = rail, wild
	sets["cancels"] = []float64{1e16, 1, -1e16, 1, 3, 0, math.Copysign(0, -1)}
	for name, xs := range sets {
		wantMean, wantVar := ratMeanVar(xs)
		var first exactSums
		for _, x := range xs {
			first.add(x, 1)
		}
		mean, sd := first.meanStdDev()
		if mean != wantMean {
			t.Errorf("%s: mean %v, want the correctly rounded %v", name, mean, wantMean)
		}
		// s is rounded from s² once more: within an ulp of √(exact s²).
		if want := math.Sqrt(wantVar); math.Abs(sd-want) > 2*ulp(want) {
			t.Errorf("%s: stddev %v, want %v", name, sd, want)
		}
		shuffled := append([]float64(nil), xs...)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		var second exactSums
		for _, x := range shuffled {
			second.add(x, 1)
		}
		m2, sd2 := second.meanStdDev()
		if m2 != mean || sd2 != sd || second.min != first.min || second.max != first.max || math.Signbit(second.min) != math.Signbit(first.min) {
			t.Errorf("%s: another order gives %v %v [%v %v], not %v %v [%v %v]", name, m2, sd2, second.min, second.max, mean, sd, first.min, first.max)
		}
	}
}

// A value counted k times is the value added k times.
func TestExactSumsCounts(t *testing.T) {
	var once, counted exactSums
	for _, v := range []struct {
		x float64
		k int64
	}{{1.1, 3}, {2.5, 1}, {0.3, 7}} {
		counted.add(v.x, v.k)
		for range v.k {
			once.add(v.x, 1)
		}
	}
	m1, s1 := once.meanStdDev()
	m2, s2 := counted.meanStdDev()
	if m1 != m2 || s1 != s2 || once.n != counted.n {
		t.Fatalf("counted %v %v (n %d), added one by one %v %v (n %d)", m2, s2, counted.n, m1, s1, once.n)
	}
}

func ulp(x float64) float64 { return math.Nextafter(math.Abs(x), math.Inf(1)) - math.Abs(x) }

func BenchmarkExactSumsAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = 12 + 1e-3*rng.NormFloat64()
	}
	var s exactSums
	for i := 0; b.Loop(); i++ {
		s.add(xs[i%len(xs)], 1)
	}
}
