package sim

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Faults is what can go wrong with an instrument, injected on purpose so
// that test programs meet the failures of real benches in CI.
type Faults struct {
	// Latency delays every response; Jitter adds a uniformly random extra
	// delay up to its value. Responses stay in order.
	Latency time.Duration `yaml:"latency"`
	Jitter  time.Duration `yaml:"jitter"`
	// DropRate is the probability that a response is never sent.
	DropRate float64 `yaml:"drop"`
	// GarbleRate is the probability that one byte of a response is
	// corrupted (its terminator is spared, so framing survives).
	GarbleRate float64 `yaml:"garble"`
	// DisconnectAfter drops a connection after it has sent this many
	// program messages (0: never).
	DisconnectAfter int `yaml:"disconnect_after"`
	// Seed makes the random choices repeatable (0: a fixed default).
	Seed uint64 `yaml:"seed"`
	// Schedule lists faults that happen at a given time after they are
	// set.
	Schedule []TimedFault `yaml:"schedule"`
}

// TimedFault is a fault that happens at a given time.
type TimedFault struct {
	After time.Duration `yaml:"after"`
	// One of:
	Error      *Error `yaml:"error"`      // pushed to the error queue
	Disconnect bool   `yaml:"disconnect"` // every open link drops
	Hang       bool   `yaml:"hang"`       // the instrument stops answering
	Recover    bool   `yaml:"recover"`    // it answers again
	Fault      string `yaml:"fault"`      // a model-specific fault (FaultInjector)
}

func (f TimedFault) validate(dev Device) error {
	n := 0
	for _, set := range []bool{f.Error != nil, f.Disconnect, f.Hang, f.Recover, f.Fault != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("sim: a timed fault needs exactly one of error, disconnect, hang, recover, fault")
	}
	if f.Fault != "" {
		if _, ok := dev.(FaultInjector); !ok {
			return fmt.Errorf("sim: fault %q: the model has no faults of its own", f.Fault)
		}
	}
	if f.After < 0 {
		return fmt.Errorf("sim: a timed fault at a negative time")
	}
	return nil
}

// faultState is the instrument's live fault configuration.
type faultState struct {
	cfg    Faults
	rng    *rand.Rand
	hung   bool
	epoch  int // advanced by a disconnect: older clients drop
	drops  map[int]func()
	nextID int
}

// SetFaults replaces the instrument's faults; the schedule starts now.
func (in *Instrument) SetFaults(f Faults) error {
	if f.DropRate < 0 || f.DropRate > 1 || f.GarbleRate < 0 || f.GarbleRate > 1 {
		return fmt.Errorf("sim: drop and garble rates are probabilities (0 to 1)")
	}
	if f.Latency < 0 || f.Jitter < 0 || f.DisconnectAfter < 0 {
		return fmt.Errorf("sim: latency, jitter and disconnect_after cannot be negative")
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, tf := range f.Schedule {
		if err := tf.validate(in.dev); err != nil {
			return err
		}
	}
	for _, t := range in.timers {
		t.Stop()
	}
	in.timers = nil
	seed := f.Seed
	if seed == 0 {
		seed = 0x5c91
	}
	in.faults.cfg = f
	in.faultsOn.Store(f.Latency > 0 || f.Jitter > 0 || f.DropRate > 0 || f.GarbleRate > 0)
	in.faults.rng = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for _, tf := range f.Schedule {
		tf := tf
		in.timers = append(in.timers, time.AfterFunc(tf.After, func() { in.Inject(tf) }))
	}
	return nil
}

// Inject makes a fault happen now.
func (in *Instrument) Inject(f TimedFault) error {
	in.mu.Lock()
	if err := f.validate(in.dev); err != nil {
		in.mu.Unlock()
		return err
	}
	var drops []func()
	switch {
	case f.Error != nil:
		in.st.push(*f.Error)
		in.publishLocked(Event{Error: f.Error})
	case f.Hang:
		in.faults.hung = true
	case f.Recover:
		in.faults.hung = false
	case f.Disconnect:
		in.faults.epoch++
		for _, d := range in.faults.drops {
			drops = append(drops, d)
		}
		clear(in.faults.drops)
	case f.Fault != "":
		err := in.dev.(FaultInjector).InjectFault(f.Fault)
		if err == nil {
			in.publishLocked(Event{Fault: f.Fault})
		}
		in.mu.Unlock()
		return err
	}
	in.mu.Unlock()
	for _, d := range drops {
		d() // outside the lock: links close themselves
	}
	return nil
}

// onDrop registers fn to run when an injected disconnect drops links,
// and returns the function that unregisters it.
func (in *Instrument) onDrop(fn func()) (unregister func()) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.faults.drops == nil {
		in.faults.drops = map[int]func(){}
	}
	id := in.faults.nextID
	in.faults.nextID++
	in.faults.drops[id] = fn
	return func() {
		in.mu.Lock()
		defer in.mu.Unlock()
		delete(in.faults.drops, id)
	}
}

// shape decides what happens to one response: its delay, whether it is
// dropped, and which byte (if any) is garbled.
func (in *Instrument) shape(resp []byte) (delay time.Duration, drop bool) {
	in.mu.Lock()
	defer in.mu.Unlock()
	f := &in.faults
	if f.rng == nil {
		return 0, false
	}
	delay = f.cfg.Latency
	if f.cfg.Jitter > 0 {
		delay += time.Duration(f.rng.Int64N(int64(f.cfg.Jitter) + 1))
	}
	if f.cfg.DropRate > 0 && f.rng.Float64() < f.cfg.DropRate {
		return delay, true
	}
	if f.cfg.GarbleRate > 0 && len(resp) > 1 && f.rng.Float64() < f.cfg.GarbleRate {
		i := f.rng.IntN(len(resp) - 1) // spare the terminator
		resp[i] ^= 0x55
		if resp[i] == '\n' {
			resp[i] = '~'
		}
	}
	return delay, false
}
