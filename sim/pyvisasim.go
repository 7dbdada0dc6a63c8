package sim

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/scpikit/scpikit/transport"
	"go.yaml.in/yaml/v3"
)

// MessageDevice is a device that answers whole program messages itself,
// bypassing the SCPI engine: the devices of pyvisa-sim definition files,
// which match text exactly. Respond appends the response, with its
// terminators, to out.
type MessageDevice interface {
	Device
	Respond(msg []byte, out []byte) []byte
	// InputTerminator is the byte that ends a received message.
	InputTerminator() byte
}

// The pyvisa-sim definition format (spec 1.0 and 1.1).
type pvsFile struct {
	Spec      string               `yaml:"spec"`
	Devices   map[string]pvsDevDef `yaml:"devices"`
	Resources map[string]struct {
		Device     string              `yaml:"device"`
		Filename   string              `yaml:"filename"`
		Bundled    string              `yaml:"bundled"`
		ChannelIDs map[string][]string `yaml:"channel_ids"`
	} `yaml:"resources"`
}

type pvsDevDef struct {
	Delimiter   *string                  `yaml:"delimiter"`
	EOM         map[string]pvsPair       `yaml:"eom"`
	Error       yaml.Node                `yaml:"error"`
	Dialogues   []pvsPair                `yaml:"dialogues"`
	Properties  map[string]pvsPropDef    `yaml:"properties"`
	Channels    map[string]pvsChannelDef `yaml:"channels"`
	Connections yaml.Node                `yaml:"connections"` // accepted, not simulated
	Bases       yaml.Node                `yaml:"bases"`
}

type pvsPair struct {
	Q string  `yaml:"q"`
	R *string `yaml:"r"`
	E *string `yaml:"e"`
}

type pvsPropDef struct {
	Default string   `yaml:"default"`
	Getter  *pvsPair `yaml:"getter"`
	Setter  *pvsPair `yaml:"setter"`
	Specs   *struct {
		Min   *string  `yaml:"min"`
		Max   *string  `yaml:"max"`
		Valid []string `yaml:"valid"`
		Type  string   `yaml:"type"`
	} `yaml:"specs"`
}

type pvsChannelDef struct {
	IDs        []string              `yaml:"ids"`
	CanSelect  string                `yaml:"can_select"`
	Dialogues  []pvsPair             `yaml:"dialogues"`
	Properties map[string]pvsPropDef `yaml:"properties"`
}

// parsePyVISASim builds a bench from a pyvisa-sim file: one instrument per
// resource, each with its own state, as pyvisa-sim does.
func parsePyVISASim(data []byte) (*Bench, error) {
	var f pvsFile
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, err
	}
	if f.Spec == "" {
		return nil, errors.New("pyvisa-sim file: no spec version")
	}
	major, minor, ok := strings.Cut(f.Spec, ".")
	ma, err1 := strconv.Atoi(major)
	mi, err2 := strconv.Atoi(minor)
	if !ok || err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pyvisa-sim file: spec %q is not X.Y", f.Spec)
	}
	if ma != 1 || mi > 1 {
		return nil, fmt.Errorf("pyvisa-sim file: spec %s is newer than the 1.1 this reader knows", f.Spec)
	}
	b := NewBench()
	for _, resName := range slices.Sorted(maps.Keys(f.Resources)) {
		rd := f.Resources[resName]
		if rd.Filename != "" || rd.Bundled == "true" || rd.Bundled == "True" {
			return nil, fmt.Errorf("resource %s: devices from other files are not supported; put the device in this file", resName)
		}
		def, ok := f.Devices[rd.Device]
		if !ok {
			return nil, fmt.Errorf("resource %s: no device %q", resName, rd.Device)
		}
		r, err := transport.ParseResource(resName)
		if err != nil {
			return nil, err
		}
		dev, err := newPVSDevice(rd.Device, def, r, rd.ChannelIDs)
		if err != nil {
			return nil, fmt.Errorf("device %s: %w", rd.Device, err)
		}
		if err := b.Add(resName, newInstrument("pyvisa-sim:"+rd.Device, dev, nil)); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// noResponse marks a dialogue or setter that answers nothing.
const noResponse = "\x00no response"

type pvsSpecs struct {
	typ      string // "int", "float", "str"
	min, max *float64
	valid    []any
}

type pvsProperty struct {
	name     string
	def      string
	specs    *pvsSpecs
	value    any
	perCh    map[string]any // channel properties: value per channel
	defaultV any
}

func (p *pvsProperty) convert(v any) (any, error) {
	s := p.specs
	if s == nil {
		return fmt.Sprint(v), nil
	}
	var out any
	switch s.typ {
	case "int":
		switch x := v.(type) {
		case int64:
			out = x
		case float64:
			out = int64(x) // Python's int() truncates
		case string:
			n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not an int", x)
			}
			out = n
		}
	case "float":
		switch x := v.(type) {
		case int64:
			out = float64(x)
		case float64:
			out = x
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
			if err != nil {
				return nil, fmt.Errorf("%q is not a float", x)
			}
			out = f
		}
	default:
		out = pyStr(v)
	}
	if f, ok := toFloat(out); ok {
		if s.min != nil && f < *s.min || s.max != nil && f > *s.max {
			return nil, fmt.Errorf("%v outside [%v, %v]", out, s.min, s.max)
		}
	}
	if len(s.valid) > 0 && !slices.Contains(s.valid, out) {
		return nil, fmt.Errorf("%v not among the valid values", out)
	}
	return out, nil
}

