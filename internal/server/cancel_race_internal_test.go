package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/drover-ml/drover/internal/config"
	"github.com/drover-ml/drover/internal/protocol"
	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/store"
	"github.com/drover-ml/drover/internal/testutil"
)

// A cancel that reaches the server after a worker's claim but before the
// claim's "started" message has been applied must record Redis's attempt
// (the one that ran and is being killed), not the store's attempt 0. The
// race is made deterministic by not starting the dispatcher: nothing reads
// the results stream until the test applies its messages itself, after
// the cancel, in the order Redis wrote them.
func TestCancelBeforeStartedRecordsRedisAttempt(t *testing.T) {
	r := testutil.StartRedis(t)
	_, port, _ := net.SplitHostPort(r.Addr())
	cfg := config.Default()
	cfg.DataDirectory = t.TempDir()
	cfg.WorkerMode = config.ModeSinglenode
	cfg.RedisPort, _ = strconv.Atoi(port)
	cfg.AllowCommandExperiments = true
	ctx := context.Background()
	s, err := New(ctx, &cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	d := s.disp.(*redisDispatcher)

	e := &store.Experiment{ID: "ex_cancel_race", Spec: protocol.Spec{Command: "sleep 60"}, Status: protocol.StatusQueued,
		Queue: "cpu", CreatedAt: time.Now().UTC(), Owner: "alice"}
	if err := s.store.CreateExperiment(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := d.Submit(ctx, e); err != nil {
		t.Fatal(err)
	}
	wid, err := d.q.Register(ctx, queue.WorkerInfo{Name: "w1", Host: "h", Slots: 1, Capabilities: []string{queue.CapCommand}})
	if err != nil {
		t.Fatal(err)
	}
	lease, err := d.q.Claim(ctx, wid, 1, 0)
	if err != nil || lease.Experiment != e.ID || lease.Attempt != 1 {
		t.Fatalf("claim: %+v %v", lease, err)
	}
	// The store has not heard of the claim.
	if cur, _ := s.store.GetExperiment(ctx, e.ID); cur.Status != protocol.StatusQueued || cur.Attempt != 0 {
		t.Fatalf("before the cancel the store says %s attempt %d", cur.Status, cur.Attempt)
	}

	if err := d.Cancel(context.WithValue(ctx, principalKey{}, principal{Name: "alice"}), e); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		got, err := s.store.GetExperiment(ctx, e.ID)
		if err != nil || got.Status != protocol.StatusCancelled || got.Attempt != 1 || got.Worker != wid ||
			got.FailureKind != protocol.FailureCancelled || got.StartedAt == nil || got.FinishedAt == nil {
			t.Fatalf("%s: %+v %v; want cancelled with attempt 1 on %s", when, got, err, wid)
		}
		as, err := s.store.Attempts(ctx, e.ID)
		if err != nil || len(as) != 1 || as[0].Attempt != 1 || as[0].Outcome != "cancelled" || as[0].Worker != wid {
			t.Fatalf("%s: attempts %+v %v; want attempt 1 cancelled", when, as, err)
		}
	}
	check("after the cancel")

	// Now the stream: "started" of attempt 1, then "cancelled". Neither
	// changes the record; one cancelled status event in all, with its actor.
	rd := d.q.NewReader("test")
	var kinds []string
	for len(kinds) < 2 {
		msgs, err := rd.Read(ctx, 10, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) == 0 {
			t.Fatalf("stream ended after %v", kinds)
		}
		for _, m := range msgs {
			if m.Kind == queue.KindEvent {
				continue
			}
			kinds = append(kinds, m.Kind)
			d.apply(ctx, m)
		}
	}
	if kinds[0] != queue.KindStarted || kinds[1] != queue.KindCancelled {
		t.Fatalf("stream kinds %v, want started then cancelled", kinds)
	}
	check("after the stream was applied")
	evs, err := s.store.Events(ctx, e.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ev := range evs {
		if ev.Type == protocol.EventStatus && ev.Status == protocol.StatusCancelled {
			n++
			if ev.Attempt != 1 || ev.Actor != "alice" {
				t.Errorf("cancelled event %+v: want attempt 1 by alice", ev)
			}
		}
		if ev.Type == protocol.EventStatus && ev.Status == protocol.StatusRunning {
			t.Errorf("a running event after the cancel: %+v", ev)
		}
	}
	if n != 1 {
		t.Errorf("%d cancelled events, want 1: %+v", n, evs)
	}
}
