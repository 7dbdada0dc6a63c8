package instruments_test

import (
	"context"
	"fmt"
	"log"

	"github.com/scpikit/scpikit/instruments"
	_ "github.com/scpikit/scpikit/sim/models/all" // SIM::<model>::INSTR resources, SCPIKIT_SIM=bench.yaml and every model
	"github.com/scpikit/scpikit/units"
)

// Open reads *IDN? and returns the driver for the model: here a Rigol
// DP832 simulated in process. A real one is the same call with its
// resource string ("TCPIP0::10.0.0.5::5555::SOCKET").
func ExampleOpen() {
	ctx := context.Background()
	inst, err := instruments.Open(ctx, "SIM::DP832::INSTR")
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close()
	id := inst.Identity()
	fmt.Println(id.Manufacturer, id.Model)
	psu, ok := inst.(instruments.PowerSupply)
	fmt.Println("power supply:", ok, "with", len(psu.Channels()), "channels")
	// Output:
	// RIGOL TECHNOLOGIES DP832
	// power supply: true with 3 channels
}

// Set a supply's output, read the setting back and measure it; switch
// it off and check that it is, as the harness's safe state does.
func ExamplePowerSupply() {
	ctx := context.Background()
	inst, err := instruments.Open(ctx, "SIM::DP832::INSTR")
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close()
	psu := inst.(instruments.PowerSupply)
	if err := psu.SetVoltage(ctx, 1, 5*units.Volt); err != nil {
		log.Fatal(err)
	}
	if err := psu.SetCurrentLimit(ctx, 1, 500*units.Milliamp); err != nil {
		log.Fatal(err)
	}
	if err := psu.SetOutput(ctx, 1, true); err != nil {
		log.Fatal(err)
	}
	set, _ := psu.Voltage(ctx, 1)
	measured, _ := psu.MeasureVoltage(ctx, 1)
	fmt.Println("set", set, "measured", measured)
	// A value outside the model's range is refused before anything is sent.
	err = psu.SetVoltage(ctx, 1, 100*units.Volt)
	fmt.Println(err)
	if err := psu.SafeState(ctx); err != nil {
		log.Fatal(err)
	}
	on, _ := psu.Output(ctx, 1)
	fmt.Println("output on:", on)
	// Output:
	// set 5 V measured 5 V
	// instruments: DP832 channel 1: voltage 100 V outside 0 V to 32 V
	// output on: false
}

// A DMM reads typed quantities: a voltage on a voltage function, a
// resistance on a resistance function.
func ExampleDMM() {
	ctx := context.Background()
	inst, err := instruments.Open(ctx, "SIM::34465A::INSTR")
	if err != nil {
		log.Fatal(err)
	}
	defer inst.Close()
	dmm := inst.(instruments.DMM)
	if err := dmm.Configure(ctx, instruments.DCVoltage, 10); err != nil {
		log.Fatal(err)
	}
	v, err := dmm.Read(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%T in %s\n", v, v.Unit())
	// Many readings at once: REAL,64 blocks where the model has them.
	if b, ok := dmm.(instruments.BinaryReader); ok {
		vs, err := b.ReadManyBinary(ctx, 100)
		fmt.Println(len(vs), "readings", err)
	}
	// Output:
	// units.Voltage in V
	// 100 readings <nil>
}
