package harness_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/units"
	"go.uber.org/goleak"
)

// TestRunsAlwaysEndSafely injects, over many seeds, faults, panics,
// cancellations and graceful stops at random moments. Every time: Run
// returns, no goroutine is left, every supply output ends off (read back
// from the simulated instruments) and every measurement taken is in the
// record. The record is the fold of the events the sink was given.
func TestRunsAlwaysEndSafely(t *testing.T) {
	seeds := 60
	if testing.Short() {
		seeds = 10
	}
	for seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			rng := rand.New(rand.NewPCG(uint64(seed), 7))
			duts := 1 + rng.IntN(4)
			st := newStation(t, duts)
			ctx, cancel := context.WithCancel(bg)
			defer cancel()
			var taken atomic.Int32
			sink := &captureSink{}
			// What goes wrong, and when (in measurements of the DUT).
			what := rng.IntN(6)
			victim, at := rng.IntN(duts), 1+rng.IntN(30)
			rec, err := harness.Run(ctx, "property", func(tt *harness.Test) error {
				for _, psu := range st.psus {
					tt.SupplySafeState(psu)
				}
				for i, s := range st.slots {
					tt.DUT(fmt.Sprintf("dut-%d", i), func(d *harness.DUTRun) error {
						if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 1*units.Amp); err != nil {
							return err
						}
						for n := 1; !d.Stopping(); n++ {
							err := d.Phase("step", func(ctx context.Context) error {
								v, err := s.psu.MeasureVoltage(ctx, s.channel)
								if err != nil {
									return err
								}
								taken.Add(1)
								return d.Measure("voltage", v, harness.Between(11, 13))
							})
							if err != nil {
								return err
							}
							if i == victim && n == at {
								switch what {
								case 0:
									panic("injected panic")
								case 1:
									tt.Fault(&harness.Fault{Source: "injected", DUT: d.Name(), Message: "isolate"}, harness.IsolateDUT)
								case 2:
									tt.Fault(&harness.Fault{Source: "injected", DUT: d.Name(), Message: "stop all"}, harness.StopAll)
								case 3:
									cancel() // the caller gives up
								case 4:
									tt.StopGracefully(errors.New("operator"))
								case 5:
									return errors.New("injected error")
								}
							}
							if n >= 40 {
								tt.StopGracefully(nil)
							}
						}
						return nil
					})
				}
				return nil
			}, harness.WithoutSignals(), harness.WithGracePeriod(time.Second), harness.WithSink(sink))
			if diff := cmp.Diff(rec, harness.Replay(sink.all()), recordCmp...); diff != "" {
				t.Fatalf("the record is not the fold of its events (-live +replayed):\n%s", diff)
			}
			if on := st.outputsOn(); len(on) > 0 {
				t.Fatalf("outputs left on: %v (err %v)", on, err)
			}
			if errors.Is(err, harness.ErrUnsafe) {
				t.Fatalf("safe state failed: %v", err)
			}
			if got := len(rec.Measurements()); int32(got) != taken.Load() {
				t.Fatalf("%d measurements taken, %d in the record", taken.Load(), got)
			}
			for _, s := range rec.SafeState {
				if !s.Verified {
					t.Fatalf("unverified: %+v", s)
				}
			}
		})
	}
}
