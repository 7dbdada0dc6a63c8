package interrupt

import (
	"context"
	"sync"
	"testing"
	"time"
)

type deadline struct {
	mu sync.Mutex
	t  time.Time
}

func (d *deadline) SetDeadline(t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.t = t
	return nil
}

func (d *deadline) get() time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.t
}

// Whatever the moment ctx ends, a deadline set after stop is the one that
// stays.
func TestStopWaitsForAnInterruptUnderWay(t *testing.T) {
	var d deadline
	for i := range 2000 {
		ctx, cancel := context.WithCancel(context.Background())
		stop := OnDone(ctx, &d)
		go cancel()
		stop()
		d.SetDeadline(time.Time{})
		cancel()
		time.Sleep(time.Microsecond)
		if got := d.get(); !got.IsZero() {
			t.Fatalf("round %d: deadline %v after stop and restore, want none", i, got)
		}
	}
}

func TestStopReportsTheInterrupt(t *testing.T) {
	var d deadline
	ctx, cancel := context.WithCancel(context.Background())
	stop := OnDone(ctx, &d)
	if stop() {
		t.Fatal("stop before the end reported an interrupt")
	}
	cancel()
	ctx, cancel = context.WithCancel(context.Background())
	stop = OnDone(ctx, &d)
	cancel()
	if !stop() {
		t.Fatal("stop after the end reported no interrupt")
	}
	if got := d.get(); !got.Before(time.Now()) {
		t.Fatalf("deadline %v after the interrupt, want the past", got)
	}
}
