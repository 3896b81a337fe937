package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/drover-ml/drover/internal/protocol"
)

// Experiment is a stored experiment. The queue place and wait reason users
// see are not stored: the server works them out when asked.
type Experiment struct {
	ID          string
	Spec        protocol.Spec
	Status      protocol.Status
	FailureKind protocol.FailureKind
	Error       *protocol.Error
	Attempt     int
	Worker      string // identity of the worker running (or that ran) the attempt
	WorkerName  string // its stable name
	Queue       string // "cpu" or "gpu"
	Owner       string // the user who created it
	Progress    float64
	Message     string
	Summary     json.RawMessage // the engine's summary of a succeeded run, as JSON; nil if none
	CreatedAt   time.Time
	StartedAt   *time.Time
	FinishedAt  *time.Time
	Tags        []string // labels users give it (PATCH); stored as a JSON array
}

const experimentCols = `id, spec, status, failure_kind, error_code, error_message, attempt, worker, worker_name, queue,
	owner, progress, message, summary, created_at, started_at, finished_at, tags`

// experimentArgs are the values of experimentCols for e, in order.
func experimentArgs(e *Experiment) ([]any, error) {
	spec, err := json.Marshal(e.Spec)
	if err != nil {
		return nil, fmt.Errorf("store: encode spec of %s: %w", e.ID, err)
	}
	code, msg := errorCols(e.Error)
	tags, err := json.Marshal(e.Tags)
	if err != nil || e.Tags == nil {
		tags = []byte("[]")
	}
	return []any{e.ID, string(spec), string(e.Status), string(e.FailureKind), code, msg, e.Attempt, e.Worker, e.WorkerName, e.Queue,
		e.Owner, e.Progress, e.Message, rawCol(e.Summary), formatTime(e.CreatedAt), formatTimePtr(e.StartedAt), formatTimePtr(e.FinishedAt),
		string(tags)}, nil
}

// derivedCols are stored copies of spec and summary fields that lists
// filter and sort on (migration 0006); they are written with every insert
// and update, never read back into an Experiment.
const derivedCols = `name, dataset_id, target, task, priority, best_score, duration`

// derivedArgs are the values of derivedCols for e, in order.
func derivedArgs(e *Experiment) []any {
	task := e.Spec.Task
	var best any
	if len(e.Summary) > 0 {
		var sum struct {
			Task string `json:"task"`
			Best struct {
				CVScore *float64 `json:"cv_score"`
			} `json:"best"`
		}
		if json.Unmarshal(e.Summary, &sum) == nil {
			if sum.Task != "" {
				task = sum.Task
			}
			if sum.Best.CVScore != nil {
				best = *sum.Best.CVScore
			}
		}
	}
	prio := e.Spec.Priority
	if prio == "" {
		prio = "normal"
	}
	var dur any
	if e.StartedAt != nil && e.FinishedAt != nil {
		dur = e.FinishedAt.Sub(*e.StartedAt).Seconds()
	}
	return []any{e.Spec.Name, e.Spec.DatasetID, e.Spec.Target, task, prio, best, dur}
}

// writeCols are the columns an insert or update writes, in the order of
// writeArgs.
var writeCols = experimentCols + `, ` + derivedCols

func writeArgs(e *Experiment) ([]any, error) {
	args, err := experimentArgs(e)
	if err != nil {
		return nil, err
	}
	return append(args, derivedArgs(e)...), nil
}

func scanExperiment(r scanner) (*Experiment, error) {
	var e Experiment
	var spec, status, kind, created, tags string
	var code, msg, sum, started, finished sql.NullString
	if err := r.Scan(&e.ID, &spec, &status, &kind, &code, &msg, &e.Attempt, &e.Worker, &e.WorkerName, &e.Queue,
		&e.Owner, &e.Progress, &e.Message, &sum, &created, &started, &finished, &tags); err != nil {
		return nil, err
	}
	if tags != "" && tags != "[]" {
		if err := json.Unmarshal([]byte(tags), &e.Tags); err != nil {
			return nil, fmt.Errorf("store: decode tags of experiment %s: %w", e.ID, err)
		}
	}
	if err := json.Unmarshal([]byte(spec), &e.Spec); err != nil {
		return nil, fmt.Errorf("store: decode spec of experiment %s: %w", e.ID, err)
	}
	e.Status, e.FailureKind, e.Error = protocol.Status(status), protocol.FailureKind(kind), errorFrom(code, msg)
	if sum.Valid {
		e.Summary = json.RawMessage(sum.String)
	}
	e.CreatedAt, e.StartedAt, e.FinishedAt = parseTime(created), parseTimePtr(started), parseTimePtr(finished)
	return &e, nil
}

