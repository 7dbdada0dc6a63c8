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
		"#0x,#13\nabc",            // an indefinite payload holds what looks like a header
		"#0'ab\n",                 // and what looks like a quote
	} {
		got[in] = MessageEnd([]byte(in), '\n')
	}
	want := map[string]int{
		"*IDN?\n": 5, "DATA #15a\nb\ncd\n": 14, "DATA #15a\nb": -1, `DISP "a;b` + "\n": 9,
		"MEAS:VOLT? (@1)": -1, "FREQ #H1F\n": 9, "CURV #0abc\ndef\n": 10, "X,#2100123456789\n": 16,
		"#0x,#13\nabc": 7, "#0'ab\n": 5,
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

// refScan is the scanner as first written, one byte at a time: the
// reference the fast Scan must agree with.
func refScan(sc *Scanner, b []byte, term byte) (done bool, at int) {
	for sc.Pos < len(b) {
		c := b[sc.Pos]
		if sc.raw {
			if c == term {
				return true, sc.Pos
			}
			sc.Pos++
			continue
		}
		if sc.quote != 0 {
			if c == term {
				return true, sc.Pos
			}
			if c == sc.quote {
				sc.quote = 0
			}
			sc.Pos++
			continue
		}
		switch c {
		case term:
			return true, sc.Pos
		case ',', ';', ' ', '\t':
			sc.elemStart = true
		case '"', '\'':
			sc.quote, sc.elemStart = c, false
		case '#':
			if sc.elemStart {
				hdr, n, st := BlockHeader(b[sc.Pos:])
				switch st {
				case BlockIncomplete:
					return false, 0
				case BlockDefinite:
					sc.Pos += hdr + n
					sc.elemStart = false
					continue
				case BlockIndefinite:
					sc.Pos += hdr
					sc.raw, sc.elemStart = true, false
					continue
				}
			}
			sc.elemStart = false
		default:
			sc.elemStart = false
		}
		sc.Pos++
	}
	return false, 0
}

// scanInPieces feeds msg to scan as it would arrive in pieces of the given
// sizes, dropping what is scanned as a reader does, and returns where the
// message ends (-1: not found) and the scanner's state after each piece.
func scanInPieces(scan func(*Scanner, []byte, byte) (bool, int), msg []byte, term byte, sizes []byte) (int, []Scanner) {
	sc := NewScanner()
	var states []Scanner
	dropped, have := 0, 0
	for i := 0; have < len(msg); i++ {
		step := len(msg)
		if len(sizes) > 0 {
			step = int(sizes[i%len(sizes)])%7 + 1
		}
		have = min(len(msg), have+step)
		done, at := scan(&sc, msg[dropped:have], term)
		states = append(states, sc)
		if done {
			return dropped + at, states
		}
		if n := min(sc.Pos, have-dropped); n > 0 {
			dropped += n
			sc.Pos -= n
		}
	}
	return -1, states
}

// withWindows runs f with Scan's search window at sizes that make windows
// end inside headers, strings and blocks, and at its own size.
func withWindows(f func(window int)) {
	defer func(w int) { scanWindow = w }(scanWindow)
	for _, w := range []int{1, 2, 3, 5, scanWindow} {
		scanWindow = w
		f(w)
	}
}

func TestScanMatchesReference(t *testing.T) {
	withWindows(func(window int) { scanMatchesReference(t, window) })
}

func scanMatchesReference(t *testing.T, window int) {
	for _, in := range []string{
		"*IDN?\n", "DATA #15a\nb\ncd\n", `DISP "a;b` + "\n", `A 'x"y',#13abc` + "\n",
		"X,#210" + "0123456789\n", "#H1F #0abc\n", `"'"#11x` + "\n", "a\tb #21", "1,2,3,4",
		"#0x,#13\nabc", "A #0\"#11\n",
	} {
		for _, sizes := range [][]byte{nil, {0}, {1, 2}, {5, 3, 0}} {
			wantEnd, wantStates := scanInPieces(refScan, []byte(in), '\n', sizes)
			gotEnd, gotStates := scanInPieces((*Scanner).Scan, []byte(in), '\n', sizes)
			if wantEnd != gotEnd {
				t.Errorf("%q in pieces %v, window %d: end %d, want %d", in, sizes, window, gotEnd, wantEnd)
			}
			if diff := cmp.Diff(wantStates, gotStates, cmp.AllowUnexported(Scanner{})); diff != "" {
				t.Errorf("%q in pieces %v, window %d: states differ (-want +got):\n%s", in, sizes, window, diff)
			}
		}
	}
}

// FuzzScan checks the fast scanner against the reference on any input,
// whole and in pieces, with any terminator.
func FuzzScan(f *testing.F) {
	f.Add([]byte("DATA #15a\nb\ncd\n"), []byte{1, 2}, byte('\n'))
	f.Add([]byte(`DISP "a;b`+"\n"), []byte{}, byte('\n'))
	f.Add([]byte("X,#2100123456789;'q#'\r"), []byte{3}, byte('\r'))
	f.Add([]byte("CURV #0\"x,#13\nabc"), []byte{2}, byte('\n'))
	f.Fuzz(func(t *testing.T, msg, sizes []byte, term byte) {
		wantEnd, wantStates := scanInPieces(refScan, msg, term, sizes)
		withWindows(func(window int) {
			gotEnd, gotStates := scanInPieces((*Scanner).Scan, msg, term, sizes)
			if wantEnd != gotEnd {
				t.Fatalf("window %d: end %d, want %d", window, gotEnd, wantEnd)
			}
			if diff := cmp.Diff(wantStates, gotStates, cmp.AllowUnexported(Scanner{})); diff != "" {
				t.Fatalf("window %d: states differ (-want +got):\n%s", window, diff)
			}
		})
	})
}
