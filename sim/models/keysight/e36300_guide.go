package keysight

import "github.com/scpikit/scpikit/sim"

// e36300Guide is the command index of the Keysight E36300 Series
// Programming Guide (E36311-90008), chapter 2 (SCPI Programming),
// subsystem by subsystem as the guide orders them.
//
// What was checked, and against what: only the guide's table of contents
// could be read (a public copy of its first pages; the command pages were
// not at hand, December 2026). It confirms ABORt:DLOG, CALibration:ASAVE,
// CALibration:CURRent[:DATA][:HIGH], and APPLy's syntax with
// P6V|P25V|N25V|CH1|CH2|CH3 for the series; its chapter 1 describes the
// Questionable, Questionable Instrument and Instrument Summary registers,
// the Standard Event register and the Status Byte, and no Operation
// register. These facts could NOT be confirmed and stay the model's
// choices, each marked in its entry: DISPlay:TEXT's length (40), *SAV's
// locations (0 to 4), *OPT?'s answer (0), APPLy?'s form (two NR3 values,
// unquoted, where the E3631A quotes them), which names each member's
// APPLy takes, the STATus:OPERation bits (Keysight's N6700 meanings),
// which members have OUTPut:TRACk (whether the E36311A tracks its ±25 V
// outputs as the E3631A does), and the data logger's ranges, defaults
// and CSV layout.
func e36300Guide() sim.Guide {
	const (
		y   = sim.Implemented
		p   = sim.Partial
		na  = sim.NotApplicable
		set = sim.FormSet
		q   = sim.FormQuery
		b   = sim.FormBoth
	)
	e := func(section, cmd string, f sim.Forms, s sim.Status, note string) sim.GuideCommand {
		return sim.GuideCommand{Command: cmd, Forms: f, Section: section, Status: s, Note: note}
	}
	pairs := []string{"E36312A", "E36313A"}
	only := func(c sim.GuideCommand, members []string, lacks string) sim.GuideCommand {
		c.Only, c.Lacks = members, lacks
		return c
	}
	list := "; an optional channel list (@1:3) names the outputs, else the selected one"
	noCal := "calibration of the analogue hardware: a simulation has no hardware to calibrate"
	noLAN := "the unit's own LAN and USB interface settings: a simulated unit is reached through the simulator's servers, which have their own configuration"
	noFile := "state files on the internal memory or a USB stick: the model's file memory holds data logs and their CSV exports only"
	dlogNote := "; ranges and defaults not checked against the guide's pages (the model's: those of Keysight's N6700 data logger family)"
	status := "events latch the conditions seen whenever a status register or the status byte is read, not every transition in between"
	return sim.Guide{
		Title:  "Keysight E36300 Series Programming Guide, chapter 2 (SCPI Programming)",
		File:   "keysight-e36300",
		Models: []string{"E36311A", "E36312A", "E36313A"},
		Commands: []sim.GuideCommand{
			e("ABORt", "ABORt[:TRANsient]", set, y, "disarms the listed outputs' trigger system, a trigger still in its delay included"+list),
			e("ABORt", "ABORt:DLOG", set, y, "ends a running or waiting data log; its file keeps what was recorded"),
			e("APPLy", "APPLy", b, y, "CH1, CH2 or CH3 (also P6V, P25V, N25V on the E36311A, whose outputs are those) with optional voltage and current (MIN, MAX, DEF); the query answers +5.00000000E+00,+1.00000000E+00 for the named or selected output. Not confirmed: the guide's syntax lists P6V|P25V|N25V|CH1|CH2|CH3 for the series without saying which names each member takes, and APPLy?'s form (the E3631A quotes its answer)"),
			e("CALibration", "CALibration:COUNt", q, na, noCal),
			e("CALibration", "CALibration:ASAVE", b, na, noCal),
			e("CALibration", "CALibration:CURRent[:DATA][:HIGH]", set, na, noCal),
			e("CALibration", "CALibration:CURRent:LEVel", set, na, noCal),
			e("CALibration", "CALibration:DATE", b, na, noCal),
			e("CALibration", "CALibration:SAVE", set, na, noCal),
			e("CALibration", "CALibration:SECure:CODE", set, na, noCal),
			e("CALibration", "CALibration:SECure:STATe", b, na, noCal),
			e("CALibration", "CALibration:STRing", b, na, noCal),
			e("CALibration", "CALibration:VOLTage[:DATA]", set, na, noCal),
			e("CALibration", "CALibration:VOLTage:LEVel", set, na, noCal),
			e("DISPlay", "DISPlay[:WINDow][:STATe]", b, y, ""),
			e("DISPlay", "DISPlay[:WINDow]:TEXT[:DATA]", b, y, "up to 40 characters are kept, the rest cut off (the length is not confirmed by the guide); the query answers the text quoted"),
			e("DISPlay", "DISPlay[:WINDow]:TEXT:CLEar", set, y, ""),
			e("DISPlay", "DISPlay:VIEW", b, y, "METER1 (one output in large digits) or METER3 (all three); *RST: METER1"),
			e("FETCh", "FETCh[:SCALar]:CURRent[:DC]", q, p, "answers the present operating point, as a fresh measurement would: the simulated meter has no separate acquisition"+list),
			e("FETCh", "FETCh[:SCALar]:VOLTage[:DC]", q, p, "answers the present operating point, as a fresh measurement would: the simulated meter has no separate acquisition"+list),
			e("HCOPy", "HCOPy:SDUMp:DATA", q, na, "a screen image of the front panel: a simulated unit has no screen"),
			e("IEEE-488 common commands", "*CLS", set, y, "clears the error queue and every event register, the ISUMmary ones included"),
			e("IEEE-488 common commands", "*ESE", b, y, ""),
			e("IEEE-488 common commands", "*ESR", q, y, ""),
			e("IEEE-488 common commands", "*IDN", q, y, "Keysight Technologies,E36312A,MY59000001,2.1.0-1.0.4-1.12"),
			e("IEEE-488 common commands", "*OPC", b, y, ""),
			e("IEEE-488 common commands", "*OPT", q, y, "0: no options installed (the answer's form is not confirmed by the guide)"),
			e("IEEE-488 common commands", "*PSC", b, p, "the flag is kept; a simulated unit is never power-cycled, so it never acts"),
			e("IEEE-488 common commands", "*RCL", set, y, "locations 0 to 4 (not confirmed by the guide); a location never saved holds the power-on settings"),
			e("IEEE-488 common commands", "*RST", set, y, "leaves the enable registers, *PSC, the saved locations and their names alone"),
			e("IEEE-488 common commands", "*SAV", set, y, "locations 0 to 4 (not confirmed by the guide): levels, output states, protection, triggered levels and modes, trigger settings, coupling, pairing, tracking, sense"),
			e("IEEE-488 common commands", "*SRE", b, y, ""),
			e("IEEE-488 common commands", "*STB", q, y, "bit 3 (QUES) and bit 7 (OPER) from the enabled events of those registers"),
			e("IEEE-488 common commands", "*TRG", set, y, "every output initiated with TRIGger:SOURce BUS takes its triggered levels (where its MODE is STEP) after its TRIGger:DELay, and a data log waiting with TRIGger:DLOG:SOURce BUS starts; with neither, -211 Trigger ignored"),
			e("IEEE-488 common commands", "*TST", q, y, "0: passed"),
			e("IEEE-488 common commands", "*WAI", set, y, ""),
			e("INITiate", "INITiate[:IMMediate][:TRANsient]", set, y, "arms the listed outputs; with TRIGger:SOURce IMMediate the trigger comes at once and the triggered levels apply after TRIGger:DELay; again while armed or delaying: -213 Init ignored"+list),
			e("INITiate", "INITiate[:IMMediate]:DLOG", set, p, "\"<name>.dlog\": records the selected outputs' measured voltage and current every SENSe:DLOG:PERiod for SENSe:DLOG:TIME on the model's clock; with TRIGger:DLOG:SOURce IMMediate at once, with BUS from the trigger, keeping SENSe:DLOG:OFFSet percent of TIME from before it; again while running: -213 Init ignored. The file holds the log as the CSV of MMEMory:EXPort:DLOG, not Keysight's binary .dlog format; the model keeps at most 20000 samples a log and 8 files"),
			e("INSTrument", "INSTrument[:SELect]", b, y, "CH1, CH2, CH3"),
			e("INSTrument", "INSTrument:NSELect", b, y, "1, 2, 3"),
			e("LXI", "LXI:IDENtify[:STATe]", b, na, noLAN),
			e("LXI", "LXI:MDNS[:STATe]", b, na, noLAN),
			e("MEASure", "MEASure[:SCALar]:CURRent[:DC]", q, y, "the operating point with the load wired to the output"+list),
			e("MEASure", "MEASure[:SCALar]:VOLTage[:DC]", q, y, "the operating point with the load wired to the output"+list),
			e("MEMory", "MEMory:STATe:NAME", b, y, "location 0 to 4 and a name of up to 12 characters; the query answers it quoted"),
			e("MEMory", "MEMory:STATe:RECall:AUTO", b, p, "kept and read back; a simulated unit is never powered up again, so it never recalls"),
			e("MEMory", "MEMory:STATe:RECall:SELect", b, p, "0 to 4, kept and read back; a simulated unit is never powered up again, so it never recalls"),
			e("MEMory", "MEMory:STATe:VALid", q, y, "1 once the location has been saved"),
			e("MMEMory", "MMEMory:EXPort:DLOG", set, y, "\"<name>.csv\": the last finished log as CSV into the model's file memory (read from Go with the device's File): a header (Time (s),CH1 Voltage (V),CH1 Current (A),...) and a line per sample, its time in seconds from the trigger; the unit's exact CSV layout is not checked against the guide; no log yet: -200"),
			e("MMEMory", "MMEMory:LOAD:STATe", set, na, noFile),
			e("MMEMory", "MMEMory:STORe:STATe", set, na, noFile),
			e("OUTPut", "OUTPut:COUPle:CHANnel", b, p, "ALL, NONE or output names CH1 to CH3; switching one coupled output switches them all (the per-output turn-on delays are not simulated); the query answers ALL, NONE or CH1,CH3"),
			only(e("OUTPut", "OUTPut:PAIR", b, y, "OFF, PARallel or SERies: output 2 carries the pair with twice its current (PAR) or voltage (SER) range, output 3 refuses settings with -221 Settings conflict; pairing switches outputs 2 and 3 off and ends tracking"), pairs,
				"outputs 2 and 3 of the E36311A are +25 V and -25 V, which do not pair"),
			e("OUTPut", "OUTPut:PROTection:CLEar", set, y, "clears the listed outputs' OVP and OCP trips; they stay off until switched on"+list),
			e("OUTPut", "OUTPut[:STATe]", b, y, "ON or OFF"+list),
			only(e("OUTPut", "OUTPut:TRACk[:STATe]", b, y, "outputs 2 and 3 take the same voltage; refused with -221 while paired"), pairs,
				"the model follows our E36300 driver, which tracks outputs 2 and 3 of the E36312A and E36313A only; whether the E36311A tracks its ±25 V outputs (as the E3631A does) could not be confirmed from the guide"),
			e("SOURce", "[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", b, y, "value, MIN, MAX or DEF, range-checked on every listed output before any changes; the query takes MIN or MAX"+list),
			e("SOURce", "[SOURce:]CURRent[:LEVel]:TRIGgered[:AMPLitude]", b, y, "the level a trigger applies when CURRent:MODE is STEP; *RST: the output's full current; the query takes MIN or MAX"+list),
			e("SOURce", "[SOURce:]CURRent:MODE", b, y, "FIXed or STEP; the query answers FIX or STEP"+list),
			e("SOURce", "[SOURce:]CURRent:PROTection:CLEar", set, y, "as OUTPut:PROTection:CLEar"+list),
			e("SOURce", "[SOURce:]CURRent:PROTection:DELay[:TIME]", b, y, "0 to 0.255 s: OCP trips when the output has been in constant current for the delay, on the model's clock"+list),
			e("SOURce", "[SOURce:]CURRent:PROTection:DELay:STARt", b, y, "SCHange (the delay runs from the last settings change: output on, a level, a protection setting) or CCTRans (from entering constant current); the query answers SCH or CCTR"+list),
			e("SOURce", "[SOURce:]CURRent:PROTection:STATe", b, y, "OCP trips the output off when it has been in constant current for the OCP delay"+list),
			e("SOURce", "[SOURce:]CURRent:PROTection:TRIPped", q, y, "1 or 0 per output"+list),
			e("SOURce", "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", b, y, "value, MIN, MAX or DEF, range-checked on every listed output before any changes; the query takes MIN or MAX"+list),
			e("SOURce", "[SOURce:]VOLTage[:LEVel]:TRIGgered[:AMPLitude]", b, y, "the level a trigger applies when VOLTage:MODE is STEP; *RST: 0 V; the query takes MIN or MAX"+list),
			e("SOURce", "[SOURce:]VOLTage:MODE", b, y, "FIXed or STEP; the query answers FIX or STEP"+list),
			e("SOURce", "[SOURce:]VOLTage:PROTection[:LEVel]", b, y, "0 to 110% of the output's rating; a level below the programmed voltage trips the output off"+list),
			e("SOURce", "[SOURce:]VOLTage:PROTection:CLEar", set, y, "as OUTPut:PROTection:CLEar"+list),
			e("SOURce", "[SOURce:]VOLTage:PROTection:TRIPped", q, y, "1 or 0 per output"+list),
			e("SOURce", "[SOURce:]VOLTage:SENSe[:SOURce]", b, p, "INTernal or EXTernal, kept and read back (INT, EXT); the simulated output has no lead resistance for remote sense to correct"+list),
			e("STATus", "STATus:OPERation:CONDition", q, y, "bit 5 (WTG): an output is initiated and waiting for a trigger; bit 13: the INSTrument register's enabled events. Keysight's N6700 bit meanings: not confirmed, the guide's chapter 1 describes no Operation register"),
			e("STATus", "STATus:OPERation:ENABle", b, y, ""),
			e("STATus", "STATus:OPERation[:EVENt]", q, p, status),
			e("STATus", "STATus:OPERation:INSTrument:CONDition", q, y, "bit n: output n's ISUMmary has an enabled event"),
			e("STATus", "STATus:OPERation:INSTrument:ENABle", b, y, ""),
			e("STATus", "STATus:OPERation:INSTrument[:EVENt]", q, p, status),
			e("STATus", "STATus:OPERation:INSTrument:ISUMmary#:CONDition", q, y, "bit 5 (WTG) waiting for a trigger, bit 8 (CV) constant voltage, bit 10 (CC) constant current"),
			e("STATus", "STATus:OPERation:INSTrument:ISUMmary#:ENABle", b, y, ""),
			e("STATus", "STATus:OPERation:INSTrument:ISUMmary#[:EVENt]", q, p, status),
			e("STATus", "STATus:PRESet", set, y, "clears every enable mask of the QUEStionable and OPERation registers"),
			e("STATus", "STATus:QUEStionable:CONDition", q, y, "bit 0 (VOLTage): an output's OVP has tripped; bit 1 (CURRent): an output's OCP has tripped; bit 13: the INSTrument register's enabled events"),
			e("STATus", "STATus:QUEStionable:ENABle", b, y, ""),
			e("STATus", "STATus:QUEStionable[:EVENt]", q, p, status),
			e("STATus", "STATus:QUEStionable:INSTrument:CONDition", q, y, "bit n: output n's ISUMmary has an enabled event"),
			e("STATus", "STATus:QUEStionable:INSTrument:ENABle", b, y, ""),
			e("STATus", "STATus:QUEStionable:INSTrument[:EVENt]", q, p, status),
			e("STATus", "STATus:QUEStionable:INSTrument:ISUMmary#:CONDition", q, y, "2 in constant voltage, 1 in constant current, 0 off"),
			e("STATus", "STATus:QUEStionable:INSTrument:ISUMmary#:ENABle", b, y, ""),
			e("STATus", "STATus:QUEStionable:INSTrument:ISUMmary#[:EVENt]", q, p, status),
			e("SYSTem", "SYSTem:BEEPer[:IMMediate]", set, p, "accepted; a simulated unit has no beeper to sound"),
			e("SYSTem", "SYSTem:BEEPer:STATe", b, y, "*RST: ON"),
			e("SYSTem", "SYSTem:CHANnel[:COUNt]", q, y, "3"),
			e("SYSTem", "SYSTem:COMMunicate:LAN:CONTrol", q, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:DHCP", b, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:DNS", b, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:DOMain", b, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:GATeway", b, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:HOSTname", b, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:IPADdress", b, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:MAC", q, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:SMASk", b, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:UPDate", set, na, noLAN),
			e("SYSTem", "SYSTem:COMMunicate:LAN:WINS", b, na, noLAN),
			e("SYSTem", "SYSTem:ERRor[:NEXT]", q, y, "-222,\"Data out of range\" form; +0,\"No error\" when empty"),
			e("SYSTem", "SYSTem:ERRor:COUNt", q, y, "the number of errors queued"),
			e("SYSTem", "SYSTem:LOCal", set, p, "accepted; a simulated unit has no front panel to give back"),
			e("SYSTem", "SYSTem:PASSword:FPANel:RESet", set, na, "resets the front-panel menu password: a simulated unit has no front panel"),
			e("SYSTem", "SYSTem:REMote", set, p, "accepted; a simulated unit has no front panel to lock"),
			e("SYSTem", "SYSTem:RWLock", set, p, "accepted; a simulated unit has no front panel to lock"),
			e("SYSTem", "SYSTem:SECurity:IMMediate", set, na, "sanitizes the unit's non-volatile memory for a secure area: a simulated unit keeps nothing past its process"),
			e("SYSTem", "SYSTem:VERSion", q, y, "1999.0"),
			e("TRIGger", "TRIGger:DLOG:SOURce", b, y, "IMMediate or BUS (*TRG or TRIGger:DLOG starts a waiting log); the query answers IMM or BUS; *RST: IMM"),
			e("TRIGger", "TRIGger:DLOG[:IMMediate]", set, y, "starts a data log waiting for its trigger, whatever the source; none waiting: -211 Trigger ignored"),
			e("TRIGger", "TRIGger[:SEQuence]:DELay", b, y, "0 to 3600 s between a trigger and its levels, on the model's clock"+list),
			e("TRIGger", "TRIGger[:SEQuence]:SOURce", b, y, "BUS or IMMediate; the query answers BUS or IMM"+list),
			e("SENSe", "SENSe:DLOG:FUNCtion:CURRent", b, y, "ON or OFF: log the output's current; *RST: ON on every output; refused with -221 while a log runs"+list+dlogNote),
			e("SENSe", "SENSe:DLOG:FUNCtion:VOLTage", b, y, "ON or OFF: log the output's voltage; *RST: ON on every output; refused with -221 while a log runs"+list+dlogNote),
			e("SENSe", "SENSe:DLOG:OFFSet", b, y, "0 to 100: the percent of TIME recorded before a BUS trigger; *RST: 0"+dlogNote),
			e("SENSe", "SENSe:DLOG:PERiod", b, y, "0.2 to 60 s between samples, MIN, MAX, DEF; *RST: 1 s"+dlogNote),
			e("SENSe", "SENSe:DLOG:TIME", b, y, "1 to 360000 s of log, MIN, MAX, DEF; *RST: 30 s"+dlogNote),
		},
	}
}

func init() { sim.RegisterGuide(e36300Guide()) }
