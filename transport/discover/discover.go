package discover

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/scpikit/scpikit/internal/dnsmsg"
	"github.com/scpikit/scpikit/internal/oncrpc"
	"github.com/scpikit/scpikit/internal/vxi11wire"
	"github.com/scpikit/scpikit/transport/usbtmc"
)

// Found is one instrument or port found.
type Found struct {
	Resource string // the VISA resource string to open
	// Via says how it was found: "serial", "usbtmc", "vxi11", "mdns
	// _hislip._tcp"...; several, comma-separated, when found several ways.
	Via    string
	Detail string // what else is known: by-id name, TXT records, ...
	// PortmapperPort is where a VXI-11 instrument's portmapper answered
	// when it is not the standard 111 (pass it with
	// transport.WithPortmapperPort).
	PortmapperPort int
}

// Options choose what to look for and where.
type Options struct {
	// Root is the file system root for serial ports and usbtmc devices
	// ("/" when empty): /dev, /sys are looked up under it.
	Root string
	// VXI11 lists where portmapper GETPORT calls go: "255.255.255.255:111"
	// when empty. Directed broadcasts ("192.0.2.255:111") and unicast
	// addresses work too.
	VXI11 []string
	// MDNS lists where service queries go: MDNSAddr when empty.
	MDNS []string
	// Services are the DNS-SD service types asked for; all four when
	// empty.
	Services []string
	// Skip names kinds not to look for: "serial", "usbtmc", "vxi11",
	// "mdns".
	Skip []string
}

// MDNSAddr is the multicast DNS group.
const MDNSAddr = "224.0.0.251:5353"

// DefaultServices are the DNS-SD types instruments announce.
var DefaultServices = []string{"_lxi._tcp", "_vxi-11._tcp", "_scpi-raw._tcp", "_hislip._tcp"}

