// Package scpitest tests instrument code without instruments, as
// net/http/httptest tests HTTP code without a network.
//
// NewConn returns a scripted fake link: the test lists the exact exchanges
// the code under test must make, in order, and the fake answers them. A
// command that differs from the script fails the test with a diff;
// exchanges left unused are reported when the test ends.
//
//	conn := scpitest.NewConn(t,
//		scpitest.Query("*IDN?", "Keysight Technologies,E36312A,MY1234,2.1.0"),
//		scpitest.Write("VOLT 5,(@1)"),
//		scpitest.Silent("MEAS:VOLT? (@1)"), // no reply: the driver must time out
//	)
//	s := scpi.NewSession(conn)
//
// NewRecorder wraps a real link and keeps the transcript; Save writes it in
// the form Load reads back, so a session with a real instrument becomes a
// regression test that runs anywhere.
package scpitest
