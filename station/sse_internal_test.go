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

	"github.com/scpikit/scpikit/harness"
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

// A stop whose request is cancelled once its body is in (the browser
// closed as the operator pressed Stop, the server stopping, or net/http's
// background read) is still stored and answered 202: before, the store's
// write failed on the cancelled context and the page got an empty 200,
// which it took for success.
func TestStopStoredWhenTheRequestIsCancelled(t *testing.T) {
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	id := harness.NewRunID(time.Now())
	if err := <-store.Emit(harness.Event{Run: id, Seq: 1, Time: time.Now(), Kind: harness.EventRunStarted, Info: &harness.RunInfo{Name: "r"}}); err != nil {
		t.Fatal(err)
	}
	s := New(store)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest("POST", "/api/runs/"+id+"/stop", strings.NewReader(`{"immediate":true}`)).WithContext(gone)
	req.Host, req.RemoteAddr = "127.0.0.1", "127.0.0.1:5000"
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("stop: %d %q, want 202", rec.Code, rec.Body.String())
	}
	ctx, done := context.WithTimeout(context.Background(), time.Minute) // a hang fails the test, late
	defer done()
	if stop, ok := <-store.StopRequests(ctx, id); !ok || !stop.Immediate {
		t.Fatalf("stored stop request: %+v %v", stop, ok)
	}
}

// A run waiting on its operator's prompt emits nothing; a page opened an
// hour later, after another run has come and gone, still starts with it
// and is sent its prompt: its writer is at work, so it is live however
// quiet (before, only a run with an event in the last 10 minutes was, and
// the page started with the newer run, the prompt never shown).
func TestFreshPageIsSentAQuietRunsPrompt(t *testing.T) {
	store, err := results.Open(filepath.Join(t.TempDir(), "station.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	s := New(store)
	s.now = func() time.Time { return time.Now().Add(time.Hour) } // the operator is away an hour
	hs := httptest.NewServer(s)
	defer hs.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	asked := make(chan string, 1)
	go func() {
		// Tells when the waiting run's prompt is committed.
		store.Tail(ctx, results.Cursor{}, func(batch []results.StoredEvent) error {
			for _, e := range batch {
				if e.Kind == harness.EventPrompt {
					asked <- e.Run
					return errors.New("seen")
				}
			}
			return nil
		})
	}()
	waited := make(chan error, 1)
	go func() {
		_, err := harness.Run(ctx, "waits-for-operator", func(tt *harness.Test) error {
			return tt.DUT("slot-A", func(d *harness.DUTRun) error {
				_, err := d.Prompt(ctx, harness.Prompt{Text: "Insert the fixture and press yes", Input: harness.InputConfirm})
				return err
			})
		}, harness.WithoutSignals(), harness.WithSink(store), harness.WithControl(store))
		waited <- err
	}()
	waiting := <-asked
	other, err := harness.Run(context.Background(), "another", func(tt *harness.Test) error {
		return tt.DUT("slot-B", func(d *harness.DUTRun) error { return nil })
	}, harness.WithoutSignals(), harness.WithSink(store))
	if err != nil {
		t.Fatal(err)
	}

	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	req, err := http.NewRequestWithContext(rctx, "GET", hs.URL+"/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	br := bufio.NewReader(resp.Body)
	var id string
	prompted := false
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream: %v", err)
		}
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			id = strings.TrimSpace(v)
		}
		if strings.HasPrefix(line, "event: prompt") && strings.HasPrefix(id, waiting+"/") {
			prompted = true
		}
		if strings.HasPrefix(line, "event: run.ended") && strings.HasPrefix(id, other.ID+"/") {
			break // committed after the prompt: the page has had its chance
		}
	}
	if !prompted {
		t.Errorf("a page opened while run %s waited on its prompt was not sent the prompt", waiting)
	}
	rcancel()
	cancel()
	<-waited
}
