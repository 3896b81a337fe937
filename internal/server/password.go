package server

import (
	"context"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// passwordCost is the bcrypt cost of stored passwords.
const passwordCost = 12

// dummyHash is compared against when a login names a user that does not
// exist or has no password, so that such a login takes as long as a wrong
// password for a real user: the answer's timing tells nothing.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := bcrypt.GenerateFromPassword([]byte("no such user; this hash matches nothing anyone types"), passwordCost)
	return h
})

// userFromPassword is the active user whose password this is, or nil.
// The cost is one bcrypt comparison whatever the outcome.
func (s *Server) userFromPassword(ctx context.Context, name, password string) *principal {
	hash := dummyHash()
	u, err := s.store.UserByName(ctx, name)
	ok := err == nil && u.RevokedAt == nil && u.PasswordHash != ""
	if ok {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !ok {
		return nil
	}
	return &principal{Name: u.Name, Admin: u.Admin, cred: u.Fingerprint()}
}
