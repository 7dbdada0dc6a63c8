package instruments_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
)

// cancelAfter cancels a context once the session has sent cmd.
type cancelAfter struct {
	cmd    string
	cancel context.CancelFunc
	once   sync.Once
}

func (c *cancelAfter) ObserveCall(call scpi.Call) {
	if call.Op == "write" && call.Command == c.cmd && call.Err == nil {
		c.once.Do(c.cancel)
	}
}

// openTruevolt opens a simulated Truevolt with the session options given.
func openTruevolt(t *testing.T, model string, opts ...scpi.Option) instruments.DMM {
	t.Helper()
	bench := sim.NewBench()
	t.Cleanup(bench.Close)
	res := "TCPIP0::10.1.1.9::5025::SOCKET"
	must(t, bench.Add(res, sim.MustNew(model)))
	inst, err := instruments.Open(bg, res, instruments.WithSessionOptions(append(opts, scpi.WithTransportOptions(bench.TransportOption()))...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst.(instruments.DMM)
}

// A ReadManyBinary whose context ends part-way (here once INIT is sent)
// still sets ASCII format back: the meter would otherwise answer every
// READ? and FETCh? after it in binary. With the restore on the call's
// own context, FORM? read REAL,64 after it.
func TestReadManyBinaryCutShortSetsASCIIBack(t *testing.T) {
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	m := openTruevolt(t, "34465A", scpi.WithObserver(&cancelAfter{cmd: "INIT", cancel: cancel}))
	if _, err := m.(instruments.BinaryReader).ReadManyBinary(ctx, 5); !errors.Is(err, context.Canceled) {
		t.Fatalf("ReadManyBinary cut short: %v, want context.Canceled", err)
	}
	if f, err := m.Session().Query(bg, "FORM?"); err != nil || !strings.HasPrefix(f, "ASC") {
		t.Errorf("FORM? after it: %q, %v; want ASCII", f, err)
	}
}

// A trigger count left by the front panel or another program does not
// multiply the readings: ReadMany(2) gives 2, Read one. With the count
// left at 3, ReadMany(2) gave 6 readings and no error.
func TestTruevoltReadsWhatItAsks(t *testing.T) {
	m := openTruevolt(t, "34461A")
	must(t, m.Configure(bg, instruments.DCVoltage, 10))
	must(t, m.Session().Write(bg, "TRIG:COUN 3"))
	if vs, err := m.ReadMany(bg, 2); err != nil || len(vs) != 2 {
		t.Errorf("ReadMany(2) with a trigger count of 3 left: %v, %v; want 2 readings", vs, err)
	}
	must(t, m.Session().Write(bg, "TRIG:COUN 3"))
	if _, err := m.Read(bg); err != nil {
		t.Errorf("Read with a trigger count of 3 left: %v", err)
	}
}

// Counts past the model's reading memory are refused before anything is
// sent (the meter would drop the oldest readings), and the 10 A range is
// there on all but the 34460A.
func TestTruevoltLimitsByModel(t *testing.T) {
	for _, c := range []struct {
		model   string
		memory  int
		tenAmps bool
	}{{"34460A", 1000, false}, {"34461A", 10_000, true}, {"34465A", 2_000_000, true}} {
		m := openTruevolt(t, c.model)
		if _, err := m.ReadMany(bg, c.memory+1); !errors.Is(err, instruments.ErrOutOfRange) {
			t.Errorf("%s: ReadMany(%d): %v, want ErrOutOfRange", c.model, c.memory+1, err)
		}
		for _, f := range []instruments.Function{instruments.DCCurrent, instruments.ACCurrent} {
			err := m.Configure(bg, f, 10)
			if c.tenAmps && err != nil || !c.tenAmps && !errors.Is(err, instruments.ErrOutOfRange) {
				t.Errorf("%s: Configure(%v, 10 A): %v", c.model, f, err)
			}
		}
	}
	m := openTruevolt(t, "34460A")
	if vs, err := m.ReadMany(bg, 1000); err != nil || len(vs) != 1000 {
		t.Errorf("34460A: ReadMany(1000): %d readings, %v", len(vs), err)
	}
}
