package harness_test

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
)

// A DUT that reports its own fault (a simulated board publishing it, as a
// real instrument raises a service request) is isolated at once: the
// monitor has no polling interval at all.
func TestEventMonitorReactsWithoutPolling(t *testing.T) {
	st := newStation(t, 2)
	faults := make(chan sim.Event, 4)
	unsubscribe := st.slots[0].board.Subscribe(faults)
	defer unsubscribe()
	events := make(chan error, 4)
	go func() {
		for e := range faults {
			events <- errors.New(e.String())
		}
		close(events)
	}()
	defer close(faults)
	aIsolated := make(chan struct{})
	rec, err := harness.Run(bg, "events", func(tt *harness.Test) error {
		for i, s := range st.slots {
			name := []string{"a", "b"}[i]
			tt.DUT(name, func(d *harness.DUTRun) error {
				if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 1*units.Amp); err != nil {
					return err
				}
				if i == 0 {
					tt.Monitor(harness.Monitor{Name: "board events", DUT: "a", Events: events, Policy: harness.IsolateDUT})
					if _, err := st.openDUT(d.Context(), 0); err != nil {
						return err
					}
					s.board.Inject(sim.TimedFault{Fault: "overcurrent"})
					<-d.Context().Done() // isolated by the event, not by a poll
					close(aIsolated)
					return nil
				}
				for !d.Stopping() {
					select {
					case <-d.Test().Context().Done():
					case <-time.After(time.Millisecond):
					}
					select {
					case <-aIsolated:
						if len(st.outputsOn()) == 1 { // a's output is off: b ran on alone
							d.Test().StopGracefully(nil)
						}
					default: // a may not even be powered yet
					}
				}
				return nil
			})
		}
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Faults) != 1 || rec.Faults[0].DUT != "a" || rec.Faults[0].Message != "DUT fault: overcurrent" {
		t.Fatalf("faults %+v", rec.Faults)
	}
	if on := st.outputsOn(); len(on) > 0 {
		t.Fatalf("outputs on: %v", on)
	}
}

// SIGTERM stops a run that watches signals, and the safe state runs.
func TestSIGTERMRunsTheSafeState(t *testing.T) {
	st := newStation(t, 1)
	s := st.slots[0]
	rec, err := harness.Run(bg, "sigterm", func(tt *harness.Test) error {
		tt.DUT("board", func(d *harness.DUTRun) error {
			if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, 1*units.Amp); err != nil {
				return err
			}
			p, _ := os.FindProcess(os.Getpid())
			p.Signal(syscall.SIGTERM)
			<-d.Context().Done()
			return nil
		})
		return nil
	}, harness.WithSafeStateTimeout(5*time.Second))
	if err == nil || rec.StopCause != "harness: terminated received" {
		t.Fatalf("err %v, cause %q", err, rec.StopCause)
	}
	if on := st.outputsOn(); len(on) > 0 {
		t.Fatalf("outputs on after SIGTERM: %v", on)
	}
}

// UnitFromIDN maps an *IDN? reply to a unit's identity; "0", the serial
// of an instrument that has none, and empty fields are left out, so that
// merging it never erases what was known.
func TestUnitFromIDN(t *testing.T) {
	for _, tc := range []struct {
		id   scpi.IDN
		want harness.Unit
	}{
		{scpi.IDN{Manufacturer: "Acme", Model: "PSU-9", Serial: "A123", Firmware: "2.1"},
			harness.Unit{Serial: "A123", Part: "PSU-9", Metadata: map[string]string{"manufacturer": "Acme", "firmware": "2.1"}}},
		{scpi.IDN{Manufacturer: "Acme", Model: " PSU-9 ", Serial: "0", Firmware: ""},
			harness.Unit{Part: "PSU-9", Metadata: map[string]string{"manufacturer": "Acme"}}},
		{scpi.IDN{}, harness.Unit{}},
	} {
		got := harness.UnitFromIDN(tc.id)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("UnitFromIDN(%q) (-want +got):\n%s", tc.id, diff)
		}
		known := harness.Unit{Serial: "LABEL-7", Part: "P"}
		if tc.id.Serial == "0" && known.Merge(got).Serial != "LABEL-7" {
			t.Errorf("a serial of 0 replaced the known one: %+v", known.Merge(got))
		}
	}
}
