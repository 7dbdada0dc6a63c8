//go:build linux

package serial_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/serial"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// openPTY opens a pseudo-terminal pair: the test plays the instrument on
// the master, the link opens the slave as it would /dev/ttyUSB0.
func openPTY(t *testing.T) (*os.File, string) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	return m, fmt.Sprintf("/dev/pts/%d", n)
}

// A session over the serial link to a simulated instrument on a pty.
func TestQueryThroughPTY(t *testing.T) {
	srv, err := sim.ServePTY(sim.MustNew("SAMPLE"), sim.ServerOptions{})
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	defer srv.Close()
	ctx := context.Background()
	s, err := scpi.Open(ctx, "ASRL"+srv.Path()+"::INSTR",
		scpi.WithTransportOptions(transport.WithSerial(transport.SerialOptions{Baud: 115200})))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 3 {
		idn, err := s.Query(ctx, "*IDN?")
		if err != nil {
			t.Fatal(err)
		}
		if idn == "" {
			t.Fatal("empty *IDN? reply")
		}
	}
}

// A past deadline interrupts a read that waits on a silent instrument.
func TestDeadlineInterruptsRead(t *testing.T) {
	_, path := openPTY(t)
	p, err := serial.Open(context.Background(), path, transport.SerialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan error, 1)
	go func() {
		_, err := p.Read(make([]byte, 16))
		done <- err
	}()
	p.SetDeadline(time.Now())
	if err := <-done; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v, want a deadline error", err)
	}
}

// A context that ends while a query waits for a silent instrument ends
// the query with the context's error.
func TestContextCancelsQuery(t *testing.T) {
	_, path := openPTY(t)
	s, err := scpi.Open(context.Background(), "ASRL"+path+"::INSTR")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Query(ctx, "*IDN?"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("query: %v, want context.DeadlineExceeded", err)
	}
}

func TestTermination(t *testing.T) {
	for _, tc := range []struct {
		name, read, sent, wantRead, wantWire string
	}{
		{"default", "", "", "V 1.5\r\n", "MEAS?\n"},
		{"CR", "\r", "\r", "V 1.5\r", "MEAS?\r"},           // the LF of the CR LF goes; the session ends the reply at its CR
		{"CRLF", "\r\n", "\r\n", "V 1.5\r\n", "MEAS?\r\n"}, // the session drops the CR
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, path := openPTY(t)
			p, err := serial.Open(context.Background(), path,
				transport.SerialOptions{ReadTermination: tc.read, WriteTermination: tc.sent})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if n, err := p.Write([]byte("MEAS?\n")); err != nil || n != 6 {
				t.Fatalf("write: %d, %v", n, err)
			}
			wire := make([]byte, len(tc.wantWire))
			if _, err := io.ReadFull(m, wire); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantWire, string(wire)); diff != "" {
				t.Errorf("on the wire (-want +got):\n%s", diff)
			}
			if _, err := m.Write([]byte("V 1.5\r\n")); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(tc.wantRead))
			if _, err := io.ReadFull(p, got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantRead, string(got)); diff != "" {
				t.Errorf("read (-want +got):\n%s", diff)
			}
		})
	}
}

