package queue_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/drover-ml/drover/internal/queue"
)

// CompleteAndClaim: the result is accepted, then the same worker gets the
// oldest runnable experiment on the slot (and GPUs) that the result freed.
func TestCompleteAndClaim(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	r := e.q.NewReader("s")
	w := e.register("w", 1, 2)
	e.enqueue("a", 2)
	e.enqueue("b", 2)
	e.enqueue("c", 0)
	a := e.claim(w, 1, 2)
	if a.Experiment != "a" {
		t.Fatalf("claimed %s", a.Experiment)
	}
	// The worker's only slot and both GPUs are a's until its result is in.
	if _, err := e.q.Claim(ctx, w, 1, 2); !errors.Is(err, queue.ErrNoSlot) {
		t.Fatalf("second claim: %v", err)
	}
	b, err := e.q.CompleteAndClaim(ctx, a.Ref, []byte(`{"ok":1}`), 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if b.Experiment != "b" || b.Attempt != 1 || b.Worker != w || b.GPUs != 2 || string(b.Payload) != `{"id":"b"}` {
		t.Fatalf("next lease %+v", b)
	}
	// Redis counts the slot and GPUs as b's now.
	if _, err := e.q.Claim(ctx, w, 1, 2); !errors.Is(err, queue.ErrNoSlot) {
		t.Fatalf("claim beside b: %v", err)
	}
	snap, err := e.q.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ws := snap.Workers; len(ws) != 1 || ws[0].FreeGPUs != 0 || len(ws[0].Running) != 1 {
		t.Fatalf("worker after complete-claim: %+v", ws)
	}
	// The caller's own count caps the claim too: the result is still taken.
	if _, err := e.q.CompleteAndClaim(ctx, b.Ref, nil, 0, 2); !errors.Is(err, queue.ErrNoSlot) {
		t.Fatalf("complete-claim with no free slot: %v", err)
	}
	c := e.claim(w, 1, 0)
	if c.Experiment != "c" {
		t.Fatalf("claimed %s", c.Experiment)
	}
	// Nothing left: the result is accepted and the worker waits for work.
	if _, err := e.q.CompleteAndClaim(ctx, c.Ref, nil, 1, 0); !errors.Is(err, queue.ErrNoWork) {
		t.Fatalf("complete-claim of the last one: %v", err)
	}
	e.enqueue("d", 0)
	if woken, err := e.q.WaitForWork(ctx, w, 0); err != nil || !woken {
		t.Fatalf("wait after complete-claim: woken=%v err=%v", woken, err)
	}
	var kinds []string
	for _, m := range e.drain(r) {
		kinds = append(kinds, m.Kind+" "+m.Ref.Experiment)
	}
	want := []string{"started a", "completed a", "started b", "completed b", "started c", "completed c"}
	if len(kinds) != len(want) {
		t.Fatalf("messages %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("messages %v, want %v", kinds, want)
		}
	}
	st, _ := e.q.Stats(ctx)
	if st["completed"] != 3 || st["claims"] != 3 || st["stale_rejected"] != 0 {
		t.Fatalf("stats %v", st)
	}
}

// Fencing: a stale ref's result is rejected and nothing is claimed.
func TestCompleteAndClaimStale(t *testing.T) {
	e := newEnv(t, shortLease)
	ctx := context.Background()
	w1 := e.register("w1", 1, 0)
	w2 := e.register("w2", 1, 0)
	e.enqueue("a", 0)
	old := e.claim(w1, 1, 0)
	e.reapUntil("lease expiry", 3, func(r *queue.ReapReport) bool { return len(r.Reaped) == 1 })
	cur := e.claim(w2, 1, 0)
	e.enqueue("b", 0)
	if l, err := e.q.CompleteAndClaim(ctx, old.Ref, []byte("{}"), 1, 0); !errors.Is(err, queue.ErrStaleAttempt) || l != nil {
		t.Fatalf("stale complete-claim: %v %v", l, err)
	}
	// b is still queued: w1 claims it normally, and w2's attempt of a is live.
	if b := e.claim(w1, 1, 0); b.Experiment != "b" {
		t.Fatalf("claimed %s", b.Experiment)
	}
	if bad, err := e.q.Heartbeat(ctx, w2, []queue.Ref{cur.Ref}); err != nil || len(bad) != 0 {
		t.Fatalf("live heartbeat: %v %v", bad, err)
	}
	// A cancelled attempt: the same.
	if _, err := e.q.Cancel(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	e.enqueue("c", 0)
	if _, err := e.q.CompleteAndClaim(ctx, cur.Ref, []byte("{}"), 1, 0); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("cancelled complete-claim: %v", err)
	}
	st, _ := e.q.Stats(ctx)
	if st["stale_rejected"] != 2 || st["completed"] != 0 || st["claims"] != 3 {
		t.Fatalf("stats %v", st)
	}
}

// Two paths claim for one worker (its claim loop for an idle slot and a busy
// slot's CompleteAndClaim), each with its own, possibly stale, count of free
// slots: Redis's running set caps them at the worker's slots.
func TestCompleteAndClaimSlotLimit(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 2, 0)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		e.enqueue(id, 0)
	}
	a := e.claim(w, 2, 0)
	e.claim(w, 2, 0)
	if _, err := e.q.Claim(ctx, w, 2, 0); !errors.Is(err, queue.ErrNoSlot) {
		t.Fatalf("third claim: %v", err)
	}
	if _, err := e.q.CompleteAndClaim(ctx, a.Ref, nil, 2, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.Claim(ctx, w, 2, 0); !errors.Is(err, queue.ErrNoSlot) {
		t.Fatalf("claim beside two: %v", err)
	}
	snap, err := e.q.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(snap.Workers[0].Running); n != 2 {
		t.Fatalf("%d running", n)
	}
}

