package scpi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// ErrTimeout is matched by errors from operations that ran out of time,
// whether the deadline came from the caller's context or the session's
// default timeout. Such errors also match context.DeadlineExceeded.
var ErrTimeout error = timeoutError{}

type timeoutError struct{}

func (timeoutError) Error() string        { return "timeout" }
func (timeoutError) Timeout() bool        { return true }
func (timeoutError) Is(target error) bool { return target == context.DeadlineExceeded }

var (
	// ErrClosed is matched by errors from a session that has been closed.
	ErrClosed = errors.New("session closed")
	// ErrDisconnected is matched by errors from a link that failed under
	// the session (connection reset, cable pulled, peer closed).
	ErrDisconnected = errors.New("instrument disconnected")
	// ErrMalformed is matched by errors for responses that do not parse as
	// the type asked for.
	ErrMalformed = errors.New("malformed response")
	// ErrBlockTooLarge is matched when a block header announces more bytes
	// than the session's block limit (see WithMaxBlockSize).
	ErrBlockTooLarge = errors.New("block larger than the limit")
	// ErrResponseTooLarge is matched when a text response exceeds the
	// session's response limit (see WithMaxResponseSize).
	ErrResponseTooLarge = errors.New("response larger than the limit")
	// ErrNotSupported is matched when the link lacks an optional capability
	// the call needs (device clear on a raw socket, for instance).
	ErrNotSupported = errors.New("not supported by this link")
	// ErrInvalidCommand is matched when a command cannot be sent as given:
	// it contains the message terminator, or an argument has no SCPI form
	// (NaN, Inf, an unsupported type).
	ErrInvalidCommand = errors.New("invalid command")
	// ErrErrorQueueNotDrained is matched when the error queue still reports
	// errors after the session's bound on reads (see WithMaxErrors): the
	// instrument is probably broken, and the loop stops instead of spinning.
	ErrErrorQueueNotDrained = errors.New("error queue not drained")
	// ErrTxDone is matched when a Tx is used after its Do has returned.
	ErrTxDone = errors.New("transaction used after Do returned")
)

// OpError describes a failed session operation: what was being done, on
// which instrument, with which command. Unwrap gives the cause, which
// matches one of the package's sentinel errors or a context error.
type OpError struct {
	Op       string // "write", "query", "read block", "lock", ...
	Resource string // the instrument, when known
	Command  string // the command sent, when there was one
	Err      error
}

func (e *OpError) Error() string {
	s := "scpi: " + e.Op
	if e.Command != "" {
		s += " " + strconv.Quote(truncate(e.Command, 80))
	}
	if e.Resource != "" {
		s += " on " + e.Resource
	}
	return s + ": " + e.Err.Error()
}

func (e *OpError) Unwrap() error { return e.Err }

// Timeout reports whether the operation ran out of time, as net.Error does.
func (e *OpError) Timeout() bool { return errors.Is(e.Err, ErrTimeout) }

// DeviceError is one entry of the instrument's error queue, as read with
// SYST:ERR?: the SCPI code and message, and the command that caused it when
// the session can tell (see ErrorCheck).
type DeviceError struct {
	Code    int
	Message string
	Command string
}

func (e *DeviceError) Error() string {
	s := fmt.Sprintf("scpi: device error %d, %q", e.Code, e.Message)
	if e.Command != "" {
		s += " after " + strconv.Quote(truncate(e.Command, 80))
	}
	return s
}

// ParseError says why a response did not parse.
type ParseError struct {
	Want  string // what was expected: "float", "boolean", "block"...
	Input string // the response, truncated
	Why   string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("scpi: malformed response %q: want %s: %s", e.Input, e.Want, e.Why)
}

// Is makes every ParseError match ErrMalformed.
func (e *ParseError) Is(target error) bool { return target == ErrMalformed }

func parseErr(want, input, why string) error {
	return &ParseError{Want: want, Input: truncate(input, 64), Why: why}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
