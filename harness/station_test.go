package harness_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

var bg = context.Background()

// slot is where a DUT hangs: a supply output.
type slot struct {
	psu     instruments.PowerSupply
	simPSU  *sim.Instrument
	channel int
	board   *sim.Instrument
	console string // the DUT's resource
}

// station is a simulated bench: a DP832 and an E36312A powering up to
// four DUTs, all opened through their drivers.
type station struct {
	bench *sim.Bench
	psus  []instruments.PowerSupply
	slots []slot
	opt   instruments.Option
}

func newStation(t testing.TB, duts int) *station {
	t.Helper()
	st := &station{bench: sim.NewBench()}
	t.Cleanup(st.bench.Close)
	st.opt = instruments.WithSessionOptions(scpi.WithTransportOptions(st.bench.TransportOption()), scpi.WithTimeout(time.Second))
	rigol, keysight := sim.MustNew("DP832"), sim.MustNew("E36312A")
	st.bench.Add("TCPIP0::10.9.0.1::5555::SOCKET", rigol)
	st.bench.Add("TCPIP0::10.9.0.2::5025::SOCKET", keysight)
	open := func(res string) instruments.PowerSupply {
		inst, err := instruments.Open(bg, res, st.opt)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { inst.Close() })
		return inst.(instruments.PowerSupply)
	}
	pr, pk := open("TCPIP0::10.9.0.1::5555::SOCKET"), open("TCPIP0::10.9.0.2::5025::SOCKET")
	st.psus = []instruments.PowerSupply{pr, pk}
	outputs := []struct {
		psu instruments.PowerSupply
		sim *sim.Instrument
		ch  int
	}{{pr, rigol, 1}, {pr, rigol, 2}, {pk, keysight, 2}, {pk, keysight, 3}}
	for i := range duts {
		o := outputs[i]
		board := sim.MustNew("DUT")
		res := fmt.Sprintf("ASRL/dev/ttyDUT%d::INSTR", i)
		st.bench.Add(res, board)
		if err := st.bench.Wire(o.sim, o.ch, board); err != nil {
			t.Fatal(err)
		}
		st.slots = append(st.slots, slot{psu: o.psu, simPSU: o.sim, channel: o.ch, board: board, console: res})
	}
	return st
}

// openDUT opens a powered board's console, waiting for it to boot.
func (st *station) openDUT(ctx context.Context, i int) (instruments.DUT, error) {
	for {
		inst, err := instruments.Open(ctx, st.slots[i].console, st.opt)
		if err == nil {
			return inst.(instruments.DUT), nil
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
	}
}

// outputsOn lists the supply outputs that are on, read from the simulated
// instruments themselves.
func (st *station) outputsOn() []string {
	var on []string
	supplies := []*sim.Instrument{st.slots[0].simPSU}
	if last := st.slots[len(st.slots)-1].simPSU; last != supplies[0] {
		supplies = append(supplies, last)
	}
	for _, s := range supplies {
		s.Do(func(d sim.Device) {
			for ch := 1; ; ch++ {
				o, ok := d.(sim.Supply).Output(ch)
				if !ok {
					return
				}
				if o.On() {
					on = append(on, fmt.Sprintf("%s CH%d", s.Model(), ch))
				}
			}
		})
	}
	return on
}
