// Package bytequeue is an unbounded in-memory byte FIFO whose reads block
// until data arrives, the queue is closed, or a deadline passes. It is the
// plumbing under transport.Pipe, the scripted fake link of scpitest and the
// simulator's in-process links, so that all of them honour deadlines the way
// a net.Conn does.
package bytequeue
