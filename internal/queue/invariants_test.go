package queue_test

// One test (at least) per queue invariant of DESIGN.md.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drover-ml/drover/internal/queue"
)

// Invariant 1 and 2: FIFO among what the processor can run; GPU and
// capability matching; no best-fit reordering.
func TestFIFOAmongRunnable(t *testing.T) {
	e := newEnv(t)
	cpu := e.register("cpu", 4, 0)
	gpu := e.register("gpu", 4, 2)
	e.enqueue("g1", 1)
	e.enqueue("c1", 0)
	e.enqueue("c2", 0)
	e.enqueue("g2", 2)
	e.enqueue("cmd", 0, queue.CapCommand)
	e.enqueue("c3", 0)

	if l := e.claim(cpu, 4, 0); l.Experiment != "c1" {
		t.Fatalf("cpu worker got %s, want c1 (g1 at the head needs a GPU)", l.Experiment)
	}
	g1 := e.claim(gpu, 4, 2)
	if g1.Experiment != "g1" {
		t.Fatalf("gpu worker got %s, want g1", g1.Experiment)
	}
	// The GPU worker now has 1 free GPU: g2 (2 GPUs) is not runnable, c2 is
	// the oldest it can run. No best-fit: it does not wait for g2.
	if l := e.claim(gpu, 3, 1); l.Experiment != "c2" {
		t.Fatalf("gpu worker got %s, want c2", l.Experiment)
	}
	// cmd needs the command capability: the cpu worker skips it for c3.
	if l := e.claim(cpu, 3, 0); l.Experiment != "c3" {
		t.Fatalf("cpu worker got %s, want c3", l.Experiment)
	}
	e.noWork(cpu, 2, 0)
	cmdW := e.register("cmdw", 1, 0, queue.CapCommand)
	if l := e.claim(cmdW, 1, 0); l.Experiment != "cmd" {
		t.Fatalf("command worker got %s, want cmd", l.Experiment)
	}
	// GPU count: g2 needs 2 free GPUs. The queue also counts the GPUs of
	// what the worker runs: claiming "2 free" while g1 holds one is not enough.
	e.noWork(gpu, 2, 1)
	e.noWork(gpu, 2, 2)
	if err := e.q.Complete(context.Background(), g1.Ref, nil); err != nil {
		t.Fatal(err)
	}
	if l := e.claim(gpu, 2, 2); l.Experiment != "g2" || l.GPUs != 2 {
		t.Fatalf("gpu worker got %+v, want g2", l)
	}
}

// Invariant 1: a requeued experiment keeps its original place.
func TestRequeueKeepsAge(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 1, 0)
	e.enqueue("a", 0)
	l := e.claim(w, 1, 0)
	e.enqueue("b", 0)
	e.enqueue("c", 0)
	if err := e.q.Release(ctx, l.Ref); err != nil {
		t.Fatal(err)
	}
	snap, err := e.q.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, p := range snap.Pending {
		order = append(order, p.ID)
	}
	if !slices.Equal(order, []string{"a", "b", "c"}) {
		t.Fatalf("pending order %v, want [a b c]", order)
	}
	if l2 := e.claim(w, 1, 0); l2.Experiment != "a" || l2.Attempt != 2 {
		t.Fatalf("got %+v, want a attempt 2", l2.Ref)
	}
}

// Invariant 2: a worker runs at most its slot count, whatever it claims to have free.
func TestSlotLimit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 2, 0)
	for i := range 4 {
		e.enqueue(fmt.Sprint("e", i), 0)
	}
	l1 := e.claim(w, 9, 0)
	e.claim(w, 9, 0)
	if _, err := e.q.Claim(ctx, w, 9, 0); !errors.Is(err, queue.ErrNoSlot) {
		t.Fatalf("third claim: want ErrNoSlot, got %v", err)
	}
	if _, err := e.q.Claim(ctx, w, 0, 0); !errors.Is(err, queue.ErrNoSlot) {
		t.Fatalf("claim with 0 free: want ErrNoSlot, got %v", err)
	}
	if err := e.q.Complete(ctx, l1.Ref, nil); err != nil {
		t.Fatal(err)
	}
	e.claim(w, 1, 0)
}

