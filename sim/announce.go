package sim

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/scpikit/scpikit/internal/dnsmsg"
)

// MDNSAddr is the multicast DNS group and port.
const MDNSAddr = "224.0.0.251:5353"

// Service is a DNS-SD service instance the simulator announces, as LXI
// instruments announce _lxi._tcp, _vxi-11._tcp, _scpi-raw._tcp and
// _hislip._tcp.
type Service struct {
	Instance string     // "Rigol DP832 (simulated)"
	Type     string     // "_hislip._tcp"
	Host     string     // "sim-dp832.local."
	Addr     netip.Addr // the host's address
	Port     int
	Text     []string // "Manufacturer=RIGOL", "Model=DP832", ...
}

func (s Service) typeName() string {
	return strings.ToLower(strings.TrimSuffix(s.Type, ".")) + ".local."
}
func (s Service) instanceName() string { return s.Instance + "." + s.typeName() }

// Announcer answers multicast DNS service discovery queries for its
// services: a PTR for each instance, with its SRV, TXT and address
// records as additional records, and the service types to a
// _services._dns-sd._udp query. Replies go to the asker's address, so
// unicast ("legacy") queries work too.
type Announcer struct {
	pc        net.PacketConn
	multicast bool // on the mDNS group
	services  []Service
	done      chan struct{}
	wg        waitGroup
}

// Announce answers on addr: MDNSAddr joins the multicast group on every
// interface that has multicast; any other address ("127.0.0.1:0" in
// tests) is a plain UDP socket that answers unicast queries.
func Announce(addr string, services ...Service) (*Announcer, error) {
	return AnnounceOn(addr, nil, services...)
}

// AnnounceOn is Announce with MDNSAddr joined, and answered, on the one
// interface ifi (nil: every interface): the interface of the address the
// services listen on, so that services kept to loopback are not
// announced to the network.
func AnnounceOn(addr string, ifi *net.Interface, services ...Service) (*Announcer, error) {
	for _, s := range services {
		if !strings.HasPrefix(s.Type, "_") || !strings.Contains(s.Type, "._tcp") || s.Instance == "" || s.Port <= 0 {
			return nil, fmt.Errorf("sim: announce: bad service %+v", s)
		}
	}
	var pc net.PacketConn
	var err error
	if addr == MDNSAddr {
		group, _ := net.ResolveUDPAddr("udp4", MDNSAddr)
		pc, err = net.ListenMulticastUDP("udp4", ifi, group)
	} else {
		pc, err = net.ListenPacket("udp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("sim: announce: %w", err)
	}
	a := &Announcer{pc: pc, multicast: addr == MDNSAddr, services: services, done: make(chan struct{})}
	a.wg.goTrack(a.serve)
	return a, nil
}

// Addr is where the announcer listens.
func (a *Announcer) Addr() net.Addr { return a.pc.LocalAddr() }

// Close stops answering.
func (a *Announcer) Close() error {
	return a.wg.shutdown(a.done, a.pc)
}

func (a *Announcer) serve() {
	buf := make([]byte, 9000)
	for {
		n, from, err := a.pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		q, err := dnsmsg.Parse(buf[:n])
		if err != nil || q.Response {
			continue
		}
		ua, _ := from.(*net.UDPAddr)
		if reply, ok := a.answer(q, ua == nil || ua.Port != 5353); ok {
			if b, err := reply.Append(nil); err == nil {
				a.pc.WriteTo(b, a.replyTo(q, from))
			}
		}
	}
}

// replyTo is where an answer goes (RFC 6762 5.4, 6.7): to the asker for
// a legacy unicast query (not from port 5353) or one that asks for a
// unicast answer (QU), else to the multicast group when we are on it.
func (a *Announcer) replyTo(q dnsmsg.Message, from net.Addr) net.Addr {
	ua, ok := from.(*net.UDPAddr)
	if !ok || ua.Port != 5353 || !a.multicast {
		return from
	}
	for _, question := range q.Questions {
		if question.Unicast {
			return from
		}
	}
	group, _ := net.ResolveUDPAddr("udp4", MDNSAddr)
	return group
}

const announceTTL = 120

// answer is the reply to q, when it asks for a service announced here.
// Each name asked is answered once, however often the query repeats it,
// and the questions go back only to a legacy unicast asker, which needs
// them (RFC 6762 6, 6.7): so a reply is never much larger than the
// services announced, and a spoofed query cannot turn a small datagram
// into a large one sent elsewhere.
func (a *Announcer) answer(q dnsmsg.Message, legacy bool) (dnsmsg.Message, bool) {
	reply := dnsmsg.Message{ID: q.ID, Response: true}
	if legacy {
		reply.Questions = q.Questions
	}
	seenHost, asked := map[string]bool{}, map[string]bool{}
	for _, question := range q.Questions {
		name := strings.ToLower(question.Name)
		if question.Type != dnsmsg.TypePTR && question.Type != dnsmsg.TypeANY || asked[name] {
			continue
		}
		asked[name] = true
		if name == "_services._dns-sd._udp.local." {
			types := map[string]bool{}
			for _, s := range a.services {
				if !types[s.typeName()] {
					types[s.typeName()] = true
					reply.Answers = append(reply.Answers, dnsmsg.Record{Name: name, Type: dnsmsg.TypePTR, TTL: announceTTL, Target: s.typeName()})
				}
			}
			continue
		}
		for _, s := range a.services {
			if s.typeName() != name {
				continue
			}
			inst := s.instanceName()
			reply.Answers = append(reply.Answers, dnsmsg.Record{Name: s.typeName(), Type: dnsmsg.TypePTR, TTL: announceTTL, Target: inst})
			reply.Additional = append(reply.Additional,
				dnsmsg.Record{Name: inst, Type: dnsmsg.TypeSRV, TTL: announceTTL, Port: uint16(s.Port), Target: s.Host},
				dnsmsg.Record{Name: inst, Type: dnsmsg.TypeTXT, TTL: announceTTL, Text: s.Text})
			if s.Addr.IsValid() && !seenHost[s.Host] {
				seenHost[s.Host] = true
				typ := uint16(dnsmsg.TypeA)
				if s.Addr.Is6() && !s.Addr.Is4In6() {
					typ = dnsmsg.TypeAAAA
				}
				reply.Additional = append(reply.Additional, dnsmsg.Record{Name: s.Host, Type: typ, TTL: announceTTL, Addr: s.Addr.Unmap()})
			}
		}
	}
	return reply, len(reply.Answers) > 0
}
