package sim_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

func session(t testing.TB, in *sim.Instrument, opts ...scpi.Option) *scpi.Session {
	t.Helper()
	s := scpi.NewSession(in.Conn(), opts...)
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSessionOverInProcessLink(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	s := session(t, in)
	id, err := s.QueryIDN(bg)
	if err != nil || id.Model != "SAMPLE" {
		t.Fatalf("%+v %v", id, err)
	}
	if err := s.Writef(bg, "SOUR2:VOLT %v;CURR %v", 4.5, 1.0); err != nil {
		t.Fatal(err)
	}
	s.Write(bg, "OUTP2 ON")
	v, err := s.QueryFloats(bg, "MEAS:VOLT? (@1,2)")
	if diff := cmp.Diff([]float64{0, 4.5}, v); err != nil || diff != "" {
		t.Fatalf("%v %s", err, diff)
	}
	if err := s.CheckErrors(bg); err != nil {
		t.Fatal(err)
	}
	s.Write(bg, "SOUR3:VOLT 1")
	var de *scpi.DeviceError
	if err := s.CheckErrors(bg); !errors.As(err, &de) || de.Code != -114 {
		t.Fatalf("err = %v", err)
	}
}

func TestBinaryTraceBothByteOrders(t *testing.T) {
	s := session(t, sim.MustNew("SAMPLE"))
	s.Write(bg, "TRAC:POIN 8")
	want := make([]float32, 8)
	for i := range want {
		want[i] = float32(math.Sin(2 * math.Pi * float64(i) / 8))
	}
	s.Write(bg, "FORM REAL,32;:FORM:BORD SWAP")
	le, err := scpi.QueryValues[float32](bg, s, "TRAC:DATA?", binary.LittleEndian)
	if diff := cmp.Diff(want, le, cmpopts.EquateApprox(0, 1e-6)); err != nil || diff != "" {
		t.Fatalf("little-endian: %v %s", err, diff)
	}
	s.Write(bg, "FORM:BORD NORM")
	be, err := scpi.QueryValues[float32](bg, s, "TRAC:DATA?", binary.BigEndian)
	if diff := cmp.Diff(want, be, cmpopts.EquateApprox(0, 1e-6)); err != nil || diff != "" {
		t.Fatalf("big-endian: %v %s", err, diff)
	}
	s.Write(bg, "FORM ASC")
	ascii, err := s.QueryFloats(bg, "TRAC:DATA?")
	if err != nil || len(ascii) != 8 {
		t.Fatalf("ascii: %v %v", ascii, err)
	}
	data := []byte("arb\ndata;with,separators")
	if err := s.WriteBlock(bg, "DATA:ARB ", data); err != nil {
		t.Fatal(err)
	}
	back, err := s.QueryBlock(bg, "DATA:ARB?")
	if err != nil || string(back) != string(data) {
		t.Fatalf("%q %v", back, err)
	}
}

func TestLatencyFault(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	if err := in.SetFaults(sim.Faults{Latency: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	s := session(t, in)
	ctx, cancel := context.WithTimeout(bg, 5*time.Millisecond)
	defer cancel()
	if _, err := s.Query(ctx, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("a reply slower than the timeout: %v", err)
	}
	// The late reply is discarded; the next query gets its own.
	if got, err := s.Query(bg, "SYST:VERS?"); err != nil || got != "1999.0" {
		t.Fatalf("%q %v", got, err)
	}
}

func TestDropFault(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	in.SetFaults(sim.Faults{DropRate: 1})
	s := session(t, in, scpi.WithTimeout(20*time.Millisecond), scpi.WithResyncTimeout(time.Millisecond))
	if _, err := s.Query(bg, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("dropped reply: %v", err)
	}
	in.SetFaults(sim.Faults{})
	if got, err := s.Query(bg, "SYST:VERS?"); err != nil || got != "1999.0" {
		t.Fatalf("after the fault: %q %v", got, err)
	}
}

func TestGarbleFault(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	in.SetFaults(sim.Faults{GarbleRate: 1, Seed: 7})
	s := session(t, in)
	got, err := s.Query(bg, "*IDN?")
	if err != nil || got == "scpikit,SAMPLE,SIM000001,1.0" || len(got) != len("scpikit,SAMPLE,SIM000001,1.0") {
		t.Fatalf("garbled reply %q, %v", got, err)
	}
}

func TestJitterKeepsOrder(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	in.SetFaults(sim.Faults{Jitter: 3 * time.Millisecond, Seed: 3})
	c := in.Conn()
	defer c.Close()
	want := []string{"1", "2", "3", "4", "5", "6", "7", "8"}
	for _, v := range want {
		c.Write([]byte("VOLT " + v + ";VOLT?\n"))
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	var got []string
	for range want {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimSpace(line))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("replies out of order: %s", diff)
	}
}

func TestDisconnectAfterN(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	in.SetFaults(sim.Faults{DisconnectAfter: 3})
	s := session(t, in)
	for range 2 {
		if _, err := s.Query(bg, "*IDN?"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Query(bg, "*IDN?"); err != nil {
		t.Fatalf("third message (its reply still arrives): %v", err)
	}
	if _, err := s.Query(bg, "*IDN?"); !errors.Is(err, scpi.ErrDisconnected) {
		t.Fatalf("after the disconnect: %v", err)
	}
}

func TestScheduledFaults(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	defer in.Close()
	s := session(t, in, scpi.WithResyncTimeout(time.Millisecond))
	boom := sim.Error{Code: -300, Message: "Device-specific error;overheated"}
	must(t, in.Inject(sim.TimedFault{Error: &boom}))
	var de *scpi.DeviceError
	if err := s.CheckErrors(bg); !errors.As(err, &de) || de.Code != -300 || !strings.Contains(de.Message, "overheated") {
		t.Fatalf("pushed error: %v", err)
	}
	must(t, in.Inject(sim.TimedFault{Hang: true}))
	hung, cancel := context.WithTimeout(bg, 50*time.Millisecond)
	defer cancel()
	if _, err := s.Query(hung, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
		t.Fatalf("hung instrument: %v", err)
	}
	must(t, in.Inject(sim.TimedFault{Recover: true}))
	if _, err := s.Query(bg, "*IDN?"); err != nil {
		t.Fatalf("recovered: %v", err)
	}
	// A disconnect drops a link that is waiting, not only the next write.
	c := in.Conn()
	defer c.Close()
	errc := make(chan error)
	go func() {
		_, err := c.Read(make([]byte, 8))
		errc <- err
	}()
	must(t, in.Inject(sim.TimedFault{Disconnect: true}))
	if err := <-errc; err == nil {
		t.Fatal("read survived the disconnect")
	}
	if _, err := s.Query(bg, "*IDN?"); !errors.Is(err, scpi.ErrDisconnected) {
		t.Fatalf("session after the disconnect: %v", err)
	}
	// A fresh link works.
	s2 := session(t, in)
	if _, err := s2.Query(bg, "*IDN?"); err != nil {
		t.Fatal(err)
	}
}

func TestScheduleRunsOnTime(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	defer in.Close()
	e := sim.Error{Code: -310, Message: "System error"}
	must(t, in.SetFaults(sim.Faults{Schedule: []sim.TimedFault{{After: time.Millisecond, Error: &e}}}))
	s := session(t, in)
	deadline := time.Now().Add(10 * time.Second)
	for {
		errs, err := s.Errors(bg)
		if err != nil {
			t.Fatal(err)
		}
		if len(errs) == 1 && errs[0].Code == -310 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the scheduled error never arrived")
		}
		time.Sleep(time.Millisecond) // waiting for the instrument's own timer
	}
}

func TestBadFaults(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	for _, f := range []sim.Faults{
		{DropRate: 2}, {GarbleRate: -1}, {Latency: -time.Second},
		{Schedule: []sim.TimedFault{{}}},
		{Schedule: []sim.TimedFault{{Hang: true, Recover: true}}},
		{Schedule: []sim.TimedFault{{Fault: "overcurrent"}}}, // SAMPLE has no model faults
	} {
		if err := in.SetFaults(f); err == nil {
			t.Errorf("SetFaults(%+v) accepted", f)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
