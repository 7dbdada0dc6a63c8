package sim

// Steady reports whether the output's measurement depends on its settings
// alone: it has no measurement noise and its load does not change with
// time (none, or a Resistor). A model that has measured a steady output
// and changed none of its settings since can skip measuring it again.
func (o *Output) Steady() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.noise > 0 && o.random != nil {
		return false
	}
	switch o.load.(type) {
	case nil, Resistor:
		return true
	}
	return false
}
