package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrExists is returned when a user of that name exists already.
var ErrExists = errors.New("exists")

// User is one account besides the bootstrap admin (api_token).
type User struct {
	Name         string
	Admin        bool
	TokenHash    string // SHA-256 hex of the API token; "" when revoked
	PasswordHash string // bcrypt; "" for none
	MaxRunning   int    // running quota; -1 = the server's max_running_per_user, 0 = no limit
	MaxQueued    int    // queued quota; -1 = the server's max_queued_per_user, 0 = no limit
	MaxPriority  string // highest priority the user may ask for; "" = normal (admins: high)
	CreatedAt    time.Time
	RevokedAt    *time.Time
}

const userCols = `name, admin, token_hash, password_hash, max_running, max_queued, max_priority, created_at, revoked_at`

func scanUser(row interface{ Scan(...any) error }) (*User, error) {
	var u User
	var admin int
	var created string
	var revoked sql.NullString
	if err := row.Scan(&u.Name, &admin, &u.TokenHash, &u.PasswordHash, &u.MaxRunning, &u.MaxQueued, &u.MaxPriority, &created, &revoked); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("store: read user: %w", err)
	}
	u.Admin = admin != 0
	u.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	if revoked.Valid {
		t, _ := time.Parse(time.RFC3339Nano, revoked.String)
		u.RevokedAt = &t
	}
	return &u, nil
}

func userArgs(u *User) []any {
	var revoked any
	if u.RevokedAt != nil {
		revoked = u.RevokedAt.UTC().Format(time.RFC3339Nano)
	}
	admin := 0
	if u.Admin {
		admin = 1
	}
	return []any{u.Name, admin, u.TokenHash, u.PasswordHash, u.MaxRunning, u.MaxQueued, u.MaxPriority,
		u.CreatedAt.UTC().Format(time.RFC3339Nano), revoked}
}

// CreateUser records a new user; ErrExists when the name is taken.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if _, err := s.UserByName(ctx, u.Name); err == nil {
		return ErrExists
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO users(`+userCols+`) VALUES(?,?,?,?,?,?,?,?,?)`, userArgs(u)...)
	if err != nil {
		return fmt.Errorf("store: insert user %s: %w", u.Name, err)
	}
	return nil
}

// UserByName returns one user or ErrNotFound.
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	return scanUser(s.rd.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
}

// UserByTokenHash returns the user holding the token of that hash, or ErrNotFound.
func (s *Store) UserByTokenHash(ctx context.Context, hash string) (*User, error) {
	if hash == "" {
		return nil, ErrNotFound
	}
	return scanUser(s.rd.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE token_hash = ?`, hash))
}

// ListUsers returns every user by name.
func (s *Store) ListUsers(ctx context.Context) ([]*User, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT `+userCols+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// UpdateUser reads a user, lets fn change it and writes it back in one
// transaction (ErrUnchanged from fn: nothing written). When the change
// replaces the user's token or password (their Fingerprint), it ends
// every session of theirs in the same transaction.
func (s *Store) UpdateUser(ctx context.Context, name string, fn func(*User) error) (*User, error) {
	return s.UpdateUserKeepSession(ctx, name, [32]byte{}, fn)
}

// UpdateUserKeepSession is UpdateUser, but the session whose id hashes to
// keep (the user's own, in which they set their password) goes on with
// the new credentials; a zero keep keeps none.
func (s *Store) UpdateUserKeepSession(ctx context.Context, name string, keep [32]byte, fn func(*User) error) (*User, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name))
	if err != nil {
		return nil, err
	}
	before := u.Fingerprint()
	if err := fn(u); err != nil {
		if errors.Is(err, ErrUnchanged) {
			return u, nil
		}
		return u, err
	}
	args := append(userArgs(u)[1:], name)
	if _, err := tx.ExecContext(ctx, `UPDATE users SET admin = ?, token_hash = ?, password_hash = ?, max_running = ?,
		max_queued = ?, max_priority = ?, created_at = ?, revoked_at = ? WHERE name = ?`, args...); err != nil {
		return nil, fmt.Errorf("store: update user %s: %w", name, err)
	}
	if now := u.Fingerprint(); now != before || u.RevokedAt != nil {
		if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user = ? AND id_hash <> ?`, name, keep[:]); err != nil {
			return nil, fmt.Errorf("store: end the sessions of %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET cred = ? WHERE id_hash = ? AND user = ?`, now[:], keep[:], name); err != nil {
			return nil, fmt.Errorf("store: keep the session of %s: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit user %s: %w", name, err)
	}
	return u, nil
}

// ShareDataset marks a dataset shared with every user.
func (s *Store) ShareDataset(ctx context.Context, id string) (*Dataset, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE datasets SET shared = 1 WHERE id = ?`, id)
	if err != nil {
		return nil, fmt.Errorf("store: share dataset %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ErrNotFound
	}
	return s.GetDataset(ctx, id)
}
