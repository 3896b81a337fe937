package queue

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Capability names an experiment may require and a worker may offer.
const (
	// CapCommand: the worker allows bring-your-own command experiments
	// (config allow_command_experiments).
	CapCommand = "command"
)

// Job is an experiment the server puts in the queue.
type Job struct {
	ID       string   // experiment id
	GPUs     int      // GPUs it needs on one worker; 0 = CPU only
	Caps     []string // capabilities the worker must have, e.g. CapCommand
	Payload  []byte   // opaque to the queue; handed to the worker as is
	Attempts int      // attempts already made (from the server's store): the next claim gets Attempts+1
	Priority string   // high | normal | low; "" is normal
	User     string   // owner, for running quotas and fair share; "" for none
}

// Ref names one attempt: the experiment, its attempt number (the fencing
// token) and the worker identity that holds it. Every call that reports on an
// attempt carries its Ref, and the queue accepts only the live one.
type Ref struct {
	Experiment string
	Attempt    int
	Worker     string
}

func (r Ref) String() string {
	return r.Experiment + "#" + strconv.Itoa(r.Attempt) + "@" + r.Worker
}

// Lease is a claimed attempt.
type Lease struct {
	Ref
	Payload    []byte
	GPUs       int
	Caps       []string
	EnqueuedAt time.Time // Redis time of the first Enqueue
	Deadline   time.Time // Redis time; renew with Heartbeat well before
}

// lane is the sub-queue of one claim class, priority rank and owner:
// "g<gpus>|<caps>|<rank>|<user>". Experiments of one lane are
// interchangeable for every claim, so Claim looks at one head per lane.
func lane(class string, rank int, user string) string {
	return class + "|" + strconv.Itoa(rank) + "|" + user
}

// class is the experiment's claim class "g<gpus>|<sorted caps>": experiments
// of one class are interchangeable for every worker, so Claim looks at the
// head of each class only.
func class(gpus int, caps []string) string {
	return "g" + strconv.Itoa(gpus) + "|" + strings.Join(caps, ",")
}

