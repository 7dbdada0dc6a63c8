package scpitest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/socket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var bg = context.Background()

// fakeT records what the fake reports, so the reports themselves can be
// checked.
type fakeT struct {
	mu       sync.Mutex
	errors   []string
	cleanups []func()
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, fmt.Sprintf(format, args...))
}
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) finish() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestScriptPlays(t *testing.T) {
	s := scpi.NewSession(scpitest.NewConn(t,
		scpitest.Query("*IDN?", "A,B,C,D"),
		scpitest.Write("VOLT 5"),
	))
	defer s.Close()
	if got, err := s.Query(bg, "*IDN?"); err != nil || got != "A,B,C,D" {
		t.Fatalf("%q %v", got, err)
	}
	if err := s.Write(bg, "VOLT 5"); err != nil {
		t.Fatal(err)
	}
}

func TestUnexpectedCommandFailsWithDiff(t *testing.T) {
	ft := &fakeT{}
	s := scpi.NewSession(scpitest.NewConn(ft, scpitest.Write("VOLT 5,(@1)")))
	err := s.Write(bg, "VOLT 50,(@1)")
	s.Close()
	ft.finish()
	if !errors.Is(err, scpitest.ErrUnexpected) {
		t.Fatalf("driver saw %v, want ErrUnexpected", err)
	}
	if len(ft.errors) != 1 || !strings.Contains(ft.errors[0], "-want +got") ||
		!strings.Contains(ft.errors[0], `VOLT 5,(@1)`) || !strings.Contains(ft.errors[0], `VOLT 50,(@1)`) {
		t.Fatalf("report = %q", ft.errors)
	}
}

func TestCommandAfterScriptEnds(t *testing.T) {
	ft := &fakeT{}
	s := scpi.NewSession(scpitest.NewConn(ft))
	s.Write(bg, "*RST")
	s.Close()
	ft.finish()
	if len(ft.errors) != 1 || !strings.Contains(ft.errors[0], "after the script ended") {
		t.Fatalf("report = %q", ft.errors)
	}
}

func TestUnusedExchangesReportedAtCleanup(t *testing.T) {
	ft := &fakeT{}
	c := scpitest.NewConn(ft, scpitest.Write("OUTP ON"), scpitest.Query("MEAS?", "1"))
	s := scpi.NewSession(c)
	s.Write(bg, "OUTP ON")
	if c.Remaining() != 1 {
		t.Fatalf("Remaining = %d", c.Remaining())
	}
	s.Close()
	ft.finish()
	if len(ft.errors) != 1 || !strings.Contains(ft.errors[0], `"MEAS?"`) {
		t.Fatalf("report = %q", ft.errors)
	}
}

func TestCommandsSplitAcrossWrites(t *testing.T) {
	c := scpitest.NewConn(t, scpitest.Query("MEAS?", "42"))
	c.Write([]byte("ME"))
	c.Write([]byte("AS?\n"))
	buf := make([]byte, 8)
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "42\n" {
		t.Fatalf("%q %v", buf[:n], err)
	}
}

func TestRecorderTranscriptReplays(t *testing.T) {
	block := string(scpi.AppendBlock(nil, []byte("a\nb\x00c")))
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		switch line {
		case "*IDN?":
			return "Keysight Technologies,E36312A,MY1,2.0", true
		case "MEAS:VOLT? (@1)":
			return "+4.99E+00", true
		case "CURV?":
			return block, true
		}
		return "", false
	}))
	conn, err := socket.Dial(bg, srv.Addr(), transport.NewOptions())
	if err != nil {
		t.Fatal(err)
	}
	rec := scpitest.NewRecorder(conn)
	run := func(s *scpi.Session) (string, float64, []byte) {
		t.Helper()
		id, err := s.Query(bg, "*IDN?")
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Write(bg, "VOLT 5,(@1)"); err != nil {
			t.Fatal(err)
		}
		v, err := s.QueryFloat(bg, "MEAS:VOLT? (@1)")
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.QueryBlock(bg, "CURV?")
		if err != nil {
			t.Fatal(err)
		}
		return id, v, b
	}
	s := scpi.NewSession(rec)
	id1, v1, b1 := run(s)
	s.Close()

	path := filepath.Join(t.TempDir(), "session.txt")
	if err := rec.Save(path); err != nil {
		t.Fatal(err)
	}
	want := []scpitest.Exchange{
		scpitest.Query("*IDN?", "Keysight Technologies,E36312A,MY1,2.0"),
		scpitest.Write("VOLT 5,(@1)"),
		scpitest.Query("MEAS:VOLT? (@1)", "+4.99E+00"),
		scpitest.Query("CURV?", block),
	}
	script := scpitest.Load(t, path)
	if diff := cmp.Diff(want, script); diff != "" {
		t.Fatalf("transcript (-want +got):\n%s", diff)
	}
	replay := scpi.NewSession(scpitest.NewConn(t, script...))
	defer replay.Close()
	id2, v2, b2 := run(replay)
	if id1 != id2 || v1 != v2 || !bytes.Equal(b1, b2) {
		t.Fatalf("replay differs: %q %v %q vs %q %v %q", id1, v1, b1, id2, v2, b2)
	}
}

func TestParseRejectsBadTranscripts(t *testing.T) {
	for _, bad := range []string{"< \"reply first\"\n", "> unquoted\n", "? \"x\"\n", "> \"a\"\n< \"b\"\n< \"c\"\n"} {
		if _, err := scpitest.Parse(strings.NewReader(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
	xs, err := scpitest.Parse(strings.NewReader("# comment\n\n> " + strconv.Quote("*RST") + "\n"))
	if err != nil || len(xs) != 1 || xs[0].Command != "*RST" || xs[0].HasReply {
		t.Fatalf("%v %v", xs, err)
	}
}
