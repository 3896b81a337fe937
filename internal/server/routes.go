package server

import (
	"crypto/subtle"
	"github.com/drover-ml/drover/internal/errcode"
	"net/http"
	"strings"
)

// TokenCookie is the cookie the web UI keeps the API token in after login.
const TokenCookie = "drover_token"

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	mux.HandleFunc("GET /apis/health/v1", s.handleHealthAPI)

	mux.HandleFunc("POST /api/v1/datasets", s.handleUploadDataset)
	mux.HandleFunc("GET /api/v1/datasets", s.handleListDatasets)
	mux.HandleFunc("GET /api/v1/datasets/{id}", s.handleGetDataset)

	mux.HandleFunc("POST /api/v1/experiments", s.handleCreateExperiment)
	mux.HandleFunc("GET /api/v1/experiments", s.handleListExperiments)
	mux.HandleFunc("GET /api/v1/experiments/{id}", s.handleGetExperiment)
	mux.HandleFunc("POST /api/v1/experiments/{id}/cancel", s.handleCancelExperiment)
	mux.HandleFunc("POST /api/v1/experiments/{id}/finish", s.handleFinishExperiment)
	mux.HandleFunc("POST /api/v1/experiments/{id}/priority", s.handleSetPriority)
	mux.HandleFunc("GET /api/v1/experiments/{id}/events", s.handleEvents)
	mux.HandleFunc("GET /api/v1/experiments/{id}/artifacts", s.handleListArtifacts)
	mux.HandleFunc("GET /api/v1/experiments/{id}/artifacts.zip", s.handleArtifactsZip)
	mux.HandleFunc("GET /api/v1/experiments/{id}/artifacts/{name...}", s.handleGetArtifact)
	mux.HandleFunc("POST /api/v1/experiments/{id}/predict", s.handlePredict)

	mux.HandleFunc("GET /api/v1/system/info", s.handleSystemInfo)
	mux.HandleFunc("POST /api/v1/users", s.handleCreateUser)
	mux.HandleFunc("GET /api/v1/users", s.handleListUsers)
	mux.HandleFunc("POST /api/v1/users/{name}/revoke", s.handleRevokeUser)
	mux.HandleFunc("POST /api/v1/users/{name}/token", s.handleRotateToken)
	mux.HandleFunc("POST /api/v1/users/{name}/password", s.handleSetPassword)
	mux.HandleFunc("POST /api/v1/users/{name}/limits", s.handleSetUserLimits)
	mux.HandleFunc("POST /api/v1/datasets/{id}/share", s.handleShareDataset)
	mux.HandleFunc("POST /api/v1/workers/{id}/drain", s.handleWorkerAction("drain"))
	mux.HandleFunc("POST /api/v1/workers/{id}/resume", s.handleWorkerAction("resume"))
	mux.HandleFunc("POST /api/v1/workers/{id}/remove", s.handleWorkerAction("remove"))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, apiErr(errcode.NotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path))
	})
	s.mountUI(mux)
	return s.checkHost(s.crossOrigin(s.bodyDeadline(s.authenticate(mux))))
}

// authenticate requires the API token, when one is configured, on every
// request but /healthz: as a bearer token, or as the UI's login cookie.
func (s *Server) authenticate(next http.Handler) http.Handler {
	token := s.cfg.APIToken
	if token == "" {
		// No api_token (loopback only): anyone is the bootstrap admin,
		// unless a request carries a user's token.
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if p := s.userFromToken(r.Context(), requestToken(r)); p != nil {
				r = withPrincipal(r, *p)
			}
			next.ServeHTTP(w, r)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || s.isLoginPath(r.URL.Path) || s.validToken(r) {
			next.ServeHTTP(w, r)
			return
		}
		if p := s.userFromToken(r.Context(), requestToken(r)); p != nil {
			next.ServeHTTP(w, withPrincipal(r, *p))
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics" && r.URL.Path != "/apis/health/v1" {
			s.redirectToLogin(w, r)
			return
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="drover"`)
		s.writeError(w, r, apiErr(errcode.Unauthorized, "missing or wrong API token: send 'Authorization: Bearer <api_token>'"))
	})
}

func (s *Server) validToken(r *http.Request) bool {
	got := requestToken(r)
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.APIToken)) == 1
}

// requestToken is the bearer token or the UI's login cookie.
func requestToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return strings.TrimPrefix(h, "Bearer ")
	} else if c, err := r.Cookie(TokenCookie); err == nil {
		return c.Value
	}
	return ""
}
