package station

import (
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// pageCSP is the page's content security policy: its own files only,
// pictures of prompts as data: or blob: URLs, the live events and the
// API from the same origin.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// page serves the page's files (station/web): / is index.html; no
// directory is listed and no hidden file served.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			http.NotFound(w, r)
			return
		}
	}
	if s.web == nil {
		http.NotFound(w, r)
		return
	}
	info, err := fs.Stat(s.web, name)
	if err != nil || info.IsDir() {
		if name == "index.html" {
			httpError(w, http.StatusNotFound, "this build has no station page (station/web/index.html): the API and /events are served")
			return
		}
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP)
	// A new binary's page must be fetched, not a cached old one.
	h.Set("Cache-Control", "no-cache")
	http.ServeFileFS(w, r, s.web, name)
}
