package main

import "testing"

// The README's run command must keep working: run the program against its
// simulated bench.
func TestQuickstartSimulated(t *testing.T) {
	if err := run("TCPIP0::127.0.0.1::5025::SOCKET", true); err != nil {
		t.Fatal(err)
	}
}
