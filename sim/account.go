package sim

import "sync/atomic"

// MemoryStats is a server's own account of the memory it holds for its
// clients: connections' read buffers, program messages being received,
// responses waiting to be sent, RPC records and HiSLIP payloads. It
// counts the capacity of each buffer, the memory it keeps, as it
// changes: the instrument's own state (a model's trace, its settings)
// and the runtime's are not in it. The hostile-client tests read it to
// check a server's limits hold under attack.
type MemoryStats struct {
	// Held is the bytes held now.
	Held int64
	// Peak is the most held at once since the server started.
	Peak int64
}

// memAccount sums the holdings of one server's buffers.
type memAccount struct{ held, peak atomic.Int64 }

func (a *memAccount) stats() MemoryStats {
	if a == nil {
		return MemoryStats{}
	}
	return MemoryStats{Held: a.held.Load(), Peak: a.peak.Load()}
}

// holding is one holder's share of an account: a connection's buffers, a
// client's input and output. Its holder calls it from one goroutine at a
// time (or under the lock that guards the buffers it counts). A holding
// of no account counts nothing, so code shared with unaccounted links
// (a pseudo-terminal, an in-process client) needs no test for it.
type holding struct {
	a    *memAccount
	n    int64
	done bool
}

// hold returns a new holding on the account the options carry (none when
// the options are not a server's).
func (o ServerOptions) hold() *holding { return &holding{a: o.acct} }

// set makes the holding n bytes, raising the account's peak when the
// total passes it.
func (h *holding) set(n int) {
	if h == nil || h.a == nil || h.done {
		return
	}
	d := int64(n) - h.n
	if d == 0 {
		return
	}
	h.n = int64(n)
	v := h.a.held.Add(d)
	for p := h.a.peak.Load(); v > p && !h.a.peak.CompareAndSwap(p, v); p = h.a.peak.Load() {
	}
}

// atLeast raises the holding to n bytes, before a buffer that large is
// allocated, so that the peak counts it while it fills.
func (h *holding) atLeast(n int) {
	if h != nil && int64(n) > h.n {
		h.set(n)
	}
}

// release returns the holding to the account for good: the holder's
// buffers are dropped; later sets are ignored.
func (h *holding) release() {
	h.set(0)
	if h != nil {
		h.done = true
	}
}
