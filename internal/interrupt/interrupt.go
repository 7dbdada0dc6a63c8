package interrupt

import (
	"context"
	"time"
)

// Deadliner is the part of a net.Conn or transport.Conn that an
// interrupt needs.
type Deadliner interface {
	SetDeadline(t time.Time) error
}

// OnDone makes ctx ending set a deadline in the past on d, which fails
// the I/O blocked on it. context.AfterFunc runs that on a goroutine of
// its own, so when ctx ends as the call does, the past deadline could
// land after the call had restored its deadline and fail the next call
// at once. The stop returned prevents an interrupt not yet started and
// waits for one under way; it reports whether an interrupt happened.
// Call it before d's deadline is restored.
func OnDone(ctx context.Context, d Deadliner) (stop func() (interrupted bool)) {
	landed := make(chan struct{})
	stopFunc := context.AfterFunc(ctx, func() {
		d.SetDeadline(time.Unix(1, 0))
		close(landed)
	})
	return func() bool {
		if stopFunc() {
			return false
		}
		<-landed
		return true
	}
}
