package units

import "testing"

func TestString(t *testing.T) {
	tests := []struct {
		got  string
		want string
	}{
		{(5 * Volt).String(), "5 V"},
		{(250 * Milliamp).String(), "250 mA"},
		{(1.23456 * Amp).String(), "1.235 A"},
		{(-12 * Volt).String(), "-12 V"},
		{(0 * Amp).String(), "0 A"},
		{(4700 * Ohm).String(), "4.7 kΩ"},
		{(3 * Microamp).String(), "3 µA"},
		{(0.9999 * Volt).String(), "999.9 mV"},
		{(0.99996 * Volt).String(), "1 V"},
		{Temperature(41.5).String(), "41.5 °C"},
		{(5 * Volt).Times(2 * Amp).String(), "10 W"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
