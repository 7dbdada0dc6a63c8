package hislip

// TerminatesAtEnd reports that every response read through the link ends
// with a newline: a DataEnd message that comes without one gets one
// added, so a session reads a bare block's end as it reads any other.
func (c *Conn) TerminatesAtEnd() bool { return true }
