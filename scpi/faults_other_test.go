//go:build !unix

package scpi_test

func minorFaults() (n int64, ok bool) { return 0, false }
