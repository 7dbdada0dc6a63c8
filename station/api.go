package station

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/scpikit/scpikit/harness"
	"github.com/scpikit/scpikit/results"
)

// maxBody bounds what a POST may send: an answer is at most
// results.MaxAnswer bytes, with JSON around it.
const maxBody = 64 << 10

// bodyTimeout bounds the time a POST's body takes to come (Server.body).
const bodyTimeout = 10 * time.Second

// Run is one run as /api/runs lists it.
type Run struct {
	results.RunSummary
	Units  []Unit `json:"units"`
	Report string `json:"report"` // the HTML report's path
}

// Unit is a DUT slot of a run, with its verdict once the run has ended.
type Unit struct {
	DUT     string `json:"dut"`
	Serial  string `json:"serial,omitempty"`
	Part    string `json:"part,omitempty"`
	Outcome string `json:"outcome,omitempty"`
}

// runs serves the recent runs, newest first: ?limit=N (1 to 200, default
// 20).
func (s *Server) runs(w http.ResponseWriter, r *http.Request) {
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			httpError(w, http.StatusBadRequest, "limit: want a whole number from 1 to 200")
			return
		}
		limit = n
	}
	ctx := r.Context()
	sums, err := s.store.Runs(ctx, results.Filter{Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := make([]Run, 0, len(sums))
	for _, sum := range sums {
		run := Run{RunSummary: sum, Units: make([]Unit, 0, len(sum.Units)), Report: "/runs/" + sum.ID + "/report.html"}
		verdicts := map[string]harness.Outcome{}
		if sum.Ended != nil && sum.Events > 0 {
			// The run.ended event is the last: its verdicts per DUT.
			last, err := s.store.Events(ctx, sum.ID, sum.Events-1, 1)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			if len(last) == 1 && last[0].End != nil {
				for _, v := range last[0].End.DUTs {
					verdicts[v.Name] = v.Outcome
				}
			}
		}
		for _, u := range sum.Units {
			unit := Unit{DUT: u.DUT, Serial: u.Serial, Part: u.Part}
			if o, ok := verdicts[u.DUT]; ok {
				unit.Outcome = o.String()
			}
			run.Units = append(run.Units, unit)
		}
		out = append(out, run)
	}
	writeJSON(w, http.StatusOK, out)
}

// yield serves the first-pass yield since ?since=: "today" (the default:
// since local midnight), a duration before now (24h) or a date
// (2026-12-01, RFC 3339).
func (s *Server) yield(w http.ResponseWriter, r *http.Request) {
	since, err := parseSince(r.URL.Query().Get("since"), s.now())
	if err != nil {
		httpError(w, http.StatusBadRequest, "since: "+err.Error())
		return
	}
	y, err := s.store.FirstPassYield(r.Context(), since)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"since": since, "first_pass": y})
}

func parseSince(v string, now time.Time) (time.Time, error) {
	switch v {
	case "", "today":
		y, m, d := now.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, now.Location()), nil
	}
	if d, err := time.ParseDuration(v); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, now.Location()); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New(`want "today", a duration before now (24h) or a date (2026-12-01)`)
}

// Instrument is an instrument a run uses, as its configuration names it.
type Instrument struct {
	Name     string `json:"name"`
	Resource string `json:"resource"`
	Run      string `json:"run"`    // the newest run that used it
	Status   string `json:"status"` // "in use" while that run goes on, "idle" after
}

// InstrumentKey is the prefix of a run's configuration entries
// (harness.RunInfo.Config) that name its instruments: "instrument.psu-a"
// = "TCPIP0::10.0.0.5::5025::SOCKET" lists psu-a on the page.
const InstrumentKey = "instrument."

// instruments serves the instruments of the newest run.
func (s *Server) instruments(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	out := []Instrument{}
	sums, err := s.store.Runs(ctx, results.Filter{Limit: 1})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(sums) == 1 {
		first, err := s.store.Events(ctx, sums[0].ID, 0, 1)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		status := "idle"
		if sums[0].Ended == nil {
			status = "in use"
		}
		if len(first) == 1 && first[0].Info != nil {
			for k, v := range first[0].Info.Config {
				if name, ok := strings.CutPrefix(k, InstrumentKey); ok && name != "" {
					out = append(out, Instrument{Name: name, Resource: v, Run: sums[0].ID, Status: status})
				}
			}
		}
	}
	sortInstruments(out)
	writeJSON(w, http.StatusOK, out)
}

func sortInstruments(v []Instrument) {
	for i := 1; i < len(v); i++ {
		for j := i; j > 0 && v[j].Name < v[j-1].Name; j-- {
			v[j], v[j-1] = v[j-1], v[j]
		}
	}
}

// maxReports bounds the reports built at once: each holds its run's
// whole record in memory (a long burn-in's is large), and a server
// serving the page beside a run shares its process.
const maxReports = 2

