package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// CredFingerprint is what a session remembers of a user's credentials:
// replacing the token or the password changes it.
func CredFingerprint(tokenHash, passwordHash string) [32]byte {
	return sha256.Sum256([]byte(tokenHash + "\x00" + passwordHash))
}

// Fingerprint is u's CredFingerprint.
func (u *User) Fingerprint() [32]byte { return CredFingerprint(u.TokenHash, u.PasswordHash) }

// Session is one logged-in browser (migration 0011). IDHash is the
// SHA-256 of the session id the cookie holds; the id itself is never
// stored, so the database gives no usable cookie.
type Session struct {
	IDHash  [32]byte
	User    string
	Cred    [32]byte // the user's credential fingerprint at login
	Created time.Time
	Expires time.Time
}

// CreateSession stores s and drops the sessions that have expired.
func (s *Store) CreateSession(ctx context.Context, se Session) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, se.Created.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions(id_hash, user, cred, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		se.IDHash[:], se.User, se.Cred[:], se.Created.UTC().Format(time.RFC3339Nano), se.Expires.UTC().Format(time.RFC3339Nano)); err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: create session: %w", err)
	}
	return nil
}

// SessionUser returns the session whose id hashes to h, or ErrNotFound
// (expired sessions included: the caller checks Expires), and its user as
// they are now (nil when no user of that name exists, as for the
// bootstrap admin), both read in one snapshot: a change of the user's
// credentials and of their sessions (UpdateUserKeepSession) is seen whole
// or not at all.
func (s *Store) SessionUser(ctx context.Context, h [32]byte) (Session, *User, error) {
	tx, err := s.rd.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Session{}, nil, fmt.Errorf("store: read session: %w", err)
	}
	defer tx.Rollback()
	se, err := sessionByHash(ctx, tx, h)
	if err != nil {
		return Session{}, nil, err
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, se.User))
	if errors.Is(err, ErrNotFound) {
		return se, nil, nil
	}
	if err != nil {
		return Session{}, nil, err
	}
	return se, u, nil
}

func sessionByHash(ctx context.Context, tx *sql.Tx, h [32]byte) (Session, error) {
	var se Session
	var cred []byte
	var created, expires string
	err := tx.QueryRowContext(ctx, `SELECT user, cred, created_at, expires_at FROM sessions WHERE id_hash = ?`, h[:]).
		Scan(&se.User, &cred, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("store: read session: %w", err)
	}
	if len(cred) != len(se.Cred) {
		return Session{}, fmt.Errorf("store: read session: credential fingerprint of %d bytes", len(cred))
	}
	se.IDHash = h
	copy(se.Cred[:], cred)
	if se.Created, err = time.Parse(time.RFC3339Nano, created); err != nil {
		return Session{}, fmt.Errorf("store: read session: %w", err)
	}
	if se.Expires, err = time.Parse(time.RFC3339Nano, expires); err != nil {
		return Session{}, fmt.Errorf("store: read session: %w", err)
	}
	return se, nil
}

// DeleteSession ends the session whose id hashes to h (none: no error).
func (s *Store) DeleteSession(ctx context.Context, h [32]byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, h[:]); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}
