package sim

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// awaitHangup waits until the client at the other end of c has closed
// its side of the connection (its FIN has arrived, even behind bytes not
// yet read) or reset it, without reading c: the bytes stay in the
// kernel's buffers, and TCP back-pressure holds the client. It reports
// true then, or when c fails or its read deadline passes (endWatch sets
// one to end the wait; the caller tells the two apart). It reports false
// at once for a connection it cannot ask (not a socket).
//
// The runtime's poller wakes the wait whenever c becomes readable or
// its peer hangs up, and poll(2) with POLLRDHUP, which needs no read,
// says which.
func awaitHangup(c net.Conn) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	hungUp := false
	err = rc.Read(func(fd uintptr) bool {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		n, err := unix.Poll(fds, 0)
		if err != nil {
			return false // EINTR: ask again on the next wake
		}
		hungUp = n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0
		return hungUp
	})
	return hungUp || err != nil
}
