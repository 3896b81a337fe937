package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drover-ml/drover/internal/ctxtime"
)

// WorkerInfo describes a worker process when it registers.
type WorkerInfo struct {
	Name         string // stable across restarts (e.g. host name or configured name)
	Host         string
	PID          int
	Slots        int      // worker_remote_processors
	GPUs         int      // GPUs on the machine available to drover
	Capabilities []string // e.g. CapCommand when allow_command_experiments is on
	Version      string
}

// Register records a worker process and returns its identity, fresh and
// random on every start. A previous identity with the same Name is retired
// at once: its heartbeats and results are refused from now on and its leases
// expire now, so the next ReapExpired pass requeues them as infra retries.
func (q *Queue) Register(ctx context.Context, info WorkerInfo) (id string, err error) {
	if info.Name == "" {
		return "", errors.New("queue: register: worker name is empty")
	}
	if info.Slots < 1 || info.GPUs < 0 {
		return "", fmt.Errorf("queue: register %s: need at least one slot and no negative GPUs", info.Name)
	}
	caps, err := normCaps(info.Capabilities)
	if err != nil {
		return "", fmt.Errorf("queue: register %s: %w", info.Name, err)
	}
	id = newID()
	old, err := q.run(ctx, q.scripts.register, id, info.Name, info.Host, info.PID, info.Slots, info.GPUs,
		strings.Join(caps, ","), info.Version)
	if err != nil {
		return "", fmt.Errorf("queue: register %s: %w", info.Name, err)
	}
	if o, _ := old.(string); o != "" {
		q.log.Info("worker identity replaced", slog.String("name", info.Name),
			slog.String("old", o), slog.String("new", id))
	}
	return id, nil
}

// Deregister removes a cleanly stopping worker. Attempts it still holds go
// back to the queue without counting a retry (n says how many).
func (q *Queue) Deregister(ctx context.Context, worker string) (n int, err error) {
	res, err := q.run(ctx, q.scripts.deregister, worker)
	if err != nil {
		return 0, fmt.Errorf("queue: deregister %s: %w", worker, err)
	}
	c, _ := res.(int64)
	return int(c), nil
}

// Heartbeat renews the worker's liveness and the lease of each ref that is
// still the live attempt held by this worker. It returns the refs that are
// not (cancelled, reassigned, expired, unknown): the worker must kill them.
// ErrUnknownWorker means the identity was retired: kill everything and
// register again.
func (q *Queue) Heartbeat(ctx context.Context, worker string, refs []Ref) (invalid []Ref, err error) {
	args := []any{worker, q.opts.LeaseTTL.Milliseconds()}
	for _, r := range refs {
		args = append(args, r.Experiment, r.Attempt)
	}
	res, err := q.run(ctx, q.scripts.heartbeat, args...)
	if err != nil {
		return nil, fmt.Errorf("queue: heartbeat of worker %s: %w", worker, err)
	}
	v, _ := res.([]any)
	if str(v, 0) != "ok" {
		return refs, fmt.Errorf("queue: heartbeat: worker %s: %w", worker, ErrUnknownWorker)
	}
	for _, x := range v[1:] {
		if i, ok := x.(int64); ok && int(i) < len(refs) {
			r := refs[i]
			r.Worker = worker
			invalid = append(invalid, r)
		}
	}
	return invalid, nil
}

// ControlMsg is a message from the server to a worker.
type ControlMsg struct {
	Type       string `json:"type"` // "cancel"
	Experiment string `json:"experiment"`
	Attempt    int    `json:"attempt"`
}

// Control message types.
const (
	ControlCancel = "cancel" // kill the attempt's process group
	ControlFinish = "finish" // stop searching, keep the best model so far
)

// controlPoll bounds how long one BLPOP of the control loop blocks. Each
// round is a Redis command, so an idle worker sends one every controlPoll;
// when ctx ends, Control wakes its own BLPOP with controlStop rather than
// waiting for the round to time out.
const controlPoll = 5 * time.Second

// controlStop is pushed on the worker's control list when Control's ctx ends,
// to end the blocked BLPOP at once. It is not JSON, so it is never a message.
const controlStop = "stop"

// Control starts a goroutine that blocks on the worker's control list and
// delivers its messages. The channel is closed when ctx is done (at once
// while Redis answers, else within controlPoll). Malformed messages are
// logged and skipped; Redis errors are logged and retried after a pause.
func (q *Queue) Control(ctx context.Context, worker string) <-chan ControlMsg {
	ch := make(chan ControlMsg, 16)
	key := q.keys.ctl(worker)
	go func() {
		defer close(ch)
		stop := context.AfterFunc(ctx, func() {
			c, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_ = q.rdb.LPush(c, key, controlStop).Err()
		})
		defer stop()
		for ctx.Err() == nil {
			v, err := q.rdb.BLPop(ctx, controlPoll, key).Result()
			if errors.Is(err, redis.Nil) {
				continue
			}
			if err == nil && len(v) == 2 && v[1] == controlStop {
				continue // ours (ctx is done), or left over from an earlier Control
			}
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, redis.ErrClosed) {
					return
				}
				q.log.Warn("control: read failed", slog.String("worker", worker), slog.Any("error", err))
				ctxtime.Sleep(ctx, controlPoll)
				continue
			}
			var m ControlMsg
			if len(v) != 2 || json.Unmarshal([]byte(v[1]), &m) != nil || m.Type == "" {
				q.log.Warn("control: malformed message dropped", slog.String("worker", worker), slog.Any("message", v))
				continue
			}
			select {
			case ch <- m:
			case <-ctx.Done():
				return
			}
		}
	}()
	return ch
}

// WorkerID resolves a worker's name or identity to its identity ("" when
// neither is registered).
func (q *Queue) WorkerID(ctx context.Context, nameOrID string) (string, error) {
	pipe := q.rdb.Pipeline()
	byName := pipe.HGet(ctx, q.keys.names(), nameOrID)
	byID := pipe.Exists(ctx, q.keys.worker(nameOrID))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("queue: find worker %s: %w", nameOrID, err)
	}
	if byID.Val() == 1 {
		return nameOrID, nil
	}
	return byName.Val(), nil
}

// Drain stops a worker from taking new experiments; what it runs goes on.
// It reports false for an unknown worker.
func (q *Queue) Drain(ctx context.Context, worker string) (bool, error) {
	return q.drain(ctx, worker, "1")
}

// Resume undoes Drain and wakes the worker.
func (q *Queue) Resume(ctx context.Context, worker string) (bool, error) {
	return q.drain(ctx, worker, "")
}

func (q *Queue) drain(ctx context.Context, worker, on string) (bool, error) {
	res, err := q.run(ctx, q.scripts.drain, worker, on)
	if err != nil {
		return false, fmt.Errorf("queue: drain/resume %s: %w", worker, err)
	}
	n, _ := res.(int64)
	return n == 1, nil
}

// Remove forgets a worker identity, normally a dead one: its name is free,
// its leases go back to the queue at the next reaper pass (as infra
// retries). A live worker that is removed gets ErrUnknownWorker on its next
// heartbeat and registers again. It reports false for an unknown worker.
func (q *Queue) Remove(ctx context.Context, worker string) (bool, error) {
	res, err := q.run(ctx, q.scripts.remove, worker)
	if err != nil {
		return false, fmt.Errorf("queue: remove %s: %w", worker, err)
	}
	n, _ := res.(int64)
	return n == 1, nil
}
