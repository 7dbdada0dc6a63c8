package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/scpikit/scpikit/transport"
	"go.yaml.in/yaml/v3"
)

// Bench is a set of simulated instruments, each standing in for a
// resource string, so that a test program opens the strings it uses on
// real hardware (TCPIP0::10.0.0.5::5025::SOCKET) and reaches simulated
// instruments instead, in process, with no sockets:
//
//	bench := sim.NewBench()
//	bench.Add("TCPIP0::10.0.0.5::5025::SOCKET", sim.MustNew("SAMPLE"))
//	s, err := scpi.Open(ctx, "TCPIP0::10.0.0.5::5025::SOCKET",
//		scpi.WithTransportOptions(bench.TransportOption()))
//
// Each bench has its own instruments, so tests do not share state.
type Bench struct {
	mu    sync.Mutex
	byRes map[string]*Instrument // canonical resource string
	names map[string]*Instrument // bench-file names
	order []string
}

// NewBench returns an empty bench.
func NewBench() *Bench {
	return &Bench{byRes: map[string]*Instrument{}, names: map[string]*Instrument{}}
}

// MustNew starts an instrument of a registered model and panics if there
// is none: for tests and examples with a literal model name.
func MustNew(model string) *Instrument {
	in, err := New(model)
	if err != nil {
		panic(err)
	}
	return in
}

// Add puts in at resource. The string is parsed and compared in its
// canonical form, so "tcpip::host::5025::socket" and
// "TCPIP0::host::5025::SOCKET" are the same place.
func (b *Bench) Add(resource string, in *Instrument) error {
	r, err := transport.ParseResource(resource)
	if err != nil {
		return err
	}
	key := r.String()
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, dup := b.byRes[key]; dup {
		return fmt.Errorf("sim: bench already has an instrument at %s", key)
	}
	b.byRes[key] = in
	b.order = append(b.order, key)
	return nil
}

// Instrument returns the instrument at resource.
func (b *Bench) Instrument(resource string) (*Instrument, bool) {
	r, err := transport.ParseResource(resource)
	if err != nil {
		return nil, false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	in, ok := b.byRes[r.String()]
	return in, ok
}

// Named returns the instrument a bench file named.
func (b *Bench) Named(name string) (*Instrument, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	in, ok := b.names[name]
	return in, ok
}

// BenchEntry is one instrument of a bench: its name in the bench file (or
// its first resource string) and the resource strings it answers.
type BenchEntry struct {
	Name       string
	Resources  []string
	Instrument *Instrument
}

// Entries lists the bench's instruments, in the order first added.
func (b *Bench) Entries() []BenchEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []BenchEntry
	index := map[*Instrument]int{}
	for _, res := range b.order {
		in := b.byRes[res]
		i, ok := index[in]
		if !ok {
			name := res
			for n, named := range b.names {
				if named == in {
					name = n
				}
			}
			i = len(out)
			index[in] = i
			out = append(out, BenchEntry{Name: name, Instrument: in})
		}
		out[i].Resources = append(out[i].Resources, res)
	}
	return out
}

// Resources lists the bench's resource strings in the order added.
func (b *Bench) Resources() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.order)
}

// Intercept serves resources the bench has with an in-process Conn and
// passes on the others; it is a transport.InterceptFunc.
func (b *Bench) Intercept(ctx context.Context, r transport.Resource) (transport.Conn, bool, error) {
	b.mu.Lock()
	in, ok := b.byRes[r.String()]
	b.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	return in.Conn(), true, nil
}

// TransportOption makes transport.Open (and scpi.Open, through
// scpi.WithTransportOptions) serve the bench's resources.
func (b *Bench) TransportOption() transport.Option { return transport.WithIntercept(b.Intercept) }

// Close closes every instrument of the bench.
func (b *Bench) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, in := range b.byRes {
		in.Close()
	}
}

