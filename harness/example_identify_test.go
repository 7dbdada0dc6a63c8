package harness_test

import (
	"context"
	"fmt"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
)

// A DUT that speaks SCPI names itself: its *IDN? reply identifies the
// unit in the run's record (serial, part, manufacturer and firmware).
// Here the DUT is the simulator's SAMPLE instrument.
func ExampleUnitFromIDN() {
	board := sim.MustNew("SAMPLE")
	defer board.Close()
	s := scpi.NewSession(board.Conn())
	defer s.Close()

	rec, err := harness.Run(context.Background(), "identify", func(t *harness.Test) error {
		t.DUT("slot-1", func(d *harness.DUTRun) error {
			id, err := s.QueryIDN(d.Context())
			if err != nil {
				return err
			}
			return d.Identify(harness.UnitFromIDN(id))
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		fmt.Println(err)
		return
	}
	u := rec.DUTs[0].Unit
	fmt.Println(u.Serial, u.Part, u.Metadata)
	// Output: SIM000001 SAMPLE map[firmware:1.0 manufacturer:scpikit]
}
