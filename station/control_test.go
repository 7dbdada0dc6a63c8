package station_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
)

// simSupply is a simulated DP832 opened through its driver.
func simSupply(t testing.TB) instruments.PowerSupply {
	t.Helper()
	bench := sim.NewBench()
	t.Cleanup(bench.Close)
	bench.Add("TCPIP0::10.9.0.1::5555::SOCKET", sim.MustNew("DP832"))
	inst, err := instruments.Open(context.Background(), "TCPIP0::10.9.0.1::5555::SOCKET",
		instruments.WithSessionOptions(scpi.WithTransportOptions(bench.TransportOption()), scpi.WithTimeout(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return inst.(instruments.PowerSupply)
}

// readUntil reads events until one of kind comes, and returns it.
func readUntil(t testing.TB, s *sseStream, kind harness.EventKind) harness.Event {
	t.Helper()
	for {
		e, err := s.next()
		if err != nil {
			t.Fatalf("waiting for a %s event: %v", kind, err)
		}
		if e.Event == string(kind) {
			var ev harness.Event
			if err := json.Unmarshal([]byte(e.Data), &ev); err != nil {
				t.Fatal(err)
			}
			return ev
		}
	}
}

// A run in one process (its own store, harness.WithControl) and the page
// served from another (a second store on the file, as station serve):
// the serial scanned on the page reaches the run's prompt, which lets
// the phase go on, and the answer is in the record; the page's stop
// button stops the run the way Ctrl-C does, so the safe state runs and
// is verified.
func TestPromptAndStopAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "station.db")
	runner := openStore(t, path)
	defer runner.Close()
	server := openStore(t, path)
	defer server.Close()
	srv, _ := serve(t, server)
	base := strings.TrimSuffix(srv.URL(), "/")
	psu := simSupply(t)

	type result struct {
		rec *harness.Record
		err error
	}
	done := make(chan result, 1)
	go func() {
		rec, err := harness.Run(context.Background(), "prompted", func(tt *harness.Test) error {
			tt.SupplySafeState(psu)
			tt.DUT("slot-1", func(d *harness.DUTRun) error {
				if err := d.PowerOn(d.Context(), psu, 1, 5*units.Volt, 100*units.Milliamp); err != nil {
					return err
				}
				if _, err := d.Prompt(d.Context(), harness.Prompt{Text: "Scan the unit's serial", Input: harness.InputSerial}); err != nil {
					return err
				}
				return d.Phase("soak", func(ctx context.Context) error {
					for !d.Stopping() {
						if err := d.Measure("v", 5*units.Volt, harness.Between(4.9, 5.1)); err != nil {
							return err
						}
					}
					return nil
				})
			})
			return nil
		}, harness.WithoutSignals(), harness.WithSink(runner), harness.WithControl(runner), harness.WithGracePeriod(5*time.Second))
		done <- result{rec, err}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := openSSE(ctx, srv.URL()+"events", "")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	asked := readUntil(t, s, harness.EventPrompt)
	if asked.Prompt == nil || asked.Prompt.Input != harness.InputSerial {
		t.Fatalf("prompt event %+v", asked)
	}
	answerURL := base + "/api/runs/" + asked.Run + "/prompts/" + asked.Prompt.ID
	if code, body := do(t, "POST", answerURL, "application/json", strings.NewReader(`{"answer":"SN-0077"}`)); code != 204 {
		t.Fatalf("answer: %d %s", code, body)
	}
	if code, body := do(t, "POST", answerURL, "application/json", strings.NewReader(`{"answer":"SN-0078"}`)); code != 409 {
		t.Fatalf("a second answer: %d %s, want 409", code, body)
	}
	answered := readUntil(t, s, harness.EventPromptAnswered)
	if answered.Prompt.Answer != "SN-0077" || answered.Prompt.By != "page" {
		t.Fatalf("answered: %+v", answered.Prompt)
	}
	readUntil(t, s, harness.EventMeasurement) // the phase goes on

	if code, body := do(t, "POST", base+"/api/runs/"+asked.Run+"/stop", "application/json", strings.NewReader(`{"immediate":false}`)); code != 202 {
		t.Fatalf("stop: %d %s", code, body)
	}
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("the run did not stop")
	}
	var stopped *harness.StopRequestError
	if !errors.As(r.err, &stopped) || stopped.By != "page" || stopped.Immediate {
		t.Fatalf("the run's error: %v, want a graceful stop requested on the page", r.err)
	}
	rec := r.rec
	if rec.Outcome != harness.OutcomeAborted || !strings.Contains(rec.StopCause, "stop requested on the page") {
		t.Fatalf("outcome %v, cause %q", rec.Outcome, rec.StopCause)
	}
	if rec.DUTs[0].Unit.Serial != "SN-0077" || len(rec.Prompts) != 1 || rec.Prompts[0].Answer != "SN-0077" || rec.Prompts[0].By != "page" {
		t.Fatalf("unit %+v, prompts %+v", rec.DUTs[0].Unit, rec.Prompts)
	}
	if len(rec.SafeState) == 0 {
		t.Fatal("no safe state ran")
	}
	for _, a := range rec.SafeState {
		if !a.Verified || a.Error != "" {
			t.Fatalf("safe state not verified: %+v", a)
		}
	}
	if on, err := psu.Output(ctx, 1); err != nil || on {
		t.Fatalf("output 1 on=%v (%v) after the stop", on, err)
	}
	// The record the page's store rebuilds says the same.
	stored, err := server.Record(ctx, rec.ID)
	if err != nil || stored.StopCause != rec.StopCause || stored.Prompts[0].Answer != "SN-0077" {
		t.Fatalf("stored: %v %+v", err, stored)
	}
	// The run has ended: a stop now is refused.
	if code, _ := do(t, "POST", base+"/api/runs/"+rec.ID+"/stop", "application/json", strings.NewReader(`{}`)); code != 409 {
		t.Fatalf("stop after the end: %d, want 409", code)
	}
}