// CreateExperiment records a new experiment (normally queued). One that
// names a dataset is refused with ErrDatasetGone unless the dataset's row
// exists: the check and the insert are one statement, so a concurrent
// DeleteDataset either sees the new experiment or makes this one fail.
func (s *Store) CreateExperiment(ctx context.Context, e *Experiment) error {
	args, err := writeArgs(e)
	if err != nil {
		return err
	}
	args = append(args, e.Spec.DatasetID, e.Spec.DatasetID)
	res, err := s.db.ExecContext(ctx, `INSERT INTO experiments(`+writeCols+`) SELECT ?`+strings.Repeat(",?", len(args)-3)+
		` WHERE ? = '' OR EXISTS (SELECT 1 FROM datasets WHERE id = ?)`, args...)
	if err != nil {
		return fmt.Errorf("store: insert experiment %s: %w", e.ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return ErrDatasetGone
	}
	return nil
}

// GetExperiment returns one experiment or ErrNotFound.
func (s *Store) GetExperiment(ctx context.Context, id string) (*Experiment, error) {
	e, err := scanExperiment(s.rd.QueryRowContext(ctx, `SELECT `+experimentCols+` FROM experiments WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: read experiment %s: %w", id, err)
	}
	return e, nil
}

// ListExperiments returns experiments in creation order (oldest first). With
// statuses given, only those statuses are returned.
func (s *Store) ListExperiments(ctx context.Context, statuses ...protocol.Status) ([]*Experiment, error) {
	q := `SELECT ` + experimentCols + ` FROM experiments`
	args := make([]any, 0, len(statuses))
	if len(statuses) > 0 {
		q += ` WHERE status IN (?` + strings.Repeat(",?", len(statuses)-1) + `)`
		for _, st := range statuses {
			args = append(args, string(st))
		}
	}
	q += ` ORDER BY seq`
	rows, err := s.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: list experiments: %w", err)
	}
	defer rows.Close()
	out := []*Experiment{}
	for rows.Next() {
		e, err := scanExperiment(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list experiments: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ErrUnchanged may be returned by an update function to skip the write.
var ErrUnchanged = errors.New("unchanged")

// UpdateExperiment reads an experiment, lets fn change it and writes it back
// in one transaction. When fn returns ErrUnchanged nothing is written and
// UpdateExperiment returns nil; any other error aborts the update.
func (s *Store) UpdateExperiment(ctx context.Context, id string, fn func(*Experiment) error) (*Experiment, error) {
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
	if err := fn(e); err != nil {
		if errors.Is(err, ErrUnchanged) {
			return e, nil
		}
		return e, err
	}
	e.ID = id
	args, err := writeArgs(e)
	if err != nil {
		return nil, err
	}
	sets := strings.Split(strings.ReplaceAll(writeCols, "\n\t", " "), ", ")
	for i := range sets {
		sets[i] = strings.TrimSpace(sets[i]) + " = ?"
	}
	if _, err := tx.ExecContext(ctx, `UPDATE experiments SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, id)...); err != nil {
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
		id, attempt, worker, formatTime(at))
	if err != nil {
		return fmt.Errorf("store: start attempt %s/%d: %w", id, attempt, err)
	}
	return nil
}

// FinishAttempt records how an attempt ended.
func (s *Store) FinishAttempt(ctx context.Context, id string, attempt int, outcome string, kind protocol.FailureKind, at time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE attempts SET finished_at = ?, outcome = ?, failure_kind = ? WHERE experiment_id = ? AND attempt = ?`,
		formatTime(at), outcome, string(kind), id, attempt)
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
	FailureKind protocol.FailureKind
}

// Attempts lists the attempts of an experiment in order.
func (s *Store) Attempts(ctx context.Context, id string) ([]Attempt, error) {
	rows, err := s.rd.QueryContext(ctx, `SELECT attempt, worker, started_at, finished_at, outcome, failure_kind FROM attempts WHERE experiment_id = ? ORDER BY attempt`, id)
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
		a.Outcome, a.FailureKind = outcome.String, protocol.FailureKind(kind.String)
		out = append(out, a)
	}
	return out, rows.Err()
}
