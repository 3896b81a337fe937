package server_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/drover-ml/drover/api"
)

// The local dispatcher (multiprocessing) applies the queue's rule: a high
// experiment queued last starts first, the priority of a queued one can
// change, a user at max_running_per_user waits with the reason, and
// /metrics counts the queue by class.
func TestLocalPriorityAndQuota(t *testing.T) {
	cfg := commandConfig(t)
	cfg.WorkerLocalProcessors = 2
	cfg.MaxRunningPerUser = 1
	h := start(t, cfg)
	ds := h.upload(examples("iris.csv"))
	dir := t.TempDir()
	gate := "while [ ! -f " + filepath.Join(dir, "go") + " ]; do sleep 0.05; done"
	first := h.create(api.Spec{DatasetID: ds.ID, Command: gate})
	h.waitStatus(first.ID, api.StatusRunning)
	low := h.create(api.Spec{DatasetID: ds.ID, Command: "true", Priority: "low"})
	normal := h.create(api.Spec{DatasetID: ds.ID, Command: "true"})
	high := h.create(api.Spec{DatasetID: ds.ID, Command: "true", Priority: "high"})
	got, err := h.cl.GetExperiment(context.Background(), normal.ID)
	if err != nil {
		t.Fatal(err)
	}
	// a processor is free, but the owner runs its one allowed experiment
	if got.WaitReason != "admin runs 1 of 1 allowed" || got.QueuePlace != "#2 in CPU queue (normal): 1 high-priority experiment ahead; admin runs 1 of 1 allowed" {
		t.Fatalf("queued normal: reason %q place %q", got.WaitReason, got.QueuePlace)
	}
	if _, err := h.cl.SetPriority(context.Background(), low.ID, "urgent"); apiCode(err) != "unknown_priority" {
		t.Fatalf("bad priority: %v", err)
	}
	if e, err := h.cl.SetPriority(context.Background(), low.ID, "high"); err != nil || e.Spec.Priority != "high" || e.QueuePosition != 1 {
		// it keeps its age: older than the other high one
		t.Fatalf("low → high: %+v %v", e, err)
	}
	resp, err := http.Get(h.srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`drover_queue_depth{priority="high",queue="cpu"} 2`, `drover_queue_depth{priority="normal",queue="cpu"} 1`,
		`drover_running_experiments{user="admin"} 1`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	order := []*api.Experiment{low, high, normal}
	var prev *api.Experiment
	for _, e := range order {
		f := h.wait(e.ID)
		if f.Status != api.StatusSucceeded {
			t.Fatalf("%s: %s", e.ID, f.Status)
		}
		if prev != nil && f.StartedAt.Before(*prev.StartedAt) {
			t.Fatalf("%s started before %s: want the high ones (oldest first), then normal", f.ID, prev.ID)
		}
		prev = f
	}
	if _, err := h.cl.SetPriority(context.Background(), high.ID, "low"); apiCode(err) != "conflict" {
		t.Fatalf("priority of a finished experiment: %v", err)
	}
}
