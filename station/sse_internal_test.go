package station

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scpikit/scpikit/results"
)

// A stream's keep-alives end before its handler returns: net/http
// finishes the response then, and a keep-alive written meanwhile raced it
// (seen by the race detector in TestLiveEightSlots, whose run outlived
// one 15 s ping). Pings every 100 µs make every stream end amid them.
func TestStreamEndsAfterItsKeepAlives(t *testing.T) {
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := New(store)
	s.ping = 100 * time.Microsecond
	hs := httptest.NewServer(s)
	defer hs.Close()
	for i := range 20 {
		ctx, cancel := context.WithCancel(context.Background())
		req, err := http.NewRequestWithContext(ctx, "GET", hs.URL+"/events", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r := bufio.NewReader(resp.Body)
		pings := 0
		for pings < 3 {
			line, err := r.ReadString('\n')
			if err != nil {
				t.Fatalf("stream %d: %v after %d pings", i, err, pings)
			}
			if strings.HasPrefix(line, ": ping") {
				pings++
			}
		}
		cancel()
		resp.Body.Close()
	}
}

// A POST whose body does not come in time is answered with 400 and its
// connection closed, instead of holding a goroutine and a descriptor for
// as long as the client likes (the server's own timeouts cover headers
// only: a read timeout would end the live streams too).
func TestSlowBodyIsCutOff(t *testing.T) {
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := New(store)
	s.body = 50 * time.Millisecond
	hs := httptest.NewServer(s)
	defer hs.Close()
	c, err := net.Dial("tcp", hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Minute)) // a hang fails the test, late
	fmt.Fprintf(c, "POST /api/runs/R/stop HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"imm", hs.Listener.Addr())
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "reading the body") {
		t.Fatalf("a body that stalls: %d %s", resp.StatusCode, body)
	}
}

// Reports are built two at a time: a third request waits for a slot, and
// gives up with its client.
func TestReportsWaitForASlot(t *testing.T) {
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := New(store)
	waiting := make(chan struct{}, 1)
	s.reportWaits = func() {
		select {
		case waiting <- struct{}{}:
		default: // a later wait (the last request's, briefly) need not be seen
		}
	}
	hs := httptest.NewServer(s)
	defer hs.Close()
	for range maxReports {
		s.reports <- struct{}{} // two reports being built
	}
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", hs.URL+"/runs/NOSUCHRUN/report.html", nil)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			err = fmt.Errorf("answered %s while every slot was taken", resp.Status)
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatal(err)
	case <-waiting: // the handler waits for a slot
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("the waiting request: %v", err)
	}
	<-s.reports
	if resp, err := http.Get(hs.URL + "/runs/NOSUCHRUN/report.html"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("with a slot free: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}
