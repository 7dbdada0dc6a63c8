package msgframe

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMessageEnd(t *testing.T) {
	got := map[string]int{}
	for _, in := range []string{
		"*IDN?\n",
		"DATA #15a\nb\ncd\n",      // a newline inside a definite block
		"DATA #15a\nb",            // the block is not complete yet
		`DISP "a;b` + "\n",        // a terminator ends even an open string
		"MEAS:VOLT? (@1)",         // no terminator yet
		"FREQ #H1F\n",             // not a block: #H
		"CURV #0abc\ndef\n",       // indefinite: runs to the terminator
		"X,#210" + "0123456789\n", // after a separator
	} {
		got[in] = MessageEnd([]byte(in), '\n')
	}
	want := map[string]int{
		"*IDN?\n": 5, "DATA #15a\nb\ncd\n": 14, "DATA #15a\nb": -1, `DISP "a;b` + "\n": 9,
		"MEAS:VOLT? (@1)": -1, "FREQ #H1F\n": 9, "CURV #0abc\ndef\n": 10, "X,#2100123456789\n": 16,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatal(diff)
	}
}

// The scanner resumes: fed a message in pieces, it finds the same end.
func TestScannerResumes(t *testing.T) {
	msg := []byte("DATA #216\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n;*OPC?\n")
	sc := NewScanner()
	for n := 1; n <= len(msg); n++ {
		if done, at := sc.Scan(msg[:n], '\n'); done {
			if at != len(msg)-1 {
				t.Fatalf("end at %d, want %d", at, len(msg)-1)
			}
			return
		}
	}
	t.Fatal("no end found")
}
