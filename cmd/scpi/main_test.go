package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/scpikit/scpikit/internal/testserver"
	"github.com/scpikit/scpikit/scpi"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// instrument is a small loopback instrument with an error queue.
func instrument(t *testing.T) string {
	var mu sync.Mutex
	var queue []string
	block := string(scpi.AppendBlock(nil, []byte("bin\ndata")))
	srv := testserver.Start(t, testserver.Lines(func(line string) (string, bool) {
		mu.Lock()
		defer mu.Unlock()
		switch line {
		case "*IDN?":
			return "Acme,Model1,SN1,1.0", true
		case "MEAS:VOLT?":
			return "+5.0E+00", true
		case "CURV?":
			return block, true
		case "HANG?":
			return "", false
		case "SYST:ERR?":
			if len(queue) == 0 {
				return `+0,"No error"`, true
			}
			e := queue[0]
			queue = queue[1:]
			return e, true
		case "VOLT 5":
			return "", false
		}
		queue = append(queue, `-113,"Undefined header"`)
		return "", false
	}))
	return "TCPIP0::127.0.0.1::" + strconv.Itoa(srv.Port()) + "::SOCKET"
}

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestQueryPrintsReplies(t *testing.T) {
	res := instrument(t)
	code, out, errs := runCLI("query", res, "*IDN?", "MEAS:VOLT?")
	if code != exitOK || out != "Acme,Model1,SN1,1.0\n+5.0E+00\n" || errs != "" {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestWriteAndCheck(t *testing.T) {
	res := instrument(t)
	if code, _, errs := runCLI("write", "--check", res, "VOLT 5"); code != exitOK {
		t.Fatalf("good write: code %d, %s", code, errs)
	}
	code, _, errs := runCLI("write", "--check", res, "VOLT:BOGUS 5")
	if code != exitInstrument || !strings.Contains(errs, "-113") {
		t.Fatalf("bad write: code %d, stderr %q", code, errs)
	}
}

func TestTrace(t *testing.T) {
	res := instrument(t)
	code, _, errs := runCLI("query", "--trace", res, "*IDN?")
	if code != exitOK || !strings.Contains(errs, `-> "*IDN?\n"`) || !strings.Contains(errs, `<- "Acme,Model1,SN1,1.0"`) {
		t.Fatalf("code %d, stderr:\n%s", code, errs)
	}
}

func TestTimeoutExitCode(t *testing.T) {
	res := instrument(t)
	code, _, errs := runCLI("query", "--timeout", "30ms", res, "HANG?")
	if code != exitTimeout || !strings.Contains(errs, "timeout") {
		t.Fatalf("code %d, stderr %q", code, errs)
	}
}

func TestBlockToFile(t *testing.T) {
	res := instrument(t)
	path := filepath.Join(t.TempDir(), "curve.bin")
	if code, _, errs := runCLI("query", "--block", path, res, "CURV?"); code != exitOK {
		t.Fatalf("code %d: %s", code, errs)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "bin\ndata" {
		t.Fatalf("file holds %q, %v", got, err)
	}
	code, out, _ := runCLI("query", "--block", "-", res, "CURV?")
	if code != exitOK || out != "bin\ndata" {
		t.Fatalf("stdout block: %d %q", code, out)
	}
}

func TestUsageAndOpenErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"frobnicate"}, {"query"}, {"query", "TCPIP::h::1::SOCKET"}, {"query", "--nope", "x", "y"},
		{"write", "--block", "f", "r", "c"}, {"query", "--timeout", "0s", "r", "c"},
	} {
		if code, _, errs := runCLI(args...); code != exitUsage || !strings.Contains(errs, "usage") && !strings.Contains(errs, "--") {
			t.Errorf("%q: code %d, stderr %q", args, code, errs)
		}
	}
	code, _, errs := runCLI("query", "TCPIP::host::port::SOCKET", "*IDN?")
	if code != exitOpen || !strings.Contains(errs, `port "port"`) {
		t.Errorf("bad resource: %d %q", code, errs)
	}
	code, _, errs = runCLI("query", "USB0::1::2::SN::INSTR", "*IDN?")
	if code != exitOpen || !strings.Contains(errs, "usbtmc: no such device") {
		t.Errorf("absent USB instrument: %d %q", code, errs)
	}
	if code, _, _ := runCLI("help"); code != exitOK {
		t.Errorf("help: %d", code)
	}
}
