package scpi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
	"github.com/scpikit/scpikit/sim"
	_ "github.com/scpikit/scpikit/sim/models/all" // every simulated model, by name
)

// A wait for a service request ends with the session, with its context,
// and on a status byte that is not one, each with its own error.
func TestWaitServiceRequestEnds(t *testing.T) {
	t.Run("session closed", func(t *testing.T) {
		s := scpi.NewSession(sim.MustNew("SAMPLE").Conn())
		errc := make(chan error, 1)
		go func() { _, err := s.WaitServiceRequest(context.Background()); errc <- err }()
		s.Close()
		if err := <-errc; !errors.Is(err, scpi.ErrClosed) {
			t.Fatalf("wait across Close: %v, want ErrClosed", err)
		}
	})
	t.Run("context cancelled", func(t *testing.T) {
		s := scpi.NewSession(sim.MustNew("SAMPLE").Conn())
		defer s.Close()
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { _, err := s.WaitServiceRequest(ctx); errc <- err }()
		cancel()
		var oe *scpi.OpError
		if err := <-errc; !errors.Is(err, context.Canceled) || !errors.As(err, &oe) {
			t.Fatalf("cancelled wait: %v, want a *OpError matching context.Canceled", err)
		}
	})
	t.Run("malformed status byte", func(t *testing.T) {
		s := scpi.NewSession(scpitest.NewConn(t, scpitest.Query("*STB?", "lots")))
		defer s.Close()
		if _, err := s.WaitServiceRequest(context.Background()); !errors.Is(err, scpi.ErrMalformed) {
			t.Fatalf("wait on a malformed status byte: %v, want ErrMalformed", err)
		}
	})
}
