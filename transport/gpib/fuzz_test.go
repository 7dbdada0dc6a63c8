package gpib_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/transport"
	"github.com/scpikit/scpikit/transport/gpib"
)

// FuzzAdapterReplies plays an adapter that answers ++ver and then sends
// arbitrary bytes: reads and serial polls return a framed reply or an
// error, never panic or hang past their deadline.
func FuzzAdapterReplies(f *testing.F) {
	f.Add([]byte("+1.000E+00\n"))
	f.Add([]byte("#15ab\ncd\n"))
	f.Add([]byte("#9999999999"))
	f.Add([]byte("16\r\n"))
	f.Add([]byte("\r\n\r\n-3\r\n"))
	f.Add([]byte("+1.000E+00\x04"))       // EOI alone: the end mark ends it
	f.Add([]byte("#14a\x04\nb\x04\x04"))  // the mark's byte in a block's payload
	f.Add([]byte("#0ab\x04cd\n\x04"))     // an indefinite block waits for its newline
	f.Add([]byte("\"a\x04\" \x04\n\x04")) // the mark's byte in a string
	f.Fuzz(func(t *testing.T, reply []byte) {
		host, dev := transport.Pipe()
		defer dev.Close()
		dev.Write([]byte("Prologix GPIB-USB Version 6.107\r\n"))
		intercept := transport.WithIntercept(func(ctx context.Context, r transport.Resource) (transport.Conn, bool, error) {
			return host, true, nil
		})
		ctx := context.Background()
		c, err := gpib.Dial(ctx, "ASRL/dev/fuzz::INSTR", 4, transport.NoAddress, transport.NewOptions(intercept))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		dev.Write(reply)
		c.SetDeadline(time.Now().Add(20 * time.Millisecond))
		buf := make([]byte, 1<<10)
		var got []byte
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil || strings.HasSuffix(string(got), "\n") {
				break
			}
		}
		short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		c.ReadStatusByte(short)
	})
}