func pyStr(v any) string {
	switch x := v.(type) {
	case float64:
		if math.Signbit(x) {
			return "-" + pyRepr(-x)
		}
		return pyRepr(x)
	case int64:
		return strconv.FormatInt(x, 10)
	}
	return fmt.Sprint(v)
}

type pvsGetter struct {
	prop     string
	response string
}

type pvsSetter struct {
	prop     string
	tmpl     *template
	response string
	errResp  string
}

type pvsRegister struct {
	value int64
	bits  map[string]int64
}

type pvsQueue struct {
	queue   []string
	byError map[string]string
	def     string
}

// pvsComponent is what devices and channel groups share: dialogues,
// properties, getters and setters.
type pvsComponent struct {
	dialogues map[string]string
	props     map[string]*pvsProperty
	getters   map[string]pvsGetter
	setters   []pvsSetter
}

type pvsChannels struct {
	pvsComponent
	ids       []string
	canSelect bool
	selected  string
}

type pvsDevice struct {
	name       string
	delimiter  []byte
	qTerm      byte
	rTerm      string
	errResp    map[string]string
	registers  map[string]*pvsRegister
	regByError map[string][]*pvsRegister
	queues     map[string]*pvsQueue
	pvsComponent
	channels []*pvsChannels
}

func pairResponse(p pvsPair) string {
	if p.R == nil {
		return noResponse
	}
	return unescape(strings.Trim(*p.R, " "))
}

// unescape turns the two-character sequences \r and \n into control
// characters, as pyvisa-sim does with every response.
func unescape(s string) string {
	return strings.NewReplacer(`\r`, "\r", `\n`, "\n").Replace(s)
}

func newPVSDevice(name string, def pvsDevDef, r transport.Resource, channelIDs map[string][]string) (*pvsDevice, error) {
	d := &pvsDevice{name: name, delimiter: []byte(";"), qTerm: '\n', rTerm: "\n",
		errResp: map[string]string{}, registers: map[string]*pvsRegister{},
		regByError: map[string][]*pvsRegister{}, queues: map[string]*pvsQueue{}}
	if def.Bases.Kind != 0 {
		return nil, errors.New("bases are not supported (pyvisa-sim does not implement them either)")
	}
	if def.Delimiter != nil {
		d.delimiter = []byte(unescape(*def.Delimiter))
	}
	if eom, ok := def.EOM[r.Interface+" "+r.Class]; ok {
		q := unescape(eom.Q)
		if q != "" {
			d.qTerm = q[len(q)-1]
		}
		d.rTerm = unescape(pairResponse(eom))
		if d.rTerm == noResponse {
			d.rTerm = ""
		}
	}
	if err := d.errorHandler(def.Error); err != nil {
		return nil, err
	}
	if err := d.pvsComponent.load(def.Dialogues, def.Properties, nil); err != nil {
		return nil, err
	}
	for _, n := range slices.Sorted(maps.Keys(def.Channels)) {
		cd := def.Channels[n]
		ids := cd.IDs
		if len(channelIDs[n]) > 0 {
			ids = channelIDs[n]
		}
		ch := &pvsChannels{ids: ids, canSelect: cd.CanSelect != "False"}
		if err := ch.load(cd.Dialogues, cd.Properties, ids); err != nil {
			return nil, fmt.Errorf("channels %s: %w", n, err)
		}
		d.channels = append(d.channels, ch)
	}
	return d, nil
}

