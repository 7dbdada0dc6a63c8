package instruments_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/instruments"
	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/units"
)

var update = flag.Bool("update", false, "rewrite docs/instruments from the drivers")

const docsDir = "../docs/instruments"

// docCall is a method as the reference pages show it.
type docCall struct {
	name string
	do   func(inst instruments.Instrument) (any, error)
}

func supplyDocCalls() []docCall {
	ps := func(i instruments.Instrument) instruments.PowerSupply { return i.(instruments.PowerSupply) }
	return []docCall{
		{"SetVoltage(ctx, 1, 5*units.Volt)", func(i instruments.Instrument) (any, error) { return nil, ps(i).SetVoltage(bg, 1, 5*units.Volt) }},
		{"Voltage(ctx, 1)", func(i instruments.Instrument) (any, error) { return ps(i).Voltage(bg, 1) }},
		{"SetCurrentLimit(ctx, 1, 500*units.Milliamp)", func(i instruments.Instrument) (any, error) {
			return nil, ps(i).SetCurrentLimit(bg, 1, 500*units.Milliamp)
		}},
		{"CurrentLimit(ctx, 1)", func(i instruments.Instrument) (any, error) { return ps(i).CurrentLimit(bg, 1) }},
		{"SetOutput(ctx, 1, true)", func(i instruments.Instrument) (any, error) { return nil, ps(i).SetOutput(bg, 1, true) }},
		{"Output(ctx, 1)", func(i instruments.Instrument) (any, error) { return ps(i).Output(bg, 1) }},
		{"MeasureVoltage(ctx, 1)", func(i instruments.Instrument) (any, error) { return ps(i).MeasureVoltage(bg, 1) }},
		{"MeasureCurrent(ctx, 1)", func(i instruments.Instrument) (any, error) { return ps(i).MeasureCurrent(bg, 1) }},
		{"Mode(ctx, 1)", func(i instruments.Instrument) (any, error) { return ps(i).Mode(bg, 1) }},
		{"SetAllOutputs(ctx, true)", func(i instruments.Instrument) (any, error) { return nil, ps(i).SetAllOutputs(bg, true) }},
		{"SafeState(ctx)", func(i instruments.Instrument) (any, error) { return nil, ps(i).SafeState(bg) }},
	}
}

func optionalDocCalls() []docCall {
	return []docCall{
		{"SetOVPLevel(ctx, 1, 5.5*units.Volt)", func(i instruments.Instrument) (any, error) {
			return nil, i.(instruments.OverVoltageProtector).SetOVPLevel(bg, 1, 5.5*units.Volt)
		}},
		{"OVPLevel(ctx, 1)", func(i instruments.Instrument) (any, error) {
			return i.(instruments.OverVoltageProtector).OVPLevel(bg, 1)
		}},
		{"OVPTripped(ctx, 1)", func(i instruments.Instrument) (any, error) {
			return i.(instruments.OverVoltageProtector).OVPTripped(bg, 1)
		}},
		{"ClearOVP(ctx, 1)", func(i instruments.Instrument) (any, error) {
			return nil, i.(instruments.OverVoltageProtector).ClearOVP(bg, 1)
		}},
		{"SetOCP(ctx, 1, true)", func(i instruments.Instrument) (any, error) {
			return nil, i.(instruments.OverCurrentProtector).SetOCP(bg, 1, true)
		}},
		{"OCPEnabled(ctx, 1)", func(i instruments.Instrument) (any, error) {
			return i.(instruments.OverCurrentProtector).OCPEnabled(bg, 1)
		}},
		{"OCPTripped(ctx, 1)", func(i instruments.Instrument) (any, error) {
			return i.(instruments.OverCurrentProtector).OCPTripped(bg, 1)
		}},
		{"ClearOCP(ctx, 1)", func(i instruments.Instrument) (any, error) {
			return nil, i.(instruments.OverCurrentProtector).ClearOCP(bg, 1)
		}},
		{"SetOCPLevel(ctx, 1, 500*units.Milliamp)", func(i instruments.Instrument) (any, error) {
			return nil, i.(instruments.OCPLeveler).SetOCPLevel(bg, 1, 500*units.Milliamp)
		}},
		{"OCPLevel(ctx, 1)", func(i instruments.Instrument) (any, error) {
			return i.(instruments.OCPLeveler).OCPLevel(bg, 1)
		}},
		{"SetRemoteSense(ctx, 1, true)", func(i instruments.Instrument) (any, error) {
			return nil, i.(instruments.RemoteSenser).SetRemoteSense(bg, 1, true)
		}},
		{"SetTracking(ctx, true)", func(i instruments.Instrument) (any, error) { return nil, i.(instruments.Tracker).SetTracking(bg, true) }},
		{"SetMasterOutput(ctx, false)", func(i instruments.Instrument) (any, error) {
			return nil, i.(instruments.MasterSwitch).SetMasterOutput(bg, false)
		}},
		{"MasterOutput(ctx)", func(i instruments.Instrument) (any, error) { return i.(instruments.MasterSwitch).MasterOutput(bg) }},
		{"ReadManyBinary(ctx, 3)", func(i instruments.Instrument) (any, error) {
			return i.(instruments.BinaryReader).ReadManyBinary(bg, 3)
		}},
	}
}

