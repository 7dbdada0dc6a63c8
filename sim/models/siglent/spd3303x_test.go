package siglent

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/scpikit/scpikit/sim"
)

// spdConverse runs program messages on a fresh SPD3303X whose clock moves
// by step for every reading, so the pacing the model enforces (and the
// timer's groups) play out without sleeping. It returns "send -> reply"
// lines.
func spdConverse(t *testing.T, model string, step time.Duration, sends []string) []string {
	t.Helper()
	in := sim.MustNew(model)
	defer in.Close()
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	in.Do(func(d sim.Device) {
		d.(*spd3303x).now = func() time.Time { clock = clock.Add(step); return clock }
	})
	cl := in.NewClient()
	var got []string
	for _, s := range sends {
		cl.Write([]byte(s + "\n"))
		got = append(got, s+" -> "+strings.TrimSuffix(string(cl.TakeOutput()), "\n"))
	}
	return got
}

func TestSPD3303XCommands(t *testing.T) {
	script := []struct{ send, want string }{
		{"*IDN?", "Siglent Technologies,SPD3303X,SPD3XIDX2R0001,1.01.01.02.05,V3.0"},
		{"SYST:VERS?", "1.01.01.02.05"},
		{"SYSTem:STATus?", "0x0004"},
		{"INST?", "CH1"},
		{"INSTrument CH2", ""},
		{"INST?", "CH2"},
		{"VOLT 12.5", ""},
		{"CH2:VOLT?", "12.500"},
		{"CH1:CURRent 1.25", ""},
		{"CH1:CURR?", "1.250"},
		{"CURR?", "3.200"},
		{"OUTP CH2,ON", ""},
		{"MEAS:VOLT? CH2", "12.500"},
		{"MEAS:VOLT?", "12.500"},
		{"MEASure:CURRent? CH2", "0.000"},
		{"MEAS:POWE? CH1", "0.000"},
		{"OUTP:WAVE CH2,ON", ""},
		{"SYST:STAT?", "0x0224"}, // the guide's own example
		{"OUTP:TRACK 1", ""},
		{"SYST:STAT?", "0x022C"},
		{"OUTP:TRACK 2", ""},
		{"SYST:STAT?", "0x0228"},
		{"OUTP:TRACK 0", ""},
		// *SAV and *RCL: locations 1 to 5.
		{"*SAV 3", ""},
		{"CH2:VOLT 3", ""},
		{"*RCL 3", ""},
		{"CH2:VOLT?", "12.500"},
		{"*RCL 1", ""},
		{"CH2:VOLT?", "0.000"},
		{"*SAV 6", ""},
		{"SYST:ERR?", "-222  Data out of range"},
		// The timer's groups, stored and read back as the guide prints them.
		{"TIMEr:SET CH1,1,3,0.5,2", ""},
		{"TIMEr:SET? CH1,1", "3,0.5,2"},
		{"TIME:SET? CH1,2", "0,0,0"},
		{"TIME:SET CH1,6,3,0.5,2", ""},
		{"SYST:ERR?", "-222  Data out of range"},
		{"TIME:SET CH1,2,40,0.5,2", ""},
		{"SYST:ERR?", "-222  Data out of range"},
		{"TIME:SET CH3,1,3,0.5,2", ""},
		{"SYST:ERR?", "-224  Illegal parameter value"},
		// LAN settings: static addresses need DHCP off.
		{"DHCP?", "DHCP:ON"},
		{`IPaddr "10.11.13.214"`, ""},
		{"SYST:ERR?", "-221  Settings conflict;DHCP is on: send DHCP OFF first"},
		{"DHCP OFF", ""},
		// The engine reads an unquoted dotted address as a malformed
		// number; quoted, it is taken.
		{"IPaddr 10.11.13.214", ""},
		{"SYST:ERR?", "-121  Invalid character in number"},
		{`IPaddr "10.11.13.214"`, ""},
		{"IP?", "10.11.13.214"},
		{`MASKaddr "255.255.0.0"`, ""},
		{"MASK?", "255.255.0.0"},
		{`GATEaddr "10.11.0.1"`, ""},
		{"GATE?", "10.11.0.1"},
		{`IP "10.11.13"`, ""},
		{"SYST:ERR?", "-224  Illegal parameter value;want a dotted IPv4 address such as 192.168.1.100"},
		{"DHCP?", "DHCP:OFF"},
		{"INST CH3", ""},
		{"SYST:ERR?", "-224  Illegal parameter value"},
		{"CH3:VOLT 1", ""},
		{"SYST:ERR?", "-114  Header suffix out of range"},
		{"SYST:ERR?", "0  No Error"},
	}
	var sends, want []string
	for _, x := range script {
		sends = append(sends, x.send)
		want = append(want, x.send+" -> "+x.want)
	}
	for _, model := range []string{"SPD3303X", "SPD3303X-E"} {
		got := spdConverse(t, model, 10*time.Millisecond, sends)
		want[0] = "*IDN? -> Siglent Technologies," + model + ",SPD3XIDX2R0001,1.01.01.02.05,V3.0"
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", model, diff)
		}
	}
}

// The timer steps CH1 through its groups as the clock moves, each for its
// time, and stops after the last with the last levels.
func TestSPD3303XTimer(t *testing.T) {
	// Every command reads the clock once to pace and once more where it
	// starts the timer or measures; a step of 1 s makes the groups'
	// seconds count commands.
	got := spdConverse(t, "SPD3303X", time.Second, []string{
		"TIME:SET CH1,1,3,0.5,2",
		"TIME:SET CH1,2,5,1,3",
		"TIME CH1,ON",  // starts at t0 (read after the pacing's reading)
		"CH1:VOLT?",    // t0+1: group 1
		"SYST:STAT?",   // t0+2: group 2; timer running (bit 6)
		"CH1:VOLT?",    // t0+4: group 2
		"CH1:CURR?",    // t0+5: past the last group: timer stopped
		"SYST:STAT?",   // bit 6 clear
		"TIME CH1,ON",  // again
		"TIME CH1,OFF", // stopped by hand
		"CH1:VOLT 1",   // levels are the user's again
		"CH1:VOLT?",
	})
	want := []string{
		"TIME:SET CH1,1,3,0.5,2 -> ",
		"TIME:SET CH1,2,5,1,3 -> ",
		"TIME CH1,ON -> ",
		"CH1:VOLT? -> 3.000",
		"SYST:STAT? -> 0x0044",
		"CH1:VOLT? -> 5.000",
		"CH1:CURR? -> 1.000",
		"SYST:STAT? -> 0x0004",
		"TIME CH1,ON -> ",
		"TIME CH1,OFF -> ",
		"CH1:VOLT 1 -> ",
		"CH1:VOLT? -> 1.000",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// A command that follows the previous one by less than spdMinGap is lost,
// as on the real unit.
func TestSPD3303XDropsEarlyCommands(t *testing.T) {
	got := spdConverse(t, "SPD3303X", time.Millisecond, []string{"CH1:VOLT 5", "CH1:VOLT?", "CH1:VOLT?"})
	want := []string{"CH1:VOLT 5 -> ", "CH1:VOLT? -> ", "CH1:VOLT? -> "}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
