package transport

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Link names: the registry key each form of resource string maps to.
const (
	LinkSocket = "socket" // TCPIP::host::port::SOCKET
	LinkVXI11  = "vxi11"  // TCPIP::host[::inst0]::INSTR
	LinkHiSLIP = "hislip" // TCPIP::host::hislip0::INSTR
	LinkSerial = "serial" // ASRL...::INSTR
	LinkGPIB   = "gpib"   // GPIB::addr::INSTR (through a Prologix adapter)
	LinkUSBTMC = "usbtmc" // USB::vid::pid::serial::INSTR
	LinkSim    = "sim"    // SIM::model::INSTR
)

var linkTitles = map[string]string{
	LinkSocket: "TCP raw socket",
	LinkVXI11:  "VXI-11",
	LinkHiSLIP: "HiSLIP",
	LinkSerial: "serial",
	LinkGPIB:   "GPIB",
	LinkUSBTMC: "USBTMC",
	LinkSim:    "simulated instrument",
}

// NoAddress marks an optional numeric part that the resource string omits
// (a GPIB secondary address, a USB interface number).
const NoAddress = -1

// Resource is a parsed VISA resource string. Only the fields of its
// Interface are meaningful; String gives the canonical form.
type Resource struct {
	Interface string // "TCPIP", "ASRL", "GPIB", "USB" or "SIM"
	Board     int    // board number; 0 when the string omits it
	Class     string // "INSTR", "SOCKET" or "RAW"

	Host   string // TCPIP: host name or address (IPv6 without brackets)
	Port   int    // TCPIP SOCKET: TCP port
	Device string // TCPIP INSTR: LAN device name, "inst0" by default, "hislip0"...

	SerialPort string // ASRL: device path or name ("/dev/ttyUSB0", "COM3"); "" for ASRLn

	PrimaryAddress   int // GPIB: 0..30
	SecondaryAddress int // GPIB: 0..30, or NoAddress

	VendorID     uint16 // USB
	ProductID    uint16 // USB
	SerialNumber string // USB
	USBInterface int    // USB interface number, or NoAddress

	Model string // SIM: the simulated model's name
}

// Link returns the registry name of the link that serves r.
func (r Resource) Link() string {
	switch r.Interface {
	case "TCPIP":
		if r.Class == "SOCKET" {
			return LinkSocket
		}
		if strings.HasPrefix(strings.ToLower(r.Device), "hislip") {
			return LinkHiSLIP
		}
		return LinkVXI11
	case "ASRL":
		return LinkSerial
	case "GPIB":
		return LinkGPIB
	case "USB":
		return LinkUSBTMC
	case "SIM":
		return LinkSim
	}
	return ""
}

// Address is "host:port" for a SOCKET resource and the host otherwise.
func (r Resource) Address() string {
	if r.Class == "SOCKET" {
		return joinHostPort(r.Host, r.Port)
	}
	return r.Host
}

func joinHostPort(host string, port int) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]:" + strconv.Itoa(port)
	}
	return host + ":" + strconv.Itoa(port)
}

// String returns the canonical resource string, with the board number and
// resource class spelt out.
func (r Resource) String() string {
	b := r.Interface + strconv.Itoa(r.Board)
	switch r.Interface {
	case "TCPIP":
		host := r.Host
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		if r.Class == "SOCKET" {
			return fmt.Sprintf("%s::%s::%d::SOCKET", b, host, r.Port)
		}
		return fmt.Sprintf("%s::%s::%s::INSTR", b, host, r.Device)
	case "ASRL":
		if r.SerialPort != "" {
			return "ASRL" + r.SerialPort + "::INSTR"
		}
		return b + "::INSTR"
	case "GPIB":
		if r.SecondaryAddress != NoAddress {
			return fmt.Sprintf("%s::%d::%d::INSTR", b, r.PrimaryAddress, r.SecondaryAddress)
		}
		return fmt.Sprintf("%s::%d::INSTR", b, r.PrimaryAddress)
	case "USB":
		s := fmt.Sprintf("%s::0x%04X::0x%04X::%s", b, r.VendorID, r.ProductID, r.SerialNumber)
		if r.USBInterface != NoAddress {
			s += "::" + strconv.Itoa(r.USBInterface)
		}
		return s + "::" + r.Class
	case "SIM":
		return fmt.Sprintf("%s::%s::INSTR", b, r.Model)
	}
	return ""
}

