package queue_test

import (
	"context"
	"testing"

	"github.com/drover-ml/drover/internal/queue"
)

func TestSmoke(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w1", 2, 0)
	e.enqueue("a", 0)
	l := e.claim(w, 2, 0)
	if l.Experiment != "a" || l.Attempt != 1 || string(l.Payload) != `{"id":"a"}` {
		t.Fatalf("lease %+v", l)
	}
	if bad, err := e.q.Heartbeat(ctx, w, []queue.Ref{l.Ref}); err != nil || len(bad) != 0 {
		t.Fatalf("heartbeat: %v %v", bad, err)
	}
	if err := e.q.PublishEvent(ctx, l.Ref, []byte(`{"type":"progress"}`)); err != nil {
		t.Fatal(err)
	}
	if err := e.q.Complete(ctx, l.Ref, []byte(`{"status":"succeeded"}`)); err != nil {
		t.Fatal(err)
	}
	r := e.q.NewReader("server")
	ms := e.drain(r)
	if len(ms) != 3 {
		t.Fatalf("messages %+v", ms)
	}
	snap, err := e.q.Snapshot(ctx)
	if err != nil || len(snap.Workers) != 1 || len(snap.Pending) != 0 {
		t.Fatalf("snapshot %+v %v", snap, err)
	}
}
