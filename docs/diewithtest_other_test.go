//go:build !linux

package docs_test

import "os/exec"

// dieWithTest: only Linux can tie a child's life to its parent's; the
// test's cleanup stops the servers elsewhere.
func dieWithTest(cmd *exec.Cmd) {}
