package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/drover-ml/drover/internal/ctxtime"
)

// runRecovery: a worker process runs a long experiment and is killed with
// SIGKILL while a second worker waits; time from the kill until the
// experiment runs again on the second worker.
func runRecovery(ctx context.Context, e *env, rep *Report) error {
	res := &RecoveryResult{DroverReaper: "queue.ReapExpired every 1 s in the bench process (as the server's reap loop)"}
	d, lease, err := e.droverRecovery(ctx, e.o.DB+dbRecovery)
	if err != nil {
		return fmt.Errorf("drover: %w", err)
	}
	res.DroverSeconds, res.DroverLeaseSeconds = round1(d.Seconds()), lease.Seconds()
	e.progress("recovery drover: %.1f s", res.DroverSeconds)
	if e.o.AsynqRecovery {
		a, err := e.asynqRecovery(ctx, e.o.DB+dbRecovery+1)
		if err != nil {
			return fmt.Errorf("asynq: %w", err)
		}
		s := round1(a.Seconds())
		res.AsynqSeconds = &s
		e.progress("recovery asynq: %.1f s", s)
	}
	rep.Recovery = res
	return nil
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }

// droverRecovery: two `drover worker` processes on defaults; the bench
// stands in for the server's reap loop. The experiment's command writes
// the time it started (its own clock) into a file per attempt.
func (e *env) droverRecovery(ctx context.Context, db int) (time.Duration, time.Duration, error) {
	q, cfg, err := e.openQueue(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	defer q.Close()
	stopReaper := reaper(ctx, q, cfg.MaxRetries)
	defer stopReaper()

	marks := filepath.Join(e.tmp, "recovery")
	if err := os.MkdirAll(marks, 0o755); err != nil {
		return 0, 0, err
	}
	a, err := e.startWorkerProc(db, "recovery-a")
	if err != nil {
		return 0, 0, err
	}
	defer a.kill()
	if err := waitWaiting(ctx, q, 1, 30*time.Second); err != nil {
		return 0, 0, fmt.Errorf("worker a: %w: %s", err, a.log.String())
	}
	const id = "recovery-1"
	job, err := e.commandJob(id, `date +%s%N > "`+marks+`/start-$DROVER_ATTEMPT.tmp" && mv "`+marks+`/start-$DROVER_ATTEMPT.tmp" "`+marks+`/start-$DROVER_ATTEMPT" && exec sleep 3600`)
	if err != nil {
		return 0, 0, err
	}
	if _, err := q.Enqueue(ctx, job); err != nil {
		return 0, 0, err
	}
	if _, err := waitFile(ctx, filepath.Join(marks, "start-1"), 30*time.Second); err != nil {
		return 0, 0, fmt.Errorf("first attempt: %w: %s", err, a.log.String())
	}
	b, err := e.startWorkerProc(db, "recovery-b")
	if err != nil {
		return 0, 0, err
	}
	defer b.kill()
	// a waits too, for its second processor.
	if err := waitWaiting(ctx, q, 2, 30*time.Second); err != nil {
		return 0, 0, fmt.Errorf("worker b: %w: %s", err, b.log.String())
	}
	// Let a heartbeat or two pass, as in a worker that has been running a while.
	if err := ctxtime.Sleep(ctx, 1500*time.Millisecond); err != nil {
		return 0, 0, err
	}
	killed := time.Now()
	a.kill()
	again, err := waitFile(ctx, filepath.Join(marks, "start-2"), 5*time.Minute)
	if err != nil {
		return 0, 0, fmt.Errorf("second attempt: %w: %s", err, b.log.String())
	}
	// Stop the second attempt (b kills its process group on the cancel).
	_, _ = q.Cancel(ctx, id)
	_ = ctxtime.Sleep(ctx, 300*time.Millisecond)
	lease := cfg.LeasePeriod()
	for _, kv := range e.o.WorkerEnv {
		if v, ok := strings.CutPrefix(kv, "DROVER_WORKER_LEASE_PERIOD="); ok {
			if n, err := strconv.Atoi(v); err == nil {
				lease = time.Duration(n) * time.Second
			}
		}
	}
	return again.Sub(killed), lease, nil
}

// waitFile waits until path exists and returns the time (Unix ns) it holds.
func waitFile(ctx context.Context, path string, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		b, err := os.ReadFile(path)
		if err == nil {
			ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("%s: %q is not a time in ns", path, b)
			}
			return time.Unix(0, ns), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s: %w after %v", filepath.Base(path), errTimeout, timeout)
		}
		if err := ctxtime.Sleep(ctx, 5*time.Millisecond); err != nil {
			return time.Time{}, err
		}
	}
}

// asynqRecovery: an asynq worker process on defaults (`drover-bench
// asynq-worker`) runs a long task and is killed with SIGKILL; a second
// asynq server on defaults in this process waits; time until its handler
// runs the task.
func (e *env) asynqRecovery(ctx context.Context, db int) (time.Duration, error) {
	p, err := e.startAsynqProc(db)
	if err != nil {
		return 0, err
	}
	defer p.kill()
	c := asynq.NewClient(e.asynqOpt(db))
	defer c.Close()
	info, err := c.EnqueueContext(ctx, asynq.NewTask("long", nil))
	if err != nil {
		return 0, err
	}
	select {
	case id := <-p.started:
		if id != info.ID {
			return 0, fmt.Errorf("worker process ran %s, expected %s", id, info.ID)
		}
	case <-p.done:
		return 0, fmt.Errorf("asynq worker process exited: %s", p.log.String())
	case <-time.After(30 * time.Second):
		return 0, fmt.Errorf("asynq worker process did not start the task: %w: %s", errTimeout, p.log.String())
	}
	again := make(chan time.Time, 1)
	srv, err := e.asynqServer(db, 0, func(hctx context.Context, t *asynq.Task) error {
		select {
		case again <- time.Now():
		default:
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	defer srv.Shutdown()
	if err := ctxtime.Sleep(ctx, 1500*time.Millisecond); err != nil {
		return 0, err
	}
	killed := time.Now()
	p.kill()
	select {
	case t := <-again:
		return t.Sub(killed), nil
	case <-time.After(10 * time.Minute):
		return 0, fmt.Errorf("task not run again: %w", errTimeout)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}
