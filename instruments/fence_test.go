package instruments_test

import (
	"errors"
	"testing"

	"github.com/scpikit/scpikit/instruments"
)

// Every supply driver refuses output-on for a fenced output, and only
// while a fence holds it; output-off and read-back still work.
func TestFencedOutputsRefuseOn(t *testing.T) {
	for _, model := range supplyModels(t) {
		t.Run(model, func(t *testing.T) {
			inst, _ := simulated(t, model, 100)
			p := inst.(instruments.PowerSupply)
			f, ok := inst.(instruments.OutputFencer)
			if !ok {
				t.Fatalf("%T is not an OutputFencer", inst)
			}
			// switchOn switches ch on the way the model allows.
			switchOn := func(ch int) error {
				err := p.SetOutput(bg, ch, true)
				if errors.Is(err, instruments.ErrNotSupported) {
					err = p.SetAllOutputs(bg, true)
				}
				return err
			}
			lift := f.FenceOutputs(1)
			if err := switchOn(1); !errors.Is(err, instruments.ErrFenced) {
				t.Fatalf("output 1 on while fenced: %v, want ErrFenced", err)
			}
			if err := p.SetAllOutputs(bg, true); !errors.Is(err, instruments.ErrFenced) {
				t.Fatalf("all outputs on while output 1 is fenced: %v, want ErrFenced", err)
			}
			if ms, ok := inst.(instruments.MasterSwitch); ok {
				if err := ms.SetMasterOutput(bg, true); !errors.Is(err, instruments.ErrFenced) {
					t.Fatalf("master switch on while output 1 is fenced: %v, want ErrFenced", err)
				}
			}
			if on, err := p.Output(bg, 1); err != nil || on {
				t.Fatalf("output 1 after refused switch-on: %v, %v", on, err)
			}
			must(t, p.SafeState(bg)) // switching off is never refused
			if len(p.Channels()) > 1 {
				if err := p.SetOutput(bg, 2, true); err != nil && !errors.Is(err, instruments.ErrNotSupported) {
					t.Fatalf("output 2 is not fenced, yet: %v", err)
				}
				must(t, p.SafeState(bg))
			}
			all := f.FenceOutputs()
			lift()
			lift() // lifting twice lifts once
			if err := switchOn(1); !errors.Is(err, instruments.ErrFenced) {
				t.Fatalf("output 1 on under a fence of every output: %v", err)
			}
			all()
			must(t, switchOn(1))
			if on, err := p.Output(bg, 1); err != nil || !on {
				t.Fatalf("output 1 after the fences were lifted: %v, %v", on, err)
			}
			must(t, p.SafeState(bg))
		})
	}
}

// E36300 outputs coupled with OUTPut:COUPle:CHANnel switch on together:
// with output 1 fenced, switching output 2 on is refused while they are
// coupled, and allowed once they are not. Before, output 2 switched the
// fenced output 1 back on.
func TestE36300CoupledOutputsKeepTheFence(t *testing.T) {
	inst, _ := simulated(t, "E36312A", 100)
	p := inst.(instruments.PowerSupply)
	s := inst.Session()
	must(t, s.Write(bg, "OUTP:COUP:CHAN CH1,CH2"))
	lift := inst.(instruments.OutputFencer).FenceOutputs(1)
	defer lift()
	if err := p.SetOutput(bg, 2, true); !errors.Is(err, instruments.ErrFenced) {
		t.Errorf("output 2, coupled with fenced output 1, on: %v, want ErrFenced", err)
	}
	if on, err := p.Output(bg, 1); err != nil || on {
		t.Errorf("fenced output 1: on %v, %v", on, err)
	}
	must(t, p.SetOutput(bg, 3, true)) // not coupled
	must(t, s.Write(bg, "OUTP:COUP:CHAN NONE"))
	must(t, p.SetOutput(bg, 2, true))
	if on, err := p.Output(bg, 1); err != nil || on {
		t.Errorf("fenced output 1 after output 2 on, uncoupled: on %v, %v", on, err)
	}
	must(t, s.Write(bg, "OUTP:COUP:CHAN ALL"))
	if err := p.SetOutput(bg, 3, true); !errors.Is(err, instruments.ErrFenced) {
		t.Errorf("output 3, all coupled, on: %v, want ErrFenced", err)
	}
}
