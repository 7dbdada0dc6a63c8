package sim

// suffixMultiplier converts a received suffix to the factor that brings a
// number into unit (IEEE 488.2 7.7.3): "mV" with unit "V" is 1e-3, "kHz"
// with "HZ" 1e3, "MHZ" 1e6, "MOHM" 1e6, "MA" with "A" 1e-3 (milliamp), a
// bare multiplier "k" 1e3. Suffixes are case-insensitive, so M is milli
// and MA mega, except where the unit makes it otherwise.
func suffixMultiplier(s []byte, unit string) (float64, bool) {
	if len(s) == 0 {
		return 1, true
	}
	var up [12]byte
	n := copy(up[:], s)
	for i := range n {
		if c := up[i]; c >= 'a' && c <= 'z' {
			up[i] = c - ('a' - 'A')
		}
	}
	u := string(up[:n]) // short: stays on the stack
	if unit != "" {
		switch {
		case u == unit:
			return 1, true
		case unit == "HZ" && u == "MHZ", unit == "OHM" && u == "MOHM":
			return 1e6, true
		case len(u) > len(unit) && u[len(u)-len(unit):] == unit:
			return prefixMultiplier(u[:len(u)-len(unit)])
		}
	}
	return prefixMultiplier(u)
}

func prefixMultiplier(p string) (float64, bool) {
	switch p {
	case "EX":
		return 1e18, true
	case "PE":
		return 1e15, true
	case "T":
		return 1e12, true
	case "G":
		return 1e9, true
	case "MA":
		return 1e6, true
	case "K":
		return 1e3, true
	case "M":
		return 1e-3, true
	case "U":
		return 1e-6, true
	case "N":
		return 1e-9, true
	case "P":
		return 1e-12, true
	case "F":
		return 1e-15, true
	}
	// Atto (A) is left out on purpose: "5 A" is five amperes, never five
	// attovolts.
	return 0, false
}
