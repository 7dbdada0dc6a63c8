// Package inner is the test that hwtest's own tests run in another
// process, as go test would, on a supply the outer test serves: each
// scenario (HWTEST_SCENARIO) ends a different way, and the outer test
// reads the supply's outputs back afterwards.
package inner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/harness/hwtest"
	"github.com/scpikit/scpikit/units"
)

func TestMain(m *testing.M) { hwtest.Main(m) }

func TestBench(t *testing.T) {
	resource := os.Getenv("HWTEST_SUPPLY")
	if resource == "" {
		t.Skip("run by hwtest's own tests, in a process of its own")
	}
	scenario := os.Getenv("HWTEST_SCENARIO")
	st := hwtest.NewStation(t, nil)
	// "together": each DUT waits, once powered, until the other is too:
	// it ends only if both run at the same time.
	var powered sync.WaitGroup
	powered.Add(2)
	bothPowered := make(chan struct{})
	go func() { powered.Wait(); close(bothPowered) }()
	hwtest.Run(t, st, func(r *hwtest.R) error {
		psu, err := r.Supply(resource)
		if err != nil {
			return err
		}
		if scenario == "setup-panic" {
			// An output on, then the setup falls over before any DUT starts.
			if err := psu.SetOutput(r.Context(), 1, true); err != nil {
				return err
			}
			panic("the station file is wrong")
		}
		if scenario == "setup-fatal" {
			// As a test author would by habit: t.Fatal off the test's
			// goroutine, with an output on.
			if err := psu.SetOutput(r.Context(), 1, true); err != nil {
				return err
			}
			r.T().Fatal("the fixture is not closed")
		}
		if scenario == "monitor-fatal" {
			r.Test().Monitor(harness.Monitor{Name: "lid switch", DUT: "dut-2", Interval: 10 * time.Millisecond,
				Policy: harness.IsolateDUT, Check: func(ctx context.Context) error {
					if on, err := psu.Output(ctx, 2); err != nil || !on {
						return err
					}
					r.T().Fatal("the lid is open")
					return nil
				}})
		}
		if scenario == "fault" {
			r.Test().Monitor(harness.Monitor{Name: "overtemperature", DUT: "dut-2", Interval: 10 * time.Millisecond,
				Policy: harness.IsolateDUT, Check: func(ctx context.Context) error {
					if on, err := psu.Output(ctx, 2); err != nil || !on {
						return err
					}
					return errors.New("DUT reports overtemperature")
				}})
		}
		if scenario == "duplicate" {
			// A slot declared twice: the harness refuses the second.
			r.DUT("dut-1", func(t *testing.T, d *hwtest.DUT) {})
		}
		for ch := 1; ch <= 2; ch++ {
			r.DUT(fmt.Sprintf("dut-%d", ch), func(t *testing.T, d *hwtest.DUT) {
				if err := d.PowerOn(d.Context(), psu, ch, 12*units.Volt, units.Amp); err != nil {
					t.Fatal(err)
				}
				if scenario == "together" {
					powered.Done()
					select {
					case <-bothPowered:
					case <-d.Context().Done():
						t.Fatalf("the other DUT never ran at the same time as %s: %v", d.Name(), context.Cause(d.Context()))
					}
					// Long enough that the test's time shows whether it
					// counts the DUTs' (the loop is paced by the clock,
					// nothing waits on it).
					for start := time.Now(); time.Since(start) < 150*time.Millisecond; {
						if _, err := psu.MeasureCurrent(d.Context(), ch); err != nil {
							t.Fatal(err)
						}
					}
				}
				band := harness.Between(0.2, 0.8)
				if (scenario == "limit" || scenario == "failfast") && ch == 2 {
					band = harness.Between(0.6, 0.8)
				}
				d.Phase("current", func(ctx context.Context) error {
					i, err := psu.MeasureCurrent(ctx, ch)
					if err != nil {
						return err
					}
					return d.Measure("current", i, band)
				})
				switch {
				case scenario == "panic" && ch == 2:
					panic("the fixture fell over")
				case scenario == "fault" && ch == 2, scenario == "monitor-fatal" && ch == 2, scenario == "failfast" && ch == 1, scenario == "hang":
					<-d.Context().Done() // until a fault, the -timeout or SIGINT
				}
			})
		}
		return nil
	})
}
