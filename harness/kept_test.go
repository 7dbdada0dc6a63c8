package harness

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// What the live record keeps compact comes back whole, exactly (times ==,
// not just Equal; limits by value): measurements of a few kinds and of
// more kinds than a phase keeps, array measurements, outcomes and times
// the compact form cannot hold (a monotonic reading, a zone), spread over
// several chunks, with and without a pool.
func TestKeptMeasurementsComeBackWhole(t *testing.T) {
	base := time.Date(2026, 12, 6, 8, 0, 0, 0, time.Local)
	low, high := 4.9, 5.1
	var in []Measurement
	for i := range 1000 + maxKinds + 3*keptChunk {
		lo, hi := low, high // numbers of its own, the same by value
		m := Measurement{Seq: uint64(i + 1), DUT: "d", Phase: "p", Attempt: 1, Name: fmt.Sprintf("v%d", i%5), Value: float64(i) / 3,
			Unit: "V", Resolution: 0.001, Limit: LimitSpec{Comparator: CompareBetween, Low: &lo, High: &hi, Action: Fail},
			Outcome: Outcome(i % 5), Time: base.Add(time.Duration(i) * time.Microsecond)}
		switch {
		case i >= 1000 && i < 1000+maxKinds:
			m.Name = fmt.Sprintf("unique%d", i) // past maxKinds kinds: kept whole
		case i%97 == 0:
			m.Values, m.Axis = []float64{1, math.NaN()}, &Axis{Name: "t", Unit: "s", Step: 1}
		case i%89 == 0:
			m.Outcome = Outcome(1000)
		case i%83 == 0:
			m.Time = time.Now() // a monotonic reading
		case i%79 == 0:
			m.Time = m.Time.In(time.FixedZone("X", 3600))
		case i%73 == 0:
			m.Time = m.Time.UTC()
		case i%71 == 0:
			m.Value = math.NaN()
		}
		in = append(in, m)
	}
	exact := cmp.Options{
		cmp.Comparer(func(a, b time.Time) bool { return a == b }),
		cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }),
	}
	for _, pool := range []*chunkPool{nil, newChunkPool()} {
		var k keptMeasurements
		for i := range in {
			m := in[i]
			k.add(&m, pool)
			pool.refill()
		}
		if len(k.kinds) != maxKinds {
			t.Fatalf("%d kinds kept, want the most, %d", len(k.kinds), maxKinds)
		}
		if diff := cmp.Diff(in, k.measurements(), exact); diff != "" {
			t.Fatalf("kept measurements differ (-in +out):\n%s", diff)
		}
	}
}
