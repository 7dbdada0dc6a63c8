package sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Device is the state and behaviour of one simulated instrument, as a
// model defines it. The engine holds the instrument's lock whenever it
// calls a Device or a handler, so a Device needs no locking of its own.
type Device interface {
	// Identity is the *IDN? response: "Manufacturer,Model,Serial,Firmware".
	Identity() string
	// Reset returns the device to its *RST state.
	Reset()
}

// Optional device capabilities, found by type assertion.
type (
	// SelfTester answers *TST? (0 means passed).
	SelfTester interface{ SelfTest() int }
	// Triggerable acts on *TRG.
	Triggerable interface{ Trigger() error }
	// StatusSummarizer sets status byte bits 3 (questionable) and 7
	// (operation) from the model's own status registers.
	StatusSummarizer interface {
		StatusSummary() (questionable, operation bool)
	}
	// StatusClearer clears the model's own event registers on *CLS, as
	// IEEE 488.2 10.3 has it clear every event register.
	StatusClearer interface{ ClearStatus() }
	// FaultInjector takes model-specific faults by name ("overcurrent",
	// "overtemperature"), from Go, YAML or scpisim flags.
	FaultInjector interface{ InjectFault(name string) error }
	// Sleeper is a device whose console can be silent (unpowered, hung):
	// while Awake is false, messages are consumed and never answered.
	Sleeper interface{ Awake() bool }
)

// Model is a registered kind of simulated instrument.
type Model struct {
	Name        string // as in SIM::<Name>::INSTR and `scpisim serve <Name>`
	Description string
	new         func() *Instrument
	patterns    []string // the command table's patterns, as registered
}

// NewModel defines a model from its command table and a constructor for
// its devices. It fails when the table has registration errors.
func NewModel[D Device](name, description string, cmds *Commands[D], newDevice func() D) (Model, error) {
	if err := cmds.Err(); err != nil {
		return Model{}, fmt.Errorf("sim: model %s: %w", name, err)
	}
	if name == "" || strings.ContainsAny(name, " :") {
		return Model{}, fmt.Errorf("sim: model name %q: want a word without spaces or colons", name)
	}
	return Model{Name: name, Description: description, patterns: cmds.patterns, new: func() *Instrument {
		d := newDevice()
		return newInstrument(name, d, binding[D]{cmds, d})
	}}, nil
}

// Patterns lists the model's command patterns as its table registered
// them, in manual notation.
func (m Model) Patterns() []string { return slices.Clone(m.patterns) }

// New starts a fresh instrument of the model, in its power-on state.
func (m Model) New() *Instrument { return m.new() }

// executor runs handlers of one model against one device.
type executor interface {
	tree() *node
	commons() []*node
	run(h int, c *Call) error
}

type binding[D any] struct {
	cmds *Commands[D]
	dev  D
}

func (b binding[D]) tree() *node      { return b.cmds.root }
func (b binding[D]) commons() []*node { return b.cmds.common }
func (b binding[D]) run(h int, c *Call) error {
	if b.cmds.before != nil {
		b.cmds.before(b.dev)
	}
	return b.cmds.handlers[h](b.dev, c)
}

var models = struct {
	sync.RWMutex
	byName map[string]Model
}{byName: map[string]Model{}}

// Register makes a model available by name (case-insensitive) to New,
// SIM:: resources, benches and scpisim. Like sql.Register it is meant for
// init functions and panics on a duplicate name.
func Register(m Model) {
	models.Lock()
	defer models.Unlock()
	key := strings.ToUpper(m.Name)
	if _, dup := models.byName[key]; dup {
		panic("sim: Register called twice for model " + m.Name)
	}
	if m.new == nil {
		panic("sim: Register of a Model not made by NewModel: " + m.Name)
	}
	models.byName[key] = m
}

// MustRegister builds a model with NewModel and registers it, panicking
// on a bad command table: for init functions, so the mistake shows at
// start-up.
func MustRegister[D Device](name, description string, cmds *Commands[D], newDevice func() D) {
	m, err := NewModel(name, description, cmds, newDevice)
	if err != nil {
		panic(err)
	}
	Register(m)
}

// ErrUnknownModel is matched by errors for model names not registered.
var ErrUnknownModel = errors.New("unknown simulated model")

// Lookup returns the registered model with that name (any case).
func Lookup(name string) (Model, error) {
	models.RLock()
	defer models.RUnlock()
	m, ok := models.byName[strings.ToUpper(name)]
	if !ok {
		return Model{}, fmt.Errorf("sim: %w %q (have %s)", ErrUnknownModel, name, strings.Join(modelNamesLocked(), ", "))
	}
	return m, nil
}

