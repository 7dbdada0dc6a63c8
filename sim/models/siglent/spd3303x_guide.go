package siglent

import "github.com/scpikit/scpikit/sim"

// spd3303xGuide is the command index of the Siglent SPD3303X/SPD3303X-E
// programming guide, in the guide's order.
func spd3303xGuide() sim.Guide {
	const (
		y   = sim.Implemented
		p   = sim.Partial
		set = sim.FormSet
		q   = sim.FormQuery
		b   = sim.FormBoth
	)
	lan := "kept and read back (static addresses only while DHCP is off, else -221 Settings conflict); " +
		"a simulated unit's links are set by scpisim serve, so the address does not move them. " +
		"The engine's parser reads the guide's unquoted 10.11.13.214 as a malformed number (-121): send it quoted"
	e := func(section, cmd string, f sim.Forms, s sim.Status, note string) sim.GuideCommand {
		return sim.GuideCommand{Command: cmd, Forms: f, Section: section, Status: s, Note: note}
	}
	return sim.Guide{
		Title:  "Siglent SPD3303X/SPD3303X-E Programming Guide",
		File:   "siglent-spd3303x",
		Models: []string{"SPD3303X", "SPD3303X-E"},
		Commands: []sim.GuideCommand{
			e("IEEE 488.2", "*IDN", q, y, "Siglent Technologies,<model>,<serial>,<software version>,<hardware version>"),
			e("IEEE 488.2", "*SAV", set, y, "locations 1 to 5: CH1 and CH2 levels and the tracking mode"),
			e("IEEE 488.2", "*RCL", set, y, "locations 1 to 5; a location never saved holds the power-on settings"),
			e("INSTrument", "INSTrument", b, y, "CH1 or CH2; the query answers CH1"),
			e("MEASure", "MEASure:CURRent", q, y, "optional CH1 or CH2, else the selected channel; 0.000"),
			e("MEASure", "MEASure:VOLTage", q, y, "optional CH1 or CH2, else the selected channel; 0.000"),
			e("MEASure", "MEASure:POWEr", q, y, "optional CH1 or CH2, else the selected channel; 0.000"),
			e("CURRent", "[CH#:]CURRent", b, y, "CH1: or CH2: prefix, else the selected channel; 0 to 3.2 A; the query answers 0.000"),
			e("VOLTage", "[CH#:]VOLTage", b, y, "CH1: or CH2: prefix, else the selected channel; 0 to 32 V, both channels in series or parallel; the query answers 0.000"),
			e("OUTPut", "OUTPut", set, y, "CH1, CH2 or CH3 with ON or OFF"),
			e("OUTPut", "OUTPut:TRACK", set, p, "0 independent, 1 series, 2 parallel: the mode is reported by SYSTem:STATus? and CH1's voltage drives CH2's; "+
				"the combined output's doubled voltage or current is not simulated"),
			e("OUTPut", "OUTPut:WAVE", set, p, "CH1 or CH2 with ON or OFF: reported in SYSTem:STATus? bits 8 and 9; there is no screen to draw on"),
			e("TIMEr", "TIMEr:SET", b, y, "CH1 or CH2, group 1 to 5, voltage, current, time (0 to 10000 s); the query answers as the guide prints it: 3,0.5,2"),
			e("TIMEr", "TIMEr", set, p, "CH1 or CH2 with ON or OFF: the groups with a time above 0 run once, in order, each programming its levels "+
				"for its time; after the last the timer stops and the channel keeps the last levels (the guide does not say what follows the last group)"),
			e("SYSTem", "SYSTem:ERRor", q, y, "unquoted, two spaces: 0  No Error, -222  Data out of range"),
			e("SYSTem", "SYSTem:VERSion", q, y, "1.01.01.02.05"),
			e("SYSTem", "SYSTem:STATus", q, y, "0x0224 form: bits 0/1 CH1/CH2 CC, 2-3 mode (01 independent, 11 series, 10 parallel), "+
				"4/5 CH1/CH2 on, 6/7 CH1/CH2 timer running, 8/9 CH1/CH2 waveform display"),
			e("LAN", "IPaddr", b, p, lan),
			e("LAN", "MASKaddr", b, p, lan),
			e("LAN", "GATEaddr", b, p, lan),
			e("LAN", "DHCP", b, p, "kept and read back as DHCP:ON or DHCP:OFF; on by default"),
		},
	}
}

func init() { sim.RegisterGuide(spd3303xGuide()) }