// Wire connects output channel (from 1) of a supply on the bench to a
// load: another instrument whose model is Powered (a DUT), or a Load such
// as a Resistor.
func (b *Bench) Wire(supply *Instrument, channel int, load any) error {
	var out *Output
	supply.Do(func(d Device) {
		if s, ok := d.(Supply); ok {
			out, _ = s.Output(channel)
		}
	})
	if out == nil {
		return fmt.Errorf("sim: %s has no output %d to wire", supply.Model(), channel)
	}
	switch l := load.(type) {
	case *Instrument:
		var p Powered
		l.Do(func(d Device) { p, _ = d.(Powered) })
		if p == nil {
			return fmt.Errorf("sim: a %s cannot be powered from a supply", l.Model())
		}
		p.PoweredBy(out)
		out.Connect(p)
	case Load:
		out.Connect(l)
	default:
		return fmt.Errorf("sim: cannot wire a %T to a supply", load)
	}
	return nil
}

// SetSerial sets the serial number the instrument's *IDN? reports, so
// that the boards of a bench can be told apart as real ones are. Models
// whose serial is fixed refuse it.
func (in *Instrument) SetSerial(serial string) error {
	if serial == "" || strings.ContainsAny(serial, ",;\r\n\"") {
		return fmt.Errorf("sim: serial %q: want a non-empty string without commas, semicolons, quotes or line ends", serial)
	}
	var err error
	in.Do(func(d Device) {
		s, ok := d.(interface{ SetSerial(string) })
		if !ok {
			err = fmt.Errorf("sim: a %s's serial number cannot be set", in.Model())
			return
		}
		s.SetSerial(serial)
	})
	return err
}

// SetNoise gives every output of a supply model a relative measurement
// noise (a standard deviation, e.g. 0.001 for 0.1%), from a seeded
// generator so runs repeat.
func (in *Instrument) SetNoise(relative float64, seed uint64) error {
	if relative < 0 || relative > 0.5 {
		return fmt.Errorf("sim: noise %v: want a relative standard deviation from 0 to 0.5", relative)
	}
	var err error
	in.Do(func(d Device) {
		s, ok := d.(Supply)
		if !ok {
			err = fmt.Errorf("sim: a %s has no outputs to add noise to", in.Model())
			return
		}
		for ch := 1; ; ch++ {
			o, ok := s.Output(ch)
			if !ok {
				return
			}
			o.SetNoise(relative, seed+uint64(ch))
		}
	})
	return err
}

// Probe wires a meter (a DMM model) across output channel of a supply.
func (b *Bench) Probe(meter, supply *Instrument, channel int) error {
	var out *Output
	supply.Do(func(d Device) {
		if s, ok := d.(Supply); ok {
			out, _ = s.Output(channel)
		}
	})
	if out == nil {
		return fmt.Errorf("sim: %s has no output %d to probe", supply.Model(), channel)
	}
	ok := false
	meter.Do(func(d Device) {
		var p Prober
		if p, ok = d.(Prober); ok {
			p.ProbeOutput(out)
		}
	})
	if !ok {
		return fmt.Errorf("sim: a %s does not measure", meter.Model())
	}
	return nil
}

// benchFile is the scpikit bench format.
type benchFile struct {
	Instruments map[string]struct {
		Resource  string   `yaml:"resource"`
		Resources []string `yaml:"resources"`
		Model     string   `yaml:"model"`
		Faults    *Faults  `yaml:"faults"`
		Noise     float64  `yaml:"noise"` // relative measurement noise of a supply's outputs
		Seed      uint64   `yaml:"seed"`
		Serial    string   `yaml:"serial"` // the serial number *IDN? reports
	} `yaml:"instruments"`
	Wiring []struct {
		Supply   string  `yaml:"supply"`
		Channel  int     `yaml:"channel"`
		Load     string  `yaml:"load"`
		Resistor float64 `yaml:"resistor"`
		Meter    string  `yaml:"meter"` // a DMM measuring the output
	} `yaml:"wiring"`
}

