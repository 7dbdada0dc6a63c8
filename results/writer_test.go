package results

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
)

// A run the store lost still ends: its run.ended is refused like the
// rest of it, and the writer forgets the run then (its lost mark, its
// units), so a station that loses runs does not grow for its life.
func TestLostRunForgottenAtItsEnd(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run, other := harness.NewRunID(time.Now()), harness.NewRunID(time.Now())
	for _, r := range []string{run, other} {
		for _, e := range []harness.Event{
			{Run: r, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "r"}},
			{Run: r, Seq: 2, Time: time.Now(), Kind: harness.EventDUTStarted, DUT: "d", Unit: &harness.Unit{Serial: "A"}},
		} {
			if err := <-s.Emit(e); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A time JSON cannot hold: the event cannot be encoded, the run is lost.
	bad := harness.Event{Run: run, Seq: 3, Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Kind: harness.EventMeasurement, DUT: "d",
		Measurement: &harness.Measurement{DUT: "d", Name: "v", Value: 1}}
	if err := <-s.Emit(bad); err == nil {
		t.Fatal("an event that cannot be encoded was stored")
	}
	if err := <-s.Emit(harness.Event{Run: run, Seq: 4, Time: time.Now(), Kind: harness.EventRunEnded, End: &harness.RunEnd{}}); err == nil {
		t.Fatal("the lost run's end was stored")
	}
	s.Close() // the writer has ended: its state can be read
	type held struct {
		Lost  []string
		Units [][2]string
	}
	var got held
	for r := range s.w.lost {
		got.Lost = append(got.Lost, r)
	}
	for k := range s.w.units {
		got.Units = append(got.Units, k)
	}
	if diff := cmp.Diff(held{Units: [][2]string{{other, "d"}}}, got); diff != "" {
		t.Fatalf("the writer still holds (-want +got):\n%s", diff)
	}
}
