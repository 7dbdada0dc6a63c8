package transport

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func res(mod func(*Resource)) Resource {
	r := Resource{SecondaryAddress: NoAddress, USBInterface: NoAddress}
	mod(&r)
	return r
}

func TestParseResourceForms(t *testing.T) {
	tests := []struct {
		in        string
		want      Resource
		link      string
		canonical string
	}{
		{"TCPIP0::10.0.0.5::5025::SOCKET", res(func(r *Resource) {
			r.Interface, r.Class, r.Host, r.Port = "TCPIP", "SOCKET", "10.0.0.5", 5025
		}), LinkSocket, "TCPIP0::10.0.0.5::5025::SOCKET"},
		{"tcpip::scope.lab::5025::socket", res(func(r *Resource) {
			r.Interface, r.Class, r.Host, r.Port = "TCPIP", "SOCKET", "scope.lab", 5025
		}), LinkSocket, "TCPIP0::scope.lab::5025::SOCKET"},
		{"TCPIP3::[fe80::1]::5025::SOCKET", res(func(r *Resource) {
			r.Interface, r.Board, r.Class, r.Host, r.Port = "TCPIP", 3, "SOCKET", "fe80::1", 5025
		}), LinkSocket, "TCPIP3::[fe80::1]::5025::SOCKET"},
		{"TCPIP::host::inst0::INSTR", res(func(r *Resource) {
			r.Interface, r.Class, r.Host, r.Device = "TCPIP", "INSTR", "host", "inst0"
		}), LinkVXI11, "TCPIP0::host::inst0::INSTR"},
		{"TCPIP::host::INSTR", res(func(r *Resource) {
			r.Interface, r.Class, r.Host, r.Device = "TCPIP", "INSTR", "host", "inst0"
		}), LinkVXI11, "TCPIP0::host::inst0::INSTR"},
		{"TCPIP0::192.168.1.7", res(func(r *Resource) {
			r.Interface, r.Class, r.Host, r.Device = "TCPIP", "INSTR", "192.168.1.7", "inst0"
		}), LinkVXI11, "TCPIP0::192.168.1.7::inst0::INSTR"},
		{"TCPIP::host::gpib0,5::INSTR", res(func(r *Resource) {
			r.Interface, r.Class, r.Host, r.Device = "TCPIP", "INSTR", "host", "gpib0,5"
		}), LinkVXI11, "TCPIP0::host::gpib0,5::INSTR"},
		{"TCPIP::host::hislip0::INSTR", res(func(r *Resource) {
			r.Interface, r.Class, r.Host, r.Device = "TCPIP", "INSTR", "host", "hislip0"
		}), LinkHiSLIP, "TCPIP0::host::hislip0::INSTR"},
		{"tcpip1::host::HISLIP1", res(func(r *Resource) {
			r.Interface, r.Board, r.Class, r.Host, r.Device = "TCPIP", 1, "INSTR", "host", "HISLIP1"
		}), LinkHiSLIP, "TCPIP1::host::HISLIP1::INSTR"},
		{"ASRL/dev/ttyUSB0::INSTR", res(func(r *Resource) {
			r.Interface, r.Class, r.SerialPort = "ASRL", "INSTR", "/dev/ttyUSB0"
		}), LinkSerial, "ASRL/dev/ttyUSB0::INSTR"},
		{"asrl3::instr", res(func(r *Resource) {
			r.Interface, r.Class, r.Board = "ASRL", "INSTR", 3
		}), LinkSerial, "ASRL3::INSTR"},
		{"ASRLCOM4", res(func(r *Resource) {
			r.Interface, r.Class, r.SerialPort = "ASRL", "INSTR", "COM4"
		}), LinkSerial, "ASRLCOM4::INSTR"},
		{"GPIB0::5::INSTR", res(func(r *Resource) {
			r.Interface, r.Class, r.PrimaryAddress = "GPIB", "INSTR", 5
		}), LinkGPIB, "GPIB0::5::INSTR"},
		{"gpib::22", res(func(r *Resource) {
			r.Interface, r.Class, r.PrimaryAddress = "GPIB", "INSTR", 22
		}), LinkGPIB, "GPIB0::22::INSTR"},
		{"GPIB1::5::3::INSTR", res(func(r *Resource) {
			r.Interface, r.Board, r.Class, r.PrimaryAddress, r.SecondaryAddress = "GPIB", 1, "INSTR", 5, 3
		}), LinkGPIB, "GPIB1::5::3::INSTR"},
		{"USB0::0x2A8D::0x1002::MY123::INSTR", res(func(r *Resource) {
			r.Interface, r.Class, r.VendorID, r.ProductID, r.SerialNumber = "USB", "INSTR", 0x2A8D, 0x1002, "MY123"
		}), LinkUSBTMC, "USB0::0x2A8D::0x1002::MY123::INSTR"},
		{"usb::10893::4098::MY123::0::raw", res(func(r *Resource) {
			r.Interface, r.Class, r.VendorID, r.ProductID, r.SerialNumber, r.USBInterface = "USB", "RAW", 0x2A8D, 0x1002, "MY123", 0
		}), LinkUSBTMC, "USB0::0x2A8D::0x1002::MY123::0::RAW"},
		{"USB::0x1AB1::0x0E11::DP8C1234", res(func(r *Resource) {
			r.Interface, r.Class, r.VendorID, r.ProductID, r.SerialNumber = "USB", "INSTR", 0x1AB1, 0x0E11, "DP8C1234"
		}), LinkUSBTMC, "USB0::0x1AB1::0x0E11::DP8C1234::INSTR"},
		{"SIM::E36312A::INSTR", res(func(r *Resource) {
			r.Interface, r.Class, r.Model = "SIM", "INSTR", "E36312A"
		}), LinkSim, "SIM0::E36312A::INSTR"},
		{"  sim2::dp832  ", res(func(r *Resource) {
			r.Interface, r.Board, r.Class, r.Model = "SIM", 2, "INSTR", "dp832"
		}), LinkSim, "SIM2::dp832::INSTR"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseResource(tt.in)
			if err != nil {
				t.Fatalf("ParseResource: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if got.Link() != tt.link {
				t.Errorf("Link() = %q, want %q", got.Link(), tt.link)
			}
			if s := got.String(); s != tt.canonical {
				t.Errorf("String() = %q, want %q", s, tt.canonical)
			}
			again, err := ParseResource(got.String())
			if err != nil || !cmp.Equal(again, got) {
				t.Errorf("canonical form does not round-trip: %v, %v", again, err)
			}
		})
	}
}

