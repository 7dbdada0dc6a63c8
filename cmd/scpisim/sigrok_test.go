package main

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/scpi"
)

// Third-party drivers against the models as a user runs them: Debian's
// sigrok-cli (libsigrok 0.5.2) over tcp-raw against `scpisim serve`, with
// its scpi-pps driver on the DP800 and HMC8043 supplies (each known to it
// from its own profile) and scpi-dmm on the 34465A, through every
// operation sigrok offers for them: --scan, --show per channel group, get
// and set of every config key it lists, --samples, --frames and --time.
// What sigrok set is read back twice: by sigrok, and by a session of our
// own on the same server, so a value that reached the wrong channel shows.

// sigrokCLI runs sigrok-cli on one served device.
type sigrokCLI struct {
	t      *testing.T
	cli    string
	driver string // scpi-pps:conn=tcp-raw/127.0.0.1/PORT
}

// sigrokOn serves the model or bench file with scpisim and returns the
// served resources by instrument name, each with its socket address.
func sigrokOn(t *testing.T, arg string) map[string]servedResource {
	t.Helper()
	requireTool(t, "sigrok-cli", "sigrok-cli")
	s, j := startJSON(t, arg)
	t.Cleanup(func() { s.stopJSON(t) })
	out := map[string]servedResource{}
	for _, r := range j.link("socket") {
		out[r.Name] = r
	}
	return out
}

func newSigrokCLI(t *testing.T, driver string, r servedResource) *sigrokCLI {
	t.Helper()
	_, port, err := net.SplitHostPort(r.Address)
	if err != nil {
		t.Fatalf("the served address: %v", err)
	}
	return &sigrokCLI{t: t, cli: requireTool(t, "sigrok-cli", "sigrok-cli"), driver: fmt.Sprintf("%s:conn=tcp-raw/127.0.0.1/%s", driver, port)}
}

