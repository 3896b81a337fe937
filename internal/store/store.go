// Package store keeps the server's state in SQLite through a pure-Go driver:
// datasets, experiments, attempts and events. The server is its only writer.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// ErrNotFound is returned when a dataset or experiment does not exist.
var ErrNotFound = errors.New("not found")

// Store is the SQLite-backed state of one server.
type Store struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS datasets (
	id         TEXT PRIMARY KEY,
	sha256     TEXT NOT NULL,
	created_at TEXT NOT NULL,
	data       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS experiments (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL UNIQUE,
	status     TEXT NOT NULL,
	data       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS experiments_status ON experiments(status, seq);
CREATE TABLE IF NOT EXISTS attempts (
	experiment_id TEXT NOT NULL,
	attempt       INTEGER NOT NULL,
	worker        TEXT NOT NULL,
	started_at    TEXT NOT NULL,
	finished_at   TEXT,
	outcome       TEXT,
	failure_kind  TEXT,
	PRIMARY KEY (experiment_id, attempt)
);
CREATE TABLE IF NOT EXISTS events (
	seq           INTEGER PRIMARY KEY AUTOINCREMENT,
	experiment_id TEXT NOT NULL,
	data          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_experiment ON events(experiment_id, seq);
`

// Open opens (creating if needed) the database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: create directory: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	// One connection: the server is the only writer and SQLite serialises
	// writers anyway; this rules out SQLITE_BUSY between our own goroutines.
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: create schema in %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }
