package server

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/drover-ml/drover/internal/errcode"
)

// routeMux is an http.ServeMux that remembers the patterns registered on
// it, so that a test can hold the router and the OpenAPI document
// (openapi.json) to each other.
type routeMux struct {
	*http.ServeMux
	patterns []string
}

func (m *routeMux) Handle(pattern string, h http.Handler) {
	m.patterns = append(m.patterns, pattern)
	m.ServeMux.Handle(pattern, h)
}

func (m *routeMux) HandleFunc(pattern string, h func(http.ResponseWriter, *http.Request)) {
	m.Handle(pattern, http.HandlerFunc(h))
}

func (s *Server) routes() http.Handler {
	mux := &routeMux{ServeMux: http.NewServeMux()}
	defer func() { s.routePatterns = mux.patterns }()
	mux.HandleFunc("GET /healthz", s.handleHealthz)
	mux.HandleFunc("GET /api/v1/openapi.json", s.handleOpenAPI)
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	mux.HandleFunc("GET /apis/health/v1", s.handleHealthAPI)

	mux.HandleFunc("POST /api/v1/datasets", s.handleUploadDataset)
	mux.HandleFunc("GET /api/v1/datasets", s.handleListDatasets)
	mux.HandleFunc("GET /api/v1/datasets/{id}", s.handleGetDataset)
	mux.HandleFunc("DELETE /api/v1/datasets/{id}", s.handleDeleteDataset)

	mux.HandleFunc("POST /api/v1/experiments", s.handleCreateExperiment)
	mux.HandleFunc("GET /api/v1/experiments", s.handleListExperiments)
	mux.HandleFunc("GET /api/v1/experiments/{id}", s.handleGetExperiment)
	mux.HandleFunc("DELETE /api/v1/experiments/{id}", s.handleDeleteExperiment)
	mux.HandleFunc("PATCH /api/v1/experiments/{id}", s.handlePatchExperiment)
	mux.HandleFunc("POST /api/v1/experiments/{id}/cancel", s.handleCancelExperiment)
	mux.HandleFunc("POST /api/v1/experiments/{id}/finish", s.handleFinishExperiment)
	mux.HandleFunc("POST /api/v1/experiments/{id}/priority", s.handleSetPriority)
	mux.HandleFunc("GET /api/v1/experiments/{id}/events", s.handleEvents)
	mux.HandleFunc("GET /api/v1/experiments/{id}/artifacts", s.handleListArtifacts)
	mux.HandleFunc("GET /api/v1/experiments/{id}/artifacts.zip", s.handleArtifactsZip)
	mux.HandleFunc("GET /api/v1/experiments/{id}/artifacts/{name...}", s.handleGetArtifact)
	mux.HandleFunc("POST /api/v1/experiments/{id}/predict", s.handlePredict)

	mux.HandleFunc("GET /api/v1/system/info", s.handleSystemInfo)
	mux.HandleFunc("GET /api/v1/me", s.handleMe)
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
	mux.Handle("/api/", s.withMethodCheck(mux.ServeMux, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, apiErr(errcode.NotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path))
	})))
	s.mountUI(mux)
	return s.checkHost(s.crossOrigin(s.bodyDeadline(s.authenticate(mux))))
}

// authenticate requires the API token, when one is configured, on every
// request but /healthz and the OpenAPI document: as a bearer token, or as
// the UI's session cookie. Wrong bearer tokens count as failed attempts of
// the client's address (session.go), which is then slowed down.
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
		if r.URL.Path == "/healthz" || r.URL.Path == openAPIPath || s.isLoginPath(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		bearer, hasBearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if hasBearer {
			addr, now := clientAddr(r), time.Now()
			if wait := s.failures.wait(addr, now); wait > 0 {
				s.writeError(w, r, tooManyAttempts(w, wait))
				return
			}
			if subtle.ConstantTimeCompare([]byte(bearer), []byte(token)) == 1 {
				s.failures.ok(addr)
				next.ServeHTTP(w, r)
				return
			}
			if p := s.userFromToken(r.Context(), bearer); p != nil {
				s.failures.ok(addr)
				next.ServeHTTP(w, withPrincipal(r, *p))
				return
			}
			s.failures.fail(addr, now)
			s.log.Warn("wrong API token", "remote", r.RemoteAddr, "path", r.URL.Path)
		} else if se, ok := s.session(r); ok {
			if se.User.Name != BootstrapAdmin {
				r = withPrincipal(r, se.User)
			}
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

// session is the live session the request's cookie names. A user's
// session holds only while the user still exists, is not revoked and has
// the credentials the session was opened with; its admin flag is the
// user's now. The bootstrap admin's holds while api_token is the one it
// was opened with. A session that fails this is ended.
func (s *Server) session(r *http.Request) (session, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return session{}, false
	}
	se, u, ok := s.sessions.get(r.Context(), c.Value, time.Now())
	if !ok {
		return se, false
	}
	if se.User.Name == BootstrapAdmin {
		if se.Cred != s.bootstrapCred() {
			_ = s.sessions.revoke(r.Context(), c.Value)
			return session{}, false
		}
		return se, true
	}
	if u == nil || u.RevokedAt != nil || u.Fingerprint() != se.Cred {
		_ = s.sessions.revoke(r.Context(), c.Value)
		return session{}, false
	}
	se.User.Admin = u.Admin
	return se, true
}

// tooManyAttempts is the answer while a client address must wait.
func tooManyAttempts(w http.ResponseWriter, wait time.Duration) error {
	secs := int(wait/time.Second) + 1
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return apiErr(errcode.TooManyAttempts,
		fmt.Sprintf("too many wrong tokens from your address: try again in %d s", secs))
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
