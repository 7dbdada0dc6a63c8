package gotest

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/harness/hwtest"
)

// The fault case, run as the user would (SCPIKIT_GOTEST_FAULT=dut-2 go
// test), in a process of its own so that this suite stays green: dut-2's
// subtest fails with the fault, the others pass, and the package report
// shows every supply's safe state verified.
func TestFaultIsReported(t *testing.T) {
	if os.Getenv(EnvFault) != "" || hwtest.Hardware() {
		t.Skip("simulation only, and not inside the fault run itself")
	}
	reports := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestBurnIn$", "-test.v")
	cmd.Env = append(os.Environ(), EnvFault+"=dut-2", hwtest.EnvReports+"="+reports, "SCPIKIT_SIM=")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("fault run: %v, want exit 1:\n%s", err, out)
	}
	for _, want := range []string{"--- FAIL: TestBurnIn/dut-2 ", "DUT dut-2 stopped", "OVERTEMPERATURE",
		"--- PASS: TestBurnIn/dut-1 ", "--- PASS: TestBurnIn/dut-3 ", "--- PASS: TestBurnIn/dut-4 "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The package's JUnit report carries dut-2's fault as an <error>.
	xmls, _ := filepath.Glob(filepath.Join(reports, "*.xml"))
	if len(xmls) != 1 {
		t.Fatalf("JUnit reports: %v", xmls)
	}
	if junit, _ := os.ReadFile(xmls[0]); !strings.Contains(string(junit), "<error") || !strings.Contains(string(junit), "OVERTEMPERATURE") {
		t.Errorf("the JUnit report does not carry dut-2's fault:\n%s", junit)
	}
	js, _ := filepath.Glob(filepath.Join(reports, "*.json"))
	if len(js) != 1 {
		t.Fatalf("reports: %v", js)
	}
	b, err := os.ReadFile(js[0])
	if err != nil {
		t.Fatal(err)
	}
	var rec harness.Record
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, d := range rec.DUTs {
		got[d.Name] = d.Outcome.String()
	}
	want := map[string]string{"TestBurnIn/dut-1": "pass", "TestBurnIn/dut-2": "error",
		"TestBurnIn/dut-3": "pass", "TestBurnIn/dut-4": "pass"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DUT outcomes (-want +got):\n%s", diff)
	}
	if len(rec.SafeState) == 0 {
		t.Fatal("no safe state in the record")
	}
	for _, s := range rec.SafeState {
		if !s.Verified {
			t.Errorf("safe state %s (%s) not verified: %s", s.Name, s.DUT, s.Error)
		}
	}
}
