//go:build !unix

package harness

// brokenStdio cannot tell here; a closed pipe fails its writes instead.
func brokenStdio() string { return "" }
