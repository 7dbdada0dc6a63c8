package keysight

import "github.com/scpikit/scpikit/sim"

// truevoltGuide is the command index of the Keysight Truevolt Series
// Operating and Service Guide (34460A, 34461A, 34465A, 34470A), chapter
// "SCPI Programming Reference", by subsystem.
func truevoltGuide() sim.Guide {
	const (
		y   = sim.Implemented
		p   = sim.Partial
		na  = sim.NotApplicable
		no  = sim.Missing
		set = sim.FormSet
		q   = sim.FormQuery
		b   = sim.FormBoth
	)
	high := []string{"34465A", "34470A"}
	highWhy := "the 34460A and 34461A lack it: a 34465A/34470A feature"
	tenAmp := []string{"34461A", "34465A", "34470A"}
	noFiles := "the simulated meter has no internal or USB storage to keep files in"
	noIface := "configures the meter's own LAN, USB or GPIB port; a simulated meter's links are set by scpisim serve"
	noCal := "calibration of the analogue hardware: a simulation has no hardware to calibrate"
	e := func(section, cmd string, f sim.Forms, s sim.Status, note string) sim.GuideCommand {
		return sim.GuideCommand{Command: cmd, Forms: f, Section: section, Status: s, Note: note}
	}
	only := func(c sim.GuideCommand, members []string, lacks string) sim.GuideCommand {
		c.Only, c.Lacks = members, lacks
		return c
	}
	physics := map[int]string{
		fnVoltAC: "reads 0: the DC supplies the meter probes have no AC component",
		fnCurrAC: "reads 0: the DC supplies the meter probes have no AC component",
		fnFreq:   "reads 0: no AC signal reaches a simulated input",
		fnPer:    "reads 0: no AC signal reaches a simulated input",
		fnCap:    "reads 0: the simulated circuits have no capacitance",
		fnTemp:   "reads +9.9E+37: no temperature transducer is wired to a simulated input",
		fnDiod:   "the forward voltage of a resistor at 1 mA; open: +9.9E+37",
	}
	var cmds []sim.GuideCommand
	add := func(c ...sim.GuideCommand) { cmds = append(cmds, c...) }
	add(e("ABORt", "ABORt", set, y, ""))
	for _, c := range []string{"CALCulate:AVERage:ALL", "CALCulate:AVERage:AVERage", "CALCulate:AVERage:COUNt",
		"CALCulate:AVERage:MAXimum", "CALCulate:AVERage:MINimum", "CALCulate:AVERage:PTPeak", "CALCulate:AVERage:SDEViation"} {
		add(e("CALCulate:AVERage", c, q, y, "NR3; ALL? is mean, standard deviation, minimum, maximum"))
	}
	add(e("CALCulate:AVERage", "CALCulate:AVERage:CLEar[:IMMediate]", set, y, ""),
		e("CALCulate:AVERage", "CALCulate:AVERage[:STATe]", b, y, "statistics of the readings taken while on; an overload is not counted"),
		e("CALCulate:LIMit", "CALCulate:LIMit:CLEar[:IMMediate]", set, p, "accepted; the meter has no status registers yet to clear"),
		e("CALCulate:LIMit", "CALCulate:LIMit:LOWer[:DATA]", b, p, "kept and read back; a reading outside sets no status bit"),
		e("CALCulate:LIMit", "CALCulate:LIMit:UPPer[:DATA]", b, p, "kept and read back; a reading outside sets no status bit"),
		e("CALCulate:LIMit", "CALCulate:LIMit[:STATe]", b, p, "kept and read back"),
		e("CALCulate:SCALe", "CALCulate:SCALe:FUNCtion", b, no, ""),
		e("CALCulate:SCALe", "CALCulate:SCALe:GAIN", b, no, ""),
		e("CALCulate:SCALe", "CALCulate:SCALe:OFFSet", b, no, ""),
		e("CALCulate:SCALe", "CALCulate:SCALe:REFerence", b, no, ""),
		e("CALCulate:SCALe", "CALCulate:SCALe[:STATe]", b, no, ""),
		e("CALCulate:SMOothing", "CALCulate:SMOothing:RESPonse", b, no, ""),
		e("CALCulate:SMOothing", "CALCulate:SMOothing[:STATe]", b, no, ""),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:ALL", q, no, ""),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:CLEar[:IMMediate]", set, no, ""),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:COUNt", q, no, ""),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:DATA", q, no, ""),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:POINts", b, no, ""),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram[:STATe]", b, no, ""),
		e("CALibration", "CALibration:ADC", q, na, noCal),
		e("CALibration", "CALibration:COUNt", q, na, noCal),
		e("CALibration", "CALibration[:ALL]", q, na, noCal),
		e("CALibration", "CALibration:SECure:STATe", b, na, noCal),
		e("CALibration", "CALibration:STORe", set, na, noCal),
		e("CALibration", "CALibration:STRing", b, na, noCal),
		e("CALibration", "CALibration:VALue", b, na, noCal))
	for fn, f := range truevoltFunctions {
		note := physics[fn]
		st := y
		if note != "" {
			st = p
		}
		add(e("CONFigure", "CONFigure:"+f.conf, set, y, "range (value, AUTO, MIN, MAX, DEF) and resolution; trigger and sample counts to 1"),
			e("MEASure", "MEASure:"+f.conf, q, st, note))
	}
	add(e("CONFigure", "CONFigure", q, y, `"VOLT +1.000000E+01,+3.000000E-06": function, range, resolution`),
		e("DATA", "DATA:LAST", q, y, "the last reading and its unit: +5.00000000E+00 VDC"),
		e("DATA", "DATA:POINts:EVENt:THReshold", b, no, ""),
		e("DATA", "DATA:POINts", q, y, "a signed count: +3"),
		e("DATA", "DATA:REMove", q, y, "WAIT accepted: a simulated memory fills at once"),
		e("DISPlay", "DISPlay[:STATe]", b, y, ""),
		e("DISPlay", "DISPlay:TEXT:CLEar", set, y, ""),
		e("DISPlay", "DISPlay:TEXT[:DATA]", b, y, ""),
		e("DISPlay", "DISPlay:VIEW", b, no, ""),
		e("FETCh", "FETCh", q, y, "the readings in memory, kept; none: -230 Data corrupt or stale"),
		e("FORMat", "FORMat:BORDer", b, y, ""),
		e("FORMat", "FORMat[:DATA]", b, y, "ASCii,9 on all; REAL,64 on the 34465A and 34470A only (-113 on the others)"),
		e("HCOPy", "HCOPy:SDUMp:DATA:FORMat", b, no, ""),
		e("HCOPy", "HCOPy:SDUMp:DATA", q, no, ""),
		e("IEEE-488", "*CLS", set, y, ""),
		e("IEEE-488", "*ESE", b, y, ""),
		e("IEEE-488", "*ESR", q, y, ""),
		e("IEEE-488", "*IDN", q, y, ""),
		e("IEEE-488", "*LRN", q, no, ""),
		e("IEEE-488", "*OPC", b, y, ""),
		e("IEEE-488", "*OPT", q, y, "0: the simulated meters have no option installed"),
		e("IEEE-488", "*PSC", b, p, "the flag is kept; a simulated meter is never power-cycled"),
		e("IEEE-488", "*RCL", set, y, "locations 0 to 4; an empty one is -200 Execution error"),
		e("IEEE-488", "*RST", set, y, ""),
		e("IEEE-488", "*SAV", set, y, "locations 0 to 4: every setting, not the readings"),
		e("IEEE-488", "*SRE", b, y, ""),
		e("IEEE-488", "*STB", q, y, ""),
		e("IEEE-488", "*TRG", set, y, "with TRIG:SOUR BUS after INIT: SAMPle:COUNt readings; otherwise -211 Trigger ignored"),
		e("IEEE-488", "*TST", q, y, "0: passed"),
		e("IEEE-488", "*WAI", set, y, ""),
		e("INITiate", "INITiate[:IMMediate]", set, p, "IMMediate takes every reading at once, SAMPle:TIMer and TRIGger:DELay not waited; EXTernal and INTernal never fire (no signal reaches a simulated input)"),
		e("LXI", "LXI:IDENtify[:STATe]", b, na, noIface),
		e("LXI", "LXI:MDNS:ENABle", b, na, noIface),
		e("LXI", "LXI:RESet", set, na, noIface),
		e("LXI", "LXI:RESTart", set, na, noIface),
		e("MMEMory", "MMEMory:CATalog[:ALL]", q, na, noFiles),
		e("MMEMory", "MMEMory:CDIRectory", b, na, noFiles),
		e("MMEMory", "MMEMory:DELete", set, na, noFiles),
		e("MMEMory", "MMEMory:LOAD:STATe", set, na, noFiles),
		e("MMEMory", "MMEMory:MDIRectory", set, na, noFiles),
		e("MMEMory", "MMEMory:STORe:DATA", set, na, noFiles),
		e("MMEMory", "MMEMory:STORe:STATe", set, na, noFiles),
		e("OUTPut", "OUTPut:TRIGger:SLOPe", b, no, ""),
		e("R?", "R", q, y, "reads and erases; an ASCII or REAL,64 definite block"),
		e("READ?", "READ", q, y, "TRIG:SOUR BUS or EXT: -214 Trigger deadlock, as the unit answers"),
		e("SAMPle", "SAMPle:COUNt", b, y, "answers +1, not +1.000000000E+00"),
		only(e("SAMPle", "SAMPle:COUNt:PRETrigger", b, p, "kept and read back (+n); no level trigger fires on a simulated input"), high, highWhy),
		e("SAMPle", "SAMPle:SOURce", b, p, "kept; TIMer paces nothing, the readings come at once"),
		e("SAMPle", "SAMPle:TIMer", b, p, "kept and read back; not waited"))
	for fn, f := range truevoltFunctions {
		if f.sense == "" {
			continue
		}
		base := "[SENSe:]" + f.sense
		sec := "[SENSe:]" + shortConf(f.conf)
		rangeNode := ":RANGe"
		if fn == fnFreq || fn == fnPer {
			rangeNode = ":VOLTage:RANGe"
		}
		if fn != fnTemp {
			rng := e(sec, base+rangeNode, b, y, "the smallest range that holds the value")
			if fn == fnCurr || fn == fnCurrAC {
				rng.Note += "; 10 A on the 34461A, 34465A and 34470A, whichever terminals are selected"
			}
			add(rng, e(sec, base+rangeNode+":AUTO", b, y, "ON, OFF or ONCE"))
		}
		add(e(sec, base+":NULL[:STATe]", b, y, ""),
			e(sec, base+":NULL:VALue", b, y, ""),
			e(sec, base+":NULL:VALue:AUTO", b, p, "kept; the next reading does not become the null value"))
		if f.integrates {
			add(e(sec, base+":NPLC", b, y, "0.02, 0.2, 1, 10, 100 (34460A, 34461A); 0.06 too on the 34465A and 34470A: a value rounds up to the next"),
				e(sec, base+":ZERO:AUTO", b, p, "kept; the readings have no offset to null"))
			if fn != fnTemp {
				add(e(sec, base+":RESolution", b, p, "kept and reported by CONF?; not coupled to NPLC"))
			}
			add(only(e(sec, base+":APERture", b, p, "kept and enables the aperture; the reading time is not modelled"), high, highWhy),
				only(e(sec, base+":APERture:ENABled", b, y, ""), high, highWhy))
		}
		switch fn {
		case fnVolt:
			add(e(sec, base+":IMPedance:AUTO", b, p, "kept; the input impedance does not load the probed output"))
		case fnCurr, fnCurrAC:
			add(only(e(sec, base+":TERMinals", b, p, "3 or 10, answered +3 or +10; not coupled to the range"), tenAmp, "the 34460A has no 10 A terminals"))
		case fnRes, fnFRes:
			add(e(sec, base+":OCOMpensated", b, p, "kept; the simulated resistances have no thermal EMF to compensate"))
		case fnTemp:
			add(e(sec, base+":TRANsducer:TYPE", b, y, "FRTD, RTD, FTHermistor or THERmistor"),
				e(sec, base+":TRANsducer:FRTD:RESistance[:REFerence]", b, no, ""),
				e(sec, base+":TRANsducer:RTD:RESistance[:REFerence]", b, no, ""),
				e(sec, base+":TRANsducer:FTHermistor:TYPE", b, no, ""),
				e(sec, base+":TRANsducer:THERmistor:TYPE", b, no, ""))
		case fnFreq, fnPer:
			add(e(sec, base+":APERture", b, no, ""),
				e(sec, base+":RANGe:LOWer", b, no, ""),
				e(sec, base+":TIMeout:AUTO", b, no, ""))
		}
		if fn == fnVoltAC || fn == fnCurrAC {
			add(e(sec, base+":BANDwidth", b, y, "3, 20 or 200 Hz: the filter for the lowest frequency asked"))
		}
	}
	add(e("[SENSe:]FUNCtion", "[SENSe:]FUNCtion[:ON]", b, y, `a quoted name, "VOLT" or "VOLT:AC"; the query answers "VOLT"`),
		e("STATus", "STATus:OPERation:CONDition", q, no, ""),
		e("STATus", "STATus:OPERation:ENABle", b, no, ""),
		e("STATus", "STATus:OPERation[:EVENt]", q, no, ""),
		e("STATus", "STATus:PRESet", set, no, ""),
		e("STATus", "STATus:QUEStionable:CONDition", q, no, ""),
		e("STATus", "STATus:QUEStionable:ENABle", b, no, ""),
		e("STATus", "STATus:QUEStionable[:EVENt]", q, no, ""),
		e("SYSTem", "SYSTem:BEEPer[:IMMediate]", set, p, "silent"),
		e("SYSTem", "SYSTem:BEEPer:STATe", b, y, "1 or 0"),
		e("SYSTem", "SYSTem:COMMunicate:ENABle", b, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:GPIB:ADDRess", b, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:LAN:DHCP", b, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:LAN:IPADdress", b, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:LAN:MAC", q, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:LAN:UPDate", set, na, noIface),
		e("SYSTem", "SYSTem:DATE", b, no, ""),
		e("SYSTem", "SYSTem:ERRor[:NEXT]", q, y, ""),
		e("SYSTem", "SYSTem:LFRequency", q, p, "+50: a simulated meter has no mains to measure"),
		e("SYSTem", "SYSTem:LOCal", set, y, ""),
		e("SYSTem", "SYSTem:PRESet", set, no, ""),
		e("SYSTem", "SYSTem:REMote", set, y, ""),
		e("SYSTem", "SYSTem:RWLock", set, y, ""),
		e("SYSTem", "SYSTem:SECurity:IMMediate", set, na, "sanitizes the meter's non-volatile memory; a simulated meter keeps nothing"),
		e("SYSTem", "SYSTem:TIME", b, no, ""),
		e("SYSTem", "SYSTem:VERSion", q, y, ""),
		e("TRIGger", "TRIGger:COUNt", b, p, "1 to 1,000,000 or INFinity (+9.90000000E+37); INFinity with IMMediate fills the memory"),
		e("TRIGger", "TRIGger:DELay", b, p, "kept and read back; not waited"),
		e("TRIGger", "TRIGger:DELay:AUTO", b, y, ""),
		only(e("TRIGger", "TRIGger:LEVel", b, p, "kept and read back; no signal reaches a simulated input to cross it"), high, highWhy),
		e("TRIGger", "TRIGger:SLOPe", b, p, "kept; no external trigger reaches a simulated input"),
		e("TRIGger", "TRIGger:SOURce", b, y, "IMMediate, BUS, EXTernal; INTernal (level) on the 34465A and 34470A"),
		e("UNIT", "UNIT:TEMPerature", b, p, "C, F or K, kept; no transducer is wired, so no reading to convert"))
	return sim.Guide{
		Title:    "Keysight Truevolt Series Digital Multimeters Operating and Service Guide (34460A, 34461A, 34465A, 34470A)",
		File:     "keysight-truevolt",
		Models:   truevoltModels,
		Commands: cmds,
	}
}
