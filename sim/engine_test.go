package sim

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// run executes each message on a fresh SAMPLE client and returns the
// responses (terminators removed) and the error codes queued.
func run(t *testing.T, msgs ...string) (replies []string, codes []int) {
	t.Helper()
	in, err := New("SAMPLE")
	if err != nil {
		t.Fatal(err)
	}
	return runOn(in, msgs...)
}

func runOn(in *Instrument, msgs ...string) (replies []string, codes []int) {
	cl := in.NewClient()
	for _, m := range msgs {
		cl.Write([]byte(m + "\n"))
		if out := cl.TakeOutput(); len(out) > 0 {
			replies = append(replies, strings.TrimSuffix(string(out), "\n"))
		}
	}
	for _, e := range in.Errors() {
		codes = append(codes, e.Code)
	}
	return replies, codes
}

func TestEngineRules(t *testing.T) {
	tests := []struct {
		name    string
		msgs    []string
		replies []string
		codes   []int
	}{
		// Mnemonics: short, long, any case; nothing in between.
		{"short form", []string{"VOLT 5", "VOLT?"}, []string{"5"}, nil},
		{"long form any case", []string{"voltage 5", "Voltage?"}, []string{"5"}, nil},
		{"all optional nodes", []string{"SOURce1:VOLTage:LEVel:IMMediate:AMPLitude 3", "SOUR:VOLT:LEV?"}, []string{"3"}, nil},
		{"neither short nor long", []string{"VOLTA 5"}, nil, []int{-113}},
		{"unknown header", []string{"FOO:BAR 1"}, nil, []int{-113}},
		{"query form not defined", []string{"INIT?"}, nil, []int{-113}},
		// Numeric suffixes.
		{"suffix selects channel", []string{"SOUR2:VOLT 4", "SOUR2:VOLT?", "SOUR1:VOLT?", "VOLT?"}, []string{"4", "0", "0"}, nil},
		{"suffix on output", []string{"OUTP2 ON", "OUTP2?", "OUTP?"}, []string{"1", "0"}, nil},
		{"suffix out of range", []string{"SOUR3:VOLT 1", "OUTP0 ON"}, nil, []int{-114, -114}},
		// Compound messages and the path rules.
		{"path kept after ;", []string{"SOUR2:VOLT 2;CURR 0.05", "SOUR2:CURR?"}, []string{"0.05"}, nil},
		{"queries joined with ;", []string{"VOLT 2;CURR 0.5;:OUTP ON;:MEAS:VOLT?;CURR?"}, []string{"+2.000000E+00;+2.000000E-01"}, nil},
		{"leading colon resets", []string{"VOLT 3;:MEAS:VOLT?;:VOLT?"}, []string{"+0.000000E+00;3"}, nil},
		{"common commands keep the path", []string{"OUTP ON;:VOLT 1;:MEAS:VOLT?;*OPC?;CURR?"}, []string{"+1.000000E+00;1;+1.000000E-01"}, nil},
		{"relative header not under path", []string{"MEAS:VOLT?;OUTP?"}, []string{"+0.000000E+00"}, []int{-113}},
		{"stray semicolons", []string{";VOLT 1;;VOLT?;"}, []string{"1"}, nil},
		{"command error discards the rest", []string{"VOLT?;FOO?;CURR?"}, []string{"0"}, []int{-113}},
		{"execution error goes on", []string{"VOLT 50;CURR 0.5;CURR?"}, []string{"0.5"}, []int{-222}},
		// Numbers, units and multipliers.
		{"millivolts", []string{"VOLT 500 mV", "VOLT?", "VOLT 250MV", "VOLT?"}, []string{"0.5", "0.25"}, nil},
		{"milliamps (MA with unit A)", []string{"CURR 200 MA", "CURR?"}, []string{"0.2"}, nil},
		{"kilovolts", []string{"VOLT 0.005 KV", "VOLT?"}, []string{"5"}, nil},
		{"bare multiplier", []string{"TRAC:POIN 2k", "TRAC:POIN?"}, []string{"2000"}, nil},
		{"exponent", []string{"TRAC:POIN 1.5E3", "TRAC:POIN?", "VOLT 2.5e-1", "VOLT?"}, []string{"1500", "0.25"}, nil},
		{"exponent with space", []string{"VOLT 2E +0", "VOLT?"}, []string{"2"}, nil},
		{"non-decimal", []string{"TRAC:POIN #H10", "TRAC:POIN?", "TRAC:POIN #B101", "TRAC:POIN?", "TRAC:POIN #Q17", "TRAC:POIN?"}, []string{"16", "5", "15"}, nil},
		{"out of range", []string{"VOLT 2k", "VOLT -1", "VOLT 10.5"}, nil, []int{-222, -222, -222}},
		{"wrong unit", []string{"VOLT 5 A"}, nil, []int{-131}},
		{"MIN MAX DEF", []string{"VOLT MAX", "VOLT?", "VOLT MIN", "VOLT?", "CURR DEF", "CURR?", "VOLT maximum", "VOLT?"}, []string{"10", "0", "0.1", "10"}, nil},
		{"MIN? queries", []string{"VOLT? MIN", "VOLT? MAX", "CURR? DEF"}, []string{"0", "10", "0.1"}, nil},
		{"bad limit name", []string{"VOLT? HIGHEST", "VOLT HIGHEST"}, nil, []int{-224, -224}},
		// Booleans, enumerations, strings.
		{"booleans", []string{"OUTP ON", "OUTP?", "OUTP 0", "OUTP?", "OUTP 1", "OUTP?", "OUTP off", "OUTP?", "OUTP 0.7", "OUTP?"}, []string{"1", "0", "1", "0", "1"}, nil},
		{"bad boolean", []string{"OUTP MAYBE", `OUTP "ON"`, "OUTP 1 V"}, nil, []int{-224, -104, -138}},
		{"enumeration short and long", []string{"FORM:BORD SWAP", "FORM:BORD?", "FORM:BORD normal", "FORM:BORD?", "FORM:BORD SIDEWAYS"}, []string{"SWAP", "NORM"}, []int{-224}},
		{"format with two params", []string{"FORM REAL,32", "FORM?", "FORM ASC", "FORM?", "FORM REAL,16"}, []string{"REAL,32", "ASC,8"}, []int{-224}},
		{"strings", []string{`DISP:TEXT "hello ""world"""`, "DISP:TEXT?", `DISP:TEXT 'it''s'`, "DISP:TEXT?"}, []string{`"hello ""world"""`, `"it's"`}, nil},
		{"semicolon inside a string", []string{`DISP:TEXT "a;b";TEXT?`}, []string{`"a;b"`}, nil},
		{"string too long for the device", []string{`DISP:TEXT "` + strings.Repeat("x", 41) + `"`}, nil, []int{-223}},
		// Blocks and channel lists.
		{"definite block", []string{"DATA:ARB #15a;b,c", "DATA:ARB?"}, []string{"#15a;b,c"}, nil},
		{"indefinite block", []string{"DATA:ARB #0xyz", "DATA:ARB?"}, []string{"#13xyz"}, nil},
		{"channel lists", []string{"ROUT:CLOS (@1,3:5)", "ROUT:CLOS? (@1:6)", "ROUT:OPEN (@4)", "ROUT:CLOS? (@5:3)"}, []string{"1,0,1,1,1,0", "1,0,1"}, nil},
		{"channel list out of range", []string{"ROUT:CLOS (@20)"}, nil, []int{-222}},
		{"not a channel list", []string{"ROUT:CLOS (1,2)", "ROUT:CLOS (@1,x)"}, nil, []int{-171, -171}},
		{"measure a channel list", []string{"SOUR2:VOLT 3;CURR 1", "OUTP2 ON", "MEAS:VOLT? (@1,2)"}, []string{"+0.000000E+00,+3.000000E+00"}, nil},
		{"constant-current crossover", []string{"VOLT 3;CURR 0.1", "OUTP ON", "MEAS:VOLT?;CURR?"}, []string{"+1.000000E+00;+1.000000E-01"}, nil},
		// Common commands and the status model.
		{"IDN", []string{"*IDN?"}, []string{"scpikit,SAMPLE,SIM000001,1.0"}, nil},
		{"RST", []string{"VOLT 5", "*RST", "VOLT?"}, []string{"0"}, nil},
		{"OPC TST WAI", []string{"*OPC?", "*TST?", "*WAI", "*CLS;*OPC;*ESR?"}, []string{"1", "0", "1"}, nil},
		{"ESE and SRE", []string{"*ESE 36", "*ESE?", "*SRE 255", "*SRE?"}, []string{"36", "191"}, nil},
		{"ESR bits by error class", []string{"*CLS", "FOO", "VOLT 99", "*ESR?"}, []string{"48"}, []int{-113, -222}},
		{"query error bit", []string{"*CLS", "*ESR?"}, []string{"0"}, nil},
		{"STB summary bits", []string{"*CLS", "*ESE 32", "*SRE 32", "FOO", "*STB?"}, []string{"100"}, []int{-113}},
		{"CLS clears the queue", []string{"FOO", "*CLS", "SYST:ERR?"}, []string{`0,"No error"`}, nil},
		{"TRG and FETCh", []string{"VOLT 2;CURR 1", "OUTP ON", "*TRG", "FETC?"}, []string{"+2.000000E+00"}, nil},
		{"FETCh before a trigger", []string{"FETC?"}, nil, []int{-230}},
		{"INIT with the output off", []string{"INIT"}, nil, []int{-221}},
		{"error queue read", []string{"FOO", "VOLT 99", "SYST:ERR:COUN?", "SYST:ERR?", "SYST:ERR:NEXT?", "SYST:ERR?"},
			[]string{"2", `-113,"Undefined header"`, `-222,"Data out of range"`, `0,"No error"`}, nil},
		{"SYSTem:VERSion", []string{"SYST:VERS?"}, []string{"1999.0"}, nil},
		// Syntax errors, one code each.
		{"-101 invalid character in header", []string{"VO&LT 5"}, nil, []int{-101}},
		{"-102 syntax error", []string{"VOLT @5"}, nil, []int{-102}},
		{"-103 invalid separator", []string{"VOLT 5 6"}, nil, []int{-103}},
		{"-108 parameter not allowed", []string{"*RST 5", "OUTP ON,OFF"}, nil, []int{-108, -108}},
		{"-109 missing parameter", []string{"VOLT", "FORM REAL,", "OUTP"}, nil, []int{-109, -109, -109}},
		{"-110 command header error", []string{"*", ":"}, nil, []int{-110, -110}},
		{"-111 header separator", []string{"VOLT,5"}, nil, []int{-111}},
		{"-112 mnemonic too long", []string{"VOLTAGEVOLTAGE 5"}, nil, []int{-112}},
		{"-121 invalid character in number", []string{"VOLT 1.2.3", "VOLT 5&"}, nil, []int{-121, -121}},
		{"-123 exponent too large", []string{"VOLT 1E999"}, nil, []int{-123}},
		{"-124 too many digits", []string{"VOLT " + strings.Repeat("1", 300)}, nil, []int{-124}},
		{"-134 suffix too long", []string{"VOLT 1 VVVVVVVVVVVVVV"}, nil, []int{-134}},
		{"-141 invalid character data", []string{"OUTP O&N"}, nil, []int{-141}},
		{"-144 character data too long", []string{"OUTP ONNNNNNNNNNNNNNNN"}, nil, []int{-144}},
		{"-151 invalid string", []string{`DISP:TEXT "abc`}, nil, []int{-151}},
		{"-104 data type", []string{"DISP:TEXT abc", "DATA:ARB 5"}, nil, []int{-104, -104}},
		{"-158 string not allowed", []string{`FORM:BORD "SWAP"`}, nil, []int{-158}},
		{"-161 invalid block", []string{"DATA:ARB #"}, nil, []int{-161}},
		{"-170 expression error", []string{"ROUT:CLOS (@1,2"}, nil, []int{-170}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			replies, codes := run(t, append([]string{"*CLS"}, tt.msgs...)...)
			if diff := cmp.Diff(tt.replies, replies); diff != "" {
				t.Errorf("replies (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.codes, codes); diff != "" {
				t.Errorf("error codes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPowerOnStatus(t *testing.T) {
	replies, _ := run(t, "*ESR?", "*ESR?")
	if diff := cmp.Diff([]string{"128", "0"}, replies); diff != "" {
		t.Fatal(diff)
	}
}

func TestShortBlockInOneMessage(t *testing.T) {
	// A header announcing more bytes than the message holds. (Streamed,
	// such a header would take the following bytes as its data, as on a
	// real instrument.)
	in, _ := New("SAMPLE")
	cl := in.NewClient()
	cl.Execute([]byte("DATA:ARB #15ab"))
	if errs := in.Errors(); len(errs) != 1 || errs[0].Code != -161 {
		t.Fatalf("errors %v", errs)
	}
}

func TestErrorQueueOverflow(t *testing.T) {
	msgs := []string{"*CLS"}
	for range 25 {
		msgs = append(msgs, "FOO")
	}
	_, codes := run(t, msgs...)
	if len(codes) != defaultErrorQueueSize || codes[len(codes)-1] != -350 || codes[0] != -113 {
		t.Fatalf("queue = %v", codes)
	}
}

func TestBufferedClientQueryErrors(t *testing.T) {
	in, _ := New("SAMPLE")
	cl := in.NewClient()
	cl.Buffered = true
	cl.Write([]byte("*CLS\n*IDN?\n"))
	if mav := cl.StatusByte(); mav&stbMAV == 0 {
		t.Fatalf("STB %#x without MAV while a response waits", mav)
	}
	cl.Write([]byte("VOLT?\n")) // the *IDN? response was never read: -410
	if out := string(cl.ReadResponse()); out != "0\n" {
		t.Fatalf("read %q", out)
	}
	if out := cl.ReadResponse(); out != nil { // nothing to read: -420
		t.Fatalf("read %q", out)
	}
	var codes []int
	for _, e := range in.Errors() {
		codes = append(codes, e.Code)
	}
	if diff := cmp.Diff([]int{-410, -420}, codes); diff != "" {
		t.Fatal(diff)
	}
	if esr := in.st.esr; esr&esrQYE == 0 {
		t.Fatalf("ESR %#x without the query error bit", esr)
	}
}

func TestInputOverrun(t *testing.T) {
	in, _ := New("SAMPLE")
	cl := in.NewClient()
	cl.MaxInput = 64
	cl.Write([]byte("DISP:TEXT \"" + strings.Repeat("x", 100)))
	cl.Write([]byte("\"\n*IDN?\n"))
	if out := string(cl.TakeOutput()); !strings.HasPrefix(out, "scpikit") {
		t.Fatalf("after the overrun: %q", out)
	}
	if errs := in.Errors(); len(errs) != 1 || errs[0].Code != -363 {
		t.Fatalf("errors %v", errs)
	}
}

func TestFramingAcrossWritesAndBlocks(t *testing.T) {
	in, _ := New("SAMPLE")
	cl := in.NewClient()
	for _, chunk := range []string{"DATA:A", "RB #211ab\nc", "d;ef\ng", "h\r\nDATA:ARB?\r", "\n"} {
		cl.Write([]byte(chunk))
	}
	if out := string(cl.TakeOutput()); out != "#211ab\ncd;ef\ngh\n" {
		t.Fatalf("got %q", out)
	}
}

type failingDevice struct{ sampleDevice }

func TestHandlerGoErrorIsDeviceSpecific(t *testing.T) {
	cmds := NewCommands[*failingDevice]()
	cmds.Handle("BREAK", func(*failingDevice, *Call) error { return errors.New("relay stuck") })
	m, err := NewModel("FAILING", "", cmds, func() *failingDevice { return &failingDevice{} })
	if err != nil {
		t.Fatal(err)
	}
	in := m.New()
	_, codes := runOn(in, "BREAK")
	if diff := cmp.Diff([]int{-300}, codes); diff != "" || !strings.Contains(in.Errors()[0].Message, "relay stuck") {
		t.Fatalf("%s %v", diff, in.Errors())
	}
}

func TestRegistrationErrors(t *testing.T) {
	h := func(*sampleDevice, *Call) error { return nil }
	tests := []struct {
		patterns []string
		want     string
	}{
		{[]string{"VOLTage", "VOLTage"}, "duplicates"},
		{[]string{"VOLTage[:LEVel]", "VOLTage"}, "duplicates"},
		{[]string{"[SOURce:]VOLTage", "SOURce:VOLTage"}, "duplicates"},
		{[]string{"CURRent", "CURR"}, "ambiguous"},
		{[]string{"OUTPut#", "OUTPut"}, "ambiguous"},
		{[]string{"STATus", "STATe"}, "ambiguous"},
		{[]string{"[VOLTage"}, "unclosed"},
		{[]string{"voltage"}, "short form"},
		{[]string{"[:LEVel]"}, "no required mnemonic"},
		{[]string{"VOLTAGEVOLTAGE"}, "longer than 12"},
		{[]string{"VOL$tage"}, "bad character"},
		{[]string{"*RST", "*RST"}, "twice"},
		{[]string{"?"}, "empty"},
	}
	for _, tt := range tests {
		cmds := NewCommands[*sampleDevice]()
		for _, p := range tt.patterns {
			cmds.Handle(p, h)
		}
		err := cmds.Err()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want %q", tt.patterns, err, tt.want)
		}
		if _, err := NewModel("X", "", cmds, newSample); err == nil {
			t.Errorf("%q: NewModel accepted a bad table", tt.patterns)
		}
	}
	// Distinct commands sharing prefixes are fine.
	cmds := NewCommands[*sampleDevice]()
	for _, p := range []string{"[SOURce#:]VOLTage[:LEVel]", "[SOURce#:]VOLTage[:LEVel]?", "[SOURce#:]VOLTage:PROTection[:LEVel]", "MEASure:VOLTage?", "*TRG"} {
		cmds.Handle(p, h)
	}
	if err := cmds.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestModelOverridesCommonCommand(t *testing.T) {
	cmds := sampleCommands()
	cmds.Handle("*IDN?", func(_ *sampleDevice, c *Call) error { c.Reply("Other,Thing,1,2"); return nil })
	m, err := NewModel("OVERRIDE", "", cmds, newSample)
	if err != nil {
		t.Fatal(err)
	}
	replies, _ := runOn(m.New(), "*IDN?")
	if diff := cmp.Diff([]string{"Other,Thing,1,2"}, replies); diff != "" {
		t.Fatal(diff)
	}
}

func TestRegistry(t *testing.T) {
	if _, err := New("sample"); err != nil {
		t.Fatalf("case-insensitive lookup: %v", err)
	}
	_, err := New("NOPE")
	if !errors.Is(err, ErrUnknownModel) || !strings.Contains(err.Error(), "SAMPLE") {
		t.Fatalf("err = %v", err)
	}
	found := false
	for _, m := range Models() {
		found = found || m.Name == "SAMPLE"
	}
	if !found {
		t.Fatal("SAMPLE not listed")
	}
	defer func() {
		if recover() == nil {
			t.Fatal("duplicate Register did not panic")
		}
	}()
	MustRegister("SAMPLE", "", sampleCommands(), newSample)
}

func TestSuffixMultipliers(t *testing.T) {
	tests := []struct {
		suffix, unit string
		want         float64
		ok           bool
	}{
		{"", "V", 1, true}, {"V", "V", 1, true}, {"mv", "V", 1e-3, true}, {"UV", "V", 1e-6, true},
		{"kV", "V", 1e3, true}, {"MA", "A", 1e-3, true}, {"MA", "", 1e6, true}, {"MHZ", "HZ", 1e6, true},
		{"khz", "HZ", 1e3, true}, {"MOHM", "OHM", 1e6, true}, {"kohm", "OHM", 1e3, true}, {"k", "V", 1e3, true},
		{"A", "V", 0, false}, {"XV", "V", 0, false}, {"ns", "S", 1e-9, true}, {"V", "A", 0, false},
	}
	for _, tt := range tests {
		got, ok := suffixMultiplier([]byte(tt.suffix), tt.unit)
		if ok != tt.ok || (ok && got != tt.want) {
			t.Errorf("suffixMultiplier(%q, %q) = %v, %v; want %v, %v", tt.suffix, tt.unit, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzEngine sends arbitrary program messages: the engine must never
// panic, must answer every message it can frame with at most a bounded
// response, and every failure must be a standard error code.
func FuzzEngine(f *testing.F) {
	for _, s := range []string{"*IDN?", "VOLT 5;CURR?", "SOUR2:VOLT 500 mV", "DATA:ARB #15ab;cd", "ROUT:CLOS (@1,3:5)",
		`DISP:TEXT "a""b"`, "VOLT? MAX", "#", "*", ":::", "VOLT 1E", "(((", "OUTP2 ON;:MEAS:VOLT? (@1,2)", "FORM REAL,32;:TRAC:DATA?"} {
		f.Add([]byte(s))
	}
	in, _ := New("SAMPLE")
	f.Fuzz(func(t *testing.T, msg []byte) {
		cl := in.NewClient()
		cl.MaxInput = 4096
		cl.Write(msg)
		cl.Write([]byte("\n"))
		out := cl.TakeOutput()
		if len(out) > 1<<20 {
			t.Fatalf("%d-byte response to %q", len(out), msg)
		}
		for _, e := range in.Errors() {
			if e.Code > -100 || e.Code < -499 || e.Message == "" {
				t.Fatalf("non-standard error %v for %q", e, msg)
			}
		}
		runOn(in, "*CLS;*RST")
	})
}

// meter is a model's device: its state, *IDN? and *RST.
type meter struct{ rangeV float64 }

func (*meter) Identity() string { return "Acme,METER,1,1.0" }
func (m *meter) Reset()         { m.rangeV = 10 }

func ExampleCommands() {
	cmds := NewCommands[*meter]()
	cmds.Number("[SENSe:]VOLTage[:DC]:RANGe[:UPPer]",
		func(*meter, *Call) (Number, error) { return Number{Unit: "V", Min: 0.1, Max: 1000, Default: 10}, nil },
		func(m *meter, _ *Call) float64 { return m.rangeV },
		func(m *meter, _ *Call, v float64) error { m.rangeV = v; return nil }, nil)
	model, err := NewModel("METER", "a one-setting meter", cmds, func() *meter { return &meter{rangeV: 10} })
	if err != nil {
		fmt.Println(err)
		return
	}
	cl := model.New().NewClient()
	cl.Write([]byte("VOLT:RANG 200 mV;RANG?\n"))
	fmt.Printf("%q\n", cl.TakeOutput())
	// Output: "0.2\n"
}
