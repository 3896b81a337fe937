package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hibiken/asynq"

	"github.com/drover-ml/drover/internal/queue"
)

// enqueuers is how many goroutines fill the queue before a drain.
const enqueuers = 8

// runThroughput: N no-op experiments queued, then drained by claim + result
// with no child process.
func runThroughput(ctx context.Context, e *env, rep *Report) error {
	res := &ThroughputResult{N: e.o.N, Workers: e.o.Workers, Slots: e.o.Slots}
	var drain, acked, a time.Duration
	var err error
	res.DroverCPU, err = e.measureCPU(ctx, e.o.N, func() error {
		drain, acked, err = e.droverThroughput(ctx, e.o.DB+dbThroughput)
		return err
	})
	if err != nil {
		return fmt.Errorf("drover: %w", err)
	}
	res.Drover, res.DroverAcked = rate(e.o.N, drain), rate(e.o.N, acked)
	e.progress("throughput drover: %.0f/s (%.0f/s until every result was acked); CPU µs/experiment: redis %.1f, bench process %.1f",
		res.Drover, res.DroverAcked, res.DroverCPU.RedisUS, res.DroverCPU.ClientUS)
	res.AsynqCPU, err = e.measureCPU(ctx, e.o.N, func() error {
		a, err = e.asynqThroughput(ctx, e.o.DB+dbThroughput+1)
		return err
	})
	if err != nil {
		return fmt.Errorf("asynq: %w", err)
	}
	res.Asynq = rate(e.o.N, a)
	e.progress("throughput asynq: %.0f/s; CPU µs/experiment: redis %.1f, bench process %.1f", res.Asynq, res.AsynqCPU.RedisUS, res.AsynqCPU.ClientUS)
	rep.Throughput = res
	return nil
}

// CPU is CPU time per experiment over a whole scenario run (enqueue
// included): Redis's (INFO cpu) and this process's (getrusage), which
// holds the workers or asynq server and client.
type CPU struct {
	RedisUS  float64 `json:"redis_us_per_experiment"`
	ClientUS float64 `json:"bench_process_us_per_experiment"`
}

func (e *env) measureCPU(ctx context.Context, n int, f func() error) (CPU, error) {
	r0, err := redisCPU(ctx, e)
	if err != nil {
		return CPU{}, err
	}
	c0 := selfCPU()
	if err := f(); err != nil {
		return CPU{}, err
	}
	c1 := selfCPU()
	r1, err := redisCPU(ctx, e)
	if err != nil {
		return CPU{}, err
	}
	us := func(d time.Duration) float64 {
		return math.Round(float64(d)/float64(time.Microsecond)/float64(n)*10) / 10
	}
	return CPU{RedisUS: us(r1 - r0), ClientUS: us(c1 - c0)}, nil
}

func redisCPU(ctx context.Context, e *env) (time.Duration, error) {
	m, err := info(ctx, e.rdb, "cpu")
	if err != nil {
		return 0, err
	}
	var sum float64
	for _, k := range []string{"used_cpu_sys", "used_cpu_user"} {
		v, err := strconv.ParseFloat(m[k], 64)
		if err != nil {
			return 0, fmt.Errorf("INFO cpu %s: %q", k, m[k])
		}
		sum += v
	}
	return time.Duration(sum * float64(time.Second)), nil
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return math.Round(float64(n) / d.Seconds())
}

// parallel runs f(i) for i in [0, n) on k goroutines and returns the first error.
func parallel(n, k int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range k {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// droverThroughput: Workers registered workers of Slots slots, each with its
// own connections, drain the queue with Claim, then CompleteAndClaim (one
// round trip per experiment) while a reader
// reads and acknowledges the results as the server does.
func (e *env) droverThroughput(ctx context.Context, db int) (drain, acked time.Duration, err error) {
	q, _, err := e.openQueue(ctx, db)
	if err != nil {
		return 0, 0, err
	}
	defer q.Close()
	if err := parallel(e.o.N, enqueuers, func(i int) error {
		_, err := q.Enqueue(ctx, noopJob(fmt.Sprintf("tp-%d", i)))
		return err
	}); err != nil {
		return 0, 0, err
	}
	type wk struct {
		q  *queue.Queue
		id string
	}
	var ws []wk
	defer func() {
		for _, w := range ws {
			w.q.Close()
		}
	}()
	for i := range e.o.Workers {
		wq, _, err := e.openQueue(ctx, db)
		if err != nil {
			return 0, 0, err
		}
		id, err := wq.Register(ctx, queue.WorkerInfo{Name: fmt.Sprintf("tp-%d", i), Slots: e.o.Slots, Capabilities: []string{queue.CapCommand}})
		if err != nil {
			wq.Close()
			return 0, 0, err
		}
		ws = append(ws, wk{wq, id})
	}

	rctx, stopReader := context.WithCancel(ctx)
	defer stopReader()
	ackedAt := make(chan time.Time, 1)
	readErr := make(chan error, 1)
	go func() {
		r := q.NewReader("bench")
		n := 0
		for n < e.o.N {
			msgs, err := r.Read(rctx, 1000, 100*time.Millisecond)
			if err != nil {
				readErr <- err
				return
			}
			for _, m := range msgs {
				if m.Kind == queue.KindCompleted {
					n++
				}
			}
			if len(msgs) > 0 {
				if err := q.Ack(rctx, msgs...); err != nil {
					readErr <- err
					return
				}
			}
		}
		ackedAt <- time.Now()
	}()

	start := time.Now()
	var wg sync.WaitGroup
	var first error
	var once sync.Once
	for _, w := range ws {
		for range e.o.Slots {
			wg.Go(func() {
				// A busy slot reports its result and claims its next
				// experiment in one round trip, as the worker does.
				l, err := w.q.Claim(ctx, w.id, 1, 0)
				for err == nil {
					l, err = w.q.CompleteAndClaim(ctx, l.Ref, successResult, 1, 0)
				}
				if !errors.Is(err, queue.ErrNoWork) {
					once.Do(func() { first = err })
				}
			})
		}
	}
	wg.Wait()
	drain = time.Since(start)
	if first != nil {
		return 0, 0, first
	}
	select {
	case t := <-ackedAt:
		acked = t.Sub(start)
	case err := <-readErr:
		return 0, 0, err
	case <-time.After(30 * time.Second):
		return 0, 0, fmt.Errorf("results not all read: %w", errTimeout)
	}
	return drain, acked, nil
}

// asynqThroughput: one asynq server of Concurrency Workers×Slots drains N
// no-op tasks (defaults otherwise).
func (e *env) asynqThroughput(ctx context.Context, db int) (time.Duration, error) {
	c := asynq.NewClient(e.asynqOpt(db))
	defer c.Close()
	payload := noopJob("x").Payload
	if err := parallel(e.o.N, enqueuers, func(i int) error {
		_, err := c.EnqueueContext(ctx, asynq.NewTask("noop", payload))
		return err
	}); err != nil {
		return 0, err
	}
	var n atomic.Int64
	all := make(chan time.Time, 1)
	start := time.Now()
	srv, err := e.asynqServer(db, e.o.Workers*e.o.Slots, func(context.Context, *asynq.Task) error {
		if n.Add(1) == int64(e.o.N) {
			all <- time.Now()
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	defer srv.Shutdown()
	select {
	case <-all:
	case <-time.After(5 * time.Minute):
		return 0, fmt.Errorf("%d of %d tasks handled: %w", n.Load(), e.o.N, errTimeout)
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	// The last results are written after the handlers return.
	if err := e.waitAsynqIdle(ctx, db, 30*time.Second); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
