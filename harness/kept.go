package harness

import (
	"math"
	"time"
	"unsafe"
)

// keptMeasurements are a phase's measurements as the live record keeps
// them while the run goes: what measurements share (DUT, phase, name,
// unit, resolution, limit) once per distinct kind, and per measurement
// only its number, time, value and outcome, in fixed-size chunks that are
// never copied and hold no pointers. A run of 64 DUTs keeps hundreds of
// thousands of measurements: whole Measurements (about 230 bytes each) in
// slices that grow by copying cost a page fault every few measurements,
// write barriers and GC marking. They become the phase's Measurements
// when the run ends (fold.flush), which every reader of the record sees.
type keptMeasurements struct {
	kinds  []measurementKind
	index  map[measurementKey]uint32 // kinds by key, once there are more than a few
	last   uint32                    // the kind matched last
	chunks [][]keptMeasurement
	n      int
	whole  []Measurement // array measurements, kept as they are
}

// keptChunk is the number of measurements in a chunk (10 KiB).
const keptChunk = 256

// keptWhole is the kind of a measurement kept whole; its value is its
// index in keptMeasurements.whole.
const keptWhole = math.MaxUint32

// maxKinds bounds the kinds a phase keeps: past it (a distinct name per
// measurement, say) measurements are kept whole, as a record always did.
const maxKinds = 4096

type keptMeasurement struct {
	seq     uint64
	sec     int64 // the time, as time.Unix's arguments
	value   float64
	nsec    int32
	kind    uint32
	outcome int8
}

type measurementKind struct {
	key  measurementKey
	spec LimitSpec // as the first measurement of the kind had it (the same numbers)
}

// measurementKey is what measurements of a kind share, comparable: the
// limit's numbers by value, since a spec made again has new pointers.
type measurementKey struct {
	dut, phase, name, unit  string
	attempt                 int
	resolution              uint64
	comparator              Comparator
	low, high, nominal      uint64
	hasLow, hasHigh, hasNom bool
	marginal                uint64
	limitName               string
	action                  LimitAction
	loc                     *time.Location
}

func keyOf(m *Measurement) measurementKey {
	l := &m.Limit
	k := measurementKey{dut: m.DUT, phase: m.Phase, name: m.Name, unit: m.Unit, attempt: m.Attempt,
		resolution: math.Float64bits(m.Resolution), comparator: l.Comparator, marginal: math.Float64bits(l.Marginal),
		limitName: l.Name, action: l.Action, loc: m.Time.Location()}
	if l.Low != nil {
		k.low, k.hasLow = math.Float64bits(*l.Low), true
	}
	if l.High != nil {
		k.high, k.hasHigh = math.Float64bits(*l.High), true
	}
	if l.Nominal != nil {
		k.nominal, k.hasNom = math.Float64bits(*l.Nominal), true
	}
	return k
}

// add keeps m, in a chunk from pool.
func (k *keptMeasurements) add(m *Measurement, pool *chunkPool) {
	e := keptMeasurement{seq: m.Seq, sec: m.Time.Unix(), nsec: int32(m.Time.Nanosecond()), value: m.Value, outcome: int8(m.Outcome)}
	if m.Values != nil || m.Axis != nil || m.Outcome != Outcome(e.outcome) || !sameTime(m.Time, e) {
		e.kind, e.value = keptWhole, float64(len(k.whole))
		k.whole = append(k.whole, *m)
	} else {
		e.kind = k.kind(m)
		if e.kind == keptWhole {
			e.value = float64(len(k.whole))
			k.whole = append(k.whole, *m)
		}
	}
	i := k.n % keptChunk
	if i == 0 {
		k.chunks = append(k.chunks, pool.measurementChunk())
	}
	k.chunks[len(k.chunks)-1][i] = e
	k.n++
}

// sameTime reports whether t comes back the same (==) from what e keeps
// of it and its location: it has no monotonic reading (the record's
// times are rounded by Round(0)).
func sameTime(t time.Time, e keptMeasurement) bool {
	return time.Unix(e.sec, int64(e.nsec)).In(t.Location()) == t
}

