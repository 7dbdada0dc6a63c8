package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/scpikit/scpikit/internal/loopback"
)

// errRemote refuses an address beyond loopback that --allow-remote did
// not allow.
type errRemote = loopback.RemoteError

// simPolicy is the simulator's: it has no authentication, and a client
// drives the (simulated) instruments.
var simPolicy = loopback.Policy{Program: "scpisim", Serves: "serves simulated instruments", Risk: "drive the instruments", What: "the simulator"}

// listenPolicy checks an address a flag asks to listen on: beyond
// loopback it is an error unless allowed, and then a warning to print.
func listenPolicy(flag, addr string, allowRemote bool) (warning string, err error) {
	return simPolicy.Check(flag, addr, allowRemote)
}

// addrsOf lists an interface's addresses (a fake in tests).
var addrsOf = (*net.Interface).Addrs

// announceInterface is the interface whose multicast group --announce
// joins: the one that holds the --listen address, so that instruments
// kept to loopback are announced on loopback alone; nil (every
// interface) when --listen is an unspecified address.
func announceInterface(listenHost string, interfaces func() ([]net.Interface, error)) (*net.Interface, error) {
	if strings.EqualFold(listenHost, "localhost") {
		listenHost = "127.0.0.1"
	}
	ip, err := netip.ParseAddr(listenHost)
	if listenHost == "" || (err == nil && ip.IsUnspecified()) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("--announce: --listen host %q is not an address", listenHost)
	}
	ifs, err := interfaces()
	if err != nil {
		return nil, fmt.Errorf("--announce: %w", err)
	}
	for i := range ifs {
		addrs, err := addrsOf(&ifs[i])
		if err != nil {
			continue
		}
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok {
				if pfx, err := netip.ParsePrefix(n.String()); err == nil && pfx.Contains(ip.Unmap()) {
					if ip.IsLoopback() || pfx.Addr() == ip.Unmap() {
						return &ifs[i], nil
					}
				}
			}
		}
	}
	return nil, fmt.Errorf("--announce: no interface has the --listen address %s", ip)
}