// Invariant 3: two workers racing for one experiment: always exactly one winner.
func TestExactlyOneWinner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ws := []string{e.register("a", 1, 0), e.register("b", 1, 0)}
	for round := range 100 {
		id := fmt.Sprint("x", round)
		e.enqueue(id, 0)
		var wg sync.WaitGroup
		leases := make([]*queue.Lease, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { leases[i], errs[i] = e.q.Claim(ctx, ws[i], 1, 0) })
		}
		wg.Wait()
		var won []*queue.Lease
		for i := range 2 {
			switch {
			case errs[i] == nil:
				won = append(won, leases[i])
			case !errors.Is(errs[i], queue.ErrNoWork):
				t.Fatalf("round %d: %v", round, errs[i])
			}
		}
		if len(won) != 1 || won[0].Experiment != id {
			t.Fatalf("round %d: %d winners", round, len(won))
		}
		if err := e.q.Complete(ctx, won[0].Ref, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// Invariant 3: after the lease expires, the old token is refused everywhere.
func TestExpiredTokenRejected(t *testing.T) {
	e := newEnv(t, shortLease)
	ctx := context.Background()
	w1 := e.register("w1", 1, 0)
	w2 := e.register("w2", 1, 0)
	e.enqueue("a", 0)
	old := e.claim(w1, 1, 0)
	// w1 stops heartbeating (SIGSTOP, partition): the reaper takes the lease back.
	rep := e.reapUntil("lease expiry", 3, func(r *queue.ReapReport) bool { return len(r.Reaped) == 1 })
	if got := rep.Reaped[0]; got.Ref != old.Ref || !got.Requeued || got.Reason != "lease_expired" {
		t.Fatalf("reaped %+v", got)
	}
	cur := e.claim(w2, 1, 0)
	if cur.Attempt != old.Attempt+1 {
		t.Fatalf("new attempt %d, want %d", cur.Attempt, old.Attempt+1)
	}
	// w1 wakes up.
	bad, err := e.q.Heartbeat(ctx, w1, []queue.Ref{old.Ref})
	if err != nil || len(bad) != 1 || bad[0] != old.Ref {
		t.Fatalf("old heartbeat: invalid=%v err=%v", bad, err)
	}
	if err := e.q.PublishEvent(ctx, old.Ref, []byte("{}")); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("old event: %v", err)
	}
	if err := e.q.Complete(ctx, old.Ref, []byte("{}")); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("old result: %v", err)
	}
	if _, err := e.q.Fail(ctx, old.Ref, "infra", nil, 3); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("old failure: %v", err)
	}
	if err := e.q.Release(ctx, old.Ref); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("old release: %v", err)
	}
	// The live attempt is untouched.
	if bad, err := e.q.Heartbeat(ctx, w2, []queue.Ref{cur.Ref}); err != nil || len(bad) != 0 {
		t.Fatalf("live heartbeat: %v %v", bad, err)
	}
	if err := e.q.Complete(ctx, cur.Ref, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	st, _ := e.q.Stats(ctx)
	if st["stale_rejected"] != 3 || st["stale_events"] != 1 {
		t.Fatalf("stats %v", st)
	}
}

// Invariant 3: a lease past its deadline is not renewed by a late heartbeat,
// even before the reaper ran.
func TestLateHeartbeatDoesNotRevive(t *testing.T) {
	e := newEnv(t, shortLease)
	ctx := context.Background()
	w := e.register("w", 1, 0)
	e.enqueue("a", 0)
	l := e.claim(w, 1, 0)
	// Wait on Redis's clock until the deadline passed.
	waitFor(t, "deadline", func() bool {
		now, err := e.raw().Time(ctx).Result()
		return err == nil && now.After(l.Deadline)
	})
	if bad, err := e.q.Heartbeat(ctx, w, []queue.Ref{l.Ref}); err != nil || len(bad) != 1 {
		t.Fatalf("late heartbeat accepted: %v %v", bad, err)
	}
}

