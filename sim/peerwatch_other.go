//go:build !linux

package sim

import "net"

// awaitHangup cannot ask the kernel whether the peer has closed without
// reading (POLLRDHUP is Linux's): it reports false at once, and a client
// that goes away behind a full read-ahead is seen when its call ends.
func awaitHangup(net.Conn) bool { return false }
