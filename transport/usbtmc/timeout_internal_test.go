package usbtmc

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// The driver's timeout for a read: the ioctl cannot run without a
// usbtmc device, so the conversion is tested alone. A deadline weeks away
// used to wrap (uint32 of the milliseconds, then int32 in the ioctl).
func TestDriverTimeout(t *testing.T) {
	day := 24 * time.Hour
	left := []time.Duration{-time.Second, 0, 50 * time.Millisecond, 5 * time.Second, 24 * day, 25 * day, 50 * day, 49*day + 17*time.Hour + 2*time.Minute + 47*time.Second + 350*time.Millisecond, math.MaxInt64}
	var got []uint32
	for _, d := range left {
		got = append(got, driverTimeout(d))
	}
	want := []uint32{minTimeoutMS, minTimeoutMS, minTimeoutMS, 5000, uint32(24 * day / time.Millisecond), math.MaxInt32, math.MaxInt32, math.MaxInt32, math.MaxInt32}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("driver timeouts for %v (-want +got):\n%s", left, diff)
	}
}
