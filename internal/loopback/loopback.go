// Package loopback decides whether a server of ours may listen on an
// address: on loopback always; beyond it (0.0.0.0, ::, an empty host, a
// LAN address or a name) only when the user said so with
// --allow-remote, and then with a warning to print, because our servers
// (the simulator, the station page) have no authentication.
package loopback

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// RemoteError refuses an address beyond loopback that --allow-remote did
// not allow.
type RemoteError struct {
	Flag, Addr string
	Risk       string // what anyone who reaches the host could do
	What       string // what has no authentication
}

func (e RemoteError) Error() string {
	return fmt.Sprintf("%s %s listens beyond loopback, where anyone who reaches this host can %s (%s has no authentication): use a 127.0.0.1 address, or add --allow-remote", e.Flag, e.Addr, e.Risk, e.What)
}

// IsLoopbackHost reports whether host (of a host:port) keeps a listener
// on loopback: a loopback address or "localhost". An empty host or an
// unspecified address (0.0.0.0, ::) listens on every interface.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// Policy is what a program says of its server, for the error and the
// warning.
type Policy struct {
	Program string // "scpisim"
	Serves  string // "serves simulated instruments"
	Risk    string // "drive the instruments"
	What    string // "the simulator"
}

// Check checks an address a flag asks to listen on: beyond loopback it
// is a RemoteError unless allowRemote, and then a warning to print. An
// address that is not host:port is an error too.
func (p Policy) Check(flag, addr string, allowRemote bool) (warning string, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w", flag, addr, err)
	}
	if IsLoopbackHost(host) {
		return "", nil
	}
	if !allowRemote {
		return "", RemoteError{Flag: flag, Addr: addr, Risk: p.Risk, What: p.What}
	}
	where := host
	if host == "" || net.ParseIP(host).IsUnspecified() {
		where = "every interface"
	}
	return fmt.Sprintf("%s: warning: %s %s %s on %s, with no authentication, to anyone who can reach it", p.Program, flag, addr, p.Serves, where), nil
}
