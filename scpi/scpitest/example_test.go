package scpitest_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/scpikit/scpikit/scpi"
	"github.com/scpikit/scpikit/scpi/scpitest"
)

// setOutput is driver code under test: it must send exactly the bytes the
// programming manual prescribes.
func setOutput(ctx context.Context, s *scpi.Session, ch int, volts float64) error {
	if err := s.Writef(ctx, "VOLT %v,(@%d)", volts, ch); err != nil {
		return err
	}
	return s.Writef(ctx, "OUTP ON,(@%d)", ch)
}

func ExampleNewConn() {
	// In a real test, t is the *testing.T of the test function.
	t := &testing.T{}
	conn := scpitest.NewConn(t,
		scpitest.Write("VOLT 5,(@1)"),
		scpitest.Write("OUTP ON,(@1)"),
	)
	s := scpi.NewSession(conn)
	defer s.Close()
	err := setOutput(context.Background(), s, 1, 5)
	fmt.Println(err, conn.Remaining())
	// Output: <nil> 0
}
