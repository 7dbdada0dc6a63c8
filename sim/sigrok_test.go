package sim_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// Third-party drivers against the models: Debian's sigrok-cli (libsigrok
// 0.5.2), whose scpi-pps driver knows the DP800 series from its own
// profile and sends what that profile says, over a raw TCP socket.

// requireSigrok skips without sigrok-cli, unless the environment (CI,
// through .ci/run) says it must be there.
func requireSigrok(t *testing.T) string {
	path, err := exec.LookPath("sigrok-cli")
	if err == nil {
		return path
	}
	msg := "sigrok interop needs Debian's sigrok-cli (apt-get install -y sigrok-cli): " + err.Error()
	if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// sigrok runs the driver against a served instrument.
type sigrok struct {
	t      *testing.T
	cli    string
	driver string // scpi-pps:conn=tcp-raw/127.0.0.1/PORT
}

func newSigrok(t *testing.T, driver string, in *sim.Instrument) *sigrok {
	cli := requireSigrok(t)
	srv, err := sim.ServeTCP("127.0.0.1:0", in, sim.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return &sigrok{t: t, cli: cli, driver: fmt.Sprintf("%s:conn=tcp-raw/127.0.0.1/%d", driver, srv.Addr().Port)}
}

// run runs sigrok-cli on the device with args and returns its standard
// output. A driver that waits for an answer the model never sends shows
// as the deadline passing, not as a hung test.
func (s *sigrok) run(wantOK bool, args ...string) (stdout, stderr string) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.cli, append([]string{"-d", s.driver}, args...)...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if ctx.Err() != nil {
		s.t.Fatalf("sigrok-cli %s did not finish in 30 s (waiting for an answer?)\nstderr:\n%s", strings.Join(args, " "), errOut.String())
	}
	if wantOK && err != nil {
		s.t.Fatalf("sigrok-cli %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String()
}

// get reads one config key, the last line sigrok-cli prints.
func (s *sigrok) get(group, key string) string {
	s.t.Helper()
	args := []string{"--get", key}
	if group != "" {
		args = append([]string{"--channel-group", group}, args...)
	}
	out, _ := s.run(true, args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

func (s *sigrok) set(group, key, value string) {
	s.t.Helper()
	args := []string{"--config", key + "=" + value, "--set"}
	if group != "" {
		args = append([]string{"--channel-group", group}, args...)
	}
	s.run(true, args...)
}

// TestSigrokDP8xx drives the simulated DP800 supplies with sigrok's
// scpi-pps driver through every operation it offers for them: scan,
// show, get and set of each config key of each channel group, and an
// acquisition, reading back exact values.
func TestSigrokDP8xx(t *testing.T) {
	for _, model := range []string{"DP832", "DP832A", "DP831A", "DP821A"} {
		t.Run(model, func(t *testing.T) {
			in := sim.MustNew(model)
			defer in.Close()
			s := newSigrok(t, "scpi-pps", in)
			groups := map[string]int{"DP832": 3, "DP832A": 3, "DP831A": 3, "DP821A": 2}[model]

			out, _ := s.run(true, "--scan")
			channels := map[int]string{3: "V1 I1 P1 V2 I2 P2 V3 I3 P3", 2: "V1 I1 P1 V2 I2 P2"}[groups]
			if !strings.Contains(out, "scpi-pps - Rigol "+model+" 00.01.16 [S/N: DP8") || !strings.Contains(out, "channels: "+channels+"\n") {
				t.Fatalf("--scan:\n%s", out)
			}
			out, _ = s.run(true, "--show")
			if !strings.Contains(out, "Rigol "+model+" 00.01.16") {
				t.Fatalf("--show does not name the %s:\n%s", model, out)
			}
			for g := 1; g <= groups; g++ {
				out, _ := s.run(true, "--channel-group", fmt.Sprint(g), "--show")
				for _, key := range []string{"regulation", "ovp_enabled", "ovp_active", "ovp_threshold", "ocp_enabled",
					"ocp_active", "ocp_threshold", "voltage", "voltage_target", "current", "current_limit", "enabled"} {
					if !strings.Contains(out, "    "+key+": ") {
						t.Errorf("group %d --show lacks %s:\n%s", g, key, out)
					}
				}
			}
			if model != "DP832" && model != "DP832A" {
				return // the rest is the same driver and model code
			}

			// Every key of channel group 2, set and read back; then the
			// model's own state, to show sigrok reached the right channel.
			g := "2"
			got := map[string]string{}
			for _, kv := range [][2]string{{"voltage_target", "5.5"}, {"current_limit", "1.25"},
				{"ovp_threshold", "12"}, {"ocp_threshold", "2"}, {"ocp_enabled", "on"}, {"enabled", "on"}} {
				s.set(g, kv[0], kv[1])
				got[kv[0]] = s.get(g, kv[0])
			}
			for _, key := range []string{"voltage", "current", "regulation", "ovp_active", "ocp_active", "ovp_enabled"} {
				got[key] = s.get(g, key)
			}
			want := map[string]string{
				"voltage_target": "5.5", "current_limit": "1.25", "ovp_threshold": "12.0", "ocp_threshold": "2.0",
				"ocp_enabled": "true", "enabled": "true", "voltage": "5.5", "current": "0.0",
				"regulation": "'CV'", "ovp_active": "false", "ocp_active": "false", "ovp_enabled": "true",
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("channel group 2 (-want +got):\n%s", diff)
			}
			s.set(g, "ovp_enabled", "off")
			s.set(g, "ocp_enabled", "off")
			s.set(g, "enabled", "off")
			if got := []string{s.get(g, "ovp_enabled"), s.get(g, "ocp_enabled"), s.get(g, "enabled")}; !cmp.Equal(got, []string{"false", "false", "false"}) {
				t.Errorf("switched off, sigrok reads %v", got)
			}
			s.set("", "otp", "off")
			if got := s.get("", "otp"); got != "false" {
				t.Errorf("otp after otp=off: %s", got)
			}
			in.Do(func(d sim.Device) {
				o, _ := d.(sim.Supply).Output(2)
				v, i := o.Settings()
				level, ovpOn, _ := o.OVP()
				ocpOn, _ := o.OCP()
				if v != 5.5 || i != 1.25 || level != 12 || o.OCPLevel() != 2 || ovpOn || ocpOn || o.On() {
					t.Errorf("the model's CH2: %v V, %v A, OVP %v V %v, OCP %v A %v, on %v", v, i, level, ovpOn, o.OCPLevel(), ocpOn, o.On())
				}
				o1, _ := d.(sim.Supply).Output(1)
				if v1, _ := o1.Settings(); v1 != 0 {
					t.Errorf("CH1 changed too: %v V", v1)
				}
			})

			// An acquisition: one sample of each channel.
			s.set(g, "enabled", "on")
			out, _ = s.run(true, "--samples", "1")
			for _, line := range []string{"V1: 0.0 mV DC", "V2: 5.5000 V DC", "I2: 0.0 mA DC", "P2: 0.0 mW"} {
				if !strings.Contains(out, line+"\n") {
					t.Errorf("--samples 1 lacks %q:\n%s", line, out)
				}
			}
			// libsigrok 0.5.2's scpi-pps has no frame limit: it refuses
			// --frames whatever the device, and must still not hang.
			_, stderr := s.run(false, "--frames", "1")
			if !strings.Contains(stderr, "Failed to configure frame limit.") {
				t.Errorf("--frames 1: %s", stderr)
			}
		})
	}
}

// TestSigrokTruevolt drives the simulated 34465A with sigrok's scpi-dmm
// driver: show, every measured quantity it offers set and read back, a
// reading of each through --samples, and --time; the meter probes a
// supply output at 5 V, then a 1 kΩ resistor with the output off.
func TestSigrokTruevolt(t *testing.T) {
	in := sim.MustNew("34465A")
	defer in.Close()
	o := sim.NewOutput(sim.OutputRange{Name: "CH1", MinV: 0, MaxV: 30, MaxI: 3})
	o.Connect(sim.Resistor(1000))
	o.SetVoltage(5)
	o.SetOn(true)
	in.Do(func(d sim.Device) { d.(sim.Prober).ProbeOutput(o) })
	s := newSigrok(t, "scpi-dmm", in)

	out, _ := s.run(true, "--scan")
	if !strings.Contains(out, "scpi-dmm - Keysight Technologies 34465A") {
		t.Fatalf("--scan:\n%s", out)
	}
	out, _ = s.run(true, "--show")
	quantities := []string{"voltage/dc", "voltage/ac", "current/dc", "current/ac", "resistance",
		"continuity", "capacitance", "voltage/dc/diode", "temperature", "frequency"}
	for _, q := range quantities {
		if !strings.Contains(out, "      "+q+"\n") && !strings.Contains(out, "      "+q+" (current)\n") {
			t.Errorf("--show does not offer %s:\n%s", q, out)
		}
	}
	sample := func() string {
		out, _ := s.run(true, "--samples", "1")
		return strings.TrimSpace(out)
	}
	got := map[string]string{}
	for _, q := range quantities {
		if q == "resistance" || q == "continuity" || q == "voltage/dc/diode" {
			continue // measured with the output off, below
		}
		s.set("", "measured_quantity", q)
		got[q] = s.get("", "measured_quantity") + " " + sample()
	}
	o.SetOn(false)
	for _, q := range []string{"resistance", "continuity", "voltage/dc/diode"} {
		s.set("", "measured_quantity", q)
		got[q] = s.get("", "measured_quantity") + " " + sample()
	}
	want := map[string]string{
		"voltage/dc":       "voltage/dc P1: 5.000000 V DC",
		"voltage/ac":       "voltage/ac P1: 0 µV AC",
		"current/dc":       "current/dc P1: 5.00000 mA DC",
		"current/ac":       "current/ac P1: 0.00 µA AC",
		"capacitance":      "capacitance P1: 0.0 pF",
		"temperature":      "temperature P1: inf °C",
		"frequency":        "frequency P1: 0 µHz",
		"resistance":       "resistance P1: 1.00000 k\u2126",
		"continuity":       "continuity P1: 1.0000 k\u2126",
		"voltage/dc/diode": "voltage/dc/diode P1: 1000.0 mV DC DIODE",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("quantity and one sample (-want +got):\n%s", diff)
	}
	// Continuous acquisition bounded by time, and the frame limit that
	// libsigrok 0.5.2's scpi-dmm does not have.
	s.set("", "measured_quantity", "voltage/dc")
	if out, _ := s.run(true, "--time", "100"); !strings.Contains(out, "P1: 0 µV DC") {
		t.Errorf("--time 100 (output off): %s", out)
	}
	if _, stderr := s.run(false, "--frames", "1"); !strings.Contains(stderr, "Failed to configure frame limit.") {
		t.Errorf("--frames 1: %s", stderr)
	}
}

// TestSigrokHMC8043 drives the simulated HMC8043 with sigrok's scpi-pps
// profile for it: levels, OVP, and output switching per channel group.
func TestSigrokHMC8043(t *testing.T) {
	in := sim.MustNew("HMC8043")
	defer in.Close()
	s := newSigrok(t, "scpi-pps", in)
	out, _ := s.run(true, "--show")
	if !strings.Contains(out, "Rohde&Schwarz HMC8043") {
		t.Fatalf("--show does not name the HMC8043:\n%s", out)
	}
	g := "3"
	got := map[string]string{}
	for _, kv := range [][2]string{{"voltage_target", "5.5"}, {"current_limit", "0.5"}, {"ovp_threshold", "12"},
		{"ovp_enabled", "on"}, {"enabled", "on"}} {
		s.set(g, kv[0], kv[1])
		got[kv[0]] = s.get(g, kv[0])
	}
	got["voltage"], got["ovp_active"] = s.get(g, "voltage"), s.get(g, "ovp_active")
	want := map[string]string{"voltage_target": "5.5", "current_limit": "0.5", "ovp_threshold": "12.0",
		"ovp_enabled": "true", "enabled": "true", "voltage": "5.5", "ovp_active": "false"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("channel group 3 (-want +got):\n%s", diff)
	}
	live := func() (bool, bool) {
		var on3, on1 bool
		in.Do(func(d sim.Device) {
			o3, _ := d.(sim.Supply).Output(3)
			o1, _ := d.(sim.Supply).Output(1)
			on3, on1 = o3.On(), o1.On()
		})
		return on3, on1
	}
	if on3, on1 := live(); !on3 || on1 {
		t.Errorf("after enabled=on on group 3: output 3 live %v, output 1 live %v", on3, on1)
	}
	s.set(g, "enabled", "off")
	if got := s.get(g, "enabled"); got != "false" {
		t.Errorf("enabled after enabled=off: %s", got)
	}
	if on3, _ := live(); on3 {
		t.Error("output 3 still live after enabled=off")
	}
}
