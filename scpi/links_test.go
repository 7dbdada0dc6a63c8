package scpi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/sim"
)

// The session's contract holds over every link: the same scenarios, run
// against a simulated instrument served over each.
func TestSessionContractOnEveryLink(t *testing.T) {
	for _, l := range links {
		t.Run(l.name, func(t *testing.T) {
			t.Run("atomic sequences from many goroutines", func(t *testing.T) {
				s := l.open(t, sim.MustNew("SAMPLE"), sim.ServerOptions{})
				ctx := context.Background()
				var wg sync.WaitGroup
				errs := make(chan error, 8)
				for g := range 8 {
					wg.Go(func() {
						for i := range 20 {
							tag := fmt.Sprintf("G%d-%d", g, i)
							err := s.Do(ctx, func(tx *scpi.Tx) error {
								if err := tx.Writef(ctx, "DISP:TEXT %q", tag); err != nil {
									return err
								}
								got, err := tx.QueryString(ctx, "DISP:TEXT?")
								if err == nil && got != tag {
									err = fmt.Errorf("wrote %s, read back %s", tag, got)
								}
								return err
							})
							if err != nil {
								errs <- err
								return
							}
						}
					})
				}
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
			})
			t.Run("binary block with every byte value", func(t *testing.T) {
				s := l.open(t, sim.MustNew("SAMPLE"), sim.ServerOptions{})
				ctx := context.Background()
				var data []byte
				for i := range 3 * 256 {
					data = append(data, byte(i), '\n', '\r', 27, '+')
				}
				if err := s.WriteBlock(ctx, "DATA:ARB ", data); err != nil {
					t.Fatal(err)
				}
				got, err := s.QueryBlock(ctx, "DATA:ARB?")
				if err != nil || !bytes.Equal(got, data) {
					t.Fatalf("%d bytes back (want %d), %v", len(got), len(data), err)
				}
			})
			t.Run("no stale reply after a timeout", func(t *testing.T) {
				in := sim.MustNew("SAMPLE")
				s := l.open(t, in, sim.ServerOptions{})
				ctx := context.Background()
				if err := in.SetFaults(sim.Faults{Latency: 200 * time.Millisecond}); err != nil {
					t.Fatal(err)
				}
				short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
				defer cancel()
				if _, err := s.Query(short, "*IDN?"); !errors.Is(err, scpi.ErrTimeout) {
					t.Fatalf("slow query: %v, want ErrTimeout", err)
				}
				in.SetFaults(sim.Faults{})
				v, err := s.Query(ctx, "SYST:VERS?")
				if err != nil || strings.Contains(v, "SAMPLE") {
					t.Fatalf("next query: %q, %v", v, err)
				}
			})
			t.Run("cancel interrupts a wait", func(t *testing.T) {
				in := sim.MustNew("SAMPLE")
				s := l.open(t, in, sim.ServerOptions{})
				if err := in.SetFaults(sim.Faults{Latency: time.Hour}); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				errc := make(chan error, 1)
				go func() { _, err := s.Query(ctx, "*IDN?"); errc <- err }()
				cancel()
				if err := <-errc; !errors.Is(err, context.Canceled) {
					t.Fatalf("cancelled query: %v", err)
				}
				in.SetFaults(sim.Faults{})
			})
		})
	}
}
