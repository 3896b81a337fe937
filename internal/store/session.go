package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

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

// SessionByHash returns the session whose id hashes to h, or ErrNotFound
// (expired sessions included: the caller checks Expires).
func (s *Store) SessionByHash(ctx context.Context, h [32]byte) (Session, error) {
	var se Session
	var cred []byte
	var created, expires string
	err := s.rd.QueryRowContext(ctx, `SELECT user, cred, created_at, expires_at FROM sessions WHERE id_hash = ?`, h[:]).
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

// DeleteUserSessions ends every session of user but the one whose id
// hashes to keep (a zero keep keeps none).
func (s *Store) DeleteUserSessions(ctx context.Context, user string, keep [32]byte) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE user = ? AND id_hash <> ?`, user, keep[:]); err != nil {
		return fmt.Errorf("store: delete sessions: %w", err)
	}
	return nil
}

// SetSessionCred records new credentials for the session whose id hashes
// to h (the user set their own password in it).
func (s *Store) SetSessionCred(ctx context.Context, h, cred [32]byte) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET cred = ? WHERE id_hash = ?`, cred[:], h[:]); err != nil {
		return fmt.Errorf("store: update session: %w", err)
	}
	return nil
}