// kind finds or adds m's kind; keptWhole when there are too many.
func (k *keptMeasurements) kind(m *Measurement) uint32 {
	key := keyOf(m)
	if int(k.last) < len(k.kinds) && k.kinds[k.last].key == key {
		return k.last
	}
	if k.index == nil {
		// A few kinds (a phase measuring a handful of things in a loop)
		// are found faster by looking than by hashing.
		for i := range k.kinds {
			if k.kinds[i].key == key {
				k.last = uint32(i)
				return k.last
			}
		}
	} else if i, ok := k.index[key]; ok {
		k.last = i
		return i
	}
	if len(k.kinds) >= maxKinds {
		return keptWhole
	}
	i := uint32(len(k.kinds))
	k.kinds = append(k.kinds, measurementKind{key: key, spec: m.Limit})
	if k.index == nil && len(k.kinds) > 8 {
		k.index = make(map[measurementKey]uint32, 2*len(k.kinds))
		for j := range k.kinds {
			k.index[k.kinds[j].key] = uint32(j)
		}
	} else if k.index != nil {
		k.index[key] = i
	}
	k.last = i
	return i
}

// measurements are the kept measurements, whole, in order.
func (k *keptMeasurements) measurements() []Measurement {
	out := make([]Measurement, 0, k.n)
	for c, chunk := range k.chunks {
		chunk = chunk[:min(keptChunk, k.n-c*keptChunk)]
		for i := range chunk {
			e := &chunk[i]
			if e.kind == keptWhole {
				out = append(out, k.whole[int(e.value)])
				continue
			}
			kind := &k.kinds[e.kind]
			out = append(out, Measurement{Seq: e.seq, DUT: kind.key.dut, Phase: kind.key.phase, Attempt: kind.key.attempt,
				Name: kind.key.name, Value: e.value, Unit: kind.key.unit, Resolution: math.Float64frombits(kind.key.resolution),
				Limit: kind.spec, Outcome: Outcome(e.outcome), Time: time.Unix(e.sec, int64(e.nsec)).In(kind.key.loc)})
		}
	}
	return out
}

type point struct{ t, v float64 }

// pointChunk is the number of series points in a chunk (8 KiB).
const pointChunk = 512

// chunkPool holds chunks made, and their pages touched, by the measuring
// goroutines after they have let go of the run's lock (refill), for the
// fold to take under it. On a machine where the first touch of a page
// costs a page fault of several microseconds, a fault under the lock
// holds every other DUT's measurement up for that long.
type chunkPool struct {
	measurements chan []keptMeasurement
	points       chan []point
}

func newChunkPool() *chunkPool {
	return &chunkPool{measurements: make(chan []keptMeasurement, 8), points: make(chan []point, 8)}
}

// measurementChunk is a chunk from the pool, or a new one when it is
// empty (or nil: Replay's fold has none).
func (p *chunkPool) measurementChunk() []keptMeasurement {
	if p != nil {
		select {
		case c := <-p.measurements:
			return c
		default:
		}
	}
	return make([]keptMeasurement, keptChunk)
}

func (p *chunkPool) pointChunk() []point {
	if p != nil {
		select {
		case c := <-p.points:
			return c
		default:
		}
	}
	return make([]point, pointChunk)
}

// refill tops the pool up, outside the run's lock; it returns at once
// when the pool is full.
func (p *chunkPool) refill() {
	if p == nil {
		return
	}
	for len(p.measurements) < cap(p.measurements) {
		c := make([]keptMeasurement, keptChunk)
		touch(unsafe.Slice((*byte)(unsafe.Pointer(&c[0])), len(c)*int(unsafe.Sizeof(c[0]))))
		select {
		case p.measurements <- c:
		default:
			return
		}
	}
	for len(p.points) < cap(p.points) {
		c := make([]point, pointChunk)
		touch(unsafe.Slice((*byte)(unsafe.Pointer(&c[0])), len(c)*int(unsafe.Sizeof(c[0]))))
		select {
		case p.points <- c:
		default:
			return
		}
	}
}

// touch writes a byte of every page of b (zero, as it is), so that its
// page faults happen now.
func touch(b []byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 0
	}
	if len(b) > 0 {
		b[len(b)-1] = 0
	}
}
