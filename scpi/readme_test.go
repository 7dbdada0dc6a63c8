package scpi_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// readmeExample is README.md's Go example, word for word between the
// markers: docs' TestREADMEGoExample fails when the two differ, so the
// README shows code that runs.
func readmeExample(ctx context.Context) error {
	// README begin
	s, err := scpi.Open(ctx, "TCPIP0::192.0.2.5::5025::SOCKET")
	if err != nil {
		return err
	}
	defer s.Close()

	id, err := s.QueryIDN(ctx) // scpi.IDN{Manufacturer, Model, Serial, Firmware}
	if err != nil {
		return err
	}
	var v float64
	err = s.Do(ctx, func(tx *scpi.Tx) error { // atomic: nobody else's command in between
		if err := tx.Writef(ctx, "VOLT %v,(@%d)", 5.0, 1); err != nil {
			return err
		}
		v, err = tx.QueryFloat(ctx, "VOLT? (@1)")
		return err
	})
	if err != nil {
		return err
	}
	fmt.Printf("%s channel 1 set to %v V\n", id.Model, v)
	return s.CheckErrors(ctx) // the instrument's error queue, as a typed *scpi.DeviceError
	// README end
}

// The README's example runs against a simulated E36312A at its resource
// string and leaves the instrument's error queue empty (it once left
// -108 "Parameter not allowed" there).
func TestREADMEExample(t *testing.T) {
	t.Setenv(sim.EnvBench, "testdata/readme_bench.yaml")
	ctx := context.Background()
	if err := readmeExample(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := scpi.Open(ctx, "TCPIP0::192.0.2.5::5025::SOCKET")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, err := s.Query(ctx, "SYST:ERR?"); err != nil || got != `+0,"No error"` && got != `0,"No error"` {
		t.Errorf("SYST:ERR? after the README's example: %q, %v; want 0,\"No error\"", got, err)
	}
	if v, err := s.QueryFloat(ctx, "VOLT? (@1)"); err != nil || v != 5 {
		t.Errorf("channel 1 at %v, %v after the example; want 5", v, err)
	}
}
