package worker

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/drover-ml/drover/internal/queue"
)

// heartbeatLoop renews the worker's liveness and leases every
// worker_heartbeat_interval. An attempt the queue no longer recognises is
// killed at once. When renewals fail for long enough that the leases could
// expire, every attempt is killed first: two workers must never run one
// experiment at the same time.
func (w *Worker) heartbeatLoop(ctx context.Context) {
	interval := w.cfg.HeartbeatInterval()
	// Kill before the lease can expire on Redis's clock: leave two intervals
	// of margin for the time a renewal takes to arrive.
	fence := w.cfg.LeasePeriod() - 2*interval
	if fence < interval {
		fence = interval
	}
	lastOK := time.Now()
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		refs := w.refs()
		sent := time.Now()
		invalid, err := w.q.Heartbeat(ctx, w.ID(), refs)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				w.log.Warn("heartbeat failed; retrying", slog.Any("err", err))
				failing = true
			}
			if errors.Is(err, queue.ErrUnknownWorker) {
				w.killAll(errLeaseLost)
			}
			if time.Since(lastOK) > fence {
				if n := w.killAll(errLeaseLost); n > 0 {
					w.log.Error("cannot renew leases; killed running attempts before they could run twice", slog.Int("killed", n))
				}
			}
			continue
		}
		if failing {
			w.log.Info("heartbeat restored")
			failing = false
		}
		lastOK = sent
		for _, r := range invalid {
			if w.kill(r.Experiment, r.Attempt, errLeaseLost) {
				w.log.Warn("lease no longer ours; attempt killed", slog.String("experiment", r.Experiment), slog.Int("attempt", r.Attempt))
			}
		}
		// Busy workers are not woken by new work; look at what comes next
		// here so its dataset is fetched while the processors are busy.
		w.prefetchNext(ctx)
	}
}

// refs lists the attempts running now.
func (w *Worker) refs() []queue.Ref {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]queue.Ref, 0, len(w.running))
	for _, at := range w.running {
		out = append(out, at.ref)
	}
	return out
}

// killAll stops every attempt on this worker, in whatever phase, and
// returns how many were not stopped already.
func (w *Worker) killAll(why error) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, at := range w.running {
		if at.ctx.Err() == nil {
			n++
		}
		at.cancel(why)
	}
	return n
}

// controlLoop obeys messages from the server (cancel).
func (w *Worker) controlLoop(ctx context.Context) {
	for m := range w.q.Control(ctx, w.ID()) {
		switch m.Type {
		case queue.ControlCancel:
			if w.kill(m.Experiment, m.Attempt, errCancelled) {
				w.log.Info("attempt cancelled by a user", slog.String("experiment", m.Experiment), slog.Int("attempt", m.Attempt))
			}
		case queue.ControlFinish:
			w.mu.Lock()
			at := w.running[m.Experiment]
			if at != nil && at.ref.Attempt == m.Attempt && at.proc != nil {
				at.proc.Finish()
				w.log.Info("finish requested", slog.String("experiment", m.Experiment), slog.Int("attempt", m.Attempt))
			}
			w.mu.Unlock()
		}
	}
}
