package harness

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// group tracks the goroutines that live inside something that ends (the
// run's work, its watchers, one DUT), so that its end can wait for them,
// for a bounded time, and name the ones that never returned. Once it is
// shut nothing enters it again: a monitor registered for a DUT that has
// already ended has nothing left to watch.
type group struct {
	mu   sync.Mutex
	shut bool
	live map[*member]struct{}
	idle chan struct{} // closed while live is empty
}

// member is one goroutine in a group.
type member struct {
	g         *group
	name, dut string
	id        atomic.Uint64 // its goroutine id, once it runs
}

var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// enter adds a goroutine about to start, or returns nil once the group is
// shut. Each member must leave exactly once.
func (g *group) enter(name, dut string) *member {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.shut {
		return nil
	}
	if len(g.live) == 0 {
		g.idle = make(chan struct{})
	}
	if g.live == nil {
		g.live = map[*member]struct{}{}
	}
	m := &member{g: g, name: name, dut: dut}
	g.live[m] = struct{}{}
	return m
}

// bind records the calling goroutine as m's, so a stuck one can be found
// in a dump of every goroutine's stack.
func (m *member) bind() { m.id.Store(goid()) }

func (m *member) leave() {
	g := m.g
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.live, m)
	if len(g.live) == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}

// idleChan is closed once no goroutine of the group is running.
func (g *group) idleChan() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.live) == 0 {
		return closedChan
	}
	return g.idle
}

// close shuts the group: nothing enters it any more.
func (g *group) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = true
}

// members lists the goroutines still running.
func (g *group) members() []*member {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]*member, 0, len(g.live))
	for m := range g.live {
		out = append(out, m)
	}
	return out
}

// waitIdle waits until every group is idle or d has passed, and reports
// whether they all were.
func waitIdle(d time.Duration, groups ...*group) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	for _, g := range groups {
		select {
		case <-g.idleChan():
		case <-timer.C:
			return false
		}
	}
	return true
}

// StuckGoroutine is a goroutine of the run that had not returned when Run
// gave up waiting for it: a DUT, a helper or a monitor blocked in
// something that ignores its context.
type StuckGoroutine struct {
	Name  string `json:"name"`
	DUT   string `json:"dut,omitempty"`
	State string `json:"state"` // as the runtime reports it: "sleep", "chan receive"...
	At    string `json:"at"`    // the first frame outside the runtime and the standard library's waits
	Stack string `json:"stack"`
}

func (s StuckGoroutine) String() string {
	out := s.Name
	if s.State != "" {
		out += " [" + s.State + "]"
	}
	if s.At != "" {
		out += " at " + s.At
	}
	return out
}

// ErrStuck is matched by Run's error when goroutines of the run had not
// returned within the bound after the safe state.
var ErrStuck = errors.New("harness: goroutines did not return")

// StuckError names the goroutines Run returned without.
type StuckError struct {
	Goroutines []StuckGoroutine
	Waited     time.Duration // how long Run waited for them after the safe state
}

func (e *StuckError) Error() string {
	names := make([]string, len(e.Goroutines))
	for i, g := range e.Goroutines {
		names[i] = g.String()
	}
	return fmt.Sprintf("harness: %s still running %s after the safe state (they ignore their context): %s",
		plural(len(e.Goroutines), "goroutine"), FormatDuration(e.Waited), strings.Join(names, "; "))
}

func (e *StuckError) Unwrap() error { return ErrStuck }

// describe finds each member's stack in one dump of every goroutine.
func describe(ms []*member) []StuckGoroutine {
	if len(ms) == 0 {
		return nil
	}
	dump := allStacks()
	out := make([]StuckGoroutine, 0, len(ms))
	for _, m := range ms {
		s := StuckGoroutine{Name: m.name, DUT: m.dut}
		if id := m.id.Load(); id != 0 {
			s.Stack = stackOf(dump, id)
			s.State, s.At = summarise(s.Stack)
		}
		out = append(out, s)
	}
	return out
}

// maxDump bounds a dump of every goroutine's stack.
const maxDump = 16 << 20

func allStacks() string {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) || len(buf) >= maxDump {
			return string(buf[:n])
		}
		buf = make([]byte, 2*len(buf))
	}
}

// goid is the calling goroutine's id, from its stack's header line
// ("goroutine 42 [running]:"), as goleak and the testing package read it.
func goid() uint64 {
	var b [64]byte
	s := string(b[:runtime.Stack(b[:], false)])
	s = strings.TrimPrefix(s, "goroutine ")
	id, _ := strconv.ParseUint(s[:max(0, strings.IndexByte(s, ' '))], 10, 64)
	return id
}

// stackOf is goroutine id's stanza of a dump.
func stackOf(dump string, id uint64) string {
	head := "goroutine " + strconv.FormatUint(id, 10) + " ["
	for _, st := range strings.Split(dump, "\n\n") {
		if strings.HasPrefix(st, head) {
			const most = 8 << 10
			if len(st) > most {
				st = st[:most] + "\n..."
			}
			return st
		}
	}
	return ""
}

// summarise reads a stanza's state and the first frame that is the
// goroutine's own code rather than the runtime's or a library wait.
func summarise(stack string) (state, at string) {
	lines := strings.Split(stack, "\n")
	if len(lines) == 0 {
		return "", ""
	}
	if i, j := strings.IndexByte(lines[0], '['), strings.LastIndexByte(lines[0], ']'); i >= 0 && j > i {
		state = lines[0][i+1 : j]
		if k := strings.IndexByte(state, ','); k >= 0 {
			state = state[:k] // "chan receive, 2 minutes"
		}
	}
	for i := 1; i+1 < len(lines); i += 2 {
		fn := lines[i]
		if waitFrame(fn) {
			continue
		}
		if k := strings.LastIndexByte(fn, '('); k > 0 {
			fn = fn[:k]
		}
		file := strings.TrimSpace(lines[i+1])
		if k := strings.LastIndex(file, " +0x"); k > 0 {
			file = file[:k]
		}
		return state, fn + " (" + file + ")"
	}
	return state, ""
}

func waitFrame(fn string) bool {
	for _, p := range []string{"runtime.", "internal/", "sync.", "time.Sleep", "syscall.", "os.(*File)", "net.", "context."} {
		if strings.HasPrefix(fn, p) {
			return true
		}
	}
	return false
}