// ErrBadResource is matched (errors.Is) by every resource-string parse
// error; errors.As with *ResourceError gives the details.
var ErrBadResource = errors.New("bad resource string")

// ResourceError says which part of a resource string is wrong.
type ResourceError struct {
	Resource string // the string as given
	Part     string // which part: "interface", "host", "port", "class"...
	Value    string // the offending text, when there is one
	Reason   string
}

func (e *ResourceError) Error() string {
	if e.Value != "" {
		return fmt.Sprintf("transport: resource %q: %s %q: %s", e.Resource, e.Part, e.Value, e.Reason)
	}
	return fmt.Sprintf("transport: resource %q: %s: %s", e.Resource, e.Part, e.Reason)
}

// Is makes every ResourceError match ErrBadResource.
func (e *ResourceError) Is(target error) bool { return target == ErrBadResource }

// ParseResource parses a VISA resource string. Interface names and classes
// are case-insensitive and board numbers optional:
//
//	TCPIP[board]::host::port::SOCKET
//	TCPIP[board]::host[::device][::INSTR]        (VXI-11; device inst0 by default)
//	TCPIP[board]::host::hislipN[::INSTR]        (HiSLIP)
//	ASRL[board][::INSTR], ASRL/dev/ttyUSB0::INSTR, ASRLCOM3::INSTR
//	GPIB[board]::primary[::secondary][::INSTR]
//	USB[board]::vendor::product::serial[::interface][::INSTR|RAW]
//	SIM[board]::model[::INSTR]                  (in-process simulated instrument)
//
// IPv6 hosts are written in brackets: TCPIP::[fe80::1]::5025::SOCKET.
func ParseResource(s string) (Resource, error) {
	p := parser{in: s}
	return p.parse()
}

type parser struct{ in string }

func (p *parser) fail(part, value, reason string) error {
	return &ResourceError{Resource: p.in, Part: part, Value: value, Reason: reason}
}

// interfaces in matching order: a longer name must come before its prefix.
var interfaceNames = []string{"TCPIP", "ASRL", "GPIB", "USB", "SIM"}

func (p *parser) parse() (Resource, error) {
	r := Resource{SecondaryAddress: NoAddress, USBInterface: NoAddress}
	s := strings.TrimSpace(p.in)
	if s == "" {
		return r, p.fail("resource", "", "empty string")
	}
	for _, name := range interfaceNames {
		if len(s) >= len(name) && strings.EqualFold(s[:len(name)], name) {
			r.Interface = name
			break
		}
	}
	if r.Interface == "" {
		head, _, _ := strings.Cut(s, "::")
		return r, p.fail("interface", head, "unknown interface type (want TCPIP, ASRL, GPIB, USB or SIM)")
	}
	rest := s[len(r.Interface):]
	if r.Interface == "ASRL" {
		return p.serial(r, rest)
	}
	head, tail, _ := strings.Cut(rest, "::")
	if head != "" {
		n, ok := decimal(head)
		if !ok {
			return r, p.fail("board number", head, "not a non-negative integer")
		}
		r.Board = n
	}
	switch r.Interface {
	case "TCPIP":
		return p.tcpip(r, tail)
	case "GPIB":
		return p.gpib(r, splitParts(tail))
	case "USB":
		return p.usb(r, splitParts(tail))
	default:
		return p.sim(r, splitParts(tail))
	}
}

func splitParts(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, "::")
}

// takeClass removes a trailing resource class from parts, if one is there.
func takeClass(parts []string, classes ...string) ([]string, string) {
	if len(parts) == 0 {
		return parts, ""
	}
	last := parts[len(parts)-1]
	for _, c := range classes {
		if strings.EqualFold(last, c) {
			return parts[:len(parts)-1], c
		}
	}
	return parts, ""
}

