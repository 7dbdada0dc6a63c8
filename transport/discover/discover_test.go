package discover_test

import (
	"context"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/discover"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv("SCPIKIT_IN_NETNS") != "" {
		os.Exit(m.Run()) // the child in a network namespace: no leak check of the parent's
	}
	goleak.VerifyTestMain(m)
}

func TestSerialPorts(t *testing.T) {
	root := t.TempDir()
	mk := func(path string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, path), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := func(target, name string) {
		t.Helper()
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	mk("dev/serial/by-id")
	mk("sys/bus/usb-serial")
	mk("sys/bus/platform")
	mk("sys/bus/pnp")
	for _, n := range []string{"ttyUSB0", "ttyACM0", "ttyS0", "ttyS4", "ttyS5"} {
		if err := os.WriteFile(filepath.Join(root, "dev", n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	link("../../ttyUSB0", "dev/serial/by-id/usb-FTDI_FT232R_A50285BI-if00-port0")
	for name, bus := range map[string]string{"ttyUSB0": "usb-serial", "ttyACM0": "usb-serial", "ttyS0": "platform", "ttyS4": "pnp"} {
		mk("sys/devices/" + name)
		link(filepath.Join(root, "sys/bus", bus), "sys/devices/"+name+"/subsystem")
		mk("sys/class/tty/" + name)
		link(filepath.Join(root, "sys/devices", name), "sys/class/tty/"+name+"/device")
	}
	mk("sys/class/tty/tty0") // a virtual terminal: no device
	found, err := discover.SerialPorts(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []discover.Found{
		{Resource: "ASRL/dev/serial/by-id/usb-FTDI_FT232R_A50285BI-if00-port0::INSTR", Via: "serial", Detail: "/dev/ttyUSB0"},
		{Resource: "ASRL/dev/ttyACM0::INSTR", Via: "serial", Detail: "/dev/ttyACM0"},
		{Resource: "ASRL/dev/ttyS4::INSTR", Via: "serial", Detail: "/dev/ttyS4"},
	}
	if diff := cmp.Diff(want, found); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

// servers starts one simulated DP832 over VXI-11, HiSLIP and the raw
// socket, announced by mDNS on loopback.
func servers(t *testing.T, mdnsAddr, pmAddr string) (*sim.VXI11Server, *sim.Announcer) {
	t.Helper()
	in := sim.MustNew("DP832")
	v, err := sim.ServeVXI11("", in, sim.VXI11Options{Portmapper: pmAddr})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { v.Close() })
	h, err := sim.ServeHiSLIP("", in, sim.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Close() })
	raw, err := sim.ServeTCP("", in, sim.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	lo := netip.MustParseAddr("127.0.0.1")
	txt := []string{"Manufacturer=RIGOL TECHNOLOGIES", "Model=DP832"}
	a, err := sim.Announce(mdnsAddr,
		sim.Service{Instance: "DP832 sim", Type: "_lxi._tcp", Host: "sim-dp832.local.", Addr: lo, Port: 80, Text: txt},
		sim.Service{Instance: "DP832 sim", Type: "_hislip._tcp", Host: "sim-dp832.local.", Addr: lo, Port: h.Addr().Port, Text: txt},
		sim.Service{Instance: "DP832 sim", Type: "_scpi-raw._tcp", Host: "sim-dp832.local.", Addr: lo, Port: raw.Addr().Port, Text: txt})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return v, a
}

// Every resource found opens and answers *IDN? as the DP832.
func checkFound(t *testing.T, found []discover.Found, wantVia ...string) {
	t.Helper()
	vias := map[string]bool{}
	for _, f := range found {
		for _, v := range strings.Split(f.Via, ", ") {
			vias[v] = true
		}
		opts := []transport.Option{}
		if f.PortmapperPort != 0 {
			opts = append(opts, transport.WithPortmapperPort(f.PortmapperPort))
		}
		s, err := scpi.Open(context.Background(), f.Resource, scpi.WithTransportOptions(opts...))
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		id, err := s.QueryIDN(context.Background())
		s.Close()
		if err != nil || id.Model != "DP832" {
			t.Fatalf("%+v: %+v, %v", f, id, err)
		}
	}
	for _, v := range wantVia {
		if !vias[v] {
			t.Errorf("nothing found via %q in %+v", v, found)
		}
	}
}

func TestNetworkDiscoveryOnLoopback(t *testing.T) {
	v, a := servers(t, "127.0.0.1:0", "")
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	found, err := discover.All(ctx, discover.Options{
		Skip: []string{"serial", "usbtmc"},
		// A broadcast on the loopback network, as on a LAN.
		VXI11: []string{"127.255.255.255:" + strconv.Itoa(v.PortmapperPort())},
		MDNS:  []string{a.Addr().String()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 3 {
		t.Fatalf("found %+v, want the VXI-11, HiSLIP and socket resources", found)
	}
	checkFound(t, found, "vxi11", "mdns _hislip._tcp", "mdns _scpi-raw._tcp")
	for _, f := range found {
		if strings.HasPrefix(f.Via, "mdns") && !strings.Contains(f.Detail, "Model=DP832") {
			t.Errorf("TXT records missing from %+v", f)
		}
	}
}

// Real multicast DNS and the standard portmapper port, in a network
// namespace of the test's own (root only): the defaults of Options, as
// on a LAN.
func TestDefaultDiscoveryInANetworkNamespace(t *testing.T) {
	if os.Getenv("SCPIKIT_IN_NETNS") != "" {
		_, _ = servers(t, sim.MDNSAddr, "127.0.0.1:111")
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		// The loopback network's broadcast on the standard port: the
		// namespace has no other interface to broadcast on.
		found, err := discover.All(ctx, discover.Options{Skip: []string{"serial", "usbtmc"}, VXI11: []string{"127.255.255.255:111"}})
		if err != nil {
			t.Fatal(err)
		}
		checkFound(t, found, "vxi11", "mdns _hislip._tcp", "mdns _scpi-raw._tcp")
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("network namespaces need root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		msg := "the network namespace test needs ip (apt-get install -y iproute2)"
		if os.Getenv("SCPIKIT_REQUIRE_INTEROP") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	script := `ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo && exec "$0" -test.run '^TestDefaultDiscoveryInANetworkNamespace$' -test.v`
	cmd := exec.Command("unshare", "--net", "sh", "-c", script, os.Args[0])
	cmd.Env = append(os.Environ(), "SCPIKIT_IN_NETNS=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "Operation not permitted") || strings.Contains(string(out), "unshare failed") {
			t.Skipf("no network namespaces here: %s", out)
		}
		t.Fatalf("in a network namespace: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestDefaultDiscoveryInANetworkNamespace") {
		t.Fatalf("the namespaced run did not pass:\n%s", out)
	}
}
