// Package hwtest runs the harness inside go test: a hardware test is an
// ordinary Test function, its DUTs are subtests that all run at once
// (however small go test's -parallel), its phases are
// subtests below them, a measurement out of its limits fails the subtest
// that took it, and the safe state (every supply output off, read back)
// runs and is verified whatever ends the test: a pass, a failure, a fault,
// a panic, the -timeout, or Ctrl-C.
//
//	func TestBurnIn(t *testing.T) {
//		st := hwtest.NewStation(t, benchYAML) // simulated unless SCPIKIT_HARDWARE=1
//		hwtest.Run(t, st, func(r *hwtest.R) error {
//			psu, err := r.Supply("TCPIP0::dp832.bench.example::5555::SOCKET")
//			if err != nil {
//				return err
//			}
//			r.DUT("dut-1", func(t *testing.T, d *hwtest.DUT) {
//				if err := d.PowerOn(d.Context(), psu, 1, 12*units.Volt, units.Amp); err != nil {
//					t.Fatal(err)
//				}
//				d.Phase("current", func(ctx context.Context) error { ... })
//			})
//			return nil
//		})
//	}
//
// The station comes from the environment, so go test ./... passes with no
// hardware: by default the bench the test passes in (a sim bench file) is
// simulated in process, fresh for each test; SCPIKIT_SIM=bench.yaml
// simulates another bench file instead; SCPIKIT_HARDWARE=1 opens the real
// instruments the resource strings name. Environment variables rather than
// flags because go test ./... hands its flags to every package's test
// binary, and the ones that do not import hwtest would reject them.
//
// SCPIKIT_STORE=station.db keeps each run in that station store, every
// measurement durable as it is taken (see package results; cmd/station
// reads it back); without it go test writes no store. With it,
// SCPIKIT_DB=postgres://... also replicates the store to the fleet's
// central database as the run goes (package results, docs/fleet.md).
//
// SCPIKIT_REPORTS=dir asks for the reports: with TestMain calling Main,
// one JSON, JUnit XML and HTML report for the whole package run.
package hwtest
