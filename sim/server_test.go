package sim_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

func serveTCP(t *testing.T, in *sim.Instrument, opts sim.ServerOptions) *sim.Server {
	t.Helper()
	srv, err := sim.ServeTCP("", in, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

func TestTCPServerSessions(t *testing.T) {
	srv := serveTCP(t, sim.MustNew("SAMPLE"), sim.ServerOptions{})
	if !strings.HasPrefix(srv.Resource(), "TCPIP0::127.0.0.1::") {
		t.Fatalf("resource %s is not on loopback", srv.Resource())
	}
	a, err := scpi.Open(bg, srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := scpi.Open(bg, srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	must(t, a.Write(bg, "VOLT 3.3"))
	must(t, a.WaitOPC(bg)) // two connections are not ordered: wait for a's command
	if v, err := b.QueryFloat(bg, "VOLT?"); err != nil || v != 3.3 {
		t.Fatalf("state is shared between connections: %v %v", v, err)
	}
	data := make([]byte, 100000)
	for i := range data {
		data[i] = byte(i)
	}
	must(t, a.WriteBlock(bg, "DATA:ARB ", data))
	must(t, a.WaitOPC(bg))
	back, err := b.QueryBlock(bg, "DATA:ARB?")
	if err != nil || string(back) != string(data) {
		t.Fatalf("block over TCP: %d bytes, %v", len(back), err)
	}
}

func TestTCPClientsHaveTheirOwnBuffers(t *testing.T) {
	srv := serveTCP(t, sim.MustNew("SAMPLE"), sim.ServerOptions{})
	a, _ := net.Dial("tcp", srv.Addr().String())
	defer a.Close()
	b, _ := net.Dial("tcp", srv.Addr().String())
	defer b.Close()
	a.Write([]byte("*ID")) // half a message on a...
	b.Write([]byte("SYST:VERS?\n"))
	if line, _ := bufio.NewReader(b).ReadString('\n'); line != "1999.0\n" {
		t.Fatalf("b got %q", line)
	}
	a.Write([]byte("N?\n")) // ...completed later, unaffected by b
	if line, _ := bufio.NewReader(a).ReadString('\n'); !strings.HasPrefix(line, "scpikit,SAMPLE") {
		t.Fatalf("a got %q", line)
	}
}

func TestTCPServerLimits(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	srv := serveTCP(t, in, sim.ServerOptions{MaxConns: 1, MaxLine: 100, IdleTimeout: 50 * time.Millisecond})
	first, _ := net.Dial("tcp", srv.Addr().String())
	defer first.Close()
	first.Write([]byte("*OPC?\n")) // the server has surely accepted it once it answers
	r := bufio.NewReader(first)
	if line, _ := r.ReadString('\n'); line != "1\n" {
		t.Fatalf("first: %q", line)
	}
	second, _ := net.Dial("tcp", srv.Addr().String())
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := second.Read(make([]byte, 1)); err == nil {
		t.Fatal("a second connection beyond MaxConns was served")
	}
	first.Write([]byte(`DISP:TEXT "` + strings.Repeat("x", 200) + "\"\n*OPC?\n"))
	if line, _ := r.ReadString('\n'); line != "1\n" {
		t.Fatalf("after an overlong line: %q", line)
	}
	if errs := in.Errors(); len(errs) == 0 || errs[0].Code != -363 {
		t.Fatalf("errors %v", errs)
	}
	// Idle: the server closes the connection.
	first.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("idle connection: %v", err)
	}
}

func TestTCPServerFaults(t *testing.T) {
	in := sim.MustNew("SAMPLE")
	in.SetFaults(sim.Faults{DisconnectAfter: 2})
	srv := serveTCP(t, in, sim.ServerOptions{})
	s, err := scpi.Open(bg, srv.Resource())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Query(bg, "*IDN?")
	s.Query(bg, "*IDN?")
	if _, err := s.Query(bg, "*IDN?"); !errors.Is(err, scpi.ErrDisconnected) {
		t.Fatalf("after the drop: %v", err)
	}
	in.SetFaults(sim.Faults{})
	// scpi.Open gave the session a way back: it reconnects.
	if _, err := s.Query(bg, "*IDN?"); err != nil {
		t.Fatalf("reconnected: %v", err)
	}
	// An injected disconnect drops an idle connection too.
	c, _ := net.Dial("tcp", srv.Addr().String())
	defer c.Close()
	c.Write([]byte("*OPC?\n"))
	r := bufio.NewReader(c)
	r.ReadString('\n')
	must(t, in.Inject(sim.TimedFault{Disconnect: true}))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("connection survived the injected disconnect")
	}
}

func TestPTYServer(t *testing.T) {
	if _, err := os.Stat("/dev/ptmx"); err != nil {
		t.Skip("no /dev/ptmx on this machine")
	}
	p, err := sim.ServePTY(sim.MustNew("SAMPLE"), sim.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if !strings.HasPrefix(p.Path(), "/dev/pts/") || p.Resource() != "ASRL"+p.Path()+"::INSTR" {
		t.Fatalf("path %s, resource %s", p.Path(), p.Resource())
	}
	f, err := os.OpenFile(p.Path(), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.SetDeadline(time.Now().Add(10 * time.Second))
	f.Write([]byte("VOLT 1.5;VOLT?\r\n"))
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil || line != "1.5\n" {
		t.Fatalf("got %q, %v", line, err)
	}
}
