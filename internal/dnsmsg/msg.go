package dnsmsg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Record types.
const (
	TypeA    = 1
	TypePTR  = 12
	TypeTXT  = 16
	TypeAAAA = 28
	TypeSRV  = 33
	TypeANY  = 255

	ClassIN = 1
	// unicastOrFlush is the top bit of a class: in a question, "answer
	// by unicast" (QU); in a record, "cache flush".
	unicastOrFlush = 0x8000
)

// ErrMalformed is matched by every decoding error.
var ErrMalformed = errors.New("dnsmsg: malformed message")

// Question asks for records of a name.
type Question struct {
	Name    string // "_lxi._tcp.local."
	Type    uint16
	Unicast bool // QU: answer by unicast
}

// Record is a resource record. Only the fields of its Type are used.
type Record struct {
	Name string
	Type uint16
	TTL  uint32

	Target   string     // PTR: the instance; SRV: the host
	Port     uint16     // SRV
	Priority uint16     // SRV
	Weight   uint16     // SRV
	Text     []string   // TXT
	Addr     netip.Addr // A, AAAA
}

// Message is a DNS message.
type Message struct {
	ID         uint16
	Response   bool
	Questions  []Question
	Answers    []Record
	Additional []Record
}

// Append encodes m (without name compression).
func (m Message) Append(b []byte) ([]byte, error) {
	var flags uint16
	if m.Response {
		flags = 0x8400 // QR, AA
	}
	b = binary.BigEndian.AppendUint16(b, m.ID)
	b = binary.BigEndian.AppendUint16(b, flags)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Questions)))
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Answers)))
	b = binary.BigEndian.AppendUint16(b, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Additional)))
	var err error
	for _, q := range m.Questions {
		if b, err = appendName(b, q.Name); err != nil {
			return nil, err
		}
		class := uint16(ClassIN)
		if q.Unicast {
			class |= unicastOrFlush
		}
		b = binary.BigEndian.AppendUint16(b, q.Type)
		b = binary.BigEndian.AppendUint16(b, class)
	}
	for _, r := range append(append([]Record(nil), m.Answers...), m.Additional...) {
		if b, err = appendRecord(b, r); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func appendName(b []byte, name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	if name != "" {
		for _, label := range strings.Split(name, ".") {
			if len(label) == 0 || len(label) > 63 {
				return nil, fmt.Errorf("dnsmsg: bad label %q in %q", label, name)
			}
			b = append(b, byte(len(label)))
			b = append(b, label...)
		}
	}
	return append(b, 0), nil
}

func appendRecord(b []byte, r Record) ([]byte, error) {
	var err error
	if b, err = appendName(b, r.Name); err != nil {
		return nil, err
	}
	b = binary.BigEndian.AppendUint16(b, r.Type)
	b = binary.BigEndian.AppendUint16(b, ClassIN)
	b = binary.BigEndian.AppendUint32(b, r.TTL)
	lenAt := len(b)
	b = append(b, 0, 0)
	switch r.Type {
	case TypePTR:
		b, err = appendName(b, r.Target)
	case TypeSRV:
		b = binary.BigEndian.AppendUint16(b, r.Priority)
		b = binary.BigEndian.AppendUint16(b, r.Weight)
		b = binary.BigEndian.AppendUint16(b, r.Port)
		b, err = appendName(b, r.Target)
	case TypeTXT:
		if len(r.Text) == 0 {
			b = append(b, 0) // an empty TXT holds one empty string
		}
		for _, t := range r.Text {
			if len(t) > 255 {
				return nil, fmt.Errorf("dnsmsg: TXT string of %d bytes", len(t))
			}
			b = append(b, byte(len(t)))
			b = append(b, t...)
		}
	case TypeA, TypeAAAA:
		b = append(b, r.Addr.AsSlice()...)
	default:
		return nil, fmt.Errorf("dnsmsg: cannot encode record type %d", r.Type)
	}
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint16(b[lenAt:], uint16(len(b)-lenAt-2))
	return b, nil
}

// Parse decodes a message. Records of types it does not know are kept
// with their name and type only.
func Parse(b []byte) (Message, error) {
	var m Message
	if len(b) < 12 {
		return m, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	m.ID = binary.BigEndian.Uint16(b)
	m.Response = b[2]&0x80 != 0
	qd, an, ns, ar := int(binary.BigEndian.Uint16(b[4:])), int(binary.BigEndian.Uint16(b[6:])), int(binary.BigEndian.Uint16(b[8:])), int(binary.BigEndian.Uint16(b[10:]))
	off := 12
	for range qd {
		name, n, err := readName(b, off)
		if err != nil {
			return m, err
		}
		off = n
		if off+4 > len(b) {
			return m, fmt.Errorf("%w: truncated question", ErrMalformed)
		}
		class := binary.BigEndian.Uint16(b[off+2:])
		m.Questions = append(m.Questions, Question{Name: name, Type: binary.BigEndian.Uint16(b[off:]), Unicast: class&unicastOrFlush != 0})
		off += 4
	}
	for i := range an + ns + ar {
		r, n, err := readRecord(b, off)
		if err != nil {
			return m, err
		}
		off = n
		switch {
		case i < an:
			m.Answers = append(m.Answers, r)
		case i >= an+ns:
			m.Additional = append(m.Additional, r)
		}
	}
	return m, nil
}

func readRecord(b []byte, off int) (Record, int, error) {
	var r Record
	name, off, err := readName(b, off)
	if err != nil {
		return r, 0, err
	}
	if off+10 > len(b) {
		return r, 0, fmt.Errorf("%w: truncated record", ErrMalformed)
	}
	r.Name = name
	r.Type = binary.BigEndian.Uint16(b[off:])
	r.TTL = binary.BigEndian.Uint32(b[off+4:])
	rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
	start := off + 10
	end := start + rdlen
	if end > len(b) {
		return r, 0, fmt.Errorf("%w: record data of %d bytes, %d left", ErrMalformed, rdlen, len(b)-start)
	}
	data := b[start:end]
	switch r.Type {
	case TypePTR:
		r.Target, _, err = readName(b, start)
	case TypeSRV:
		if rdlen < 7 {
			return r, 0, fmt.Errorf("%w: SRV of %d bytes", ErrMalformed, rdlen)
		}
		r.Priority, r.Weight, r.Port = binary.BigEndian.Uint16(data), binary.BigEndian.Uint16(data[2:]), binary.BigEndian.Uint16(data[4:])
		r.Target, _, err = readName(b, start+6)
	case TypeTXT:
		for i := 0; i < len(data); {
			n := int(data[i])
			if i+1+n > len(data) {
				return r, 0, fmt.Errorf("%w: TXT string overruns its record", ErrMalformed)
			}
			if n > 0 {
				r.Text = append(r.Text, string(data[i+1:i+1+n]))
			}
			i += 1 + n
		}
	case TypeA, TypeAAAA:
		addr, ok := netip.AddrFromSlice(data)
		if !ok || (r.Type == TypeA) != addr.Is4() {
			return r, 0, fmt.Errorf("%w: address record of %d bytes", ErrMalformed, rdlen)
		}
		r.Addr = addr
	}
	if err != nil {
		return r, 0, err
	}
	return r, end, nil
}

// readName reads a possibly compressed name at off; it returns the name
// (dot-terminated) and the offset after it in the message.
func readName(b []byte, off int) (string, int, error) {
	var sb strings.Builder
	next := -1
	for jumps := 0; ; {
		if off >= len(b) {
			return "", 0, fmt.Errorf("%w: name runs past the message", ErrMalformed)
		}
		n := int(b[off])
		switch {
		case n == 0:
			if next < 0 {
				next = off + 1
			}
			if sb.Len() == 0 {
				return ".", next, nil
			}
			return sb.String(), next, nil
		case n&0xC0 == 0xC0:
			if off+1 >= len(b) {
				return "", 0, fmt.Errorf("%w: truncated pointer", ErrMalformed)
			}
			if jumps++; jumps > 32 {
				return "", 0, fmt.Errorf("%w: compression loop", ErrMalformed)
			}
			if next < 0 {
				next = off + 2
			}
			off = int(binary.BigEndian.Uint16(b[off:]) & 0x3FFF)
		case n&0xC0 != 0:
			return "", 0, fmt.Errorf("%w: label type %#x", ErrMalformed, n&0xC0)
		default:
			if off+1+n > len(b) {
				return "", 0, fmt.Errorf("%w: label runs past the message", ErrMalformed)
			}
			sb.Write(b[off+1 : off+1+n])
			sb.WriteByte('.')
			if sb.Len() > 255 {
				return "", 0, fmt.Errorf("%w: name longer than 255 bytes", ErrMalformed)
			}
			off += 1 + n
		}
	}
}
