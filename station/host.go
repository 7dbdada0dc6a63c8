package station

import (
	"net"
	"net/http"
	"os"
	"strings"
)

// hostPolicy decides which requests a server answers by their Host
// header. The page has no authentication, and a server on loopback is
// reachable from any web page the operator's browser opens: a site whose
// name its owner makes resolve to 127.0.0.1 (DNS rebinding) is, to the
// browser, same-origin with itself, so the cross-origin check lets its
// POSTs through. Its requests name that site in Host, and this refuses
// them: a server answers requests addressed to an IP address, to
// localhost, to this machine's name, or to a name given with WithHosts.
type hostPolicy struct {
	any   bool
	names map[string]bool // lower case, no trailing dot
}

func newHostPolicy() hostPolicy {
	p := hostPolicy{names: map[string]bool{}}
	if name, err := os.Hostname(); err == nil {
		p.add(name)
	}
	return p
}

// add allows requests addressed to name ("*": any name).
func (p *hostPolicy) add(name string) {
	if name == "*" {
		p.any = true
		return
	}
	if n := normalHost(name); n != "" {
		p.names[n] = true
	}
}

// normalHost is a Host header's (or a name's) host, in lower case
// without brackets, port or trailing dot.
func normalHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
}

func (p hostPolicy) allows(host string) bool {
	if p.any || host == "" { // no Host: not a browser's request
		return true
	}
	name := normalHost(host)
	if ip, _, _ := strings.Cut(name, "%"); net.ParseIP(ip) != nil {
		return true
	}
	return name == "localhost" || strings.HasSuffix(name, ".localhost") || p.names[name]
}

// refused answers a request addressed to a name the policy does not allow
// with 403, saying how to allow it, and reports whether it did.
func (p hostPolicy) refused(w http.ResponseWriter, r *http.Request) bool {
	if p.allows(r.Host) {
		return false
	}
	httpError(w, http.StatusForbidden, "this server answers requests addressed to its IP address, localhost or this machine's name, not "+
		clipHost(r.Host)+": to reach it by that name, start it with --host "+clipHost(normalHost(r.Host))+" (station.WithHosts)")
	return true
}

func clipHost(h string) string {
	if len(h) > 100 {
		return h[:100] + "..."
	}
	return h
}
