// Package hislipwire holds the HiSLIP (IVI-6.1) message layout shared by
// the HiSLIP link and the simulator's HiSLIP server: the 16-byte header
// ("HS", message type, control code, message parameter, payload length,
// all big-endian), the message types and control codes, and a reader that
// survives a deadline in the middle of a message.
package hislipwire
