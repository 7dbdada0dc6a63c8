package harness_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/scpikit/scpikit/harness"
)

// The notes' stop_test = threading.Event(): a checker sets it with a
// cause, the main loop ends at its next step, and the safe state runs.
func ExampleTest_Stop() {
	steps := 0
	rec, err := harness.Run(context.Background(), "event", func(t *harness.Test) error {
		t.OnSafeState(harness.SafeState{Name: "turn_off_powersupply", Run: func(context.Context) error {
			fmt.Println("power supply off")
			return nil
		}})
		t.Go("check_faults", func(ctx context.Context) error {
			t.Fault(&harness.Fault{Source: "check_faults", DUT: "dut-1", Message: "faulted"}, harness.StopGracefully)
			return nil
		})
		for !t.Stopped() { // while not stop_test.is_set()
			steps++ // do_something()
		}
		return nil
	}, harness.WithoutSignals())
	fmt.Println("stopped:", rec.StopCause)
	var f *harness.Fault
	fmt.Println("caused by:", errors.As(err, &f), f.DUT)
	// Output:
	// power supply off
	// stopped: harness: fault from check_faults on dut-1: faulted
	// caused by: true dut-1
}

// "How to join threads?": Run returns only when every goroutine it
// started has ended.
func ExampleRun() {
	var finished atomic.Int32
	harness.Run(context.Background(), "join", func(t *harness.Test) error {
		for range 3 {
			t.Go("worker", func(ctx context.Context) error {
				<-t.Stopping() // works until told to stop
				finished.Add(1)
				return nil
			})
		}
		t.StopGracefully(nil)
		return nil
	}, harness.WithoutSignals())
	fmt.Println("workers finished:", finished.Load())
	// Output: workers finished: 3
}

// The notes' Lock around power_supply.set_current, for resources that
// span instruments: several locks at once, in a fixed order, so no two
// goroutines deadlock.
func ExampleLocks() {
	locks := harness.NewLocks()
	var wg sync.WaitGroup
	shared := 0
	for g := range 4 {
		wg.Go(func() {
			names := []string{"mux", "dmm"}
			if g%2 == 1 {
				names = []string{"dmm", "mux"} // the other order: still safe
			}
			unlock, err := locks.Lock(context.Background(), names...)
			if err != nil {
				return
			}
			defer unlock()
			shared++ // select the mux channel, then read the DMM
		})
	}
	wg.Wait()
	fmt.Println(shared)
	// Output: 4
}

// The notes' Semaphore: at most two DUTs in power-up inrush at once.
func ExampleSemaphore() {
	inrush := harness.NewSemaphore(2)
	var inside, most atomic.Int32
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			inrush.Acquire(context.Background())
			defer inrush.Release()
			n := inside.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			inside.Add(-1)
		})
	}
	wg.Wait()
	fmt.Println("at most", most.Load() <= 2)
	// Output: at most true
}

// The notes' Condition: wait until every DUT is powered.
func ExampleCondition() {
	powered := harness.NewCondition()
	var mu sync.Mutex
	var ready []string
	var wg sync.WaitGroup
	for _, dut := range []string{"dut-1", "dut-2", "dut-3"} {
		wg.Go(func() {
			mu.Lock()
			ready = append(ready, dut)
			mu.Unlock()
			powered.Broadcast() // notify()
		})
	}
	err := powered.Wait(context.Background(), func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(ready) == 3
	})
	wg.Wait()
	sort.Strings(ready)
	fmt.Println(ready, err)
	// Output: [dut-1 dut-2 dut-3] <nil>
}
