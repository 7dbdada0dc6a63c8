package oncrpc

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
