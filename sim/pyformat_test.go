package sim

import "testing"

func TestPyFormat(t *testing.T) {
	tests := []struct {
		tmpl string
		v    any
		want string
	}{
		{"{:.2f}", 12.5, "12.50"},
		{"{:+.8E}", 1.0, "+1.00000000E+00"},
		{"{:d}", int64(-7), "-7"},
		{"{}", 100.0, "100.0"},
		{"{}", 1e16, "1e+16"},
		{"{}", 1e-05, "1e-05"},
		{"{}", int64(3), "3"},
		{"{:}", "abc", "abc"},
		{"<{:>6s}>", "ab", "<    ab>"},
		{"<{:<6}>", "ab", "<ab    >"},
		{"<{:^6}>", "ab", "<  ab  >"},
		{"{:08.3f}", -3.14159, "-003.142"},
		{"{:,}", int64(1234567), "1,234,567"},
		{"{:x}", int64(255), "ff"},
		{"{:X}", int64(255), "FF"},
		{"{:.1%}", 0.25, "25.0%"},
		{"{:g}", 0.0001, "0.0001"},
		{"{{{}}}", int64(1), "{1}"},
		{"{: d}", int64(5), " 5"},
		{"{:*>5}", int64(5), "****5"},
	}
	for _, tt := range tests {
		got, err := pyFormat(tt.tmpl, tt.v)
		if err != nil || got != tt.want {
			t.Errorf("pyFormat(%q, %v) = %q, %v; want %q", tt.tmpl, tt.v, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		tmpl string
		v    any
	}{{"{:d}", 1.5}, {"{:s}", int64(1)}, {"{:.2f}", "x"}, {"{", 1.0}, {"{name}", 1.0}, {"{:zz}", 1.0}} {
		if got, err := pyFormat(bad.tmpl, bad.v); err == nil {
			t.Errorf("pyFormat(%q, %v) = %q, want an error (as Python raises)", bad.tmpl, bad.v, got)
		}
	}
}

func TestTemplate(t *testing.T) {
	tp, err := newTemplate("CH{ch_id}:VOLT {:.3f} V")
	if err != nil {
		t.Fatal(err)
	}
	v, named, ok := tp.match("CH2:VOLT 1.25 V")
	if !ok || v != 1.25 || named["ch_id"] != "2" {
		t.Fatalf("%v %v %v", v, named, ok)
	}
	for _, miss := range []string{"CH2:VOLT abc V", "CH2:VOLT 1.25", "XCH2:VOLT 1 V"} {
		if _, _, ok := tp.match(miss); ok {
			t.Errorf("%q matched", miss)
		}
	}
	d, _ := newTemplate("!MODE {:d}")
	if v, _, ok := d.match("!MODE 3"); !ok || v != int64(3) {
		t.Fatalf("%v %v", v, ok)
	}
	if _, _, ok := d.match("!MODE 3.5"); ok {
		t.Fatal("an int field took a float")
	}
}
