package instruments

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/scpikit/scpikit/scpi"
)

// ErrFenced is matched when a supply refuses to switch an output on because
// a safe state has fenced it off.
var ErrFenced = errors.New("output fenced off by a safe state")

// OutputFencer is a supply whose outputs can be fenced off. The harness
// fences an output before its safe state switches it off, so that a
// goroutine which outlived its stop (blocked in a sleep, a cgo call or a
// channel that ignores its context) cannot switch it back on afterwards.
// Every driver of this package implements it; the check is made under the
// session's lock, in the same exchange as the command that would switch
// the output on, so no output-on can slip between a fence and the
// safe state's output-off. An output that would switch a fenced one on
// with it (a master switch, E36300 outputs coupled by
// OUTPut:COUPle:CHANnel) is refused too. Commands sent through Session
// directly are not fenced.
type OutputFencer interface {
	// FenceOutputs refuses output-on for channels (every channel when none
	// is named) with ErrFenced until lift is called. Fences stack: an
	// output is free again once every fence holding it is lifted.
	FenceOutputs(channels ...int) (lift func())
}

// fence is the set of outputs fences hold; channel 0 stands for all.
type fence struct {
	mu   sync.Mutex
	held map[int]int // channel -> fences holding it
}

func (p *supply) FenceOutputs(channels ...int) (lift func()) {
	if len(channels) == 0 {
		channels = []int{0}
	}
	f := &p.fence
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held == nil {
		f.held = map[int]int{}
	}
	for _, ch := range channels {
		f.held[ch]++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			for _, ch := range channels {
				if f.held[ch]--; f.held[ch] <= 0 {
					delete(f.held, ch)
				}
			}
		})
	}
}

// anyFenced reports whether a fence holds any output: a driver whose
// outputs can switch on together asks which only then.
func (p *supply) anyFenced() bool {
	p.fence.mu.Lock()
	defer p.fence.mu.Unlock()
	return len(p.fence.held) > 0
}

// refuseOn is the error for switching ch on (0: every output) while a
// fence holds it, or nil. Drivers call it under the session lock, in the
// exchange that sends the output-on.
func (p *supply) refuseOn(ch int, on bool) error {
	if !on {
		return nil
	}
	f := &p.fence
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.held) == 0 {
		return nil
	}
	if f.held[0] > 0 || f.held[ch] > 0 || ch == 0 {
		what := fmt.Sprintf("output %d", ch)
		if ch == 0 {
			what = "outputs"
		}
		return fmt.Errorf("instruments: %s %s: %w", p.id.Model, what, ErrFenced)
	}
	return nil
}

// switchOutputs sends what switches ch (0: every output) on or off, under
// the session lock, having refused output-on for a fenced output in the
// same exchange.
func (p *supply) switchOutputs(ctx context.Context, ch int, on bool, send func(tx *scpi.Tx) error) error {
	return p.s.Do(ctx, func(tx *scpi.Tx) error {
		if err := p.refuseOn(ch, on); err != nil {
			return err
		}
		return send(tx)
	})
}
