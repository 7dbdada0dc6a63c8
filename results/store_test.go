package results_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
	"github.com/scpikit/scpikit/units"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(killChild())
	}
	if path := os.Getenv(fsyncChildEnv); path != "" {
		os.Exit(fsyncChild(path))
	}
	if path := os.Getenv(liveChildEnv); path != "" {
		os.Exit(liveChild(path))
	}
	goleak.VerifyTestMain(m)
}

// recordCmp compares records as stored: a fault's Go error is not kept.
var recordCmp = []cmp.Option{cmpopts.IgnoreUnexported(harness.DUTRecord{}, harness.PhaseRecord{}),
	cmpopts.IgnoreFields(harness.Fault{}, "Err"), cmpopts.EquateNaNs()}

func openStore(t testing.TB, path string) *results.Store {
	t.Helper()
	s, err := results.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// A run written to the store comes back as the record the harness
// returned: every kind of event, NaN values and arrays included.
func TestStoredRunIsTheRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	store := openStore(t, path)
	defer store.Close()
	info := harness.RunInfo{Station: "bench-7", Operator: "ada", Batch: "WO-1138", Config: map[string]string{"limits": "rev B"}}
	rec, err := harness.Run(context.Background(), "round trip", func(tt *harness.Test) error {
		tt.DUT("slot-1", func(d *harness.DUTRun) error {
			if err := d.Identify(harness.Unit{Serial: "SN-0001", Metadata: map[string]string{"firmware": "1.2"}}); err != nil {
				return err
			}
			return d.Phase("rails", func(ctx context.Context) error {
				if err := d.Measure("3V3", 3.31*units.Volt, harness.Equals(3.3, 0.1), harness.Resolution(0.001)); err != nil {
					return err
				}
				if err := d.Measure("overload", units.Value(math.NaN(), "Ω"), harness.None()); err != nil {
					return err
				}
				if err := d.Measure("leakage", 2*units.Microamp, harness.AtMost(1e-6)); err != nil {
					return err
				}
				return d.MeasureWaveform("ripple", harness.Waveform{Unit: "V", Values: []float64{0.01, 0.03, -0.02},
					Axis: harness.Axis{Name: "time", Unit: "s", Step: 1e-6}}, harness.Between(-0.05, 0.05))
			})
		}, harness.WithUnit(harness.Unit{Part: "PN-42", Slot: "A1"}))
		tt.DUT("slot-2", func(d *harness.DUTRun) error {
			if err := d.Attach("console.txt", "text/plain", []byte("boot ok\n")); err != nil {
				return err
			}
			return errors.New("no answer on the console")
		}, harness.WithUnit(harness.Unit{Serial: "SN-0002"}))
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store), harness.WithRunInfo(info))
	if err != nil {
		t.Fatal(err)
	}
	if rec.DUTs[0].Unit.Serial != "SN-0001" || rec.DUTs[0].Unit.Part != "PN-42" || rec.Station != "bench-7" {
		t.Fatalf("identity not recorded: %+v %+v", rec.DUTs[0].Unit, rec)
	}
	ctx := context.Background()
	stored, err := store.Record(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, stored, recordCmp...); diff != "" {
		t.Fatalf("the stored record differs (-returned +stored):\n%s", diff)
	}
	// The same from another process's view: a fresh open of the file.
	again := openStore(t, path)
	defer again.Close()
	stored, err = again.Record(ctx, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rec, stored, recordCmp...); diff != "" {
		t.Fatalf("the stored record differs on reopening (-returned +stored):\n%s", diff)
	}

	runs, err := again.Runs(ctx, results.Filter{Serial: "SN-0002"})
	if err != nil {
		t.Fatal(err)
	}
	want := []results.UnitSummary{{DUT: "slot-1", Serial: "SN-0001", Part: "PN-42"}, {DUT: "slot-2", Serial: "SN-0002"}}
	if len(runs) != 1 || runs[0].ID != rec.ID || runs[0].Outcome != "error" || runs[0].Operator != "ada" {
		t.Fatalf("runs: %+v", runs)
	}
	if diff := cmp.Diff(want, runs[0].Units); diff != "" {
		t.Fatalf("units (-want +got):\n%s", diff)
	}
	if runs, _ := again.Runs(ctx, results.Filter{Serial: "SN-9999"}); len(runs) != 0 {
		t.Fatalf("a serial no run tested found %v", runs)
	}

	var out bytes.Buffer
	if err := again.ExportCSV(ctx, &out, results.Filter{}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&out).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+4 {
		t.Fatalf("%d CSV rows, want a header and 4:\n%s", len(rows), out.String())
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	got := [][]string{}
	for _, r := range rows[1:] {
		got = append(got, []string{r[col["serial"]], r[col["measurement"]], r[col["value"]], r[col["points"]], r[col["unit"]],
			r[col["comparator"]], r[col["low"]], r[col["high"]], r[col["nominal"]], r[col["outcome"]]})
	}
	wantRows := [][]string{
		{"SN-0001", "3V3", "3.31", "", "V", "equals", "3.1999999999999997", "3.4", "3.3", "pass"},
		{"SN-0001", "overload", "NaN", "", "Ω", "none", "", "", "", "pass"},
		{"SN-0001", "leakage", "2e-06", "", "A", "at_most", "", "1e-06", "", "fail"},
		{"SN-0001", "ripple", "0.01", "3", "V", "between", "-0.05", "0.05", "", "pass"},
	}
	if diff := cmp.Diff(wantRows, got); diff != "" {
		t.Fatalf("CSV (-want +got):\n%s", diff)
	}
}

// A run its process left unfinished is closed as aborted on the next
// open: its DUTs still running are aborted, the time is its last event's.
func TestUnfinishedRunClosedAsAborted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	store := openStore(t, path)
	id := harness.NewRunID(time.Now())
	at := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	v := func(x float64) *float64 { return &x }
	events := []harness.Event{
		{Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "crashed"}},
		{Kind: harness.EventDUTStarted, DUT: "done", Unit: &harness.Unit{Serial: "A"}},
		{Kind: harness.EventDUTStarted, DUT: "busy", Unit: &harness.Unit{Serial: "B"}},
		{Kind: harness.EventPhaseStarted, DUT: "done", Phase: &harness.PhaseEvent{Name: "p", Attempt: 1}},
		{Kind: harness.EventPhaseEnded, DUT: "done", Phase: &harness.PhaseEvent{Name: "p", Attempt: 1}},
		{Kind: harness.EventDUTEnded, DUT: "done"},
		{Kind: harness.EventPhaseStarted, DUT: "busy", Phase: &harness.PhaseEvent{Name: "p", Attempt: 1}},
		{Kind: harness.EventMeasurement, DUT: "busy", Measurement: &harness.Measurement{DUT: "busy", Phase: "p", Attempt: 1, Name: "v", Value: 1,
			Unit: "V", Limit: harness.LimitSpec{Comparator: harness.CompareAtMost, High: v(2)}}},
	}
	var acks []<-chan error
	for i := range events {
		events[i].Run, events[i].Seq, events[i].Time = id, uint64(i+1), at.Add(time.Duration(i)*time.Second)
		acks = append(acks, store.Emit(events[i]))
	}
	for _, ack := range acks {
		if err := <-ack; err != nil {
			t.Fatal(err)
		}
	}
	store.Close()
	setOwner(t, path, id, deadOwner(t))

	store = openStore(t, path)
	defer store.Close()
	if n := store.Stats().Recovered; n != 1 {
		t.Fatalf("recovered %d runs, want 1", n)
	}
	rec, err := store.Record(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Recovered || rec.Outcome != harness.OutcomeAborted || rec.StopCause != harness.StationStopped || !rec.Ended.Equal(events[len(events)-1].Time) {
		t.Fatalf("run: recovered %v outcome %v cause %q ended %v", rec.Recovered, rec.Outcome, rec.StopCause, rec.Ended)
	}
	got := map[string]harness.Outcome{}
	for _, d := range rec.DUTs {
		got[d.Name] = d.Outcome
	}
	if diff := cmp.Diff(map[string]harness.Outcome{"done": harness.OutcomePass, "busy": harness.OutcomeAborted}, got); diff != "" {
		t.Fatalf("DUT outcomes (-want +got):\n%s", diff)
	}
	runs, err := store.Runs(context.Background(), results.Filter{})
	if err != nil || len(runs) != 1 || runs[0].Outcome != "aborted" || !runs[0].Recovered {
		t.Fatalf("runs %+v, %v", runs, err)
	}
	// The reports can be written from it.
	if _, err := rec.Save(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

// A run whose process still runs is left alone, whoever opens the store.
func TestLiveRunNotRecovered(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	store := openStore(t, path)
	defer store.Close()
	id := harness.NewRunID(time.Now())
	if err := <-store.Emit(harness.Event{Run: id, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "live"}}); err != nil {
		t.Fatal(err)
	}
	other := openStore(t, path) // another program of the station, say
	defer other.Close()
	if n := other.Stats().Recovered; n != 0 {
		t.Fatalf("a live run was recovered")
	}
	runs, err := other.Runs(context.Background(), results.Filter{})
	if err != nil || len(runs) != 1 || runs[0].Outcome != "running" {
		t.Fatalf("runs %+v, %v", runs, err)
	}
}

// A store that fails stops the run: the measurement's call says it is
// not recorded, the run ends with a fault, and every output goes off.
func TestStoreFailureStopsTheRun(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	var measureErr error
	rec, err := harness.Run(context.Background(), "failing store", func(tt *harness.Test) error {
		tt.DUT("dut", func(d *harness.DUTRun) error {
			if err := d.Measure("before", units.Volt, harness.None()); err != nil {
				return err
			}
			store.Close() // the disk goes away
			measureErr = d.Measure("after", units.Volt, harness.None())
			<-d.Context().Done()
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(store))
	if !errors.Is(measureErr, harness.ErrNotRecorded) || !errors.Is(measureErr, results.ErrClosed) {
		t.Fatalf("Measure after the store failed: %v", measureErr)
	}
	var f *harness.Fault
	if !errors.As(err, &f) || f.Source != "station store" || !errors.Is(err, harness.ErrNotRecorded) {
		t.Fatalf("Run: %v", err)
	}
	if rec.Outcome != harness.OutcomeError {
		t.Fatalf("outcome %v", rec.Outcome)
	}
	// The in-memory record still has both measurements.
	if n := len(rec.Measurements()); n != 2 {
		t.Fatalf("%d measurements in the record", n)
	}
}

// A store that cannot start the run stops it before the body runs.
func TestClosedStoreRefusesTheRun(t *testing.T) {
	store := openStore(t, filepath.Join(t.TempDir(), "station.db"))
	store.Close()
	ran := false
	_, err := harness.Run(context.Background(), "no store", func(*harness.Test) error { ran = true; return nil },
		harness.WithoutSignals(), harness.WithSink(store))
	if ran || !errors.Is(err, harness.ErrNotRecorded) {
		t.Fatalf("ran %v, err %v", ran, err)
	}
}

func TestOpenRejectsOtherURLs(t *testing.T) {
	for _, path := range []string{"postgres://db.example/fleet", "", "a?b.db"} {
		if s, err := results.Open(path); err == nil {
			s.Close()
			t.Errorf("Open(%q) accepted", path)
		}
	}
}

// A store whose schema is newer than the program is refused, not
// written.
func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	openStore(t, path).Close()
	db := rawDB(t, path)
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_ns) VALUES (?, 'future', 0)`, results.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := results.Open(path); !errors.Is(err, results.ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open: %v", err)
	}
}

func rawDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func setOwner(t testing.TB, path, run, owner string) {
	t.Helper()
	db := rawDB(t, path)
	defer db.Close()
	if _, err := db.Exec(`UPDATE runs SET owner = ? WHERE id = ?`, owner, run); err != nil {
		t.Fatal(err)
	}
}

// deadOwner names a process of this machine that has exited.
func deadOwner(t testing.TB) string {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot run true:", err)
	}
	host, _ := os.Hostname()
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.Join([]string{host, strings.TrimSpace(string(boot)), strconv.Itoa(cmd.Process.Pid), "1"}, "/")
}