func (p *parser) checkClass(parts []string, allowed string) error {
	if len(parts) == 0 {
		return nil
	}
	last := strings.ToUpper(parts[len(parts)-1])
	switch last {
	case "INSTR", "SOCKET", "RAW", "INTFC", "BACKPLANE", "SERVANT", "MEMACC":
		return p.fail("resource class", parts[len(parts)-1], "not supported here (want "+allowed+")")
	}
	return nil
}

func (p *parser) tcpip(r Resource, tail string) (Resource, error) {
	if tail == "" {
		return r, p.fail("host", "", "missing")
	}
	var host string
	if strings.HasPrefix(tail, "[") {
		end := strings.Index(tail, "]")
		if end < 0 {
			return r, p.fail("host", tail, "unclosed '[' in IPv6 address")
		}
		host, tail = tail[1:end], tail[end+1:]
		if host == "" {
			return r, p.fail("host", "[]", "empty IPv6 address")
		}
		if tail != "" && !strings.HasPrefix(tail, "::") {
			return r, p.fail("host", tail, "unexpected text after ']'")
		}
		tail = strings.TrimPrefix(tail, "::")
	} else {
		host, tail, _ = strings.Cut(tail, "::")
	}
	if host == "" {
		return r, p.fail("host", "", "missing")
	}
	if !validHost(host) {
		return r, p.fail("host", host, "not a host name or address")
	}
	r.Host = host
	parts, class := takeClass(splitParts(tail), "INSTR", "SOCKET")
	switch class {
	case "SOCKET":
		r.Class = "SOCKET"
		if len(parts) != 1 {
			if len(parts) == 0 {
				return r, p.fail("port", "", "missing before ::SOCKET")
			}
			return r, p.fail("resource", "", "too many parts for TCPIP::host::port::SOCKET")
		}
		port, ok := decimal(parts[0])
		if !ok || port < 1 || port > 65535 {
			return r, p.fail("port", parts[0], "not a TCP port (1-65535)")
		}
		r.Port = port
		return r, nil
	default:
		r.Class = "INSTR"
		if err := p.checkClass(parts, "INSTR or SOCKET"); err != nil {
			return r, err
		}
		switch len(parts) {
		case 0:
			r.Device = "inst0"
		case 1:
			if _, ok := decimal(parts[0]); ok {
				return r, p.fail("resource class", "", "a port number needs ::SOCKET")
			}
			if !validDeviceName(parts[0]) {
				return r, p.fail("LAN device name", parts[0], "want a name such as inst0, hislip0 or gpib0,5")
			}
			r.Device = parts[0]
		default:
			return r, p.fail("resource", "", "too many parts for TCPIP::host[::device]::INSTR")
		}
		return r, nil
	}
}

func validDeviceName(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isLetter(c) && !(c >= '0' && c <= '9') && c != ',' && c != '_' && c != '.' {
			return false
		}
	}
	return true
}

func isLetter(c byte) bool { return (c|0x20) >= 'a' && (c|0x20) <= 'z' }

func (p *parser) serial(r Resource, rest string) (Resource, error) {
	r.Class = "INSTR"
	head, tail, _ := strings.Cut(rest, "::")
	switch {
	case head == "":
		// ASRL::INSTR: board 0.
	case head[0] >= '0' && head[0] <= '9':
		n, ok := decimal(head)
		if !ok {
			return r, p.fail("board number", head, "not a non-negative integer")
		}
		r.Board = n
	case (head[0] == '/' || isLetter(head[0])) && printableName(head):
		r.SerialPort = head
	default:
		return r, p.fail("serial port", head, "want a board number, a device path or a port name such as COM3")
	}
	parts, _ := takeClass(splitParts(tail), "INSTR")
	if len(parts) > 0 {
		if err := p.checkClass(parts, "INSTR"); err != nil {
			return r, err
		}
		extra := parts[0]
		if strings.EqualFold(extra, "INSTR") && len(parts) > 1 {
			extra = parts[1]
		}
		return r, p.fail("resource", extra, "unexpected part after the serial port")
	}
	return r, nil
}

