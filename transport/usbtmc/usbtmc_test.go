package usbtmc_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/usbtmc"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeSys builds the sysfs and /dev a machine with two usbtmc
// instruments would have; each /dev/usbtmcN is a symlink to target[N].
func fakeSys(t *testing.T, targets ...string) usbtmc.Resolver {
	t.Helper()
	root := t.TempDir()
	rs := usbtmc.Resolver{Sys: filepath.Join(root, "sys"), Dev: filepath.Join(root, "dev")}
	ids := []struct{ vid, pid, serial string }{{"2a8d", "1002", "MY123"}, {"1ab1", "0e11", "DP8C1234"}}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(rs.Sys, "class", "usbmisc"), 0o755))
	must(os.MkdirAll(rs.Dev, 0o755))
	for i, id := range ids {
		usb := filepath.Join(rs.Sys, "devices", "pci0000:00", "usb1", "1-"+string(rune('1'+i)))
		intf := filepath.Join(usb, "1-"+string(rune('1'+i))+":1.0")
		must(os.MkdirAll(intf, 0o755))
		must(os.WriteFile(filepath.Join(usb, "idVendor"), []byte(id.vid+"\n"), 0o644))
		must(os.WriteFile(filepath.Join(usb, "idProduct"), []byte(id.pid+"\n"), 0o644))
		must(os.WriteFile(filepath.Join(usb, "serial"), []byte(id.serial+"\n"), 0o644))
		must(os.WriteFile(filepath.Join(intf, "bInterfaceNumber"), []byte("00\n"), 0o644))
		entry := filepath.Join(rs.Sys, "class", "usbmisc", "usbtmc"+string(rune('0'+i)))
		must(os.MkdirAll(entry, 0o755))
		must(os.Symlink(intf, filepath.Join(entry, "device")))
		if i < len(targets) {
			must(os.Symlink(targets[i], filepath.Join(rs.Dev, "usbtmc"+string(rune('0'+i)))))
		}
	}
	return rs
}

func TestListAndResolve(t *testing.T) {
	rs := fakeSys(t)
	devs, err := rs.List()
	if err != nil {
		t.Fatal(err)
	}
	want := []usbtmc.Device{
		{Path: filepath.Join(rs.Dev, "usbtmc0"), VendorID: 0x2a8d, ProductID: 0x1002, Serial: "MY123", Interface: 0},
		{Path: filepath.Join(rs.Dev, "usbtmc1"), VendorID: 0x1ab1, ProductID: 0x0e11, Serial: "DP8C1234", Interface: 0},
	}
	if diff := cmp.Diff(want, devs); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if got := devs[1].Resource(); got != "USB0::0x1AB1::0x0E11::DP8C1234::INSTR" {
		t.Fatalf("resource %q", got)
	}
	for res, want := range map[string]string{
		"USB0::0x2A8D::0x1002::MY123::INSTR":       "usbtmc0",
		"usb::10893::4098::my123::instr":           "usbtmc0", // decimal ids, any case
		"USB0::0x1AB1::0x0E11::DP8C1234::0::INSTR": "usbtmc1",
	} {
		r, err := transport.ParseResource(res)
		if err != nil {
			t.Fatal(err)
		}
		path, err := rs.Resolve(r)
		if err != nil || filepath.Base(path) != want {
			t.Errorf("%s: %q, %v; want %s", res, path, err, want)
		}
	}
	for _, res := range []string{"USB0::0x2A8D::0x1002::OTHER::INSTR", "USB0::0x1AB1::0x0E11::DP8C1234::3::INSTR"} {
		r, _ := transport.ParseResource(res)
		if _, err := rs.Resolve(r); !errors.Is(err, usbtmc.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", res, err)
		}
	}
	empty := usbtmc.Resolver{Sys: t.TempDir(), Dev: t.TempDir()}
	if devs, err := empty.List(); err != nil || len(devs) != 0 {
		t.Fatalf("a machine without usbmisc: %v, %v", devs, err)
	}
}

// A session through the link to a simulated instrument behind a stand-in
// device file (a pseudo-terminal in place of /dev/usbtmc0).
func TestSessionThroughStandInDevice(t *testing.T) {
	pty, err := sim.ServePTY(sim.MustNew("E36312A"), sim.ServerOptions{})
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	defer pty.Close()
	rs := fakeSys(t, pty.Path())
	r, _ := transport.ParseResource("USB0::0x2A8D::0x1002::MY123::INSTR")
	ctx := context.Background()
	c, err := rs.Dial(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	s := scpi.NewSession(c)
	defer s.Close()
	id, err := s.QueryIDN(ctx)
	if err != nil || id.Model != "E36312A" {
		t.Fatalf("%+v, %v", id, err)
	}
	// Out-of-band requests need the real driver; the stand-in says so.
	if err := c.Clear(ctx); !errors.Is(err, usbtmc.ErrNotUSBTMC) {
		t.Fatalf("clear on a stand-in: %v", err)
	}
	if _, err := s.StatusByte(ctx); !errors.Is(err, usbtmc.ErrNotUSBTMC) {
		t.Fatalf("status byte on a stand-in: %v", err)
	}
	// A deadline interrupts a read that waits.
	errc := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 8)); errc <- err }()
	c.SetDeadline(time.Unix(1, 0))
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := usbtmc.Open(ctx, filepath.Join(t.TempDir(), "usbtmc9")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing device: %v", err)
	}
	if _, err := transport.Open(ctx, "USB0::0x0001::0x0002::NOPE::INSTR"); err == nil {
		t.Fatal("opened a device that is not there")
	}
}
