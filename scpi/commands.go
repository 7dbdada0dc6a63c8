package scpi

import (
	"context"
	"strings"
)

// conversation is the pair of calls the typed helpers are built on; both
// Session and Tx have it.
type conversation interface {
	Write(ctx context.Context, cmd string) error
	Query(ctx context.Context, cmd string) (string, error)
	Resource() string
}

// commands holds the typed queries and IEEE 488.2 common commands. Session
// and Tx embed it, so each has them all, locked or not.
type commands struct{ c conversation }

func parsed[T any](resource, cmd, reply string, err error, parse func(string) (T, error)) (T, error) {
	var zero T
	if err != nil {
		return zero, err
	}
	v, err := parse(reply)
	if err != nil {
		return zero, &OpError{Op: "query", Resource: resource, Command: cmd, Err: err}
	}
	return v, nil
}

// Writef formats a command with Sprintf (SCPI forms for every argument;
// NaN, Inf and Go-only syntax refused) and sends it.
func (c commands) Writef(ctx context.Context, format string, args ...any) error {
	cmd, err := Sprintf(format, args...)
	if err != nil {
		return &OpError{Op: "write", Resource: c.c.Resource(), Command: format, Err: err}
	}
	return c.c.Write(ctx, cmd)
}

// Queryf formats a query with Sprintf and sends it.
func (c commands) Queryf(ctx context.Context, format string, args ...any) (string, error) {
	cmd, err := Sprintf(format, args...)
	if err != nil {
		return "", &OpError{Op: "query", Resource: c.c.Resource(), Command: format, Err: err}
	}
	return c.c.Query(ctx, cmd)
}

// QueryFloat sends cmd and parses the response with ParseFloat.
func (c commands) QueryFloat(ctx context.Context, cmd string) (float64, error) {
	r, err := c.c.Query(ctx, cmd)
	return parsed(c.c.Resource(), cmd, r, err, ParseFloat)
}

// QueryInt sends cmd and parses the response with ParseInt.
func (c commands) QueryInt(ctx context.Context, cmd string) (int64, error) {
	r, err := c.c.Query(ctx, cmd)
	return parsed(c.c.Resource(), cmd, r, err, ParseInt)
}

// QueryBool sends cmd and parses the response with ParseBool.
func (c commands) QueryBool(ctx context.Context, cmd string) (bool, error) {
	r, err := c.c.Query(ctx, cmd)
	return parsed(c.c.Resource(), cmd, r, err, ParseBool)
}

// QueryString sends cmd and parses the response with ParseString
// (quotes removed, doubled quotes undone).
func (c commands) QueryString(ctx context.Context, cmd string) (string, error) {
	r, err := c.c.Query(ctx, cmd)
	return parsed(c.c.Resource(), cmd, r, err, ParseString)
}

// QueryFloats sends cmd and parses a comma-separated list of numbers.
func (c commands) QueryFloats(ctx context.Context, cmd string) ([]float64, error) {
	r, err := c.c.Query(ctx, cmd)
	return parsed(c.c.Resource(), cmd, r, err, ParseFloats)
}

// QueryInts sends cmd and parses a comma-separated list of integers.
func (c commands) QueryInts(ctx context.Context, cmd string) ([]int64, error) {
	r, err := c.c.Query(ctx, cmd)
	return parsed(c.c.Resource(), cmd, r, err, ParseInts)
}

// QueryIDN sends *IDN? and parses the identification.
func (c commands) QueryIDN(ctx context.Context) (IDN, error) {
	r, err := c.c.Query(ctx, "*IDN?")
	return parsed(c.c.Resource(), "*IDN?", r, err, ParseIDN)
}

// WaitOPC sends *OPC? and waits for its "1", which the instrument sends
// once every pending operation has completed. Give ctx a deadline long
// enough for the operation.
func (c commands) WaitOPC(ctx context.Context) error {
	r, err := c.c.Query(ctx, "*OPC?")
	if err != nil {
		return err
	}
	if v, perr := ParseInt(r); perr != nil || v != 1 {
		return &OpError{Op: "query", Resource: c.c.Resource(), Command: "*OPC?", Err: parseErr("operation complete", r, "want 1")}
	}
	return nil
}

// Reset sends *RST: the instrument returns to its reset state.
func (c commands) Reset(ctx context.Context) error { return c.c.Write(ctx, "*RST") }

// ClearStatus sends *CLS: the status registers and the error queue are
// cleared.
func (c commands) ClearStatus(ctx context.Context) error { return c.c.Write(ctx, "*CLS") }

// Selftest sends *TST? and returns the result code; 0 means passed.
func (c commands) Selftest(ctx context.Context) (int64, error) {
	r, err := c.c.Query(ctx, "*TST?")
	return parsed(c.c.Resource(), "*TST?", strings.TrimSpace(r), err, ParseInt)
}
