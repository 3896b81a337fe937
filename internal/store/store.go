// Package store keeps the server's state in SQLite through a pure-Go driver:
// datasets, experiments, attempts and events. The server is its only writer.
//
// The store has its own row types (Dataset, Experiment, Attempt, Event); the
// server converts them to and from the REST types of package api in one
// place. The schema is built by numbered migrations (see migrate.go and
// README.md), never by editing a table in place.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// ErrNotFound is returned when a dataset or experiment does not exist.
var ErrNotFound = errors.New("not found")

// Store is the SQLite-backed state of one server.
//
// Writes go through db, one connection (the server is the only writer and
// SQLite serialises writers anyway; this rules out SQLITE_BUSY between our
// own goroutines). Reads outside a write transaction go through rd, a pool
// of read-only connections: under WAL a reader sees the last commit and
// neither waits for the writer nor for other readers, so a long read (the
// Redis dispatcher's reconcile pass, a metrics scrape) does not hold up
// the API's short ones.
type Store struct {
	db *sql.DB
	rd *sql.DB
}

// readConns is the size of the read pool.
const readConns = 8

// Open opens (creating if needed) the database at path and brings its schema
// up to date by applying every migration it has not had yet.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("store: create directory: %w", err)
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	// Statistics for the query planner, so that each list query picks the
	// index of its filter and sort: cheap (analysis_limit samples each
	// index), and only tables that need it are analysed.
	if _, err := db.ExecContext(ctx, `PRAGMA analysis_limit=1000; PRAGMA optimize=0x10002`); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: optimize: %w", path, err)
	}
	rd, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=query_only(1)")
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s for reading: %w", path, err)
	}
	rd.SetMaxOpenConns(readConns)
	rd.SetMaxIdleConns(readConns)
	return &Store{db: db, rd: rd}, nil
}

// Close closes the database.
func (s *Store) Close() error {
	rerr := s.rd.Close()
	if err := s.db.Close(); err != nil {
		return err
	}
	return rerr
}

// Times are stored as RFC 3339 text in UTC with nanoseconds.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

func formatTimePtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return formatTime(*t)
}

func parseTimePtr(s sql.NullString) *time.Time {
	if !s.Valid || s.String == "" {
		return nil
	}
	t := parseTime(s.String)
	return &t
}
