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