func (c *pvsComponent) load(dialogues []pvsPair, props map[string]pvsPropDef, channelIDs []string) error {
	c.dialogues, c.props, c.getters = map[string]string{}, map[string]*pvsProperty{}, map[string]pvsGetter{}
	for _, dl := range dialogues {
		c.dialogues[unescape(strings.Trim(dl.Q, " "))] = pairResponse(dl)
	}
	for _, n := range slices.Sorted(maps.Keys(props)) {
		pd := props[n]
		p := &pvsProperty{name: n, def: pd.Default}
		if pd.Specs != nil {
			s := &pvsSpecs{typ: pd.Specs.Type}
			if s.typ != "int" && s.typ != "float" && s.typ != "str" {
				return fmt.Errorf("property %s: type %q (want int, float or str)", n, s.typ)
			}
			for _, lim := range []struct {
				src *string
				dst **float64
			}{{pd.Specs.Min, &s.min}, {pd.Specs.Max, &s.max}} {
				if lim.src != nil {
					f, err := strconv.ParseFloat(*lim.src, 64)
					if err != nil {
						return fmt.Errorf("property %s: limit %q", n, *lim.src)
					}
					*lim.dst = &f
				}
			}
			p.specs = s
			for _, v := range pd.Specs.Valid {
				cv, err := (&pvsProperty{specs: &pvsSpecs{typ: s.typ}}).convert(v)
				if err != nil {
					return fmt.Errorf("property %s: valid value %v", n, err)
				}
				s.valid = append(s.valid, cv)
			}
		}
		v, err := p.convert(pd.Default)
		if err != nil {
			return fmt.Errorf("property %s: default: %w", n, err)
		}
		p.value, p.defaultV = v, v
		if channelIDs != nil {
			p.perCh = map[string]any{}
		}
		c.props[n] = p
		if pd.Getter != nil {
			c.getters[unescape(strings.Trim(pd.Getter.Q, " "))] = pvsGetter{prop: n, response: pairResponse(*pd.Getter)}
		}
		if pd.Setter != nil {
			t, err := newTemplate(strings.Trim(pd.Setter.Q, " "))
			if err != nil {
				return fmt.Errorf("property %s: %w", n, err)
			}
			s := pvsSetter{prop: n, tmpl: t, response: pairResponse(*pd.Setter), errResp: noResponse}
			if pd.Setter.E != nil {
				s.errResp = unescape(strings.Trim(*pd.Setter.E, " "))
			}
			c.setters = append(c.setters, s)
		}
	}
	return nil
}

func (d *pvsDevice) errorHandler(n yaml.Node) error {
	switch n.Kind {
	case 0:
		return nil
	case yaml.ScalarNode:
		d.errResp["command_error"] = n.Value
		d.errResp["query_error"] = n.Value
		return nil
	}
	var e struct {
		Response       map[string]string   `yaml:"response"`
		StatusRegister []map[string]string `yaml:"status_register"`
		ErrorQueue     []map[string]string `yaml:"error_queue"`
	}
	if err := n.Decode(&e); err != nil {
		return fmt.Errorf("error: %w", err)
	}
	for k, v := range e.Response {
		d.errResp[k] = unescape(v)
	}
	for _, sr := range e.StatusRegister {
		reg := &pvsRegister{bits: map[string]int64{}}
		for k, v := range sr {
			if k == "q" {
				continue
			}
			bit, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return fmt.Errorf("status register %s: %q is not an integer", sr["q"], v)
			}
			reg.bits[k] = bit
			d.regByError[k] = append(d.regByError[k], reg)
		}
		d.registers[unescape(sr["q"])] = reg
	}
	for _, eq := range e.ErrorQueue {
		q := &pvsQueue{byError: map[string]string{}, def: unescape(eq["default"])}
		for k, v := range eq {
			if k != "q" && k != "default" && k != "strict" {
				q.byError[k] = unescape(v)
			}
		}
		d.queues[unescape(eq["q"])] = q
	}
	return nil
}

// pvsQueueOverflow takes the last place of a full pyvisa-sim error queue,
// as SCPI-99 21.8.1 has an instrument's queue do.
const pvsQueueOverflow = `-350,"Queue overflow"`

// errorResponse records an error in the registers and queues, and
// returns the response defined for it. A queue holds at most
// defaultErrorQueueSize errors, as the SCPI engine's does: pyvisa-sim's
// grows without bound, and a client that sends nothing but bad commands
// would grow it until the process runs out of memory.
func (d *pvsDevice) errorResponse(key string) string {
	for _, r := range d.regByError[key] {
		r.value |= r.bits[key]
	}
	for _, q := range d.queues {
		if m, ok := q.byError[key]; ok {
			if len(q.queue) < defaultErrorQueueSize {
				q.queue = append(q.queue, m)
			} else {
				q.queue[len(q.queue)-1] = pvsQueueOverflow
			}
		}
	}
	if r, ok := d.errResp[key]; ok {
		return r
	}
	return noResponse
}

func (d *pvsDevice) Identity() string {
	if r, ok := d.dialogues["*IDN?"]; ok && r != noResponse {
		return r
	}
	return "pyvisa-sim," + d.name + ",0,0"
}

func (d *pvsDevice) Reset() {
	reset := func(c *pvsComponent) {
		for _, p := range c.props {
			p.value = p.defaultV
			if p.perCh != nil {
				clear(p.perCh)
			}
		}
	}
	reset(&d.pvsComponent)
	for _, ch := range d.channels {
		reset(&ch.pvsComponent)
	}
}

