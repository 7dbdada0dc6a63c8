// Package oncrpc is the ONC RPC (RFC 5531) and XDR (RFC 4506) layer that
// VXI-11 runs on, shared by the VXI-11 link and the simulator's VXI-11
// server: record marking over TCP, call and reply headers, an XDR encoder
// and a decoder that never panics on hostile input, and the portmapper
// (RFC 1833, version 2) messages.
//
// Decoding errors match ErrMalformed; a record longer than the reader's
// limit matches ErrTooLarge, so a lying fragment header cannot make a peer
// allocate gigabytes.
package oncrpc
