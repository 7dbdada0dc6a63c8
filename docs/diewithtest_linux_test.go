package docs_test

import (
	"os/exec"
	"syscall"
)

// dieWithTest has a background server killed when the test process ends,
// however it ends: a test killed by go test's -timeout runs no cleanup,
// and an orphaned server would hold its port and inherited files (a
// lock a CI script holds around go test) for ever.
func dieWithTest(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
