package queue_test

import (
	"context"
	"testing"
)

// Peek names the experiment a worker would claim next, without claiming it.
func TestPeek(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	cpu := e.register("cpu", 1, 0)
	gpu := e.register("gpu", 1, 2, "command")
	peek := func(w string) string {
		t.Helper()
		p, err := e.q.Peek(ctx, w)
		if err != nil {
			t.Fatal(err)
		}
		return string(p)
	}
	if got := peek(cpu); got != "" {
		t.Fatalf("empty queue: peek %q", got)
	}
	e.enqueue("g", 2)
	e.enqueue("cmd", 0, "command")
	e.enqueue("c", 0)
	// FIFO among what each worker can run.
	if got := peek(cpu); got != `{"id":"c"}` {
		t.Fatalf("cpu worker peeks %q, want c", got)
	}
	if got := peek(gpu); got != `{"id":"g"}` {
		t.Fatalf("gpu worker peeks %q, want g", got)
	}
	// Peeking changed nothing: the claims still get the same experiments.
	if l := e.claim(cpu, 1, 0); l.Experiment != "c" {
		t.Fatalf("cpu claimed %s", l.Experiment)
	}
	if l := e.claim(gpu, 1, 2); l.Experiment != "g" {
		t.Fatalf("gpu claimed %s", l.Experiment)
	}
	// While its slot is busy the GPU worker still sees what comes next.
	if got := peek(gpu); got != `{"id":"cmd"}` {
		t.Fatalf("busy gpu worker peeks %q, want cmd", got)
	}
	if got := peek("no-such-worker"); got != "" {
		t.Fatalf("unknown worker peeks %q", got)
	}
}
