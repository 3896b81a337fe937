package server_test

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
	"github.com/drover-ml/drover/internal/store"
)

const sessionTestToken = "a-token-for-session-tests"

// login posts the login form and returns the session cookie.
func login(t *testing.T, base, token string) *http.Cookie {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return sessionCookie(t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, req)
}

// sessionCookie sends a login request and returns the session cookie it
// sets (nil when it sets none).
func sessionCookie(t *testing.T, client *http.Client, req *http.Request) *http.Cookie {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == server.SessionCookie && c.Value != "" {
			return c
		}
	}
	return nil
}

func withCookie(t *testing.T, method, u string, c *http.Cookie) int {
	t.Helper()
	req, _ := http.NewRequest(method, u, nil)
	req.AddCookie(c)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSessions: the cookie holds a random session id, not the token; logout
// revokes it on the server (a saved copy is worth nothing); Secure is set
// when users reach the server over https.
func TestSessions(t *testing.T) {
	cfg := newConfig(t)
	cfg.APIToken = sessionTestToken
	cfg.PublicURL = "https://drover.example.com"
	h := start(t, cfg)
	base := h.srv.URL()
	c := login(t, base, sessionTestToken)
	if c == nil {
		t.Fatal("no session cookie after login")
	}
	if strings.Contains(c.Value, sessionTestToken) || len(c.Value) < 32 {
		t.Errorf("cookie value %q: want a long random id, not the token", c.Value)
	}
	if !c.Secure || !c.HttpOnly {
		t.Errorf("cookie %+v: want Secure (public_url is https) and HttpOnly", c)
	}
	other := login(t, base, sessionTestToken)
	if other == nil || other.Value == c.Value {
		t.Fatal("two logins share a session id")
	}
	if s := withCookie(t, http.MethodGet, base+"/api/v1/datasets", c); s != http.StatusOK {
		t.Fatalf("API with the session cookie: %d", s)
	}
	if s := withCookie(t, http.MethodPost, base+"/logout", c); s >= 400 {
		t.Fatalf("logout: %d", s)
	}
	if s := withCookie(t, http.MethodGet, base+"/api/v1/datasets", c); s != http.StatusUnauthorized {
		t.Errorf("API with the cookie of a logged-out session: %d, want 401", s)
	}
	if s := withCookie(t, http.MethodGet, base+"/api/v1/datasets", other); s != http.StatusOK {
		t.Errorf("the other session after this one's logout: %d, want 200", s)
	}
	forged := &http.Cookie{Name: server.SessionCookie, Value: sessionTestToken}
	if s := withCookie(t, http.MethodGet, base+"/api/v1/datasets", forged); s != http.StatusUnauthorized {
		t.Errorf("the raw token as a cookie: %d, want 401", s)
	}
	h.stillServing()
}

// clientFrom is an HTTP client whose connections come from local address ip.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

func bearer(t *testing.T, cl *http.Client, u, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := cl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestFailedAuthSlowed: after a few wrong tokens an address must wait
// (429, even with the right token); other addresses are not affected.
func TestFailedAuthSlowed(t *testing.T) {
	cfg := newConfig(t)
	cfg.APIToken = sessionTestToken
	h := start(t, cfg)
	u := h.srv.URL() + "/api/v1/datasets"
	guesser := clientFrom("127.0.0.1")
	for i := range 5 {
		if s := bearer(t, guesser, u, "guess-"+string(rune('a'+i))); s != http.StatusUnauthorized {
			t.Fatalf("wrong token %d: %d, want 401", i+1, s)
		}
	}
	if s := bearer(t, guesser, u, "guess-f"); s != http.StatusTooManyRequests {
		t.Errorf("6th wrong token: %d, want 429", s)
	}
	if s := bearer(t, guesser, u, sessionTestToken); s != http.StatusTooManyRequests {
		t.Errorf("right token while slowed: %d, want 429", s)
	}
	if c := login(t, h.srv.URL(), sessionTestToken); c != nil {
		t.Error("the login form let a slowed address in")
	}
	if s := bearer(t, clientFrom("127.0.0.2"), u, sessionTestToken); s != http.StatusOK {
		t.Errorf("another address with the right token: %d, want 200", s)
	}
	if _, err := h.cl.SystemInfo(context.Background()); err != nil && !strings.Contains(err.Error(), "too_many_attempts") {
		t.Fatal(err)
	}
}

// TestShortTokenRefused: a server does not start with an api_token under
// 16 characters.
func TestShortTokenRefused(t *testing.T) {
	cfg := servertest.Config(t)
	cfg.APIToken = "x"
	if _, err := server.New(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "api_token") {
		t.Fatalf("1-character api_token: %v, want a refusal naming api_token", err)
	}
}

// loginJSON logs in with a JSON body (token, or user and password) and
// returns the session cookie, or nil when the login was refused.
func loginJSON(t *testing.T, base, body string) *http.Cookie {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", base)
	return sessionCookie(t, http.DefaultClient, req)
}

// TestSessionsEndWithCredentials: a browser session lasts only as long as
// the credentials it was opened with. Revoking a user, replacing their
// token or an admin setting their password ends every session they have
// (a stolen cookie is worth nothing after it); a user who sets their own
// password in a session keeps that session.
func TestSessionsEndWithCredentials(t *testing.T) {
	cfg := newConfig(t)
	cfg.APIToken = sessionTestToken
	h := start(t, cfg)
	base, ctx := h.srv.URL(), context.Background()
	datasets := base + "/api/v1/datasets"

	dave, err := h.cl.CreateUser(ctx, "dave", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.cl.SetPassword(ctx, "dave", "dave-password-1"); err != nil {
		t.Fatal(err)
	}
	byToken := loginJSON(t, base, `{"token": "`+dave.Token+`"}`)
	byPassword := loginJSON(t, base, `{"user": "dave", "password": "dave-password-1"}`)
	if byToken == nil || byPassword == nil {
		t.Fatal("dave could not log in")
	}
	for _, c := range []*http.Cookie{byToken, byPassword} {
		if s := withCookie(t, http.MethodGet, datasets, c); s != http.StatusOK {
			t.Fatalf("dave's session before the revoke: %d", s)
		}
	}
	if _, err := h.cl.RevokeUser(ctx, "dave"); err != nil {
		t.Fatal(err)
	}
	for what, c := range map[string]*http.Cookie{"token": byToken, "password": byPassword} {
		if s := withCookie(t, http.MethodGet, datasets, c); s != http.StatusUnauthorized {
			t.Errorf("a revoked user's session opened by %s: %d, want 401", what, s)
		}
	}
	if c := loginJSON(t, base, `{"user": "dave", "password": "dave-password-1"}`); c != nil {
		t.Error("a revoked user logged in with their password")
	}

	erin, err := h.cl.CreateUser(ctx, "erin", false)
	if err != nil {
		t.Fatal(err)
	}
	old := loginJSON(t, base, `{"token": "`+erin.Token+`"}`)
	if old == nil {
		t.Fatal("erin could not log in")
	}
	fresh, err := h.cl.RotateToken(ctx, "erin")
	if err != nil {
		t.Fatal(err)
	}
	if s := withCookie(t, http.MethodGet, datasets, old); s != http.StatusUnauthorized {
		t.Errorf("a session opened with a replaced token: %d, want 401", s)
	}
	now := loginJSON(t, base, `{"token": "`+fresh.Token+`"}`)
	if now == nil {
		t.Fatal("erin could not log in with her new token")
	}
	if s := withCookie(t, http.MethodGet, datasets, now); s != http.StatusOK {
		t.Fatalf("erin's session with her new token: %d", s)
	}

	// Erin sets her own password in her session: it goes on; a second
	// session of hers ends.
	second := loginJSON(t, base, `{"token": "`+fresh.Token+`"}`)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/users/erin/password", strings.NewReader(`{"password": "erin-password-1"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", base)
	req.AddCookie(now)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("erin sets her password in her session: %s", resp.Status)
	}
	if s := withCookie(t, http.MethodGet, datasets, now); s != http.StatusOK {
		t.Errorf("the session that set the password: %d, want 200", s)
	}
	if s := withCookie(t, http.MethodGet, datasets, second); s != http.StatusUnauthorized {
		t.Errorf("erin's other session after her password changed: %d, want 401", s)
	}

	// An admin resets her password: every session of hers ends.
	if _, err := h.cl.SetPassword(ctx, "erin", "erin-password-2"); err != nil {
		t.Fatal(err)
	}
	if s := withCookie(t, http.MethodGet, datasets, now); s != http.StatusUnauthorized {
		t.Errorf("erin's session after an admin reset her password: %d, want 401", s)
	}
	h.stillServing()
}

// TestSessionsSurviveRestart: sessions are kept in the store, so a restart
// logs no one out; the store holds only the id's hash. A session logged
// out after the restart is over; a revoke while the server was down still
// ends a user's session; and a bootstrap admin's session ends when the
// server comes back with another api_token.
func TestSessionsSurviveRestart(t *testing.T) {
	cfg := newConfig(t)
	cfg.APIToken = sessionTestToken
	h := start(t, cfg)
	ctx := context.Background()
	fay, err := h.cl.CreateUser(ctx, "fay", false)
	if err != nil {
		t.Fatal(err)
	}
	gus, err := h.cl.CreateUser(ctx, "gus", false)
	if err != nil {
		t.Fatal(err)
	}
	admin, admin2 := login(t, h.srv.URL(), sessionTestToken), login(t, h.srv.URL(), sessionTestToken)
	fayC := loginJSON(t, h.srv.URL(), `{"token": "`+fay.Token+`"}`)
	gusC := loginJSON(t, h.srv.URL(), `{"token": "`+gus.Token+`"}`)
	if admin == nil || admin2 == nil || fayC == nil || gusC == nil {
		t.Fatal("a login set no session cookie")
	}
	h.srv.Stop()

	path := filepath.Join(cfg.DataDirectory, "drover.db")
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	wal, _ := os.ReadFile(path + "-wal")
	for _, c := range []*http.Cookie{admin, fayC} {
		if bytes.Contains(raw, []byte(c.Value)) || bytes.Contains(wal, []byte(c.Value)) {
			t.Fatalf("the database holds a session id in clear")
		}
	}
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateUser(ctx, "gus", func(u *store.User) error { now := time.Now(); u.RevokedAt, u.TokenHash = &now, ""; return nil }); err != nil {
		t.Fatal(err)
	}
	st.Close()

	h = start(t, cfg)
	datasets := h.srv.URL() + "/api/v1/datasets"
	for who, c := range map[string]*http.Cookie{"admin": admin, "admin's second": admin2, "fay": fayC} {
		if s := withCookie(t, http.MethodGet, datasets, c); s != http.StatusOK {
			t.Errorf("%s session after the restart: %d, want 200", who, s)
		}
	}
	if s := withCookie(t, http.MethodGet, datasets, gusC); s != http.StatusUnauthorized {
		t.Errorf("a session of a user revoked while the server was down: %d, want 401", s)
	}
	if s := withCookie(t, http.MethodPost, h.srv.URL()+"/logout", admin); s >= 400 {
		t.Fatalf("logout: %d", s)
	}
	if s := withCookie(t, http.MethodGet, datasets, admin); s != http.StatusUnauthorized {
		t.Errorf("a logged-out session: %d, want 401", s)
	}
	h.srv.Stop()

	cfg.APIToken = "another-token-for-session-tests"
	h = start(t, cfg)
	datasets = h.srv.URL() + "/api/v1/datasets"
	if s := withCookie(t, http.MethodGet, datasets, admin2); s != http.StatusUnauthorized {
		t.Errorf("a session of the old api_token after it changed: %d, want 401", s)
	}
	if s := withCookie(t, http.MethodGet, datasets, fayC); s != http.StatusOK {
		t.Errorf("fay's session after api_token changed: %d, want 200", s)
	}
}
