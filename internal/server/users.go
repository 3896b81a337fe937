package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/drover-ml/drover/api"
	"github.com/drover-ml/drover/internal/errcode"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/store"
)

// userName: what a user name may be (it travels in Redis lane names and URLs).
var userName = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)

// newToken returns a high-entropy API token (256 bits) and its stored hash.
func newToken() (token, hash string) {
	var b [32]byte
	_, _ = rand.Read(b[:])
	token = "drv_" + base64.RawURLEncoding.EncodeToString(b[:])
	return token, tokenHash(token)
}

// tokenHash is what the store keeps of a token: SHA-256 is enough for a
// random 256-bit secret (no dictionary to try), and lets a request be
// matched with one indexed lookup.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// userFromToken is the active user a token belongs to, or nil.
func (s *Server) userFromToken(ctx context.Context, token string) *principal {
	if token == "" {
		return nil
	}
	u, err := s.store.UserByTokenHash(ctx, tokenHash(token))
	if err != nil || u.RevokedAt != nil {
		return nil
	}
	return &principal{Name: u.Name, Admin: u.Admin, cred: u.Fingerprint()}
}

type principalKey struct{}

// withPrincipal records who a request authenticated as.
func withPrincipal(r *http.Request, p principal) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
}

func (s *Server) requireAdmin(w http.ResponseWriter, r *http.Request) bool {
	if s.who(r).Admin {
		return true
	}
	s.writeError(w, r, apiErr(errcode.Forbidden, "only admins may manage users"))
	return false
}

// userView is a user as the API shows it (never a hash).
func userView(u *store.User) api.User {
	v := api.User{Name: u.Name, Admin: u.Admin, MaxRunning: u.MaxRunning, MaxQueued: u.MaxQueued,
		MaxPriority: u.MaxPriority, HasPassword: u.PasswordHash != "", CreatedAt: u.CreatedAt, RevokedAt: u.RevokedAt}
	return v
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	var req struct {
		Name  string `json:"name"`
		Admin bool   `json:"admin"`
	}
	if err := decodeJSON(w, r, &req, 1<<16, "request"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !userName.MatchString(req.Name) || req.Name == BootstrapAdmin {
		s.writeError(w, r, fieldErr(errcode.BadRequest, "name", fmt.Sprintf("user name %q: 1 to 64 of a-z 0-9 _ . - starting with a letter or digit, not %q", req.Name, BootstrapAdmin)))
		return
	}
	token, hash := newToken()
	u := &store.User{Name: req.Name, Admin: req.Admin, TokenHash: hash, MaxRunning: -1, MaxQueued: -1, CreatedAt: time.Now().UTC()}
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		if errors.Is(err, store.ErrExists) {
			s.writeError(w, r, apiErr(errcode.Conflict, fmt.Sprintf("user %s exists", req.Name)))
			return
		}
		s.writeError(w, r, err)
		return
	}
	s.log.Info("user created", "user", req.Name, "admin", req.Admin, "by", s.who(r).Name)
	writeJSON(w, http.StatusCreated, api.NewUserToken{Name: u.Name, Token: token, Admin: u.Admin})
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	list, err := s.store.ListUsers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]api.User, 0, len(list))
	for _, u := range list {
		out = append(out, userView(u))
	}
	writeJSON(w, http.StatusOK, out)
}

// updateUser applies fn to the named user; 404 when there is none.
func (s *Server) updateUser(ctx context.Context, name string, fn func(*store.User) error) (*store.User, error) {
	u, err := s.store.UpdateUser(ctx, name, fn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, apiErr(errcode.NotFound, fmt.Sprintf("no user %q", name))
	}
	return u, err
}

