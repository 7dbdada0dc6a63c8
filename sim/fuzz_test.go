package sim

import (
	"strings"
	"testing"
)

// FuzzParseBench: any YAML must load or fail with an error, never panic.
func FuzzParseBench(f *testing.F) {
	for _, s := range []string{
		"instruments: {a: {model: SAMPLE, resource: 'TCPIP::h::5025::SOCKET', faults: {latency: 1ms}}}",
		"spec: '1.1'\ndevices: {d: {dialogues: [{q: a, r: b}], properties: {p: {default: 1, getter: {q: '?P', r: '{:d}'}, setter: {q: '!P {:d}'}, specs: {type: int, min: 0, max: 5}}}}}\nresources: {'ASRL1::INSTR': {device: d}}",
		"spec: '1.0'\ndevices: {d: {error: {status_register: [{q: '*ESR?', command_error: 32}]}}}\nresources: {'GPIB::1::INSTR': {device: d}}",
		"[", "instruments: 5", "spec: x",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := ParseBench(data, ".")
		if err == nil {
			b.Close()
		}
	})
}

// FuzzPyFormat: Python format templates render or fail, never panic.
func FuzzPyFormat(f *testing.F) {
	for _, s := range []string{"{:.2f}", "{:+.8E}", "{:d}", "{}", "<{:>6s}>", "{:08.3f}", "{:,}", "{{}}", "{", "{:x}", "{:^9}"} {
		f.Add(s, int64(42), 3.25, "text")
	}
	f.Fuzz(func(t *testing.T, tmpl string, i int64, x float64, s string) {
		for _, v := range []any{i, x, s} {
			out, err := pyFormat(tmpl, v)
			if err == nil && len(out) > len(tmpl)+1<<16 {
				t.Fatalf("%q of %v: %d bytes", tmpl, v, len(out))
			}
		}
	})
}

// FuzzTemplate: setter templates compile or fail, and matching any
// command never panics.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"!FREQ {:.2f}", "CH{ch_id}:RANG {:d}", "OUTP {:s}", "{}", "VOLT {:f} V", "{:"} {
		f.Add(s, "!FREQ 12.5")
	}
	f.Fuzz(func(t *testing.T, tmpl, cmd string) {
		if len(tmpl) > 200 || strings.Count(tmpl, "{") > 20 {
			return // regexp sizes, not parsing, beyond this
		}
		tp, err := newTemplate(tmpl)
		if err != nil {
			return
		}
		tp.match(cmd)
	})
}
