package station

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

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
		// A client that stops reading must not hold the stream for ever.
		rc.SetWriteDeadline(time.Now().Add(30 * time.Second))
		if _, err := w.Write(b); err != nil {
			return err
		}
		return rc.Flush()
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
		buf.Reset()
		for _, e := range batch {
			writeEvent(&buf, e)
		}
		err := write(buf.Bytes())
		if buf.Cap() > 1<<20 {
			// A batch with attachments: not kept for the rest of the
			// stream, which mostly carries small events.
			buf = bytes.Buffer{}
		}
		return err
	})
	if err != nil && ctx.Err() == nil && !errors.Is(err, results.ErrClosed) && !isClientGone(err) {
		s.log.Error().Err(err).Str("from", cur.String()).Msg("station: a live event stream failed")
	}
}

// writeEvent writes one event in the SSE format. The body is JSON on one
// line; were it not, each line would go in a data field of its own,
// which the client joins with newlines.
func writeEvent(b *bytes.Buffer, e results.StoredEvent) {
	b.WriteString("id: ")
	b.WriteString(e.Cursor().String())
	b.WriteString("\nevent: ")
	b.WriteString(oneLine(string(e.Kind)))
	body := string(e.Body)
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

func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}

// isClientGone reports whether err is the client having gone away.
func isClientGone(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed)
}
