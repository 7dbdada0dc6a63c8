package harness_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
)

// A DUT blocked in something that ignores its context (a channel here; a
// sleep or a cgo call alike) does not hold the safe state: after a stop
// and ReturnGrace the outputs go off, Run returns AbandonAfter later
// naming the goroutine, and the goroutine's late output-on is refused.
func TestSafeStateDoesNotWaitForAStuckDUT(t *testing.T) {
	st := newStation(t, 2)
	release := make(chan struct{})
	late := make(chan error, 1)
	powered := make(chan struct{})
	rec, err := harness.Run(bg, "stuck", func(tt *harness.Test) error {
		for _, psu := range st.psus {
			tt.SupplySafeState(psu)
		}
		s0, s1 := st.slots[0], st.slots[1]
		tt.DUT("dut-0", func(d *harness.DUTRun) error {
			if err := d.PowerOn(d.Context(), s0.psu, s0.channel, 12*units.Volt, units.Amp); err != nil {
				return err
			}
			close(powered)
			<-release // ignores its context
			late <- s0.psu.SetOutput(bg, s0.channel, true)
			late <- d.PowerOn(bg, s0.psu, s0.channel, 12*units.Volt, units.Amp)
			return nil
		})
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			if err := d.PowerOn(d.Context(), s1.psu, s1.channel, 12*units.Volt, units.Amp); err != nil {
				return err
			}
			<-d.Context().Done()
			return nil
		})
		<-powered
		tt.Stop(errors.New("operator stop"))
		return nil
	}, harness.WithoutSignals(), harness.WithReturnGrace(20*time.Millisecond), harness.WithAbandonAfter(50*time.Millisecond))
	defer func() { <-late }() // the stuck goroutine ends before the test does
	if on := st.outputsOn(); len(on) > 0 {
		t.Fatalf("outputs on while a DUT is stuck: %v", on)
	}
	var stuck *harness.StuckError
	if !errors.As(err, &stuck) || !errors.Is(err, harness.ErrStuck) {
		t.Fatalf("err = %v, want a *StuckError", err)
	}
	if len(rec.Stuck) != 1 || rec.Stuck[0].Name != "DUT dut-0" || !strings.Contains(rec.Stuck[0].Stack, "safety_test.go") ||
		rec.Stuck[0].State != "chan receive" || !strings.Contains(err.Error(), "DUT dut-0 [chan receive]") {
		t.Fatalf("stuck %+v\nerr %v", rec.Stuck, err)
	}
	if rec.Outcome != harness.OutcomeError || harness.ExitCode(rec, err) != 1 {
		t.Fatalf("outcome %v, exit %d", rec.Outcome, harness.ExitCode(rec, err))
	}
	for _, a := range rec.SafeState {
		if !a.Verified {
			t.Errorf("safe state %s not verified: %s", a.Name, a.Error)
		}
	}
	close(release)
	if err := <-late; !errors.Is(err, instruments.ErrFenced) {
		t.Fatalf("late output-on from the stuck goroutine: %v, want ErrFenced", err)
	}
	if err := <-late; !errors.Is(err, harness.ErrEnded) {
		t.Fatalf("late PowerOn from the stuck goroutine: %v, want ErrEnded", err)
	}
	late <- nil
	if on := st.outputsOn(); len(on) > 0 {
		t.Fatalf("outputs on after the stuck goroutine's late call: %v", on)
	}
}

// A run whose goroutines all return lifts its fences: the same supply
// handles power the next run.
func TestFencesLiftWhenEveryGoroutineReturned(t *testing.T) {
	st := newStation(t, 1)
	s := st.slots[0]
	for range 2 {
		_, err := harness.Run(bg, "again", func(tt *harness.Test) error {
			tt.SupplySafeState(s.psu)
			tt.DUT("dut", func(d *harness.DUTRun) error {
				return d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, units.Amp)
			})
			return nil
		}, harness.WithoutSignals())
		if err != nil {
			t.Fatal(err)
		}
	}
}

