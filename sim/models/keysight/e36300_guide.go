package keysight

import "github.com/scpikit/scpikit/sim"

// e36300Guide is the command index of the Keysight E36300 Series
// Programming Guide (E36311A, E36312A, E36313A), by subsystem.
func e36300Guide() sim.Guide {
	const (
		y   = sim.Implemented
		p   = sim.Partial
		na  = sim.NotApplicable
		no  = sim.Missing
		set = sim.FormSet
		q   = sim.FormQuery
		b   = sim.FormBoth
	)
	noCal := "calibration of the analogue hardware: a simulation has no hardware to calibrate"
	noIface := "configures the unit's own LAN, USB or GPIB port; a simulated unit's links are set by scpisim serve"
	noFiles := "the simulated unit has no internal or USB storage to keep files in"
	noScreen := "a screen image: the simulated unit has no screen to capture"
	list := "(@1:3) channel list or, without one, the channel INSTrument selected"
	pair := []string{"E36312A", "E36313A"}
	noPair := "CH2 and CH3 of the E36312A and E36313A are a pair of like outputs; the E36311A's CH3 is its negative output"
	e := func(section, cmd string, f sim.Forms, s sim.Status, note string) sim.GuideCommand {
		return sim.GuideCommand{Command: cmd, Forms: f, Section: section, Status: s, Note: note}
	}
	only := func(c sim.GuideCommand, members []string, lacks string) sim.GuideCommand {
		c.Only, c.Lacks = members, lacks
		return c
	}
	return sim.Guide{
		Title:  "Keysight E36300 Series Programming Guide (E36311A, E36312A, E36313A)",
		File:   "keysight-e36300",
		Models: []string{"E36311A", "E36312A", "E36313A"},
		Commands: []sim.GuideCommand{
			e("IEEE-488 common", "*CLS", set, y, ""),
			e("IEEE-488 common", "*ESE", b, y, ""),
			e("IEEE-488 common", "*ESR", q, y, ""),
			e("IEEE-488 common", "*IDN", q, y, "Keysight Technologies,<model>,<serial>,<firmware>"),
			e("IEEE-488 common", "*OPC", b, y, ""),
			e("IEEE-488 common", "*OPT", q, no, ""),
			e("IEEE-488 common", "*RCL", set, no, ""),
			e("IEEE-488 common", "*RST", set, y, ""),
			e("IEEE-488 common", "*SAV", set, no, ""),
			e("IEEE-488 common", "*SRE", b, y, ""),
			e("IEEE-488 common", "*STB", q, p, "bit 3 is set while a protection has tripped; the questionable register's enable mask is not modelled"),
			e("IEEE-488 common", "*TRG", set, no, ""),
			e("IEEE-488 common", "*TST", q, y, "0: passed"),
			e("IEEE-488 common", "*WAI", set, y, ""),
			e("ABORt", "ABORt[:TRANsient]", set, no, ""),
			e("APPLy", "APPLy", b, y, "CH1, CH2 or CH3, a voltage and an optional current (MIN, MAX, DEF), both checked before either changes; "+
				"the query takes the channel and answers +5.00000000E+00,+1.00000000E+00"),
			e("CALibration", "CALibration:CLEar", set, na, noCal),
			e("CALibration", "CALibration:COUNt", q, na, noCal),
			e("CALibration", "CALibration:CURRent[:DATA]", set, na, noCal),
			e("CALibration", "CALibration:CURRent:LEVel", set, na, noCal),
			e("CALibration", "CALibration:DATE", q, na, noCal),
			e("CALibration", "CALibration:SAVE", set, na, noCal),
			e("CALibration", "CALibration:SECure:CODE", set, na, noCal),
			e("CALibration", "CALibration:SECure:STATe", b, na, noCal),
			e("CALibration", "CALibration:STRing", b, na, noCal),
			e("CALibration", "CALibration:VOLTage[:DATA]", set, na, noCal),
			e("CALibration", "CALibration:VOLTage:LEVel", set, na, noCal),
			e("DISPlay", "DISPlay[:WINDow][:STATe]", b, p, "kept and read back; there is no screen to blank"),
			e("DISPlay", "DISPlay[:WINDow]:TEXT[:DATA]", b, p, "the text is kept and read back quoted; there is no screen to show it on"),
			e("DISPlay", "DISPlay[:WINDow]:TEXT:CLEar", set, y, ""),
			e("DISPlay", "DISPlay:VIEW", b, no, ""),
			e("FETCh", "FETCh[:SCALar]:CURRent[:DC]", q, y, "the channel's last MEASure reading, not measured again; 0 before the first"),
			e("FETCh", "FETCh[:SCALar]:VOLTage[:DC]", q, y, "the channel's last MEASure reading, not measured again; 0 before the first"),
			e("HCOPy", "HCOPy:SDUMp:DATA", q, na, noScreen),
			e("HCOPy", "HCOPy:SDUMp:DATA:FORMat", b, na, noScreen),
			e("INITiate", "INITiate[:IMMediate]:TRANsient", set, no, ""),
			e("INSTrument", "INSTrument[:SELect]", b, y, "CH1, CH2 or CH3; the query answers CH1"),
			e("INSTrument", "INSTrument:NSELect", b, y, "1 to 3"),
			e("LXI", "LXI:IDENtify[:STATe]", b, na, noIface),
			e("LXI", "LXI:MDNS:ENABle", b, na, noIface),
			e("LXI", "LXI:RESet", set, na, noIface),
			e("LXI", "LXI:RESTart", set, na, noIface),
			e("MEASure", "MEASure[:SCALar]:CURRent[:DC]", q, y, "each channel of the "+list+"; +1.00000000E+00"),
			e("MEASure", "MEASure[:SCALar]:VOLTage[:DC]", q, y, "each channel of the "+list),
			e("MEMory", "MEMory:STATe:NAME", b, no, ""),
			e("MEMory", "MEMory:STATe:RECall:AUTO", b, no, ""),
			e("MEMory", "MEMory:STATe:VALid", q, no, ""),
			e("MMEMory", "MMEMory:STORe:STATe", set, na, noFiles),
			e("MMEMory", "MMEMory:LOAD:STATe", set, na, noFiles),
			e("OUTPut", "OUTPut[:STATe]", b, y, "ON or OFF for each channel of the "+list+"; the query answers 1 or 0 per channel"),
			e("OUTPut", "OUTPut:DELay:FALL", b, no, ""),
			e("OUTPut", "OUTPut:DELay:RISE", b, no, ""),
			only(e("OUTPut", "OUTPut:PAIR", b, no, ""), pair, noPair),
			e("OUTPut", "OUTPut:PROTection:CLEar", set, y, "clears OVP and OCP on each channel of the "+list+"; the output stays off"),
			only(e("OUTPut", "OUTPut:TRACk[:STATe]", b, y, "CH2 and CH3 track CH2's or CH3's voltage setting"), pair, noPair),
			e("SOURce", "[SOURce:]CURRent[:LEVel][:IMMediate][:AMPLitude]", b, y, "a value, MIN, MAX or DEF, then an optional "+list+"; every channel's range is checked before any changes"),
			e("SOURce", "[SOURce:]CURRent[:LEVel]:TRIGgered[:AMPLitude]", b, no, ""),
			e("SOURce", "[SOURce:]CURRent:MODE", b, no, ""),
			e("SOURce", "[SOURce:]CURRent:PROTection:CLEar", set, y, "as OUTPut:PROTection:CLEar"),
			e("SOURce", "[SOURce:]CURRent:PROTection:DELay[:TIME]", b, no, ""),
			e("SOURce", "[SOURce:]CURRent:PROTection:DELay:STARt", b, no, ""),
			e("SOURce", "[SOURce:]CURRent:PROTection:STATe", b, y, "OCP trips the output off when it enters constant current"),
			e("SOURce", "[SOURce:]CURRent:PROTection:TRIPped", q, y, "1 or 0 per channel"),
			e("SOURce", "[SOURce:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", b, y, "a value, MIN, MAX or DEF, then an optional "+list+"; a tracking pair follows"),
			e("SOURce", "[SOURce:]VOLTage[:LEVel]:TRIGgered[:AMPLitude]", b, no, ""),
			e("SOURce", "[SOURce:]VOLTage:MODE", b, no, ""),
			e("SOURce", "[SOURce:]VOLTage:PROTection:CLEar", set, y, "as OUTPut:PROTection:CLEar"),
			e("SOURce", "[SOURce:]VOLTage:PROTection[:LEVel]", b, y, "0 to 110% of the channel's rating"),
			e("SOURce", "[SOURce:]VOLTage:PROTection:TRIPped", q, y, "1 or 0 per channel"),
			e("SOURce", "[SOURce:]VOLTage:SENSe[:SOURce]", b, p, "INTernal or EXTernal is kept and read back as INT or EXT; the sense leads' voltage drop is not simulated"),
			e("SOURce", "[SOURce:]LIST:COUNt", b, no, ""),
			e("SOURce", "[SOURce:]LIST:CURRent[:LEVel]", b, no, ""),
			e("SOURce", "[SOURce:]LIST:CURRent:POINts", q, no, ""),
			e("SOURce", "[SOURce:]LIST:DWELl", b, no, ""),
			e("SOURce", "[SOURce:]LIST:DWELl:POINts", q, no, ""),
			e("SOURce", "[SOURce:]LIST:STEP", b, no, ""),
			e("SOURce", "[SOURce:]LIST:TERMinate:LAST", b, no, ""),
			e("SOURce", "[SOURce:]LIST:TOUTput:BOSTep[:DATA]", b, no, ""),
			e("SOURce", "[SOURce:]LIST:TOUTput:EOSTep[:DATA]", b, no, ""),
			e("SOURce", "[SOURce:]LIST:VOLTage[:LEVel]", b, no, ""),
			e("SOURce", "[SOURce:]LIST:VOLTage:POINts", q, no, ""),
			e("STATus", "STATus:OPERation:CONDition", q, no, ""),
			e("STATus", "STATus:OPERation:ENABle", b, no, ""),
			e("STATus", "STATus:OPERation[:EVENt]", q, no, ""),
			e("STATus", "STATus:OPERation:INSTrument:ISUMmary#:CONDition", q, no, ""),
			e("STATus", "STATus:OPERation:INSTrument:ISUMmary#:ENABle", b, no, ""),
			e("STATus", "STATus:OPERation:INSTrument:ISUMmary#[:EVENt]", q, no, ""),
			e("STATus", "STATus:PRESet", set, no, ""),
			e("STATus", "STATus:QUEStionable:CONDition", q, no, ""),
			e("STATus", "STATus:QUEStionable:ENABle", b, no, ""),
			e("STATus", "STATus:QUEStionable[:EVENt]", q, no, ""),
			e("STATus", "STATus:QUEStionable:INSTrument:ISUMmary#:CONDition", q, p, "2 in CV, 1 in CC, 0 off, as the guide's CV and CC bits read; "+
				"the OV, OC and other bits are not reported"),
			e("STATus", "STATus:QUEStionable:INSTrument:ISUMmary#:ENABle", b, no, ""),
			e("STATus", "STATus:QUEStionable:INSTrument:ISUMmary#[:EVENt]", q, no, ""),
			e("SYSTem", "SYSTem:BEEPer[:IMMediate]", set, p, "counted, silent; none while the beeper is off"),
			e("SYSTem", "SYSTem:BEEPer:STATe", b, y, "on after *RST"),
			e("SYSTem", "SYSTem:CHANnel[:COUNt]", q, y, "3"),
			e("SYSTem", "SYSTem:COMMunicate:LAN:CONTrol", q, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:DHCP", b, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:DNS", b, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:DOMain", b, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:GATEway", b, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:HOSTname", b, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:IPADdress", b, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:MAC", q, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:SMASk", b, na, noIface),
			e("SYSTem", "SYSTem:COMMunicate:LAN:UPDate", set, na, noIface),
			e("SYSTem", "SYSTem:DATE", b, no, ""),
			e("SYSTem", "SYSTem:ERRor[:NEXT]", q, y, ""),
			e("SYSTem", "SYSTem:ERRor:COUNt", q, y, ""),
			e("SYSTem", "SYSTem:LOCal", set, p, "the mode is kept; a simulated unit has no front panel to lock"),
			e("SYSTem", "SYSTem:REMote", set, p, "the mode is kept; a simulated unit has no front panel to lock"),
			e("SYSTem", "SYSTem:RWLock", set, p, "the mode is kept; a simulated unit has no front panel to lock"),
			e("SYSTem", "SYSTem:SECurity:IMMediate", set, na, noFiles),
			e("SYSTem", "SYSTem:TIME", b, no, ""),
			e("SYSTem", "SYSTem:VERSion", q, y, "1999.0"),
			e("TRIGger", "TRIGger[:SEQuence]:DELay", b, no, ""),
			e("TRIGger", "TRIGger[:SEQuence]:SOURce", b, no, ""),
			e("TRIGger", "TRIGger[:SEQuence][:IMMediate]", set, no, ""),
		},
	}
}

func init() { sim.RegisterGuide(e36300Guide()) }
