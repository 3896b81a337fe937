package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Dataset is a stored dataset: an uploaded table kept once under its SHA-256.
type Dataset struct {
	ID        string
	Name      string
	SHA256    string
	Size      int64
	Rows      int
	Columns   []Column
	CreatedAt time.Time
	Owner     string // the user who uploaded it
	Shared    bool   // every user may see and use it
}

// Column is the stored summary of one dataset column. It is kept as JSON
// (the datasets.columns column) under these names.
type Column struct {
	Name      string     `json:"name"`
	Type      string     `json:"type"` // "numeric" or "categorical"
	Missing   int        `json:"missing"`
	Distinct  int        `json:"distinct"`
	Histogram *Histogram `json:"histogram,omitempty"`
}

// Histogram is the small per-column summary drawn by the UI.
type Histogram struct {
	Edges  []float64 `json:"edges,omitempty"`
	Labels []string  `json:"labels,omitempty"`
	Counts []int     `json:"counts"`
}

const datasetCols = `id, name, sha256, size, rows, columns, created_at, owner, shared`

// CreateDataset records a dataset.
func (s *Store) CreateDataset(ctx context.Context, d *Dataset) error {
	cols, err := json.Marshal(d.Columns)
	if err != nil {
		return fmt.Errorf("store: encode dataset columns: %w", err)
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO datasets(`+datasetCols+`, column_count) VALUES(?,?,?,?,?,?,?,?,?,?)`,
		d.ID, d.Name, d.SHA256, d.Size, d.Rows, string(cols), formatTime(d.CreatedAt), d.Owner, d.Shared, len(d.Columns))
	if err != nil {
		return fmt.Errorf("store: insert dataset %s: %w", d.ID, err)
	}
	return nil
}

type scanner interface{ Scan(...any) error }

func scanDataset(r scanner) (*Dataset, error) {
	var d Dataset
	var cols, created string
	if err := r.Scan(&d.ID, &d.Name, &d.SHA256, &d.Size, &d.Rows, &cols, &created, &d.Owner, &d.Shared); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(cols), &d.Columns); err != nil {
		return nil, fmt.Errorf("store: decode columns of dataset %s: %w", d.ID, err)
	}
	d.CreatedAt = parseTime(created)
	return &d, nil
}

// GetDataset returns one dataset or ErrNotFound.
func (s *Store) GetDataset(ctx context.Context, id string) (*Dataset, error) {
	d, err := scanDataset(s.rd.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM datasets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read dataset %s: %w", id, err)
	}
	return d, nil
}

// ListDatasets returns every dataset, newest first.
func (s *Store) ListDatasets(ctx context.Context) ([]*Dataset, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT `+datasetCols+` FROM datasets ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, fmt.Errorf("store: list datasets: %w", err)
	}
	defer rows.Close()
	out := []*Dataset{}
	for rows.Next() {
		d, err := scanDataset(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list datasets: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
