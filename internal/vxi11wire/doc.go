// Package vxi11wire holds the VXI-11 (VXIbus Consortium, rev. 1.0)
// program numbers, procedures, flags, error codes and the XDR encodings of
// the core and abort channel messages, shared by the VXI-11 link and the
// simulator's VXI-11 server. Every Decode function reports malformed
// input as an error matching oncrpc.ErrMalformed.
package vxi11wire
