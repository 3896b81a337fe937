package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"github.com/drover-ml/drover/internal/ctxtime"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
)

// memoryWarmup experiments run before the baseline, so that constant keys
// (counters, streams, consumer groups) and the script cache exist already.
const memoryWarmup = 20

// runMemory: Redis used_memory and DBSIZE before and after MemoryN
// experiments ran to completion and their results were acknowledged.
func runMemory(ctx context.Context, e *env, rep *Report) error {
	res := &MemoryResult{N: e.o.MemoryN}
	var err error
	res.DroverBytesPerExp, res.DroverKeysDelta, res.DroverKeys, err = e.droverMemory(ctx, e.o.DB+dbMemory)
	if err != nil {
		return fmt.Errorf("drover: %w", err)
	}
	e.progress("memory drover: %.1f bytes/experiment, %+d keys", res.DroverBytesPerExp, res.DroverKeysDelta)
	res.AsynqBytesPerExp, res.AsynqKeysDelta, res.AsynqKeys, err = e.asynqMemory(ctx, e.o.DB+dbMemory+1)
	if err != nil {
		return fmt.Errorf("asynq: %w", err)
	}
	e.progress("memory asynq: %.1f bytes/experiment, %+d keys", res.AsynqBytesPerExp, res.AsynqKeysDelta)
	rep.Memory = res
	return nil
}

type memPoint struct {
	used int64
	keys int64
}

func (e *env) memPoint(ctx context.Context, db int) (memPoint, error) {
	// Let lazy frees and client buffers settle.
	if err := ctxtime.Sleep(ctx, 200*time.Millisecond); err != nil {
		return memPoint{}, err
	}
	used, err := infoInt(ctx, e.rdb, "memory", "used_memory")
	if err != nil {
		return memPoint{}, err
	}
	c := e.client(db)
	defer c.Close()
	keys, err := c.DBSize(ctx).Result()
	return memPoint{used, keys}, err
}

func perExp(a, b memPoint, n int) (float64, int64, int64) {
	return math.Round(float64(b.used-a.used)/float64(n)*10) / 10, b.keys - a.keys, b.keys
}

// droverMemory: each experiment is enqueued, claimed, publishes one event,
// completes; a reader reads and acknowledges results and events as the
// server does.
func (e *env) droverMemory(ctx context.Context, db int) (float64, int64, int64, error) {
	q, _, err := e.openQueue(ctx, db)
	if err != nil {
		return 0, 0, 0, err
	}
	defer q.Close()
	wid, err := q.Register(ctx, queue.WorkerInfo{Name: "memory", Slots: 2, Capabilities: []string{queue.CapCommand}})
	if err != nil {
		return 0, 0, 0, err
	}
	r := q.NewReader("bench")
	ev, _ := json.Marshal(protocol.Event{Type: protocol.EventProgress, Fraction: 0.5, Message: "halfway", Time: time.Now().UTC()})
	one := func(i int) error {
		id := fmt.Sprintf("mem-%d", i)
		if _, err := q.Enqueue(ctx, noopJob(id)); err != nil {
			return err
		}
		l, err := q.Claim(ctx, wid, 1, 0)
		if err != nil {
			return err
		}
		if err := q.PublishEvent(ctx, l.Ref, ev); err != nil {
			return err
		}
		return q.Complete(ctx, l.Ref, successResult)
	}
	run := func(from, n int) error {
		for i := range n {
			if err := one(from + i); err != nil {
				return err
			}
			if i%100 == 99 {
				if err := ackAll(ctx, r, q); err != nil {
					return err
				}
			}
		}
		return ackAll(ctx, r, q)
	}
	if err := run(0, memoryWarmup); err != nil {
		return 0, 0, 0, err
	}
	before, err := e.memPoint(ctx, db)
	if err != nil {
		return 0, 0, 0, err
	}
	if err := run(memoryWarmup, e.o.MemoryN); err != nil {
		return 0, 0, 0, err
	}
	after, err := e.memPoint(ctx, db)
	if err != nil {
		return 0, 0, 0, err
	}
	b, d, k := perExp(before, after, e.o.MemoryN)
	return b, d, k, nil
}

// asynqMemory: an asynq server on defaults (finished tasks are not
// retained) processes the tasks.
func (e *env) asynqMemory(ctx context.Context, db int) (float64, int64, int64, error) {
	var n atomic.Int64
	srv, err := e.asynqServer(db, 0, func(context.Context, *asynq.Task) error { n.Add(1); return nil })
	if err != nil {
		return 0, 0, 0, err
	}
	defer srv.Shutdown()
	c := asynq.NewClient(e.asynqOpt(db))
	defer c.Close()
	payload := noopJob("x").Payload
	run := func(k int) error {
		want := n.Load() + int64(k)
		for range k {
			if _, err := c.EnqueueContext(ctx, asynq.NewTask("noop", payload)); err != nil {
				return err
			}
		}
		deadline := time.Now().Add(2 * time.Minute)
		for n.Load() < want {
			if time.Now().After(deadline) {
				return fmt.Errorf("%d of %d tasks handled: %w", n.Load(), want, errTimeout)
			}
			if err := ctxtime.Sleep(ctx, 10*time.Millisecond); err != nil {
				return err
			}
		}
		return e.waitAsynqIdle(ctx, db, 30*time.Second)
	}
	if err := run(memoryWarmup); err != nil {
		return 0, 0, 0, err
	}
	before, err := e.memPoint(ctx, db)
	if err != nil {
		return 0, 0, 0, err
	}
	if err := run(e.o.MemoryN); err != nil {
		return 0, 0, 0, err
	}
	after, err := e.memPoint(ctx, db)
	if err != nil {
		return 0, 0, 0, err
	}
	b, d, k := perExp(before, after, e.o.MemoryN)
	return b, d, k, nil
}
