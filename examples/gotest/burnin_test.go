// Package gotest is the burn-in of examples/burnin written as Go tests:
// each DUT is a parallel subtest, each measurement a phase subtest, and the
// supplies go off at the end whatever happens.
//
//	go test ./examples/gotest/ -v                       # on the simulated bench
//	SCPIKIT_GOTEST_FAULT=dut-2 go test ./examples/gotest/ # dut-2 overheats: see the failure
//	SCPIKIT_REPORTS=reports go test ./examples/gotest/    # and write the reports
//	SCPIKIT_HARDWARE=1 go test ./examples/gotest/         # on the real bench
package gotest

import (
	"context"
	_ "embed"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/harness/hwtest"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
)

//go:embed bench.yaml
var benchYAML []byte

// The station: which supply output powers which DUT, and the DUT consoles.
var (
	supplies = map[string]string{
		"rigol":    "TCPIP0::dp832.bench.example::5555::SOCKET",
		"keysight": "TCPIP0::e36312a.bench.example::5025::SOCKET",
	}
	duts = []struct {
		name, console, supply string
		channel               int
	}{
		{"dut-1", "ASRL/dev/ttyUSB0::INSTR", "rigol", 1},
		{"dut-2", "ASRL/dev/ttyUSB1::INSTR", "rigol", 2},
		{"dut-3", "ASRL/dev/ttyUSB2::INSTR", "keysight", 2},
		{"dut-4", "ASRL/dev/ttyUSB3::INSTR", "keysight", 3},
	}
	currentBand = harness.Between(0.2, 0.8) // amperes
)

// EnvFault names the DUT the simulation makes overheat part-way, so the
// failure output can be seen; unset, every DUT passes.
const EnvFault = "SCPIKIT_GOTEST_FAULT"

func TestMain(m *testing.M) { hwtest.Main(m) }

func TestBurnIn(t *testing.T) {
	st := hwtest.NewStation(t, benchYAML)
	hwtest.Run(t, st, func(r *hwtest.R) error {
		psus := map[string]instruments.PowerSupply{}
		for name, res := range supplies {
			psu, err := r.Supply(res) // its safe state is registered here
			if err != nil {
				return err
			}
			psus[name] = psu
		}
		for _, sd := range duts {
			psu := psus[sd.supply]
			r.DUT(sd.name, func(t *testing.T, d *hwtest.DUT) {
				if err := d.PowerOn(d.Context(), psu, sd.channel, 12*units.Volt, units.Amp); err != nil {
					t.Fatal(err)
				}
				dut := boot(t, d, r, sd.console)
				// check_faults: a fault isolates this DUT and fails its subtest.
				r.Test().Monitor(harness.Monitor{Name: "check_faults", DUT: sd.name, Interval: 50 * time.Millisecond,
					Policy: harness.IsolateDUT, Check: func(ctx context.Context) error {
						f, err := dut.FaultStatus(ctx)
						if err == nil && f.Code != 0 {
							return errors.New("DUT reports " + f.String())
						}
						return err
					}})
				faulting := false
				if name := os.Getenv(EnvFault); name == sd.name && st.Bench() != nil {
					board, _ := st.Bench().Named(name)
					if err := board.Inject(sim.TimedFault{Fault: "overtemperature", After: 200 * time.Millisecond}); err != nil {
						t.Fatal(err)
					}
					faulting = true
				}
				// do_something, ten times, or until the DUT is stopped. The
				// DUT made to fault goes on until its monitor has found the
				// fault (the point of the demonstration), however slow the
				// machine, up to a minute.
				for i := 0; (i < 10 || faulting && i < 1200) && !d.Stopping(); i++ {
					d.Phase("measure", func(ctx context.Context) error {
						i, err := psu.MeasureCurrent(ctx, sd.channel)
						if err != nil {
							return err
						}
						v, err := psu.MeasureVoltage(ctx, sd.channel)
						if err != nil {
							return err
						}
						if err := d.Measure("current", i, currentBand); err != nil {
							return err
						}
						return d.Measure("voltage", v, harness.Between(11.9, 12.1))
					})
					select {
					case <-d.Context().Done():
					case <-time.After(50 * time.Millisecond): // the burn-in's pace
					}
				}
			})
		}
		return nil
	})
}

// boot waits for the DUT's console to answer and its self-test to pass.
// It is a harness phase but not a subtest: every later phase needs it, so
// go test -run must not leave it out.
func boot(t *testing.T, d *hwtest.DUT, r *hwtest.R, console string) instruments.DUT {
	var dut instruments.DUT
	err := d.DUTRun.Phase("boot", func(ctx context.Context) error {
		for {
			var err error
			if dut == nil {
				probe, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
				var inst instruments.Instrument
				inst, err = r.Station().Open(probe, console)
				cancel()
				if err == nil {
					dut = inst.(instruments.DUT)
					r.Test().Cleanup(func() { inst.Close() })
				}
			}
			if dut != nil {
				if err = dut.SelfTest(ctx); err == nil {
					return nil
				}
			}
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(20 * time.Millisecond): // poll the booting board
			}
		}
	}, harness.Timeout(5*time.Second))
	if err != nil {
		t.Fatalf("%s did not boot: %v", d.Name(), err)
	}
	return dut
}
