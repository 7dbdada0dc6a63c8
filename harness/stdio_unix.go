//go:build unix

package harness

import "golang.org/x/sys/unix"

// brokenStdio names stdout or stderr when it has lost its reader (a pipe
// whose reading end is closed reports POLLERR, a socket or terminal that
// hung up POLLHUP), or is "".
func brokenStdio() string {
	fds := []unix.PollFd{{Fd: 1, Events: unix.POLLOUT}, {Fd: 2, Events: unix.POLLOUT}}
	if _, err := unix.Poll(fds, 0); err != nil {
		return ""
	}
	for i, name := range []string{"stdout", "stderr"} {
		if fds[i].Revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			return name
		}
	}
	return ""
}