// LoadBench reads a bench file: the scpikit format (instruments by name,
// each with a model, the resource strings it answers and its faults) or a
// pyvisa-sim definition file (devices, resources), recognised by its
// keys.
//
//	instruments:
//	  supply:
//	    model: E36312A
//	    resource: TCPIP0::10.0.0.5::5025::SOCKET
//	    faults: {latency: 2ms, jitter: 1ms}
//	  board:
//	    model: DUT
//	    resource: ASRL/dev/ttyUSB0::INSTR
//	wiring:
//	  - {supply: supply, channel: 1, load: board}
//	  - {supply: supply, channel: 2, resistor: 10, meter: dmm}
func LoadBench(path string) (*Bench, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	b, err := ParseBench(data, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("sim: bench %s: %w", path, err)
	}
	return b, nil
}

// ParseBench reads a bench from YAML; dir resolves files it refers to.
func ParseBench(data []byte, dir string) (*Bench, error) {
	var probe map[string]any
	if err := yaml.Unmarshal(data, &probe); err != nil {
		return nil, err
	}
	if _, ok := probe["devices"]; ok {
		return parsePyVISASim(data)
	}
	var f benchFile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, err
	}
	if len(f.Instruments) == 0 {
		return nil, errors.New("no instruments (want an instruments: map, or a pyvisa-sim file with devices:)")
	}
	b := NewBench()
	for _, name := range slices.Sorted(maps.Keys(f.Instruments)) {
		def := f.Instruments[name]
		in, err := New(def.Model)
		if err != nil {
			return nil, fmt.Errorf("instrument %s: %w", name, err)
		}
		if def.Faults != nil {
			if err := in.SetFaults(*def.Faults); err != nil {
				return nil, fmt.Errorf("instrument %s: %w", name, err)
			}
		}
		if def.Serial != "" {
			if err := in.SetSerial(def.Serial); err != nil {
				return nil, fmt.Errorf("instrument %s: %w", name, err)
			}
		}
		if def.Noise != 0 {
			if err := in.SetNoise(def.Noise, def.Seed); err != nil {
				return nil, fmt.Errorf("instrument %s: %w", name, err)
			}
		}
		res := def.Resources
		if def.Resource != "" {
			res = append([]string{def.Resource}, res...)
		}
		if len(res) == 0 {
			res = []string{"SIM::" + strings.ToUpper(name) + "::INSTR"}
		}
		for _, r := range res {
			if err := b.Add(r, in); err != nil {
				return nil, fmt.Errorf("instrument %s: %w", name, err)
			}
		}
		b.names[name] = in
	}
	for i, w := range f.Wiring {
		supply, ok := b.names[w.Supply]
		if !ok {
			return nil, fmt.Errorf("wiring %d: no instrument %q", i+1, w.Supply)
		}
		if w.Meter != "" {
			meter, ok := b.names[w.Meter]
			if !ok {
				return nil, fmt.Errorf("wiring %d: no instrument %q", i+1, w.Meter)
			}
			if err := b.Probe(meter, supply, w.Channel); err != nil {
				return nil, fmt.Errorf("wiring %d: %w", i+1, err)
			}
			if w.Load == "" && w.Resistor == 0 {
				continue
			}
		}
		var load any
		switch {
		case w.Load != "" && w.Resistor != 0:
			return nil, fmt.Errorf("wiring %d: a load or a resistor, not both", i+1)
		case w.Load != "":
			if load, ok = b.names[w.Load]; !ok {
				return nil, fmt.Errorf("wiring %d: no instrument %q", i+1, w.Load)
			}
		case w.Resistor > 0:
			load = Resistor(w.Resistor)
		default:
			return nil, fmt.Errorf("wiring %d: needs a load or a positive resistor", i+1)
		}
		if err := b.Wire(supply, w.Channel, load); err != nil {
			return nil, fmt.Errorf("wiring %d: %w", i+1, err)
		}
	}
	return b, nil
}
