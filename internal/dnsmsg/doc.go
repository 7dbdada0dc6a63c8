// Package dnsmsg encodes and decodes the DNS messages (RFC 1035) that
// multicast DNS service discovery (RFC 6762, RFC 6763) exchanges: a
// question for a service type's PTR records, and answers with PTR, SRV,
// TXT and A/AAAA records. Shared by discovery (transport/discover) and
// the simulator's announcer. The decoder follows compression pointers
// with a bound, and reports malformed input as ErrMalformed.
package dnsmsg
