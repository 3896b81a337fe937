package queue_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/drover-ml/drover/internal/queue"
	"github.com/drover-ml/drover/internal/testutil"
)

// The model of the claim order: every queued experiment, every lease, the
// running count of every user. It knows nothing of Redis; claims are
// predicted by queue.Pick over the experiments the worker can run.
type schedModel struct {
	seq     int64
	queued  map[string]*modelExp
	leased  map[string]*modelExp // id → exp, with worker set
	running map[string]int
	limits  queue.Limits
	policy  string
}

type modelExp struct {
	id     string
	prio   int
	user   string
	gpus   int
	caps   []string
	seq    int64
	worker string
}

type modelWorker struct {
	id    string
	slots int
	gpus  int
	caps  []string
}

func (m *schedModel) predict(w modelWorker) (string, error) {
	held, busyGPU := 0, 0
	for _, e := range m.leased {
		if e.worker == w.id {
			held++
			busyGPU += e.gpus
		}
	}
	if held >= w.slots {
		return "", queue.ErrNoSlot
	}
	var cands []queue.Candidate
	for _, e := range m.queued {
		if e.gpus > w.gpus-busyGPU {
			continue
		}
		ok := true
		for _, c := range e.caps {
			ok = ok && slices.Contains(w.caps, c)
		}
		if ok {
			cands = append(cands, queue.Candidate{ID: e.id, Priority: e.prio, Seq: e.seq, User: e.user})
		}
	}
	i := queue.Pick(cands, m.running, m.limits, m.policy)
	if i < 0 {
		return "", queue.ErrNoWork
	}
	return cands[i].ID, nil
}

func (m *schedModel) lease(id, worker string) {
	e := m.queued[id]
	delete(m.queued, id)
	e.worker = worker
	m.leased[id] = e
	m.running[e.user]++
}

