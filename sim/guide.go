package sim

import (
	"fmt"
	"slices"
	"strings"
	"sync"
)

// A Guide is the command index of a vendor's programming guide, as data:
// every command the guide lists for a model family, with how far the
// simulated models implement it. It makes a model's fidelity a number
// (docs/instruments/<family>-conformance.md is generated from it) and
// lets a test hold the model to it: every command marked implemented
// must reach a handler, and every handler must be in the index.
type Guide struct {
	// Title names the guide and its edition, as its cover does.
	Title string
	// File is the stem of the conformance page: "rigol-dp800" gives
	// docs/instruments/rigol-dp800-conformance.md.
	File string
	// Models are the registered models the guide covers, in the order
	// the table shows them.
	Models []string
	// Commands is the guide's command index.
	Commands []GuideCommand
}

// GuideCommand is one entry of a guide's command index.
type GuideCommand struct {
	// Command is the header in the engine's pattern notation, without
	// the query mark: "[SOURce#:]VOLTage:PROTection[:LEVel]", "*OPT".
	Command string
	// Forms says whether the guide lists the command, its query or both.
	Forms Forms
	// Section is where the guide describes it ("2.13 :SYSTem").
	Section string
	// Status is how the models implement it.
	Status Status
	// Note says what a partial implementation leaves out, why a command
	// does not apply, or what the model does where guide and unit differ.
	Note string
	// Only, when set, lists the members that have the command; on the
	// others it does not apply, for the reason in Lacks.
	Only  []string
	Lacks string
}

// Forms are the forms of a command a guide lists.
type Forms int

const (
	FormSet   Forms = 1 << iota // the command: VOLT 5
	FormQuery                   // the query: VOLT?
	FormBoth  = FormSet | FormQuery
)

// Status is how a simulated model implements a guide's command.
type Status int

const (
	// Implemented: the command works as the guide describes it, reply
	// format included.
	Implemented Status = iota + 1
	// Partial: the command is accepted and answers in the guide's format,
	// but part of its behaviour is simplified (the Note says which).
	Partial
	// NotApplicable: the command has no meaning for a simulated
	// instrument or this member (the Note says why); the model does not
	// register it, so a client gets -113 Undefined header.
	NotApplicable
	// Missing: not implemented yet.
	Missing
)

func (s Status) String() string {
	switch s {
	case Implemented:
		return "implemented"
	case Partial:
		return "partly"
	case NotApplicable:
		return "not applicable"
	case Missing:
		return "missing"
	}
	return fmt.Sprintf("Status(%d)", int(s))
}

// For returns the command's status on one member of the family.
func (c GuideCommand) For(model string) Status {
	if len(c.Only) > 0 && !slices.Contains(c.Only, model) {
		return NotApplicable
	}
	return c.Status
}

// Patterns lists the command's forms as handler patterns: "VOLT", "VOLT?".
func (c GuideCommand) Patterns() []string {
	var out []string
	if c.Forms&FormSet != 0 {
		out = append(out, c.Command)
	}
	if c.Forms&FormQuery != 0 {
		out = append(out, c.Command+"?")
	}
	return out
}

// Coverage counts a member's commands by status.
func (g Guide) Coverage(model string) map[Status]int {
	n := map[Status]int{}
	for _, c := range g.Commands {
		n[c.For(model)]++
	}
	return n
}

var guides = struct {
	sync.RWMutex
	byFile map[string]Guide
}{byFile: map[string]Guide{}}

// RegisterGuide records a model family's command index. Like Register it
// is meant for init functions and panics on a duplicate or malformed
// guide, so a mistake shows at start-up.
func RegisterGuide(g Guide) {
	guides.Lock()
	defer guides.Unlock()
	if g.File == "" || len(g.Models) == 0 {
		panic("sim: RegisterGuide needs a File and Models: " + g.Title)
	}
	if _, dup := guides.byFile[g.File]; dup {
		panic("sim: RegisterGuide called twice for " + g.File)
	}
	for _, c := range g.Commands {
		if c.Forms == 0 || c.Status == 0 || c.Command == "" {
			panic(fmt.Sprintf("sim: guide %s: entry %q needs a command, forms and a status", g.File, c.Command))
		}
		if (c.Status == Partial || c.Status == NotApplicable) && c.Note == "" {
			panic(fmt.Sprintf("sim: guide %s: %s is %s: say what or why in its Note", g.File, c.Command, c.Status))
		}
		if len(c.Only) > 0 && c.Lacks == "" {
			panic(fmt.Sprintf("sim: guide %s: %s applies to some members only: say why in Lacks", g.File, c.Command))
		}
	}
	guides.byFile[g.File] = g
}

