package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SameUpload returns the oldest dataset of owner with this name and
// content (the same file uploaded again), or ErrNotFound. Rows stored
// before users (an empty owner) belong to legacyOwner.
func (s *Store) SameUpload(ctx context.Context, owner, legacyOwner, name, sha256 string) (*Dataset, error) {
	row := s.db.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM datasets
	WHERE sha256 = ? AND name = ? AND (owner = ? OR (owner = '' AND ? = ?)) ORDER BY created_at, id LIMIT 1`,
		sha256, name, owner, owner, legacyOwner)
	d, err := scanDataset(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: find an earlier upload of %s: %w", name, err)
	}
	return d, nil
}