func (m *schedModel) unlease(id string) *modelExp {
	e := m.leased[id]
	delete(m.leased, id)
	m.running[e.user]--
	if m.running[e.user] == 0 {
		delete(m.running, e.user)
	}
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestSchedulingProperty drives a real Redis through random sequences of
// submits, claims, completes (alone and with the next claim), releases,
// cancels, priority changes and quota changes, for both policies, and checks
// that every claim takes what the reference model says and that the running
// counts agree.
func TestSchedulingProperty(t *testing.T) {
	// rapid's default of 30 steps per sequence rarely fills the processors
	// and lets quotas and fair share bite; -rapid.steps on the command line wins.
	if f := flag.Lookup("rapid.steps"); f != nil && f.Value.String() == "30" {
		_ = f.Value.Set("300")
		defer f.Value.Set("30")
	}
	r := testutil.StartRedis(t)
	r.Client(2) // flush
	users := []string{"alice", "bob", "carol"}
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		ctx := context.Background()
		q, err := queue.Open(ctx, queue.Options{Addr: r.Addr(), Password: r.Password(), DB: 2,
			Prefix: fmt.Sprintf("prop%d", n), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			rt.Fatal(err)
		}
		defer q.Close()
		m := &schedModel{queued: map[string]*modelExp{}, leased: map[string]*modelExp{}, running: map[string]int{},
			policy: rapid.SampledFrom([]string{queue.PolicyFIFO, queue.PolicyFair}).Draw(rt, "policy"),
			limits: queue.Limits{Default: rapid.IntRange(0, 2).Draw(rt, "max_running"), Users: map[string]int{}}}
		if err := q.SetScheduling(ctx, m.policy, m.limits.Default); err != nil {
			rt.Fatal(err)
		}
		var workers []modelWorker
		for i, spec := range []modelWorker{{slots: 2}, {slots: 2, gpus: 1, caps: []string{queue.CapCommand}}, {slots: 1}} {
			id, err := q.Register(ctx, queue.WorkerInfo{Name: fmt.Sprintf("w%d", i), Host: "h", PID: 1, Slots: spec.slots, GPUs: spec.gpus, Capabilities: spec.caps})
			if err != nil {
				rt.Fatal(err)
			}
			spec.id = id
			workers = append(workers, spec)
		}
		attempts := map[string]int{}
		checkClaim := func(w modelWorker, l *queue.Lease, err error, what string) {
			want, werr := m.predict(w)
			if werr != nil {
				if !errors.Is(err, werr) {
					rt.Fatalf("%s by %s: got %v %v, model says %v", what, w.id[:6], l, err, werr)
				}
				return
			}
			if err != nil || l.Experiment != want {
				got := ""
				if l != nil {
					got = l.Experiment
				}
				rt.Fatalf("%s by %s: got %q (%v), model says %q (policy %s, limits %+v, running %v)",
					what, w.id[:6], got, err, want, m.policy, m.limits, m.running)
			}
			m.lease(want, w.id)
			attempts[want] = l.Attempt
		}
		ref := func(id string) queue.Ref {
			return queue.Ref{Experiment: id, Attempt: attempts[id], Worker: m.leased[id].worker}
		}
		rt.Repeat(map[string]func(*rapid.T){
			"submit": func(rt *rapid.T) {
				m.seq++
				e := &modelExp{id: fmt.Sprintf("e%d", m.seq), seq: m.seq,
					prio: rapid.IntRange(0, 2).Draw(rt, "prio"),
					user: rapid.SampledFrom(users).Draw(rt, "user"),
					gpus: rapid.IntRange(0, 1).Draw(rt, "gpus")}
				if rapid.IntRange(0, 4).Draw(rt, "cmd") == 0 {
					e.caps = []string{queue.CapCommand}
				}
				if _, err := q.Enqueue(ctx, queue.Job{ID: e.id, GPUs: e.gpus, Caps: e.caps, User: e.user,
					Priority: queue.PriorityName(e.prio)}); err != nil {
					rt.Fatal(err)
				}
				m.queued[e.id] = e
			},
			"claim": func(rt *rapid.T) {
				w := rapid.SampledFrom(workers).Draw(rt, "worker")
				l, err := q.Claim(ctx, w.id, w.slots, w.gpus)
				checkClaim(w, l, err, "claim")
			},
			"complete": func(rt *rapid.T) {
				if len(m.leased) == 0 {
					rt.Skip("nothing leased")
				}
				id := rapid.SampledFrom(sortedKeys(m.leased)).Draw(rt, "exp")
				rf := ref(id)
				if err := q.Complete(ctx, rf, []byte("{}")); err != nil {
					rt.Fatal(err)
				}
				m.unlease(id)
			},
			"completeAndClaim": func(rt *rapid.T) {
				if len(m.leased) == 0 {
					rt.Skip("nothing leased")
				}
				id := rapid.SampledFrom(sortedKeys(m.leased)).Draw(rt, "exp")
				rf := ref(id)
				e := m.unlease(id)
				var w modelWorker
				for _, x := range workers {
					if x.id == e.worker {
						w = x
					}
				}
				l, err := q.CompleteAndClaim(ctx, rf, []byte("{}"), w.slots, w.gpus)
				checkClaim(w, l, err, "complete-and-claim")
			},
			"release": func(rt *rapid.T) {
				if len(m.leased) == 0 {
					rt.Skip("nothing leased")
				}
				id := rapid.SampledFrom(sortedKeys(m.leased)).Draw(rt, "exp")
				if err := q.Release(ctx, ref(id)); err != nil {
					rt.Fatal(err)
				}
				e := m.unlease(id)
				e.worker = ""
				m.queued[id] = e // keeps its age
			},
			"cancel": func(rt *rapid.T) {
				all := append(sortedKeys(m.queued), sortedKeys(m.leased)...)
				if len(all) == 0 {
					rt.Skip("nothing to cancel")
				}
				id := rapid.SampledFrom(all).Draw(rt, "exp")
				if _, err := q.Cancel(ctx, id); err != nil {
					rt.Fatal(err)
				}
				if _, ok := m.leased[id]; ok {
					m.unlease(id)
				}
				delete(m.queued, id)
			},
			"reprioritize": func(rt *rapid.T) {
				if len(m.queued) == 0 {
					rt.Skip("nothing queued")
				}
				id := rapid.SampledFrom(sortedKeys(m.queued)).Draw(rt, "exp")
				p := rapid.IntRange(0, 2).Draw(rt, "prio")
				ok, err := q.Reprioritize(ctx, id, queue.PriorityName(p))
				if err != nil || !ok {
					rt.Fatalf("reprioritize %s: %v %v", id, ok, err)
				}
				m.queued[id].prio = p
			},
			"setLimit": func(rt *rapid.T) {
				u := rapid.SampledFrom(users).Draw(rt, "user")
				n := rapid.IntRange(-1, 2).Draw(rt, "limit")
				if err := q.SetUserLimit(ctx, u, n); err != nil {
					rt.Fatal(err)
				}
				if n < 0 {
					delete(m.limits.Users, u)
				} else {
					m.limits.Users[u] = n
				}
			},
			"": func(rt *rapid.T) {
				snap, err := q.Snapshot(ctx)
				if err != nil {
					rt.Fatal(err)
				}
				if fmt.Sprint(snap.UserRunning) != fmt.Sprint(m.running) {
					rt.Fatalf("running per user: redis %v, model %v", snap.UserRunning, m.running)
				}
				if len(snap.Pending) != len(m.queued) {
					rt.Fatalf("pending: redis %d, model %d", len(snap.Pending), len(m.queued))
				}
				// P:pending is in class-then-age order
				for i := 1; i < len(snap.Pending); i++ {
					a, b := m.queued[snap.Pending[i-1].ID], m.queued[snap.Pending[i].ID]
					if a.prio > b.prio || (a.prio == b.prio && a.seq > b.seq) {
						rt.Fatalf("pending order: %s before %s", a.id, b.id)
					}
				}
			},
		})
	})
}