func (s *Server) handleRevokeUser(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	u, err := s.updateUser(r.Context(), r.PathValue("name"), func(u *store.User) error {
		if u.RevokedAt != nil {
			return store.ErrUnchanged
		}
		t := time.Now().UTC()
		u.RevokedAt, u.TokenHash = &t, ""
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("user revoked", "user", u.Name, "by", s.who(r).Name)
	writeJSON(w, http.StatusOK, userView(u))
}

func (s *Server) handleRotateToken(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	token, hash := newToken()
	u, err := s.updateUser(r.Context(), r.PathValue("name"), func(u *store.User) error {
		u.TokenHash, u.RevokedAt = hash, nil
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.log.Info("user token replaced", "user", u.Name, "by", s.who(r).Name)
	writeJSON(w, http.StatusOK, api.NewUserToken{Name: u.Name, Token: token, Admin: u.Admin})
}

// handleSetPassword sets a user's password (the user, or an admin).
func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	name, who := r.PathValue("name"), s.who(r)
	if !who.Admin && who.Name != name {
		s.writeError(w, r, apiErr(errcode.NotFound, fmt.Sprintf("no user %q", name)))
		return
	}
	var req struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &req, 1<<16, "request"); err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Password) < 8 || len(req.Password) > 72 {
		s.writeError(w, r, fieldErr(errcode.BadRequest, "password", "a password has 8 to 72 bytes"))
		return
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), passwordCost)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// A new password ends the user's other sessions (store.UpdateUser);
	// the session of the user who set it goes on, with the new
	// credentials, in the same transaction.
	var keep [32]byte
	if c, err := r.Cookie(SessionCookie); err == nil && who.Name == name && r.Header.Get("Authorization") == "" {
		keep = sessionKey(c.Value)
	}
	u, err := s.store.UpdateUserKeepSession(r.Context(), name, keep, func(u *store.User) error {
		u.PasswordHash = string(hash)
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = apiErr(errcode.NotFound, fmt.Sprintf("no user %q", name))
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, userView(u))
}

// handleSetUserLimits sets a user's quotas and highest priority.
func (s *Server) handleSetUserLimits(w http.ResponseWriter, r *http.Request) {
	if !s.requireAdmin(w, r) {
		return
	}
	var req struct {
		MaxRunning  *int    `json:"max_running"`
		MaxQueued   *int    `json:"max_queued"`
		MaxPriority *string `json:"max_priority"`
	}
	if err := decodeJSON(w, r, &req, 1<<16, "request"); err != nil {
		s.writeError(w, r, err)
		return
	}
	for what, v := range map[string]*int{"max_running": req.MaxRunning, "max_queued": req.MaxQueued} {
		if v != nil && (*v < -1 || *v > 1_000_000) {
			s.writeError(w, r, badSpec(errcode.BadRequest, "%s must be from 0 (no limit) to 1000000, or -1 for the server's default", what))
			return
		}
	}
	if req.MaxPriority != nil && *req.MaxPriority != "" {
		if _, err := queue.PriorityRank(*req.MaxPriority); err != nil {
			s.writeError(w, r, badSpec(errcode.UnknownPriority, "max_priority %q: use high, normal or low", *req.MaxPriority))
			return
		}
	}
	u, err := s.updateUser(r.Context(), r.PathValue("name"), func(u *store.User) error {
		if req.MaxRunning != nil {
			u.MaxRunning = *req.MaxRunning
		}
		if req.MaxQueued != nil {
			u.MaxQueued = *req.MaxQueued
		}
		if req.MaxPriority != nil {
			u.MaxPriority = *req.MaxPriority
		}
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if rd, ok := s.disp.(*redisDispatcher); ok && req.MaxRunning != nil {
		if err := rd.q.SetUserLimit(r.Context(), u.Name, u.MaxRunning); err != nil {
			s.writeError(w, r, apiErr(errcode.Unavailable, "saved, but the queue did not take the new quota yet: "+err.Error()))
			return
		}
	}
	if ld, ok := s.disp.(*localDispatcher); ok {
		ld.poke()
	}
	writeJSON(w, http.StatusOK, userView(u))
}