func dmmDocCalls() []docCall {
	m := func(i instruments.Instrument) instruments.DMM { return i.(instruments.DMM) }
	calls := []docCall{
		{"Configure(ctx, instruments.DCVoltage, 10)", func(i instruments.Instrument) (any, error) {
			return nil, m(i).Configure(bg, instruments.DCVoltage, 10)
		}},
		{"Configure(ctx, instruments.DCCurrent, 0)", func(i instruments.Instrument) (any, error) {
			return nil, m(i).Configure(bg, instruments.DCCurrent, 0)
		}},
		{"Read(ctx)", func(i instruments.Instrument) (any, error) { return m(i).Read(bg) }},
		{"ReadMany(ctx, 3)", func(i instruments.Instrument) (any, error) { return m(i).ReadMany(bg, 3) }},
	}
	return calls
}

func dutDocCalls() []docCall {
	d := func(i instruments.Instrument) instruments.DUT { return i.(instruments.DUT) }
	return []docCall{
		{"Identify(ctx)", func(i instruments.Instrument) (any, error) { return d(i).Identify(bg) }},
		{"SelfTest(ctx)", func(i instruments.Instrument) (any, error) { return nil, d(i).SelfTest(bg) }},
		{"FaultStatus(ctx)", func(i instruments.Instrument) (any, error) { return d(i).FaultStatus(bg) }},
		{"Reset(ctx)", func(i instruments.Instrument) (any, error) { return nil, d(i).Reset(bg) }},
	}
}

// optional interfaces, in the order the pages list them.
var optionalInterfaces = []struct {
	name string
	typ  reflect.Type
	// calls of optionalDocCalls that belong to it
	first, n int
}{
	{"OverVoltageProtector", reflect.TypeFor[instruments.OverVoltageProtector](), 0, 4},
	{"OverCurrentProtector", reflect.TypeFor[instruments.OverCurrentProtector](), 4, 4},
	{"OCPLeveler", reflect.TypeFor[instruments.OCPLeveler](), 8, 2},
	{"RemoteSenser", reflect.TypeFor[instruments.RemoteSenser](), 10, 1},
	{"Tracker", reflect.TypeFor[instruments.Tracker](), 11, 1},
	{"MasterSwitch", reflect.TypeFor[instruments.MasterSwitch](), 12, 2},
	{"BinaryReader", reflect.TypeFor[instruments.BinaryReader](), 14, 1},
}

type docPage struct {
	file, title string
	models      []string
	model       string // the simulated model the page is recorded from
}

func docPages() []docPage {
	var pages []docPage
	for _, d := range instruments.Drivers() {
		if d.Name == "Example EX-1" {
			continue // the guide's worked example, registered only in these tests: no product to document
		}
		model := d.Models[len(d.Models)/2]
		if model == "DUT-1" {
			model = "DUT" // the simulator's name for the board that answers DUT-1
		}
		pages = append(pages, docPage{
			file:   slug(d.Name) + ".md",
			title:  d.Name,
			models: d.Models,
			model:  model,
		})
	}
	return append(pages, docPage{file: "generic-scpi-supply.md", title: "Generic SCPI-99 supply",
		models: []string{"any other supply (the fallback of instruments.Open)"}, model: "SAMPLE"})
}

