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
		e("CALCulate:LIMit", "CALCulate:LIMit:CLEar[:IMMediate]", set, y, "clears the questionable lower and upper limit failed bits (11, 12)"),
		e("CALCulate:LIMit", "CALCulate:LIMit:LOWer[:DATA]", b, y, "a reading below sets questionable bit 11 (condition: the latest reading; event latched)"),
		e("CALCulate:LIMit", "CALCulate:LIMit:UPPer[:DATA]", b, y, "a reading above sets questionable bit 12 (condition: the latest reading; event latched)"),
		e("CALCulate:LIMit", "CALCulate:LIMit[:STATe]", b, y, "the scaled reading is tested, after smoothing and scaling"),
		e("CALCulate:SCALe", "CALCulate:SCALe:DB:REFerence", b, y, "-200 to +200 dBm; setting it turns REFerence:AUTO off"),
		e("CALCulate:SCALe", "CALCulate:SCALe:DBM:REFerence", b, y, "50 to 8000 ohms, the guide's 17 values (others -224); 600 again after a function change"),
		e("CALCulate:SCALe", "CALCulate:SCALe:FUNCtion", b, y, "DB, DBM; PCT and SCALe on the 34465A and 34470A only (-224 on the others), as the guide says"),
		only(e("CALCulate:SCALe", "CALCulate:SCALe:GAIN", b, y, "M of the guide's Mx-B; default 1"), high, highWhy),
		only(e("CALCulate:SCALe", "CALCulate:SCALe:OFFSet", b, y, "B of the guide's Mx-B: subtracted, as the guide writes it"), high, highWhy),
		only(e("CALCulate:SCALe", "CALCulate:SCALe:REFerence", b, y, "the PCT reference; setting it turns REFerence:AUTO off"), high, highWhy),
		e("CALCulate:SCALe", "CALCulate:SCALe:REFerence:AUTO", b, y, "ON: the first reading after INIT, READ?, MEASure? or enabling becomes the DB or PCT reference"),
		e("CALCulate:SCALe", "CALCulate:SCALe[:STATe]", b, y, "dB and dBm on DC and AC volts, PCT and Mx-B on all but continuity and diode (-221 otherwise); off after a function change; results beyond 1E+24 are +/-9.9E+37"),
		only(e("CALCulate:SCALe", "CALCulate:SCALe:UNIT", b, y, "a quoted label of up to 4 characters (-223 longer)"), high, highWhy),
		only(e("CALCulate:SCALe", "CALCulate:SCALe:UNIT:STATe", b, y, ""), high, highWhy),
		only(e("CALCulate:SMOothing", "CALCulate:SMOothing:RESPonse", b, y, "SLOW 100, MEDium 50, FAST 10 readings; answers SLOW, MED or FAST"), high, highWhy),
		only(e("CALCulate:SMOothing", "CALCulate:SMOothing[:STATe]", b, p, "a moving average of the last 10, 50 or 100 readings, restarted by INIT, READ?, MEASure? and a function change; "+
			"not restarted by a reading far from the average, for which the guide gives no threshold"), high, highWhy),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:ALL", q, y, "lower and upper range (NR3), count, then POINts+2 bins (+n), below and above the range included"),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:CLEar[:IMMediate]", set, y, ""),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:COUNt", q, y, "readings counted; overloads have no bin and are not counted"),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:DATA", q, y, ""),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:POINts", b, y, "10, 20, 40, 100, 200 or 400 (others -224)"),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:RANGe:AUTO", b, y, "ON: the first 1,000 readings set the range; before that a query bins the readings so far between their extremes"),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:RANGe:LOWer", b, y, "setting it turns RANGe:AUTO off; with AUTO and no data: +9.91000000E+37"),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram:RANGe:UPPer", b, y, "setting it turns RANGe:AUTO off; with AUTO and no data: +9.91000000E+37"),
		e("CALCulate:TRANsform:HISTogram", "CALCulate:TRANsform:HISTogram[:STATe]", b, y, "counts the readings taken while on; cleared by INIT, READ?, MEASure?, a function change and every histogram setting"),
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
		e("DATA", "DATA:POINts:EVENt:THReshold", b, y, "1 to the memory size (1,000, 10,000 or 50,000 readings); sets operation bit 9"),
		e("DATA", "DATA:POINts", q, y, "a signed count: +3"),
		e("DATA", "DATA:REMove", q, y, "WAIT accepted: a simulated memory fills at once"),
		e("DISPlay", "DISPlay[:STATe]", b, y, ""),
		e("DISPlay", "DISPlay:TEXT:CLEar", set, y, ""),
		e("DISPlay", "DISPlay:TEXT[:DATA]", b, y, ""),
		e("DISPlay", "DISPlay:VIEW", b, p, "NUMeric, HISTogram, TCHart or METer, kept and read back (TCHart -224 on the 34460A, which has no trend chart); the screen capture draws the same bar in every view"),
		e("FETCh", "FETCh", q, y, "the readings in memory, kept; none: -230 Data corrupt or stale"),
		e("FORMat", "FORMat:BORDer", b, y, ""),
		e("FORMat", "FORMat[:DATA]", b, y, "ASCii,9 on all; REAL,64 on the 34465A and 34470A only (-113 on the others)"),
		e("HCOPy", "HCOPy:SDUMp:DATA:FORMat", b, y, "PNG (default) or BMP"),
		e("HCOPy", "HCOPy:SDUMp:DATA", q, p, "a valid 480x272 two-colour PNG or BMP in a definite block: the frame and a bar for the last reading; no text is drawn"),
		e("IEEE-488", "*CLS", set, y, ""),
		e("IEEE-488", "*ESE", b, y, ""),
		e("IEEE-488", "*ESR", q, y, ""),
		e("IEEE-488", "*IDN", q, y, ""),
		e("IEEE-488", "*LRN", q, y, "the commands that, sent back, restore every setting; not the readings, status registers or clock"),
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
		e("INITiate", "INITiate[:IMMediate]", set, p, "IMMediate takes every reading at once (at most 2,000,000 per INIT or READ?), SAMPle:TIMer and TRIGger:DELay not waited; EXTernal and INTernal never fire (no signal reaches a simulated input)"),
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
		e("OUTPut", "OUTPut:TRIGger:SLOPe", b, p, "POSitive or NEGative (default), kept; a simulated meter has no rear-panel VM Comp output"),
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
			e(sec, base+":NULL:VALue:AUTO", b, y, "ON: the next reading with NULL on becomes NULL:VALue and automatic selection turns off; setting NULL:VALue turns it off"))
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
				e(sec, base+":TRANsducer:FRTD:RESistance[:REFerence]", b, y, "R0, 49 to 2.1 k ohm, default 100; one value for FRTD and RTD"),
				e(sec, base+":TRANsducer:RTD:RESistance[:REFerence]", b, y, "R0, 49 to 2.1 k ohm, default 100; one value for FRTD and RTD"),
				e(sec, base+":TRANsducer:FTHermistor:TYPE", b, y, "5000 only, answered +5000; others -222"),
				e(sec, base+":TRANsducer:THERmistor:TYPE", b, y, "5000 only, answered +5000; others -222"))
		case fnFreq, fnPer:
			add(e(sec, base+":APERture", b, y, "10 ms, 100 ms (default) or 1 s, and 1 ms on the 34465A and 34470A, rounding up; shared by FREQuency and PERiod"),
				e(sec, base+":RANGe:LOWer", b, y, "3, 20 (default) or 200 Hz, the filter for the lowest frequency asked; shared by FREQuency and PERiod"),
				e(sec, base+":TIMeout:AUTO", b, y, "kept through *RST and SYSTem:PRESet, as the guide says; shared by FREQuency and PERiod"))
		}
		if fn == fnVoltAC || fn == fnCurrAC {
			add(e(sec, base+":BANDwidth", b, y, "3, 20 or 200 Hz: the filter for the lowest frequency asked"))
		}
	}
	add(e("[SENSe:]FUNCtion", "[SENSe:]FUNCtion[:ON]", b, y, `a quoted name, "VOLT" or "VOLT:AC"; the query answers "VOLT"`),
		e("STATus", "STATus:OPERation:CONDition", q, y, "+n: bit 4 measuring and 5 waiting for trigger (INIT with TRIG:SOUR BUS, EXT or INT), 8 configuration change since INIT/READ?/MEAS?, "+
			"9 memory threshold, 13 global error; bits 0 (calibrating) and 10 (locked) never set: no calibration, no SYSTem:LOCK"),
		e("STATus", "STATus:OPERation:ENABle", b, y, "+n; enabled events set status byte bit 7"),
		e("STATus", "STATus:OPERation[:EVENt]", q, p, "read and cleared; a configuration change or an error in the queue latches when a measurement, INIT, ABORt, *STB? or a status query looks, not at the instant"),
		e("STATus", "STATus:PRESet", set, y, "clears both enable registers"),
		e("STATus", "STATus:QUEStionable:CONDition", q, y, "+n: bits 11/12 the latest reading failed the lower/upper limit, 14 memory overflow; overload bits are events only (0 here), as the guide says"),
		e("STATus", "STATus:QUEStionable:ENABle", b, y, "+n; enabled events set status byte bit 3"),
		e("STATus", "STATus:QUEStionable[:EVENt]", q, y, "read and cleared (*CLS too): overloads (0 volts, 1 current, 4 temperature, 5 frequency, 9 resistance, 10 capacitance), limits, memory overflow"),
		e("SYSTem", "SYSTem:BEEPer[:IMMediate]", set, p, "silent"),
		e("SYSTem", "SYSTem:BEEPer:STATe", b, y, "1 or 0"),
		e("SYSTem", "SYSTem:COMMunicate:ENABle", b, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:GPIB:ADDRess", b, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:LAN:DHCP", b, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:LAN:IPADdress", b, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:LAN:MAC", q, na, noIface),
		e("SYSTem", "SYSTem:COMMunicate:LAN:UPDate", set, na, noIface),
		e("SYSTem", "SYSTem:DATE", b, y, "2000 to 2099; answers +2026,+03,+07; the clock runs from the host's, kept through *RST"),
		e("SYSTem", "SYSTem:ERRor[:NEXT]", q, y, ""),
		e("SYSTem", "SYSTem:LFRequency", q, p, "+50: a simulated meter has no mains to measure"),
		e("SYSTem", "SYSTem:LOCal", set, y, ""),
		e("SYSTem", "SYSTem:PRESet", set, y, "*RST with statistics and the histogram on, as the guide says"),
		e("SYSTem", "SYSTem:REMote", set, y, ""),
		e("SYSTem", "SYSTem:RWLock", set, y, ""),
		e("SYSTem", "SYSTem:SECurity:IMMediate", set, na, "sanitizes the meter's non-volatile memory; a simulated meter keeps nothing"),
		e("SYSTem", "SYSTem:TIME", b, y, "answers +13,+05,+09.250"),
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
