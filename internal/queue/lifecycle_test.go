package queue_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/testutil"
)

func finals(ms []queue.Message) map[string]queue.Message {
	out := map[string]queue.Message{}
	for _, m := range ms {
		if m.Final() {
			out[m.Ref.Experiment] = m
		}
	}
	return out
}

func TestCancelQueued(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.q.NewReader("server")
	e.enqueue("a", 0)
	e.enqueue("b", 0)
	if got, err := e.q.Cancel(ctx, "a"); err != nil || got != queue.CancelQueued {
		t.Fatalf("cancel: %v %v", got, err)
	}
	if got, _ := e.q.Cancel(ctx, "a"); got != queue.CancelUnknown {
		t.Fatalf("second cancel: %v", got)
	}
	f := finals(e.drain(r))
	if m := f["a"]; m.Kind != queue.KindCancelled || m.FailureKind != "cancelled" {
		t.Fatalf("cancel result %+v", m)
	}
	w := e.register("w", 2, 0)
	if l := e.claim(w, 2, 0); l.Experiment != "b" {
		t.Fatalf("claimed %s after cancel of a", l.Experiment)
	}
	if cpu, gpu, _ := e.q.Depth(ctx); cpu != 0 || gpu != 0 {
		t.Fatalf("depth %d %d", cpu, gpu)
	}
}

func TestCancelLeased(t *testing.T) {
	e := newEnv(t)
	ctx, stop := context.WithCancel(context.Background())
	r := e.q.NewReader("server")
	w := e.register("w", 1, 0)
	ctl := e.q.Control(ctx, w)
	e.enqueue("a", 0)
	l := e.claim(w, 1, 0)
	if got, err := e.q.Cancel(ctx, "a"); err != nil || got != queue.CancelLeased {
		t.Fatalf("cancel: %v %v", got, err)
	}
	msg := <-ctl
	if msg.Type != queue.ControlCancel || msg.Experiment != "a" || msg.Attempt != l.Attempt {
		t.Fatalf("control message %+v", msg)
	}
	if bad, err := e.q.Heartbeat(ctx, w, []queue.Ref{l.Ref}); err != nil || len(bad) != 1 {
		t.Fatalf("heartbeat after cancel: %v %v", bad, err)
	}
	if err := e.q.Complete(ctx, l.Ref, nil); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("complete after cancel: %v", err)
	}
	if err := e.q.PublishEvent(ctx, l.Ref, nil); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("event after cancel: %v", err)
	}
	// Never retried: the reaper finds nothing, the slot is free, nothing queued.
	rep, err := e.q.ReapExpired(ctx, 5)
	if err != nil || len(rep.Reaped) != 0 {
		t.Fatalf("reap: %+v %v", rep, err)
	}
	e.noWork(w, 1, 0)
	f := finals(e.drain(r))
	if m := f["a"]; m.Kind != queue.KindCancelled || m.Ref != l.Ref {
		t.Fatalf("cancel result %+v", m)
	}
	stop()
	for range ctl { // closed after ctx is done
	}
}

func TestReleaseDoesNotCountRetry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.q.NewReader("server")
	w := e.register("w", 1, 0)
	e.enqueue("a", 0)
	for i := range 3 {
		l := e.claim(w, 1, 0)
		if l.Attempt != i+1 {
			t.Fatalf("attempt %d, want %d", l.Attempt, i+1)
		}
		if err := e.q.Release(ctx, l.Ref); err != nil {
			t.Fatal(err)
		}
	}
	// maxRetries 1: the first infra failure is retried, the second is final.
	l := e.claim(w, 1, 0)
	if again, err := e.q.Fail(ctx, l.Ref, "infra", []byte(`"disk"`), 1); err != nil || !again {
		t.Fatalf("first infra failure: requeued=%v err=%v", again, err)
	}
	l = e.claim(w, 1, 0)
	if again, err := e.q.Fail(ctx, l.Ref, "infra", []byte(`"disk"`), 1); err != nil || again {
		t.Fatalf("second infra failure: requeued=%v err=%v", again, err)
	}
	f := finals(e.drain(r))
	if m := f["a"]; m.Kind != queue.KindFailed || m.FailureKind != "infra" || m.Ref.Attempt != 5 || string(m.Data) != `"disk"` {
		t.Fatalf("final %+v", m)
	}
}

