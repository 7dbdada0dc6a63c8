package scpi

import (
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseFloat(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"42", 42}, {"-3.5", -3.5}, {"+1.234E-03", 1.234e-3}, {" 5.000000e+00\r", 5},
		{".5", 0.5}, {"5.", 5}, {"-0", 0}, {"1E3", 1000},
		{"9.9E37", math.Inf(1)}, {"+9.90000000E+37", math.Inf(1)}, {"-9.9E37", math.Inf(-1)},
		{"INF", math.Inf(1)}, {"ninf", math.Inf(-1)}, {"-INF", math.Inf(-1)},
	}
	for _, tt := range tests {
		got, err := ParseFloat(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseFloat(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, nan := range []string{"9.91E37", "+9.91000000E+37", "NAN", "nan"} {
		if got, err := ParseFloat(nan); err != nil || !math.IsNaN(got) {
			t.Errorf("ParseFloat(%q) = %v, %v; want NaN", nan, got, err)
		}
	}
	for _, bad := range []string{"", " ", "abc", "1.2.3", "0x1p-2", "1_000", "Infinity", "1e", "e5", "+", ".", "1E400", "5 V", "1,2"} {
		if _, err := ParseFloat(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseFloat(%q) err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"42", 42}, {"-7", -7}, {"+0", 0}, {"#H1F", 31}, {"#hff", 255}, {"#Q17", 15}, {"#B101", 5},
		{"+1.00000E+01", 10}, {"3.0", 3},
	}
	for _, tt := range tests {
		got, err := ParseInt(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseInt(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "1.5", "#HZZ", "#H", "#B102", "9.9E37", "#H-1", "1_0", "abc"} {
		if _, err := ParseInt(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseInt(%q) err = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"1": true, "0": false, "ON": true, "off": false, " On\n": true, "+1": true, "0.0": false, "1.0E+00": true} {
		got, err := ParseBool(in)
		if err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yes", "TRUE", "NAN"} {
		if _, err := ParseBool(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseBool(%q) err = %v", bad, err)
		}
	}
}

func TestParseString(t *testing.T) {
	tests := map[string]string{
		`"hello"`: "hello", `"say ""hi"""`: `say "hi"`, `'it''s'`: "it's", `""`: "", `VOLT`: "VOLT", ` "a,b" `: "a,b",
	}
	for in, want := range tests {
		got, err := ParseString(in)
		if err != nil || got != want {
			t.Errorf("ParseString(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{`"abc`, `"a"b"`, `"`} {
		if _, err := ParseString(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseString(%q) err = %v", bad, err)
		}
	}
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"1,2, 3", []string{"1", "2", "3"}},
		{`"a,b",c`, []string{`"a,b"`, "c"}},
		{"#15a,b,c,7", []string{"#15a,b,c", "7"}},
		{"1,,2", []string{"1", "", "2"}},
		{"#H1F,#B1", []string{"#H1F", "#B1"}},
		{`1;"a;b",2`, []string{"1", `"a;b"`, "2"}},
	}
	for _, tt := range tests {
		if got := SplitList(tt.in); !cmp.Equal(got, tt.want) {
			t.Errorf("SplitList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseLists(t *testing.T) {
	f, err := ParseFloats("+1.0E+00, -2.5,9.9E37,3")
	if diff := cmp.Diff([]float64{1, -2.5, math.Inf(1), 3}, f); err != nil || diff != "" {
		t.Errorf("ParseFloats: %v %s", err, diff)
	}
	if f, err := ParseFloats(" "); err != nil || f != nil {
		t.Errorf("empty list: %v, %v", f, err)
	}
	for _, bad := range []string{"1,", "1,,2", "1,x", "1;", "1;;2"} {
		if _, err := ParseFloats(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseFloats(%q) err = %v", bad, err)
		}
	}
	if f, err := ParseFloats("+5.0E+00;+1.2E-01"); err != nil || !cmp.Equal(f, []float64{5, 0.12}) {
		t.Errorf("compound query reply: %v, %v", f, err)
	}
	i, err := ParseInts("1,#H10;+3")
	if diff := cmp.Diff([]int64{1, 16, 3}, i); err != nil || diff != "" {
		t.Errorf("ParseInts: %v %s", err, diff)
	}
}

func TestParseIDN(t *testing.T) {
	tests := []struct {
		in   string
		want IDN
	}{
		{"Keysight Technologies,E36312A,MY12345678,2.1.0-1.0.4-1.12", IDN{"Keysight Technologies", "E36312A", "MY12345678", "2.1.0-1.0.4-1.12"}},
		{"Agilent Technologies,E3631A,0,2.1-5.0-1.0", IDN{"Agilent Technologies", "E3631A", "0", "2.1-5.0-1.0"}},
		{"Siglent Technologies,SPD3303X,SPD3XAAA1R0123,1.01.01.02.05,V3.0", IDN{"Siglent Technologies", "SPD3303X", "SPD3XAAA1R0123", "1.01.01.02.05,V3.0"}},
		{"RIGOL TECHNOLOGIES, DP832 , DP8C1234, 00.01.14\n", IDN{"RIGOL TECHNOLOGIES", "DP832", "DP8C1234", "00.01.14"}},
	}
	for _, tt := range tests {
		got, err := ParseIDN(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseIDN(%q) = %+v, %v", tt.in, got, err)
		}
	}
	for _, bad := range []string{"", "a,b,c", ",model,s,f"} {
		if _, err := ParseIDN(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseIDN(%q) err = %v", bad, err)
		}
	}
}

func TestParseDeviceError(t *testing.T) {
	tests := []struct {
		in   string
		want DeviceError
	}{
		{`-113,"Undefined header"`, DeviceError{Code: -113, Message: "Undefined header"}},
		{`+0,"No error"`, DeviceError{Code: 0, Message: "No error"}},
		{`0,"No error"`, DeviceError{Code: 0, Message: "No error"}},
		{`0  No Error`, DeviceError{Code: 0, Message: "No Error"}}, // Siglent SPD3303X
		{`-222,"Data out of range;VOLT 50"`, DeviceError{Code: -222, Message: "Data out of range;VOLT 50"}},
		{`-350,Queue overflow`, DeviceError{Code: -350, Message: "Queue overflow"}},
		{`101`, DeviceError{Code: 101}},
	}
	for _, tt := range tests {
		got, err := ParseDeviceError(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseDeviceError(%q) = %+v, %v", tt.in, got, err)
		}
	}
	for _, bad := range []string{"", "No error", "-x,1", "12abc"} {
		if _, err := ParseDeviceError(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseDeviceError(%q) err = %v", bad, err)
		}
	}
}

func TestParseBlock(t *testing.T) {
	data, rest, err := ParseBlock([]byte("#210ab\ncd\nefg,1"))
	if err != nil || string(data) != "ab\ncd\nefg," || string(rest) != "1" {
		t.Fatalf("definite: %q %q %v", data, rest, err)
	}
	data, rest, err = ParseBlock([]byte(" #0raw\nbytes\n"))
	if err != nil || string(data) != "raw\nbytes" || rest != nil {
		t.Fatalf("indefinite: %q %q %v", data, rest, err)
	}
	data, _, err = ParseBlock([]byte("#10"))
	if err != nil || len(data) != 0 {
		t.Fatalf("empty block: %q %v", data, err)
	}
	for _, bad := range []string{"", "abc", "#", "#A12", "#3ab", "#15abc", "#9999999999"} {
		if _, _, err := ParseBlock([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseBlock(%q) err = %v", bad, err)
		}
	}
}

func TestBlockEncoding(t *testing.T) {
	if got := string(AppendBlock([]byte("DATA "), []byte("hello"))); got != "DATA #15hello" {
		t.Errorf("AppendBlock = %q", got)
	}
	if got := string(AppendBlockHeader(nil, 1234567)); got != "#71234567" {
		t.Errorf("AppendBlockHeader = %q", got)
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		roundTrip(t, order, []int8{-1, 0, 127})
		roundTrip(t, order, []uint8{0, 255})
		roundTrip(t, order, []int16{-32768, 1, 32767})
		roundTrip(t, order, []uint16{0, 65535})
		roundTrip(t, order, []int32{math.MinInt32, 7})
		roundTrip(t, order, []uint32{math.MaxUint32})
		roundTrip(t, order, []int64{math.MinInt64, 1})
		roundTrip(t, order, []uint64{math.MaxUint64})
		roundTrip(t, order, []float32{1.5, -2.25, float32(math.Inf(1))})
		roundTrip(t, order, []float64{math.Pi, -1e300})
	}
	// The byte order really matters: 0x0102 as int16.
	le, _ := DecodeBlock[int16]([]byte{1, 2}, binary.LittleEndian)
	be, _ := DecodeBlock[int16]([]byte{1, 2}, binary.BigEndian)
	if le[0] != 0x0201 || be[0] != 0x0102 {
		t.Errorf("byte order: le %#x be %#x", le[0], be[0])
	}
	if _, err := DecodeBlock[float32](make([]byte, 5), binary.LittleEndian); !errors.Is(err, ErrMalformed) {
		t.Errorf("odd length: %v", err)
	}
}

func roundTrip[T BlockValue](t *testing.T, order binary.ByteOrder, in []T) {
	t.Helper()
	got, err := DecodeBlock[T](EncodeBlock(in, order), order)
	if err != nil || !cmp.Equal(in, got, cmpopts.EquateNaNs()) {
		t.Errorf("%T %v: got %v, %v", in, order, got, err)
	}
}

func TestFormat(t *testing.T) {
	for v, want := range map[float64]string{5: "5", 0.001: "0.001", 1.5e-7: "1.5E-07", 1e21: "1E+21", -2.5: "-2.5"} {
		if got, err := FormatFloat(v); err != nil || got != want {
			t.Errorf("FormatFloat(%v) = %q, %v; want %q", v, got, err, want)
		}
	}
	for _, v := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := FormatFloat(v); !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("FormatFloat(%v) err = %v", v, err)
		}
	}
	if got := Quote(`say "hi"`); got != `"say ""hi"""` {
		t.Errorf("Quote = %s", got)
	}
	if s, _ := ParseString(Quote(`a"b""c`)); s != `a"b""c` {
		t.Errorf("Quote does not round-trip: %q", s)
	}
}

type stringer struct{}

func (stringer) String() string { return "CH1" }

func TestSprintf(t *testing.T) {
	tests := []struct {
		format string
		args   []any
		want   string
	}{
		{"VOLT %v,(@%d)", []any{5.0, 1}, "VOLT 5,(@1)"},
		{"VOLT %v", []any{float32(0.1)}, "VOLT 0.1"},
		{"CURR %.3f", []any{0.12345}, "CURR 0.123"},
		{"CURR %e", []any{0.5}, "CURR 5.000000E-01"},
		{"CURR %.2e", []any{1234.0}, "CURR 1.23E+03"},
		{"OUTP %v", []any{true}, "OUTP 1"},
		{"OUTP %t", []any{false}, "OUTP 0"},
		{"DISP:TEXT %q", []any{`say "hi"`}, `DISP:TEXT "say ""hi"""`},
		{"INST %s", []any{"P6V"}, "INST P6V"},
		{"*SRE %x", []any{32}, "*SRE #H20"},
		{"*ESE %b", []any{uint8(5)}, "*ESE #B101"},
		{"STAT %o", []any{8}, "STAT #Q10"},
		{"TRIG:DEL %v", []any{1500 * time.Millisecond}, "TRIG:DEL 1.5"},
		{"LIST:VOLT %v", []any{[]float64{1, 2.5}}, "LIST:VOLT 1,2.5"},
		{"ROUT:CLOS (@%v)", []any{[]int{101, 102}}, "ROUT:CLOS (@101,102)"},
		{"INST %v", []any{stringer{}}, "INST CH1"},
		{"MAX %d", []any{uint64(math.MaxUint64)}, "MAX 18446744073709551615"},
		{"OFFS %d", []any{-3}, "OFFS -3"},
	}
	for _, tt := range tests {
		got, err := Sprintf(tt.format, tt.args...)
		if err != nil || got != tt.want {
			t.Errorf("Sprintf(%q, %v) = %q, %v; want %q", tt.format, tt.args, got, err, tt.want)
		}
	}
	for _, bad := range []struct {
		format string
		args   []any
	}{
		{"VOLT %v", []any{math.NaN()}},
		{"VOLT %v", []any{math.Inf(1)}},
		{"LIST %v", []any{[]float64{1, math.Inf(-1)}}},
		{"X %v", []any{struct{ A int }{1}}},
		{"X %v", []any{[]string{"a"}}},
		{"X %x", []any{-1}},
		{"X %c", []any{1.5}},
		{"X %d %d", []any{1}},
	} {
		if got, err := Sprintf(bad.format, bad.args...); !errors.Is(err, ErrInvalidCommand) {
			t.Errorf("Sprintf(%q, %v) = %q, %v; want ErrInvalidCommand", bad.format, bad.args, got, err)
		}
	}
}

func TestMessageEnd(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"*IDN?\n", 5},
		{"abc", -1},
		{"DATA #15a\nb\ncd\nX", 14},
		{"DATA #15a\nb", -1},
		{"DATA #1", -1},
		{"DATA #", -1},
		{"A #0xyz\n", 7},
		{`DISP "a#15"` + "\n", 11},
		{"VAL #H1F\n", 8},
	}
	for _, tt := range tests {
		if got := MessageEnd([]byte(tt.in), '\n'); got != tt.want {
			t.Errorf("MessageEnd(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

// Fuzz targets: no input may panic, hang or allocate beyond its size, and
// every failure must be a typed parse error.

func FuzzParseResponse(f *testing.F) {
	for _, s := range []string{"+1.234E-03", "9.9E37", "#H1F", `"a""b"`, "ON", "1,2,3", "#15abcde",
		`-113,"Undefined header"`, "0  No Error", "Keysight,E36312A,MY1,1.0", "NAN", "1e", "#B", "\"", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		check := func(name string, err error) {
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s(%q): untyped error %v", name, s, err)
			}
		}
		_, err := ParseFloat(s)
		check("ParseFloat", err)
		_, err = ParseInt(s)
		check("ParseInt", err)
		_, err = ParseBool(s)
		check("ParseBool", err)
		q, err := ParseString(s)
		check("ParseString", err)
		if err == nil && strings.HasPrefix(trimSpace(s), `"`) {
			if back, err := ParseString(Quote(q)); err != nil || back != q {
				t.Fatalf("Quote(ParseString(%q)) does not round-trip: %q, %v", s, back, err)
			}
		}
		_, err = ParseFloats(s)
		check("ParseFloats", err)
		_, err = ParseInts(s)
		check("ParseInts", err)
		_, err = ParseIDN(s)
		check("ParseIDN", err)
		_, err = ParseDeviceError(s)
		check("ParseDeviceError", err)
		elems := SplitList(s)
		if len(elems) > len(s)+1 {
			t.Fatalf("SplitList(%q): %d elements", s, len(elems))
		}
		if v, err := ParseFloat(s); err == nil && !math.IsNaN(v) && !math.IsInf(v, 0) {
			out, err := FormatFloat(v)
			if err != nil {
				t.Fatalf("FormatFloat(%v): %v", v, err)
			}
			if back, err := ParseFloat(out); err != nil || back != v {
				t.Fatalf("FormatFloat(%v) = %q does not parse back: %v, %v", v, out, back, err)
			}
		}
	})
}

func FuzzParseBlock(f *testing.F) {
	for _, s := range []string{"#15hello", "#0abc\n", "#210ab\ncd\nefg", "#9999999999", "#", "#A", " #3123", "#15he"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		data, rest, err := ParseBlock(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(data)+len(rest) > len(b) {
			t.Fatalf("payload %d + rest %d exceed input %d", len(data), len(rest), len(b))
		}
		// What AppendBlock writes, ParseBlock reads back.
		enc := AppendBlock(nil, data)
		back, rest2, err := ParseBlock(enc)
		if err != nil || string(back) != string(data) || len(rest2) != 0 {
			t.Fatalf("AppendBlock round trip: %q %q %v", back, rest2, err)
		}
		end := MessageEnd(append(enc, '\n'), '\n')
		if end != len(enc) {
			t.Fatalf("MessageEnd of an encoded block + terminator = %d, want %d", end, len(enc))
		}
	})
}

// Issue 17 row 2: the in-place swap agrees with the ByteOrder interface
// for every value size, odd lengths included (float32 swaps two values
// per step, the odd one last).
func TestDecodeBlockMatchesByteOrder(t *testing.T) {
	data := make([]byte, 8*7)
	for i := range data {
		data[i] = byte(i*37 + 11)
	}
	for _, order := range []binary.ByteOrder{binary.LittleEndian, binary.BigEndian} {
		for _, n := range []int{4, 12, 28, 56} {
			got, err := DecodeBlock[float32](data[:n], order)
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range got {
				if want := math.Float32frombits(order.Uint32(data[4*i:])); math.Float32bits(v) != math.Float32bits(want) {
					t.Fatalf("%v, %d bytes: value %d = %v, want %v", order, n, i, v, want)
				}
			}
			u16, _ := DecodeBlock[uint16](data[:n], order)
			for i, v := range u16 {
				if want := order.Uint16(data[2*i:]); v != want {
					t.Fatalf("%v, %d bytes: uint16 %d = %#x, want %#x", order, n, i, v, want)
				}
			}
		}
		i64, _ := DecodeBlock[int64](data, order)
		for i, v := range i64 {
			if want := int64(order.Uint64(data[8*i:])); v != want {
				t.Fatalf("%v: int64 %d = %#x, want %#x", order, i, v, want)
			}
		}
	}
}
