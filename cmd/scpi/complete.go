package main

import (
	"os"
	"slices"
	"strings"

	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
	"github.com/scpikit/scpikit/transport"
)

// simulatedTree is the command tree of the simulated instrument behind
// resource: a SIM::<model>::INSTR resource's model, or the instrument a
// SCPIKIT_SIM bench puts at resource. Nil for a real instrument.
func simulatedTree(resource string) []sim.CommandNode {
	r, err := transport.ParseResource(resource)
	if err != nil {
		return nil
	}
	if r.Link() == transport.LinkSim {
		m, err := sim.Lookup(r.Model)
		if err != nil {
			return nil
		}
		in := m.New()
		defer in.Close()
		return in.CommandTree()
	}
	path := os.Getenv(sim.EnvBench)
	if path == "" {
		return nil
	}
	b, err := sim.LoadBench(path)
	if err != nil {
		return nil
	}
	defer b.Close()
	for _, e := range b.Entries() {
		for _, res := range e.Resources {
			if br, err := transport.ParseResource(res); err == nil && br.String() == r.String() {
				return e.Instrument.CommandTree()
			}
		}
	}
	return nil
}

// completer completes the shell's own commands always, and SCPI headers
// from tree when the instrument is simulated (tree is nil otherwise).
type completer struct{ tree []sim.CommandNode }

// shellCommandNames are offered for completion, the short aliases left out.
var shellCommandNames = []string{":clear", ":errors", ":help", ":quit", ":read", ":save", ":timeout", ":trace"}

// complete returns where the word before the cursor starts and the ways
// to finish it.
func (c completer) complete(before string) (int, []completion) {
	// A shell command's argument.
	if word, arg, ok := strings.Cut(before, " "); ok && isShellCommand(word) {
		if strings.EqualFold(word, ":trace") && !strings.Contains(arg, " ") {
			return len([]rune(before)) - len([]rune(arg)), prefixed([]string{"on", "off"}, arg)
		}
		return 0, nil
	}
	// The unit of a compound message being typed: after the last ; outside
	// quotes.
	start, quote := 0, rune(0)
	runes := []rune(before)
	for i, r := range runes {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == ';':
			start = i + 1
		}
	}
	if quote != 0 {
		return 0, nil // inside a string
	}
	for start < len(runes) && runes[start] == ' ' {
		start++
	}
	unit := string(runes[start:])
	if strings.ContainsAny(unit, " \t") {
		return 0, nil // the parameters: not completed
	}
	var out []completion
	if start == 0 && strings.HasPrefix(unit, ":") && !strings.Contains(unit[1:], ":") {
		out = prefixed(shellCommandNames, unit)
	}
	if strings.HasPrefix(unit, "*") {
		for _, n := range c.tree {
			if strings.HasPrefix(n.Long, "*") && strings.HasPrefix(n.Long, strings.ToUpper(unit)) {
				for _, form := range commonForms(n) {
					out = append(out, completion{text: form, show: form})
				}
			}
		}
		return start, out
	}
	// A header: mnemonics separated by colons; those before the last
	// choose the node whose children finish the last.
	header := strings.TrimPrefix(unit, ":")
	wordStart := start + len([]rune(unit)) - len([]rune(header))
	mnems := strings.Split(header, ":")
	nodes := c.tree
	for _, m := range mnems[:len(mnems)-1] {
		i := slices.IndexFunc(nodes, func(n sim.CommandNode) bool { return !strings.HasPrefix(n.Long, "*") && mnemonicMatches(n, m) })
		if i < 0 {
			return start, out
		}
		wordStart += len([]rune(m)) + 1
		nodes = nodes[i].Children
	}
	last := strings.ToUpper(mnems[len(mnems)-1])
	var scpi []completion
	for _, n := range nodes {
		if strings.HasPrefix(n.Long, "*") || !strings.HasPrefix(n.Long, last) {
			continue
		}
		name := notation(n)
		show := name
		if n.Suffix {
			show += "#"
		}
		text := name
		switch {
		case len(n.Children) > 0 && !n.Command && !n.Query:
			text += ":"
		case len(n.Children) == 0 && n.Query && !n.Command:
			text += "?"
		}
		scpi = append(scpi, completion{text: text, show: show})
	}
	if len(out) > 0 && len(scpi) > 0 {
		// Shell commands and SCPI headers after one colon: the shell's
		// words keep their colon; the headers' are given theirs.
		for i := range scpi {
			scpi[i].text, scpi[i].show = ":"+scpi[i].text, ":"+scpi[i].show
		}
		return start, append(out, scpi...)
	}
	if len(out) > 0 {
		return start, out
	}
	return wordStart, scpi
}

// prefixed lists the words that start with prefix (any case).
func prefixed(words []string, prefix string) []completion {
	var out []completion
	for _, w := range words {
		if strings.HasPrefix(w, strings.ToLower(prefix)) {
			out = append(out, completion{text: w, show: w})
		}
	}
	return out
}

// commonForms are the ways a common command is typed: *RST, *OPC, *OPC?.
func commonForms(n sim.CommandNode) []string {
	var out []string
	if n.Command {
		out = append(out, n.Long)
	}
	if n.Query {
		out = append(out, n.Long+"?")
	}
	return out
}

// mnemonicMatches reports whether m (as typed) selects n: its short or
// long form in any case, with a numeric suffix where n takes one.
func mnemonicMatches(n sim.CommandNode, m string) bool {
	m = strings.ToUpper(m)
	if n.Suffix {
		m = strings.TrimRight(m, "0123456789")
	}
	return m == n.Short || m == n.Long
}

// notation writes a mnemonic as programming manuals do: the short form in
// upper case, the rest of the long form in lower case (VOLTage).
func notation(n sim.CommandNode) string {
	if strings.HasPrefix(n.Long, n.Short) {
		return n.Short + strings.ToLower(n.Long[len(n.Short):])
	}
	return n.Long
}
