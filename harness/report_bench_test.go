package harness

import (
	"fmt"
	"io"
	"testing"
	"time"
)

// benchRecord is a run of 64 DUTs with 1,000 scalar measurements each,
// 64k in all, a tenth of them failing.
func benchRecord() *Record {
	start := time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)
	low, high := 4.9, 5.1
	r := &Record{ID: "bench", Name: "bench", Started: start, Ended: start.Add(time.Minute), Outcome: OutcomeFail}
	for d := range 64 {
		dut := &DUTRecord{Name: fmt.Sprintf("dut%02d", d), Started: start, Ended: start.Add(time.Minute), Outcome: OutcomeFail}
		ph := &PhaseRecord{Name: "measure <all>", Attempt: 1, Started: start, Ended: start.Add(time.Minute), Outcome: OutcomeFail}
		for i := range 1000 {
			m := Measurement{DUT: dut.Name, Phase: ph.Name, Attempt: 1, Name: fmt.Sprintf("vout%d", i%10),
				Value: 5 + float64(i%20-10)/100, Unit: "V", Resolution: 0.001,
				Limit: LimitSpec{Comparator: CompareBetween, Low: &low, High: &high}, Outcome: OutcomePass, Time: start}
			if i%10 == 0 {
				m.Value, m.Outcome = 5.2, OutcomeFail
			}
			ph.Measurements = append(ph.Measurements, m)
		}
		dut.Phases = append(dut.Phases, ph)
		r.DUTs = append(r.DUTs, dut)
	}
	return r
}

// BenchmarkHTMLReport writes the HTML report of 64k measurements and
// reports the cost per measurement, and its ratio to writing the same
// record as JSON, interleaved (report/json: above 1, HTML is faster).
func BenchmarkHTMLReport(b *testing.B) {
	r := benchRecord()
	const n = 64 * 1000
	var htmlTime, jsonTime time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := r.WriteJSON(io.Discard); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := r.WriteHTML(io.Discard); err != nil {
			b.Fatal(err)
		}
		jsonTime += t1.Sub(t0)
		htmlTime += time.Since(t1)
	}
	b.ReportMetric(float64(htmlTime.Nanoseconds())/float64(b.N)/n, "html-ns/measurement")
	b.ReportMetric(float64(jsonTime.Nanoseconds())/float64(b.N)/n, "json-ns/measurement")
	b.ReportMetric(jsonTime.Seconds()/htmlTime.Seconds(), "html/json")
}
