package dnsmsg

import (
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoundTrip(t *testing.T) {
	m := Message{ID: 0, Response: true,
		Questions: []Question{{Name: "_hislip._tcp.local.", Type: TypePTR, Unicast: true}},
		Answers:   []Record{{Name: "_hislip._tcp.local.", Type: TypePTR, TTL: 120, Target: "DP832 sim._hislip._tcp.local."}},
		Additional: []Record{
			{Name: "DP832 sim._hislip._tcp.local.", Type: TypeSRV, TTL: 120, Port: 4880, Target: "sim-1.local."},
			{Name: "DP832 sim._hislip._tcp.local.", Type: TypeTXT, TTL: 120, Text: []string{"Manufacturer=RIGOL", "Model=DP832"}},
			{Name: "sim-1.local.", Type: TypeA, TTL: 120, Addr: netip.MustParseAddr("127.0.0.1")},
			{Name: "sim-1.local.", Type: TypeAAAA, TTL: 120, Addr: netip.MustParseAddr("::1")},
		}}
	b, err := m.Append(nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Fatal(diff)
	}
}

func TestCompressedNamesAndHostileInput(t *testing.T) {
	// A response whose PTR target points back into the question's name.
	b := []byte{0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0,
		4, '_', 'l', 'x', 'i', 4, '_', 't', 'c', 'p', 5, 'l', 'o', 'c', 'a', 'l', 0, 0, 12, 0, 1,
		0xC0, 12, 0, 12, 0, 1, 0, 0, 0, 120, 0, 6, 3, 'b', 'o', 'x', 0xC0, 12}
	m, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Answers[0].Name != "_lxi._tcp.local." || m.Answers[0].Target != "box._lxi._tcp.local." {
		t.Fatalf("%+v", m.Answers[0])
	}
	loop := []byte{0, 0, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 12, 0, 1}
	if _, err := Parse(loop); !errors.Is(err, ErrMalformed) {
		t.Fatalf("pointer loop: %v", err)
	}
	if _, err := Parse([]byte{1, 2, 3}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("short: %v", err)
	}
}

// FuzzParse decodes arbitrary bytes: a message or ErrMalformed, never a
// panic; what decodes encodes again.
func FuzzParse(f *testing.F) {
	m := Message{Questions: []Question{{Name: "_scpi-raw._tcp.local.", Type: TypePTR}}}
	b, _ := m.Append(nil)
	f.Add(b)
	f.Add([]byte{0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 33, 0, 1, 0, 0, 0, 1, 0, 7, 0, 0, 0, 0, 0x13, 0x88, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not match ErrMalformed", err)
			}
			return
		}
		for _, r := range append(m.Answers, m.Additional...) {
			if len(r.Name) > 256 || len(r.Target) > 256 {
				t.Fatalf("name longer than DNS allows: %q", r.Name)
			}
		}
	})
}