func TestUserFailureNeverRetried(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 1, 0)
	e.enqueue("a", 0)
	l := e.claim(w, 1, 0)
	if again, err := e.q.Fail(ctx, l.Ref, "user", nil, 10); err != nil || again {
		t.Fatalf("user failure: requeued=%v err=%v", again, err)
	}
	if k, _ := e.q.Known(ctx, []string{"a"}); k["a"] {
		t.Fatal("failed experiment still in Redis")
	}
}

func TestLeaseLostRetriesExhausted(t *testing.T) {
	e := newEnv(t, shortLease)
	r := e.q.NewReader("server")
	w := e.register("w", 1, 0)
	e.enqueue("a", 0)
	e.claim(w, 1, 0)
	rep := e.reapUntil("reap", 0, func(r *queue.ReapReport) bool { return len(r.Reaped) == 1 })
	if rep.Reaped[0].Requeued {
		t.Fatalf("requeued with maxRetries 0: %+v", rep.Reaped[0])
	}
	if rec := rep.Now.Sub(rep.Reaped[0].Deadline); rec < 0 {
		t.Fatalf("reaped before the deadline: %v", rec)
	}
	f := finals(e.drain(r))
	if m := f["a"]; m.Kind != queue.KindLost || m.FailureKind != "infra" {
		t.Fatalf("final %+v", m)
	}
}