// Models lists the registered models, sorted by name.
func Models() []Model {
	models.RLock()
	defer models.RUnlock()
	out := make([]Model, 0, len(models.byName))
	for _, m := range models.byName {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func modelNamesLocked() []string {
	var names []string
	for _, m := range models.byName {
		names = append(names, m.Name)
	}
	slices.Sort(names)
	return names
}

// New starts a fresh instrument of the named model.
func New(model string) (*Instrument, error) {
	m, err := Lookup(model)
	if err != nil {
		return nil, err
	}
	return m.New(), nil
}

// Instrument is a running simulated instrument: a device, its status
// registers and error queue, and its faults. Any number of clients (an
// in-process Conn, server connections) talk to it at once; each has its
// own input and output buffers, and the instrument's state is shared under
// its lock, as on a real instrument with several LAN sessions.
type Instrument struct {
	model string
	exec  executor

	mu       sync.Mutex
	dev      Device
	st       status
	faults   faultState
	faultsOn atomic.Bool // any response-shaping fault set: the fast path checks it
	timers   []*time.Timer
	closed   bool
	subs     map[chan<- Event]struct{}
	// log is where the instrument logs for a link with no logger of its
	// own (SetLogger).
	log zerolog.Logger
}

// Event is something an instrument reports on its own, as a real one
// raises a service request: an error it queued, a fault injected into it.
type Event struct {
	Time  time.Time
	Model string
	Error *Error // an error the instrument queued
	Fault string // a model fault (overcurrent, overtemperature...)
}

func (e Event) String() string {
	if e.Error != nil {
		return e.Model + " reported " + e.Error.Error()
	}
	return e.Model + " fault: " + e.Fault
}

// Subscribe delivers the instrument's events to ch until the returned
// function is called. A subscriber that does not keep up misses events
// rather than stall the instrument.
func (in *Instrument) Subscribe(ch chan<- Event) (unsubscribe func()) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.subs == nil {
		in.subs = map[chan<- Event]struct{}{}
	}
	in.subs[ch] = struct{}{}
	return func() {
		in.mu.Lock()
		defer in.mu.Unlock()
		delete(in.subs, ch)
	}
}

// publishLocked sends e to every subscriber that has room.
func (in *Instrument) publishLocked(e Event) {
	e.Time, e.Model = time.Now(), in.model
	for ch := range in.subs {
		select {
		case ch <- e:
		default:
		}
	}
}

func newInstrument(model string, d Device, ex executor) *Instrument {
	in := &Instrument{model: model, dev: d, exec: ex}
	in.st.init(defaultErrorQueueSize)
	return in
}

// Model returns the model name.
func (in *Instrument) Model() string { return in.model }

// Do runs fn on the device under the instrument's lock: how a bench wires
// instruments together and how tests inspect or change state directly.
func (in *Instrument) Do(fn func(d Device)) {
	in.mu.Lock()
	defer in.mu.Unlock()
	fn(in.dev)
}

// SetLogger gives the instrument a logger (zerolog's zero Logger, which
// logs nothing, until set). A handler that panics on a link with no
// logger of its own — an in-process Conn (Conn, a Bench's resources), a
// Client of no server, a server given no Logger — is logged
// here, with its stack; links of a server with a Logger log there.
func (in *Instrument) SetLogger(l zerolog.Logger) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.log = l
}

// logTo gives the instrument l when l logs errors: the logger of the
// program that last opened it (a SIM:: resource is one instrument per
// process). One that logs nothing leaves the instrument's as it is.
func (in *Instrument) logTo(l zerolog.Logger) {
	ev := l.Error()
	if !ev.Enabled() {
		return
	}
	ev.Discard()
	in.SetLogger(l)
}

// PushError adds an error to the queue, as the instrument itself would
// (fault injection, a model's background event).
func (in *Instrument) PushError(e Error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.st.push(e)
	in.publishLocked(Event{Error: &e})
}

// Errors returns the queued errors without removing them.
func (in *Instrument) Errors() []Error {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]Error(nil), in.st.errs...)
}

// Close stops the instrument's timers (scheduled faults). Clients of a
// closed instrument see their links fail.
func (in *Instrument) Close() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.closed = true
	for _, t := range in.timers {
		t.Stop()
	}
	in.timers = nil
}

const defaultErrorQueueSize = 20

// status is the IEEE 488.2 status model and the SCPI error queue.
type status struct {
	esr, ese, sre byte
	errs          []Error
	max           int
}

func (s *status) init(max int) {
	s.max = max
	s.errs = make([]Error, 0, max)
	s.esr = esrPON
}

// push queues e; when the queue is full its last entry becomes -350
// Queue overflow, as SCPI-99 21.8.1 prescribes.
func (s *status) push(e Error) {
	s.esr |= esrBit(e.Code)
	switch {
	case len(s.errs) < s.max:
		s.errs = append(s.errs, e)
	default:
		s.errs[len(s.errs)-1] = ErrQueueOverflow
	}
}

func (s *status) pop() Error {
	if len(s.errs) == 0 {
		return noError
	}
	e := s.errs[0]
	copy(s.errs, s.errs[1:])
	s.errs = s.errs[:len(s.errs)-1]
	return e
}

func (s *status) clear() {
	s.esr = 0
	s.errs = s.errs[:0]
}

// stb computes the status byte, with MAV from the asking client.
func (s *status) stb(mav bool, dev Device) byte {
	var b byte
	if len(s.errs) > 0 {
		b |= stbEAV
	}
	if mav {
		b |= stbMAV
	}
	if s.esr&s.ese != 0 {
		b |= stbESB
	}
	if sum, ok := dev.(StatusSummarizer); ok {
		q, o := sum.StatusSummary()
		if q {
			b |= stbQUE
		}
		if o {
			b |= stbOPR
		}
	}
	if b&s.sre&^stbMSS != 0 {
		b |= stbMSS
	}
	return b
}