// Guides lists the registered guides, sorted by file name.
func Guides() []Guide {
	guides.RLock()
	defer guides.RUnlock()
	out := make([]Guide, 0, len(guides.byFile))
	for _, g := range guides.byFile {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b Guide) int { return strings.Compare(a.File, b.File) })
	return out
}

// ConformancePage renders a guide's conformance table as markdown, as
// docs/instruments/<File>-conformance.md holds it.
func (g Guide) ConformancePage() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: conformance of the simulated models\n\n", strings.Join(g.Models, ", "))
	b.WriteString("<!-- Generated by `go test ./sim -run TestConformanceDocs -update` from the models' command index. Do not edit. -->\n\n")
	fmt.Fprintf(&b, "Every command of the index of the %s, and how the simulated models implement it. "+
		"A test holds the models to this table: each command marked implemented or partly reaches a handler "+
		"in every form listed, and every command a model handles is in the table.\n\n", g.Title)
	b.WriteString("| model | implemented | partly | not applicable | missing | of |\n|---|---|---|---|---|---|\n")
	for _, m := range g.Models {
		n := g.Coverage(m)
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", m, n[Implemented], n[Partial], n[NotApplicable], n[Missing], len(g.Commands))
	}
	b.WriteString("\n| command | forms | section | status | note |\n|---|---|---|---|---|\n")
	for _, c := range g.Commands {
		forms := map[Forms]string{FormSet: "set", FormQuery: "query", FormBoth: "set, query"}[c.Forms]
		status := c.Status.String()
		note := c.Note
		if len(c.Only) > 0 {
			status += " (" + strings.Join(c.Only, ", ") + ")"
			if note != "" {
				note += " "
			}
			note += "Not applicable on the other members: " + c.Lacks
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", c.Command, forms, c.Section, status, mdCell(note))
	}
	return b.String()
}

// ConformanceIndex renders the list of conformance pages, as
// docs/instruments/conformance.md holds it.
func ConformanceIndex(gs []Guide) string {
	var b strings.Builder
	b.WriteString("# Conformance of the simulated models\n\n")
	b.WriteString("<!-- Generated by `go test ./sim -run TestConformanceDocs -update` from the models' command index. Do not edit. -->\n\n")
	b.WriteString("How much of each programming guide's command index the simulated models implement.\n\n")
	b.WriteString("| model | guide | implemented | partly | not applicable | missing | of |\n|---|---|---|---|---|---|---|\n")
	for _, g := range gs {
		for _, m := range g.Models {
			n := g.Coverage(m)
			fmt.Fprintf(&b, "| [%s](%s-conformance.md) | %s | %d | %d | %d | %d | %d |\n", m, g.File, g.Title,
				n[Implemented], n[Partial], n[NotApplicable], n[Missing], len(g.Commands))
		}
	}
	return b.String()
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// Handles reports whether the instrument has a handler for pattern (in
// manual notation, as a guide's index writes it), with every optional
// node present: how the conformance test holds a model to its guide.
func (in *Instrument) Handles(pattern string) bool {
	if name, ok := strings.CutPrefix(pattern, "*"); ok {
		query := strings.HasSuffix(name, "?")
		bare := strings.ToUpper(strings.TrimSuffix(name, "?"))
		for _, n := range in.exec.commons() {
			if n.long == bare && ((query && n.query >= 0) || (!query && n.set >= 0)) {
				return true
			}
		}
		if bare == "TRG" && !query {
			_, ok := in.dev.(Triggerable)
			return ok
		}
		for _, c := range engineCommons {
			if c.Long == "*"+bare && ((query && c.Query) || (!query && c.Command)) {
				return true
			}
		}
		return false
	}
	elems, query, err := parsePattern(pattern)
	if err != nil {
		return false
	}
	n := in.exec.tree()
	for _, e := range elems {
		var next *node
		for _, c := range n.children {
			if c.short == e.short && c.long == e.long && c.suffix == e.suffix {
				next = c
			}
		}
		if next == nil {
			return false
		}
		n = next
	}
	if query {
		return n.query >= 0
	}
	return n.set >= 0
}