// FailAndClaim: a final failure or a requeued infra failure, then a claim in
// the same call; a stale ref claims nothing; the claim step sees a
// quarantine that the failure just caused.
func TestFailAndClaim(t *testing.T) {
	e := newEnv(t, func(o *queue.Options) { o.QuarantineAfter = 2 })
	ctx := context.Background()
	r := e.q.NewReader("s")
	w := e.register("w", 1, 0)
	e.enqueue("a", 0)
	e.enqueue("b", 0)
	a := e.claim(w, 1, 0)
	requeued, b, err := e.q.FailAndClaim(ctx, a.Ref, "user", []byte("{}"), 3, 1, 0)
	if err != nil || requeued || b.Experiment != "b" {
		t.Fatalf("user failure: requeued=%v next=%+v err=%v", requeued, b, err)
	}
	if _, _, err := e.q.FailAndClaim(ctx, a.Ref, "user", nil, 3, 1, 0); !errors.Is(err, queue.ErrStaleAttempt) {
		t.Fatalf("stale fail-claim: %v", err)
	}
	// An infra failure is requeued with its age, so it is the oldest again.
	requeued, b2, err := e.q.FailAndClaim(ctx, b.Ref, "infra", nil, 3, 1, 0)
	if err != nil || !requeued || b2.Experiment != "b" || b2.Attempt != b.Attempt+1 {
		t.Fatalf("infra failure: requeued=%v next=%+v err=%v", requeued, b2, err)
	}
	// The second infra failure in a row quarantines the worker: the result
	// is taken, the claim refused.
	requeued, l, err := e.q.FailAndClaim(ctx, b2.Ref, "infra", nil, 3, 1, 0)
	if !requeued || l != nil || !errors.Is(err, queue.ErrQuarantined) {
		t.Fatalf("quarantining failure: requeued=%v next=%+v err=%v", requeued, l, err)
	}
	var kinds []string
	for _, m := range e.drain(r) {
		kinds = append(kinds, m.Kind+" "+m.Ref.Experiment)
	}
	want := "[started a failed a started b requeued b started b requeued b]"
	if got := fmt.Sprint(kinds); got != want {
		t.Fatalf("messages %s, want %s", got, want)
	}
}
