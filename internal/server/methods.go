package server

import (
	"net/http"
	"slices"
	"strings"

	"github.com/drover-ml/drover/internal/errcode"
)

// catchAllPatterns are the mux patterns that take any method: the API's
// "no such endpoint" and the UI's "page not found".
var catchAllPatterns = []string{"/api/", "/"}

// router is what allowedMethods asks: an *http.ServeMux, or a wrapper of one.
type router interface {
	Handler(r *http.Request) (h http.Handler, pattern string)
}

var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowedMethods lists the methods some route serves r's path with, asking
// the mux itself, so that a route added anywhere is counted.
func allowedMethods(mux router, r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != "" && !slices.Contains(catchAllPatterns, pattern) {
			out = append(out, m)
		}
	}
	return out
}

// methodNotAllowed answers 405 with an Allow header when r's path is served,
// but not with r's method, and reports whether it did. API paths get the JSON
// error body, pages a line of text.
func (s *Server) methodNotAllowed(mux router, w http.ResponseWriter, r *http.Request) bool {
	allowed := allowedMethods(mux, r)
	if len(allowed) == 0 || slices.Contains(allowed, r.Method) {
		return false
	}
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	if isAPIPath(r.URL.Path) {
		s.writeError(w, r, apiErr(errcode.MethodNotAllowed,
			r.Method+" "+r.URL.Path+" is not served; this path takes "+strings.Join(allowed, ", ")))
	} else {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
	return true
}

func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/apis/") || p == "/healthz" || p == "/metrics"
}

// withMethodCheck puts methodNotAllowed in front of a catch-all handler.
func (s *Server) withMethodCheck(mux router, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.methodNotAllowed(mux, w, r) {
			h.ServeHTTP(w, r)
		}
	})
}
