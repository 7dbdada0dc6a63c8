package main

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// errRemote refuses an address beyond loopback that --allow-remote did
// not allow.
type errRemote struct{ flag, addr string }

func (e errRemote) Error() string {
	return fmt.Sprintf("%s %s listens beyond loopback, where anyone who reaches this host can drive the instruments (the simulator has no authentication): use a 127.0.0.1 address, or add --allow-remote", e.flag, e.addr)
}

// isLoopbackHost reports whether host (of a host:port) keeps a listener
// on loopback: a loopback address or "localhost". An empty host or an
// unspecified address (0.0.0.0, ::) listens on every interface.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// listenPolicy checks an address a flag asks to listen on: beyond
// loopback it is an error unless allowed, and then a warning to print.
func listenPolicy(flag, addr string, allowRemote bool) (warning string, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", flag, addr, err)
	}
	if isLoopbackHost(host) {
		return "", nil
	}
	if !allowRemote {
		return "", errRemote{flag, addr}
	}
	where := host
	if host == "" || net.ParseIP(host).IsUnspecified() {
		where = "every interface"
	}
	return fmt.Sprintf("scpisim: warning: %s %s serves simulated instruments on %s, with no authentication, to anyone who can reach it", flag, addr, where), nil
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
