package transport

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLockWaitKeepsTimeForTheAnswer(t *testing.T) {
	var got []time.Duration
	for _, left := range []time.Duration{-time.Second, 0, 100 * time.Millisecond, time.Second, 10 * time.Second} {
		got = append(got, LockWait(left))
	}
	want := []time.Duration{0, 0, 75 * time.Millisecond, 750 * time.Millisecond, 9750 * time.Millisecond}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("LockWait (-want +got):\n%s", diff)
	}
}
