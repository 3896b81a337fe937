package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/drover-ml/drover/api"
)

// AppendEvent stores an event of an experiment and returns it with its sequence number.
func (s *Store) AppendEvent(ctx context.Context, id string, ev api.Event) (api.Event, error) {
	ev.Seq = 0
	b, err := json.Marshal(ev)
	if err != nil {
		return ev, fmt.Errorf("store: encode event: %w", err)
	}
	res, err := s.db.ExecContext(ctx, `INSERT INTO events(experiment_id, data) VALUES(?,?)`, id, string(b))
	if err != nil {
		return ev, fmt.Errorf("store: insert event of %s: %w", id, err)
	}
	ev.Seq, _ = res.LastInsertId()
	return ev, nil
}

// Events returns the events of an experiment with a sequence number above
// after, oldest first, at most limit of them (0 = no limit).
func (s *Store) Events(ctx context.Context, id string, after int64, limit int) ([]api.Event, error) {
	q := `SELECT seq, data FROM events WHERE experiment_id = ? AND seq > ? ORDER BY seq`
	args := []any{id, after}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: read events of %s: %w", id, err)
	}
	defer rows.Close()
	out := []api.Event{}
	for rows.Next() {
		var seq int64
		var data string
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, fmt.Errorf("store: read events of %s: %w", id, err)
		}
		var ev api.Event
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			return nil, fmt.Errorf("store: decode event %d: %w", seq, err)
		}
		ev.Seq = seq
		out = append(out, ev)
	}
	return out, rows.Err()
}
