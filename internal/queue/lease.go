package queue

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

func refArgs(r Ref) []any { return []any{r.Experiment, r.Attempt, r.Worker} }

// Complete reports that an attempt finished (the result bytes are opaque to
// the queue; typically the runner's result event). Accepted only for the live
// attempt, else ErrStaleAttempt (and the stale_rejected counter grows). The
// experiment then leaves Redis and the result goes to the results stream.
func (q *Queue) Complete(ctx context.Context, ref Ref, result []byte) error {
	res, err := q.run(ctx, q.scripts.complete, append(refArgs(ref), result)...)
	if err != nil {
		return fmt.Errorf("queue: complete %s: %w", ref, err)
	}
	if n, _ := res.(int64); n != 1 {
		return fmt.Errorf("queue: complete %s: %w", ref, ErrStaleAttempt)
	}
	return nil
}

// CompleteAndClaim is Complete followed by Claim for the same worker in one
// script, so one round trip: a busy slot reports its result and gets its next
// experiment at once. freeSlots and freeGPUs are what the worker has free
// counting the finished attempt's slot and GPUs as free (Redis caps both by
// its own accounting, after the finished attempt's are released).
//
// A stale ref: the result is rejected (stale_rejected grows), nothing is
// claimed, and the error is ErrStaleAttempt. Otherwise the result is accepted
// whatever the claim step says: a nil error means both, and a claim error
// (ErrNoWork, with the worker now waiting; ErrNoSlot, ErrQuarantined,
// ErrUnknownWorker) means the result was accepted and nothing was claimed; a
// Redis error leaves it unknown whether the result was accepted, as with
// Complete.
func (q *Queue) CompleteAndClaim(ctx context.Context, ref Ref, result []byte, freeSlots, freeGPUs int) (*Lease, error) {
	res, err := q.run(ctx, q.scripts.completeClaim, ref.Experiment, ref.Attempt, ref.Worker, result,
		freeSlots, freeGPUs, q.opts.LeaseTTL.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("queue: complete and claim %s: %w", ref, err)
	}
	if v, _ := res.([]any); str(v, 0) == "stale" {
		return nil, fmt.Errorf("queue: complete %s: %w", ref, ErrStaleAttempt)
	}
	return claimReply(ref.Worker, res)
}

// Fail reports a failed attempt. Kind "infra" is requeued (keeping its place
// in the queue) while fewer than maxRetries retries were used, and counts
// towards the worker's quarantine; every other kind ("user", "timeout", ...)
// is final. A final failure leaves Redis and goes to the results stream.
func (q *Queue) Fail(ctx context.Context, ref Ref, kind string, result []byte, maxRetries int) (requeued bool, err error) {
	res, err := q.run(ctx, q.scripts.fail, q.failArgs(ref, kind, result, maxRetries)...)
	if err != nil {
		return false, fmt.Errorf("queue: fail %s: %w", ref, err)
	}
	switch res {
	case "requeued":
		return true, nil
	case "failed":
		return false, nil
	default:
		return false, fmt.Errorf("queue: fail %s: %w", ref, ErrStaleAttempt)
	}
}

func (q *Queue) failArgs(ref Ref, kind string, result []byte, maxRetries int) []any {
	return append(refArgs(ref), kind, result, maxRetries,
		q.opts.QuarantineAfter, q.opts.QuarantineWindow.Milliseconds(), q.opts.QuarantineFor.Milliseconds())
}

// FailAndClaim is Fail followed by Claim for the same worker in one script
// and round trip, as CompleteAndClaim is for Complete (same free counts, same
// errors). The claim step sees the worker as Fail left it: quarantined after
// its last infra failure (ErrQuarantined), and an infra failure that was
// requeued may be claimed again at once, as the oldest queued experiment.
func (q *Queue) FailAndClaim(ctx context.Context, ref Ref, kind string, result []byte, maxRetries, freeSlots, freeGPUs int) (requeued bool, next *Lease, err error) {
	args := append(q.failArgs(ref, kind, result, maxRetries), freeSlots, freeGPUs, q.opts.LeaseTTL.Milliseconds())
	res, err := q.run(ctx, q.scripts.failClaim, args...)
	if err != nil {
		return false, nil, fmt.Errorf("queue: fail and claim %s: %w", ref, err)
	}
	v, _ := res.([]any)
	switch str(v, 0) {
	case "requeued":
		requeued = true
	case "failed":
	case "stale":
		return false, nil, fmt.Errorf("queue: fail %s: %w", ref, ErrStaleAttempt)
	default:
		return false, nil, fmt.Errorf("queue: fail and claim %s: unexpected reply %v", ref, res)
	}
	var c any
	if len(v) > 1 {
		c = v[1]
	}
	next, err = claimReply(ref.Worker, c)
	return requeued, next, err
}

