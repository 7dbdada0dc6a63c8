//go:build !unix

package pgtest

import "testing"

// holdServer does nothing without file locks: a test that stops the
// server may then fail tests of other packages run at the same time.
func holdServer(testing.TB, string, bool) {}
