package vxi11_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
)

// processCPU is the CPU time this process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

var lxiRate = regexp.MustCompile(`([0-9.]+) requests/second`)

// BenchmarkIDNVsLiblxi is *IDN? over VXI-11 to the simulated SAMPLE
// instrument, from this package's client through scpi.Session and from
// liblxi (`lxi benchmark` of lxi-tools, which sends *IDN?), in alternating
// rounds of the same number of queries against the same server. It reports
// the query rate of each and their ratio (scpikit/liblxi: 1 or more is at
// least as fast), and CPU time per query: liblxi's process's (start-up
// included, a few per cent at this count); this process's in our rounds,
// which is our client's and the server's together (the server runs here);
// and this process's while liblxi ran, the server's for liblxi. So
// cpu-scpikit+server/liblxi at or below 1 means our client costs less CPU
// than liblxi even with the server's share counted against it, and
// cpu-total compares client and server together for each. Skipped, saying why, where
// lxi is not installed (CI installs lxi-tools) or port 111 (liblxi asks
// the portmapper there) cannot be served.
func BenchmarkIDNVsLiblxi(b *testing.B) {
	lxi, err := exec.LookPath("lxi")
	if err != nil {
		b.Skip("lxi is not installed (apt-get install -y lxi-tools): no liblxi to compare with")
	}
	if os.Geteuid() != 0 {
		b.Skip("liblxi asks the portmapper on port 111, which needs root")
	}
	srv, err := sim.ServeVXI11("", sim.MustNew("SAMPLE"), sim.VXI11Options{Portmapper: "127.0.0.1:111"})
	if err != nil {
		b.Skipf("cannot serve the portmapper on 127.0.0.1:111 (%v): is another one running?", err)
	}
	defer srv.Close()
	ctx := context.Background()
	s, err := scpi.Open(ctx, srv.Resource(), scpi.WithTransportOptions(transport.WithPortmapperPort(111)))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 3000
	var lxiWall, oursWall, lxiCPU, oursCPU, serverCPU time.Duration
	var lxiRateSum float64
	rounds := 0
	for b.Loop() {
		cmd := exec.Command(lxi, "benchmark", "-a", "127.0.0.1", "-c", strconv.Itoa(n))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		c0 := processCPU(b) // after the fork, whose cost is this process's
		err := cmd.Wait()
		if err != nil {
			b.Fatalf("lxi benchmark: %v\n%s", err, out.Bytes())
		}
		m := lxiRate.FindSubmatch(out.Bytes())
		if m == nil {
			b.Fatalf("lxi benchmark printed no rate:\n%s", out.Bytes())
		}
		rate, _ := strconv.ParseFloat(string(m[1]), 64)
		lxiRateSum += rate
		lxiWall += time.Duration(float64(n) / rate * float64(time.Second))
		lxiCPU += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
		c1 := processCPU(b)
		serverCPU += c1 - c0
		t0 := time.Now()
		for range n {
			idn, err := s.Query(ctx, "*IDN?")
			if err != nil || !bytes.Contains([]byte(idn), []byte(",")) {
				b.Fatalf("%q, %v", idn, err)
			}
		}
		oursWall += time.Since(t0)
		oursCPU += processCPU(b) - c1
		rounds++
	}
	q := float64(n * rounds)
	b.ReportMetric(q/oursWall.Seconds(), "scpikit-queries/s")
	b.ReportMetric(lxiRateSum/float64(rounds), "liblxi-queries/s")
	b.ReportMetric(lxiWall.Seconds()/oursWall.Seconds(), "scpikit/liblxi")
	ours := float64(oursCPU.Nanoseconds()) / q
	theirs := float64(lxiCPU.Nanoseconds()) / q
	server := float64(serverCPU.Nanoseconds()) / q
	b.ReportMetric(ours, "scpikit+server-cpu-ns/query")
	b.ReportMetric(theirs, "liblxi-cpu-ns/query")
	b.ReportMetric(server, "server-for-liblxi-cpu-ns/query")
	b.ReportMetric(ours/theirs, "cpu-scpikit+server/liblxi")
	b.ReportMetric(ours/(theirs+server), "cpu-total-scpikit/liblxi")
}
