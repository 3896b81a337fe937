package server

import (
	"net/http"
)

// mountUI serves the web UI. Until the UI package lands this is a plain
// index of the API.
func (s *Server) mountUI(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>drover</title><h1>drover</h1><ul>
<li><a href="/api/v1/datasets">datasets</a><li><a href="/api/v1/experiments">experiments</a>
<li><a href="/api/v1/system/info">system info</a></ul>`))
	})
}

func (s *Server) isLoginPath(p string) bool { return p == "/login" }

func (s *Server) redirectToLogin(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
