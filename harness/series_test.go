package harness_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
)

// A run whose series take many more samples than the record's cap: a
// monitored current with one spike far outside its band, and a measured
// voltage, on two DUTs.
func longRun(t *testing.T, opts ...harness.Option) (*harness.Record, []harness.Event) {
	t.Helper()
	const samples, measurements, spikeAt = 5000, 700, 3217
	sink := &captureSink{}
	rec, err := harness.Run(bg, "long", func(tt *harness.Test) error {
		for _, dut := range []string{"a", "b"} {
			tt.DUT(dut, func(d *harness.DUTRun) error {
				s := tt.Sampler(dut, "current", harness.Between(0.9, 1.1))
				for i := range samples {
					v := 1 + 0.01*float64(i%7)
					if i == spikeAt {
						v = 9.5
					}
					if err := s.Add(d.Context(), units.Current(v)); err != nil {
						return err
					}
				}
				return d.Phase("soak", func(context.Context) error {
					for i := range measurements {
						if err := d.Measure("voltage", units.Voltage(12+0.001*float64(i%11)), harness.Between(11, 13)); err != nil {
							return err
						}
					}
					return nil
				})
			})
		}
		return nil
	}, append([]harness.Option{harness.WithoutSignals(), harness.WithSink(sink)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range rec.Series {
		want := map[string]int{"current": samples, "voltage": measurements}[s.Name]
		if s.Samples != want {
			t.Fatalf("%s/%s took %d samples, want %d", s.DUT, s.Name, s.Samples, want)
		}
	}
	if len(rec.Series) != 4 || len(rec.Measurements()) != 2*measurements {
		t.Fatalf("%d series, %d measurements; want 4 and %d", len(rec.Series), len(rec.Measurements()), 2*measurements)
	}
	return rec, sink.all()
}

// Past the cap each series of the record keeps at most that many points,
// says it is decimated, and still shows the spike and its first and last
// samples; every measurement stays in the record whole. The record
// rebuilt from the events, through JSON as the store keeps them, is the
// same.
func TestSeriesPastTheCapLiveAndReplayedAgree(t *testing.T) {
	const points = 64
	rec, events := longRun(t, harness.WithSeriesPoints(points))
	if got := events[0].Info.SeriesPoints; got != points {
		t.Fatalf("run.started says series keep %d points, want %d", got, points)
	}
	for _, s := range rec.Series {
		if len(s.Times) > points || len(s.Values) != len(s.Times) || !s.Decimated() {
			t.Fatalf("%s/%s: %d times, %d values of %d samples, buckets of %d; want at most %d, decimated",
				s.DUT, s.Name, len(s.Times), len(s.Values), s.Samples, s.Bucket, points)
		}
		first, last := s.Values[0], s.Values[len(s.Values)-1]
		switch s.Name {
		case "current":
			if first != 1 || last != 1+0.01*float64(4999%7) || !hasValue(s, 9.5) {
				t.Errorf("%s/current: first %g, last %g, spike kept %v: %v", s.DUT, first, last, hasValue(s, 9.5), s.Values)
			}
		case "voltage":
			if first != 12 || last != 12+0.001*float64(699%11) {
				t.Errorf("%s/voltage: first %g, last %g", s.DUT, first, last)
			}
		}
	}
	var back []harness.Event
	for _, e := range events {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var x harness.Event
		if err := json.Unmarshal(b, &x); err != nil {
			t.Fatal(err)
		}
		back = append(back, x)
	}
	if diff := cmp.Diff(rec, harness.Replay(back), recordCmp...); diff != "" {
		t.Errorf("replayed from JSON (-live +replayed):\n%s", diff)
	}
	// A store replaying a page at a time and asked for the record as it
	// goes gets the same.
	var rp harness.Replayer
	for i := range back {
		rp.Add(&back[i])
		if i%1000 == 0 {
			rp.Record()
		}
	}
	if diff := cmp.Diff(rec, rp.Record(), recordCmp...); diff != "" {
		t.Errorf("replayed with records asked for on the way (-live +replayed):\n%s", diff)
	}
}

// Without the option a run records the default cap, and a series under
// it keeps every sample, not decimated.
func TestSeriesUnderTheDefaultCapKeepEverySample(t *testing.T) {
	rec, events := longRun(t)
	if got := events[0].Info.SeriesPoints; got != harness.DefaultSeriesPoints {
		t.Fatalf("run.started says series keep %d points, want %d", got, harness.DefaultSeriesPoints)
	}
	for _, s := range rec.Series {
		if s.Decimated() || len(s.Times) != s.Samples || len(s.Values) != s.Samples {
			t.Fatalf("%s/%s: %d points of %d samples, buckets of %d", s.DUT, s.Name, len(s.Times), s.Samples, s.Bucket)
		}
	}
	if diff := cmp.Diff(rec, harness.Replay(events), recordCmp...); diff != "" {
		t.Errorf("(-live +replayed):\n%s", diff)
	}
}

// A decimated series goes through the JSON report and back as it was,
// the report matches its schema, and the HTML report says, under the
// chart, that it shows buckets of the samples.
func TestDecimatedSeriesInTheReports(t *testing.T) {
	rec, _ := longRun(t, harness.WithSeriesPoints(100))
	var js bytes.Buffer
	if err := rec.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back harness.Record
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec.Series, back.Series); diff != "" {
		t.Errorf("series through the JSON report (-written +read):\n%s", diff)
	}
	if !strings.Contains(js.String(), `"samples": 5000,`) || !strings.Contains(js.String(), `"bucket": `) {
		t.Errorf("the JSON report does not say the series is decimated")
	}
	if err := validateRecordJSON(t, js.Bytes()); err != nil {
		t.Fatalf("the JSON report does not match its schema: %v", err)
	}
	var html bytes.Buffer
	if err := rec.WriteHTML(&html); err != nil {
		t.Fatal(err)
	}
	var current *harness.Series
	for _, s := range rec.Series {
		if s.Name == "current" {
			current = s
		}
	}
	note := fmt.Sprintf("5000 samples, shown as the min/max of %d buckets of %d;", current.Buckets(), current.Bucket)
	if n := strings.Count(html.String(), note); n != 2 {
		t.Errorf("the HTML report says %q %d times, want once per DUT", note, n)
	}
}

func hasValue(s *harness.Series, v float64) bool {
	for _, x := range s.Values {
		if x == v {
			return true
		}
	}
	return false
}
