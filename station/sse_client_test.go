package station_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// sseEvent is one server-sent event as a client reads it.
type sseEvent struct {
	ID, Event, Data string
}

// sseStream reads server-sent events from a response, as EventSource
// does (fields id, event, data; comments and retry skipped).
type sseStream struct {
	resp *http.Response
	r    *bufio.Reader
}

func openSSE(ctx context.Context, url, lastID string) (*sseStream, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s %s: %s", url, resp.Status, resp.Header.Get("Content-Type"), b)
	}
	return &sseStream{resp: resp, r: bufio.NewReaderSize(resp.Body, 1<<20)}, nil
}

// next reads the next event; io.EOF when the stream ends.
func (s *sseStream) next() (sseEvent, error) {
	var e sseEvent
	var data []string
	have := false
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
		if line == "" {
			if have {
				e.Data = strings.Join(data, "\n")
				return e, nil
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			e.ID, have = value, true
		case "event":
			e.Event, have = value, true
		case "data":
			data, have = append(data, value), true
		}
	}
}

func (s *sseStream) Close() { s.resp.Body.Close() }