// run runs sigrok-cli with args and returns what it printed. A driver
// that waits for an answer the model never sends shows as the deadline
// passing, not as a hung test.
func (s *sigrokCLI) run(wantOK bool, args ...string) (stdout, stderr string) {
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

func groupArgs(group string, args ...string) []string {
	if group == "" {
		return args
	}
	return append([]string{"--channel-group", group}, args...)
}

// get reads one config key: the last line sigrok-cli prints.
func (s *sigrokCLI) get(group, key string) string {
	s.t.Helper()
	out, _ := s.run(true, groupArgs(group, "--get", key)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

func (s *sigrokCLI) set(group, key, value string) {
	s.t.Helper()
	s.run(true, groupArgs(group, "--config", key+"="+value, "--set")...)
}

// setAll sets each key of a channel group to its value, reading each back
// as sigrok prints it.
func (s *sigrokCLI) setAll(group string, kvs [][2]string) map[string]string {
	s.t.Helper()
	got := map[string]string{}
	for _, kv := range kvs {
		s.set(group, kv[0], kv[1])
		got[kv[0]] = s.get(group, kv[0])
	}
	return got
}

// plain is a number as a setting is sent and as normalise gives a reply:
// 1.5, 0.25, 11.
func plain(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// sigrokNumber is a number as sigrok-cli prints a config value: a whole
// number with ".0" (11.0), else as plain (the tests' values are exact in
// binary, which sigrok prints with up to 17 digits).
func sigrokNumber(x float64) string {
	if x == math.Trunc(x) {
		return plain(x) + ".0"
	}
	return plain(x)
}

// showKeys checks that --show of a channel group lists each key.
func (s *sigrokCLI) showKeys(group string, keys ...string) {
	s.t.Helper()
	out, _ := s.run(true, groupArgs(group, "--show")...)
	for _, key := range keys {
		if !strings.Contains(out, "    "+key+": ") {
			s.t.Errorf("group %s --show lacks %s:\n%s", group, key, out)
		}
	}
}

// framesRefused: libsigrok 0.5.2's scpi-pps and scpi-dmm have no frame
// limit and refuse --frames whatever the device; it must still not hang.
func (s *sigrokCLI) framesRefused() {
	s.t.Helper()
	if _, stderr := s.run(false, "--frames", "1"); !strings.Contains(stderr, "Failed to configure frame limit.") {
		s.t.Errorf("--frames 1: %s", stderr)
	}
}

// sampled finds "CHANNEL: NUMBER UNIT" in sigrok-cli's sample lines and
// returns the number (NaN when the line is not there): sigrok prints as
// many digits as its profile gives the channel.
func sampled(out, channel, unit string) float64 {
	for line := range strings.Lines(out) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), channel+": ")
		if num, ok2 := strings.CutSuffix(rest, " "+unit); ok && ok2 {
			if f, err := strconv.ParseFloat(num, 64); err == nil {
				return f
			}
		}
	}
	return math.NaN()
}

// state asks the served instrument cmd (a compound query) over a session
// of our own and returns the replies, split at the semicolons.
func state(t *testing.T, r servedResource, cmd string) []string {
	t.Helper()
	sess, err := scpi.Open(context.Background(), r.Resource)
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	reply, err := sess.Query(context.Background(), cmd)
	if err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	return strings.Split(reply, ";")
}

// normalise turns each reply into a comparable word: numbers as Go
// prints them (5.500 and +5.5E+00 are both 5.5), ON/OFF as on/off.
func normalise(replies []string) []string {
	out := make([]string, len(replies))
	for i, r := range replies {
		switch strings.ToUpper(r) {
		case "ON", "1":
			out[i] = "on"
			continue
		case "OFF", "0":
			out[i] = "off"
			continue
		}
		if f, err := scpi.ParseFloat(r); err == nil {
			out[i] = plain(f)
			continue
		}
		out[i] = r
	}
	return out
}

// TestSigrokDP8xx: scpi-pps on the DP800 supplies. Every channel group
// of the DP832 and of the two-channel DP821A (other ranges) has each key
// set and read back; the A variants of the three-channel models are
// scanned and shown (the same driver profile and model code).
func TestSigrokDP8xx(t *testing.T) {
	for _, model := range []string{"DP832", "DP821A", "DP832A", "DP831A"} {
		t.Run(model, func(t *testing.T) {
			r := sigrokOn(t, model)[model]
			s := newSigrokCLI(t, "scpi-pps", r)
			groups := map[string]int{"DP832": 3, "DP832A": 3, "DP831A": 3, "DP821A": 2}[model]

			out, _ := s.run(true, "--scan")
			channels := map[int]string{3: "V1 I1 P1 V2 I2 P2 V3 I3 P3", 2: "V1 I1 P1 V2 I2 P2"}[groups]
			if !strings.Contains(out, "scpi-pps - Rigol "+model+" 00.01.16 [S/N: DP8") || !strings.Contains(out, "channels: "+channels+"\n") {
				t.Fatalf("--scan:\n%s", out)
			}
			out, _ = s.run(true, "--show")
			if !strings.Contains(out, "Rigol "+model+" 00.01.16") || !strings.Contains(out, "    otp: ") {
				t.Fatalf("--show does not name the %s or lacks otp:\n%s", model, out)
			}
			for g := 1; g <= groups; g++ {
				s.showKeys(strconv.Itoa(g), "regulation", "ovp_enabled", "ovp_active", "ovp_threshold", "ocp_enabled",
					"ocp_active", "ocp_threshold", "voltage", "voltage_target", "current", "current_limit", "enabled")
			}
			if model == "DP832A" || model == "DP831A" {
				return
			}

			// Each group's own values, within every channel's ranges (the
			// DP832's CH3 is 5 V; the DP821A's CH1 1 A).
			for g := 1; g <= groups; g++ {
				gs := strconv.Itoa(g)
				v, i := 1.0+0.5*float64(g), 0.25*float64(g)
				ovp, ocp := 4+0.25*float64(g), 0.25+0.25*float64(g) // all exact in binary: sigrok prints 17 digits
				got := s.setAll(gs, [][2]string{{"voltage_target", plain(v)}, {"current_limit", plain(i)},
					{"ovp_threshold", plain(ovp)}, {"ocp_threshold", plain(ocp)}, {"ovp_enabled", "on"}, {"ocp_enabled", "on"}, {"enabled", "on"}})
				for _, key := range []string{"voltage", "current", "regulation", "ovp_active", "ocp_active"} {
					got[key] = s.get(gs, key)
				}
				want := map[string]string{
					"voltage_target": sigrokNumber(v), "current_limit": sigrokNumber(i), "ovp_threshold": sigrokNumber(ovp), "ocp_threshold": sigrokNumber(ocp),
					"ovp_enabled": "true", "ocp_enabled": "true", "enabled": "true",
					"voltage": sigrokNumber(v), "current": "0.0", "regulation": "'CV'", "ovp_active": "false", "ocp_active": "false",
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("channel group %d as sigrok reads it (-want +got):\n%s", g, diff)
				}
				q := fmt.Sprintf(":SOUR%[1]d:VOLT?;:SOUR%[1]d:CURR?;:OUTP:OVP:VAL? CH%[1]d;:OUTP:OCP:VAL? CH%[1]d;:OUTP:OVP? CH%[1]d;:OUTP:OCP? CH%[1]d;:OUTP? CH%[1]d", g)
				wantState := []string{plain(v), plain(i), plain(ovp), plain(ocp), "on", "on", "on"}
				if diff := cmp.Diff(wantState, normalise(state(t, r, q))); diff != "" {
					t.Errorf("CH%d as the model has it (-want +got):\n%s", g, diff)
				}
			}
			// An acquisition sees every channel's own voltage.
			out, _ = s.run(true, "--samples", "1")
			for g := 1; g <= groups; g++ {
				if got := sampled(out, "V"+strconv.Itoa(g), "V DC"); got != 1.0+0.5*float64(g) {
					t.Errorf("--samples 1: V%d is %v:\n%s", g, got, out)
				}
			}
			if out, _ := s.run(true, "--time", "100"); !strings.Contains(out, "V1: ") {
				t.Errorf("--time 100: %s", out)
			}
			s.framesRefused()

			// Everything off again, through sigrok, and the model agrees.
			for g := 1; g <= groups; g++ {
				gs := strconv.Itoa(g)
				for _, key := range []string{"ovp_enabled", "ocp_enabled", "enabled"} {
					s.set(gs, key, "off")
					if got := s.get(gs, key); got != "false" {
						t.Errorf("group %d %s after off: %s", g, key, got)
					}
				}
				q := fmt.Sprintf(":OUTP:OVP? CH%[1]d;:OUTP:OCP? CH%[1]d;:OUTP? CH%[1]d", g)
				if diff := cmp.Diff([]string{"off", "off", "off"}, normalise(state(t, r, q))); diff != "" {
					t.Errorf("CH%d after switching off (-want +got):\n%s", g, diff)
				}
			}
			for _, v := range []string{"off", "on"} {
				s.set("", "otp", v)
				if got := s.get("", "otp"); got != map[string]string{"on": "true", "off": "false"}[v] {
					t.Errorf("otp after otp=%s: %s", v, got)
				}
				if got := normalise(state(t, r, ":SYST:OTP?")); got[0] != v {
					t.Errorf(":SYST:OTP? after otp=%s: %s", v, got[0])
				}
			}
		})
	}
}

// TestSigrokHMC8043: scpi-pps's HMC8043 profile, every channel group's
// keys set and read back, each group's output switched on and off alone.
func TestSigrokHMC8043(t *testing.T) {
	r := sigrokOn(t, "HMC8043")["HMC8043"]
	s := newSigrokCLI(t, "scpi-pps", r)
	out, _ := s.run(true, "--scan")
	if !strings.Contains(out, "scpi-pps - Rohde&Schwarz HMC8043") || !strings.Contains(out, "channels: V1 I1 V2 I2 V3 I3\n") {
		t.Fatalf("--scan:\n%s", out)
	}
	out, _ = s.run(true, "--show")
	for _, line := range []string{"    1: channels V1 I1", "    2: channels V2 I2", "    3: channels V3 I3", "    limit_samples: ", "    limit_time: "} {
		if !strings.Contains(out, line) {
			t.Errorf("--show lacks %q:\n%s", line, out)
		}
	}
	for g := 1; g <= 3; g++ {
		gs := strconv.Itoa(g)
		s.showKeys(gs, "ovp_enabled", "ovp_active", "ovp_threshold", "voltage", "voltage_target", "current", "current_limit", "enabled")
		v, i, ovp := 1.5*float64(g), 0.5*float64(g), 10+float64(g)
		got := s.setAll(gs, [][2]string{{"voltage_target", plain(v)}, {"current_limit", plain(i)}, {"ovp_threshold", plain(ovp)},
			{"ovp_enabled", "on"}, {"enabled", "on"}})
		for _, key := range []string{"voltage", "current", "ovp_active"} {
			got[key] = s.get(gs, key)
		}
		want := map[string]string{"voltage_target": sigrokNumber(v), "current_limit": sigrokNumber(i), "ovp_threshold": sigrokNumber(ovp),
			"ovp_enabled": "true", "enabled": "true", "voltage": sigrokNumber(v), "current": "0.0", "ovp_active": "false"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("channel group %d as sigrok reads it (-want +got):\n%s", g, diff)
		}
		// Only this group's output is on: the earlier groups were
		// switched off below before this one was switched on.
		q := fmt.Sprintf("INST:NSEL %d;:VOLT?;:CURR?;:VOLT:PROT:LEV?;:VOLT:PROT?;:OUTP:CHAN?;:INST:NSEL 1;:OUTP:CHAN?", g)
		want1 := "on"
		if g != 1 {
			want1 = "off"
		}
		if diff := cmp.Diff([]string{plain(v), plain(i), plain(ovp), "on", "on", want1}, normalise(state(t, r, q))); diff != "" {
			t.Errorf("channel %d as the model has it, then channel 1's switch (-want +got):\n%s", g, diff)
		}
		out, _ := s.run(true, "--samples", "1")
		if got := sampled(out, "V"+gs, "V DC"); got != v {
			t.Errorf("--samples 1: V%d is %v:\n%s", g, got, out)
		}
		s.set(gs, "enabled", "off")
		s.set(gs, "ovp_enabled", "off")
		if got := []string{s.get(gs, "enabled"), s.get(gs, "ovp_enabled")}; !cmp.Equal(got, []string{"false", "false"}) {
			t.Errorf("group %d switched off, sigrok reads %v", g, got)
		}
	}
	if out, _ := s.run(true, "--time", "100"); !strings.Contains(out, "V3: ") {
		t.Errorf("--time 100: %s", out)
	}
	s.framesRefused()
}

// TestSigrokTruevolt: scpi-dmm on a served 34465A wired across a
// DP832's CH1 with a 1 kΩ load, as a bench file says: every quantity it
// offers set and read back with a reading through --samples, first with
// the output at 5 V, then off.
func TestSigrokTruevolt(t *testing.T) {
	bench := filepath.Join(t.TempDir(), "bench.yaml")
	if err := os.WriteFile(bench, []byte(`instruments:
  psu: {model: DP832, resource: "TCPIP0::10.0.0.1::5025::SOCKET"}
  dmm: {model: 34465A, resource: "TCPIP0::10.0.0.2::5025::SOCKET"}
wiring:
  - {supply: psu, channel: 1, resistor: 1000, meter: dmm}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	served := sigrokOn(t, bench)
	psu := served["psu"]
	state(t, psu, ":SOUR1:VOLT 5;:OUTP CH1,ON;:OUTP? CH1")
	s := newSigrokCLI(t, "scpi-dmm", served["dmm"])

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
	state(t, psu, ":OUTP CH1,OFF;:OUTP? CH1")
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
	if got := normalise(state(t, served["dmm"], "CONF?")); len(got) != 1 || !strings.HasPrefix(got[0], `"DIOD`) {
		t.Errorf("the meter's configuration after sigrok chose the diode test: %v", got)
	}
	// Continuous acquisition bounded by time, and the frame limit that
	// libsigrok 0.5.2's scpi-dmm does not have.
	s.set("", "measured_quantity", "voltage/dc")
	if out, _ := s.run(true, "--time", "100"); !strings.Contains(out, "P1: 0 µV DC") {
		t.Errorf("--time 100 (output off): %s", out)
	}
	s.framesRefused()
}
