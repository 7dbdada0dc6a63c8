// Package testserver starts small TCP instruments on 127.0.0.1 for tests
// and benchmarks: a port chosen by the kernel, every connection closed and
// every goroutine ended when the test does.
package testserver