// Release hands a live attempt back to the queue without counting a retry
// (graceful worker stop). It keeps its place in the queue.
func (q *Queue) Release(ctx context.Context, ref Ref) error {
	res, err := q.run(ctx, q.scripts.release, refArgs(ref)...)
	if err != nil {
		return fmt.Errorf("queue: release %s: %w", ref, err)
	}
	if n, _ := res.(int64); n != 1 {
		return fmt.Errorf("queue: release %s: %w", ref, ErrStaleAttempt)
	}
	return nil
}

// PublishEvent appends a progress or log event of the live attempt to the
// events stream (capped). Events of a stale attempt are dropped: ErrStaleAttempt.
func (q *Queue) PublishEvent(ctx context.Context, ref Ref, event []byte) error {
	res, err := q.run(ctx, q.scripts.event, append(refArgs(ref), event)...)
	if err != nil {
		return fmt.Errorf("queue: publish event %s: %w", ref, err)
	}
	if n, _ := res.(int64); n != 1 {
		return fmt.Errorf("queue: publish event %s: %w", ref, ErrStaleAttempt)
	}
	return nil
}

// CancelOutcome says what Cancel found.
type CancelOutcome int

// Cancel outcomes.
const (
	CancelUnknown CancelOutcome = iota // Redis does not know the experiment (finished, or never queued)
	CancelQueued                       // it was queued: removed
	CancelLeased                       // it was running: lease revoked, worker told to kill it
)

func (c CancelOutcome) String() string {
	switch c {
	case CancelQueued:
		return "queued"
	case CancelLeased:
		return "leased"
	default:
		return "unknown"
	}
}

// Cancel cancels an experiment. Queued: removed. Leased: the lease is
// revoked at once (no heartbeat, event or result of it is accepted any more)
// and a cancel message goes to the worker's control list. Either way a
// "cancelled" result is emitted and the experiment leaves Redis, so it is
// never retried.
func (q *Queue) Cancel(ctx context.Context, id string) (CancelOutcome, error) {
	c, err := q.CancelAttempt(ctx, id)
	return c.Outcome, err
}

// Cancelled is what CancelAttempt found in Redis.
type Cancelled struct {
	Outcome CancelOutcome
	// Attempt is Redis's attempt number: the lease's when it was leased
	// (the claim's "started" message may not have reached the server yet),
	// the attempts already made when it was queued.
	Attempt int
	Worker  string    // the leasing worker (CancelLeased)
	Started time.Time // when the lease began, Redis time (CancelLeased)
}

// CancelAttempt is Cancel, reporting the attempt Redis knew.
func (q *Queue) CancelAttempt(ctx context.Context, id string) (Cancelled, error) {
	res, err := q.run(ctx, q.scripts.cancel, id)
	if err != nil {
		return Cancelled{}, fmt.Errorf("queue: cancel %s: %w", id, err)
	}
	v, _ := res.([]any)
	attempt, _ := strconv.Atoi(str(v, 1))
	switch str(v, 0) {
	case "queued":
		return Cancelled{Outcome: CancelQueued, Attempt: attempt}, nil
	case "leased":
		c := Cancelled{Outcome: CancelLeased, Attempt: attempt, Worker: str(v, 2)}
		if ms, _ := strconv.ParseInt(str(v, 3), 10, 64); ms > 0 {
			c.Started = time.UnixMilli(ms).UTC()
		}
		return c, nil
	default:
		return Cancelled{Outcome: CancelUnknown}, nil
	}
}

// Finish asks the worker running experiment id to stop searching and keep
// the best model found so far (the attempt then completes normally). It
// reports whether the experiment was running on a worker.
func (q *Queue) Finish(ctx context.Context, id string) (bool, error) {
	res, err := q.run(ctx, q.scripts.finish, id)
	if err != nil {
		return false, fmt.Errorf("queue: finish %s: %w", id, err)
	}
	n, _ := res.(int64)
	return n == 1, nil
}

// Peek returns the payload of the oldest queued experiment the worker could
// run (counting all its GPUs as free), without claiming it; nil when there
// is none. A worker whose processors are all busy uses it to fetch the next
// experiment's dataset ahead of time.
func (q *Queue) Peek(ctx context.Context, worker string) ([]byte, error) {
	res, err := q.run(ctx, q.scripts.peek, worker)
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("queue: peek for %s: %w", worker, err)
	}
	s, _ := res.(string)
	return []byte(s), nil
}
