package sim

import (
	"bufio"
	"context"
	"strings"
	"testing"
	"time"
)

// A handler that panics (a model's bug) costs its message, not the
// server: the message goes unanswered, -300 naming the panic is queued
// and logged, and the same connection and every other one are still
// served. Before, nothing in sim recovered, and one command ended the
// whole scpisim process.
func TestPanickingHandlerIsAnError(t *testing.T) {
	cmds := NewCommands[*sampleDevice]()
	cmds.Handle("BOOM", func(d *sampleDevice, c *Call) error {
		var slots []int
		n, err := c.Int(0, Number{Min: -5, Max: 5})
		if err != nil {
			return err
		}
		slots[n]++ // out of range whatever n is
		return nil
	})
	cmds.Handle("SYSTem:ERRor?", ErrorQueryHandler[*sampleDevice])
	m, err := NewModel("BOOMER", "", cmds, func() *sampleDevice { return &sampleDevice{} })
	if err != nil {
		t.Fatal(err)
	}
	logs, logger := newLogEvents()
	srv, err := ServeTCP("", m.New(), ServerOptions{Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	a, b := dial(t, srv.Addr().String()), dial(t, srv.Addr().String())
	a.SetDeadline(time.Now().Add(time.Minute))
	b.SetDeadline(time.Now().Add(time.Minute))
	ra, rb := bufio.NewReader(a), bufio.NewReader(b)
	if _, err := a.Write([]byte("*IDN?;:BOOM 1;*IDN?\nSYST:ERR?\n*IDN?\n")); err != nil {
		t.Fatal(err)
	}
	// The panicking message is not answered, not even its first query.
	line, err := ra.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, `-300,"Device-specific error;panic in BOOM: runtime error: index out of range`) {
		t.Errorf("SYST:ERR? after the panic = %q, want -300 naming the panic", line)
	}
	for _, r := range []*bufio.Reader{ra, rb} {
		if r == rb {
			b.Write([]byte("*IDN?\n"))
		}
		if line, err := r.ReadString('\n'); err != nil || !strings.Contains(line, "SAMPLE") {
			t.Errorf("*IDN? after the panic: %q, %v", line, err)
		}
	}
	logs.wait(t, ctx, "a handler panicked", 1)
}
