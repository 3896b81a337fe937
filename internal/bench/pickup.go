package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/drover-ml/drover/internal/ctxtime"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
)

// runPickup: one processor free and blocked waiting; enqueue one experiment
// and time until its child process is started. Samples are sequential, each
// after the previous one finished plus a random pause in [0, PickupGap).
func runPickup(ctx context.Context, e *env, rep *Report) error {
	res := &PickupResult{GapMaxMS: float64(e.o.PickupGap) / float64(time.Millisecond)}
	d, err := e.droverPickup(ctx, e.o.DB+dbPickup)
	if err != nil {
		return fmt.Errorf("drover: %w", err)
	}
	res.Drover, res.DroverChildRunning = latency(d.started), latency(d.running)
	res.DroverClaimed, res.DroverStart = latency(d.claimed), latency(d.start)
	e.progress("pickup drover: p50 %.1f ms p99 %.1f ms (enqueue → claimed p99 %.1f ms, claimed → started p99 %.1f ms, child running p99 %.1f ms)",
		res.Drover.P50, res.Drover.P99, res.DroverClaimed.P99, res.DroverStart.P99, res.DroverChildRunning.P99)
	a, err := e.asynqPickup(ctx, e.o.DB+dbPickup+1)
	if err != nil {
		return fmt.Errorf("asynq: %w", err)
	}
	res.Asynq = latency(a)
	e.progress("pickup asynq: p50 %.1f ms p99 %.1f ms", res.Asynq.P50, res.Asynq.P99)
	rep.Pickup = res
	return nil
}

// droverPickup runs a drover worker (internal/worker, default config: 2
// processors) in this process, its children being `drover run-experiment`
// of e.o.Exe, and queues command experiments (`true`) the way the server
// does. It reads the worker's events as the server does: the "pickup"
// event is written right after runner.Start returned (child forked and
// exec'd); the child's first event carries the child's own clock.
type droverSamples struct {
	started, running, claimed, start []time.Duration
}

func (e *env) droverPickup(ctx context.Context, db int) (*droverSamples, error) {
	q, _, err := e.openQueue(ctx, db)
	if err != nil {
		return nil, err
	}
	defer q.Close()
	w, err := e.startWorker(ctx, db, "pickup")
	if err != nil {
		return nil, err
	}
	defer e.stopWorkers(ctx, db, []*inproc{w})
	if err := waitWaiting(ctx, q, 1, 15*time.Second); err != nil {
		return nil, err
	}
	d := &droverSamples{}
	r := q.NewReader("bench")
	// One warm-up sample (page cache, script cache), not counted.
	for i := -1; i < e.o.Samples; i++ {
		id := fmt.Sprintf("pickup-%d", i+1)
		job, err := e.commandJob(id, "true")
		if err != nil {
			return nil, err
		}
		t0 := time.Now()
		if _, err := q.Enqueue(ctx, job); err != nil {
			return nil, err
		}
		pickup, start, child, err := waitDone(ctx, r, q, id, 30*time.Second)
		if err != nil {
			return nil, fmt.Errorf("sample %d: %w", i+1, err)
		}
		if i >= 0 {
			d.started = append(d.started, pickup.Sub(t0))
			d.running = append(d.running, child.Sub(t0))
			d.claimed = append(d.claimed, pickup.Add(-start).Sub(t0))
			d.start = append(d.start, start)
		}
		if err := ctxtime.Sleep(ctx, e.gap()); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// waitDone reads the streams until experiment id completed and returns the
// time of its worker's "pickup" event, the claim → started time the event
// carries, and the time of its child's first event.
func waitDone(ctx context.Context, r *queue.Reader, q *queue.Queue, id string, timeout time.Duration) (pickup time.Time, start time.Duration, child time.Time, err error) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		msgs, err := r.Read(ctx, 100, 100*time.Millisecond)
		if err != nil {
			return pickup, start, child, err
		}
		done := false
		for _, m := range msgs {
			if m.Ref.Experiment != id {
				continue
			}
			switch m.Kind {
			case queue.KindEvent:
				var ev protocol.Event
				if json.Unmarshal(m.Data, &ev) != nil {
					continue
				}
				if ev.Type == protocol.EventPickup {
					pickup, start = ev.Time, time.Duration(ev.Fraction*float64(time.Second))
				} else if strings.HasPrefix(ev.Message, "attempt ") && (child.IsZero() || ev.Time.Before(child)) {
					child = ev.Time
				}
			case queue.KindCompleted:
				done = true
			case queue.KindStarted:
			default:
				return pickup, start, child, fmt.Errorf("experiment %s: %s %s %s", id, m.Kind, m.Reason, m.Data)
			}
		}
		if len(msgs) > 0 {
			if err := q.Ack(ctx, msgs...); err != nil {
				return pickup, start, child, err
			}
		}
		if done {
			if pickup.IsZero() || child.IsZero() {
				return pickup, start, child, fmt.Errorf("experiment %s completed without a pickup event or a child event", id)
			}
			return pickup, start, child, nil
		}
	}
	return pickup, start, child, fmt.Errorf("experiment %s: %w after %v", id, errTimeout, timeout)
}

// asynqPickup: an asynq server on defaults whose handler starts `true`.
func (e *env) asynqPickup(ctx context.Context, db int) ([]time.Duration, error) {
	type start struct {
		id string
		at time.Time
		// err of exec
		err error
	}
	ch := make(chan start, 1)
	srv, err := e.asynqServer(db, 0, func(_ context.Context, t *asynq.Task) error {
		cmd := exec.Command("true")
		err := cmd.Start()
		at := time.Now()
		if err == nil {
			err = cmd.Wait()
		}
		ch <- start{string(t.Payload()), at, err}
		return nil
	})
	if err != nil {
		return nil, err
	}
	defer srv.Shutdown()
	c := asynq.NewClient(e.asynqOpt(db))
	defer c.Close()
	var out []time.Duration
	for i := -1; i < e.o.AsynqSamples; i++ {
		id := fmt.Sprintf("pickup-%d", i+1)
		t0 := time.Now()
		if _, err := c.EnqueueContext(ctx, asynq.NewTask("pickup", []byte(id))); err != nil {
			return nil, err
		}
		select {
		case s := <-ch:
			if s.err != nil {
				return nil, s.err
			}
			if s.id != id {
				return nil, fmt.Errorf("handler ran %s, expected %s", s.id, id)
			}
			if i >= 0 {
				out = append(out, s.at.Sub(t0))
			}
		case <-time.After(30 * time.Second):
			return nil, fmt.Errorf("task %s: %w", id, errTimeout)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if err := ctxtime.Sleep(ctx, e.gap()); err != nil {
			return nil, err
		}
	}
	return out, nil
}
