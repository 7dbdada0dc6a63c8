package rohde

import "github.com/scpikit/scpikit/sim"

// hmc804xGuide is the command index of the R&S HMC804x SCPI programmer's
// manual (remote control chapter), in the manual's order of subsystems.
// The index was first written without the manual at hand; the syntax,
// ranges and defaults of the source, protection, fuse, EasyRamp, Analog In
// and measurement commands were since checked against the manual's text as
// public drivers quote it. Where a fact could not be confirmed, its note
// says so.
func hmc804xGuide() sim.Guide {
	const (
		y   = sim.Implemented
		p   = sim.Partial
		na  = sim.NotApplicable
		set = sim.FormSet
		q   = sim.FormQuery
		b   = sim.FormBoth
	)
	noFiles := "writes the measurements to a file on a USB stick or in the internal memory; the simulated unit has no storage"
	e := func(section, cmd string, f sim.Forms, s sim.Status, note string) sim.GuideCommand {
		return sim.GuideCommand{Command: cmd, Forms: f, Section: section, Status: s, Note: note}
	}
	channelNote := "of the channel INSTrument selected"
	multi := []string{"HMC8042", "HMC8043"}
	oneChannel := "the HMC8041 has one channel: there is no other fuse to link to"
	only := func(c sim.GuideCommand) sim.GuideCommand {
		c.Only, c.Lacks = multi, oneChannel
		return c
	}
	return sim.Guide{
		Title:  "R&S HMC804x SCPI Programmer's Manual (HMC8041, HMC8042, HMC8043)",
		File:   "rohde-hmc804x",
		Models: []string{"HMC8041", "HMC8042", "HMC8043"},
		Commands: []sim.GuideCommand{
			e("Common commands", "*CLS", set, y, ""),
			e("Common commands", "*ESE", b, y, ""),
			e("Common commands", "*ESR", q, y, ""),
			e("Common commands", "*IDN", q, y, "Rohde&Schwarz,<model>,<serial>,HW<hardware>/SW<firmware>"),
			e("Common commands", "*OPC", b, y, ""),
			e("Common commands", "*RCL", set, y, "locations 0 to 9; a location never saved is -200 Execution error"),
			e("Common commands", "*RST", set, y, "every channel to 0 V and its rated current, channels, master, fuse, OPP, EasyRamp, "+
				"the arbitrary sequencer and the energy meter off, OVP 32.05 V, fuse delay 10 ms (assumed: not confirmed)"),
			e("Common commands", "*SAV", set, y, "locations 0 to 9: each channel's levels, steps, OVP, fuse, OPP and EasyRamp settings"),
			e("Common commands", "*SRE", b, y, ""),
			e("Common commands", "*STB", q, y, "bit 3 summarises the questionable register's enabled events"),
			e("Common commands", "*TST", q, y, "0: passed"),
			e("Common commands", "*WAI", set, y, ""),
			e("System", "SYSTem:BEEPer[:IMMediate]", set, p, "counted, silent"),
			e("System", "SYSTem:ERRor[:NEXT]", q, y, ""),
			e("System", "SYSTem:ERRor:ALL", q, y, `every queued error, comma separated; 0,"No error" when none`),
			e("System", "SYSTem:LOCal", set, p, "the mode is kept; a simulated unit has no front panel to lock"),
			e("System", "SYSTem:REMote", set, p, "the mode is kept; a simulated unit has no front panel to lock"),
			e("System", "SYSTem:RWLock", set, p, "the mode is kept; a simulated unit has no front panel to lock"),
			e("System", "SYSTem:MIX", set, p, "the mode is kept; a simulated unit has no front panel to share"),
			e("System", "SYSTem:VERSion", q, y, "1999.0"),
			e("Display", "DISPlay[:WINDow]:TEXT[:DATA]", b, p, "the text is kept and read back quoted; there is no screen to show it on"),
			e("Display", "DISPlay[:WINDow]:TEXT:CLEar", set, y, ""),
			e("Channel selection", "INSTrument[:SELect]", b, y, "OUTPut1 to OUTPut<n> or OUT1 to OUT<n> for the member's channels "+
				"(another is -224 Illegal parameter value); the query answers OUTP1"),
			e("Channel selection", "INSTrument:NSELect", b, y, "1 to the member's channel count; else -222 Data out of range"),
			e("Source", "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", b, y, "0 to 32.05 V, MIN, MAX, DEF, UP or DOWN by the step, "+channelNote+"; +5.0000E+00"),
			e("Source", "[SOURce:]VOLTage[:LEVel][:IMMediate]:STEP[:INCRement]", b, y, "0 to 32.05 V, DEF 1 V"),
			e("Source", "[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", b, y, "0.5 mA to the rated current (10 A HMC8041, 5 A HMC8042, 3 A HMC8043), "+
				"MIN, MAX, DEF, UP or DOWN"),
			e("Source", "[SOURce:]CURRent[:LEVel][:IMMediate]:STEP[:INCRement]", b, y, "0.5 mA to the rated current, DEF 0.1 A"),
			e("Source", "APPLy", b, y, "voltage[,current[,OUT<n>]], both checked before either changes; the query answers voltage,current "+channelNote),
			e("Source", "[SOURce:]VOLTage:RAMP[:STATe]", b, y, "EasyRamp: each time the output goes live its voltage rises linearly from 0 over the duration, on the model's clock"),
			e("Source", "[SOURce:]VOLTage:RAMP:DURation", b, y, "10 ms to 10 s, DEF 10 ms"),
			e("Source", "[SOURce:]VOLTage:AINPut[:STATe]", b, p, "Analog In "+channelNote+": kept and read back; a simulated unit has no signal at the rear panel's input, "+
				"so the output keeps its programmed level (that every member has Analog In is not confirmed)"),
			e("Source", "[SOURce:]VOLTage:AINPut:INPut", b, p, "VOLTage or CURRent, read back as VOLT or CURR; VOLTage after *RST (assumed)"),
			e("Source", "[SOURce:]VOLTage:AINPut:MODE", b, p, "LINear or STEP, read back as LIN or STEP; LINear after *RST (assumed)"),
			e("Source", "[SOURce:]VOLTage:AINPut:THReshold", b, p, "the STEP mode's threshold, 0 to 10 V, DEF 1 V"),
			e("Output", "OUTPut:CHANnel[:STATe]", b, y, "the channel switch; switching off resets a tripped fuse, OVP or OPP"),
			e("Output", "OUTPut:MASTer[:STATe]", b, y, "an output is live only with its channel and the master on"),
			e("Output", "OUTPut[:STATe]", b, y, "switches the selected channel and, switching on, the master; the query answers whether the selected output is live"),
			e("Protection", "[SOURce:]VOLTage:PROTection[:STATe]", b, y, "the default node: VOLT:PROT ON switches OVP; on after *RST (assumed: not confirmed)"),
			e("Protection", "[SOURce:]VOLTage:PROTection:LEVel", b, y, "0 to 32.05 V, MIN, MAX, DEF 32.05 V"),
			e("Protection", "[SOURce:]VOLTage:PROTection:MODE", b, y, "MEASured trips on the measured voltage, PROTected on the programmed one; the query answers MEAS or PROT"),
			e("Protection", "[SOURce:]VOLTage:PROTection:TRIPped", q, y, "1 or 0; a trip switches the channel off"),
			e("Protection", "[SOURce:]VOLTage:PROTection:CLEar", set, y, "the channel stays off until switched on again"),
			e("Protection", "FUSE[:STATe]", b, y, "the electronic fuse trips when the output has limited current for the fuse delay, and switches the channel off"),
			e("Protection", "FUSE:DELay", b, y, "10 ms to 10 s, MIN, MAX, in seconds (+1.0000E-02); timed on the model's clock"),
			e("Protection", "FUSE:DELay:INITial", b, y, "seconds after the output goes live before the fuse is armed, timed on the model's clock; "+
				"the range here, 0 to 60 s, is not confirmed"),
			only(e("Protection", "FUSE:LINK", b, y, "channel 1 to <n>, not the selected one (-221 Settings conflict): a trip of either fuse switches both channels off; "+
				"the query takes the channel and answers 1 or 0")),
			only(e("Protection", "FUSE:UNLink", set, y, "")),
			e("Protection", "FUSE:TRIPped", q, y, "1 or 0; switching the channel off resets the fuse"),
			e("Protection", "[SOURce:]POWer:PROTection[:STATe]", b, y, "OPP trips when the measured power exceeds the level, and switches the channel off"),
			e("Protection", "[SOURce:]POWer:PROTection:LEVel", b, y, "0 to 33 W on the HMC8043, MAX and DEF 33 W; the HMC8041's and HMC8042's ranges are not confirmed "+
				"(here 100 W, the unit's rating)"),
			e("Protection", "[SOURce:]POWer:PROTection:TRIPped", q, y, "1 or 0"),
			e("Protection", "[SOURce:]POWer:PROTection:CLEar", set, y, ""),
			e("Measurement", "MEASure[:SCALar][:VOLTage][:DC]", q, y, "the terminal voltage "+channelNote+" (MEAS? too), from the output's operating point into its load"),
			e("Measurement", "MEASure[:SCALar]:CURRent[:DC]", q, y, ""),
			e("Measurement", "MEASure[:SCALar]:POWer", q, y, ""),
			e("Measurement", "MEASure[:SCALar]:ENERgy:STATe", b, y, "starts and stops the energy meter"),
			e("Measurement", "MEASure[:SCALar]:ENERgy", q, p, "in Ws; the power is integrated between commands as constant at its value at the earlier one"),
			e("Measurement", "MEASure[:SCALar]:ENERgy:RESet", set, y, ""),
			e("Arbitrary", "ARBitrary:DATA", b, y, "up to 512 points of voltage, current, time (10 ms to 60 s) and interpolation (0 hold, 1 ramp to the next point); "+
				"a count not a multiple of 4 is -109 Missing parameter, more than 512 points -223 Too much data; "+
				"the ARBitrary ranges, the reply format and the LOG commands could not be checked against the manual"),
			e("Arbitrary", "ARBitrary:CLEar", set, y, ""),
			e("Arbitrary", "ARBitrary:REPetitions", b, y, "0 (endless) to 255"),
			e("Arbitrary", "ARBitrary:ENDBehavior", b, y, "OFF switches the channel off after the last repetition, HOLD keeps the last point"),
			e("Arbitrary", "ARBitrary:TRANsfer", set, y, "copies the table to channel 1 to <n>; an empty table is -200 Execution error"),
			e("Arbitrary", "ARBitrary[:STATe]", b, y, "runs the channel's table while its output is live, on the model's clock; without a transferred table -200 Execution error"),
			e("Arbitrary", "ARBitrary:TRIGgered[:STATe]", b, p, "kept; a triggered sequence waits for the rear panel's trigger input, which a simulated unit does not have, so it does not start"),
			e("Arbitrary", "ARBitrary:TRIGgered:MODE", b, p, "SINGle or RUN, kept and read back as SING or RUN: see ARBitrary:TRIGgered"),
			e("Arbitrary", "ARBitrary:SAVE", set, y, "memory 1 to 3"),
			e("Arbitrary", "ARBitrary:RESTore", set, y, "memory 1 to 3"),
			e("Data logging", "LOG[:STATe]", b, na, noFiles),
			e("Data logging", "LOG:FNAMe", b, na, noFiles),
			e("Data logging", "LOG:MODE", b, na, noFiles),
			e("Data logging", "LOG:COUNt", b, na, noFiles),
			e("Data logging", "LOG:DURation", b, na, noFiles),
			e("Data logging", "LOG:INTerval", b, na, noFiles),
			e("Data logging", "LOG:STIMe", b, na, noFiles),
			e("Status reporting", "STATus:QUEStionable[:EVENt]", q, y, "reading clears it; events latch at every command"),
			e("Status reporting", "STATus:QUEStionable:CONDition", q, y, "bit 13: the instrument summary has an enabled event"),
			e("Status reporting", "STATus:QUEStionable:ENABle", b, y, ""),
			e("Status reporting", "STATus:QUEStionable:PTRansition", b, y, "all bits after *RST"),
			e("Status reporting", "STATus:QUEStionable:NTRansition", b, y, "none after *RST"),
			e("Status reporting", "STATus:QUEStionable:INSTrument[:EVENt]", q, y, ""),
			e("Status reporting", "STATus:QUEStionable:INSTrument:CONDition", q, y, "bit n: ISUMmary<n> has an enabled event"),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ENABle", b, y, ""),
			e("Status reporting", "STATus:QUEStionable:INSTrument:PTRansition", b, y, ""),
			e("Status reporting", "STATus:QUEStionable:INSTrument:NTRansition", b, y, ""),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ISUMmary#[:EVENt]", q, y, "ISUMmary1 to ISUMmary<n>; another suffix is -114 Header suffix out of range"),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ISUMmary#:CONDition", q, y, "bit 0 current limiting (CC), bit 1 voltage regulated (CV), "+
				"bit 9 OVP tripped, bit 10 fuse tripped, bit 11 OPP tripped"),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ISUMmary#:ENABle", b, y, ""),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ISUMmary#:PTRansition", b, y, ""),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ISUMmary#:NTRansition", b, y, ""),
			e("Status reporting", "STATus:OPERation[:EVENt]", q, p, "the simulated units report no operation conditions: 0"),
			e("Status reporting", "STATus:OPERation:CONDition", q, p, "the simulated units report no operation conditions: 0"),
			e("Status reporting", "STATus:OPERation:ENABle", b, y, ""),
			e("Status reporting", "STATus:OPERation:PTRansition", b, y, ""),
			e("Status reporting", "STATus:OPERation:NTRansition", b, y, ""),
		},
	}
}
