package keysight

import "github.com/scpikit/scpikit/sim"

// e3631aGuide is the command index of the Agilent E3631A User's Guide,
// chapter 4 (Remote Interface Reference), in the order of its SCPI
// command summary.
func e3631aGuide() sim.Guide {
	const (
		y   = sim.Implemented
		p   = sim.Partial
		na  = sim.NotApplicable
		set = sim.FormSet
		q   = sim.FormQuery
		b   = sim.FormBoth
	)
	noCal := "calibration of the analogue hardware: a simulation has no hardware to calibrate"
	levels := "MINimum, MAXimum, UP and DOWN (by the step), on the selected output; the query answers +5.00000000E+00 and takes MIN or MAX"
	steps := "on the selected output; DEFault and the query's DEFault are the output's programming resolution"
	trig := "the pending level the next trigger applies; until one is programmed the query answers the immediate level, as the guide says"
	status := "events latch the conditions seen whenever a status register is read, not every transition in between"
	e := func(section, cmd string, f sim.Forms, s sim.Status, note string) sim.GuideCommand {
		return sim.GuideCommand{Command: cmd, Forms: f, Section: section, Status: s, Note: note}
	}
	return sim.Guide{
		Title:  "Agilent E3631A User's Guide, chapter 4 (Remote Interface Reference)",
		File:   "keysight-e3631a",
		Models: []string{"E3631A"},
		Commands: []sim.GuideCommand{
			e("Output setting", "APPLy", b, y, "P6V, P25V or N25V with optional voltage and current (MIN, MAX, DEF); the query answers \"5.000000,1.000000\""),
			e("Output setting", "INSTrument[:SELect]", b, y, "P6V, P25V, N25V"),
			e("Output setting", "INSTrument:NSELect", b, y, "1, 2, 3"),
			e("Output setting", "INSTrument:COUPle[:TRIGger]", b, y, "ALL, NONE or a list of outputs: the outputs a trigger reaches (NONE: the selected one)"),
			e("Output setting", "MEASure:CURRent[:DC]", q, y, "optional P6V, P25V or N25V, else the selected output"),
			e("Output setting", "MEASure[:VOLTage][:DC]", q, y, "optional P6V, P25V or N25V, else the selected output"),
			e("Output setting", "OUTPut[:STATe]", b, y, "one switch for all three outputs"),
			e("Output setting", "OUTPut:TRACk[:STATe]", b, y, "the -25 V output follows the +25 V output's voltage, mirrored"),
			e("Output setting", "[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", b, y, levels),
			e("Output setting", "[SOURce:]CURRent[:LEVel][:IMMediate]:STEP[:INCRement]", b, y, steps),
			e("Output setting", "[SOURce:]CURRent[:LEVel]:TRIGgered[:AMPLitude]", b, y, trig),
			e("Output setting", "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", b, y, levels),
			e("Output setting", "[SOURce:]VOLTage[:LEVel][:IMMediate]:STEP[:INCRement]", b, y, steps),
			e("Output setting", "[SOURce:]VOLTage[:LEVel]:TRIGgered[:AMPLitude]", b, y, trig),
			e("Triggering", "INITiate[:IMMediate]", set, p, "with TRIG:SOUR IMM the triggered levels apply at once (TRIG:DEL is kept, not waited); with BUS it arms for *TRG; again while armed: -213 Init ignored"),
			e("Triggering", "TRIGger[:SEQuence]:DELay", b, p, "0 to 3600 s, kept and read back, not waited"),
			e("Triggering", "TRIGger[:SEQuence]:SOURce", b, y, "BUS or IMMediate; the query answers BUS or IMM"),
			e("Triggering", "*TRG", set, y, "with TRIG:SOUR BUS after INIT the coupled outputs take their triggered levels; otherwise -211 Trigger ignored"),
			e("System-related", "DISPlay[:WINDow][:STATe]", b, y, ""),
			e("System-related", "DISPlay[:WINDow]:TEXT[:DATA]", b, y, "up to 11 characters are kept, the rest cut off as the front panel does"),
			e("System-related", "DISPlay[:WINDow]:TEXT:CLEar", set, y, ""),
			e("System-related", "SYSTem:BEEPer[:IMMediate]", set, p, "accepted; a simulated unit has no beeper to sound"),
			e("System-related", "SYSTem:ERRor", q, y, "-222,\"Data out of range\" form; 0,\"No error\" when empty"),
			e("System-related", "SYSTem:VERSion", q, y, "1995.0"),
			e("System-related", "*IDN", q, y, "Agilent Technologies,E3631A,0,2.1-5.0-1.0: the unit has no serial number over the bus"),
			e("System-related", "*RST", set, y, ""),
			e("System-related", "*TST", q, y, "0: passed"),
			e("System-related", "*SAV", set, y, "locations 1 to 3: levels, steps, triggered levels, trigger settings, tracking, the output switch"),
			e("System-related", "*RCL", set, y, "locations 1 to 3; a location never saved holds the power-on settings"),
			e("Calibration", "CALibration:COUNt", q, na, noCal),
			e("Calibration", "CALibration:CURRent[:DATA]", set, na, noCal),
			e("Calibration", "CALibration:CURRent:LEVel", set, na, noCal),
			e("Calibration", "CALibration:SECure:CODE", set, na, noCal),
			e("Calibration", "CALibration:SECure:STATe", b, na, noCal),
			e("Calibration", "CALibration:STRing", b, na, noCal),
			e("Calibration", "CALibration:VOLTage[:DATA]", set, na, noCal),
			e("Calibration", "CALibration:VOLTage:LEVel", set, na, noCal),
			e("Status reporting", "STATus:QUEStionable:CONDition", q, y, "bit 13 (ISUM): the instrument summary register's enabled events"),
			e("Status reporting", "STATus:QUEStionable[:EVENt]", q, p, status),
			e("Status reporting", "STATus:QUEStionable:ENABle", b, y, ""),
			e("Status reporting", "STATus:QUEStionable:INSTrument[:EVENt]", q, p, status+"; bits 1, 2, 3: the P6V, P25V, N25V summaries"),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ENABle", b, y, ""),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ISUMmary#[:EVENt]", q, p, status),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ISUMmary#:CONDition", q, y, "bit 0 (VOLTage): the output in CC; bit 1 (CURRent): in CV"),
			e("Status reporting", "STATus:QUEStionable:INSTrument:ISUMmary#:ENABle", b, y, ""),
			e("Status reporting", "*CLS", set, y, ""),
			e("Status reporting", "*ESE", b, y, ""),
			e("Status reporting", "*ESR", q, y, ""),
			e("Status reporting", "*OPC", b, y, ""),
			e("Status reporting", "*PSC", b, p, "the flag is kept; a simulated unit is never power-cycled, so it never acts"),
			e("Status reporting", "*SRE", b, y, ""),
			e("Status reporting", "*STB", q, y, "bit 3 (QUES) from the questionable register's enabled events"),
			e("Status reporting", "*WAI", set, y, ""),
			e("RS-232 interface", "SYSTem:LOCal", set, p, "accepted; a simulated unit has no front panel to give back"),
			e("RS-232 interface", "SYSTem:REMote", set, p, "accepted; a simulated unit has no front panel to lock"),
			e("RS-232 interface", "SYSTem:RWLock", set, p, "accepted; a simulated unit has no front panel to lock"),
		},
	}
}

func init() { sim.RegisterGuide(e3631aGuide()) }
