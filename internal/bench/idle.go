package bench

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"github.com/drover-ml/drover/internal/ctxtime"
)

// runIdle: Redis commands/s with IdleWorkers idle workers, from INFO stats
// total_commands_processed over IdleFor (commands run by Lua scripts count
// as Redis counts them). Nothing else talks to Redis meanwhile.
func runIdle(ctx context.Context, e *env, rep *Report) error {
	res := &IdleResult{Workers: e.o.IdleWorkers, Seconds: e.o.IdleFor.Seconds()}
	var err error
	res.Drover, res.DroverByCommand, err = e.droverIdle(ctx, e.o.DB+dbIdle)
	if err != nil {
		return fmt.Errorf("drover: %w", err)
	}
	e.progress("idle drover: %.1f commands/s", res.Drover)
	res.Asynq, res.AsynqByCommand, err = e.asynqIdle(ctx, e.o.DB+dbIdle+1)
	if err != nil {
		return fmt.Errorf("asynq: %w", err)
	}
	e.progress("idle asynq: %.1f commands/s", res.Asynq)
	rep.Idle = res
	return nil
}

// measureCommands counts Redis commands over window: the total per second
// and per command per second, less the bench's own INFO calls.
func (e *env) measureCommands(ctx context.Context, window time.Duration) (float64, map[string]float64, error) {
	n0, s0, err := commandStats(ctx, e.rdb)
	if err != nil {
		return 0, nil, err
	}
	t0 := time.Now()
	if err := ctxtime.Sleep(ctx, window); err != nil {
		return 0, nil, err
	}
	n1, s1, err := commandStats(ctx, e.rdb)
	if err != nil {
		return 0, nil, err
	}
	secs := time.Since(t0).Seconds()
	// The first INFO is counted after its own reply was written.
	n1--
	s1["info"]--
	per := map[string]float64{}
	for k, v := range s1 {
		if d := v - s0[k]; d > 0 {
			per[k] = math.Round(float64(d)/secs*10) / 10
		}
	}
	return math.Round(float64(n1-n0)/secs*10) / 10, per, nil
}

// droverIdle: IdleWorkers drover workers (internal/worker on default
// config, each with its own connections, as separate processes have) in
// this process, nothing queued.
func (e *env) droverIdle(ctx context.Context, db int) (float64, map[string]float64, error) {
	q, _, err := e.openQueue(ctx, db)
	if err != nil {
		return 0, nil, err
	}
	defer q.Close()
	var ws []*inproc
	defer func() { e.stopWorkers(ctx, db, ws) }()
	for i := range e.o.IdleWorkers {
		w, err := e.startWorker(ctx, db, fmt.Sprintf("idle-%d", i))
		if err != nil {
			return 0, nil, err
		}
		ws = append(ws, w)
	}
	if err := waitWaiting(ctx, q, e.o.IdleWorkers, 30*time.Second); err != nil {
		return 0, nil, err
	}
	if err := ctxtime.Sleep(ctx, e.o.IdleSettle); err != nil {
		return 0, nil, err
	}
	return e.measureCommands(ctx, e.o.IdleFor)
}

// asynqIdle: IdleWorkers asynq servers on defaults, nothing queued.
func (e *env) asynqIdle(ctx context.Context, db int) (float64, map[string]float64, error) {
	var srvs []*asynq.Server
	defer func() {
		var wg sync.WaitGroup
		for _, s := range srvs {
			wg.Go(s.Shutdown)
		}
		wg.Wait()
	}()
	for range e.o.IdleWorkers {
		s, err := e.asynqServer(db, 0, func(context.Context, *asynq.Task) error { return nil })
		if err != nil {
			return 0, nil, err
		}
		srvs = append(srvs, s)
	}
	if err := ctxtime.Sleep(ctx, e.o.IdleSettle); err != nil {
		return 0, nil, err
	}
	return e.measureCommands(ctx, e.o.IdleFor)
}
