package harness_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/rs/zerolog"
	"github.com/scpikit/scpikit/harness"
)

// lineWriter is a file or pipe as the harness sees it (no Fd): it keeps
// what is written and says when a line holding want has been.
type lineWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
	once sync.Once
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if bytes.Contains(p, []byte(w.want)) {
		w.once.Do(func() { close(w.seen) })
	}
	return w.buf.Write(p)
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// In a file or pipe (a CI log) the run's log and progress are plain
// lines: no colour, no carriage return, no escape sequence; times to the
// millisecond; durations with their unit; no empty dut=.
func TestConsoleInAFileIsPlainLines(t *testing.T) {
	w := &lineWriter{want: "[plain running", seen: make(chan struct{})}
	console := harness.NewConsole(w)
	if console.Terminal() {
		t.Fatal("a buffer taken for a terminal")
	}
	before := time.Now()
	rec, err := harness.Run(bg, "plain", func(tt *harness.Test) error {
		tt.OnSafeState(harness.SafeState{Name: "bench off", Run: func(context.Context) error { return nil }})
		tt.DUT("dut-1", func(d *harness.DUTRun) error {
			select { // until a progress line has been written
			case <-w.seen:
				return nil
			case <-d.Context().Done():
				return d.Context().Err()
			}
		})
		return nil
	}, harness.WithoutSignals(), harness.WithLogger(console.Logger()), harness.WithProgress(console),
		harness.WithProgressInterval(time.Millisecond))
	after := time.Now()
	if err != nil || rec.Outcome != harness.OutcomePass {
		t.Fatalf("%v %v", rec.Outcome, err)
	}
	out := w.String()
	if strings.ContainsAny(out, "\r\x1b") {
		t.Errorf("escape sequences or carriage returns in a file:\n%q", out)
	}
	if !strings.Contains(out, "[plain running") || !strings.Contains(out, "1 DUT (0 ended by faults) | 0 measurements, 0 out of limits | 0 faults\n") {
		t.Errorf("no progress summary lines:\n%s", out)
	}
	stamp := regexp.MustCompile(`(?m)^(\d\d:\d\d:\d\d\.\d\d\d) `)
	stamps := stamp.FindAllStringSubmatch(out, -1)
	if len(stamps) < 3 {
		t.Fatalf("log lines without a time to the millisecond:\n%s", out)
	}
	// The log's times are the times, to the millisecond: not rounded
	// down to the second (which shows as .000).
	lo, hi := before.Truncate(time.Millisecond).Format("15:04:05.000"), after.Format("15:04:05.000")
	for _, s := range stamps {
		if s[1] < lo || s[1] > hi {
			t.Errorf("a log line at %s, the run from %s to %s:\n%s", s[1], lo, hi, out)
		}
	}
	safe := regexp.MustCompile(`(?m)^.*safe state verified.*$`).FindString(out)
	if safe == "" || strings.Contains(safe, "dut=") || !regexp.MustCompile(`took="?\d+(\.\d+)?(ns|µs|ms|s)"?(\s|$)`).MatchString(safe) {
		t.Errorf("the run-level safe state's line: %q", safe)
	} else if took := regexp.MustCompile(`took="?([^"\s]+)`).FindStringSubmatch(safe); took == nil {
		t.Errorf("the safe state's line has no took: %q", safe)
	} else if d, err := time.ParseDuration(took[1]); err != nil || d <= 0 || harness.FormatDuration(d) != took[1] {
		// A sub-millisecond action rounded away showed as 0s.
		t.Errorf("the safe state's line %q: took %q is not its real duration with a unit (%v, %v)", safe, took[1], d, err)
	}
	if !regexp.MustCompile(`run ended .*took="?\d+(\.\d+)?(ns|µs|ms|s)"?(\s|$)`).MatchString(out) {
		t.Errorf("the run's end without its duration:\n%s", out)
	}
}

// A logger made without Timestamp still gets the time on the harness's
// lines (a console shows "<nil>" otherwise).
func TestHarnessLinesHaveATime(t *testing.T) {
	var buf bytes.Buffer
	logger := zerolog.New(zerolog.ConsoleWriter{Out: &buf, NoColor: true, TimeFormat: "15:04:05.000"})
	if _, err := harness.Run(bg, "untimed", func(*harness.Test) error { return nil }, harness.WithoutSignals(), harness.WithLogger(logger)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<nil>") || !regexp.MustCompile(`(?m)^\d\d:\d\d:\d\d\.\d\d\d INF harness: run started`).MatchString(buf.String()) {
		t.Errorf("harness lines without a time:\n%s", buf.String())
	}
	// A logger with a timestamp of its own keeps it, once.
	var js bytes.Buffer
	if _, err := harness.Run(bg, "timed", func(*harness.Test) error { return nil }, harness.WithoutSignals(),
		harness.WithLogger(zerolog.New(&js).With().Timestamp().Logger())); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(js.String()), "\n") {
		if n := strings.Count(line, `"time":`); n != 1 {
			t.Errorf("%d times in %s", n, line)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	got := map[time.Duration]string{}
	want := map[time.Duration]string{
		0: "0s", 750: "750ns", 1234: "1.234µs", 312456: "312.5µs", 86786543: "86.79ms",
		4105129667: "4.105s", 59999 * time.Millisecond: "1m0s", 123456 * time.Millisecond: "2m3s",
		-1500 * time.Microsecond: "-1.5ms",
	}
	for d := range want {
		got[d] = harness.FormatDuration(d)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Error(diff)
	}
}
