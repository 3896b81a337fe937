package server

import (
	"crypto/subtle"
	"encoding/json"
	"github.com/drover-ml/drover/internal/errcode"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/drover-ml/drover/internal/engine/metric"
	"github.com/drover-ml/drover/internal/ui"
)

// Login endpoints of the web UI.
const (
	loginPath  = "/login"
	logoutPath = "/logout"
	// loginFailDelay slows down guessing the token through the login form.
	loginFailDelay = 300 * time.Millisecond
)

// mountUI serves the web UI (package ui) on its page paths and /assets/,
// and the login form's POST /login and POST /logout.
func (s *Server) mountUI(mux *routeMux) {
	opts := ui.Options{
		Version:                 Version,
		Auth:                    s.cfg.APIToken != "",
		WorkerMode:              s.cfg.WorkerMode,
		AllowCommandExperiments: s.cfg.AllowCommandExperiments,
	}
	for _, name := range metric.Names() {
		if sc, ok := metric.Get(name); ok {
			opts.Scorers = append(opts.Scorers, ui.Scorer{Name: sc.Name, Tasks: sc.Tasks, HigherIsBetter: sc.HigherIsBetter})
		}
	}
	h, err := ui.Handler(opts)
	if err != nil {
		// The assets are compiled in; this is a build defect, not a runtime condition.
		panic(err)
	}
	for _, p := range ui.Pages {
		mux.Handle("GET "+p, h)
	}
	mux.Handle("GET "+ui.AssetPrefix, h)
	// Any other path gets the app's "page not found" with status 404. No
	// method here: "GET /" would conflict with the API's catch-all "/api/".
	mux.Handle("/", s.withMethodCheck(mux.ServeMux, h))
	mux.HandleFunc("POST "+loginPath, s.handleLogin)
	mux.HandleFunc("POST "+logoutPath, s.handleLogout)
}

// isLoginPath reports whether p is served without a token: the login page,
// the logout endpoint and the static assets the login page needs (they are
// the same public files for everyone).
func (s *Server) isLoginPath(p string) bool {
	return p == loginPath || p == logoutPath || strings.HasPrefix(p, ui.AssetPrefix) || p == "/favicon.ico"
}

// redirectToLogin sends a browser to the login page, remembering where it
// was going.
func (s *Server) redirectToLogin(w http.ResponseWriter, r *http.Request) {
	target := loginPath
	if next := r.URL.RequestURI(); r.Method == http.MethodGet && next != "/" && safeNext(next) {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext accepts only a path on this server, so the login page cannot be
// used to send users elsewhere: it starts with one "/", and holds no
// whitespace, control character or backslash (browsers drop tabs and read
// "\" as "/", so "/\t/evil.example" would become "//evil.example").
func safeNext(next string) bool {
	if len(next) == 0 || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return false
	}
	for i := 0; i < len(next); i++ {
		if c := next[i]; c <= ' ' || c == 0x7f || c == '\\' || c >= 0x80 {
			return false
		}
	}
	u, err := url.Parse(next)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil && u.Opaque == "" &&
		strings.HasPrefix(u.Path, "/") && !strings.HasPrefix(u.Path, "//")
}

// wantsJSON tells the app's fetch (Accept: application/json) from a plain
// HTML form post.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// handleLogin checks the login form (an API token, or a user name and
// password) and, when it is right, sets the login cookie. The app posts
// with fetch and gets 204 or a JSON error; a browser without JavaScript
// posts the form and is redirected. Wrong tokens and wrong passwords count
// alike against the client's address (session.go).
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	if s.cfg.APIToken == "" {
		s.writeError(w, r, apiErr(errcode.NoTokenConfigured, "this server has no api_token: no login is needed"))
		return
	}
	lf, err := loginForm(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	token, next := lf.token, lf.next
	if !safeNext(next) {
		next = "/"
	}
	addr, now := clientAddr(r), time.Now()
	if wait := s.failures.wait(addr, now); wait > 0 {
		if wantsJSON(r) {
			s.writeError(w, r, tooManyAttempts(w, wait))
			return
		}
		http.Redirect(w, r, loginPath+"?error=too_many_attempts&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	if lf.user != "" {
		p := s.userFromPassword(r.Context(), lf.user, lf.password)
		if p == nil {
			s.failures.fail(addr, now)
			s.log.Warn("ui login failed: wrong user name or password", "remote", r.RemoteAddr, "user", cleanLabel(lf.user, 64))
			time.Sleep(loginFailDelay)
			if wantsJSON(r) {
				s.writeError(w, r, apiErr(errcode.WrongPassword, "that user name and password do not match"))
				return
			}
			http.Redirect(w, r, loginPath+"?error=wrong_password&next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		s.startSession(w, r, *p, next)
		return
	}
	who := principal{Name: BootstrapAdmin, Admin: true}
	if subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.APIToken)) != 1 {
		if p := s.userFromToken(r.Context(), token); p != nil {
			who = *p
		}
	}
	if who.Name == BootstrapAdmin && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.APIToken)) != 1 {
		s.failures.fail(addr, now)
		s.log.Warn("ui login failed", "remote", r.RemoteAddr)
		time.Sleep(loginFailDelay)
		if wantsJSON(r) {
			s.writeError(w, r, apiErr(errcode.WrongToken, "that token is not this server's API token"))
			return
		}
		http.Redirect(w, r, loginPath+"?error=wrong_token&next="+url.QueryEscape(next), http.StatusSeeOther)
		return
	}
	s.startSession(w, r, who, next)
}

// startSession logs the browser in as who and sends it on to next.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, who principal, next string) {
	s.failures.ok(clientAddr(r))
	if who.Name == BootstrapAdmin {
		who.cred = s.bootstrapCred()
	}
	id, err := s.sessions.create(r.Context(), who, time.Now())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    id,
		Path:     "/",
		MaxAge:   int(sessionLifetime / time.Second),
		HttpOnly: true,
		Secure:   s.secureCookies(r),
		SameSite: http.SameSiteStrictMode,
	})
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// login is what the login form sends: a token, or a user name and a
// password; and the page to go to next.
type login struct {
	token, user, password, next string
}

// loginForm reads the login from a form or a JSON body. A user name wins
// over a token when both are given.
func loginForm(r *http.Request) (login, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var l login
	if ct == "application/json" {
		var body struct {
			Token    string `json:"token"`
			User     string `json:"user"`
			Password string `json:"password"`
			Next     string `json:"next"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body); err != nil {
			return l, apiErr(errcode.BadRequest, "bad login request: "+err.Error())
		}
		l = login{token: body.Token, user: body.User, password: body.Password, next: body.Next}
	} else {
		r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			return l, apiErr(errcode.BadRequest, "bad login form: "+err.Error())
		}
		f := r.PostForm
		l = login{token: f.Get("token"), user: f.Get("user"), password: f.Get("password"), next: f.Get("next")}
	}
	l.user = strings.TrimSpace(l.user)
	return l, nil
}

// handleLogout ends the session on the server and forgets the cookie: the
// old cookie is worth nothing afterwards, wherever a copy of it is.
func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(SessionCookie); err == nil {
		if err := s.sessions.revoke(r.Context(), c.Value); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: s.secureCookies(r), SameSite: http.SameSiteStrictMode})
	if wantsJSON(r) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, loginPath, http.StatusSeeOther)
}