func TestQuarantine(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	bad := e.register("bad", 1, 0)
	good := e.register("good", 1, 0)
	for i := range 4 {
		e.enqueue(string(rune('a'+i)), 0)
	}
	for range 3 {
		l := e.claim(bad, 1, 0)
		if _, err := e.q.Fail(ctx, l.Ref, "infra", nil, 10); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.q.Claim(ctx, bad, 1, 0); !errors.Is(err, queue.ErrQuarantined) {
		t.Fatalf("claim of a quarantined worker: %v", err)
	}
	e.claim(good, 1, 0)
	snap, err := e.q.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range snap.Workers {
		h := queue.WorkerHealth(w, snap.Now, 30*time.Second, 300*time.Second)
		if want := map[string]string{bad: queue.Quarantined, good: queue.Healthy}[w.ID]; h != want {
			t.Fatalf("%s: health %s, want %s", w.Name, h, want)
		}
	}
}

func TestQuarantineResetBySuccess(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 1, 0)
	for i := range 5 {
		e.enqueue(string(rune('a'+i)), 0)
	}
	for i := range 5 {
		l := e.claim(w, 1, 0)
		if i == 2 {
			if err := e.q.Complete(ctx, l.Ref, nil); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := e.q.Fail(ctx, l.Ref, "infra", nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	e.noWork(w, 1, 0) // 2 failures, a success, 2 failures: not quarantined
}

func TestRegisterReplacesIdentity(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.q.NewReader("server")
	old := e.register("node1", 2, 0)
	e.enqueue("a", 0)
	e.enqueue("b", 0)
	la, lb := e.claim(old, 2, 0), e.claim(old, 2, 0)
	// The worker restarts: new identity, old attempts released at once.
	cur := e.register("node1", 2, 0)
	if cur == old {
		t.Fatal("same identity after restart")
	}
	if _, err := e.q.Heartbeat(ctx, old, []queue.Ref{la.Ref}); !errors.Is(err, queue.ErrUnknownWorker) {
		t.Fatalf("old heartbeat: %v", err)
	}
	if err := e.q.Complete(ctx, lb.Ref, nil); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("old complete: %v", err)
	}
	rep, err := e.q.ReapExpired(ctx, 3) // no waiting: deadlines were set to 0
	if err != nil || len(rep.Reaped) != 2 {
		t.Fatalf("reap: %+v %v", rep, err)
	}
	for _, x := range rep.Reaped {
		if !x.Requeued || x.Reason != "worker_gone" {
			t.Fatalf("reaped %+v", x)
		}
	}
	l1, l2 := e.claim(cur, 2, 0), e.claim(cur, 2, 0)
	if l1.Experiment != "a" || l2.Experiment != "b" || l1.Attempt != 2 {
		t.Fatalf("new identity claimed %v %v", l1.Ref, l2.Ref)
	}
	snap, _ := e.q.Snapshot(ctx)
	if len(snap.Workers) != 1 || snap.Workers[0].ID != cur || len(snap.Workers[0].Running) != 2 {
		t.Fatalf("snapshot %+v", snap.Workers)
	}
	var requeued int
	for _, m := range e.drain(r) {
		if m.Kind == queue.KindRequeued && m.Reason == "worker_gone" {
			requeued++
		}
	}
	if requeued != 2 {
		t.Fatalf("%d requeued messages", requeued)
	}
}

func TestDeregisterHandsBack(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 2, 1)
	e.enqueue("g", 1)
	e.claim(w, 2, 1)
	if n, err := e.q.Deregister(ctx, w); err != nil || n != 1 {
		t.Fatalf("deregister: %d %v", n, err)
	}
	w2 := e.register("w", 2, 1)
	if l := e.claim(w2, 2, 1); l.Experiment != "g" || l.Attempt != 2 {
		t.Fatalf("claimed %+v", l.Ref)
	}
	keys := e.raw().Keys(ctx, e.opts.Prefix+":*"+w+"*").Val()
	if len(keys) != 0 {
		t.Fatalf("keys of the stopped worker remain: %v", keys)
	}
}

func TestWorkerRecordExpires(t *testing.T) {
	e := newEnv(t, func(o *queue.Options) { o.WorkerTTL = 200 * time.Millisecond; o.LeaseTTL = time.Hour })
	ctx := context.Background()
	w := e.register("w", 1, 0)
	e.enqueue("a", 0)
	l := e.claim(w, 1, 0)
	rep := e.reapUntil("worker expiry", 3, func(r *queue.ReapReport) bool { return len(r.WorkersExpired) == 1 })
	if rep.WorkersExpired[0] != w || len(rep.Reaped) != 1 || rep.Reaped[0].Ref != l.Ref {
		t.Fatalf("report %+v", rep)
	}
	if keys := e.raw().Keys(ctx, e.opts.Prefix+":*"+w+"*").Val(); len(keys) != 0 {
		t.Fatalf("keys of the expired worker remain: %v", keys)
	}
}

func TestHeartbeatReportsInvalid(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 3, 0)
	other := e.register("other", 1, 0)
	e.enqueue("a", 0)
	e.enqueue("b", 0)
	la := e.claim(w, 3, 0)
	lb := e.claim(other, 1, 0)
	refs := []queue.Ref{
		la.Ref,
		{Experiment: "a", Attempt: la.Attempt + 1, Worker: w}, // wrong token
		{Experiment: "b", Attempt: lb.Attempt, Worker: w},     // someone else's
		{Experiment: "nope", Attempt: 1, Worker: w},           // unknown
	}
	bad, err := e.q.Heartbeat(ctx, w, refs)
	if err != nil || len(bad) != 3 || bad[0] != refs[1] || bad[1] != refs[2] || bad[2] != refs[3] {
		t.Fatalf("invalid %v err %v", bad, err)
	}
}

