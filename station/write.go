package station

import (
	"net/http"
	"time"
)

// stallTimeout is how long a client may go without taking any of a reply
// before it is dropped (Server.stall).
const stallTimeout = 30 * time.Second

// writeChunk is how much of a reply goes out under one write deadline.
const writeChunk = 64 << 10

// writeAll writes b to w in chunks of writeChunk, each flushed under a
// deadline of stall from when it starts: the deadline measures progress,
// not size, so a client that reads, however slowly, gets the whole
// reply, and one that stops reading is dropped after stall (the write
// fails; net/http closes the connection). The server has no
// WriteTimeout, which would end the live event streams: every reply that
// may be large is written here.
func writeAll(w http.ResponseWriter, rc *http.ResponseController, b []byte, stall time.Duration) error {
	for len(b) > 0 {
		n := min(len(b), writeChunk)
		rc.SetWriteDeadline(time.Now().Add(stall)) // not supported by a test's recorder: no deadline needed there
		if _, err := w.Write(b[:n]); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
