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

// CreateExperiment records a new experiment (normally queued).
func (s *Store) CreateExperiment(ctx context.Context, e *api.Experiment) error {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("store: encode experiment: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO experiments(id, status, data) VALUES(?,?,?)`, e.ID, e.Status, string(b)); err != nil {
		return fmt.Errorf("store: insert experiment %s: %w", e.ID, err)
	}
	return nil
}

func scanExperiment(data string) (*api.Experiment, error) {
	var e api.Experiment
	if err := json.Unmarshal([]byte(data), &e); err != nil {
		return nil, fmt.Errorf("store: decode experiment: %w", err)
	}
	return &e, nil
}

// GetExperiment returns one experiment or ErrNotFound.
func (s *Store) GetExperiment(ctx context.Context, id string) (*api.Experiment, error) {
	var data string
	err := s.db.QueryRowContext(ctx, `SELECT data FROM experiments WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read experiment %s: %w", id, err)
	}
	return scanExperiment(data)
}

// ListExperiments returns experiments in creation order (oldest first). With
// statuses given, only those statuses are returned.
func (s *Store) ListExperiments(ctx context.Context, statuses ...string) ([]*api.Experiment, error) {
	q := `SELECT data FROM experiments`
	args := make([]any, 0, len(statuses))
	if len(statuses) > 0 {
		q += ` WHERE status IN (?` + repeat(",?", len(statuses)-1) + `)`
		for _, st := range statuses {
			args = append(args, st)
		}
	}
	q += ` ORDER BY seq`
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list experiments: %w", err)
	}
	defer rows.Close()
	out := []*api.Experiment{}
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			return nil, fmt.Errorf("store: list experiments: %w", err)
		}
		e, err := scanExperiment(data)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// ErrUnchanged may be returned by an update function to skip the write.
var ErrUnchanged = errors.New("unchanged")

// UpdateExperiment reads an experiment, lets fn change it and writes it back
// in one transaction. When fn returns ErrUnchanged nothing is written and
// UpdateExperiment returns nil; any other error aborts the update.
func (s *Store) UpdateExperiment(ctx context.Context, id string, fn func(*api.Experiment) error) (*api.Experiment, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	var data string
	err = tx.QueryRowContext(ctx, `SELECT data FROM experiments WHERE id = ?`, id).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read experiment %s: %w", id, err)
	}
	e, err := scanExperiment(data)
	if err != nil {
		return nil, err
	}
	if err := fn(e); err != nil {
		if errors.Is(err, ErrUnchanged) {
			return e, nil
		}
		return e, err
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("store: encode experiment: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE experiments SET status = ?, data = ? WHERE id = ?`, e.Status, string(b), id); err != nil {
		return nil, fmt.Errorf("store: update experiment %s: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("store: commit experiment %s: %w", id, err)
	}
	return e, nil
}

// StartAttempt records the start of an attempt.
func (s *Store) StartAttempt(ctx context.Context, id string, attempt int, worker string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `INSERT OR REPLACE INTO attempts(experiment_id, attempt, worker, started_at) VALUES(?,?,?,?)`,
		id, attempt, worker, at.UTC().Format(time.RFC3339Nano))
	if err != nil {
		return fmt.Errorf("store: start attempt %s/%d: %w", id, attempt, err)
	}
	return nil
}

// FinishAttempt records how an attempt ended.
func (s *Store) FinishAttempt(ctx context.Context, id string, attempt int, outcome, kind string, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE attempts SET finished_at = ?, outcome = ?, failure_kind = ? WHERE experiment_id = ? AND attempt = ?`,
		at.UTC().Format(time.RFC3339Nano), outcome, kind, id, attempt)
	if err != nil {
		return fmt.Errorf("store: finish attempt %s/%d: %w", id, attempt, err)
	}
	return nil
}

// Attempt is one recorded attempt of an experiment.
type Attempt struct {
	Attempt     int
	Worker      string
	StartedAt   time.Time
	FinishedAt  *time.Time
	Outcome     string
	FailureKind string
}

// Attempts lists the attempts of an experiment in order.
func (s *Store) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT attempt, worker, started_at, finished_at, outcome, failure_kind FROM attempts WHERE experiment_id = ? ORDER BY attempt`, id)
	if err != nil {
		return nil, fmt.Errorf("store: list attempts of %s: %w", id, err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var started string
		var finished, outcome, kind sql.NullString
		if err := rows.Scan(&a.Attempt, &a.Worker, &started, &finished, &outcome, &kind); err != nil {
			return nil, fmt.Errorf("store: list attempts of %s: %w", id, err)
		}
		a.StartedAt, _ = time.Parse(time.RFC3339Nano, started)
		if finished.Valid {
			t, _ := time.Parse(time.RFC3339Nano, finished.String)
			a.FinishedAt = &t
		}
		a.Outcome, a.FailureKind = outcome.String, kind.String
		out = append(out, a)
	}
	return out, rows.Err()
}
