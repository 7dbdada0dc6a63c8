// Package sim is the instrument side: simulated SCPI instruments that
// behave like the real ones, so test programs run in CI with no hardware.
//
// The engine and the servers live here; the models live in
// sim/models/<vendor> (rigol, keysight, siglent, rohde, dut), each
// registering itself as database/sql drivers do. A program that opens
// models by name imports them all:
//
//	import _ "github.com/scpikit/scpikit/sim/models/all"
//
// A model's commands are written as its programming manual writes them,
// with typed handlers over the model's own device type:
//
//	cmds := sim.NewCommands[*Supply]()
//	cmds.Number("[SOURce#:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", spec, get, set, nil)
//	cmds.Bool("OUTPut#[:STATe]", getOutput, setOutput)
//	cmds.Handle("MEASure[:SCALar]:CURRent[:DC]?", measureCurrent)
//	sim.MustRegister("PS-2", "a two-channel supply", cmds, newSupply)
//
// The engine does the rest of SCPI-99 and IEEE 488.2: long and short
// mnemonics in any case, optional nodes, numeric suffixes, compound
// messages under the path rules, parameters with units and multipliers
// (500 mV, 2k), MIN/MAX/DEF, booleans, strings, blocks and channel lists,
// the common commands, the status byte and event status register, and the
// bounded error queue with the standard codes and messages.
//
// A supply model embeds Outputs (the output stages with their CV/CC
// physics and protections) and registers the shared handlers
// (MeasureHandler, TrippedHandler, ClearHandler, ISUMCondition,
// Commands.SystemCommands) under its own patterns; sim/simtest holds a
// model author's test helpers, and docs/instruments/adding-an-instrument.md
// walks through a new model and driver.
//
// A running model is an Instrument. Reach it in process (Instrument.Conn,
// no sockets, well under a microsecond a query), through a Bench that
// stands in for the resource strings a program already uses (from Go, a
// bench file, or SCPIKIT_SIM=bench.yaml with no code change), as
// SIM::<model>::INSTR, or over real links: ServeTCP (a raw socket, as LXI
// instruments offer on port 5025) and ServePTY (a pseudo-terminal for
// serial clients), which cmd/scpisim wraps for any VISA client.
//
// The servers (ServeTCP, ServeVXI11, ServeHiSLIP, a Prologix controller)
// take hostile clients: ServerOptions bound connections, idle time, a
// program message and the output a client holds; channel lists are
// bounded too; and each server's Memory reports what it holds for its
// clients, now and at its peak, so the bounds can be checked.
//
// Faults are injected per instrument (SetFaults, Inject, bench files,
// scpisim flags): latency and jitter, dropped and garbled replies,
// disconnects after N messages, and errors, hangs, disconnects and
// model-specific faults at given times.
//
// A model family's programming guide is data too: RegisterGuide records
// the guide's command index, each command marked implemented, partly
// (what is simplified), not applicable (why) or missing, per member. A
// test holds every model to its index in both directions, and the
// conformance pages in docs/instruments are generated from it, so a
// model's fidelity is a number.
//
// LoadBench also reads pyvisa-sim definition files, so existing
// simulations answer the same here.
package sim
