// Package harness runs hardware tests: several DUTs in parallel, fault
// monitors that can stop the run, a safe state that always runs, shared
// instruments, measurements with limits, and the record and reports of
// the run.
//
// It is the Go answer to the threading notes test engineers start from:
//
//	rec, err := harness.Run(ctx, "burn-in", func(t *harness.Test) error {
//		for _, dut := range duts {
//			t.DUT(dut.name, func(d *harness.DUTRun) error {
//				// Power is applied and its safe state registered in one step.
//				if err := d.PowerOn(d.Context(), psu, dut.channel, 12*units.Volt, 1*units.Amp); err != nil {
//					return err
//				}
//				for !d.Stopping() { // while not stop_test.is_set()
//					if err := d.Phase("measure", measure); err != nil {
//						return err
//					}
//				}
//				return nil
//			})
//		}
//		t.Monitor(harness.Monitor{Name: "faults", Interval: time.Second, Check: checkFaults})
//		return nil
//	})
//
// Run returns only when every goroutine it started has ended (the "how to
// join threads?" of the notes), after the safe-state actions have run,
// exactly once each, in reverse order, each with a fresh bounded context,
// whatever ended the run: success, a fault, a panic, a timeout, SIGINT or
// SIGTERM. Their read-back verification is part of the record; a failed
// one is an error.
package harness
