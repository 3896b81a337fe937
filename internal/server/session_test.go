package server_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/drover-ml/drover/internal/server"
	"github.com/drover-ml/drover/internal/servertest"
)

const sessionTestToken = "a-token-for-session-tests"

// login posts the login form and returns the session cookie.
func login(t *testing.T, base, token string) *http.Cookie {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
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
