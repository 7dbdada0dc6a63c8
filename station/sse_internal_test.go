package station

import (
	"bufio"
	"context"
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
