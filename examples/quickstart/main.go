// Command quickstart is a small bench test against a simulated two-channel
// source: identification, concurrent set-and-read-back from several
// goroutines, a measurement through the supply's constant-current
// crossover, a slow reply that times out and whose late answer the
// session discards, a binary trace and the error queue.
//
//	go run ./examples/quickstart                # simulated, in process
//	scpisim serve SAMPLE &                      # or a simulator on TCP 5025...
//	go run ./examples/quickstart -sim=false     # ...reached like real hardware
//
// The program opens the same resource string either way: only -sim
// decides whether a simulated bench stands in for it.
package main

import (
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

func main() {
	resource := flag.String("resource", "TCPIP0::127.0.0.1::5025::SOCKET", "the instrument (a SAMPLE-compatible SCPI source)")
	simulate := flag.Bool("sim", true, "simulate the instrument in process instead of opening -resource")
	flag.Parse()
	if err := run(*resource, *simulate); err != nil {
		log.Fatal(err)
	}
}

func run(resource string, simulate bool) error {
	ctx := context.Background()
	// Warnings and errors to the millisecond, coloured only on a terminal.
	logger := harness.NewConsole(os.Stderr).Logger().Level(zerolog.WarnLevel)
	opts := []scpi.Option{scpi.WithLogger(logger), scpi.WithTimeout(2 * time.Second)}

	var supply *sim.Instrument
	if simulate {
		// A bench stands in for the resource string: in process, no socket.
		bench := sim.NewBench()
		defer bench.Close()
		supply = sim.MustNew("SAMPLE")
		if err := bench.Add(resource, supply); err != nil {
			return err
		}
		opts = append(opts, scpi.WithTransportOptions(bench.TransportOption()))
	}
	s, err := scpi.Open(ctx, resource, opts...)
	if err != nil {
		return err
	}
	defer s.Close()

	id, err := s.QueryIDN(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s %s, serial %s (simulated: %v)\n", resource, id.Manufacturer, id.Model, id.Serial, simulate)
	if err := s.Reset(ctx); err != nil {
		return err
	}

	// Four goroutines share one session; Do makes each set-then-read-back
	// atomic, so none sees another's setting.
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 4 {
		wg.Go(func() {
			ch := g%2 + 1
			for i := range 25 {
				want := float64(g) + float64(i)/10
				err := s.Do(ctx, func(tx *scpi.Tx) error {
					if err := tx.Writef(ctx, "SOUR%d:VOLT %v", ch, want); err != nil {
						return err
					}
					got, err := tx.QueryFloat(ctx, fmt.Sprintf("SOUR%d:VOLT?", ch))
					if err == nil && got != want {
						err = fmt.Errorf("channel %d read back %v after setting %v", ch, got, want)
					}
					return err
				})
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return err
	}
	fmt.Println("4 goroutines x 25 atomic set/read-back pairs: all consistent")

	// 5 V into the 10 ohm load wants 0.5 A; with a 0.2 A limit the output
	// crosses over to constant current.
	if err := s.Write(ctx, "VOLT 5;CURR 0.2;:OUTP ON"); err != nil {
		return err
	}
	vi, err := s.QueryFloats(ctx, "MEAS:VOLT?;CURR?")
	if err != nil {
		return err
	}
	fmt.Printf("measured %.3f V, %.3f A (current-limited at 0.2 A)\n", vi[0], vi[1])

	if supply != nil {
		// A slow instrument: the reply comes after the caller gave up; the
		// session discards it before the next exchange (see the warning).
		supply.SetFaults(sim.Faults{Latency: 150 * time.Millisecond})
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		_, err = s.Query(short, "MEAS:VOLT?")
		cancel()
		fmt.Println("slow query:", err, "| errors.Is(err, scpi.ErrTimeout):", errors.Is(err, scpi.ErrTimeout))
		supply.SetFaults(sim.Faults{})
		v, err := s.QueryFloat(ctx, "SOUR2:VOLT?")
		if err != nil {
			return err
		}
		fmt.Printf("the next query got its own answer: %v V\n", v)
	}

	if err := s.Write(ctx, "TRAC:POIN 1000;:FORM REAL,32;:FORM:BORD SWAP"); err != nil {
		return err
	}
	trace, err := scpi.QueryValues[float32](ctx, s, "TRAC:DATA?", binary.LittleEndian)
	if err != nil {
		return err
	}
	fmt.Printf("binary trace: %d float32 points, peak %.3f at point %d\n", len(trace), trace[250], 250)

	if err := s.Write(ctx, "VOLT 50"); err != nil {
		return err
	}
	var de *scpi.DeviceError
	if err := s.CheckErrors(ctx); errors.As(err, &de) {
		fmt.Printf("the instrument refused VOLT 50: %d %q\n", de.Code, de.Message)
	}
	if err := s.Write(ctx, "OUTP OFF;:OUTP2 OFF"); err != nil {
		return err
	}
	on, err := s.QueryBool(ctx, "OUTP?")
	if err != nil {
		return err
	}
	fmt.Println("outputs off:", !on)
	return nil
}