func normCaps(caps []string) ([]string, error) {
	out := make([]string, 0, len(caps))
	for _, c := range caps {
		if c == "" || strings.ContainsAny(c, ",| \t\r\n") {
			return nil, fmt.Errorf("capability %q is empty or has a comma, bar or space", c)
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func splitCaps(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// Enqueue queues an experiment. It is idempotent: when the id is already
// queued or leased nothing changes and added is false. Waiting workers are
// woken.
func (q *Queue) Enqueue(ctx context.Context, j Job) (added bool, err error) {
	if j.ID == "" || strings.ContainsAny(j.ID, " \t\r\n") {
		return false, fmt.Errorf("queue: enqueue: bad experiment id %q", j.ID)
	}
	if j.GPUs < 0 || j.Attempts < 0 {
		return false, fmt.Errorf("queue: enqueue %s: negative GPUs or attempts", j.ID)
	}
	caps, err := normCaps(j.Caps)
	if err != nil {
		return false, fmt.Errorf("queue: enqueue %s: %w", j.ID, err)
	}
	rank, err := PriorityRank(j.Priority)
	if err != nil {
		return false, fmt.Errorf("queue: enqueue %s: %w", j.ID, err)
	}
	if err := validUser(j.User); err != nil {
		return false, fmt.Errorf("queue: enqueue %s: %w", j.ID, err)
	}
	res, err := q.run(ctx, q.scripts.enqueue, j.ID, j.GPUs, lane(class(j.GPUs, caps), rank, j.User), strings.Join(caps, ","),
		j.Payload, j.Attempts, rank, j.User)
	if err != nil {
		return false, fmt.Errorf("queue: enqueue %s: %w", j.ID, err)
	}
	n, _ := res.(int64)
	return n == 1, nil
}

// Claim gives the worker the next queued experiment it can run: at most
// freeGPUs GPUs, capabilities among the worker's, its owner under the
// running quota; of those the highest priority class, and inside it the
// oldest (policy fifo) or the oldest of the owner who runs the fewest (fair):
// the rule of Pick. No best-fit reordering. The attempt number grows by one (the fencing token)
// and a lease of LeaseTTL starts on Redis's clock.
//
// Errors: ErrNoWork (the worker is now waiting: call WaitForWork, then Claim
// again), ErrNoSlot, ErrQuarantined, ErrDraining (call WaitForWork: Resume
// wakes it), ErrUnknownWorker (register again).
func (q *Queue) Claim(ctx context.Context, worker string, freeSlots, freeGPUs int) (*Lease, error) {
	res, err := q.run(ctx, q.scripts.claim, worker, freeSlots, freeGPUs, q.opts.LeaseTTL.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("queue: claim for worker %s: %w", worker, err)
	}
	return claimReply(worker, res)
}

// claimReply turns the claim step's reply into a Lease or Claim's errors.
func claimReply(worker string, res any) (*Lease, error) {
	v, _ := res.([]any)
	switch str(v, 0) {
	case "ok":
		l := &Lease{
			Ref:        Ref{Experiment: str(v, 1), Attempt: int(atoi64(str(v, 2))), Worker: worker},
			Payload:    []byte(str(v, 3)),
			EnqueuedAt: ms(atoi64(str(v, 4))),
			GPUs:       int(atoi64(str(v, 5))),
			Caps:       splitCaps(str(v, 6)),
			Deadline:   ms(atoi64(str(v, 7))),
		}
		return l, nil
	case "none":
		return nil, ErrNoWork
	case "noslot":
		return nil, ErrNoSlot
	case "draining":
		return nil, ErrDraining
	case "unknown":
		return nil, fmt.Errorf("queue: claim: worker %s: %w", worker, ErrUnknownWorker)
	case "quarantined":
		return nil, fmt.Errorf("queue: claim: worker %s until %s: %w", worker,
			ms(atoi64(str(v, 1))).UTC().Format(time.RFC3339), ErrQuarantined)
	default:
		return nil, fmt.Errorf("queue: claim for worker %s: unexpected reply %v", worker, res)
	}
}

// WaitForWork blocks (BLPOP, no polling) until something is enqueued or
// requeued after the worker's last Claim returned ErrNoWork, or until timeout
// (DefaultWaitTimeout when <= 0) as a safety net. It reports whether a wake
// token arrived. Call Claim afterwards either way. A cancelled ctx is noticed
// only when the call returns (at most timeout).
func (q *Queue) WaitForWork(ctx context.Context, worker string, timeout time.Duration) (woken bool, err error) {
	if timeout <= 0 {
		timeout = DefaultWaitTimeout
	}
	err = q.rdb.BLPop(ctx, timeout, q.keys.wake(worker)).Err()
	if errors.Is(err, redis.Nil) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("queue: wait for work (worker %s): %w", worker, err)
	}
	return true, nil
}

// Known reports, for each id, whether Redis knows the experiment (queued or
// leased). The server uses it to re-enqueue what its store says is queued or
// running after Redis lost data.
func (q *Queue) Known(ctx context.Context, ids []string) (map[string]bool, error) {
	out := make(map[string]bool, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	pipe := q.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.Exists(ctx, q.keys.exp(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("queue: known: %w", err)
	}
	for i, id := range ids {
		out[id] = cmds[i].Val() == 1
	}
	return out, nil
}

// Depth counts queued experiments: cpu (no GPU needed) and gpu.
func (q *Queue) Depth(ctx context.Context) (cpu, gpu int, err error) {
	d, err := q.Depths(ctx)
	for _, n := range d {
		cpu += n[0]
		gpu += n[1]
	}
	return cpu, gpu, err
}

// Depths counts queued experiments per priority class: [cpu, gpu].
func (q *Queue) Depths(ctx context.Context) (map[string][2]int, error) {
	out := map[string][2]int{}
	classes, err := q.rdb.SMembers(ctx, q.keys.classes()).Result()
	if err != nil {
		return out, fmt.Errorf("queue: depth: %w", err)
	}
	pipe := q.rdb.Pipeline()
	cmds := make([]*redis.IntCmd, len(classes))
	for i, c := range classes {
		cmds[i] = pipe.ZCard(ctx, q.keys.pendingClass(c))
	}
	if len(classes) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			return out, fmt.Errorf("queue: depth: %w", err)
		}
	}
	for i, c := range classes {
		prio := PriorityNormal
		if parts := strings.Split(c, "|"); len(parts) >= 4 {
			prio = PriorityName(int(atoi64(parts[2])))
		}
		d := out[prio]
		if strings.HasPrefix(c, "g0|") {
			d[0] += int(cmds[i].Val())
		} else {
			d[1] += int(cmds[i].Val())
		}
		out[prio] = d
	}
	return out, nil
}

// Stats returns the counters for /metrics: enqueued, claims, completed,
// failed, requeues, released, reaped, cancelled, stale_rejected,
// stale_events, quarantines, registered, malformed.
func (q *Queue) Stats(ctx context.Context) (map[string]int64, error) {
	m, err := q.rdb.HGetAll(ctx, q.keys.stats()).Result()
	if err != nil {
		return nil, fmt.Errorf("queue: stats: %w", err)
	}
	out := make(map[string]int64, len(m))
	for k, v := range m {
		out[k] = atoi64(v)
	}
	return out, nil
}
