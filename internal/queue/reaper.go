package queue

import (
	"context"
	"fmt"
	"time"
)

// Reaped is one lease the reaper took back.
type Reaped struct {
	Ref
	Requeued bool      // true: back in the queue as an infra retry; false: retries exhausted, a "lost" result was emitted
	Deadline time.Time // when the lease expired (zero when its worker identity was retired)
	Reason   string    // "lease_expired" or "worker_gone"
}

// ReapReport is what one ReapExpired call did.
type ReapReport struct {
	Now            time.Time // Redis time of the (last) pass
	Reaped         []Reaped
	WorkersExpired []string // worker identities silent past WorkerTTL, forgotten
	Orphans        int      // lease entries without a leased experiment, dropped
}

// ReapExpired takes back every lease past its deadline: the experiment goes
// back to the queue with its original place as an infra retry while fewer
// than maxRetries retries were used, else a "lost" result (failed, kind
// infra) is emitted. It also forgets workers silent past WorkerTTL and takes
// back the leases of retired identities. Run it about every second; several
// processes may run it at once.
func (q *Queue) ReapExpired(ctx context.Context, maxRetries int) (*ReapReport, error) {
	rep := &ReapReport{}
	for {
		res, err := q.run(ctx, q.scripts.reap, maxRetries, q.opts.WorkerTTL.Milliseconds(), reapLimit)
		if err != nil {
			return rep, fmt.Errorf("queue: reap: %w", err)
		}
		v, _ := res.([]any)
		rep.Now = ms(atoi64(str(v, 0)))
		var items []any
		if len(v) > 1 {
			items, _ = v[1].([]any)
		}
		leases := 0
		for _, it := range items {
			e, _ := it.([]any)
			switch str(e, 0) {
			case "worker":
				rep.WorkersExpired = append(rep.WorkersExpired, str(e, 1))
			case "orphan":
				rep.Orphans++
				leases++
			case "requeued", "failed":
				leases++
				rep.Reaped = append(rep.Reaped, Reaped{
					Ref:      Ref{Experiment: str(e, 1), Attempt: int(atoi64(str(e, 2))), Worker: str(e, 3)},
					Requeued: str(e, 0) == "requeued",
					Deadline: ms(atoi64(str(e, 4))),
					Reason:   str(e, 5),
				})
			}
		}
		if leases < reapLimit || ctx.Err() != nil {
			return rep, nil
		}
	}
}