func (d *pvsDevice) InputTerminator() byte { return d.qTerm }

func (d *pvsDevice) Respond(msg []byte, out []byte) []byte {
	return d.respondUpTo(msg, out, 0)
}

// respondUpTo is Respond adding no response once out is longer than
// limit (when limit > 0): the queries after still run, their settings
// taking effect, and the caller refuses the response it cannot take
// (-430). The queries are taken one at a time, not split into a slice
// first: a message of MaxLine delimiters would split into millions.
func (d *pvsDevice) respondUpTo(msg []byte, out []byte, limit int) []byte {
	for rest, more := msg, true; more; {
		var q []byte
		if len(d.delimiter) > 0 {
			q, rest, more = bytes.Cut(rest, d.delimiter)
		} else {
			q, more = rest, false
		}
		resp, ok := d.match(string(q))
		if !ok {
			resp = d.errorResponse("command_error")
		}
		if resp != noResponse && (limit <= 0 || len(out) <= limit) {
			out = append(out, resp...)
			out = append(out, d.rTerm...)
		}
	}
	return out
}

func (d *pvsDevice) match(q string) (string, bool) {
	if r, ok := d.dialogues[q]; ok {
		return r, true
	}
	if g, ok := d.getters[q]; ok {
		return d.format(g, d.props[g.prop].value), true
	}
	if reg, ok := d.registers[q]; ok {
		v := reg.value
		reg.value = 0
		return strconv.FormatInt(v, 10), true
	}
	if queue, ok := d.queues[q]; ok {
		if len(queue.queue) == 0 {
			return queue.def, true
		}
		m := queue.queue[0]
		queue.queue = queue.queue[1:]
		return m, true
	}
	if r, ok := d.setters(&d.pvsComponent, nil, q, ""); ok {
		return r, true
	}
	for _, ch := range d.channels {
		if r, ok := d.matchChannel(ch, q); ok {
			return r, true
		}
	}
	return "", false
}

func (d *pvsDevice) format(g pvsGetter, v any) string {
	if g.response == noResponse {
		return noResponse
	}
	s, err := pyFormat(g.response, v)
	if err != nil {
		return d.errorResponse("query_error")
	}
	return s
}

// setters tries the component's setters; ids are a channel group's
// channels (nil for the device's own setters), channel the selected one.
//
// A {ch_id} field matches any text, and pyvisa-sim takes whatever it
// matched (CH7:RANG 5 on a group of channels 1-3): it checks the value,
// answers as for a channel it has, and keeps the value under that name,
// where no query can read it (getters look only at the group's ids). So
// does this, except that it keeps nothing for a channel the group does
// not have: the replies are pyvisa-sim's, and a client sending made-up
// channel names cannot grow the device's state without bound.
func (d *pvsDevice) setters(c *pvsComponent, ids []string, q, channel string) (string, bool) {
	for _, s := range c.setters {
		v, named, ok := s.tmpl.match(q)
		if !ok {
			continue
		}
		if id, ok := named["ch_id"]; ok {
			channel = id
		}
		p := c.props[s.prop]
		cv, err := p.convert(v)
		if err != nil {
			if s.errResp != noResponse {
				return s.errResp, true
			}
			if p.perCh != nil {
				return d.errorResponse("command_error"), true
			}
			continue
		}
		switch {
		case p.perCh == nil:
			p.value = cv
		case slices.Contains(ids, channel):
			p.perCh[channel] = cv
		}
		return s.response, true
	}
	return "", false
}

func (d *pvsDevice) matchChannel(ch *pvsChannels, q string) (string, bool) {
	valueOf := func(p *pvsProperty, id string) any {
		if v, ok := p.perCh[id]; ok {
			return v
		}
		return p.defaultV
	}
	if !ch.canSelect {
		sel, ok := d.props["selected_channel"]
		if !ok {
			return "", false
		}
		id := pyStr(sel.value)
		if !slices.Contains(ch.ids, id) {
			return "", false
		}
		ch.selected = id
		if r, ok := ch.dialogues[q]; ok {
			return r, true
		}
		if g, ok := ch.getters[q]; ok {
			return d.format(g, valueOf(ch.props[g.prop], id)), true
		}
		return d.setters(&ch.pvsComponent, ch.ids, q, id)
	}
	for _, id := range ch.ids {
		for tmpl, r := range ch.dialogues {
			if strings.ReplaceAll(tmpl, "{ch_id}", id) == q {
				return r, true
			}
		}
		for tmpl, g := range ch.getters {
			if strings.ReplaceAll(tmpl, "{ch_id}", id) == q {
				ch.selected = id
				return d.format(g, valueOf(ch.props[g.prop], id)), true
			}
		}
	}
	return d.setters(&ch.pvsComponent, ch.ids, q, ch.selected)
}
