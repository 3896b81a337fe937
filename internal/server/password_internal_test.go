package server

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/store"
)

// The login form takes a user name and password as well as a token; a
// wrong password, an unknown user and a revoked one answer alike
// (wrong_password) and count as failures of the client's address, which is
// then slowed like wrong tokens. The backoff is checked by its count, and
// by a failure recorded in the future (no clock in the test).
func TestLoginWithPassword(t *testing.T) {
	cfg := config.Default()
	cfg.DataDirectory = t.TempDir()
	cfg.APIToken = "root-token-for-tests"
	ctx := context.Background()
	s, err := New(ctx, &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Serve(ctx, ln); err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	base := s.URL()
	for name, pw := range map[string]string{"carol": "correct horse battery", "dave": "another good one"} {
		hash, _ := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err := s.store.CreateUser(ctx, &store.User{Name: name, TokenHash: "x" + name, PasswordHash: string(hash), CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.store.UpdateUser(ctx, "dave", func(u *store.User) error { t := time.Now(); u.RevokedAt = &t; return nil }); err != nil {
		t.Fatal(err)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	loginJSON := func(body string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var eb api.ErrorBody
		_ = json.NewDecoder(resp.Body).Decode(&eb)
		if eb.Error != nil {
			return resp, eb.Error.Code
		}
		return resp, ""
	}
	failuresOf := func() int {
		s.failures.mu.Lock()
		defer s.failures.mu.Unlock()
		if rec := s.failures.m["127.0.0.1"]; rec != nil {
			return rec.n
		}
		return 0
	}
	for i, body := range []string{
		`{"user": "carol", "password": "wrong password"}`,
		`{"user": "nobody", "password": "correct horse battery"}`,
		`{"user": "dave", "password": "another good one"}`,
		`{"user": "carol", "password": ""}`,
	} {
		if resp, code := loginJSON(body); resp.StatusCode != http.StatusUnauthorized || code != "wrong_password" {
			t.Errorf("login %s: %d %s, want 401 wrong_password", body, resp.StatusCode, code)
		}
		if n := failuresOf(); n != i+1 {
			t.Errorf("after %d wrong logins the address has %d failures", i+1, n)
		}
	}
	// Under the five free failures again, so the next tries are answered.
	s.failures.ok("127.0.0.1")
	// A plain form post is redirected back to the page with the reason.
	form := url.Values{"user": {"carol"}, "password": {"nope"}, "next": {"/system"}}
	resp, err := noRedirect.PostForm(base+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/login?error=wrong_password&next=%2Fsystem" {
		t.Errorf("wrong password (form): %d to %q", resp.StatusCode, loc)
	}

	resp, code := loginJSON(`{"user": " carol ", "password": "correct horse battery", "next": "/experiments"}`)
	if resp.StatusCode != http.StatusNoContent || code != "" {
		t.Fatalf("right password: %d %s", resp.StatusCode, code)
	}
	if n := failuresOf(); n != 0 {
		t.Errorf("a right login left %d failures", n)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			cookie = c
		}
	}
	if cookie == nil {
		t.Fatal("no session cookie after a right password")
	}
	// The session is carol's: the users list (admins only) is refused.
	req, _ := http.NewRequest(http.MethodGet, base+"/api/v1/users", nil)
	req.AddCookie(cookie)
	if r2, err := http.DefaultClient.Do(req); err != nil || r2.StatusCode != http.StatusForbidden {
		t.Errorf("carol's session reads the users list: %v %v, want 403", r2.Status, err)
	} else {
		r2.Body.Close()
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/api/v1/experiments", nil)
	req.AddCookie(cookie)
	if r2, err := http.DefaultClient.Do(req); err != nil || r2.StatusCode != http.StatusOK {
		t.Errorf("carol's session lists experiments: %v %v", r2.Status, err)
	} else {
		r2.Body.Close()
	}

	// Slowed: five failures whose last is still ahead of the clock keep
	// the address waiting; even the right password is refused meanwhile.
	later := time.Now().Add(time.Hour)
	for range freeFailures {
		s.failures.fail("127.0.0.1", later)
	}
	if resp, code := loginJSON(`{"user": "carol", "password": "correct horse battery"}`); resp.StatusCode != http.StatusTooManyRequests || code != "too_many_attempts" {
		t.Errorf("right password while slowed: %d %s, want 429 too_many_attempts", resp.StatusCode, code)
	}
}