func TestDrainResumeRemove(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	w := e.register("w", 2, 0)
	e.enqueue("a", 0)
	a := e.claim(w, 2, 0)
	if id, _ := e.q.WorkerID(ctx, "w"); id != w {
		t.Fatalf("WorkerID by name: %q", id)
	}
	if ok, err := e.q.Drain(ctx, w); !ok || err != nil {
		t.Fatalf("drain: %v %v", ok, err)
	}
	e.enqueue("b", 0)
	if _, err := e.q.Claim(ctx, w, 1, 0); !errors.Is(err, queue.ErrDraining) {
		t.Fatalf("claim while draining: %v", err)
	}
	// the running attempt goes on and completes
	if err := e.q.Complete(ctx, a.Ref, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.CompleteAndClaim(ctx, a.Ref, nil, 2, 0); err == nil {
		t.Fatal("complete-and-claim of a finished attempt accepted")
	}
	snap, err := e.q.Snapshot(ctx)
	if err != nil || len(snap.Workers) != 1 || !snap.Workers[0].Draining || len(snap.Workers[0].Running) != 0 {
		t.Fatalf("snapshot of a drained worker: %+v %v", snap.Workers, err)
	}
	// another worker takes b
	w2 := e.register("w2", 1, 0)
	if l := e.claim(w2, 1, 0); l.Experiment != "b" {
		t.Fatalf("w2 claimed %s", l.Experiment)
	}
	e.enqueue("c", 0)
	if ok, err := e.q.Resume(ctx, w); !ok || err != nil {
		t.Fatalf("resume: %v %v", ok, err)
	}
	if woken, err := e.q.WaitForWork(ctx, w, time.Second); !woken || err != nil {
		t.Fatalf("resume did not wake: %v %v", woken, err)
	}
	if l := e.claim(w, 2, 0); l.Experiment != "c" {
		t.Fatalf("resumed worker claimed %s", l.Experiment)
	}
	if ok, err := e.q.Remove(ctx, w2); !ok || err != nil {
		t.Fatalf("remove: %v %v", ok, err)
	}
	if ok, _ := e.q.Drain(ctx, w2); ok {
		t.Fatal("drain of a removed worker succeeded")
	}
	if id, _ := e.q.WorkerID(ctx, "w2"); id != "" {
		t.Fatalf("removed worker still known as %q", id)
	}
	// its lease (b) goes back to the queue at the next reap
	e.reapUntil("b requeued", 3, func(r *queue.ReapReport) bool { return len(r.Reaped) == 1 && r.Reaped[0].Requeued })
}
