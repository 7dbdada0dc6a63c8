package sim

import (
	"errors"
	"fmt"
	"strings"
)

// Commands is a model's command table for devices of type D, written in
// the notation of the programming manual. It is built once per model and
// shared by every instrument of that model; handlers get the instrument's
// device as their first argument.
//
//	cmds := sim.NewCommands[*Supply]()
//	cmds.Handle("OUTPut#[:STATe]", func(s *Supply, c *sim.Call) error { ... })
//	cmds.Number("[SOURce#:]VOLTage[:LEVel][:IMMediate][:AMPLitude]", s.voltSpec, s.volt, s.setVolt)
//
// Registration errors (a malformed pattern, a path two patterns claim, a
// mnemonic whose short form collides with another's) are collected and
// reported by Err, and by NewModel, so a bad table fails at start-up.
type Commands[D any] struct {
	root     *node
	common   []*node // *XXX commands the model adds or overrides
	handlers []func(D, *Call) error
	patterns []string // as registered, for the conformance check against the guide's index
	errs     []error
	before   func(D)
}

// Before sets a function every handler of the table runs first, with the
// device: how a model whose state moves on its clock (a trigger delay, a
// timer) brings it up to the moment a command arrives.
func (t *Commands[D]) Before(f func(D)) { t.before = f }

// NewCommands returns an empty command table.
func NewCommands[D any]() *Commands[D] {
	return &Commands[D]{root: newNode("", "", false)}
}

// Err reports every registration error so far, or nil.
func (t *Commands[D]) Err() error { return errors.Join(t.errs...) }

// Handle registers h for pattern: a command, or a query when the pattern
// ends in '?'. Common commands ("*TRG", "*SAV") may be added too; they
// take precedence over the engine's own.
func (t *Commands[D]) Handle(pattern string, h func(D, *Call) error) {
	if h == nil {
		t.errs = append(t.errs, fmt.Errorf("sim: pattern %q: nil handler", pattern))
		return
	}
	idx := len(t.handlers)
	t.handlers = append(t.handlers, h)
	p := strings.TrimSpace(pattern)
	t.patterns = append(t.patterns, p)
	if strings.HasPrefix(p, "*") {
		t.handleCommon(p, idx)
		return
	}
	elems, query, err := parsePattern(p)
	if err != nil {
		t.errs = append(t.errs, err)
		return
	}
	for _, path := range variants(elems) {
		if err := t.root.insert(pattern, path, query, idx); err != nil {
			t.errs = append(t.errs, err)
			return
		}
	}
}

func (t *Commands[D]) handleCommon(p string, idx int) {
	query := strings.HasSuffix(p, "?")
	name := strings.ToUpper(strings.TrimPrefix(strings.TrimSuffix(p, "?"), "*"))
	if name == "" {
		t.errs = append(t.errs, fmt.Errorf("sim: common command %q: no name", p))
		return
	}
	for i := 0; i < len(name); i++ {
		if !isAlpha(name[i]) {
			t.errs = append(t.errs, fmt.Errorf("sim: common command %q: letters only after *", p))
			return
		}
	}
	var n *node
	for _, c := range t.common {
		if c.long == name {
			n = c
		}
	}
	if n == nil {
		n = newNode(name, name, false)
		t.common = append(t.common, n)
	}
	slot := &n.set
	if query {
		slot = &n.query
	}
	if *slot >= 0 {
		t.errs = append(t.errs, fmt.Errorf("sim: common command %q registered twice", p))
		return
	}
	*slot = idx
}

// Number registers a numeric setting: pattern sets it (with units,
// MIN/MAX/DEF), pattern? reads it (and "pattern? MIN" reads a limit).
// spec may depend on the call (a channel's range); reply formats the
// value, ReplyFloat when nil.
func (t *Commands[D]) Number(pattern string, spec func(D, *Call) (Number, error),
	get func(D, *Call) float64, set func(D, *Call, float64) error, reply func(*Call, float64)) {
	if reply == nil {
		reply = (*Call).ReplyFloat
	}
	t.Handle(pattern, func(d D, c *Call) error {
		n, err := spec(d, c)
		if err != nil {
			return err
		}
		v, err := c.Number(0, n)
		if err != nil {
			return err
		}
		return set(d, c, v)
	})
	t.Handle(pattern+"?", func(d D, c *Call) error {
		n, err := spec(d, c)
		if err != nil {
			return err
		}
		if c.NumParams() > 0 {
			v, err := c.Limit(0, n)
			if err != nil {
				return err
			}
			reply(c, v)
			return nil
		}
		reply(c, get(d, c))
		return nil
	})
}

// Bool registers a boolean setting: pattern ON|OFF|1|0 and pattern?,
// which answers 1 or 0.
func (t *Commands[D]) Bool(pattern string, get func(D, *Call) (bool, error), set func(D, *Call, bool) error) {
	t.Handle(pattern, func(d D, c *Call) error {
		v, err := c.Bool(0)
		if err != nil {
			return err
		}
		return set(d, c, v)
	})
	t.Handle(pattern+"?", func(d D, c *Call) error {
		v, err := get(d, c)
		if err != nil {
			return err
		}
		c.ReplyBool(v)
		return nil
	})
}

// Choice registers an enumerated setting: pattern takes one of choices
// (manual notation, short or long form accepted), pattern? answers the
// short form in upper case, as SCPI instruments do.
func (t *Commands[D]) Choice(pattern string, choices []string, get func(D, *Call) int, set func(D, *Call, int) error) {
	t.Handle(pattern, func(d D, c *Call) error {
		i, err := c.Choice(0, choices...)
		if err != nil {
			return err
		}
		return set(d, c, i)
	})
	t.Handle(pattern+"?", func(d D, c *Call) error {
		c.Reply(ShortForm(choices[get(d, c)]))
		return nil
	})
}

// HandleBool registers pattern and its query for a boolean setting at
// field: the command takes ON, OFF, 1 or 0; the query answers with reply
// (ON/OFF or 1/0, as the instrument does).
func (t *Commands[D]) HandleBool(pattern string, field func(D) *bool, reply func(*Call, bool)) {
	t.Handle(pattern, func(d D, c *Call) error {
		on, err := c.Bool(0)
		if err == nil {
			*field(d) = on
		}
		return err
	})
	t.Handle(pattern+"?", func(d D, c *Call) error {
		reply(c, *field(d))
		return nil
	})
}
