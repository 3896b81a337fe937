package store

import (
	"context"
	"fmt"
)

// The trigram index experiments_fts merges no segments inside ordinary
// inserts (migration 0010 sets automerge to 0, which kept the create tail
// short), so segments pile up: FTS5 merges a level only once it holds 16.
// MergeSearchIndex does that work in small steps at a quiet moment
// instead, so that a q= search reads a few segments, not dozens.

// MergeSearchIndex does one step of merge work in the search index: about
// pages pages written, merging levels that hold four segments or more
// (FTS5's usermerge default). It reports whether there was work to do
// (FTS5's own test: total_changes moved by at least 2). Each step is one
// short write transaction, so a create waits for one step at most.
func (s *Store) MergeSearchIndex(ctx context.Context, pages int) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("store: merge search index: %w", err)
	}
	defer tx.Rollback()
	var before, after int64
	if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
		return false, fmt.Errorf("store: merge search index: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO experiments_fts(experiments_fts, rank) VALUES('merge', ?)`, pages); err != nil {
		return false, fmt.Errorf("store: merge search index: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
		return false, fmt.Errorf("store: merge search index: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: merge search index: %w", err)
	}
	return after-before >= 2, nil
}

// SearchIndexSegments is the number of segments in the search index (what
// a q= search reads through).
func (s *Store) SearchIndexSegments(ctx context.Context) (int, error) {
	var n int
	if err := s.rd.QueryRowContext(ctx, `SELECT count(DISTINCT segid) FROM experiments_fts_idx`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: search index segments: %w", err)
	}
	return n, nil
}