// report serves a run's HTML report, rebuilt from the store. Requests
// beyond maxReports wait their turn to build theirs; a slot is given back
// once the report is built, before it is sent, so a client that does not
// read holds none, and it is sent under the stall bound of no progress
// (writeAll): the server has no write timeout.
func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	b, err := s.buildReport(r)
	if errors.Is(err, errGaveUp) {
		return // the client went away while waiting
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	writeAll(w, http.NewResponseController(w), b, s.stall) // a client that stops reading is dropped
}

// errGaveUp is buildReport's error for a request that ended while it
// waited for a slot.
var errGaveUp = errors.New("station: the request ended while waiting to build its report")

// buildReport builds the HTML report of the request's run in one of the
// maxReports slots, waiting for one as long as the request lasts.
func (s *Server) buildReport(r *http.Request) ([]byte, error) {
	select {
	case s.reports <- struct{}{}:
	default:
		if s.reportWaits != nil {
			s.reportWaits()
		}
		select {
		case s.reports <- struct{}{}:
		case <-r.Context().Done():
			return nil, errGaveUp
		}
	}
	defer func() { <-s.reports }()
	rec, err := s.store.Record(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := rec.WriteHTML(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// answer answers a prompt: {"answer": "..."} -> 204; 404 for a run or
// prompt the store does not hold, 409 when it was answered already (the
// first answer wins) or its run has ended.
func (s *Server) answer(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Answer *string `json:"answer"`
	}
	if !readJSON(w, r, &body, s.body) {
		return
	}
	if body.Answer == nil {
		httpError(w, http.StatusBadRequest, `want {"answer": "..."}`)
		return
	}
	ctx, cancel := operatorContext(r)
	defer cancel()
	if err := s.store.AnswerPrompt(ctx, r.PathValue("id"), r.PathValue("pid"), *body.Answer, "page"); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// stop asks a run to stop: {"immediate": false} (a first Ctrl-C) or true
// (a second) -> 202; the run's process acts on it. 404 for a run the store
// does not hold, 409 for one that has ended.
func (s *Server) stop(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Immediate bool `json:"immediate"`
	}
	if !readJSON(w, r, &body, s.body) {
		return
	}
	ctx, cancel := operatorContext(r)
	defer cancel()
	if err := s.store.RequestStop(ctx, r.PathValue("id"), body.Immediate, "page"); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// operatorTimeout bounds the store's work on an operator's answer or
// stop: a store busy with another program's write waits up to 10 s.
const operatorTimeout = 30 * time.Second

// operatorContext is the context of the store's work on an operator's
// answer or stop, once its body is in: it is not cancelled when the
// client goes away or the server begins to stop (a stop pressed as the
// browser closes must still be stored), only by its own bound.
func operatorContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), operatorTimeout)
}

// readJSON decodes a request's JSON body (at most maxBody bytes, within
// timeout; an empty body is {}) into v, or answers with the error and
// returns false.
func readJSON(w http.ResponseWriter, r *http.Request, v any, timeout time.Duration) bool {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		httpError(w, http.StatusUnsupportedMediaType, "send JSON (Content-Type: application/json)")
		return false
	}
	// A client that sends its body a byte a minute must not hold a
	// connection for ever (the server's timeouts cover headers only:
	// a read timeout would also end the live event streams).
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err == nil {
		// Cleared once the body is in: net/http goes on reading the
		// connection in the background, and a deadline that passed there
		// would cancel the request while the store is still taking it.
		// (Kept after a failed read: the rest of the body is not waited
		// for, and the connection closes.)
		rc.SetReadDeadline(time.Time{})
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		httpError(w, http.StatusRequestEntityTooLarge, "the body is larger than "+strconv.Itoa(maxBody)+" bytes")
		return false
	case err != nil:
		httpError(w, http.StatusBadRequest, "reading the body: "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return true
	}
	if err := json.Unmarshal(b, v); err != nil {
		httpError(w, http.StatusBadRequest, "the body is not the JSON expected: "+err.Error())
		return false
	}
	return true
}

// fail answers with the HTTP status err calls for.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, results.ErrNotFound):
		httpError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, results.ErrPromptClosed), errors.Is(err, results.ErrRunEnded):
		httpError(w, http.StatusConflict, err.Error())
	case errors.Is(err, results.ErrBadAnswer):
		httpError(w, http.StatusBadRequest, err.Error())
	case r.Context().Err() != nil:
		// The client went away or the server is stopping: answered all
		// the same, since an empty 200 would read as done.
		httpError(w, http.StatusServiceUnavailable, "the request was cancelled before the station store took it (the station is stopping, or the client went away): try again")
	default:
		s.log.Error().Err(err).Str("path", r.URL.Path).Msg("station: serving a request failed")
		httpError(w, http.StatusInternalServerError, "the station store failed: "+err.Error())
	}
}

func httpError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
