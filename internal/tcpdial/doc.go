// Package tcpdial opens the TCP connections of the network links (raw
// socket, VXI-11, HiSLIP) the same way: dial bounded by the context and
// the dial timeout, TCP_NODELAY on (SCPI messages are small and
// latency-bound), keep-alive on so an unplugged instrument is noticed
// while the controller is idle.
package tcpdial
