package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/drover-ml/drover/api"
)

// CreateDataset records a dataset.
func (s *Store) CreateDataset(ctx context.Context, d *api.Dataset) error {
	b, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("store: encode dataset: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO datasets(id, sha256, created_at, data) VALUES(?,?,?,?)`,
		d.ID, d.SHA256, d.CreatedAt.UTC().Format(time.RFC3339Nano), string(b))
	if err != nil {
		return fmt.Errorf("store: insert dataset %s: %w", d.ID, err)
	}
	return nil
}

// GetDataset returns one dataset or ErrNotFound.
func (s *Store) GetDataset(ctx context.Context, id string) (*api.Dataset, error) {
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT data FROM datasets WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read dataset %s: %w", id, err)
	}
	var d api.Dataset
	if err := json.Unmarshal([]byte(data), &d); err != nil {
		return nil, fmt.Errorf("store: decode dataset %s: %w", id, err)
	}
	return &d, nil
}

// ListDatasets returns every dataset, newest first.
func (s *Store) ListDatasets(ctx context.Context) ([]api.Dataset, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT data FROM datasets ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list datasets: %w", err)
	}
	defer rows.Close()
	out := []api.Dataset{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("store: list datasets: %w", err)
		}
		var d api.Dataset
		if err := json.Unmarshal([]byte(data), &d); err != nil {
			return nil, fmt.Errorf("store: decode dataset: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
