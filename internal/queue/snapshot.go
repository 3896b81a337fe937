package queue

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Snapshot is the queue's state for system info, queue positions and the
// health API. It is read with two pipelined round trips, not atomically:
// an experiment may be seen in two places or none while it moves.
type Snapshot struct {
	Now     time.Time // Redis time
	Workers []WorkerState
	Pending []PendingJob // claim order: priority class, then age
	// UserRunning counts the leased experiments of each owner.
	UserRunning map[string]int
	Limits      Limits // running quotas
	Policy      string // fifo or fair
}

// Running is an attempt a worker holds.
type Running struct {
	Experiment string
	Attempt    int
}

// WorkerState is one registered worker identity.
type WorkerState struct {
	ID               string
	Name             string
	Host             string
	PID              int
	Version          string
	Slots            int
	GPUs             int
	FreeGPUs         int
	Capabilities     []string
	Running          []Running
	LastSeen         time.Time
	Started          time.Time
	QuarantinedUntil time.Time // zero or past: not quarantined
	Waiting          bool      // blocked waiting for work it can run
	Draining         bool      // takes nothing new (Drain) until Resume
}

// FreeSlots is Slots minus the attempts it runs (never negative).
func (w WorkerState) FreeSlots() int { return max(0, w.Slots-len(w.Running)) }

// Quarantined reports whether the worker is quarantined at now.
func (w WorkerState) Quarantined(now time.Time) bool { return w.QuarantinedUntil.After(now) }

// HasCaps reports whether the worker offers every capability in caps.
func (w WorkerState) HasCaps(caps []string) bool {
	for _, c := range caps {
		if !slices.Contains(w.Capabilities, c) {
			return false
		}
	}
	return true
}

// PendingJob is one queued experiment.
type PendingJob struct {
	ID         string
	GPUs       int
	Caps       []string
	Attempt    int // attempts made so far
	EnqueuedAt time.Time
	Priority   string // high, normal or low
	User       string // owner ("" for none)
}

// Snapshot reads the workers and the pending list.
func (q *Queue) Snapshot(ctx context.Context) (*Snapshot, error) { return q.snapshot(ctx, true) }

// WorkerSnapshot is Snapshot without the pending experiments (Pending is
// empty): what system info needs, at a cost that does not grow with the
// queue.
func (q *Queue) WorkerSnapshot(ctx context.Context) (*Snapshot, error) { return q.snapshot(ctx, false) }

func (q *Queue) snapshot(ctx context.Context, pending bool) (*Snapshot, error) {
	pipe := q.rdb.Pipeline()
	timeCmd := pipe.Time(ctx)
	wCmd := pipe.ZRangeWithScores(ctx, q.keys.workers(), 0, -1) // score = last seen (ms)
	pCmd := pipe.ZRange(ctx, q.keys.pending(), 0, -1)
	waitCmd := pipe.SMembers(ctx, q.keys.waiting())
	urunCmd := pipe.HGetAll(ctx, q.keys.urun())
	schedCmd := pipe.HGetAll(ctx, q.keys.sched())
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("queue: snapshot: %w", err)
	}
	snap := &Snapshot{Now: timeCmd.Val(), UserRunning: map[string]int{}, Limits: Limits{Users: map[string]int{}}, Policy: PolicyFIFO}
	for u, n := range urunCmd.Val() {
		if c := int(atoi64(n)); c > 0 {
			snap.UserRunning[u] = c
		}
	}
	for f, v := range schedCmd.Val() {
		switch {
		case f == "policy":
			snap.Policy = v
		case f == "max_running":
			snap.Limits.Default = int(atoi64(v))
		case strings.HasPrefix(f, "max_running:"):
			snap.Limits.Users[strings.TrimPrefix(f, "max_running:")] = int(atoi64(v))
		}
	}
	pids, waiting := pCmd.Val(), waitCmd.Val()
	if !pending {
		pids = nil
	}
	wids := make([]string, 0, len(wCmd.Val()))
	seen := make(map[string]time.Time, len(wCmd.Val()))
	for _, z := range wCmd.Val() {
		id, _ := z.Member.(string)
		wids = append(wids, id)
		seen[id] = ms(int64(z.Score))
	}

	pipe = q.rdb.Pipeline()
	wh := make([]*redis.MapStringStringCmd, len(wids))
	wr := make([]*redis.MapStringStringCmd, len(wids))
	for i, id := range wids {
		wh[i] = pipe.HGetAll(ctx, q.keys.worker(id))
		wr[i] = pipe.HGetAll(ctx, q.keys.running(id))
	}
	ph := make([]*redis.SliceCmd, len(pids))
	for i, id := range pids {
		ph[i] = pipe.HMGet(ctx, q.keys.exp(id), "gpus", "caps", "attempt", "enq", "prio", "user")
	}
	if len(wids)+len(pids) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("queue: snapshot: %w", err)
		}
	}
	for i, id := range wids {
		h := wh[i].Val()
		if len(h) == 0 {
			continue // retired between the two round trips
		}
		w := WorkerState{
			ID: id, Name: h["name"], Host: h["host"], PID: int(atoi64(h["pid"])), Version: h["version"],
			Slots: int(atoi64(h["slots"])), GPUs: int(atoi64(h["gpus"])),
			Capabilities:     splitCaps(h["caps"]),
			LastSeen:         seen[id],
			Started:          ms(atoi64(h["started"])),
			QuarantinedUntil: ms(atoi64(h["quarantined_until"])),
			Waiting:          slices.Contains(waiting, id),
			Draining:         h["draining"] == "1",
		}
		w.FreeGPUs = max(0, w.GPUs-int(atoi64(h["busy_gpus"])))
		for exp, att := range wr[i].Val() {
			w.Running = append(w.Running, Running{Experiment: exp, Attempt: int(atoi64(att))})
		}
		slices.SortFunc(w.Running, func(a, b Running) int { return strings.Compare(a.Experiment, b.Experiment) })
		snap.Workers = append(snap.Workers, w)
	}
	slices.SortFunc(snap.Workers, func(a, b WorkerState) int {
		return strings.Compare(a.Name+"\x00"+a.ID, b.Name+"\x00"+b.ID)
	})
	for i, id := range pids {
		v := ph[i].Val()
		if len(v) != 6 || v[0] == nil {
			q.log.Warn("pending experiment without a hash skipped", slog.String("experiment", id))
			continue
		}
		s := func(j int) string { x, _ := v[j].(string); return x }
		snap.Pending = append(snap.Pending, PendingJob{
			ID: id, GPUs: int(atoi64(s(0))), Caps: splitCaps(s(1)),
			Attempt: int(atoi64(s(2))), EnqueuedAt: ms(atoi64(s(3))),
			Priority: priorityOf(s(4)), User: s(5),
		})
	}
	return snap, nil
}

// priorityOf names a stored rank ("" from an older drover is normal).
func priorityOf(rank string) string {
	if rank == "" {
		return PriorityNormal
	}
	return PriorityName(int(atoi64(rank)))
}
