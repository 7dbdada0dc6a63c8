package sim

import "slices"

// CommandNode is one mnemonic of a model's command tree, as tools that
// help a person type commands see it (the scpi shell completes them).
type CommandNode struct {
	Short, Long string // upper case: "VOLT", "VOLTAGE"
	Suffix      bool   // takes a numeric suffix: OUTPut#
	Command     bool   // a setting ends here
	Query       bool   // a query ends here
	Children    []CommandNode
}

// engineCommons are the IEEE 488.2 common commands every instrument
// answers (Client.common), as "*NAME" and whether each is a setting and a
// query; *TRG only where the device is Triggerable.
var engineCommons = []CommandNode{
	{Short: "*CLS", Long: "*CLS", Command: true},
	{Short: "*ESE", Long: "*ESE", Command: true, Query: true},
	{Short: "*ESR", Long: "*ESR", Query: true},
	{Short: "*IDN", Long: "*IDN", Query: true},
	{Short: "*OPC", Long: "*OPC", Command: true, Query: true},
	{Short: "*RST", Long: "*RST", Command: true},
	{Short: "*SRE", Long: "*SRE", Command: true, Query: true},
	{Short: "*STB", Long: "*STB", Query: true},
	{Short: "*TST", Long: "*TST", Query: true},
	{Short: "*WAI", Long: "*WAI", Command: true},
}

// CommandTree returns the instrument's command tree: the mnemonics a
// command may start with, each with those that may follow it (a pattern's
// optional nodes both present and absent), then the common commands
// ("*IDN", "*RST"...) the instrument answers. An instrument defined by a
// pyvisa-sim file, which matches whole messages, has none.
func (in *Instrument) CommandTree() []CommandNode {
	if in.exec == nil {
		return nil
	}
	out := copyTree(in.exec.tree()).Children
	commons := slices.Clone(engineCommons)
	if _, ok := in.dev.(Triggerable); ok {
		commons = append(commons, CommandNode{Short: "*TRG", Long: "*TRG", Command: true})
	}
	for _, c := range in.exec.commons() {
		name := "*" + c.long
		i := slices.IndexFunc(commons, func(n CommandNode) bool { return n.Long == name })
		if i < 0 {
			commons = append(commons, CommandNode{Short: name, Long: name})
			i = len(commons) - 1
		}
		commons[i].Command = commons[i].Command || c.set >= 0
		commons[i].Query = commons[i].Query || c.query >= 0
	}
	return append(out, commons...)
}

func copyTree(n *node) CommandNode {
	c := CommandNode{Short: n.short, Long: n.long, Suffix: n.suffix, Command: n.set >= 0, Query: n.query >= 0}
	for _, ch := range n.children {
		c.Children = append(c.Children, copyTree(ch))
	}
	return c
}
