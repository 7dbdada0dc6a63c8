package vxi11

import "time"

// SetAbortWait sets the bound on a device_abort for a test and returns
// the function that restores it.
func SetAbortWait(d time.Duration) (restore func()) {
	old := abortWait
	abortWait = d
	return func() { abortWait = old }
}