// t.FailNow, t.Fatal and runtime.Goexit in the body, a DUT, a helper, a
// monitor, a safe-state action or a cleanup: each is a fault, and Run
// returns with the outputs off.
func TestGoexitIsAFault(t *testing.T) {
	for _, where := range []string{"body", "DUT", "helper", "monitor", "safe state", "cleanup"} {
		t.Run(where, func(t *testing.T) {
			st := newStation(t, 1)
			s := st.slots[0]
			fatal := runtime.Goexit // what t.FailNow and t.Fatal do
			rec, err := harness.Run(bg, "goexit", func(tt *harness.Test) error {
				tt.SupplySafeState(s.psu)
				if where == "safe state" {
					tt.OnSafeState(harness.SafeState{Name: "bad action", Run: func(context.Context) error { fatal(); return nil }})
				}
				if where == "cleanup" {
					tt.Cleanup(fatal)
				}
				powered := make(chan struct{})
				tt.DUT("dut", func(d *harness.DUTRun) error {
					if err := d.PowerOn(d.Context(), s.psu, s.channel, 12*units.Volt, units.Amp); err != nil {
						return err
					}
					close(powered)
					switch where {
					case "DUT":
						fatal()
					case "helper":
						d.Go("helper", func(context.Context) error { fatal(); return nil })
					case "monitor":
						tt.Monitor(harness.Monitor{Name: "check", DUT: "dut", Interval: time.Millisecond, Policy: harness.IsolateDUT,
							Check: func(context.Context) error { fatal(); return nil }})
					default:
						return nil
					}
					<-d.Context().Done()
					return nil
				})
				<-powered
				if where == "body" {
					fatal()
				}
				return nil
			}, harness.WithoutSignals())
			if on := st.outputsOn(); len(on) > 0 {
				t.Fatalf("outputs on: %v", on)
			}
			var goexit bool
			for _, f := range rec.Faults {
				goexit = goexit || strings.Contains(f.Message, "runtime.Goexit")
			}
			if !goexit || rec.Outcome != harness.OutcomeError {
				t.Fatalf("faults %+v, outcome %v, err %v", rec.Faults, rec.Outcome, err)
			}
			if where == "safe state" && !errors.Is(err, harness.ErrUnsafe) {
				t.Fatalf("a safe-state action that Goexits is not verified: err %v", err)
			}
		})
	}
}

