package queue_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/goleak"

	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/testutil"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// One redis-server per test binary run would be faster, but tests then share
// state; each test gets its own server (they start in ~10 ms).
type env struct {
	t     *testing.T
	redis *testutil.Redis
	q     *queue.Queue
	opts  queue.Options
}

var prefixSeq atomic.Int64

// newEnv starts a redis-server and opens a Queue on a flushed DB with a fresh prefix.
func newEnv(t *testing.T, tweak ...func(*queue.Options)) *env {
	t.Helper()
	r := testutil.StartRedis(t)
	return openEnv(t, r, 1, tweak...)
}

func openEnv(t *testing.T, r *testutil.Redis, db int, tweak ...func(*queue.Options)) *env {
	t.Helper()
	r.Client(db) // flushes it
	opts := queue.Options{Addr: r.Addr(), Password: r.Password(), DB: db,
		Prefix: fmt.Sprintf("t%d", prefixSeq.Add(1)),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, f := range tweak {
		f(&opts)
	}
	q, err := queue.Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { q.Close() })
	return &env{t: t, redis: r, q: q, opts: opts}
}

func (e *env) register(name string, slots, gpus int, caps ...string) string {
	e.t.Helper()
	id, err := e.q.Register(context.Background(), queue.WorkerInfo{Name: name, Host: "h", PID: 1, Slots: slots, GPUs: gpus, Capabilities: caps})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) enqueue(id string, gpus int, caps ...string) {
	e.t.Helper()
	added, err := e.q.Enqueue(context.Background(), queue.Job{ID: id, GPUs: gpus, Caps: caps, Payload: []byte(`{"id":"` + id + `"}`)})
	if err != nil || !added {
		e.t.Fatalf("enqueue %s: added=%v err=%v", id, added, err)
	}
}

func (e *env) claim(worker string, slots, gpus int) *queue.Lease {
	e.t.Helper()
	l, err := e.q.Claim(context.Background(), worker, slots, gpus)
	if err != nil {
		e.t.Fatalf("claim by %s: %v", worker, err)
	}
	return l
}

func (e *env) noWork(worker string, slots, gpus int) {
	e.t.Helper()
	l, err := e.q.Claim(context.Background(), worker, slots, gpus)
	if !errors.Is(err, queue.ErrNoWork) {
		e.t.Fatalf("claim by %s: want ErrNoWork, got %v %v", worker, l, err)
	}
}

// drain reads every available message without blocking and acks it.
func (e *env) drain(r *queue.Reader) []queue.Message {
	e.t.Helper()
	var all []queue.Message
	for {
		ms, err := r.Read(context.Background(), 100, 0)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(ms) == 0 {
			return all
		}
		if err := e.q.Ack(context.Background(), ms...); err != nil {
			e.t.Fatal(err)
		}
		all = append(all, ms...)
	}
}

// waitFor polls cond (test-side only) until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// raw is a plain client on the env's DB, for looking at keys directly.
func (e *env) raw() *redis.Client {
	e.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: e.opts.Addr, Password: e.opts.Password, DB: e.opts.DB, DisableIdentity: true})
	e.t.Cleanup(func() { c.Close() })
	return c
}

// reapUntil runs the reaper until cond holds (leases in tests are short).
func (e *env) reapUntil(what string, maxRetries int, cond func(*queue.ReapReport) bool) *queue.ReapReport {
	e.t.Helper()
	var got *queue.ReapReport
	waitFor(e.t, what, func() bool {
		rep, err := e.q.ReapExpired(context.Background(), maxRetries)
		if err != nil {
			e.t.Fatal(err)
		}
		if cond(rep) {
			got = rep
			return true
		}
		return false
	})
	return got
}

func shortLease(o *queue.Options) { o.LeaseTTL = 150 * time.Millisecond }