func TestReconcileAfterDataLoss(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.q.NewReader("server")
	e.enqueue("a", 0)
	e.enqueue("b", 0)
	k, err := e.q.Known(ctx, []string{"a", "b", "c"})
	if err != nil || !k["a"] || !k["b"] || k["c"] {
		t.Fatalf("known %v %v", k, err)
	}
	if added, _ := e.q.Enqueue(ctx, queue.Job{ID: "a"}); added {
		t.Fatal("second enqueue of a queued id added it")
	}
	w := e.register("w", 1, 0)
	e.claim(w, 1, 0)
	if added, _ := e.q.Enqueue(ctx, queue.Job{ID: "a"}); added {
		t.Fatal("enqueue of a leased id added it")
	}
	e.drain(r)
	// Redis loses everything (restart without persistence).
	if err := e.raw().FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	k, _ = e.q.Known(ctx, []string{"a", "b"})
	if k["a"] || k["b"] {
		t.Fatalf("known after flush %v", k)
	}
	// The server re-enqueues from its store, with the attempts it recorded.
	if _, err := e.q.Enqueue(ctx, queue.Job{ID: "a", Attempts: 1}); err != nil {
		t.Fatal(err)
	}
	// The result reader recovers its consumer group.
	if _, err := r.Read(ctx, 10, 0); err == nil || !strings.Contains(err.Error(), "NOGROUP") {
		t.Fatalf("read after flush: %v", err)
	}
	w = e.register("w", 1, 0)
	if l := e.claim(w, 1, 0); l.Attempt != 2 {
		t.Fatalf("attempt after reconcile %d, want 2 (tokens stay monotonic)", l.Attempt)
	}
	var started int
	for _, m := range e.drain(r) {
		if m.Kind == queue.KindStarted {
			started++
		}
	}
	if started != 1 {
		t.Fatalf("%d started messages after recovery", started)
	}
}

