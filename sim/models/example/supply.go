// Package example is the worked example of docs/instruments/adding-an-instrument.md:
// a single-output supply with the command forms of Keysight's supplies
// (VOLTage/CURRent with MIN/MAX, OUTPut, MEASure, OVP/OCP with TRIPped?
// and CLEar, the ISUM condition register), in as few lines as the shared
// pieces of sim allow. It is not a real product and models/all does not
// import it: it registers "EX-1" only where it is imported (its tests,
// and the instruments tests that drive it).
package example

import "github.com/scpikit/scpikit/sim"

// supply is the device: one output stage (sim.Outputs gives it Output(ch),
// so a bench can wire loads to it) and nothing else to remember.
type supply struct{ sim.Outputs }

func newSupply() *supply {
	return &supply{sim.NewOutputs(sim.OutputRange{Name: "OUT1", MaxV: 20.6, MaxI: 5.15})}
}

func (d *supply) Identity() string { return "Example,EX-1,EX0001,1.0" }
func (d *supply) Reset()           { d.ResetOutputs() }

// StatusSummary sets the status byte's QUES bit while a protection is tripped.
func (d *supply) StatusSummary() (questionable, operation bool) { return d.Tripped(), false }

// out is the only output, for the shared handlers.
func out(d *supply, _ *sim.Call) ([]*sim.Output, error) { return d.Outputs, nil }

func commands() *sim.Commands[*supply] {
	cmds := sim.NewCommands[*supply]()
	nr3 := func(c *sim.Call, x float64) { c.ReplyNR3(x, 8) }
	level := func(voltage bool) (func(*supply, *sim.Call) (sim.Number, error), func(*supply, *sim.Call) float64, func(*supply, *sim.Call, float64) error) {
		spec := func(d *supply, _ *sim.Call) (sim.Number, error) { return d.Outputs[0].LevelSpec(voltage), nil }
		get := func(d *supply, _ *sim.Call) float64 {
			v, i := d.Outputs[0].Settings()
			if voltage {
				return v
			}
			return i
		}
		set := func(d *supply, _ *sim.Call, x float64) error {
			if voltage {
				d.Outputs[0].SetVoltage(x)
			} else {
				d.Outputs[0].SetCurrentLimit(x)
			}
			return nil
		}
		return spec, get, set
	}
	vSpec, vGet, vSet := level(true)
	cmds.Number("[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", vSpec, vGet, vSet, nr3)
	iSpec, iGet, iSet := level(false)
	cmds.Number("[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", iSpec, iGet, iSet, nr3)
	cmds.Bool("OUTPut[:STATe]", func(d *supply, _ *sim.Call) (bool, error) { return d.Outputs[0].On(), nil },
		func(d *supply, _ *sim.Call, on bool) error { d.Outputs[0].SetOn(on); return nil })
	cmds.Handle("MEASure[:SCALar]:VOLTage[:DC]?", sim.MeasureHandler(out, sim.Voltage, nr3))
	cmds.Handle("MEASure[:SCALar]:CURRent[:DC]?", sim.MeasureHandler(out, sim.Current, nr3))
	cmds.Number("[SOURce:]VOLTage:PROTection[:LEVel]", func(*supply, *sim.Call) (sim.Number, error) {
		return sim.Number{Unit: "V", Max: 22.0, Default: 22.0}, nil
	}, func(d *supply, _ *sim.Call) float64 { l, _, _ := d.Outputs[0].OVP(); return l },
		func(d *supply, _ *sim.Call, v float64) error { d.Outputs[0].SetOVP(v, true); return nil }, nr3)
	cmds.Bool("[SOURce:]CURRent:PROTection:STATe", func(d *supply, _ *sim.Call) (bool, error) { on, _ := d.Outputs[0].OCP(); return on, nil },
		func(d *supply, _ *sim.Call, on bool) error { d.Outputs[0].SetOCP(on); return nil })
	cmds.Handle("[SOURce:]VOLTage:PROTection:TRIPped?", sim.TrippedHandler(out, sim.OVP))
	cmds.Handle("[SOURce:]CURRent:PROTection:TRIPped?", sim.TrippedHandler(out, sim.OCP))
	cmds.Handle("OUTPut:PROTection:CLEar", sim.ClearHandler(out))
	cmds.Handle("STATus:QUEStionable:INSTrument:ISUMmary#:CONDition?", sim.ISUMCondition[*supply])
	cmds.SystemCommands("1999.0")
	return cmds
}

func init() {
	sim.MustRegister("EX-1", "the guide's example single-output supply (not a real product)", commands(), newSupply)
}