// A DUT isolated by its monitor is never reported as having run to its
// end: whoever sees it stopping sees its cause. A slow logger (a CI log on
// a loaded machine) widened the window in which it once looked clean.
func TestIsolatedDUTAlwaysHasItsCause(t *testing.T) {
	slow := zerolog.New(writerFunc(func(p []byte) (int, error) {
		time.Sleep(time.Millisecond) // a slow log sink: the point of the test
		return len(p), nil
	}))
	for range 30 {
		events := make(chan error, 1)
		var sawStop, sawCause atomic.Bool
		_, err := harness.Run(bg, "isolated", func(tt *harness.Test) error {
			tt.DUT("dut", func(d *harness.DUTRun) error {
				tt.Monitor(harness.Monitor{Name: "faults", DUT: "dut", Events: events, Policy: harness.IsolateDUT})
				events <- errors.New("overtemperature")
				for !d.Stopping() {
					select {
					case <-d.Context().Done():
					case <-time.After(time.Millisecond): // the DUT's loop pace
					}
				}
				sawStop.Store(true)
				sawCause.Store(d.Cause() != nil && context.Cause(d.Context()) != nil)
				return nil
			})
			return nil
		}, harness.WithoutSignals(), harness.WithLogger(slow))
		if err != nil {
			t.Fatal(err)
		}
		if !sawStop.Load() || !sawCause.Load() {
			t.Fatal("the DUT saw itself stopping without a cause")
		}
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// A stop cuts short the DUTs still running: they and the phase they were
// in are aborted, never pass; a DUT that had finished keeps its pass.
func TestInterruptedIsAborted(t *testing.T) {
	finished := make(chan struct{})
	inPhase := make(chan struct{}, 1)
	doneEnded := &dutEndSink{dut: "done", ended: make(chan struct{})}
	rec, err := harness.Run(bg, "interrupted", func(tt *harness.Test) error {
		tt.DUT("done", func(d *harness.DUTRun) error {
			defer close(finished)
			return d.Phase("quick", func(context.Context) error { return d.Measure("v", units.Volt, harness.Between(0, 2)) })
		})
		tt.DUT("busy", func(d *harness.DUTRun) error {
			d.Phase("first", func(context.Context) error { return d.Measure("v", units.Volt, harness.Between(0, 2)) })
			for !d.Stopping() {
				d.Phase("long", func(ctx context.Context) error {
					select {
					case inPhase <- struct{}{}:
					default:
					}
					<-ctx.Done()
					return ctx.Err()
				})
			}
			return nil
		})
		tt.DUT("looping", func(d *harness.DUTRun) error {
			<-finished
			for !d.Stopping() {
				if err := d.Phase("step", func(context.Context) error { return d.Measure("v", units.Volt, harness.Between(0, 2)) }); err != nil {
					return err
				}
				select {
				case <-d.Context().Done():
				case <-time.After(time.Millisecond):
				}
			}
			return nil
		})
		// "done" has ended as the run records it, not only returned (see
		// junitRecord): else the stop may cut it.
		<-doneEnded.ended
		<-inPhase
		tt.Stop(&harness.SignalError{Signal: os.Interrupt})
		return nil
	}, harness.WithoutSignals(), harness.WithSink(doneEnded))
	got := map[string]string{}
	for _, d := range rec.DUTs {
		got[d.Name] = d.Outcome.String()
	}
	if diff := cmp.Diff(map[string]string{"done": "pass", "busy": "aborted", "looping": "aborted"}, got); diff != "" {
		t.Fatalf("DUT outcomes (-want +got):\n%s", diff)
	}
	busy := rec.DUTs[1]
	if first, last := busy.Phases[0], busy.Phases[len(busy.Phases)-1]; first.Outcome != harness.OutcomePass || last.Outcome != harness.OutcomeAborted {
		t.Fatalf("busy's phases: first %v, last %v", first.Outcome, last.Outcome)
	}
	if rec.Outcome != harness.OutcomeAborted || harness.ExitCode(rec, err) != 130 || !strings.Contains(busy.StopCause, "interrupt") {
		t.Fatalf("run %v, exit %d, busy's cause %q", rec.Outcome, harness.ExitCode(rec, err), busy.StopCause)
	}
	var buf bytes.Buffer
	rec.WriteHTML(&buf)
	if !strings.Contains(buf.String(), `class="o aborted"`) {
		t.Error("the HTML report does not show the aborted DUTs")
	}
}

// SIGHUP, SIGQUIT and a closed stdout stop a run like SIGINT: the safe
// state runs. The process runs this test binary as a child (TestMain's
// helper mode) and is sent the signal once its DUT is powered.
func TestStopSignals(t *testing.T) {
	for _, tc := range []struct {
		signal string
		exit   int
	}{{"HUP", 129}, {"QUIT", 131}, {"INT", 130}, {"TERM", 143}, {"PIPE", 141}} {
		t.Run(tc.signal, func(t *testing.T) {
			if sig := signalNamed(tc.signal); sig != nil && signal.Ignored(sig) {
				// The helper inherits the disposition, and the harness keeps
				// an ignored signal ignored (nohup, a shell's background job):
				// it would never stop.
				t.Skipf("SIG%s is ignored in this process (started by nohup or as a shell's background job), so the helper would ignore it too, as it must", tc.signal)
			}
			// Bounded: a helper that never stops is killed and the test fails
			// with what it wrote, instead of hanging until go test's timeout.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), helperEnv+"="+tc.signal)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line := make([]byte, len("powered\n"))
			if _, err := io.ReadFull(stdout, line); err != nil || string(line) != "powered\n" {
				t.Fatalf("helper: %q %v\n%s", line, err, stderr.String())
			}
			if tc.signal == "PIPE" {
				stdout.Close() // the reader goes: the helper's next write gets EPIPE
			} else {
				cmd.Process.Signal(signalNamed(tc.signal))
			}
			err = cmd.Wait()
			if ctx.Err() != nil {
				t.Fatalf("the helper did not exit within 2 minutes of SIG%s; killed. It wrote:\n%s", tc.signal, stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != tc.exit {
				t.Fatalf("exit %v, want %d\n%s", err, tc.exit, stderr.String())
			}
			if !strings.Contains(stderr.String(), "outputs off: verified") {
				t.Fatalf("the helper did not verify its outputs off:\n%s", stderr.String())
			}
			if tc.signal == "QUIT" {
				dump := strings.Index(stderr.String(), "SIGQUIT: the goroutines")
				off := strings.Index(stderr.String(), "safe state verified")
				if dump < 0 || off < 0 || dump < off {
					t.Fatalf("SIGQUIT's goroutine dump must follow the safe state:\n%s", stderr.String())
				}
			}
		})
	}
}

const helperEnv = "HARNESS_SIGNAL_HELPER"

func signalNamed(name string) os.Signal {
	return map[string]os.Signal{"HUP": syscall.SIGHUP, "QUIT": syscall.SIGQUIT, "INT": syscall.SIGINT, "TERM": syscall.SIGTERM}[name]
}

// signalHelper is the child process of TestStopSignals: a run with the
// harness's signal handling on, one DUT powered from a simulated supply,
// which writes to stdout as a progress line would until it is stopped.
// It exits with harness.ExitCode after checking the output off itself.
func signalHelper() int {
	bench := sim.NewBench()
	defer bench.Close()
	psuSim := sim.MustNew("DP832")
	bench.Add("TCPIP0::10.9.0.1::5555::SOCKET", psuSim)
	inst, err := instruments.Open(bg, "TCPIP0::10.9.0.1::5555::SOCKET",
		instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption())))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	psu := inst.(instruments.PowerSupply)
	log := zerolog.New(os.Stderr).With().Timestamp().Logger()
	rec, err := harness.Run(bg, "signals", func(tt *harness.Test) error {
		tt.SupplySafeState(psu)
		tt.DUT("dut", func(d *harness.DUTRun) error {
			if err := d.PowerOn(d.Context(), psu, 1, 12*units.Volt, units.Amp); err != nil {
				return err
			}
			fmt.Println("powered")
			for !d.Stopping() {
				fmt.Print("tick\n") // fails with EPIPE once the reader has gone
				select {
				case <-d.Context().Done():
				case <-time.After(2 * time.Millisecond):
				}
			}
			return nil
		})
		return nil
	}, harness.WithLogger(log))
	on := false
	psuSim.Do(func(d sim.Device) {
		o, _ := d.(sim.Supply).Output(1)
		on = o.On()
	})
	if on {
		fmt.Fprintln(os.Stderr, "helper: OUTPUT STILL ON")
		return 4
	}
	fmt.Fprintln(os.Stderr, "helper: outputs off: verified;", err)
	return harness.ExitCode(rec, err)
}

// A program's exit status says what the run found, most urgent first.
func TestExitCode(t *testing.T) {
	pass := &harness.Record{DUTs: []*harness.DUTRecord{{Name: "a"}, {Name: "b", Outcome: harness.OutcomeMarginal}}}
	failed := &harness.Record{Outcome: harness.OutcomeFail, DUTs: []*harness.DUTRecord{{Name: "a", Outcome: harness.OutcomeFail}}}
	unsafe := &harness.Record{SafeState: []harness.SafeStateRecord{{Name: "off", Verified: false}}}
	sigint := &harness.SignalError{Signal: os.Interrupt}
	for _, tc := range []struct {
		name string
		rec  *harness.Record
		err  error
		want int
	}{
		{"every DUT passed", pass, nil, 0},
		{"a limit failed", failed, nil, 1},
		{"a fault", pass, &harness.Fault{Source: "m", Message: "x"}, 1},
		{"SIGINT", pass, sigint, 130},
		{"SIGHUP", pass, &harness.SignalError{Signal: syscall.SIGHUP}, 129},
		{"SIGINT, then stuck", pass, errors.Join(sigint, &harness.StuckError{}), 130},
		{"SIGINT, unsafe", pass, fmt.Errorf("%w: %w", harness.ErrUnsafe, sigint), 3},
		{"unverified in the record", unsafe, nil, 3},
	} {
		if got := harness.ExitCode(tc.rec, tc.err); got != tc.want {
			t.Errorf("%s: exit %d, want %d", tc.name, got, tc.want)
		}
	}
}

// A DUT whose function returns an error because the run's context was
// cancelled is aborted, never a pass: it did not finish. It may return
// before the run has noticed the cancellation and cut its DUTs.
func TestCancelledRunContextAbortsItsDUTs(t *testing.T) {
	for i := range 20 {
		ctx, cancel := context.WithCancel(bg)
		started := make(chan struct{})
		go func() { <-started; cancel() }()
		rec, _ := harness.Run(ctx, "cancelled", func(tt *harness.Test) error {
			tt.DUT("waits", func(d *harness.DUTRun) error {
				if err := d.Measure("v", units.Volt, harness.Between(0, 2)); err != nil {
					return err
				}
				close(started)
				<-d.Context().Done()
				return d.Context().Err()
			})
			return nil
		}, harness.WithoutSignals())
		cancel()
		if got := rec.DUTs[0].Outcome; got != harness.OutcomeAborted {
			t.Fatalf("try %d: the DUT whose run was cancelled is %v (run %v), want aborted", i, got, rec.Outcome)
		}
	}
}

// An isolation runs its DUT's actions one after another, each up to the
// safe-state bound: the DUT's cleanups (which close its sessions) wait
// for every one, not for one bound in all, so a first action that hangs
// to its bound cannot leave the second to run on a closed session.
func TestCleanupsWaitForEveryIsolationAction(t *testing.T) {
	var finished atomic.Int32
	var atCleanup int32 = -1
	hang := func(ctx context.Context) error {
		<-ctx.Done() // a relay that never answers: cut at the bound
		finished.Add(1)
		return ctx.Err()
	}
	_, err := harness.Run(bg, "isolation", func(tt *harness.Test) error {
		tt.DUT("d", func(d *harness.DUTRun) error {
			d.OnSafeState("aux rail off", hang)
			d.OnSafeState("main rail off", hang)
			d.Cleanup(func() { atCleanup = finished.Load() })
			tt.Monitor(harness.Monitor{Name: "overcurrent", DUT: "d", Interval: time.Millisecond, Policy: harness.IsolateDUT,
				Check: func(context.Context) error { return errors.New("3.2 A on a 1 A rail") }})
			<-d.Context().Done()
			return nil
		})
		return nil
	}, harness.WithoutSignals(), harness.WithSafeStateTimeout(2*time.Second))
	if !errors.Is(err, harness.ErrUnsafe) {
		t.Errorf("err = %v, want ErrUnsafe (neither action was verified)", err)
	}
	if atCleanup != 2 {
		t.Errorf("the DUT's cleanup ran with %d of its 2 isolation actions finished", atCleanup)
	}
}

// A goroutine that outlived its run and starts a phase changes nothing
// and does not panic: the run's record was handed over, and the phase is
// recorded nowhere.
func TestPhaseAfterTheRunEndedIsHarmless(t *testing.T) {
	runDone, phaseDone := make(chan struct{}), make(chan error, 1)
	rec, err := harness.Run(bg, "late", func(tt *harness.Test) error {
		tt.DUT("d", func(d *harness.DUTRun) error {
			go func() { // not the run's: it ignores the run's end
				<-runDone
				defer func() {
					if p := recover(); p != nil {
						phaseDone <- fmt.Errorf("panicked: %v", p)
					}
				}()
				phaseDone <- d.Phase("late", func(context.Context) error { return nil })
			}()
			return nil
		})
		return nil
	}, harness.WithoutSignals())
	if err != nil {
		t.Fatal(err)
	}
	close(runDone)
	if err := <-phaseDone; err != nil && strings.Contains(err.Error(), "panicked") {
		t.Fatal(err)
	}
	for _, d := range rec.DUTs {
		for _, p := range d.Phases {
			if p.Name == "late" {
				t.Errorf("the record handed over has a phase started after the run: %+v", p)
			}
		}
	}
}

// stallOn is a log writer that blocks each line containing match until
// released: a terminal paused with Ctrl-S as that line is written.
type stallOn struct {
	match    string
	released chan struct{}
}

func (w *stallOn) Write(p []byte) (int, error) {
	if strings.Contains(string(p), w.match) {
		<-w.released
	}
	return len(p), nil
}

// Acting comes before logging: a log stalled on the line that reports a
// panic, a runtime.Goexit or a StopRun limit cannot delay what the
// harness does about it (the DUT isolated, the run stopped, the next
// safe-state action run). Each case waits for its outputs to go off
// while the line is stalled.
func TestStalledLogCannotDelayAFault(t *testing.T) {
	for _, c := range []struct {
		name, line, fault string
		dut               func(tt *harness.Test, d *harness.DUTRun) error
		panicky           bool // a safe-state action that panics comes first
	}{
		{name: "DUT panics", line: "panic became a fault", fault: "panic: fixture fell over",
			dut: func(tt *harness.Test, d *harness.DUTRun) error { panic("fixture fell over") }},
		{name: "phase panics", line: "panic became a fault", fault: "panic: boot loader",
			dut: func(tt *harness.Test, d *harness.DUTRun) error {
				return d.Phase("boot", func(context.Context) error { panic("boot loader") })
			}},
		{name: "helper panics", line: "panic became a fault", fault: "panic: reader",
			dut: func(tt *harness.Test, d *harness.DUTRun) error {
				d.Go("reader", func(context.Context) error { panic("reader") })
				<-d.Context().Done()
				return nil
			}},
		{name: "helper Goexits", line: "runtime.Goexit became a fault", fault: "runtime.Goexit ended it",
			dut: func(tt *harness.Test, d *harness.DUTRun) error {
				d.Go("reader", func(context.Context) error { runtime.Goexit(); return nil })
				<-d.Context().Done()
				return nil
			}},
		{name: "StopRun limit", line: "measurement out of limits", fault: "",
			dut: func(tt *harness.Test, d *harness.DUTRun) error {
				return d.Measure("rail", 16*units.Volt, harness.Between(11, 13).Then(harness.StopRun))
			}},
		{name: "safe-state action panics", line: "panic became a fault", fault: "panic: relay driver", panicky: true,
			dut: func(tt *harness.Test, d *harness.DUTRun) error { return nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := &stallOn{match: c.line, released: make(chan struct{})}
			off := make(chan struct{})
			type result struct {
				rec *harness.Record
				err error
			}
			done := make(chan result, 1)
			go func() {
				rec, err := harness.Run(bg, "stalled", func(tt *harness.Test) error {
					tt.DUT("dut", func(d *harness.DUTRun) error {
						d.OnSafeState("outputs off", func(context.Context) error { close(off); return nil })
						if c.panicky {
							d.OnSafeState("relay", func(context.Context) error { panic("relay driver") })
						}
						return c.dut(tt, d)
					})
					return nil
				}, harness.WithoutSignals(), harness.WithLogger(zerolog.New(w)), harness.WithSafeStateTimeout(2*time.Second))
				done <- result{rec, err}
			}()
			select {
			case <-off:
			case <-time.After(30 * time.Second): // a bound, not a measure: the fix makes it moments
				t.Errorf("the outputs did not go off while the log was stalled on %q", c.line)
			}
			close(w.released)
			r := <-done
			var got []string
			for _, s := range r.rec.SafeState {
				state := "verified"
				if !s.Verified {
					state, _, _ = strings.Cut(s.Error, "\n") // the panic's message, not its stack
				}
				got = append(got, s.Name+": "+state)
			}
			want := []string{"outputs off: verified"}
			if c.panicky {
				want = []string{"relay: harness: fault from safe state: relay on dut: panic: relay driver", "outputs off: verified"}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("safe state (-want +got):\n%s", diff)
			}
			if c.fault != "" && (len(r.rec.Faults) == 0 || !strings.Contains(r.rec.Faults[0].Message, c.fault)) {
				t.Errorf("faults %+v, want the first %q", r.rec.Faults, c.fault)
			}
		})
	}
}
