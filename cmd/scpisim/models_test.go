package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// allModelsBench writes a bench file with one instrument of every
// registered model, the DUT powered from a supply.
func allModelsBench(t *testing.T) string {
	var b strings.Builder
	b.WriteString("instruments:\n")
	for _, m := range sim.Models() {
		fmt.Fprintf(&b, "  %s: {model: %s}\n", strings.ToLower(m.Name), m.Name)
	}
	b.WriteString("  board-supply: {model: E36312A}\nwiring:\n  - {supply: board-supply, channel: 2, load: dut}\n")
	path := filepath.Join(t.TempDir(), "all.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEveryModelIsServed serves every model with scpisim and reaches each
// with scpi and, where installed, PyVISA.
func TestEveryModelIsServed(t *testing.T) {
	s, j := startJSON(t, allModelsBench(t))
	resources := map[string]string{} // name -> resource
	for _, r := range j.Resources {
		resources[r.Name] = r.Resource
	}
	// Power the board first: an unpowered DUT does not answer.
	supply, err := scpi.Open(context.Background(), resources["board-supply"])
	if err != nil {
		t.Fatal(err)
	}
	if err := supply.Write(context.Background(), "VOLT 12,(@2);:OUTP ON,(@2)"); err != nil {
		t.Fatal(err)
	}
	supply.Close()
	var want, ordered []string
	for _, m := range sim.Models() {
		res := resources[strings.ToLower(m.Name)]
		sess, err := scpi.Open(context.Background(), res, scpi.WithTimeout(2*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		var id scpi.IDN
		for deadline := time.Now().Add(10 * time.Second); ; { // the board boots
			if id, err = sess.QueryIDN(context.Background()); err == nil || time.Now().After(deadline) {
				break
			}
		}
		sess.Close()
		if err != nil {
			t.Fatalf("%s at %s: %v", m.Name, res, err)
		}
		want = append(want, id.String())
		ordered = append(ordered, res)
	}
	if len(want) < 16 {
		t.Fatalf("only %d models registered", len(want))
	}
	python := requirePyVISA(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, python, append([]string{"testdata/pyvisa_idn.py"}, ordered...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("PyVISA: %v\n%s", err, out)
	}
	got := strings.Split(strings.TrimSpace(string(out)), "\n")
	for i := range want {
		if i >= len(got) || got[i] != want[i] {
			t.Fatalf("PyVISA read %q from %s, want %q", got, ordered[i], want[i])
		}
	}
	s.stopJSON(t)
}
