package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/drover-ml/drover/internal/protocol"
)

// Deleting is done row first: DeleteDataset and DeleteExperiment remove the
// rows in one transaction and return what they removed; the caller then
// removes the files and objects. A crash in between leaves files no row
// names, which the server's startup sweep removes (DatasetSHAs,
// ExperimentIDs). Users never see a half-deleted dataset or experiment.

// ErrDatasetGone is returned by CreateExperiment when the experiment's
// dataset is not in the store (it was deleted since it was checked).
var ErrDatasetGone = errors.New("store: the experiment's dataset does not exist")

// ErrNotFinished is returned by DeleteExperiment for a queued or running
// experiment.
var ErrNotFinished = errors.New("store: the experiment has not finished")

// InUseError is DeleteDataset's refusal: unfinished experiments use the
// dataset. IDs lists them (at most 100), with their owners.
type InUseError struct {
	Dataset string
	IDs     []string
	Owners  []string
	Count   int
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("store: dataset %s is used by %d unfinished experiment(s)", e.Dataset, e.Count)
}

// unfinished is the SQL list of statuses an experiment can still change from.
var unfinished = `'` + string(protocol.StatusQueued) + `','` + string(protocol.StatusRunning) + `'`

// DeleteDataset removes a dataset's row unless a queued or running
// experiment uses it (*InUseError). It reports whether another dataset row
// still names the same content (same SHA-256): the file is then kept.
// CreateExperiment checks the dataset in the same serialised store, so no
// experiment can be created on a dataset once its row is gone.
func (s *Store) DeleteDataset(ctx context.Context, id string) (ds *Dataset, shared bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	ds, err = scanDataset(tx.QueryRowContext(ctx, `SELECT `+datasetCols+` FROM datasets WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, ErrNotFound
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: read dataset %s: %w", id, err)
	}
	inUse, err := usersOf(ctx, tx, id)
	if err != nil {
		return nil, false, err
	}
	if inUse != nil {
		return ds, false, inUse
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM datasets WHERE id = ?`, id); err != nil {
		return nil, false, fmt.Errorf("store: delete dataset %s: %w", id, err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM datasets WHERE sha256 = ?`, ds.SHA256).Scan(&n); err != nil {
		return nil, false, fmt.Errorf("store: count datasets of %s: %w", ds.SHA256, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, false, fmt.Errorf("store: commit delete of dataset %s: %w", id, err)
	}
	return ds, n > 0, nil
}

// usersOf is the refusal to delete dataset id, or nil when no unfinished
// experiment uses it. Only queued and running experiments are read (the
// status index), so the cost does not grow with the finished ones.
func usersOf(ctx context.Context, tx *sql.Tx, id string) (*InUseError, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, owner FROM experiments WHERE status IN (`+unfinished+`)
	AND json_extract(spec, '$.dataset_id') = ? ORDER BY seq`, id)
	if err != nil {
		return nil, fmt.Errorf("store: experiments of dataset %s: %w", id, err)
	}
	defer rows.Close()
	e := &InUseError{Dataset: id}
	for rows.Next() {
		var eid, owner string
		if err := rows.Scan(&eid, &owner); err != nil {
			return nil, fmt.Errorf("store: experiments of dataset %s: %w", id, err)
		}
		e.Count++
		if len(e.IDs) < 100 {
			e.IDs, e.Owners = append(e.IDs, eid), append(e.Owners, owner)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: experiments of dataset %s: %w", id, err)
	}
	if e.Count == 0 {
		return nil, nil
	}
	return e, nil
}

// ExperimentsOfDataset lists the ids of every experiment whose spec names
// dataset id, oldest first.
func (s *Store) ExperimentsOfDataset(ctx context.Context, id string) ([]string, error) {
	return s.strings(ctx, `SELECT id FROM experiments WHERE json_extract(spec, '$.dataset_id') = ? ORDER BY seq`, id)
}

// DeleteExperiment removes a finished experiment with its events and
// attempts, in one transaction; ErrNotFinished while it is queued or
// running.
func (s *Store) DeleteExperiment(ctx context.Context, id string) (*Experiment, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	e, err := scanExperiment(tx.QueryRowContext(ctx, `SELECT `+experimentCols+` FROM experiments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read experiment %s: %w", id, err)
	}
	if !e.Status.Terminal() {
		return e, ErrNotFinished
	}
	for _, q := range []string{
		`DELETE FROM events WHERE experiment_id = ?`,
		`DELETE FROM attempts WHERE experiment_id = ?`,
		`DELETE FROM experiments WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return nil, fmt.Errorf("store: delete experiment %s: %w", id, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit delete of experiment %s: %w", id, err)
	}
	return e, nil
}

// DatasetSHAs reports which of the given SHA-256 sums some dataset row
// names (the startup sweep keeps only those files).
func (s *Store) DatasetSHAs(ctx context.Context, shas []string) (map[string]bool, error) {
	return s.known(ctx, `SELECT DISTINCT sha256 FROM datasets WHERE sha256 IN `, shas)
}

// ExperimentIDs reports which of the given ids are stored experiments.
func (s *Store) ExperimentIDs(ctx context.Context, ids []string) (map[string]bool, error) {
	return s.known(ctx, `SELECT id FROM experiments WHERE id IN `, ids)
}

// known runs q (ending in "IN ") over vals in chunks and returns the
// values it answered.
func (s *Store) known(ctx context.Context, q string, vals []string) (map[string]bool, error) {
	out := make(map[string]bool, len(vals))
	const chunk = 500
	for len(vals) > 0 {
		n := min(chunk, len(vals))
		args := make([]any, n)
		for i, v := range vals[:n] {
			args[i] = v
		}
		got, err := s.strings(ctx, q+`(?`+strings.Repeat(",?", n-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for _, v := range got {
			out[v] = true
		}
		vals = vals[n:]
	}
	return out, nil
}

// strings runs a query of one text column.
func (s *Store) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