func (p *parser) gpib(r Resource, parts []string) (Resource, error) {
	parts, _ = takeClass(parts, "INSTR")
	if err := p.checkClass(parts, "INSTR"); err != nil {
		return r, err
	}
	r.Class = "INSTR"
	if len(parts) == 0 {
		return r, p.fail("primary address", "", "missing")
	}
	if len(parts) > 2 {
		return r, p.fail("resource", "", "too many parts for GPIB::primary[::secondary]::INSTR")
	}
	pa, ok := decimal(parts[0])
	if !ok || pa > 30 {
		return r, p.fail("primary address", parts[0], "not a GPIB address (0-30)")
	}
	r.PrimaryAddress = pa
	if len(parts) == 2 {
		sa, ok := decimal(parts[1])
		if !ok || sa > 30 {
			return r, p.fail("secondary address", parts[1], "not a GPIB secondary address (0-30)")
		}
		r.SecondaryAddress = sa
	}
	return r, nil
}

func (p *parser) usb(r Resource, parts []string) (Resource, error) {
	parts, class := takeClass(parts, "INSTR", "RAW")
	if err := p.checkClass(parts, "INSTR or RAW"); err != nil {
		return r, err
	}
	if class == "" {
		class = "INSTR"
	}
	r.Class = class
	if len(parts) < 3 {
		names := []string{"vendor ID", "product ID", "serial number"}
		return r, p.fail(names[len(parts)], "", "missing")
	}
	if len(parts) > 4 {
		return r, p.fail("resource", "", "too many parts for USB::vendor::product::serial[::interface]::INSTR")
	}
	vid, err := parseID(parts[0])
	if err != nil {
		return r, p.fail("vendor ID", parts[0], err.Error())
	}
	pid, err := parseID(parts[1])
	if err != nil {
		return r, p.fail("product ID", parts[1], err.Error())
	}
	if parts[2] == "" {
		return r, p.fail("serial number", "", "empty")
	}
	if !printableName(parts[2]) {
		return r, p.fail("serial number", parts[2], "not printable ASCII without spaces or colons")
	}
	r.VendorID, r.ProductID, r.SerialNumber = vid, pid, parts[2]
	if len(parts) == 4 {
		n, ok := decimal(parts[3])
		if !ok || n > 255 {
			return r, p.fail("USB interface number", parts[3], "not an interface number (0-255)")
		}
		r.USBInterface = n
	}
	return r, nil
}

// decimal parses s as plain decimal digits, as resource strings write
// numbers: strconv.Atoi alone would take "+5" and "-0" too.
func decimal(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

func parseID(s string) (uint16, error) {
	base, digits := 10, s
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		base, digits = 16, s[2:]
	}
	n, err := strconv.ParseUint(digits, base, 16)
	if err != nil {
		return 0, errors.New("not a 16-bit number (decimal or 0x hex)")
	}
	return uint16(n), nil
}

func (p *parser) sim(r Resource, parts []string) (Resource, error) {
	parts, _ = takeClass(parts, "INSTR")
	if err := p.checkClass(parts, "INSTR"); err != nil {
		return r, err
	}
	r.Class = "INSTR"
	if len(parts) == 0 || parts[0] == "" {
		return r, p.fail("model", "", "missing")
	}
	if len(parts) > 1 {
		return r, p.fail("resource", "", "too many parts for SIM::model::INSTR")
	}
	if !printableName(parts[0]) {
		return r, p.fail("model", parts[0], "model names are printable ASCII without spaces or colons")
	}
	r.Model = parts[0]
	return r, nil
}

// printableName reports whether s is printable ASCII without spaces or
// colons, so that it survives the "::" separators of a resource string.
func printableName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == ':' || c > '~' {
			return false
		}
	}
	return true
}

// validHost accepts host names, IPv4 addresses and (already unbracketed)
// IPv6 addresses with an optional %zone.
func validHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case isLetter(c), c >= '0' && c <= '9', c == '.', c == '-', c == '_':
		case c == ':' || c == '%':
			if !strings.Contains(h, ":") {
				return false
			}
		default:
			return false
		}
	}
	return h != "" && h[0] != '-'
}
