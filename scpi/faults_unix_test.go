//go:build unix

package scpi_test

import "syscall"

// minorFaults is the process's count of minor page faults so far: pages
// touched for the first time since the system gave them (or took them
// back), each zeroed by the kernel; ok is false where it is not known.
func minorFaults() (n int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return int64(ru.Minflt), true
}
