// Package testserver starts small TCP instruments on 127.0.0.1 for tests
// and benchmarks: a port chosen by the kernel, every connection closed and
// every goroutine ended when the test does. It also holds small test
// helpers the packages share: a goroutine-safe log sink and a reader that
// stutters like a socket cut by deadlines, a log sink that signals a line,
// and the steps of an abandoned device lock.
package testserver