// All looks for everything Options allow, until ctx is done for the
// network searches (give it a deadline: a second is plenty on a LAN), and
// returns what was found, sorted by resource. Errors of single searches
// are joined; what the others found is still returned.
func All(ctx context.Context, o Options) ([]Found, error) {
	skip := func(kind string) bool { return slices.Contains(o.Skip, kind) }
	var (
		mu    sync.Mutex
		found []Found
		errs  []error
		wg    sync.WaitGroup
	)
	add := func(f []Found, err error) {
		mu.Lock()
		defer mu.Unlock()
		found = append(found, f...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	if !skip("serial") {
		add(SerialPorts(o.Root))
	}
	if !skip("usbtmc") {
		add(USBTMC(o.Root))
	}
	if !skip("vxi11") {
		wg.Go(func() { add(VXI11(ctx, o.VXI11)) })
	}
	if !skip("mdns") {
		wg.Go(func() { add(MDNS(ctx, o.MDNS, o.Services)) })
	}
	wg.Wait()
	return merge(found), errors.Join(errs...)
}

// merge sorts findings by resource and joins those of one resource found
// several ways (a VXI-11 broadcast and an _lxi._tcp announcement, say).
func merge(found []Found) []Found {
	slices.SortStableFunc(found, func(a, b Found) int { return strings.Compare(a.Resource, b.Resource) })
	var out []Found
	for _, f := range found {
		if n := len(out); n > 0 && out[n-1].Resource == f.Resource {
			last := &out[n-1]
			last.Via += ", " + f.Via
			if f.Detail != "" && !strings.Contains(last.Detail, f.Detail) {
				last.Detail = strings.TrimPrefix(last.Detail+"; "+f.Detail, "; ")
			}
			last.PortmapperPort = max(last.PortmapperPort, f.PortmapperPort)
			continue
		}
		out = append(out, f)
	}
	return out
}

// SerialPorts lists serial ports: every /dev/serial/by-id link (the name
// that survives re-plugging), then USB and ACM ports without one, then
// on-board ports that have hardware behind them.
func SerialPorts(root string) ([]Found, error) {
	if root == "" {
		root = "/"
	}
	var out []Found
	named := map[string]bool{}
	byID := filepath.Join(root, "dev", "serial", "by-id")
	links, _ := os.ReadDir(byID)
	for _, l := range links {
		target, err := filepath.EvalSymlinks(filepath.Join(byID, l.Name()))
		if err != nil {
			continue
		}
		named[filepath.Base(target)] = true
		out = append(out, Found{Resource: "ASRL" + filepath.Join("/dev/serial/by-id", l.Name()) + "::INSTR", Via: "serial", Detail: "/dev/" + filepath.Base(target)})
	}
	ttys, err := os.ReadDir(filepath.Join(root, "sys", "class", "tty"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return out, fmt.Errorf("discover: serial ports: %w", err)
	}
	for _, t := range ttys {
		name := t.Name()
		if named[name] || !serialName(name) {
			continue
		}
		dev := filepath.Join(root, "sys", "class", "tty", name, "device")
		if _, err := os.Stat(dev); err != nil {
			continue // a virtual terminal
		}
		if sub, err := filepath.EvalSymlinks(filepath.Join(dev, "subsystem")); err == nil && filepath.Base(sub) == "platform" && strings.HasPrefix(name, "ttyS") {
			continue // a legacy 8250 port the kernel reserves, with no UART behind it
		}
		out = append(out, Found{Resource: "ASRL/dev/" + name + "::INSTR", Via: "serial", Detail: "/dev/" + name})
	}
	return out, nil
}

func serialName(name string) bool {
	for _, p := range []string{"ttyUSB", "ttyACM", "ttyS", "ttyAMA", "ttymxc"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// USBTMC lists the usbtmc devices present.
func USBTMC(root string) ([]Found, error) {
	if root == "" {
		root = "/"
	}
	rs := usbtmc.Resolver{Sys: filepath.Join(root, "sys"), Dev: filepath.Join(root, "dev")}
	devs, err := rs.List()
	var out []Found
	for _, d := range devs {
		out = append(out, Found{Resource: d.Resource(), Via: "usbtmc", Detail: d.Path})
	}
	return out, err
}

// VXI11 sends a portmapper GETPORT for the VXI-11 core channel to each
// target over UDP and collects the hosts that answer with a port, until
// ctx is done.
func VXI11(ctx context.Context, targets []string) ([]Found, error) {
	if len(targets) == 0 {
		targets = []string{"255.255.255.255:111"}
	}
	pc, err := net.ListenPacket("udp4", ":0")
	if err != nil {
		return nil, fmt.Errorf("discover: vxi11: %w", err)
	}
	defer pc.Close()
	stop := context.AfterFunc(ctx, func() { pc.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	xid := uint32(time.Now().UnixNano())
	e := oncrpc.Encoder{}
	oncrpc.AppendGetPort(&e, xid, vxi11wire.CoreProg, vxi11wire.Version)
	var errs []error
	for _, t := range targets {
		ua, err := net.ResolveUDPAddr("udp4", t)
		if err != nil {
			errs = append(errs, fmt.Errorf("discover: vxi11 target %q: %w", t, err))
			continue
		}
		if _, err := pc.WriteTo(e.B, ua); err != nil {
			errs = append(errs, fmt.Errorf("discover: vxi11 to %s: %w", t, err))
		}
	}
	seen := map[string]bool{}
	var out []Found
	buf := make([]byte, 1500)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			break // ctx done
		}
		port, err := oncrpc.ParseGetPortReply(buf[:n], xid)
		if err != nil || port == 0 {
			continue // not an answer to us, or no VXI-11 there
		}
		ua := from.(*net.UDPAddr)
		host := ua.IP.String()
		if seen[host+strconv.Itoa(ua.Port)] {
			continue
		}
		seen[host+strconv.Itoa(ua.Port)] = true
		f := Found{Resource: "TCPIP0::" + host + "::inst0::INSTR", Via: "vxi11", Detail: fmt.Sprintf("core channel on port %d", port)}
		if ua.Port != oncrpc.PortmapPort {
			f.PortmapperPort = ua.Port
			f.Detail += fmt.Sprintf(", portmapper on port %d", ua.Port)
		}
		out = append(out, f)
	}
	return out, errors.Join(errs...)
}

// MDNS asks each server (MDNSAddr when none) for instances of the
// services (DefaultServices when none) and collects the answers until ctx
// is done.
func MDNS(ctx context.Context, servers, services []string) ([]Found, error) {
	if len(servers) == 0 {
		servers = []string{MDNSAddr}
	}
	if len(services) == 0 {
		services = DefaultServices
	}
	pc, err := net.ListenPacket("udp4", ":0")
	if err != nil {
		return nil, fmt.Errorf("discover: mdns: %w", err)
	}
	defer pc.Close()
	stop := context.AfterFunc(ctx, func() { pc.SetReadDeadline(time.Unix(1, 0)) })
	defer stop()
	q := dnsmsg.Message{}
	for _, s := range services {
		q.Questions = append(q.Questions, dnsmsg.Question{Name: strings.TrimSuffix(s, ".") + ".local.", Type: dnsmsg.TypePTR, Unicast: true})
	}
	query, err := q.Append(nil)
	if err != nil {
		return nil, fmt.Errorf("discover: mdns: %w", err)
	}
	var errs []error
	for _, s := range servers {
		ua, err := net.ResolveUDPAddr("udp4", s)
		if err != nil {
			errs = append(errs, fmt.Errorf("discover: mdns server %q: %w", s, err))
			continue
		}
		if _, err := pc.WriteTo(query, ua); err != nil {
			errs = append(errs, fmt.Errorf("discover: mdns to %s: %w", s, err))
		}
	}
	var out []Found
	buf := make([]byte, 9000)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			break
		}
		m, err := dnsmsg.Parse(buf[:n])
		if err != nil || !m.Response {
			continue
		}
		out = append(out, fromDNSSD(m, from.(*net.UDPAddr).IP)...)
	}
	return out, errors.Join(errs...)
}

// fromDNSSD turns a response's PTR, SRV, TXT and address records into
// resources.
func fromDNSSD(m dnsmsg.Message, sender net.IP) []Found {
	records := append(append([]dnsmsg.Record(nil), m.Answers...), m.Additional...)
	addrs := map[string]netip.Addr{}
	srv := map[string]dnsmsg.Record{}
	txt := map[string][]string{}
	for _, r := range records {
		key := strings.ToLower(r.Name)
		switch r.Type {
		case dnsmsg.TypeA:
			addrs[key] = r.Addr
		case dnsmsg.TypeAAAA:
			if _, ok := addrs[key]; !ok {
				addrs[key] = r.Addr
			}
		case dnsmsg.TypeSRV:
			srv[key] = r
		case dnsmsg.TypeTXT:
			txt[key] = r.Text
		}
	}
	var out []Found
	for _, r := range records {
		if r.Type != dnsmsg.TypePTR {
			continue
		}
		service := strings.ToLower(strings.TrimSuffix(r.Name, ".local."))
		inst := strings.ToLower(r.Target)
		s, ok := srv[inst]
		if !ok {
			continue
		}
		host := strings.TrimSuffix(s.Target, ".")
		if a, ok := addrs[strings.ToLower(s.Target)]; ok {
			host = a.String()
		} else if sender != nil {
			host = sender.String()
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		var res string
		switch service {
		case "_scpi-raw._tcp":
			res = fmt.Sprintf("TCPIP0::%s::%d::SOCKET", host, s.Port)
		case "_hislip._tcp":
			res = fmt.Sprintf("TCPIP0::%s::hislip0::INSTR", host)
			if s.Port != 4880 {
				res = fmt.Sprintf("TCPIP0::%s::hislip0,%d::INSTR", host, s.Port)
			}
		case "_vxi-11._tcp", "_lxi._tcp":
			res = "TCPIP0::" + host + "::inst0::INSTR"
		default:
			continue
		}
		name := strings.TrimSuffix(r.Target, "."+r.Name)
		detail := name
		if t := txt[inst]; len(t) > 0 {
			detail += " (" + strings.Join(t, ", ") + ")"
		}
		out = append(out, Found{Resource: res, Via: "mdns " + service, Detail: detail})
	}
	return out
}
