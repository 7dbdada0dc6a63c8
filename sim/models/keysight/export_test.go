package keysight

import (
	"time"

	"github.com/scpikit/scpikit/sim"
)

// SetTruevoltClock fixes the host clock a Truevolt's SYSTem:DATE and
// SYSTem:TIME run from, so a test reads back exact values.
func SetTruevoltClock(in *sim.Instrument, now func() time.Time) {
	in.Do(func(d sim.Device) { d.(*truevolt).now = now })
}

// SetE36300Clock replaces an E36300's clock, so a test moves time on
// (trigger delays) without sleeping.
func SetE36300Clock(in *sim.Instrument, now func() time.Time) {
	in.Do(func(d sim.Device) { d.(*e36300).now = now })
}

// E36300File returns a file an E36300 has written (a data log, a CSV
// export), as its memory holds it.
func E36300File(in *sim.Instrument, name string) (data []byte, ok bool) {
	in.Do(func(d sim.Device) { data, ok = d.(*e36300).File(name) })
	return data, ok
}
