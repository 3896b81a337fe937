package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
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
// fingerprint of that user's credentials at login (credFingerprint): a
// request with the cookie reloads the user and is refused when the user is
// gone or revoked or their token or password changed since.
type session struct {
	User    principal
	Cred    [32]byte
	Created time.Time
	Expires time.Time
}

// credFingerprint is what a session remembers of a user's credentials:
// replacing the token or the password changes it.
func credFingerprint(tokenHash, passwordHash string) [32]byte {
	return sha256.Sum256([]byte(tokenHash + "\x00" + passwordHash))
}

// sessions keeps the sessions in memory, keyed by the SHA-256 of the id so
// that a memory dump or a timing side channel of the map gives no usable
// cookie. A restart logs every browser out.
type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]session
}

func newSessions() *sessions { return &sessions{m: map[[32]byte]session{}} }

// create starts a session for user and returns its id (256 random bits).
func (s *sessions) create(user principal, cred [32]byte, now time.Time) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune(now)
	s.m[sha256.Sum256([]byte(id))] = session{User: user, Cred: cred, Created: now, Expires: now.Add(sessionLifetime)}
	return id
}

// get returns the live session with id.
func (s *sessions) get(id string, now time.Time) (session, bool) {
	if id == "" {
		return session{}, false
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	se, ok := s.m[k]
	if ok && !now.Before(se.Expires) {
		delete(s.m, k)
		return session{}, false
	}
	return se, ok
}

// revoke ends the session with id (logout).
func (s *sessions) revoke(id string) {
	s.mu.Lock()
	delete(s.m, sha256.Sum256([]byte(id)))
	s.mu.Unlock()
}

// endUser ends every session of the user name but keep (keep may be "").
func (s *sessions) endUser(name, keep string) {
	kk := sha256.Sum256([]byte(keep))
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, se := range s.m {
		if se.User.Name == name && (keep == "" || k != kk) {
			delete(s.m, k)
		}
	}
}

// setCred records new credentials for the session with id: the user set
// their own password in it.
func (s *sessions) setCred(id string, cred [32]byte) {
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	if se, ok := s.m[k]; ok {
		se.Cred = cred
		s.m[k] = se
	}
}

// prune drops expired sessions once the map grows; s.mu held.
func (s *sessions) prune(now time.Time) {
	if len(s.m) < 1024 {
		return
	}
	for k, se := range s.m {
		if !now.Before(se.Expires) {
			delete(s.m, k)
		}
	}
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
