package sim

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/scpikit/scpikit/internal/hislipwire"
)

// A status query sent once the whole response has arrived sees MAV
// clear, however late the server's sending goroutine is in finishing up:
// the hook holds it just after the response's last byte went out.
func TestHiSLIPStatusAfterResponseHasNoMAV(t *testing.T) {
	srv, err := ServeHiSLIP("", MustNew("SAMPLE"), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	queried := make(chan struct{})
	srv.responded = func() { <-queried }
	release := sync.OnceFunc(func() { close(queried) })
	defer release() // before srv.Close, which waits for the held goroutine
	dial := func() net.Conn {
		c, err := net.Dial("tcp", srv.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		t.Cleanup(func() { c.Close() })
		return c
	}
	syn := dial()
	syn.Write(hislipwire.Message(nil, hislipwire.Initialize, 0, hislipwire.Version<<16, []byte("hislip0")))
	rd := hislipwire.Reader{R: syn, Max: 1 << 20}
	h, err := rd.Next()
	if err != nil || h.Type != hislipwire.InitializeResponse {
		t.Fatalf("Initialize: %+v %v", h, err)
	}
	asy := dial()
	asy.Write(hislipwire.Message(nil, hislipwire.AsyncInitialize, 0, h.Param&0xffff, nil))
	ard := hislipwire.Reader{R: asy, Max: 1 << 20}
	if h, err := ard.Next(); err != nil || h.Type != hislipwire.AsyncInitializeResponse {
		t.Fatalf("AsyncInitialize: %+v %v", h, err)
	}
	syn.Write(hislipwire.Message(nil, hislipwire.DataEnd, 0, 0xffffff00, []byte("*IDN?\n")))
	if h, err := rd.Next(); err != nil || h.Type != hislipwire.DataEnd {
		t.Fatalf("response: %+v %v", h, err)
	}
	if _, err := rd.Payload(); err != nil {
		t.Fatal(err)
	}
	asy.Write(hislipwire.Message(nil, hislipwire.AsyncStatusQuery, 1, 0xffffff00, nil))
	h, err = ard.Next()
	release()
	if err != nil || h.Type != hislipwire.AsyncStatusResponse {
		t.Fatalf("AsyncStatusQuery: %+v %v", h, err)
	}
	if h.Control&stbMAV != 0 {
		t.Fatalf("status byte %#x after the whole response was read: MAV set", h.Control)
	}
}
