package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
)

// TestListenBeyondLoopbackRefused (issue 16, item 9): an address beyond
// loopback, an unspecified one or an empty host is refused, before
// anything listens, unless --allow-remote; nothing here binds beyond
// loopback.
func TestListenBeyondLoopbackRefused(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--listen", "0.0.0.0:0", "SAMPLE"},
		{"serve", "--listen", ":0", "--vxi11", "--hislip", "SAMPLE"},
		{"serve", "--listen", "[::]:0", "SAMPLE"},
		{"serve", "--listen", "192.0.2.1:0", "SAMPLE"},
		{"serve", "--listen", "127.0.0.1:0", "--vxi11", "--portmapper", "0.0.0.0:0", "SAMPLE"},
		{"serve", "--listen", "127.0.0.1:0", "--prologix", ":0", "SAMPLE"},
		{"serve", "--listen", "127.0.0.1:0", "--announce", "0.0.0.0:0", "SAMPLE"},
	} {
		var out, errb bytes.Buffer
		code := run(context.Background(), args, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "--allow-remote") || strings.Contains(out.String(), "ready") {
			t.Errorf("%q: code %d, stdout %q, stderr %q", args, code, out.String(), errb.String())
		}
	}
}

func TestListenPolicy(t *testing.T) {
	for _, tc := range []struct {
		addr    string
		allow   bool
		warn    string // part of the warning; "" for none
		refused bool
	}{
		{"127.0.0.1:5025", false, "", false},
		{"127.0.0.2:5025", false, "", false},
		{"[::1]:5025", false, "", false},
		{"localhost:5025", false, "", false},
		{":5025", false, "", true},
		{"0.0.0.0:5025", false, "", true},
		{"10.0.0.5:5025", false, "", true},
		{"example.com:5025", false, "", true},
		{":5025", true, "every interface", false},
		{"0.0.0.0:5025", true, "every interface", false},
		{"[::]:5025", true, "every interface", false},
		{"10.0.0.5:5025", true, "on 10.0.0.5", false},
	} {
		warning, err := listenPolicy("--listen", tc.addr, tc.allow)
		var refused errRemote
		if got := errors.As(err, &refused); got != tc.refused {
			t.Errorf("%s allow=%v: error %v", tc.addr, tc.allow, err)
		}
		if (tc.warn == "") != (warning == "") || !strings.Contains(warning, tc.warn) {
			t.Errorf("%s allow=%v: warning %q, want one with %q", tc.addr, tc.allow, warning, tc.warn)
		}
		if warning != "" && !strings.Contains(warning, "no authentication") {
			t.Errorf("%s: the warning %q does not say why", tc.addr, warning)
		}
	}
}

// TestAnnounceInterface: --announce joins mDNS on the interface of the
// --listen address (loopback for 127.0.0.1), on every interface only
// for an unspecified one; decided from a fake interface list, joining
// nothing.
func TestAnnounceInterface(t *testing.T) {
	lo := fakeInterface{Interface: net.Interface{Index: 1, Name: "lo", Flags: net.FlagLoopback | net.FlagUp}, addrs: []string{"127.0.0.1/8", "::1/128"}}
	eth := fakeInterface{Interface: net.Interface{Index: 2, Name: "eth0", Flags: net.FlagMulticast | net.FlagUp}, addrs: []string{"192.0.2.10/24"}}
	list := func() ([]net.Interface, error) { return []net.Interface{lo.Interface, eth.Interface}, nil }
	addrsOf = func(ifi *net.Interface) ([]net.Addr, error) {
		for _, f := range []fakeInterface{lo, eth} {
			if f.Name == ifi.Name {
				return f.netAddrs(), nil
			}
		}
		return nil, nil
	}
	defer func() { addrsOf = (*net.Interface).Addrs }()
	for _, tc := range []struct {
		host, want string // want "" for every interface, "error" for none
	}{
		{"127.0.0.1", "lo"},
		{"127.0.0.5", "lo"},
		{"localhost", "lo"},
		{"::1", "lo"},
		{"192.0.2.10", "eth0"},
		{"192.0.2.11", "error"},
		{"0.0.0.0", ""},
		{"", ""},
	} {
		ifi, err := announceInterface(tc.host, list)
		got := "error"
		switch {
		case err != nil:
		case ifi == nil:
			got = ""
		default:
			got = ifi.Name
		}
		if got != tc.want {
			t.Errorf("--listen host %q: interface %q (%v), want %q", tc.host, got, err, tc.want)
		}
	}
}

type fakeInterface struct {
	net.Interface
	addrs []string
}

func (f fakeInterface) netAddrs() []net.Addr {
	var out []net.Addr
	for _, a := range f.addrs {
		ip, n, _ := net.ParseCIDR(a)
		n.IP = ip
		out = append(out, n)
	}
	return out
}