func TestAOFRestart(t *testing.T) {
	rs := testutil.StartRedis(t, testutil.WithAppendOnly())
	e := openEnv(t, rs, 0)
	ctx := context.Background()
	w := e.register("w", 2, 0)
	e.enqueue("a", 0)
	e.enqueue("b", 0)
	e.enqueue("c", 0)
	la := e.claim(w, 2, 0)
	lb := e.claim(w, 2, 0)
	if err := e.q.Complete(ctx, lb.Ref, []byte(`{"status":"succeeded"}`)); err != nil {
		t.Fatal(err)
	}
	// The server read the result but crashed before acking it.
	r := e.q.NewReader("server")
	if ms, err := r.Read(ctx, 100, 0); err != nil || len(ms) == 0 {
		t.Fatalf("read: %v %v", ms, err)
	}

	rs.Restart(t)

	q2, err := queue.Open(ctx, e.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	snap, err := q2.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Pending) != 1 || snap.Pending[0].ID != "c" || len(snap.Workers) != 1 || len(snap.Workers[0].Running) != 1 {
		t.Fatalf("after restart: %+v", snap)
	}
	if bad, err := q2.Heartbeat(ctx, w, []queue.Ref{la.Ref}); err != nil || len(bad) != 0 {
		t.Fatalf("heartbeat after restart: %v %v", bad, err)
	}
	// The restarted server re-reads the unacked result.
	ms, err := q2.NewReader("server").Read(ctx, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := finals(ms)
	if m := f["b"]; m.Kind != queue.KindCompleted || string(m.Data) != `{"status":"succeeded"}` {
		t.Fatalf("result after restart: %+v", ms)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	rs := testutil.StartRedis(t, testutil.WithPassword("s3cret"))
	for _, pw := range []string{"wrong", ""} {
		_, err := queue.Open(ctx, queue.Options{Addr: rs.Addr(), Password: pw})
		want := "queue: redis at " + rs.Addr() + ": wrong password (NOAUTH/WRONGPASS)"
		if err == nil || err.Error() != want {
			t.Fatalf("password %q: got %v, want %q", pw, err, want)
		}
	}
	q, err := queue.Open(ctx, queue.Options{Addr: rs.Addr(), Password: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	q.Close()
	_, err = queue.Open(ctx, queue.Options{Addr: rs.Addr(), Password: "s3cret", DB: 99})
	if err == nil || !strings.Contains(err.Error(), "redis_db 99 is out of range") {
		t.Fatalf("db 99: %v", err)
	}

	stopped := testutil.StartRedis(t)
	addr := stopped.Addr()
	stopped.Stop()
	_, err = queue.Open(ctx, queue.Options{Addr: addr})
	want := "queue: redis at " + addr + ": connection refused"
	if err == nil || err.Error() != want {
		t.Fatalf("refused: got %v, want %q", err, want)
	}
	var ce *queue.ConnError
	if !errors.As(err, &ce) || ce.Addr != addr {
		t.Fatalf("not a ConnError: %#v", err)
	}
}

// Foreign or damaged data is skipped with a log line, never a panic, and the
// caller goes on.
func TestMalformedEntries(t *testing.T) {
	e := newEnv(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	raw := e.raw()
	p := e.opts.Prefix
	r := e.q.NewReader("server")
	w := e.register("w", 2, 0)
	ctl := e.q.Control(ctx, w)

	// A pending id without a hash, a bogus class, garbage in both streams and the control list.
	raw.ZAdd(ctx, p+":pending", redis.Z{Score: 0, Member: "ghost"})
	raw.ZAdd(ctx, p+":pending:g0|", redis.Z{Score: 0, Member: "ghost"})
	raw.SAdd(ctx, p+":classes", "g0|", "garbage")
	raw.XAdd(ctx, &redis.XAddArgs{Stream: p + ":results", Values: []string{"hello", "world"}})
	raw.XAdd(ctx, &redis.XAddArgs{Stream: p + ":results", Values: []string{"exp", "x", "attempt", "NaN", "kind", "completed"}})
	raw.XAdd(ctx, &redis.XAddArgs{Stream: p + ":events", Values: []string{"exp", "", "attempt", "1"}})
	raw.RPush(ctx, p+":ctl:"+w, "not json", `{"type":"cancel","experiment":"a","attempt":1}`)
	raw.ZAdd(ctx, p+":leases", redis.Z{Score: 0, Member: "nobody"})

	e.enqueue("a", 0)
	if l := e.claim(w, 2, 0); l.Experiment != "a" {
		t.Fatalf("claimed %s", l.Experiment)
	}
	e.noWork(w, 1, 0)
	snap, err := e.q.Snapshot(ctx)
	if err != nil || len(snap.Pending) != 0 {
		t.Fatalf("snapshot %+v %v", snap, err)
	}
	ms := e.drain(r)
	if len(ms) != 1 || ms[0].Kind != queue.KindStarted {
		t.Fatalf("messages %+v", ms)
	}
	if n := raw.XLen(ctx, p+":results").Val() + raw.XLen(ctx, p+":events").Val(); n != 0 {
		t.Fatalf("%d entries left in the streams", n)
	}
	if m := <-ctl; m.Experiment != "a" {
		t.Fatalf("control %+v", m)
	}
	rep, err := e.q.ReapExpired(ctx, 1)
	if err != nil || rep.Orphans != 1 {
		t.Fatalf("reap %+v %v", rep, err)
	}
	st, _ := e.q.Stats(ctx)
	if st["malformed"] < 5 {
		t.Fatalf("malformed counter %v", st)
	}
	stop()
	for range ctl {
	}
}

func TestReaderAdoptsOtherConsumersBacklog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 1, 0)
	e.enqueue("a", 0)
	l := e.claim(w, 1, 0)
	if err := e.q.Complete(ctx, l.Ref, []byte("done")); err != nil {
		t.Fatal(err)
	}
	// A server on host-1 reads and dies before acking.
	if ms, err := e.q.NewReader("server-host-1").Read(ctx, 100, 0); err != nil || len(ms) != 2 {
		t.Fatalf("first read %v %v", ms, err)
	}
	// It comes back on host-2.
	f := finals(e.drain(e.q.NewReader("server-host-2")))
	if string(f["a"].Data) != "done" {
		t.Fatalf("result not re-read by the new consumer: %+v", f)
	}
	pend, err := e.raw().XPending(ctx, e.opts.Prefix+":results", "server").Result()
	if err != nil || pend.Count != 0 {
		t.Fatalf("pending after ack: %+v %v", pend, err)
	}
}
