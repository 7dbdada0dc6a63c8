package hwtest_test

import (
	"fmt"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/harness/hwtest"
)

// Merge is what Main does with the runs of a package: one record, each DUT
// named after its test.
func ExampleMerge() {
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	a := &harness.Record{Name: "TestBurnIn", Started: start, Ended: start.Add(time.Minute),
		DUTs: []*harness.DUTRecord{{Name: "dut-1"}, {Name: "dut-2", Outcome: harness.OutcomeFail}}}
	b := &harness.Record{Name: "TestRipple", Started: start.Add(time.Minute), Ended: start.Add(2 * time.Minute),
		DUTs: []*harness.DUTRecord{{Name: "dut-1", Outcome: harness.OutcomeMarginal}}}
	rec := hwtest.Merge("gotest", a, b)
	for _, d := range rec.DUTs {
		fmt.Println(d.Name, d.Outcome)
	}
	fmt.Println(rec.Name, rec.Ended.Sub(rec.Started))
	// Output:
	// TestBurnIn/dut-1 pass
	// TestBurnIn/dut-2 fail
	// TestRipple/dut-1 marginal
	// gotest 2m0s
}
