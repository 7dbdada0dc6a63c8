package station

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
)

// events serves the store's events as server-sent events, from the one
// after Last-Event-ID (or ?after=), else from LiveStart: a reloaded page
// or one whose server restarted resumes where it was, with nothing
// missing and nothing twice. Each event is
//
//	id: <run ID>/<seq>
//	event: <kind>
//	data: <the harness.Event as the store keeps it, JSON>
//
// but for an attachment's bytes (pageBody).
// The harness never waits for a page: the stream reads what the store
// has committed, at the client's pace.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	from := r.Header.Get("Last-Event-ID")
	if from == "" {
		from = r.URL.Query().Get("after")
	}
	var cur results.Cursor
	var err error
	if from != "" {
		if cur, err = results.ParseCursor(from); err != nil {
			httpError(w, http.StatusBadRequest, err.Error()+" (Last-Event-ID or ?after=)")
			return
		}
	}
	// The slot first: a stream refused costs no query of the store.
	select {
	case s.streams <- struct{}{}:
		defer func() { <-s.streams }()
	default:
		w.Header().Set("Retry-After", "5")
		httpError(w, http.StatusServiceUnavailable, "too many live pages are open on this station server; close one")
		return
	}
	if from == "" {
		if cur, err = s.store.LiveStart(ctx, s.now(), s.recent); err != nil {
			s.fail(w, r, err)
			return
		}
	}

	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // a reverse proxy must not hold the stream back
	w.WriteHeader(http.StatusOK)

	var mu sync.Mutex // the stream and the keep-alives write in turn
	write := func(b []byte) error {
		mu.Lock()
		defer mu.Unlock()
		// A client that stops reading must not hold the stream for ever;
		// one that reads slowly gets the whole of a large event.
		return writeAll(w, rc, b, s.stall)
	}
	// The browser reconnects after 1 s when the stream breaks.
	if write([]byte("retry: 1000\n\n")) != nil {
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	pinged := make(chan struct{})
	defer func() {
		// The keep-alives end before the handler returns: net/http
		// finishes the response then, and a write racing it would
		// corrupt the stream (the race detector caught one).
		cancel()
		<-pinged
	}()
	go func() {
		defer close(pinged)
		// A comment now and then: a proxy or a browser that closes idle
		// connections keeps this one, and a dead client is found.
		t := time.NewTicker(s.ping)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if write([]byte(": ping\n\n")) != nil {
					cancel()
					return
				}
			}
		}
	}()
	var buf bytes.Buffer
	err = s.store.Tail(ctx, cur, func(batch []results.StoredEvent) error {
		// Written a chunk of events at a time, not the whole batch (up
		// to 4 MiB) in one piece: the stream holds little for a client
		// that does not read.
		for i, e := range batch {
			writeEvent(&buf, e.Cursor(), e.Kind, pageBody(e))
			if buf.Len() < writeChunk && i < len(batch)-1 {
				continue
			}
			err := write(buf.Bytes())
			buf.Reset()
			if buf.Cap() > 1<<20 {
				// A large event: not kept for the rest of the stream,
				// which mostly carries small ones.
				buf = bytes.Buffer{}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil && !errors.Is(err, results.ErrClosed) && !isClientGone(err) {
		s.log.Error().Err(err).Str("from", cur.String()).Msg("station: a live event stream failed")
	}
}

// writeEvent writes one event in the SSE format. The body is JSON on one
// line; were it not, each line would go in a data field of its own,
// which the client joins with newlines.
func writeEvent(b *bytes.Buffer, id results.Cursor, kind harness.EventKind, data []byte) {
	b.WriteString("id: ")
	b.WriteString(id.String())
	b.WriteString("\nevent: ")
	b.WriteString(oneLine(string(kind)))
	body := string(data)
	for {
		line, rest, more := strings.Cut(body, "\n")
		b.WriteString("\ndata: ")
		b.WriteString(strings.TrimSuffix(line, "\r"))
		if !more {
			break
		}
		body = rest
	}
	b.WriteString("\n\n")
}

// pageBody is the data of an event on the page's stream: the event as
// the store keeps it, but for an attachment's bytes (up to 16 MiB, some
// 21 MB of JSON), which the page does not show: an attachment event
// carries its name, media type and size, {"name": "scope.png",
// "media_type": "image/png", "size": 16777216}. The bytes are in the
// store, and in the run's record (results.Store.Record).
func pageBody(e results.StoredEvent) []byte {
	if e.Kind != harness.EventAttachment {
		return e.Body
	}
	var ev map[string]json.RawMessage
	var a struct {
		Name      string     `json:"name"`
		MediaType string     `json:"media_type"`
		Data      base64Size `json:"data"`
	}
	if err := json.Unmarshal(e.Body, &ev); err == nil {
		if raw, ok := ev["attachment"]; ok {
			if err := json.Unmarshal(raw, &a); err != nil {
				a.Name, a.MediaType, a.Data = "", "", 0
			}
		}
	} else {
		// Never so for what the store wrote; the event all the same.
		ev = map[string]json.RawMessage{}
		for k, v := range map[string]any{"run": e.Run, "seq": e.Seq, "kind": e.Kind, "dut": e.DUT} {
			ev[k], _ = json.Marshal(v)
		}
	}
	ev["attachment"], _ = json.Marshal(struct {
		Name      string `json:"name"`
		MediaType string `json:"media_type"`
		Size      int    `json:"size"`
	}{a.Name, a.MediaType, int(a.Data)})
	b, _ := json.Marshal(ev) // raw JSON and strings: never fails
	return b
}

// base64Size decodes a JSON string of standard base64 (how encoding/json
// writes a []byte) as the number of bytes it holds, without decoding
// them.
type base64Size int

func (n *base64Size) UnmarshalJSON(b []byte) error {
	var s []byte
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' {
		s = b[1 : len(b)-1]
	}
	size := len(s) / 4 * 3
	for i := len(s) - 1; i >= 0 && i >= len(s)-2 && s[i] == '='; i-- {
		size--
	}
	*n = base64Size(size)
	return nil
}

func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// isClientGone reports whether err is the client having gone away.
func isClientGone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed)
}