// Invariant 4: random operation sequences never lose or duplicate an
// experiment: every experiment not yet final is in exactly one place, and
// every experiment ends with exactly one final message.
func TestNothingLostProperty(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { nothingLost(t, seed) })
	}
}

func nothingLost(t *testing.T, seed uint64) {
	e := newEnv(t, func(o *queue.Options) { o.LeaseTTL = 40 * time.Millisecond })
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	raw := e.raw()
	reader := e.q.NewReader("server")
	p := e.opts.Prefix

	names := []string{"w0", "w1", "w2"}
	ids := map[string]string{} // name -> current identity
	for _, n := range names {
		ids[n] = e.register(n, 2, rng.IntN(2))
	}
	held := map[string][]queue.Ref{} // name -> refs the worker believes it holds
	final := map[string]int{}        // experiment -> final messages seen
	var all []string
	const maxRetries = 2

	check := func(step int, op string) {
		t.Helper()
		for _, m := range e.drain(reader) {
			if m.Stream == queue.StreamResults && m.Final() {
				final[m.Ref.Experiment]++
			}
		}
		pipe := raw.Pipeline()
		type probe struct {
			pend, lease *redis.FloatCmd
			h           *redis.SliceCmd
		}
		pr := make([]probe, len(all))
		for i, id := range all {
			pr[i] = probe{pipe.ZScore(ctx, p+":pending", id), pipe.ZScore(ctx, p+":leases", id),
				pipe.HMGet(ctx, p+":exp:"+id, "state", "worker")}
		}
		if len(all) > 0 {
			_, _ = pipe.Exec(ctx) // redis.Nil for absent scores
		}
		for i, id := range all {
			inP, inL := pr[i].pend.Err() == nil, pr[i].lease.Err() == nil
			hv := pr[i].h.Val()
			exists := hv[0] != nil
			switch {
			case final[id] > 1:
				t.Fatalf("step %d (%s): %s has %d final results", step, op, id, final[id])
			case final[id] == 1 && (inP || inL || exists):
				t.Fatalf("step %d (%s): final %s still in Redis (pending=%v leased=%v hash=%v)", step, op, id, inP, inL, exists)
			case final[id] == 0 && inP == inL:
				t.Fatalf("step %d (%s): %s pending=%v leased=%v", step, op, id, inP, inL)
			case final[id] == 0 && !exists:
				t.Fatalf("step %d (%s): %s has no hash", step, op, id)
			case inL && hv[0] != "leased", inP && hv[0] != "queued":
				t.Fatalf("step %d (%s): %s pending=%v leased=%v state=%v", step, op, id, inP, inL, hv[0])
			}
			if inL {
				// Held by exactly one live worker identity, or by a retired one
				// whose lease the reaper has yet to take back.
				holders := 0
				for _, n := range names {
					if raw.HExists(ctx, p+":worker:"+ids[n]+":running", id).Val() {
						holders++
					}
				}
				if holders > 1 {
					t.Fatalf("step %d (%s): %s in %d running sets", step, op, id, holders)
				}
			}
		}
	}

	for step := range 400 {
		name := names[rng.IntN(len(names))]
		w := ids[name]
		var op string
		switch r := rng.IntN(100); {
		case r < 20:
			op = "enqueue"
			id := fmt.Sprint("e", len(all))
			all = append(all, id)
			if _, err := e.q.Enqueue(ctx, queue.Job{ID: id, GPUs: rng.IntN(2)}); err != nil {
				t.Fatal(err)
			}
		case r < 40:
			op = "claim"
			l, err := e.q.Claim(ctx, w, 2, 1)
			if err == nil {
				held[name] = append(held[name], l.Ref)
			} else if !errors.Is(err, queue.ErrNoWork) && !errors.Is(err, queue.ErrNoSlot) && !errors.Is(err, queue.ErrQuarantined) {
				t.Fatal(err)
			}
		case r < 50:
			op = "complete"
			if ref, ok := pop(rng, held, name); ok {
				_ = e.q.Complete(ctx, ref, []byte("{}")) // may be stale: fine
			}
		case r < 58:
			op = "fail"
			if ref, ok := pop(rng, held, name); ok {
				kind := []string{"infra", "user"}[rng.IntN(2)]
				_, _ = e.q.Fail(ctx, ref, kind, nil, maxRetries)
			}
		case r < 63:
			op = "release"
			if ref, ok := pop(rng, held, name); ok {
				_ = e.q.Release(ctx, ref)
			}
		case r < 75:
			op = "heartbeat"
			bad, err := e.q.Heartbeat(ctx, w, held[name])
			if err != nil {
				t.Fatal(err)
			}
			held[name] = slices.DeleteFunc(held[name], func(r queue.Ref) bool { return slices.Contains(bad, r) })
		case r < 85:
			op = "reap"
			if _, err := e.q.ReapExpired(ctx, maxRetries); err != nil {
				t.Fatal(err)
			}
		case r < 90:
			op = "re-register"
			ids[name] = e.register(name, 2, rng.IntN(2))
			held[name] = nil
		case r < 94:
			op = "deregister"
			if _, err := e.q.Deregister(ctx, w); err != nil {
				t.Fatal(err)
			}
			ids[name] = e.register(name, 2, rng.IntN(2))
			held[name] = nil
		case r < 98:
			op = "cancel"
			if len(all) > 0 {
				if _, err := e.q.Cancel(ctx, all[rng.IntN(len(all))]); err != nil {
					t.Fatal(err)
				}
			}
		default:
			op = "pause"
			time.Sleep(time.Duration(rng.IntN(60)) * time.Millisecond) // let leases expire
		}
		check(step, op)
	}
	// Finish everything: every experiment gets exactly one final message.
	for _, id := range all {
		if _, err := e.q.Cancel(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	check(-1, "cancel all")
	st, _ := e.q.Stats(ctx)
	t.Logf("seed %d: %d experiments; stats %v", seed, len(all), st)
	for _, id := range all {
		if final[id] != 1 {
			t.Fatalf("%s: %d final messages", id, final[id])
		}
	}
}

func pop(rng *rand.Rand, held map[string][]queue.Ref, name string) (queue.Ref, bool) {
	l := held[name]
	if len(l) == 0 {
		return queue.Ref{}, false
	}
	i := rng.IntN(len(l))
	r := l[i]
	held[name] = slices.Delete(l, i, i+1)
	return r, true
}

// Invariant 5: an idle worker blocks in BLPOP and Enqueue wakes it.
func TestBlockingWake(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 1, 0)
	e.noWork(w, 1, 0) // now in the waiting set

	type res struct {
		l   *queue.Lease
		at  time.Time
		err error
	}
	done := make(chan res, 1)
	go func() {
		for {
			woken, err := e.q.WaitForWork(ctx, w, 30*time.Second)
			if err != nil {
				done <- res{err: err}
				return
			}
			l, err := e.q.Claim(ctx, w, 1, 0)
			if errors.Is(err, queue.ErrNoWork) {
				continue
			}
			_ = woken
			done <- res{l: l, at: time.Now(), err: err}
			return
		}
	}()
	// Let the goroutine reach BLPOP; the result does not depend on it (a
	// token pushed before the BLPOP stays in the list).
	waitFor(t, "worker blocked", func() bool {
		n, _ := e.raw().ClientList(ctx).Result()
		return containsBLPOP(n)
	})
	start := time.Now()
	e.enqueue("a", 0)
	r := <-done
	if r.err != nil || r.l.Experiment != "a" {
		t.Fatalf("woken claim: %+v", r)
	}
	t.Logf("enqueue -> claimed by a blocked worker: %v", r.at.Sub(start))
}

func containsBLPOP(clientList string) bool {
	for _, line := range splitLines(clientList) {
		if contains(line, "cmd=blpop") {
			return true
		}
	}
	return false
}

// No lost wake-up: something enqueued between ErrNoWork and the BLPOP is seen.
func TestNoLostWakeup(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 1, 0)
	e.noWork(w, 1, 0)
	e.enqueue("a", 0) // before the worker blocks
	woken, err := e.q.WaitForWork(ctx, w, 30*time.Second)
	if err != nil || !woken {
		t.Fatalf("woken=%v err=%v", woken, err)
	}
	e.claim(w, 1, 0)
}