// A link set for CR-terminated replies, talking to an instrument that
// ends them with CR LF, drops the LF of each pair, also when it comes in
// a read of its own: it used to be left to start the next reply ("\nB").
func TestCRTerminationDropsTheLFOfACRLF(t *testing.T) {
	m, path := openPTY(t)
	p, err := serial.Open(context.Background(), path, transport.SerialOptions{ReadTermination: "\r"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetDeadline(time.Now().Add(10 * time.Second))
	var got []string
	for _, sent := range []string{"A\r\n", "B\r\n", "C\r", "\nD\r\n", "E\n\r"} {
		if _, err := m.Write([]byte(sent)); err != nil {
			t.Fatal(err)
		}
		reply := make([]byte, 2)
		if _, err := io.ReadFull(p, reply); err != nil {
			t.Fatalf("after %q: %q, %v", sent, reply, err)
		}
		got = append(got, string(reply))
	}
	// An LF not after a CR is kept: E's reply is "E\n\r".
	if diff := cmp.Diff([]string{"A\r", "B\r", "C\r", "D\r", "E\n"}, got); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
}

// A link set for CR or CR LF replies gives a binary block whole, its CRs
// and LFs included, and the session reads it and the reply after. With
// "\r\n" the link used to drop every CR it read, and with "\r" turn every
// CR into LF and drop an LF after one: the block came short or changed,
// and the query waited for the rest until its deadline.
func TestTerminationKeepsBlocksWhole(t *testing.T) {
	payload := "a\r\rb\r\nc\n"
	for _, term := range []string{"\r", "\r\n"} {
		m, path := openPTY(t)
		s, err := scpi.Open(context.Background(), "ASRL"+path+"::INSTR",
			scpi.WithTransportOptions(transport.WithSerial(transport.SerialOptions{ReadTermination: term, WriteTermination: term})))
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			in := bufio.NewReader(m)
			// (The instrument ends the second reply with CR LF whatever
			// the link is set for.)
			for _, reply := range []string{fmt.Sprintf("#1%d%s%s", len(payload), payload, term), "+1.5\r\n"} {
				if _, err := in.ReadString(term[len(term)-1]); err != nil {
					return
				}
				m.Write([]byte(reply))
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		block, err := s.QueryBlock(ctx, "CURV?")
		if err != nil {
			t.Errorf("%q: %v", term, err)
		} else if diff := cmp.Diff(payload, string(block)); diff != "" {
			t.Errorf("%q: block (-want +got):\n%s", term, diff)
		}
		if got, err := s.Query(ctx, "MEAS?"); err != nil || got != "+1.5" {
			t.Errorf("%q: the reply after: %q, %v", term, got, err)
		}
		cancel()
		s.Close()
	}
}

// A session on a link set for CR-terminated replies ends each reply at
// its CR, so an LF that is data (in an indefinite block, in a text reply)
// stays in the reply: the link used to turn the CR into LF for a session
// that ended replies at LF, so such a reply ended early and its rest was
// the next query's reply.
func TestCRTerminationKeepsLineFeedsThatAreData(t *testing.T) {
	m, path := openPTY(t)
	s, err := scpi.Open(context.Background(), "ASRL"+path+"::INSTR",
		scpi.WithTransportOptions(transport.WithSerial(transport.SerialOptions{ReadTermination: "\r", WriteTermination: "\r"})))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	go func() {
		in := bufio.NewReader(m)
		for _, reply := range []string{"#0a\nb\r", "line 1\nline 2\r\n", "+1.5\r"} {
			if _, err := in.ReadString('\r'); err != nil {
				return
			}
			m.Write([]byte(reply))
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	block, err := s.QueryBlock(ctx, "CURV?")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, q := range []string{"SYST:HELP?", "MEAS?"} {
		r, err := s.Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if diff := cmp.Diff([]string{"a\nb", "line 1\nline 2", "+1.5"}, append([]string{string(block)}, got...)); diff != "" {
		t.Errorf("replies (-want +got):\n%s", diff)
	}
}

// Flow control, which tarm/serial does not set, reaches the line.
func TestFlowControl(t *testing.T) {
	_, path := openPTY(t)
	for _, tc := range []struct {
		flow        string
		rtscts, xon bool
	}{{"rtscts", true, false}, {"xonxoff", false, true}, {"none", false, false}} {
		p, err := serial.Open(context.Background(), path, transport.SerialOptions{Flow: tc.flow})
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOCTTY|unix.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		term, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
		f.Close()
		p.Close()
		if err != nil {
			t.Fatal(err)
		}
		got := [2]bool{term.Cflag&unix.CRTSCTS != 0, term.Iflag&unix.IXON != 0}
		if got != [2]bool{tc.rtscts, tc.xon} {
			t.Errorf("%s: CRTSCTS, IXON = %v", tc.flow, got)
		}
	}
}

func TestBadSettings(t *testing.T) {
	_, path := openPTY(t)
	for _, o := range []transport.SerialOptions{{DataBits: 9}, {Parity: 'M'}, {StopBits: 3}, {Flow: "dtrdsr"}} {
		if p, err := serial.Open(context.Background(), path, o); !errors.Is(err, serial.ErrSettings) {
			if p != nil {
				p.Close()
			}
			t.Errorf("%+v: %v, want ErrSettings", o, err)
		}
	}
	if _, err := serial.Open(context.Background(), "/dev/no-such-tty", transport.SerialOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing device: %v, want os.ErrNotExist", err)
	}
	if _, err := serial.Open(context.Background(), path, transport.SerialOptions{Baud: 12345}); err == nil {
		t.Error("baud 12345 opened")
	}
}

func TestDevicePath(t *testing.T) {
	for res, want := range map[string]string{
		"ASRL/dev/ttyUSB0::INSTR": "/dev/ttyUSB0",
		"ASRL1::INSTR":            "/dev/ttyS0",
		"ASRL4::INSTR":            "/dev/ttyS3",
		"ASRLttyACM0::INSTR":      "/dev/ttyACM0",
	} {
		r, err := transport.ParseResource(res)
		if err != nil {
			t.Fatalf("%s: %v", res, err)
		}
		got, err := serial.DevicePath(r)
		if err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", res, got, err, want)
		}
	}
	r, _ := transport.ParseResource("TCPIP0::10.0.0.5::5025::SOCKET")
	if _, err := serial.DevicePath(r); err == nil {
		t.Error("a TCPIP resource got a device path")
	}
}

// End to end through a tool we did not write: socat joins a pty to a
// simulated instrument served over TCP, and the serial link talks to the
// pty as it would to /dev/ttyUSB0.
func TestThroughSocat(t *testing.T) {
	socat, err := exec.LookPath("socat")
	if err != nil {
		msg := "the socat test needs socat (apt-get install -y socat)"
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	srv, err := sim.ServeTCP("", sim.MustNew("SAMPLE"), sim.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	link := filepath.Join(t.TempDir(), "ttyV0")
	cmd := exec.Command(socat, "-d", "-d", "PTY,raw,echo=0,link="+link, "TCP:"+srv.Addr().String())
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// socat says "starting data transfer loop" once both ends are up.
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), "starting data transfer loop") {
	}
	go io.Copy(io.Discard, stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := scpi.Open(ctx, "ASRL"+link+"::INSTR")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	idn, err := s.Query(ctx, "*IDN?")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(idn, "scpikit,SAMPLE,") {
		t.Errorf("*IDN? = %q", idn)
	}
	if err := s.Write(ctx, "VOLT 2.5"); err != nil {
		t.Fatal(err)
	}
	if v, err := s.QueryFloat(ctx, "VOLT?"); err != nil || v != 2.5 {
		t.Errorf("VOLT? = %v, %v", v, err)
	}
}
