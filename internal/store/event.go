package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/drover-ml/drover/internal/protocol"
)

// Event is a stored event line of an experiment: the line and the sequence
// number the store gave it (increasing across all experiments).
type Event struct {
	Seq int64
	protocol.Event
}

const eventCols = `seq, time, type, attempt, fraction, level, message, status, failure_kind, error_code, error_message, summary, bytes, cache_hit, plan, candidate, actor`

// AppendEvent stores an event of an experiment and returns it with its sequence number.
func (s *Store) AppendEvent(ctx context.Context, id string, ev protocol.Event) (Event, error) {
	code, msg := errorCols(ev.Error)
	plan, err := jsonCol(ev.Plan)
	if err != nil {
		return Event{Event: ev}, fmt.Errorf("store: encode the plan of %s: %w", id, err)
	}
	cand, err := jsonCol(ev.Candidate)
	if err != nil {
		return Event{Event: ev}, fmt.Errorf("store: encode the candidate of %s: %w", id, err)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO events(experiment_id, time, type, attempt, fraction, level, message, status,
	failure_kind, error_code, error_message, summary, bytes, cache_hit, plan, candidate, actor) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		id, formatTime(ev.Time), string(ev.Type), ev.Attempt, ev.Fraction, ev.Level, ev.Message, string(ev.Status),
		string(ev.FailureKind), code, msg, rawCol(ev.Summary), ev.Bytes, ev.CacheHit, plan, cand, ev.Actor)
	if err != nil {
		return Event{Event: ev}, fmt.Errorf("store: insert event of %s: %w", id, err)
	}
	seq, _ := res.LastInsertId()
	return Event{Seq: seq, Event: ev}, nil
}

// Events returns the events of an experiment with a sequence number above
// after, oldest first, at most limit of them (0 = no limit).
func (s *Store) Events(ctx context.Context, id string, after int64, limit int) ([]Event, error) {
	q := `SELECT ` + eventCols + ` FROM events WHERE experiment_id = ? AND seq > ? ORDER BY seq`
	args := []any{id, after}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.rd.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read events of %s: %w", id, err)
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var ev Event
		var tm, typ, status, kind string
		var code, msg, sum, plan, cand sql.NullString
		if err := rows.Scan(&ev.Seq, &tm, &typ, &ev.Attempt, &ev.Fraction, &ev.Level, &ev.Message, &status,
			&kind, &code, &msg, &sum, &ev.Bytes, &ev.CacheHit, &plan, &cand, &ev.Actor); err != nil {
			return nil, fmt.Errorf("store: read events of %s: %w", id, err)
		}
		ev.Time, ev.Type, ev.Status, ev.FailureKind = parseTime(tm), protocol.EventType(typ), protocol.Status(status), protocol.FailureKind(kind)
		ev.Error = errorFrom(code, msg)
		if sum.Valid {
			ev.Summary = []byte(sum.String)
		}
		if plan.Valid {
			ev.Plan = new(protocol.Plan)
			if err := json.Unmarshal([]byte(plan.String), ev.Plan); err != nil {
				return nil, fmt.Errorf("store: read the plan of event %d: %w", ev.Seq, err)
			}
		}
		if cand.Valid {
			ev.Candidate = new(protocol.Candidate)
			if err := json.Unmarshal([]byte(cand.String), ev.Candidate); err != nil {
				return nil, fmt.Errorf("store: read the candidate of event %d: %w", ev.Seq, err)
			}
		}
		out = append(out, ev)
	}
	return out, rows.Err()
}

// errorCols splits an error into its two columns; no error is two NULLs.
func errorCols(e *protocol.Error) (code, msg any) {
	if e == nil {
		return nil, nil
	}
	return e.Code, e.Message
}

func errorFrom(code, msg sql.NullString) *protocol.Error {
	if !code.Valid {
		return nil
	}
	return &protocol.Error{Code: code.String, Message: msg.String}
}

// rawCol stores a JSON document as text; empty is NULL.
func rawCol(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

// jsonCol stores a document (a *Plan or *Candidate) as JSON text; nil is NULL.
func jsonCol[T any](v *T) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}
