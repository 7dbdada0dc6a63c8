package harness

import "errors"

// ExitCode is the exit status of a program whose work was the run: what
// a shell, a CI job or an operator's script reads of it.
//
//	3        the safe state was not verified: the bench may not be safe to touch
//	128+N    a signal N stopped the run (130 SIGINT, 143 SIGTERM, 129 SIGHUP), the safe state verified
//	1        a DUT or the run did not pass (fail, error, aborted), as go test exits 1 on a failed test
//	0        every DUT passed (marginal included)
func ExitCode(rec *Record, err error) int {
	var sig *SignalError
	switch {
	case errors.Is(err, ErrUnsafe):
		return 3
	case rec != nil && unverified(rec):
		return 3
	case errors.As(err, &sig):
		return sig.ExitCode()
	case err != nil:
		return 1
	case rec == nil || !rec.Outcome.Passed():
		return 1
	}
	for _, d := range rec.DUTs {
		if !d.Outcome.Passed() {
			return 1
		}
	}
	return 0
}

func unverified(rec *Record) bool {
	for _, s := range rec.SafeState {
		if !s.Verified {
			return true
		}
	}
	return false
}
