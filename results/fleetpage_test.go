package results

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results/resultstest"
)

// fleetUnit is a DUT of a scripted run: its slot, serial, part and
// verdict (OutcomeUnknown: the run has not ended for it).
type fleetUnit = resultstest.Unit

// scriptRun writes a run of station software v1.2.3 into s
// (resultstest.WriteRun) and returns its ID.
func scriptRun(t *testing.T, s *Store, at time.Time, name string, units []fleetUnit, open bool) string {
	t.Helper()
	return resultstest.WriteRun(t, s, at, harness.RunInfo{Name: name, Station: "st", Operator: "ada", Software: "v1.2.3"}, units, open)
}

func openStoreT(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Two stations replicated into one PostgreSQL, one of them only in part:
// the fleet snapshot lists both with their exact event counts and
// backlogs, each one's newest run as far as it arrived, and the
// first-pass yield per part by the analytics' rules (Central.Yield).
func TestCentralFleet(t *testing.T) {
	c := openCentral(t)
	ctx := context.Background()
	t0 := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
	pass, fail := harness.OutcomePass, harness.OutcomeFail

	a := openStoreT(t)
	scriptRun(t, a, t0.Add(-2*time.Hour), "yesterday", []fleetUnit{{DUT: "a", Serial: "A0", Part: "P1", Outcome: pass}}, false) // before the yield's since
	scriptRun(t, a, t0, "burn-in", []fleetUnit{{DUT: "a", Serial: "A1", Part: "P1", Outcome: pass}, {DUT: "b", Serial: "A2", Part: "P1", Outcome: fail}}, false)
	openRun := scriptRun(t, a, t0.Add(10*time.Second), "burn-in", []fleetUnit{{DUT: "a", Serial: "A3", Part: "P1", Outcome: 0}, {DUT: "b", Serial: "A4", Part: "P1", Outcome: 0}}, true)
	if _, err := a.NewReplicator(c, ReplicaOptions{Station: "line-1", BatchSize: 7}).Sync(ctx); err != nil {
		t.Fatal(err)
	}

	b := openStoreT(t)
	// A2 passes its retest on line 2: its first pass is still a fail.
	bRun := scriptRun(t, b, t0.Add(20*time.Second), "final", []fleetUnit{{DUT: "w", Serial: "B4", Part: "P2", Outcome: pass}, {DUT: "x", Serial: "B1", Part: "P2", Outcome: pass}, {DUT: "y", Serial: "B2", Part: "P2", Outcome: fail}, {DUT: "z", Serial: "A2", Part: "P1", Outcome: pass}}, false)
	// Line 2 sends all but its last 2 events (the last unit's phase end
	// and its run.ended): a backlog of 2, and its run still running as
	// far as the central database knows.
	evs, last, err := b.outbox(ctx, 0, 1000, 0)
	if err != nil {
		t.Fatal(err)
	}
	token0, err := c.FleetToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sent := evs[:len(evs)-2]
	if _, err := c.Ingest(ctx, Batch{Station: "line-2", Events: sent, Backlog: last - sent[len(sent)-1].Pos}); err != nil {
		t.Fatal(err)
	}
	token1, err := c.FleetToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if token1 == token0 {
		t.Errorf("the fleet token did not change with a batch: %s", token1)
	}
	// A heartbeat of a station whose clock is behind the others' (nothing
	// sent, the same backlog) changes it too.
	if _, err := c.db.ExecContext(ctx, `UPDATE stations SET last_seen_ns = last_seen_ns - 3600000000000 WHERE id = 'line-1'`); err != nil {
		t.Fatal(err)
	}
	token2, err := c.FleetToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if token2 == token1 {
		t.Errorf("the fleet token did not change with a station's last-seen time: %s", token2)
	}
	if _, err := c.db.ExecContext(ctx, `UPDATE stations SET last_seen_ns = last_seen_ns + 3600000000000 WHERE id = 'line-1'`); err != nil {
		t.Fatal(err)
	}

	since := t0.Add(-time.Hour)
	f, err := c.Fleet(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	v := func(x float64) *float64 { return &x }
	want := Fleet{
		Since: since,
		Stations: []FleetStation{{
			ID: "line-1", Backlog: 0, Events: int64(a.Stats().Events), Software: "v1.2.3", Store: a.ID(),
			Run: &FleetRun{ID: openRun, Name: "burn-in", Operator: "ada", Software: "v1.2.3", Started: t0.Add(10*time.Second + time.Millisecond), Outcome: "running", Events: 7,
				Slots: []FleetSlot{
					{DUT: "a", Serial: "A3", Part: "P1", Phase: "load", Attempt: 1, Latest: &FleetMeasurement{Name: "vout", Value: v(5), Unit: "V", Outcome: "pass"}},
					{DUT: "b", Serial: "A4", Part: "P1", Phase: "load", Attempt: 1, Latest: &FleetMeasurement{Name: "vout", Value: v(5), Unit: "V", Outcome: "pass"}},
				}},
		}, {
			ID: "line-2", Backlog: 2, Events: int64(len(sent)), Software: "v1.2.3",
			Run: &FleetRun{ID: bRun, Name: "final", Operator: "ada", Software: "v1.2.3", Started: t0.Add(20*time.Second + time.Millisecond), Outcome: "running", Events: uint64(len(sent)),
				Slots: []FleetSlot{
					{DUT: "w", Serial: "B4", Part: "P2", Phase: "load", Attempt: 1, PhaseOutcome: "pass", Latest: &FleetMeasurement{Name: "vout", Value: v(5), Unit: "V", Outcome: "pass"}},
					{DUT: "x", Serial: "B1", Part: "P2", Phase: "load", Attempt: 1, PhaseOutcome: "pass", Latest: &FleetMeasurement{Name: "vout", Value: v(5), Unit: "V", Outcome: "pass"}},
					{DUT: "y", Serial: "B2", Part: "P2", Phase: "load", Attempt: 1, PhaseOutcome: "fail", Latest: &FleetMeasurement{Name: "vout", Value: v(6), Unit: "V", Outcome: "fail"}, Failed: 1},
					{DUT: "z", Serial: "A2", Part: "P1", Phase: "load", Attempt: 1, Latest: &FleetMeasurement{Name: "vout", Value: v(5), Unit: "V", Outcome: "pass"}},
				}},
		}},
		// Line 2's verdicts have not arrived: P2 has no unit with a
		// verdict yet, and A2's retest does not count.
		Yield: []PartYield{{Part: "P1", Yield: Yield{Units: 2, Passed: 1, Yield: 0.5}}},
	}
	opts := []cmp.Option{cmpopts.IgnoreFields(FleetStation{}, "LastSeen"), cmpopts.EquateApproxTime(0)}
	if diff := cmp.Diff(want, f, opts...); diff != "" {
		t.Errorf("fleet (-want +got):\n%s", diff)
	}
	for _, s := range f.Stations {
		if age := time.Since(s.LastSeen); age < 0 || age > time.Minute {
			t.Errorf("%s: last seen %v, want just now", s.ID, s.LastSeen)
		}
	}

	// The rest of line 2 arrives: its run ends, the verdicts count.
	if _, err := b.NewReplicator(c, ReplicaOptions{Station: "line-2"}).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	f, err = c.Fleet(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	st := f.Stations[1]
	if st.Backlog != 0 || st.Events != int64(b.Stats().Events) || st.Run.Outcome != "fail" || st.Run.Ended == nil {
		t.Errorf("line 2 after catching up: backlog %d, events %d (want %d), run %s", st.Backlog, st.Events, b.Stats().Events, st.Run.Outcome)
	}
	var outcomes []string
	for _, u := range st.Run.Slots {
		outcomes = append(outcomes, u.Outcome)
	}
	if diff := cmp.Diff([]string{"pass", "pass", "fail", "pass"}, outcomes); diff != "" {
		t.Errorf("line 2's verdicts (-want +got):\n%s", diff)
	}
	// P2: B4 and B1 pass, B2 fails (3 units, the most: listed first); P1:
	// A1 passes, A2 failed its first attempt.
	wantYield := []PartYield{{Part: "P2", Yield: Yield{Units: 3, Passed: 2, Yield: 2.0 / 3}}, {Part: "P1", Yield: Yield{Units: 2, Passed: 1, Yield: 0.5}}}
	if diff := cmp.Diff(wantYield, f.Yield); diff != "" {
		t.Errorf("yield per part (-want +got):\n%s", diff)
	}
	// The same numbers as the analytics' yield of each part.
	for _, py := range f.Yield {
		rep, err := c.Yield(ctx, Scope{Part: py.Part, Since: since})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(rep.FirstPass, py.Yield); diff != "" {
			t.Errorf("%s: PartYields differs from Yield (-Yield +PartYields):\n%s", py.Part, diff)
		}
	}

	one, err := c.FleetStation(ctx, "line-1")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(f.Stations[0], one, cmpopts.EquateApproxTime(0)); diff != "" {
		t.Errorf("FleetStation differs from Fleet's (-Fleet +FleetStation):\n%s", diff)
	}
	if _, err := c.FleetStation(ctx, "line-9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown station: %v, want ErrNotFound", err)
	}
}

// A fleet of no station is empty, not an error; a database that has
// gone away is an error, not a hang.
func TestCentralFleetEmptyAndClosed(t *testing.T) {
	c := openCentral(t)
	ctx := context.Background()
	f, err := c.Fleet(ctx, time.Now().Add(-time.Hour))
	if err != nil || len(f.Stations) != 0 || len(f.Yield) != 0 {
		t.Fatalf("an empty fleet: %+v, %v", f, err)
	}
	c.Close()
	if _, err := c.FleetToken(ctx); err == nil {
		t.Error("FleetToken on a closed database: no error")
	}
	if _, err := c.Fleet(ctx, time.Time{}); err == nil {
		t.Error("Fleet on a closed database: no error")
	}
}
