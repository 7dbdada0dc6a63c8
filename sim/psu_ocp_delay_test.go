package sim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ocpClock is a clock a test moves on by hand.
type ocpClock struct{ t time.Time }

func (c *ocpClock) now() time.Time        { return c.t }
func (c *ocpClock) after(d time.Duration) { c.t = c.t.Add(d) }

// newDelayedOCP returns an output on a hand-moved clock at 5 V with a
// 0.2 A limit and OCP on, with the delay given; a 10 Ω load would draw
// 0.5 A, so wiring it puts the output in constant current.
func newDelayedOCP(t *testing.T, delay time.Duration, fromCC bool) (*Output, *ocpClock) {
	t.Helper()
	clock := &ocpClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	o := NewOutput(OutputRange{Name: "CH1", MaxV: 6, MaxI: 1})
	o.SetClock(clock.now)
	o.SetVoltage(5)
	o.SetCurrentLimit(0.2)
	o.SetOCP(true)
	o.SetOCPDelay(delay, fromCC)
	return o, clock
}

// onAfter moves the clock on by d and reports whether the output is on,
// as a reader (OUTPut?) sees it then.
func onAfter(o *Output, clock *ocpClock, d time.Duration) bool {
	clock.after(d)
	return o.On()
}

// SCHange: the delay runs from the last settings change (here switching
// on into the load), so the output survives the delay's first 99 ms and
// trips at 100 ms, without anything measuring it.
func TestOCPDelayFromSettingsChange(t *testing.T) {
	o, clock := newDelayedOCP(t, 100*time.Millisecond, false)
	o.Connect(Resistor(10))
	o.SetOn(true)
	got := []bool{o.On(), onAfter(o, clock, 99*time.Millisecond), onAfter(o, clock, time.Millisecond)}
	if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" {
		t.Errorf("on at 0, 99, 100 ms (-want +got):\n%s", diff)
	}
	if _, tripped := o.OCP(); !tripped {
		t.Error("OCP not tripped after its delay")
	}
	// A load that arrives after the delay has run out since the last
	// change trips the output at once.
	o.ClearProtection()
	o.Connect(nil)
	o.SetOn(true)
	clock.after(time.Second)
	o.Connect(Resistor(10))
	if o.Measure(clock.now()); o.On() {
		t.Error("SCHange: a load arriving after the delay did not trip OCP at once")
	}
}

// CCTRans: the delay runs from entering constant current, and leaving it
// starts it afresh.
func TestOCPDelayFromConstantCurrent(t *testing.T) {
	o, clock := newDelayedOCP(t, 100*time.Millisecond, true)
	o.SetOn(true)
	clock.after(time.Second)
	o.Connect(Resistor(10))
	o.Measure(clock.now()) // enters CC now
	got := []bool{onAfter(o, clock, 50*time.Millisecond)}
	o.Connect(nil)
	o.Measure(clock.now()) // back to CV: the delay ends
	clock.after(10 * time.Millisecond)
	o.Connect(Resistor(10))
	o.Measure(clock.now()) // CC again: the delay starts afresh
	got = append(got, onAfter(o, clock, 99*time.Millisecond), onAfter(o, clock, time.Millisecond))
	if diff := cmp.Diff([]bool{true, true, false}, got); diff != "" {
		t.Errorf("on 50 ms into CC, 99 and 100 ms into the second CC (-want +got):\n%s", diff)
	}
}

// No delay: OCP trips on entering constant current, as before, whatever
// the clock says.
func TestOCPWithoutDelayTripsAtOnce(t *testing.T) {
	o, _ := newDelayedOCP(t, 0, false)
	o.Connect(Resistor(10))
	o.SetOn(true)
	if o.On() {
		t.Error("OCP without delay did not trip on entering CC")
	}
}

// ParseCoupling and ReplyCoupling: ALL, NONE or names, read back in the
// names' order; a bad list changes nothing.
func TestCouplingList(t *testing.T) {
	names := []string{"CH1", "CH2", "CH3"}
	var coupled []bool
	cmds := NewCommands[*sampleDevice]()
	cmds.Handle("COUPle", func(_ *sampleDevice, c *Call) error {
		set, err := ParseCoupling(c, names)
		if err == nil {
			coupled = set
		}
		return err
	})
	cmds.Handle("COUPle?", func(_ *sampleDevice, c *Call) error { ReplyCoupling(c, names, coupled); return nil })
	m, err := NewModel("COUPLING", "", cmds, newSample)
	if err != nil {
		t.Fatal(err)
	}
	replies, codes := runOn(m.New(), "COUP CH3,CH1;COUP?", "COUP ALL;COUP?", "COUP NONE;COUP?",
		"COUP CH2", "COUP NONE,CH1", "COUP?", "COUP", "COUP CH4", "COUP?")
	if diff := cmp.Diff([]string{"CH1,CH3", "ALL", "NONE", "CH2", "CH2"}, replies); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{-224, -109, -224}, codes); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
