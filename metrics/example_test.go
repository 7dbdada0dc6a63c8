package metrics_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/metrics"
	"github.com/scpikit/scpikit/units"
)

// A run's events are counted on their way to the station store (nil
// here), and /metrics serves the counts. With a store:
// harness.WithSink(m.Sink(store)) and m.ObserveStore(store); with
// instruments: instruments.WithSessionOptions(m.ObserveSession("DP832")).
func ExampleNew() {
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	harness.Run(context.Background(), "burn-in", func(t *harness.Test) error {
		t.DUT("dut-1", func(d *harness.DUTRun) error {
			return d.Phase("rails", func(context.Context) error {
				d.Measure("vout", 5.02*units.Volt, harness.Between(4.9, 5.1))
				return d.Measure("ripple", 80*units.Millivolt, harness.AtMost(0.05))
			})
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(m.Sink(nil)))

	w := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	sc := bufio.NewScanner(w.Body)
	for sc.Scan() {
		line := sc.Text()
		for _, name := range []string{"scpikit_runs_total", "scpikit_measurements_total", "scpikit_measurements_out_of_limits_total", "scpikit_phases_total"} {
			if strings.HasPrefix(line, name+"{") {
				fmt.Println(line)
			}
		}
	}
	// Output:
	// scpikit_measurements_out_of_limits_total{measurement="ripple"} 1
	// scpikit_measurements_total{outcome="fail"} 1
	// scpikit_measurements_total{outcome="pass"} 1
	// scpikit_phases_total{outcome="fail",phase="rails"} 1
	// scpikit_runs_total{outcome="fail"} 1
}