// record runs every method of the page's driver against its simulated
// model and renders the page.
func record(t *testing.T, page docPage) string {
	t.Helper()
	bench := sim.NewBench()
	defer bench.Close()
	in := sim.MustNew(page.model)
	target := in
	if page.model == "DUT" {
		// A DUT needs power: a supply on the bench, switched on.
		psu := sim.MustNew("E36312A")
		must(t, bench.Wire(psu, 2, target))
		ps := scpi.NewSession(psu.Conn())
		must(t, ps.Write(bg, "VOLT 12,(@2);:OUTP ON,(@2)"))
		ps.Close()
	} else if strings.HasPrefix(page.model, "344") {
		// A DMM measures a supply output: 5 V into 100 ohms.
		psu := sim.MustNew("E36312A")
		must(t, bench.Wire(psu, 1, sim.Resistor(100)))
		must(t, bench.Probe(in, psu, 1))
		ps := scpi.NewSession(psu.Conn())
		must(t, ps.Write(bg, "VOLT 5,(@1);:OUTP ON,(@1)"))
		ps.Close()
	} else {
		for ch := 1; bench.Wire(in, ch, sim.Resistor(100)) == nil; ch++ {
		}
	}
	isDUT := page.model == "DUT"
	rec := scpitest.NewRecorder(target.Conn())
	s := scpi.NewSession(rec, scpi.WithTimeout(time.Second))
	defer s.Close()
	if isDUT {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			if _, err := s.Query(bg, "*TST?"); err == nil {
				break
			}
		}
		time.Sleep(250 * time.Millisecond) // past the simulated board's boot time
	}
	inst, err := instruments.New(bg, s)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\n", page.title)
	fmt.Fprintf(&b, "<!-- Generated by `go test ./instruments -run TestReferenceDocs -update` from the driver, run against the simulated %s. Do not edit. -->\n\n", page.model)
	fmt.Fprintf(&b, "Models: %s. Go type: `%T`, chosen by `instruments.Open` from `*IDN?`.\n\n", strings.Join(page.models, ", "), inst)
	if p, ok := inst.(instruments.PowerSupply); ok {
		b.WriteString("Channels of the " + inst.Identity().Model + ":\n\n| channel | name | voltage | current |\n|---|---|---|---|\n")
		for _, c := range p.Channels() {
			fmt.Fprintf(&b, "| %d | %s | %v to %v | up to %v |\n", c.Number, c.Name, c.MinVoltage, c.MaxVoltage, c.MaxCurrent)
		}
		b.WriteString("\n")
	}
	var optional []string
	for _, oi := range optionalInterfaces {
		if reflect.TypeOf(inst).Implements(oi.typ) {
			optional = append(optional, "`instruments."+oi.name+"`")
		}
	}
	if len(optional) > 0 {
		fmt.Fprintf(&b, "Optional interfaces: %s.\n\n", strings.Join(optional, ", "))
	} else if _, ok := inst.(instruments.PowerSupply); ok {
		b.WriteString("Optional interfaces: none.\n\n")
	}
	b.WriteString("| method | sends | the simulated model answers | returns |\n|---|---|---|---|\n")
	calls := supplyDocCalls()
	if _, ok := inst.(instruments.DUT); ok {
		calls = dutDocCalls()
	}
	if _, ok := inst.(instruments.DMM); ok {
		calls = dmmDocCalls()
	}
	for _, oi := range optionalInterfaces {
		if reflect.TypeOf(inst).Implements(oi.typ) {
			calls = append(calls, optionalDocCalls()[oi.first:oi.first+oi.n]...)
		}
	}
	for _, c := range calls {
		before := len(rec.Exchanges())
		got, err := c.do(inst)
		xs := rec.Exchanges()[before:]
		var sent, replies []string
		for _, x := range xs {
			sent = append(sent, "`"+x.Command+"`")
			if x.HasReply {
				replies = append(replies, displayReply(x.Reply))
			}
		}
		result := "—"
		switch {
		case err != nil:
			result = "error: " + err.Error()
		case got != nil:
			result = fmt.Sprintf("`%v`", got)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", c.name, strings.Join(sent, "<br>"), orDash(replies), result)
	}
	return b.String()
}

// slug makes a file name of a driver name: "Rohde & Schwarz HMC804x" is
// "rohde-schwarz-hmc804x".
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
	}
	return b.String()
}

// displayReply shows a reply as sent, or a binary block as its header
// and length.
func displayReply(r string) string {
	for _, c := range []byte(r) {
		if c < ' ' || c > '~' {
			if data, _, err := scpi.ParseBlock([]byte(r)); err == nil {
				hdr := r[:len(r)-len(data)]
				return fmt.Sprintf("`%s` + %d bytes of binary data", hdr, len(data))
			}
			return fmt.Sprintf("%d bytes of binary data", len(r))
		}
	}
	return "`" + r + "`"
}

func orDash(s []string) string {
	if len(s) == 0 {
		return "—"
	}
	return strings.Join(s, "<br>")
}

func index(pages []docPage) string {
	var b strings.Builder
	b.WriteString("# Instrument reference\n\n<!-- Generated by `go test ./instruments -run TestReferenceDocs -update`. Do not edit. -->\n\n")
	b.WriteString("One page per driver: every method, the commands it sends and what the simulated model answers.\n\n| driver | models |\n|---|---|\n")
	for _, p := range pages {
		fmt.Fprintf(&b, "| [%s](%s) | %s |\n", p.title, p.file, strings.Join(p.models, ", "))
	}
	return b.String()
}

// TestReferenceDocs regenerates docs/instruments in memory and fails when
// the committed pages differ; -update rewrites them.
func TestReferenceDocs(t *testing.T) {
	pages := docPages()
	files := map[string]string{"README.md": index(pages)}
	for _, p := range pages {
		files[p.file] = record(t, p)
	}
	if *update {
		must(t, os.MkdirAll(docsDir, 0o755))
		for name, content := range files {
			must(t, os.WriteFile(filepath.Join(docsDir, name), []byte(content), 0o644))
		}
		return
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(docsDir, name))
		if err != nil || string(got) != want {
			t.Errorf("docs/instruments/%s is stale: run go test ./instruments -run TestReferenceDocs -update", name)
		}
	}
}