func TestParseResourceErrors(t *testing.T) {
	tests := []struct {
		in, part, value string
	}{
		{"", "resource", ""},
		{"FOO0::1::INSTR", "interface", "FOO0"},
		{"TCPIPx::host::INSTR", "board number", "x"},
		{"TCPIP::", "host", ""},
		{"TCPIP0::::5025::SOCKET", "host", ""},
		{"TCPIP::host::SOCKET", "port", ""},
		{"TCPIP::host::abc::SOCKET", "port", "abc"},
		{"TCPIP::host::70000::SOCKET", "port", "70000"},
		{"TCPIP::host::0::SOCKET", "port", "0"},
		{"TCPIP::host::1::2::SOCKET", "resource", ""},
		{"TCPIP::host::5025", "resource class", ""},
		{"TCPIP::host::inst0::INTFC", "resource class", "INTFC"},
		{"TCPIP::host::in st0::INSTR", "LAN device name", "in st0"},
		{"TCPIP::host::a::b::INSTR", "resource", ""},
		{"TCPIP::[fe80::1::5025::SOCKET", "host", "[fe80::1::5025::SOCKET"},
		{"TCPIP::[]::5025::SOCKET", "host", "[]"},
		{"TCPIP::user@host::INSTR", "host", "user@host"},
		{"ASRL3::INSTR::x", "resource", "x"},
		{"ASRL-1::INSTR", "serial port", "-1"},
		{"GPIB0::INSTR", "primary address", ""},
		{"GPIB0::31::INSTR", "primary address", "31"},
		{"GPIB0::5::x::INSTR", "secondary address", "x"},
		{"GPIB0::INTFC", "resource class", "INTFC"},
		{"GPIB0::1::2::3::INSTR", "resource", ""},
		{"USB0::0x2A8D::INSTR", "product ID", ""},
		{"USB0::0xZZ::0x1002::S::INSTR", "vendor ID", "0xZZ"},
		{"USB0::0x2A8D::70000::S::INSTR", "product ID", "70000"},
		{"USB0::1::2::::INSTR", "serial number", ""},
		{"USB0::1::2::S::300::INSTR", "USB interface number", "300"},
		{"SIM::INSTR", "model", ""},
		{"SIM::a b::INSTR", "model", "a b"},
		{"SIM::a::b::INSTR", "resource", ""},
		// Numbers are plain decimal digits: no sign.
		{"TCPIP0::h::+5025::SOCKET", "port", "+5025"},
		{"TCPIP+0::h::INSTR", "board number", "+0"},
		{"GPIB-0::5::INSTR", "board number", "-0"},
		{"GPIB::+5::INSTR", "primary address", "+5"},
		{"GPIB::-0::INSTR", "primary address", "-0"},
		{"GPIB0::5::+2::INSTR", "secondary address", "+2"},
		{"USB0::1::2::S::+3::INSTR", "USB interface number", "+3"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseResource(tt.in)
			if !errors.Is(err, ErrBadResource) {
				t.Fatalf("err = %v, want ErrBadResource", err)
			}
			var re *ResourceError
			if !errors.As(err, &re) {
				t.Fatalf("err %T is not a *ResourceError", err)
			}
			if re.Part != tt.part || re.Value != tt.value {
				t.Errorf("part, value = %q, %q; want %q, %q (%v)", re.Part, re.Value, tt.part, tt.value, err)
			}
			if !strings.Contains(err.Error(), tt.part) {
				t.Errorf("message %q does not name the part %q", err, tt.part)
			}
		})
	}
}

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{
		"TCPIP0::10.0.0.5::5025::SOCKET", "TCPIP::host::hislip0::INSTR", "TCPIP::[::1]::inst0",
		"ASRL/dev/ttyUSB0::INSTR", "ASRL3::INSTR", "GPIB0::5::2::INSTR",
		"USB0::0x2A8D::0x1002::MY123::0::INSTR", "SIM::dp832::INSTR", "::", "TCPIP::[",
		"TCPIP0::h::+5025::SOCKET", "GPIB::+5::INSTR", "GPIB0::5::-0::INSTR", "TCPIP+0::h::INSTR",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseResource(s)
		if err != nil {
			if !errors.Is(err, ErrBadResource) {
				t.Fatalf("error %v does not match ErrBadResource", err)
			}
			return
		}
		if r.Link() == "" {
			t.Fatalf("parsed %q into a resource with no link: %+v", s, r)
		}
		again, err := ParseResource(r.String())
		if err != nil {
			t.Fatalf("canonical %q of %q does not parse: %v", r.String(), s, err)
		}
		if !cmp.Equal(again, r) {
			t.Fatalf("canonical form of %q does not round-trip:\n%s", s, cmp.Diff(r, again))
		}
	})
}
