package instruments_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	"github.com/scpikit/scpikit/transport"
)

// The generic driver finds a supply's channels over every kind of link.
// Where the instrument holds a reply until it is read (VXI-11, GPIB), a
// message sent before it is read discards it (-410), as the simulated
// servers do, so the probe may not be followed by a sentinel there. Each
// link finds what the stream link finds, and leaves the error queue
// empty. With the sentinel over those links, each found no channel.
func TestGenericSupplyOverEachLink(t *testing.T) {
	stream, _ := simulated(t, "SAMPLE", 100)
	want := stream.(instruments.PowerSupply).Channels()
	if len(want) < 2 {
		t.Fatalf("over the stream link: %+v, want the model's channels", want)
	}
	// A timeout long enough that a probe left waiting fails the test
	// with the error it met, never by a bound a slow machine passes.
	opts := []scpi.Option{scpi.WithTimeout(time.Minute)}
	links := map[string]func(t *testing.T, in *sim.Instrument) (string, []scpi.Option){
		"VXI-11": func(t *testing.T, in *sim.Instrument) (string, []scpi.Option) {
			srv, err := sim.ServeVXI11("127.0.0.1:0", in, sim.VXI11Options{})
			must(t, err)
			t.Cleanup(func() { srv.Close() })
			return srv.Resource(), []scpi.Option{scpi.WithTransportOptions(transport.WithPortmapperPort(srv.PortmapperPort()))}
		},
		"HiSLIP": func(t *testing.T, in *sim.Instrument) (string, []scpi.Option) {
			srv, err := sim.ServeHiSLIP("127.0.0.1:0", in, sim.ServerOptions{})
			must(t, err)
			t.Cleanup(func() { srv.Close() })
			return srv.Resource(), nil
		},
		"GPIB": func(t *testing.T, in *sim.Instrument) (string, []scpi.Option) {
			bus, err := sim.NewPrologix(map[int]*sim.Instrument{5: in}, sim.ServerOptions{})
			must(t, err)
			t.Cleanup(func() { bus.Close() })
			adapter, err := bus.ServeTCP("127.0.0.1:0")
			must(t, err)
			return "GPIB0::5::INSTR", []scpi.Option{scpi.WithTransportOptions(transport.WithGPIBAdapter(adapter))}
		},
	}
	for name, serve := range links {
		t.Run(name, func(t *testing.T) {
			in := sim.MustNew("SAMPLE")
			res, linkOpts := serve(t, in)
			inst, err := instruments.Open(bg, res, instruments.WithSessionOptions(append(opts, linkOpts...)...))
			if err != nil {
				t.Fatal(err)
			}
			defer inst.Close()
			p, ok := inst.(*instruments.GenericSupply)
			if !ok {
				t.Fatalf("opened as %T, want the generic supply", inst)
			}
			if got, want := p.Session().HoldsReplies(), name != "HiSLIP"; got != want {
				t.Errorf("the %s link holds replies: %v, want %v", name, got, want)
			}
			if diff := cmp.Diff(want, p.Channels()); diff != "" {
				t.Errorf("channels (-stream +%s):\n%s", name, diff)
			}
			if errs, err := p.Session().Errors(bg); err != nil || len(errs) != 0 {
				t.Errorf("the error queue after opening: %v, %v; want it empty", errs, err)
			}
			if err := p.SetVoltage(bg, 2, 3); err != nil {
				t.Errorf("channel 2 found but not driven: %v", err)
			}
		})
	}
}
