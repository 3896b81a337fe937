package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/drover-ml/drover/internal/store"
)

// SessionCookie is the cookie the web UI keeps its login session in. It
// holds a random session id, never the API token; the server keeps the
// session and forgets it at logout or expiry.
const SessionCookie = "drover_session"

// TokenCookie is the old name of SessionCookie.
//
// Deprecated: the cookie holds a session id now; use SessionCookie.
const TokenCookie = SessionCookie

// sessionLifetime is how long a login lasts, whatever the activity.
const sessionLifetime = 7 * 24 * time.Hour

// MinTokenLength is the shortest api_token the server starts with.
const MinTokenLength = 16

// session is one logged-in browser. User is who logged in: the bootstrap
// admin for the api_token, or a user of the store. Cred is the
// fingerprint of that user's credentials at login (store.CredFingerprint): a
// request with the cookie reloads the user and is refused when the user is
// gone or revoked or their token or password changed since.
type session struct {
	User principal
	Cred [32]byte
}

// bootstrapCred is the bootstrap admin's credential fingerprint: that of
// api_token, so that a session opened with it ends when api_token changes
// (across a restart, since sessions are kept in the store).
func (s *Server) bootstrapCred() [32]byte {
	h := sha256.Sum256([]byte(s.cfg.APIToken))
	return store.CredFingerprint(hex.EncodeToString(h[:]), "")
}

// sessions keeps the sessions in the store (migration 0011), so that a
// restart logs no one out. A session is keyed by the SHA-256 of its id:
// the database holds no usable cookie.
type sessions struct {
	st *store.Store
}

func newSessions(st *store.Store) *sessions { return &sessions{st: st} }

func sessionKey(id string) [32]byte { return sha256.Sum256([]byte(id)) }

// create starts a session for user, with user.cred, and returns its id
// (256 random bits).
func (s *sessions) create(ctx context.Context, user principal, now time.Time) (string, error) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	err := s.st.CreateSession(ctx, store.Session{IDHash: sessionKey(id), User: user.Name, Cred: user.cred, Created: now, Expires: now.Add(sessionLifetime)})
	return id, err
}

// get returns the live session with id and its user as they are now (nil
// for the bootstrap admin), read together (store.SessionUser); an expired
// session is ended. The session's admin flag is the bootstrap admin's
// only: the caller takes a user's from the user.
func (s *sessions) get(ctx context.Context, id string, now time.Time) (session, *store.User, bool) {
	if id == "" || len(id) > 128 {
		return session{}, nil, false
	}
	k := sessionKey(id)
	row, u, err := s.st.SessionUser(ctx, k)
	if err != nil {
		return session{}, nil, false
	}
	if !now.Before(row.Expires) {
		_ = s.st.DeleteSession(ctx, k)
		return session{}, nil, false
	}
	return session{User: principal{Name: row.User, Admin: row.User == BootstrapAdmin}, Cred: row.Cred}, u, true
}

// revoke ends the session with id (logout).
func (s *sessions) revoke(ctx context.Context, id string) error {
	return s.st.DeleteSession(ctx, sessionKey(id))
}

// Failed authentication is slowed per client address: after freeFailures
// wrong tokens, each further try must wait twice as long as the one
// before (1 s, 2 s, 4 s ... at most maxBackoff); until then the answer is
// 429 too_many_attempts, even for the right token. A success clears it.
const (
	freeFailures = 5
	maxBackoff   = 5 * time.Minute
)

type failures struct {
	mu sync.Mutex
	m  map[string]*failRecord
}

type failRecord struct {
	n    int
	last time.Time
}

func newFailures() *failures { return &failures{m: map[string]*failRecord{}} }

// clientAddr is the address failures are counted by: the peer's IP.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func backoff(n int) time.Duration {
	if n < freeFailures {
		return 0
	}
	d := time.Second << min(n-freeFailures, 20)
	return min(d, maxBackoff)
}

// wait reports how long addr must wait before its next try (0: go on).
func (f *failures) wait(addr string, now time.Time) time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	rec := f.m[addr]
	if rec == nil {
		return 0
	}
	if left := rec.last.Add(backoff(rec.n)).Sub(now); left > 0 {
		return left
	}
	return 0
}

// fail counts a wrong token from addr.
func (f *failures) fail(addr string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.m) > 100_000 {
		// Bounded memory: forget records whose wait is over.
		for a, rec := range f.m {
			if now.Sub(rec.last) > maxBackoff {
				delete(f.m, a)
			}
		}
	}
	rec := f.m[addr]
	if rec == nil {
		rec = &failRecord{}
		f.m[addr] = rec
	}
	rec.n++
	rec.last = now
}

// ok clears addr's failures after a right token.
func (f *failures) ok(addr string) {
	f.mu.Lock()
	delete(f.m, addr)
	f.mu.Unlock()
}

// secureCookies reports whether the login cookie gets the Secure flag: on
// HTTPS (served by drover, or by a proxy in front whose public_url is https).
func (s *Server) secureCookies(r *http.Request) bool {
	return r.TLS != nil || strings.HasPrefix(s.cfg.PublicURL, "https://")
}