// Invariant 6: finished experiments leave Redis; events are a capped stream.
func TestBoundedMemory(t *testing.T) {
	e := newEnv(t, func(o *queue.Options) { o.EventsCap = 500 })
	ctx := context.Background()
	raw := e.raw()
	reader := e.q.NewReader("server")
	w := e.register("w", 4, 0)
	round := func(n int, tag string) {
		for i := range n {
			e.enqueue(fmt.Sprint(tag, i), 0)
		}
		for range n {
			l := e.claim(w, 4, 0)
			_ = e.q.PublishEvent(ctx, l.Ref, []byte(`{"type":"log"}`))
			if _, err := e.q.Heartbeat(ctx, w, []queue.Ref{l.Ref}); err != nil {
				t.Fatal(err)
			}
			if err := e.q.Complete(ctx, l.Ref, []byte(`{"status":"succeeded"}`)); err != nil {
				t.Fatal(err)
			}
		}
		e.drain(reader)
	}
	round(3, "warm")
	base := raw.DBSize(ctx).Val()
	keysBefore := raw.Keys(ctx, "*").Val()
	round(300, "x")
	if got := raw.DBSize(ctx).Val(); got != base {
		t.Fatalf("DBSIZE %d after 300 experiments, baseline %d\nbefore %v\nafter %v", got, base, keysBefore, raw.Keys(ctx, "*").Val())
	}
	for _, s := range []string{":results", ":events"} {
		if n := raw.XLen(ctx, e.opts.Prefix+s).Val(); n != 0 {
			t.Fatalf("%s has %d entries after ack", s, n)
		}
	}
	// Events of a server that does not read are capped (MAXLEN ~ trims whole
	// stream nodes of 100 entries, so up to one node more).
	l := func() *queue.Lease { e.enqueue("chatty", 0); return e.claim(w, 4, 0) }()
	for i := range 3000 {
		if err := e.q.PublishEvent(ctx, l.Ref, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	if n := raw.XLen(ctx, e.opts.Prefix+":events").Val(); n > 500+100 {
		t.Fatalf("events stream length %d, cap 500", n)
	}
}

// Invariant 7: redis_db and the key prefix isolate installations.
func TestIsolation(t *testing.T) {
	r := testutil_start(t)
	a := openEnv(t, r, 2, func(o *queue.Options) { o.Prefix = "same" })
	b := openEnv(t, r, 3, func(o *queue.Options) { o.Prefix = "same" })  // other DB
	c := openEnv(t, r, 2, func(o *queue.Options) { o.Prefix = "other" }) // other prefix
	ctx := context.Background()
	envs := []*env{a, b, c}
	workers := make([]string, 3)
	for i, x := range envs {
		workers[i] = x.register("w", 1, 0) // same name in each
		x.enqueue(fmt.Sprint("job", i), 0)
		x.enqueue("shared-id", 0) // same id in each: three experiments
	}
	for i, x := range envs {
		l := x.claim(workers[i], 1, 0)
		if l.Experiment != fmt.Sprint("job", i) {
			t.Fatalf("env %d claimed %s", i, l.Experiment)
		}
		snap, err := x.q.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(snap.Workers) != 1 || snap.Workers[0].ID != workers[i] || len(snap.Pending) != 1 {
			t.Fatalf("env %d snapshot: %+v", i, snap)
		}
		for j := range envs {
			if j != i {
				if _, err := x.q.Claim(ctx, workers[j], 1, 0); !errors.Is(err, queue.ErrUnknownWorker) {
					t.Fatalf("env %d knows worker of env %d: %v", i, j, err)
				}
			}
		}
	}
	if _, err := a.q.Cancel(ctx, "shared-id"); err != nil {
		t.Fatal(err)
	}
	for i, x := range envs[1:] {
		if k, _ := x.q.Known(ctx, []string{"shared-id"}); !k["shared-id"] {
			t.Fatalf("cancel in env 0 reached env %d", i+1)
		}
	}
}
