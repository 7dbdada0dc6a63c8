package oncrpc

import "fmt"

// The portmapper program (RFC 1833, version 2), which VXI-11 clients ask
// for the core channel's port.
const (
	PortmapProg    = 100000
	PortmapVers    = 2
	PortmapPort    = 111
	PortmapNull    = 0
	PortmapGetPort = 3
	PortmapDump    = 4

	ProtoTCP = 6
	ProtoUDP = 17
)

// Mapping is a portmapper entry: a program version served on a port.
type Mapping struct {
	Prog, Vers, Prot, Port uint32
}

// Encode appends m.
func (m Mapping) Encode(e *Encoder) {
	e.Uint32(m.Prog)
	e.Uint32(m.Vers)
	e.Uint32(m.Prot)
	e.Uint32(m.Port)
}

// DecodeMapping reads a mapping.
func DecodeMapping(d *Decoder) Mapping {
	return Mapping{Prog: d.Uint32(), Vers: d.Uint32(), Prot: d.Uint32(), Port: d.Uint32()}
}

// AppendGetPort appends a portmapper GETPORT call asking where program
// prog, version vers, is served over TCP.
func AppendGetPort(e *Encoder, xid, prog, vers uint32) {
	AppendCall(e, xid, PortmapProg, PortmapVers, PortmapGetPort)
	Mapping{Prog: prog, Vers: vers, Prot: ProtoTCP}.Encode(e)
}

// ParseGetPortReply decodes the reply to GETPORT call xid: the port, 0
// when the program is not registered.
func ParseGetPortReply(rec []byte, xid uint32) (uint32, error) {
	d := NewDecoder(rec)
	got, err := DecodeReply(d)
	if err != nil {
		return 0, err
	}
	if got != xid {
		return 0, fmt.Errorf("%w: reply to call %#x, want %#x", ErrMalformed, got, xid)
	}
	port := d.Uint32()
	return port, d.Done()
}
